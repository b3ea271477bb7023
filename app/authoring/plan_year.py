"""The plan year in the browser: next year's plan from this one, a plan file uploaded, activities edited,
retired and translated, and a year closed with its figures kept.

Every change goes through the file door's code: the plan is written as its files
(`files.plan_tables`), changed there, read back by `read_plan` (the checks `load-content` makes)
and applied by `apply_plan`. So the browser and the files produce the same plan, an edited plan
exports to files that load into the same plan, and every change is a revision (origin: browser)
and an audit event.
"""
import logging
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app.audit import service as audit
from app.authoring import files as content_files
from app.authoring.languages import name as field_name
from app.authoring.models import BROWSER
from app.authoring.service import record_revision
from app.core.clock import local_date
from app.core.content import ContentError, TRANSLATION_LANGUAGES
from app.coverage.service import clear_coverage, coverage, monthly_series
from app.filings.service import quarters as filing_quarters
from app.extensions import db
from app.people import service as people
from app.people.models import Group, User
from app.plan.measures import measures_for
from app.plan.models import DELIVERABLE, FEEDS, KINDS, POPULATIONS, REACH, REGISTER, REGISTER_LISTS, Activity, Plan
from app.plan.service import PlanSpec, apply_plan, read_plan
from app.plan.year import TermReading, next_day_a_year_on, periods_with_participation, read_term, shift_years

logger = logging.getLogger(__name__)

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,78}[a-z0-9]$")
CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.\-]{0,19}$")
MAX_PLAN_FILE_BYTES = 512 * 1024


class PlanYearError(Exception):
    """A change that cannot be made: {field name: message} to show at each field ("" for the form)."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))


def content_error_text(error: ContentError) -> str:
    """A file door's error as the officer reads it: the file's name (not where it was written), the key, the problem."""
    name = Path(error.path).name
    return f"{name}: {error.key}: {error.problem}" if error.key else f"{name}: {error.problem}"


def _read_tables(top: dict, translations: dict[str, dict]) -> PlanSpec:
    """Read plan tables back through `read_plan`, exactly as `load-content` reads a plans/ folder."""
    with content_files.scratch_folder() as folder:
        root = Path(folder)
        content_files.write_files(root, content_files.plan_files_from(top, translations))
        return read_plan(root / "plans" / f"{top['slug']}.toml")


def _refuse_if_closed(plan: Plan | None) -> None:
    if plan is not None and plan.closed:
        raise PlanYearError({"": _("The plan year %(year)s is closed: it can no longer be changed.",
                                   year=plan.academic_year)})


def _blocked_changes(plan: Plan, spec: PlanSpec) -> dict[str, str]:
    """{activity code: why its new periods are refused} for activities whose counted periods would change."""
    problems = {}
    by_code = {item.code: item for item in spec.activities}
    for activity in plan.activities:
        item = by_code.get(activity.code)
        if item is None:
            continue
        used = periods_with_participation(activity, item.periods)
        if used:
            problems[activity.code] = _(
                "People have already taken part in period %(periods)s of activity %(code)s; the new term would change "
                "that period's dates, so what they did would no longer count where it was counted. Keep the term, "
                "or add a new activity for the new schedule.", periods=", ".join(str(n) for n in used),
                code=activity.code)
    return problems


def _apply(spec: PlanSpec, *, action: str, actor: User, now: datetime, details: dict | None = None) -> Plan:
    """Apply a spec read through the file door, as a browser revision and an audit event."""
    plan = db.session.execute(select(Plan).where(Plan.slug == spec.slug)).scalar_one_or_none()
    _refuse_if_closed(plan)
    if plan is not None:
        blocked = _blocked_changes(plan, spec)
        if blocked:
            raise PlanYearError(blocked)
    result = apply_plan(spec)
    db.session.flush()
    plan = db.session.execute(select(Plan).where(Plan.slug == spec.slug)).scalar_one()
    db.session.refresh(plan)
    revision = record_revision("plan", spec.slug, origin=BROWSER, author=actor, now=now)
    audit.record(f"plan.{action}", actor=actor, subject=f"plan:{spec.slug}", now=now, payload={
        **(details or {}), "created": result.created, "updated": result.updated, "retired": result.retired,
        "revision": revision.number if revision else None})
    logger.info("plan %s %s by %s: %s", spec.slug, action, actor.id, result)
    return plan


# --- next year's plan from this one -------------------------------------------------------------

@dataclass
class YearProposal:
    """What "Prepare next year" proposes: the new plan's names and dates and each activity's moved term."""

    slug: str
    academic_year: str
    starts_on: date
    ends_on: date
    terms: dict[str, str] = field(default_factory=dict)     # activity code -> term text


def _calendar_years(plan: Plan) -> tuple[int, ...]:
    return tuple(sorted({plan.starts_on.year, plan.ends_on.year}))


def propose_next_year(plan: Plan) -> YearProposal:
    """Next year's slug, academic year and dates, and every activity's term, each moved on by a year."""
    years = _calendar_years(plan)
    slug = shift_years(plan.slug, 1, years)
    if slug == plan.slug:
        slug = f"{plan.slug}-next"
    return YearProposal(slug=slug, academic_year=shift_years(plan.academic_year, 1, years),
                        starts_on=next_day_a_year_on(plan.starts_on), ends_on=next_day_a_year_on(plan.ends_on),
                        terms={a.code: shift_years(a.term_text, 1, years) for a in plan.activities if not a.retired})


def read_terms(terms: dict[str, str], starts_on: date, ends_on: date) -> dict[str, TermReading]:
    """Each activity's term read within the new academic year (for the page and for the checks)."""
    return {code: read_term(text, starts_on, ends_on) for code, text in terms.items()}


