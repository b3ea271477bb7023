"""The contest editor's rules: a contest's fields, its files, and publishing them through the contest loader.

A contest is edited as a flat set of fields (`title`, `title-kk`, `criterion-0-weight`,
`criterion-1-title-ru`, `place-1-prize-kk`…). Publishing writes `contests/<slug>.toml` and its
translations in a scratch folder and reads them back with `read_contest` — the file door's own
checks — before `apply_contest` stores them: one validation path, and a ContentError comes back
at the field it is about (`field_for`).

Once submissions have opened, jurors may be scoring against the rubric, so the rubric may no longer
change in a way that changes a score: criteria keep their keys, weights and scales, and the
normalisation stays. Their titles and descriptions (and every translation) may still be corrected.

The window's moments are typed and shown in the university's time (`local_input` / `from_local_input`);
the contest file, like every content file, holds them in UTC, so both doors store the same moment.
"""
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import tomli_w
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.audit import service as audit
from app.authoring import files as content_files
from app.authoring.languages import LANGUAGES, TRANSLATIONS, name
from app.authoring.models import BROWSER, ContentDraft, ContentRevision
from app.authoring.service import drop_draft, find_draft, keep_draft, record_revision
from app.contests.loader import SLUG, apply_contest, read_contest
from app.contests.models import KINDS, MAX_FILE_MB, Contest
from app.core.clock import local_date
from app.core.content import ContentError
from app.core.localize import from_local_input, local_input
from app.extensions import db
from app.people.models import User

TEXTS = ("title", "brief")
MOMENTS = ("submissions_open", "submissions_close", "judging_close")
INTEGERS = ("entries_per_person", "min_words", "max_words", "max_file_mb", "jurors_per_entry", "xp", "places")
CHOICES = {"kind": KINDS, "eligibility": ("students", "everyone"), "normalisation": ("none", "zscore"),
           "language": ("any", "kk", "ru", "en")}
SETTINGS = ("slug", "activity", *MOMENTS, "results_on", *INTEGERS, *CHOICES)
CRITERION_RULES = ("key", "weight", "scale")
CRITERION_TEXTS = ("title", "description")
FIELD = re.compile(r"^((title|brief)(-(kk|ru))?|criterion-\d{1,2}-(key|weight|scale|(title|description)(-(kk|ru))?)"
                   r"|place-\d{1,2}-prize(-(kk|ru))?|" + "|".join(SETTINGS) + ")$")
MOMENT_FORMAT = "%Y-%m-%dT%H:%M"


def criterion_name(index: int, part: str, language: str = "") -> str:
    return name(f"criterion-{index}-{part}", language)


def place_name(number: int, language: str = "") -> str:
    return name(f"place-{number}-prize", language)


def contest_by_slug(slug: str) -> Contest | None:
    return db.session.execute(select(Contest).where(Contest.slug == slug, Contest.retired.is_(False))).scalar()