def _check_year(slug: str, academic_year: str, starts_on: date | None, ends_on: date | None) -> dict[str, str]:
    problems = {}
    if not SLUG.match(slug or ""):
        problems["slug"] = _("Use 3–80 lower-case Latin letters, digits and hyphens, such as ktu-2025-2026.")
    elif db.session.execute(select(Plan.id).where(Plan.slug == slug)).first() is not None:
        problems["slug"] = _("A plan with this name already exists.")
    if not (academic_year or "").strip():
        problems["academic_year"] = _("Give the academic year, such as 2025-2026.")
    if starts_on and ends_on and ends_on <= starts_on:
        problems["ends_on"] = _("The year must end after it starts.")
    return problems


def prepare_next_year(source: Plan, proposal: YearProposal, *, actor: User, now: datetime) -> Plan:
    """Create next year's plan from `source`: every activity with its target, population, kind, responsible
    units and translations, texts' years moved on by one, and the terms the officer confirmed.

    Raises PlanYearError with a message per field ("term-<code>" for a term) and creates nothing."""
    problems = _check_year(proposal.slug, proposal.academic_year, proposal.starts_on, proposal.ends_on)
    if not problems:
        for code, reading in read_terms(proposal.terms, proposal.starts_on, proposal.ends_on).items():
            if reading.problem:
                problems[f"term-{code}"] = reading.problem
    if problems:
        raise PlanYearError(problems)
    years = _calendar_years(source)
    top, translations = content_files.plan_tables(source)
    top, translations = shift_years(top, 1, years), shift_years(translations, 1, years)
    top.update(slug=proposal.slug, academic_year=proposal.academic_year.strip(), starts_on=proposal.starts_on,
               ends_on=proposal.ends_on)
    top.pop("approved_on", None)          # next year's plan is not approved yet
    for entry in top["activities"]:
        entry.pop("periods", None)        # the new year's periods come from the confirmed terms
        entry["term"] = proposal.terms.get(entry["code"], entry.get("term", "")).strip()
        if not entry["term"]:
            entry.pop("term")
    try:
        spec = _read_tables(top, translations)
    except ContentError as error:
        raise PlanYearError({"": content_error_text(error)}) from None
    return _apply(spec, action="created", actor=actor, now=now, details={"from": source.slug})


# --- a plan file uploaded -----------------------------------------------------------------------

@dataclass
class UploadedPlan:
    """A plan file and its translations as uploaded, read through `read_plan`."""

    texts: dict[str, str]                 # "" (the plan), "kk", "ru" -> TOML text
    spec: PlanSpec | None = None
    problem: str = ""                     # what read_plan said, naming the file and the key
    problem_field: str = "plan_file"
    existing: Plan | None = None


def read_uploaded_plan(texts: dict[str, str]) -> UploadedPlan:
    """Check an uploaded plan file (and its .kk/.ru files) with the checks `load-content` makes."""
    upload = UploadedPlan({key: value for key, value in texts.items() if value})
    for key, text in upload.texts.items():
        if len(text.encode("utf-8")) > MAX_PLAN_FILE_BYTES:
            upload.problem = _("The file is larger than 512 KB.")
            upload.problem_field = {"kk": "kk_file", "ru": "ru_file"}.get(key, "plan_file")
            return upload
    try:
        slug = tomllib.loads(upload.texts.get("", "")).get("slug")
    except tomllib.TOMLDecodeError:
        slug = None
    if not isinstance(slug, str) or not SLUG.match(slug):
        slug = "uploaded-plan"            # read_plan then names what is wrong with the slug or the TOML
    names = {"": f"{slug}.toml", **{language: f"{slug}.{language}.toml" for language in TRANSLATION_LANGUAGES}}
    with content_files.scratch_folder() as folder:
        root = Path(folder) / "plans"
        content_files.write_files(root, {names[key]: text for key, text in upload.texts.items()})
        try:
            upload.spec = read_plan(root / names[""])
        except ContentError as error:
            upload.problem = content_error_text(error)
            language = Path(error.path).name.split(".")[-2] if Path(error.path).name.count(".") == 2 else ""
            upload.problem_field = {"kk": "kk_file", "ru": "ru_file"}.get(language, "plan_file")
            return upload
    upload.existing = db.session.execute(select(Plan).where(Plan.slug == upload.spec.slug)).scalar_one_or_none()
    if upload.existing is not None and upload.existing.closed:
        upload.problem = _("The plan year %(year)s is closed: it can no longer be changed.",
                           year=upload.existing.academic_year)
    elif upload.existing is not None:
        blocked = _blocked_changes(upload.existing, upload.spec)
        if blocked:
            upload.problem = " ".join(blocked.values())
    return upload


def load_uploaded_plan(texts: dict[str, str], *, actor: User, now: datetime) -> Plan:
    """Read the uploaded files again and load them (creating the plan or updating it in place)."""
    upload = read_uploaded_plan(texts)
    if upload.problem:
        raise PlanYearError({upload.problem_field: upload.problem})
    return _apply(upload.spec, action="uploaded", actor=actor, now=now)


# --- activities ---------------------------------------------------------------------------------

@dataclass
class ActivityChange:
    """What the activity editor sends: the activity's fields and its texts in each translation."""

    code: str
    section: int
    name: str
    population: str
    kind: str
    target_text: str = ""
    target_percent: float | None = None
    fed_by: str = ""
    responsible: list[str] = field(default_factory=list)
    term_text: str = ""
    form_of_completion: str = ""
    expected_result: str = ""
    translations: dict[str, dict] = field(default_factory=dict)   # language -> {name, target_text, term_text, responsible}


def responsible_list(text: str) -> list[str]:
    """The responsible units typed one per line (or separated by semicolons)."""
    return [part.strip() for part in re.split(r"[\n;]", text or "") if part.strip()]


def _check_change(plan: Plan, change: ActivityChange, original: Activity | None) -> dict[str, str]:
    problems = {}
    if not CODE.match(change.code or ""):
        problems["code"] = _("Use digits, letters and dots, such as 2.14.")
    elif change.code != getattr(original, "code", None) and any(
            a.code == change.code for a in plan.activities if a is not original):
        problems["code"] = _("Activity %(code)s is already in this plan.", code=change.code)
    if str(change.section) not in plan.sections:
        problems["section"] = _("Choose one of the plan's sections.")
    if not change.name.strip():
        problems["name"] = _("Name the activity.")
    if change.population not in POPULATIONS:
        problems["population"] = _("Choose students or employees.")
    if change.kind not in KINDS:
        problems["kind"] = _("Choose how the activity is measured.")
    problem = _fed_by_problem(plan, change, original)
    if problem:
        problems["fed_by"] = problem
    if change.target_percent is not None and not 0 < change.target_percent <= 100:
        problems["target_percent"] = _("A percentage above 0 and at most 100, or empty.")
    reading = read_term(change.term_text, plan.starts_on, plan.ends_on)
    if reading.problem:
        problems["term_text"] = reading.problem
    return problems


def _fed_by_problem(plan: Plan, change: ActivityChange, original: Activity | None) -> str:
    """What is wrong with the record that feeds a deliverable, or the list a register keeps (which it must name)."""
    if change.kind == REGISTER and change.fed_by not in REGISTER_LISTS:
        return _("Choose the list this register keeps.")
    if change.kind != REGISTER and change.fed_by in REGISTER_LISTS:
        return _("Only a register keeps a list: measure it as a register, or choose none.")
    if change.kind != REGISTER and change.fed_by and change.fed_by not in FEEDS:
        return _("Choose a record from the list, or none.")
    if change.kind not in (DELIVERABLE, REGISTER) and change.fed_by:
        return _("Only a deliverable is submitted by a record: measure it as a deliverable, or choose none.")
    other = next((a for a in plan.activities if change.fed_by and a.fed_by == change.fed_by and not a.retired
                  and a is not original), None)
    if other is not None and change.kind == REGISTER:
        return _("Activity %(code)s already keeps this list.", code=other.code)
    if other is not None:
        return _("This record already feeds activity %(code)s.", code=other.code)
    return ""