def _number(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def fields_of(contest: Contest) -> dict[str, str]:
    """The editor's fields for a contest as published."""
    fields = {"slug": contest.slug, "kind": contest.kind, "title": contest.title, "brief": contest.brief,
              "activity": contest.activity_code or "", "eligibility": contest.eligibility,
              "language": contest.language, "normalisation": contest.normalisation,
              "results_on": contest.results_on.isoformat() if contest.results_on else "",
              "places": str(len(contest.places))}
    for moment in MOMENTS:
        fields[moment] = local_input(getattr(contest, moment))
    for number in ("entries_per_person", "min_words", "max_words", "max_file_mb", "jurors_per_entry", "xp"):
        fields[number] = str(getattr(contest, number))
    for index, criterion in enumerate(contest.criteria):
        for part in ("key", "title", "description"):
            fields[criterion_name(index, part)] = criterion.get(part, "")
        fields[criterion_name(index, "weight")] = _number(criterion["weight"])
        fields[criterion_name(index, "scale")] = str(criterion["scale"])
    for place in contest.places:
        fields[place_name(place["place"])] = place.get("prize", "")
    keys = [c["key"] for c in contest.criteria]
    for language, text in (contest.translations or {}).items():
        fields[name("title", language)] = text.get("title", "")
        fields[name("brief", language)] = text.get("brief", "")
        for key, texts in (text.get("criteria") or {}).items():
            if key in keys:
                for part in CRITERION_TEXTS:
                    fields[criterion_name(keys.index(key), part, language)] = texts.get(part, "")
        for number, prize in (text.get("places") or {}).items():
            fields[place_name(int(number), language)] = prize
    return fields


def new_fields(today: date) -> dict[str, str]:
    """A new contest's starting fields: an essay contest for students opening in a week (at 09:00 on the
    university's clock, as the form is typed), one criterion to fill in."""
    start = datetime(today.year, today.month, today.day, 9, 0)
    return {"kind": "essay", "eligibility": "students", "language": "any", "normalisation": "none",
            "entries_per_person": "1", "min_words": "0", "max_words": "0", "max_file_mb": str(MAX_FILE_MB),
            "jurors_per_entry": "3", "xp": "0",
            "places": "3", "submissions_open": (start + timedelta(days=7)).strftime(MOMENT_FORMAT),
            "submissions_close": (start + timedelta(days=37)).strftime(MOMENT_FORMAT),
            "judging_close": (start + timedelta(days=51)).strftime(MOMENT_FORMAT),
            criterion_name(0, "weight"): "1", criterion_name(0, "scale"): "10"}


def fields_from(form) -> dict[str, str]:
    """The editor's fields from a submitted form (anything else in it is ignored)."""
    return {key: form.get(key, "").replace("\r\n", "\n") for key in form if FIELD.match(key)}


def criterion_count(fields: dict[str, str]) -> int:
    """How many criterion rows the fields hold: every index up to the last one with a key, title or description."""
    used = [int(key.split("-")[1]) for key, value in fields.items()
            if key.startswith("criterion-") and key.split("-")[2] in ("key", "title", "description") and value.strip()]
    return max(used) + 1 if used else 0


def place_count(fields: dict[str, str]) -> int:
    """How many prize rows to show: the places awarded, or the last place with a prize if that is further."""
    try:
        awarded = int(fields.get("places", "0") or 0)
    except ValueError:
        awarded = 0
    written = [int(key.split("-")[1]) for key, value in fields.items()
               if key.startswith("place-") and value.strip()]
    return max([awarded, *written])


def translated(fields: dict[str, str], language: str) -> bool:
    """Whether the fields hold any text in `language` (an empty language is simply not written)."""
    return any(value.strip() for key, value in fields.items() if key.endswith(f"-{language}"))


def untranslated(fields: dict[str, str]) -> dict[str, list[str]]:
    """Per translation language, the text fields written in the original but empty in it."""
    texts = [key for key, value in fields.items() if value.strip() and (
        key in TEXTS or re.match(r"^criterion-\d+-(title|description)$", key) or re.match(r"^place-\d+-prize$", key))]
    return {language: sorted(key for key in texts if not fields.get(name(key, language), "").strip())
            for language in TRANSLATIONS}


# Fields -> files -----------------------------------------------------------------------------------

class ContestProblem(Exception):
    """Input the editor cannot publish: {field name: message}."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))


def _weight(text: str):
    value = float(text.replace(",", "."))
    return int(value) if value.is_integer() else value


def _criteria_rows(fields: dict[str, str]) -> list[int]:
    """The field indices of the criteria written (rows left wholly empty are not criteria)."""
    return [index for index in range(criterion_count(fields))
            if any(fields.get(criterion_name(index, part), "").strip() for part in ("key", "title", "description"))]


def contest_files(fields: dict[str, str], slug: str) -> dict[str, str]:
    """contests/<slug>.toml and a .kk.toml / .ru.toml for each language written, as `contest_files` writes them.

    Raises ContestProblem for input that cannot even be written (a word where a number goes).
    """
    problems: dict[str, str] = {}
    top = {"kind": fields.get("kind", ""), "title": fields.get("title", "").strip()}
    if fields.get("activity", "").strip():
        top["activity"] = fields["activity"].strip()
    top["brief"] = fields.get("brief", "").strip()
    for moment in MOMENTS:
        text = fields.get(moment, "").strip()
        if not text:
            problems[moment] = _l("Write a date and time such as 2025-10-15T09:00.")
            continue
        try:
            top[moment] = from_local_input(text)
        except ValueError:
            problems[moment] = _l("Write a date and time such as 2025-10-15T09:00.")
    if fields.get("results_on", "").strip():
        try:
            top["results_on"] = date.fromisoformat(fields["results_on"].strip())
        except ValueError:
            problems["results_on"] = _l("Write a date such as 2025-12-09.")
    for choice in ("eligibility", "language", "normalisation"):
        top[choice] = fields.get(choice, "")
    numbers = {}
    for number in INTEGERS:
        if number == "max_file_mb" and not fields.get(number, "").strip():
            continue                        # the loader's default: the platform's own limit
        try:
            numbers[number] = int(fields.get(number, "").strip() or "0")
        except ValueError:
            problems[number] = _l("Write a whole number.")
    top.update({k: v for k, v in numbers.items() if k != "places"})
    criteria = []
    for index in _criteria_rows(fields):
        entry = {"key": fields.get(criterion_name(index, "key"), "").strip(),
                 "title": fields.get(criterion_name(index, "title"), "").strip()}
        if fields.get(criterion_name(index, "description"), "").strip():
            entry["description"] = fields[criterion_name(index, "description")].strip()
        try:
            entry["weight"] = _weight(fields.get(criterion_name(index, "weight"), "").strip() or "1")
        except ValueError:
            problems[criterion_name(index, "weight")] = _l("Write a number greater than 0, such as 2 or 1.5.")
        try:
            entry["scale"] = int(fields.get(criterion_name(index, "scale"), "").strip())
        except ValueError:
            problems[criterion_name(index, "scale")] = _l("Write the highest number of points, such as 10.")
        criteria.append(entry)
    top["criteria"] = criteria
    awarded = numbers.get("places", 0)
    if awarded < 0:
        problems["places"] = _l("Write a whole number: 0 for no places, 3 for three.")
    for number in range(awarded + 1, place_count(fields) + 1) if awarded >= 0 else ():
        for language in LANGUAGES:
            if fields.get(place_name(number, language), "").strip():
                problems[place_name(number, language)] = _l(
                    "Only %(n)d places are awarded: raise the number of places or clear this prize.", n=awarded)
    if awarded > 0:
        top["places"] = [{"place": number, **({"prize": fields[place_name(number)].strip()}
                                              if fields.get(place_name(number), "").strip() else {})}
                         for number in range(1, awarded + 1)]
    if problems:
        raise ContestProblem(problems)
    files = {f"contests/{slug}.toml": tomli_w.dumps(top)}
    keys = {index: fields.get(criterion_name(index, "key"), "").strip() for index in _criteria_rows(fields)}
    for language in TRANSLATIONS:
        if not translated(fields, language):
            continue
        table = {"title": fields.get(name("title", language), "").strip()}
        if fields.get(name("brief", language), "").strip():
            table["brief"] = fields[name("brief", language)].strip()
        texts = {}
        for index, key in keys.items():
            title = fields.get(criterion_name(index, "title", language), "").strip()
            description = fields.get(criterion_name(index, "description", language), "").strip()
            if title or description:
                texts[key or f"criterion-{index + 1}"] = {"title": title, **({"description": description}
                                                                             if description else {})}
        if texts:
            table["criteria"] = texts
        prizes = {str(number): {"prize": fields[place_name(number, language)].strip()}
                  for number in range(1, awarded + 1) if fields.get(place_name(number, language), "").strip()}
        if prizes:
            table["places"] = prizes
        files[f"contests/{slug}.{language}.toml"] = tomli_w.dumps(table)
    return files


def field_for(error: ContentError, fields: dict[str, str]) -> str:
    """The editor field a contest loader's ContentError is about."""
    match = re.search(r"\.(kk|ru)\.toml$", error.path)
    language = match[1] if match else ""
    rows = _criteria_rows(fields)
    found = re.match(r"^criteria\[(\d+)\]\.(\w+)$", error.key)
    if found and int(found[1]) < len(rows):
        return criterion_name(rows[int(found[1])], found[2])
    found = re.match(r"^criteria\.([^.]+)(?:\.(\w+))?$", error.key)
    if found:
        keys = {fields.get(criterion_name(i, "key"), "").strip() or f"criterion-{i + 1}": i for i in rows}
        if found[1] in keys:
            return criterion_name(keys[found[1]], found[2] if found[2] in CRITERION_TEXTS else "title", language)
    found = re.match(r"^places(?:\[(\d+)\]|\.(\d+))", error.key)
    if found:
        return place_name(int(found[1]) + 1 if found[1] is not None else int(found[2]), language)
    if error.key in ("", "slug"):
        return "slug"
    if error.key in TEXTS:
        return name(error.key, language)
    if error.key == "activity" or error.key in SETTINGS or error.key in ("kind", "criteria", "places"):
        return error.key
    return name("title", language)


# Reading back, the rubric rule, publishing -------------------------------------------------------

def read_fields(fields: dict[str, str], slug: str) -> dict:
    """The contest loader's spec for `fields` (raises ContestProblem, at the field, for anything it refuses)."""
    if not SLUG.match(slug):
        raise ContestProblem({"slug": _l("Use lower-case words joined by hyphens, such as essay-2025-2026.")})
    files = contest_files(fields, slug)
    with content_files.scratch_folder() as scratch:
        content_files.write_files(Path(scratch), files)
        try:
            return read_contest(Path(scratch) / "contests" / f"{slug}.toml")
        except ContentError as error:
            raise ContestProblem({field_for(error, fields): error.problem}) from None


def rubric_locked(contest: Contest | None, now: datetime) -> bool:
    """Whether submissions have opened, so the rubric's scoring (keys, weights, scales, normalisation) is fixed."""
    return contest is not None and (contest.published_at is not None or now >= contest.submissions_open)


def rubric_changes(contest: Contest, spec: dict, fields: dict[str, str], now: datetime) -> dict[str, str]:
    """The changes to a contest's scoring that its opened submissions forbid, at their fields (empty: none).

    A juror's total is T = 100 · Σ w_c·v_c/S_c / Σ w_c over the criteria c, optionally normalised per
    juror: changing a key, a weight, a scale, the set of criteria or the normalisation changes T.
    """
    if not rubric_locked(contest, now):
        return {}
    if contest.published_at is not None and spec["criteria"] != contest.criteria:
        return {"criteria": _l("The results are published with this rubric: it can no longer change at all, "
                               "not even a title. Its translations may still be corrected.")}
    problems = {}
    before = {c["key"]: c for c in contest.criteria}
    rows = _criteria_rows(fields)
    explain = _l("Submissions opened on %(day)s: jurors score against this rubric, so its keys, weights and "
                 "scales stay as they are. Titles and descriptions may still be corrected.",
                 day=local_date(contest.submissions_open).isoformat())
    for index, criterion in zip(rows, spec["criteria"]):
        old = before.get(criterion["key"])
        if old is None:
            problems[criterion_name(index, "key")] = explain
        else:
            for part in ("weight", "scale"):
                if old[part] != criterion[part]:
                    problems[criterion_name(index, part)] = explain
    if set(before) - {c["key"] for c in spec["criteria"]}:      # a criterion taken out
        problems["criteria"] = explain
    if spec["normalisation"] != contest.normalisation:
        problems["normalisation"] = explain
    if spec["kind"] != contest.kind:
        problems["kind"] = _l("Submissions have opened: entries are already written for this kind of contest.")
    return problems


@dataclass
class Outcome:
    revision: ContentRevision | None = None
    problems: dict[str, str] = field(default_factory=dict)
    spec: dict | None = None


def check_contest(contest: Contest | None, fields: dict[str, str], *, now: datetime) -> Outcome:
    """Validate the fields as the loader and the rubric rule do, without storing anything (for preview)."""
    slug = contest.slug if contest else fields.get("slug", "").strip()
    if contest is None and db.session.execute(select(Contest.id).where(Contest.slug == slug)).first():
        return Outcome(problems={"slug": _l("Another contest already has this name.")})
    try:
        spec = read_fields(fields, slug)
    except ContestProblem as problem:
        return Outcome(problems=problem.problems)
    problems = rubric_changes(contest, spec, fields, now) if contest else {}
    return Outcome(problems=problems, spec=None if problems else spec)


def publish_contest(contest: Contest | None, fields: dict[str, str], *, author: User, now: datetime) -> Outcome:
    """Publish a new or edited contest through the contest loader; on bad input return the problems by field."""
    outcome = check_contest(contest, fields, now=now)
    if outcome.problems:
        return outcome
    spec = outcome.spec
    try:
        apply_contest(spec)
    except ContentError as error:
        return Outcome(problems={field_for(error, fields): error.problem})
    db.session.flush()
    revision = record_revision("contest", spec["slug"], origin=BROWSER, author=author, now=now)
    if revision is not None:
        audit.record("content.published", actor=author, subject=f"contest:{spec['slug']}",
                     payload={"revision": revision.number, "change": "new contest" if contest is None else "edited"},
                     now=now)
    discard_draft(contest.slug if contest else "", author)
    return Outcome(revision=revision, spec=spec)


def preview_contest(spec: dict) -> Contest:
    """A contest as the student's page shows it, built from the loader's spec and never stored."""
    return Contest(**{k: v for k, v in spec.items() if k not in ("digest",)}, retired=False)


# Drafts -------------------------------------------------------------------------------------------

def draft_key(slug: str, author: User) -> str:
    """A contest's draft is shared by its editors; a new contest's is its writer's own."""
    return slug or f"(new)/{author.id}"


def load_draft(slug: str, author: User) -> ContentDraft | None:
    return find_draft("contest", draft_key(slug, author))


def save_draft(slug: str, fields: dict[str, str], *, author: User, now: datetime) -> ContentDraft:
    """Keep what is being written, valid or not, until it is published or discarded."""
    return keep_draft("contest", draft_key(slug, author), fields, author=author, now=now)


def discard_draft(slug: str, author: User) -> None:
    drop_draft("contest", draft_key(slug, author))