def save_activity(plan: Plan, original: Activity | None, change: ActivityChange, *, actor: User,
                  now: datetime) -> Activity:
    """Change one activity (or add one when `original` is None) through the plan's files.

    A term whose periods would move periods people already took part in is refused at the term."""
    _refuse_if_closed(plan)
    problems = _check_change(plan, change, original)
    if problems:
        raise PlanYearError(problems)
    top, translations = content_files.plan_tables(plan)
    entry = {"code": change.code, "section": change.section, "name": change.name.strip(),
             "population": change.population}
    if change.kind != REACH:
        entry["kind"] = change.kind
    if change.fed_by:
        entry["fed_by"] = change.fed_by
    entry.update({k: v for k, v in {
        "target": change.target_text.strip(), "target_percent": change.target_percent,
        "form_of_completion": change.form_of_completion.strip(), "expected_result": change.expected_result.strip(),
        "responsible": change.responsible, "term": change.term_text.strip()}.items() if v not in ("", None, [])})
    if original is not None and original.term_text.strip() == change.term_text.strip():
        kept = next((e for e in top["activities"] if e["code"] == original.code), {})
        if "periods" in kept:
            entry["periods"] = kept["periods"]      # periods the file gave explicitly stay as they were
    position = next((i for i, e in enumerate(top["activities"]) if original is not None and e["code"] == original.code),
                    None)
    if position is None:
        top["activities"].append(entry)
    else:
        top["activities"][position] = entry
    for language in TRANSLATION_LANGUAGES:
        table = translations.setdefault(language, {})
        given = table.setdefault("activities", {})
        if original is not None:
            given.pop(original.code, None)
        texts = change.translations.get(language) or {}
        written = {key: texts.get(name, "").strip() for name, key in content_files.PLAN_ACTIVITY_KEYS.items()
                   if (texts.get(name) or "").strip()}
        if texts.get("responsible"):
            written["responsible"] = list(texts["responsible"])
        if written:
            given[change.code] = written
        if not given:
            table.pop("activities")
        if not table:
            translations.pop(language)
    if original is not None and original.code != change.code:
        original.code = change.code         # renamed in place: what was counted stays with the activity
        db.session.flush()
    try:
        spec = _read_tables(top, translations)
    except ContentError as error:
        raise PlanYearError({"": content_error_text(error)}) from None
    try:
        plan = _apply(spec, action="activity_added" if original is None else "activity_changed", actor=actor,
                      now=now, details={"activity": change.code})
    except PlanYearError as error:
        raise PlanYearError({"term_text": " ".join(error.problems.values())}) from None
    return next(a for a in plan.activities if a.code == change.code)


# The activity's texts a translation carries, as the editor shows them side by side.
TRANSLATED_FIELDS = ("name", "target_text", "term_text", "responsible", "form_of_completion", "expected_result")
EDITOR_FIELDS = ("code", "section", "name", "population", "kind", "fed_by", "target_text", "target_percent", "responsible",
                 "term_text", "form_of_completion", "expected_result")


def fields_of(activity: Activity) -> dict[str, str]:
    """The editor's fields for an activity, as the form shows them (names `<field>` and `<field>-<language>`)."""
    fields = {"code": activity.code, "section": str(activity.section), "name": activity.name,
              "population": activity.population, "kind": activity.kind, "fed_by": activity.fed_by or "",
              "target_text": activity.target_text,
              "target_percent": "" if activity.target_percent is None else f"{activity.target_percent:g}",
              "responsible": "\n".join(activity.responsible or []), "term_text": activity.term_text,
              "form_of_completion": activity.form_of_completion, "expected_result": activity.expected_result}
    for language, texts in (activity.translations or {}).items():
        for name in TRANSLATED_FIELDS:
            value = texts.get(name)
            if value:
                fields[f"{name}-{language}"] = "\n".join(value) if isinstance(value, list) else value
    return fields


def fields_from(form) -> dict[str, str]:
    """The editor's fields from a submitted form, exactly as typed."""
    names = list(EDITOR_FIELDS) + [f"{name}-{language}" for name in TRANSLATED_FIELDS
                                   for language in TRANSLATION_LANGUAGES]
    return {name: form.get(name, "") for name in names}


def change_from(fields: dict[str, str]) -> tuple[ActivityChange, dict[str, str]]:
    """An ActivityChange from the editor's fields, and the fields that are not even of the right type."""
    problems = {}
    try:
        section = int(fields.get("section") or 0)
    except ValueError:
        section, problems["section"] = 0, _("Choose one of the plan's sections.")
    percent_text = (fields.get("target_percent") or "").strip().replace(",", ".").rstrip("%").strip()
    percent = None
    if percent_text:
        try:
            percent = float(percent_text)
        except ValueError:
            problems["target_percent"] = _("A percentage above 0 and at most 100, or empty.")
    translations = {}
    for language in TRANSLATION_LANGUAGES:
        texts = {name: (fields.get(f"{name}-{language}") or "").strip() for name in TRANSLATED_FIELDS}
        texts["responsible"] = responsible_list(texts["responsible"])
        translations[language] = {name: value for name, value in texts.items() if value}
    change = ActivityChange(
        code=(fields.get("code") or "").strip(), section=section, name=(fields.get("name") or "").strip(),
        population=fields.get("population") or "", kind=fields.get("kind") or "", fed_by=fields.get("fed_by") or "",
        target_text=(fields.get("target_text") or "").strip(), target_percent=percent,
        responsible=responsible_list(fields.get("responsible", "")), term_text=(fields.get("term_text") or "").strip(),
        form_of_completion=(fields.get("form_of_completion") or "").strip(),
        expected_result=(fields.get("expected_result") or "").strip(), translations=translations)
    return change, problems


def untranslated(fields: dict[str, str]) -> dict[str, list[str]]:
    """{language: the texts given in English but not in that language}: what the editor shows as still to translate."""
    return {language: [name for name in TRANSLATED_FIELDS
                       if (fields.get(name) or "").strip() and not (fields.get(f"{name}-{language}") or "").strip()]
            for language in TRANSLATION_LANGUAGES}


def headcounts_from(fields: dict[str, str], scopes: dict) -> tuple[dict[str, int], dict[str, str]]:
    """The headcounts typed for groups and units ({field: value}, empty fields left out), and the bad ones."""
    values, problems = {}, {}
    for key, text in fields.items():
        if key not in scopes or not text:
            continue
        if not text.isdigit() or int(text) > 100000:
            problems[key] = _("A whole number from 0 to 100000.")
        else:
            values[key] = int(text)
    return values, problems


def record_headcounts(plan: Plan, values: dict[str, int], scopes: dict, *, actor: User, now: datetime) -> None:
    """Record the year's official headcounts ({field: value} for the groups and units in `scopes`), in force from
    the plan's first day; the figures they change are written to the audit log (`plan.headcounts`)."""
    recorded: dict[str, dict[str, int]] = {"groups": {}, "units": {}}
    for key, value in values.items():
        scope = scopes[key]
        people.record_headcount(scope, value, plan.starts_on, actor)
        if isinstance(scope, Group):
            recorded["groups"][scope.code] = value
        else:
            recorded["units"][scope.name] = value
    audit.record("plan.headcounts", actor=actor, subject=f"plan:{plan.slug}", now=now,
                 payload={"from": plan.starts_on.isoformat(), **recorded})
    logger.info("plan %s: %d headcounts recorded by %s", plan.slug, len(values), actor.id)


def retire_activity(plan: Plan, activity: Activity, *, actor: User, now: datetime) -> None:
    """Retire an activity: it leaves the plan's pages and figures; what people did in it is kept."""
    _refuse_if_closed(plan)
    if activity.retired:
        return
    activity.retired = True
    db.session.flush()
    revision = record_revision("plan", plan.slug, origin=BROWSER, author=actor, now=now)
    audit.record("plan.activity_retired", actor=actor, subject=f"plan:{plan.slug}", now=now,
                 payload={"activity": activity.code, "revision": revision.number if revision else None})
    logger.info("plan %s activity %s retired by %s", plan.slug, activity.code, actor.id)


# --- the plan's own texts -----------------------------------------------------------------------

# The plan's texts a translation file carries (as `read_plan` reads them), and those it does not.
PLAN_TRANSLATED = ("title", "university", "approved_by")
PLAN_UNTRANSLATED = ("approved_on", "developer", "abbreviations")
NEW_SECTION = "new"
ABBREVIATION_LINE = re.compile(r"^(?P<short>[^=]+?)\s*=\s*(?P<full>.+)$")


@dataclass
class SectionChange:
    """One row of the sections' editor: the section it was (None for a new one) and what it becomes."""

    key: str                              # the row's field names: section-<key>-number, section-<key>-title…
    was: int | None
    number: int | None
    title: str = ""
    translations: dict[str, str] = field(default_factory=dict)   # language -> title
    retire: bool = False


@dataclass
class PlanTextsChange:
    """What the plan's texts editor sends: the plan's own texts, their translations and its sections."""

    title: str
    university: str
    approved_by: str = ""
    approved_on: date | None = None
    developer: str = ""
    abbreviations: dict[str, str] = field(default_factory=dict)
    translations: dict[str, dict[str, str]] = field(default_factory=dict)   # language -> {title, university, approved_by}
    sections: list[SectionChange] = field(default_factory=list)


def _section_field(key: str, name: str, language: str = "") -> str:
    return field_name(f"section-{key}-{name}", language)


def plan_text_fields(plan: Plan) -> dict[str, str]:
    """The plan texts editor's fields for a plan (names `<text>`, `<text>-<language>`, `section-<n>-<name>`)."""
    fields = {"title": plan.title, "university": plan.university, "approved_by": plan.approved_by or "",
              "approved_on": plan.approved_on.isoformat() if plan.approved_on else "", "developer": plan.developer or "",
              "abbreviations": "\n".join(f"{short} = {full}" for short, full in (plan.abbreviations or {}).items())}
    for language in TRANSLATION_LANGUAGES:
        given = (plan.translations or {}).get(language) or {}
        for name in PLAN_TRANSLATED:
            fields[f"{name}-{language}"] = given.get(name, "")
        for number in plan.sections:
            fields[_section_field(number, "title", language)] = (given.get("sections") or {}).get(number, "")
    for number, title in plan.sections.items():
        fields[_section_field(number, "number")] = number
        fields[_section_field(number, "title")] = title
    return fields


def plan_text_fields_from(form, plan: Plan) -> dict[str, str]:
    """The plan texts editor's fields from a submitted form, exactly as typed (a ticked retire box as "1")."""
    names = ["title", "university", "approved_by", "approved_on", "developer", "abbreviations"]
    names += [f"{name}-{language}" for name in PLAN_TRANSLATED for language in TRANSLATION_LANGUAGES]
    for key in [*plan.sections, NEW_SECTION]:
        names += [_section_field(key, "number"), _section_field(key, "title"), _section_field(key, "retire")]
        names += [_section_field(key, "title", language) for language in TRANSLATION_LANGUAGES]
    return {name: form.get(name, "") for name in names}


def section_rows(plan: Plan) -> list[str]:
    """The keys of the sections' editor rows: each section by its number as it is now, then the new one."""
    return sorted(plan.sections, key=int) + [NEW_SECTION]


def plan_texts_change_from(fields: dict[str, str], plan: Plan) -> tuple[PlanTextsChange, dict[str, str]]:
    """A PlanTextsChange from the editor's fields, and the fields that are not even of the right form."""
    problems = {}
    approved_on = None
    if (fields.get("approved_on") or "").strip():
        try:
            approved_on = date.fromisoformat(fields["approved_on"].strip())
        except ValueError:
            problems["approved_on"] = _("Give a date such as 2024-10-07, or leave it empty.")
    abbreviations = {}
    for line in (fields.get("abbreviations") or "").splitlines():
        if not line.strip():
            continue
        found = ABBREVIATION_LINE.match(line.strip())
        if found is None:
            problems["abbreviations"] = _("Write one abbreviation a line, such as ACS = Anti-corruption Compliance "
                                          "Service.")
            continue
        abbreviations[found["short"].strip()] = found["full"].strip()
    sections = []
    for key in section_rows(plan):
        number_text = (fields.get(_section_field(key, "number")) or "").strip()
        title = (fields.get(_section_field(key, "title")) or "").strip()
        texts = {language: (fields.get(_section_field(key, "title", language)) or "").strip()
                 for language in TRANSLATION_LANGUAGES}
        if key == NEW_SECTION and not number_text and not title and not any(texts.values()):
            continue                      # the empty row for a new section, left empty
        number = int(number_text) if number_text.isascii() and number_text.isdigit() else None
        if number is None or not 1 <= number <= 99:
            problems[_section_field(key, "number")] = _("A whole number from 1 to 99.")
        sections.append(SectionChange(key=key, was=None if key == NEW_SECTION else int(key), number=number,
                                      title=title, translations={k: v for k, v in texts.items() if v},
                                      retire=key != NEW_SECTION and bool(fields.get(_section_field(key, "retire")))))
    translations = {language: {name: (fields.get(f"{name}-{language}") or "").strip() for name in PLAN_TRANSLATED}
                    for language in TRANSLATION_LANGUAGES}
    change = PlanTextsChange(
        title=(fields.get("title") or "").strip(), university=(fields.get("university") or "").strip(),
        approved_by=(fields.get("approved_by") or "").strip(), approved_on=approved_on,
        developer=(fields.get("developer") or "").strip(), abbreviations=abbreviations,
        translations={language: {k: v for k, v in texts.items() if v} for language, texts in translations.items()},
        sections=sections)
    return change, problems


def check_plan_texts(plan: Plan, change: PlanTextsChange) -> dict[str, str]:
    """{field: message} for what is wrong with the change before the plan's reader sees it."""
    problems = {}
    if not change.title:
        problems["title"] = _("Give the plan's title.")
    if not change.university:
        problems["university"] = _("Name the university.")
    in_use = {}
    for activity in plan.activities:
        in_use.setdefault(activity.section, []).append(activity)
    numbers = {}
    for row in change.sections:
        if row.retire:
            used = [a for a in in_use.get(row.was, []) if not a.retired]
            if used:
                problems[_section_field(row.key, "retire")] = _(
                    "Section %(n)d still has activities (%(codes)s): move them to another section or retire them "
                    "first.", n=row.was, codes=", ".join(a.code for a in used))
            continue
        if not row.title:
            problems[_section_field(row.key, "title")] = _("Give the section's title.")
        if row.number is None or not 1 <= row.number <= 99:
            problems[_section_field(row.key, "number")] = _("A whole number from 1 to 99.")
        else:
            if row.number in numbers:
                problems[_section_field(row.key, "number")] = _("Section %(n)d is already in this plan.", n=row.number)
            numbers[row.number] = row
    if not numbers and not problems:
        problems[""] = _("A plan keeps at least one section.")
    return problems


def _problem_field(error: ContentError, rows: list[SectionChange]) -> str:
    """The editor's field a file door's error is about ("" when it is about none of them)."""
    name = Path(error.path).name
    language = name.split(".")[-2] if name.count(".") == 2 else ""
    key = error.key or ""
    found = re.match(r"^sections\[(\d+)\]\.(number|title)$", key)
    if found and not language and int(found[1]) < len(rows):
        return _section_field(rows[int(found[1])].key, found[2])
    found = re.match(r"^sections\.(\d+)$", key)
    if found and language:
        row = next((r for r in rows if str(r.number) == found[1]), None)
        return _section_field(row.key, "title", language) if row else ""
    if key in PLAN_TRANSLATED:
        return field_name(key, language)
    if key in PLAN_UNTRANSLATED and not language:
        return key
    return ""


def save_plan_texts(plan: Plan, change: PlanTextsChange, *, actor: User, now: datetime) -> Plan:
    """Change the plan's own texts (title, university, approval line, developer, abbreviations, their Kazakh
    and Russian texts) and its sections (titles, numbers, a new one, an empty one retired) through its files.

    A renumbered section takes its activities with it; a section still holding activities cannot be retired.
    Raises PlanYearError with a message per field and changes nothing."""
    _refuse_if_closed(plan)
    problems = check_plan_texts(plan, change)
    if problems:
        raise PlanYearError(problems)
    written, translations = content_files.plan_tables(plan)
    top = content_files.plan_header(plan, title=change.title, university=change.university,
                                    approved_by=change.approved_by, approved_on=change.approved_on,
                                    developer=change.developer, abbreviations=change.abbreviations)
    kept = sorted((row for row in change.sections if not row.retire), key=lambda row: row.number)
    top["sections"] = [{"number": row.number, "title": row.title} for row in kept]
    top["activities"] = written["activities"]
    moved = {row.was: row.number for row in kept if row.was is not None and row.was != row.number}
    for entry in top["activities"]:
        entry["section"] = moved.get(entry["section"], entry["section"])
    for language in TRANSLATION_LANGUAGES:
        table = {key: value for key, value in translations.get(language, {}).items()
                 if key not in (*PLAN_TRANSLATED, "sections")}
        table = {**{k: v for k, v in change.translations.get(language, {}).items() if k in PLAN_TRANSLATED}, **table}
        titles = {str(row.number): row.translations[language] for row in kept if row.translations.get(language)}
        if titles:
            table["sections"] = titles
        if table:
            translations[language] = table
        else:
            translations.pop(language, None)
    try:
        spec = _read_tables(top, translations)
    except ContentError as error:
        raise PlanYearError({_problem_field(error, kept): content_error_text(error)}) from None
    for activity in plan.activities:
        if activity.retired and activity.section in moved:
            activity.section = moved[activity.section]       # a retired activity moves with its section too
    details = {"sections_added": [row.number for row in kept if row.was is None],
               "sections_retired": [row.was for row in change.sections if row.retire],
               "sections_renumbered": {str(was): number for was, number in moved.items()}}
    return _apply(spec, action="texts_changed", actor=actor, now=now, details=details)


# --- closing a year -----------------------------------------------------------------------------

def _figure(figure) -> dict:
    kept = {"participants": figure.participants, "headcount": figure.headcount, "percent": figure.percent,
            "target": figure.target, "status": figure.status, "estimated": figure.estimated,
            "expected": figure.expected, "kind": figure.kind}
    if figure.measure is not None:
        kept["measure"] = {"done": figure.measure.done, "total": figure.measure.total,
                           "target_percent": figure.measure.target_percent, "met": figure.measure.met,
                           "link": figure.measure.link}
    return kept


def _scopes(data, *, groups: bool) -> list[dict]:
    """Each faculty's and staff unit's figures (and each group's) as plain values, by id and name."""
    def figures(row):
        return {a.code: _figure(row.figures[a.id]) for a in data.activities if a.id in row.figures}
    scopes = [{"scope": "faculty", "id": row.key[1], "name": row.name, "figures": figures(row)}
              for row in data.faculties]
    scopes += [{"scope": "unit", "id": row.key[1], "name": row.name, "figures": figures(row)} for row in data.units]
    if groups:
        scopes += [{"scope": "group", "id": row.key[1], "name": row.name, "faculty_id": data.faculty_of[row.key[1]],
                    "figures": figures(row)} for row in data.groups]
    return scopes


def kept_ranges(plan: Plan, as_of: date) -> list[tuple[date, date]]:
    """The date ranges whose figures are kept at closing: the year up to `as_of`, and each of its quarters
    (as the quarterly filings cut them) that has begun by then, cut to `as_of`."""
    ranges = [(plan.starts_on, as_of)]
    ranges += [(quarter.starts_on, min(quarter.ends_on, as_of)) for quarter in filing_quarters(plan)
               if quarter.starts_on <= as_of]
    return list(dict.fromkeys(ranges))


def coverage_snapshot(plan: Plan, as_of: date) -> dict:
    """The plan's coverage figures as they stand on `as_of`, kept as plain values.

    For each activity: the university's figure in each of its periods that has begun (each as of
    the period's last day, or `as_of` for one still running); for each faculty, staff unit and group
    the figures of the period holding `as_of`; the university's, faculties' and units' figures over
    the year and each quarter (`kept_ranges`); and the monthly series of the dashboard's chart.
    Coverage reads them back for a closed year (app/coverage/service.py, kept_coverage)."""
    final = coverage(plan, as_of)
    at = {as_of: final}
    activities = {}
    for activity in final.activities:
        periods = []
        for period in activity.periods:
            if period.starts_on > as_of:
                continue
            day = min(period.ends_on, as_of)
            if day not in at:
                at[day] = coverage(plan, day, with_groups=False)
            figure = at[day].university.figures[activity.id]
            periods.append({"number": period.number, "starts_on": period.starts_on.isoformat(),
                            "ends_on": period.ends_on.isoformat(), **_figure(figure)})
        activities[activity.code] = {"population": activity.population, "periods": periods,
                                     **_figure(final.university.figures[activity.id])}
    # A figure in its own terms ("3 of 8 divisions heard") is kept as it reads in each language.
    others = [a for a in final.activities if a.id in final.university.figures and final.university.figures[a.id].measure]
    for language in ("en", *TRANSLATION_LANGUAGES):
        with force_locale(language):
            for activity_id, measure in measures_for(others, as_of).items():
                code = next(a.code for a in others if a.id == activity_id)
                activities[code]["measure"].setdefault("texts", {})[language] = measure.text
    ranges = []
    for first, last in kept_ranges(plan, as_of):
        data = coverage(plan, last, date_from=first, date_to=last, with_groups=False)
        ranges.append({"from": first.isoformat(), "to": last.isoformat(),
                       "university": {a.code: _figure(data.university.figures[a.id]) for a in data.activities},
                       "scopes": _scopes(data, groups=False)})
    codes = {a.id: a.code for a in final.activities}
    series = {population: {codes[activity_id]: [[month.isoformat(), n] for month, n in points]
                           for activity_id, points in monthly_series(plan, population).items() if activity_id in codes}
              for population in POPULATIONS}
    return {"as_of": as_of.isoformat(), "activities": activities, "scopes": _scopes(final, groups=True),
            "ranges": ranges, "series": series, "headcount_dates": [d.isoformat() for d in final.headcount_dates]}


def close_plan(plan: Plan, *, actor: User, now: datetime) -> dict:
    """Close a plan year: keep its coverage figures as they stand (as of its last day, or today if earlier)
    and make it read-only — no edits, no file loads, no new participation."""
    _refuse_if_closed(plan)
    as_of = min(local_date(now), plan.ends_on)
    snapshot = coverage_snapshot(plan, as_of)
    plan.closed_figures = snapshot
    plan.closed_at = now
    plan.closed_by_id = actor.id
    db.session.flush()
    clear_coverage()                      # from now on every page shows the figures kept
    audit.record("plan.closed", actor=actor, subject=f"plan:{plan.slug}", now=now,
                 payload={"as_of": snapshot["as_of"], "activities": len(snapshot["activities"])})
    logger.info("plan %s closed by %s as of %s", plan.slug, actor.id, as_of)
    return snapshot
