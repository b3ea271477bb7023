"""Load plans from TOML, and record who took part in which activity."""
import hashlib
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, select
from sqlalchemy.orm import contains_eager, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from app.core import events
from app.core.clock import day_start, local_date, utcnow
from app.core.content import (DUPLICATE, ContentError, TomlReader, is_translation_file, parse_toml,
                              read_translation_files)
from app.core.db_helpers import insert_ignoring_duplicates
from app.extensions import db
from app.people.models import STAFF, STUDENT
from app.plan.deliverables import sync_plan
from app.plan.models import (DELIVERABLE, EMPLOYEES, FEEDS, KINDS, POPULATIONS, REACH, REGISTER, REGISTER_LISTS, STUDENTS,
                              Activity, ActivityPeriod, Participation, Plan, SOURCES, register_list_without_fed_by)
from app.plan.terms import parse_term

logger = logging.getLogger(__name__)


# --- reading and validating a plan file ----------------------------------------

@dataclass
class ActivitySpec:
    code: str
    section: int
    name: str
    population: str
    target_text: str
    target_percent: float | None
    form_of_completion: str
    expected_result: str
    responsible: list[str]
    term_text: str
    periods: list[tuple[date, date]]
    translations: dict = field(default_factory=dict)   # {language: {name, target_text, …}}
    kind: str = REACH
    fed_by: str = ""          # the record that submits a deliverable's periods (FEEDS), a register's list (REGISTER_LISTS)


@dataclass
class PlanSpec:
    slug: str
    title: str
    university: str
    academic_year: str
    starts_on: date
    ends_on: date
    approved_by: str
    approved_on: date | None
    developer: str
    abbreviations: dict
    sections: dict
    activities: list[ActivitySpec]
    digest: str
    translations: dict = field(default_factory=dict)   # {language: {title, university, approved_by, sections}}


def read_plan(path: Path) -> PlanSpec:
    """Parse and validate one plan file and its translations beside it; raise ContentError on the first problem."""
    raw = path.read_bytes()
    tables, translated_raw = read_translation_files(path)
    data = parse_toml(path, raw)
    top = TomlReader(path, data)
    slug = top.text("slug")
    if slug != path.stem:
        raise ContentError(path, "slug", _l("must match the file name (%(name)s)", name=repr(path.stem)))
    starts_on, ends_on = top.day("starts_on"), top.day("ends_on")
    if ends_on <= starts_on:
        raise ContentError(path, "ends_on", _l("must be after %(key)s", key="starts_on"))

    sections = {}
    for index, section in enumerate(data.get("sections", [])):
        reader = TomlReader(path, section, f"sections[{index}].")
        sections[str(reader.integer("number"))] = reader.text("title")
    abbreviations = data.get("abbreviations", {})
    if not isinstance(abbreviations, dict) or not all(isinstance(v, str) for v in abbreviations.values()):
        raise ContentError(path, "abbreviations", _l("must be a table of text"))

    raw_activities = data.get("activities")
    if not isinstance(raw_activities, list) or not raw_activities:
        raise ContentError(path, "activities", _l("must list at least one %(table)s entry", table="[[activities]]"))
    activities, codes, feeds = [], set(), {}
    for index, item in enumerate(raw_activities):
        reader = TomlReader(path, item, f"activities[{index}].")
        code = reader.text("code")
        reader.prefix = f"activities[{index}] ({code})."
        if code in codes:
            raise ContentError(path, f"activities[{index}].code", _l("%(key)s appears twice", key=repr(code)),
                               code=DUPLICATE)
        codes.add(code)
        section = reader.integer("section")
        if str(section) not in sections:
            raise ContentError(path, reader.key_name("section"), _l("section %(number)s is not listed in %(table)s",
                                                                     number=section, table="[[sections]]"))
        population = reader.text("population")
        if population not in POPULATIONS:
            raise ContentError(path, reader.key_name("population"), _l("must be one of %(options)s",
                                                                       options=", ".join(POPULATIONS)))
        kind = item.get("kind", REACH)
        if kind not in KINDS:
            raise ContentError(path, reader.key_name("kind"), _l("must be one of %(options)s",
                                                                 options=", ".join(KINDS)))
        fed_by = _read_fed_by(path, reader, kind, code, feeds)
        percent = item.get("target_percent")
        if percent is not None and (isinstance(percent, bool) or not isinstance(percent, (int, float))
                                    or not 0 < percent <= 100):
            raise ContentError(path, reader.key_name("target_percent"), _l("must be a number above 0 and at most 100"))
        responsible = item.get("responsible", [])
        if not isinstance(responsible, list) or not all(isinstance(r, str) for r in responsible):
            raise ContentError(path, reader.key_name("responsible"), _l("must be a list of text"))
        term_text = reader.text("term", required=False)
        periods = _read_periods(path, reader, item.get("periods")) or parse_term(term_text, starts_on, ends_on)
        activities.append(ActivitySpec(
            code=code, section=section, name=reader.text("name"), population=population,
            target_text=reader.text("target", required=False),
            target_percent=float(percent) if percent is not None else None,
            form_of_completion=reader.text("form_of_completion", required=False),
            expected_result=reader.text("expected_result", required=False),
            responsible=[r.strip() for r in responsible if r.strip()],
            term_text=term_text, periods=periods, kind=kind, fed_by=fed_by,
        ))
    spec = PlanSpec(
        slug=slug, title=top.text("title"), university=top.text("university"),
        academic_year=top.text("academic_year"), starts_on=starts_on, ends_on=ends_on,
        approved_by=top.text("approved_by", required=False), approved_on=top.day("approved_on", required=False),
        developer=top.text("developer", required=False), abbreviations=abbreviations,
        sections=sections, activities=activities, digest=hashlib.sha256(raw + translated_raw).hexdigest(),
    )
    for language, table in tables.items():
        _read_translation(path, language, table, spec)
    return spec


def _read_fed_by(path, reader: TomlReader, kind: str, code: str, taken: dict[str, str]) -> str:
    """The record that feeds a deliverable, or the list a register keeps (`taken`: value -> the activity that has it).

    A register without `fed_by` (a file written before registers named their list) keeps the list
    `register_list_without_fed_by` gives, decided here once."""
    key = reader.key_name("fed_by")
    fed_by = reader.text("fed_by", required=False)
    if kind == REGISTER:
        if fed_by in FEEDS:
            raise ContentError(path, key, _l('only a kind = "deliverable" activity is fed by a record'))
        if fed_by and fed_by not in REGISTER_LISTS:
            raise ContentError(path, key, _l("must be one of %(options)s", options=", ".join(REGISTER_LISTS)))
        if not fed_by:
            fed_by = register_list_without_fed_by(code, reader.text("name"))
            if fed_by in taken:
                raise ContentError(path, key,
                                   _l("left out, it would be %(list)s, which activity %(code)s already keeps: "
                                      "name the list this register keeps", list=repr(fed_by), code=taken[fed_by]))
        if fed_by in taken:
            raise ContentError(path, key, _l("%(list)s is already kept by activity %(code)s", list=repr(fed_by),
                                          code=taken[fed_by]))
    elif fed_by:
        if fed_by in REGISTER_LISTS:
            raise ContentError(path, key, _l('only a kind = "register" activity keeps a list'))
        if fed_by not in FEEDS:
            raise ContentError(path, key, _l("must be one of %(options)s", options=", ".join(FEEDS)))
        if kind != DELIVERABLE:
            raise ContentError(path, key, _l('only a kind = "deliverable" activity is fed by a record'))
        if fed_by in taken:
            raise ContentError(path, key, _l("%(feed)s already feeds activity %(code)s",
                                             feed=repr(fed_by), code=taken[fed_by]))
    if fed_by:
        taken[fed_by] = code
    return fed_by


# What a plan's translation file may translate: the plan's own texts, and each activity's texts
# (keys as in the plan file, stored under the model's attribute names).
PLAN_TEXTS = ("title", "university", "approved_by")
ACTIVITY_TEXTS = {"name": "name", "target": "target_text", "form_of_completion": "form_of_completion",
                  "expected_result": "expected_result", "term": "term_text"}


def _read_translation(path: Path, language: str, table: dict, spec: PlanSpec) -> None:
    """Check `<slug>.<language>.toml` against the plan and attach its texts to the spec.

    A section or an activity the plan does not have is an error (the file names the wrong plan,
    or the plan changed under it); what a translation leaves out is shown in the original, and
    `load-content --check` reports it."""
    name = f"{path.stem}.{language}.toml"
    reader = TomlReader(name, table)
    plan_texts = {key: reader.text(key, required=False) for key in PLAN_TEXTS}
    sections = table.get("sections", {})
    if not isinstance(sections, dict) or not all(isinstance(v, str) for v in sections.values()):
        raise ContentError(name, "sections", _l("must be a table of text such as %(example)s", example='1 = "…"'))
    for number in sections:
        if number not in spec.sections:
            raise ContentError(name, f"sections.{number}", _l("there is no section %(number)s in %(file)s",
                                                              number=number,
                                                                        file=path.name))
    plan_texts["sections"] = {number: text.strip() for number, text in sections.items() if text.strip()}
    spec.translations[language] = {key: value for key, value in plan_texts.items() if value}
    given = table.get("activities", {})
    if not isinstance(given, dict) or not all(isinstance(v, dict) for v in given.values()):
        raise ContentError(name, "activities", _l("must be tables such as %(example)s", example='[activities."2.2"]'))
    by_code = {activity.code: activity for activity in spec.activities}
    for code, texts in given.items():
        activity = by_code.get(code)
        if activity is None:
            raise ContentError(name, f"activities.{code}", _l("there is no activity %(code)s in %(file)s",
                                                              code=repr(code),
                                                                          file=path.name))
        item = TomlReader(name, texts, f"activities.{code}.")
        unknown = set(texts) - set(ACTIVITY_TEXTS) - {"responsible"}
        if unknown:
            raise ContentError(name, item.key_name(sorted(unknown)[0]), _l("is not a text of a plan activity"))
        entry = {attribute: item.text(key, required=False) for key, attribute in ACTIVITY_TEXTS.items()}
        responsible = texts.get("responsible", [])
        if not isinstance(responsible, list) or not all(isinstance(r, str) for r in responsible):
            raise ContentError(name, item.key_name("responsible"), _l("must be a list of text"))
        entry["responsible"] = [r.strip() for r in responsible if r.strip()]
        activity.translations[language] = {key: value for key, value in entry.items() if value}


def _read_periods(path, reader: TomlReader, value) -> list[tuple[date, date]] | None:
    if value is None:
        return None
    key = reader.key_name("periods")
    if not isinstance(value, list) or not value:
        raise ContentError(path, key, _l("must be a list of %(pair)s date pairs", pair="[start, end]"))
    periods = []
    for pair in value:
        if (not isinstance(pair, list) or len(pair) != 2
                or not all(isinstance(d, date) and not isinstance(d, datetime) for d in pair)
                or pair[1] < pair[0]):
            raise ContentError(path, key, _l("each period must be %(pair)s dates with end not before start",
                                             pair="[start, end]"))
        periods.append((pair[0], pair[1]))
    return sorted(periods)


# --- writing a plan into the database -----------------------------------------

@dataclass
class LoadResult:
    slug: str
    created: int = 0
    updated: int = 0
    retired: int = 0
    unchanged: bool = False
    held: str = ""          # why the plan was left as it is (changed in the browser, or closed)


def apply_plan(spec: PlanSpec) -> LoadResult:
    """Create or update a plan and its activities in place; retire activities no longer in the file."""
    result = LoadResult(spec.slug)
    plan = db.session.execute(select(Plan).where(Plan.slug == spec.slug)).scalar_one_or_none()
    if plan is not None and plan.source_digest == spec.digest:
        result.unchanged = True
        return result
    if plan is None:
        plan = Plan(slug=spec.slug)
        db.session.add(plan)
    for name in ("title", "university", "academic_year", "starts_on", "ends_on", "approved_by",
                 "approved_on", "developer", "abbreviations", "sections", "translations"):
        setattr(plan, name, getattr(spec, name))
    plan.source_digest = spec.digest
    plan.loaded_at = utcnow()
    db.session.flush()

    existing = {a.code: a for a in db.session.execute(
        select(Activity).where(Activity.plan_id == plan.id)).scalars()}
    for position, item in enumerate(spec.activities):
        activity = existing.pop(item.code, None)
        if activity is None:
            activity = Activity(plan_id=plan.id, code=item.code)
            db.session.add(activity)
            result.created += 1
        else:
            result.updated += 1
        activity.position = position
        activity.retired = False
        for name in ("section", "name", "population", "kind", "fed_by", "target_text", "target_percent",
                     "form_of_completion", "expected_result", "responsible", "term_text", "translations"):
            setattr(activity, name, getattr(item, name))
        wanted = [(n, s, e) for n, (s, e) in enumerate(item.periods, start=1)]
        if [(p.number, p.starts_on, p.ends_on) for p in activity.periods] != wanted:
            activity.periods.clear()
            db.session.flush()
            activity.periods.extend(ActivityPeriod(number=n, starts_on=s, ends_on=e) for n, s, e in wanted)
    for activity in existing.values():
        if not activity.retired:
            activity.retired = True
            result.retired += 1
    db.session.flush()
    sync_plan(plan)        # the responsible units of each activity and a row for each deliverable period
    return result


def load_plans(folder: Path, guard=None) -> list[LoadResult]:
    """Load every plans/*.toml (with its translations) all-or-nothing: any broken file loads nothing and raises.

    A closed plan is never changed by its file; with a `guard` (load-content's FileDoor), neither is
    a plan last changed in the browser (unless the guard is forced)."""
    specs = [read_plan(path) for path in sorted(folder.glob("*.toml")) if not is_translation_file(path)]
    try:
        results = []
        for spec in specs:
            existing = db.session.execute(select(Plan).where(Plan.slug == spec.slug)).scalar_one_or_none()
            held = guard.holds("plan", spec.slug) if guard is not None else None
            if existing is not None and existing.closed and existing.source_digest != spec.digest:
                held = "not loaded: the plan year is closed"
            if held:
                results.append(LoadResult(spec.slug, held=held))
                continue
            result = apply_plan(spec)
            if guard is not None:
                guard.loaded("plan", spec.slug, changed=not result.unchanged)
            results.append(result)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    for result in results:
        logger.info("plan %s loaded: %s", result.slug, result)
    return results


# --- queries ------------------------------------------------------------------

def current_plan(today: date) -> Plan | None:
    """Return the plan whose academic year contains `today`; None when no plan covers that day.

    There is deliberately no fallback to the latest plan: what happens after a plan's year ends
    belongs to the next plan (or to none yet), never to the old one."""
    return db.session.execute(_covering(select(Plan), today)).scalars().first()


def current_plan_id(today: date):
    """`current_plan`'s id as a scalar subquery, for a statement that reads what belongs to it."""
    return _covering(select(Plan.id), today).correlate(None).scalar_subquery()


def _covering(query, today: date):
    return query.where(Plan.starts_on <= today, Plan.ends_on >= today).order_by(Plan.starts_on.desc()).limit(1)


def current_plan_among(plans: list[Plan], today: date) -> Plan | None:
    """`current_plan` chosen among plans already loaded (newest first), for a page that lists them all."""
    return next((plan for plan in sorted(plans, key=lambda p: p.starts_on, reverse=True)
                 if plan.starts_on <= today <= plan.ends_on), None)


def period_of(activity: Activity, as_of: date) -> ActivityPeriod | None:
    """The period that contains `as_of`, else the last one that began, else the first."""
    started = [p for p in activity.periods if p.starts_on <= as_of]
    for period in activity.periods:
        if period.starts_on <= as_of <= period.ends_on:
            return period
    return started[-1] if started else (activity.periods[0] if activity.periods else None)


def counts_for(plan: Plan, activity: Activity, as_of: date, date_from: date | None = None,
               date_to: date | None = None):
    """The one definition of "has taken part in this activity" as an SQL condition on Participation.

    A row counts when it is the activity's, dated inside the plan's academic year (days in the
    university's time zone; participation after the plan's end never counts toward it), and in
    the period that holds `as_of` — or, with `date_from`/`date_to`, on those days instead.
    Coverage, the students × activities matrix, "who still owes the integrity hour" and the
    quizzes' group page all count through this condition."""
    first = max(date_from or plan.starts_on, plan.starts_on)
    last = min(date_to or plan.ends_on, plan.ends_on)
    clauses = [Participation.activity_id == activity.id,
               Participation.occurred_at >= day_start(first),
               Participation.occurred_at < day_start(last + timedelta(days=1))]
    if not (date_from or date_to):
        period = period_of(activity, as_of)
        clauses.append(Participation.period == (period.number if period else 1))
    return and_(*clauses)


def took_part(plan: Plan, activity: Activity, as_of: date, user_ids) -> set[int]:
    """Which of these people have taken part in the activity in the period that holds `as_of`."""
    user_ids = list(user_ids)
    if not user_ids:
        return set()
    return set(db.session.execute(select(Participation.user_id).distinct().where(
        counts_for(plan, activity, as_of), Participation.user_id.in_(user_ids))).scalars())


def activities_in_section(plan: Plan, section: int) -> list[Activity]:
    """The plan's activities of one section still in use, in the plan's order (not the whole plan's), for a list
    of them: their periods are read only if asked for."""
    return list(db.session.execute(
        select(Activity).where(Activity.plan_id == plan.id, Activity.section == section, Activity.retired.is_(False))
        .order_by(Activity.position).options(lazyload(Activity.periods))).scalars())


def activity_at(moment: datetime, code: str) -> Activity | None:
    """The activity with this code in the plan of the university's calendar day at `moment` (None when no plan
    covers that day or it has no such activity), with its plan, in one statement; its periods are read only if
    asked for (recording a participation reads them; a quiz's pages and its start need only the activity's id
    and year)."""
    return db.session.execute(
        select(Activity).join(Activity.plan)
        .where(Activity.code == code, Plan.id == current_plan_id(local_date(moment)))
        .options(contains_eager(Activity.plan), lazyload(Activity.periods))
    ).scalar_one_or_none()


def activity_by_code(plan: Plan, code: str) -> Activity | None:
    """The plan's activity with this code, handed over with the plan: `activity.plan` reads no row again.

    (A plan nobody holds any more leaves the session's identity map, and the page that shows the activity's
    year would read it again.)"""
    activity = db.session.execute(
        select(Activity).where(Activity.plan_id == plan.id, Activity.code == code)
    ).scalar_one_or_none()
    if activity is not None:
        set_committed_value(activity, "plan", plan)
    return activity


# --- participation -------------------------------------------------------------

def belongs_to_population(user, population: str) -> bool:
    """Whether the person counts toward an activity of this population (students, or employees: staff)."""
    return (population == STUDENTS and user.has_role(STUDENT)) or (population == EMPLOYEES and user.has_role(STAFF))


def record_participation(user_id: int, activity: Activity, *, source: str, source_ref: str = "",
                         when: datetime | None = None, day_only: bool = False) -> bool:
    """Record that a person took part; return True only the first time (per activity and period).

    Safe under concurrency: the unique key (user, activity, period) and INSERT … ON CONFLICT
    DO NOTHING make a repeated or simultaneous call a no-op. Runs in the caller's transaction.
    `day_only` is for anonymous activities (the survey): both times are stored as midnight of the
    day, so the row cannot be matched against the moment of anything else; coverage by day and
    by period counts it all the same.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown participation source {source!r}")
    if activity.plan.closed:
        # A closed year is read-only: its figures stay as they were at closing.
        return False
    when = when or utcnow()
    recorded = utcnow()
    if day_only:
        when, recorded = datetime.combine(when.date(), time.min), datetime.combine(when.date(), time.min)
    values = dict(user_id=user_id, activity_id=activity.id, period=activity.period_number_for(when.date()),
                  occurred_at=when, source=source, source_ref=source_ref[:120], recorded_at=recorded)
    new = db.session.execute(insert_ignoring_duplicates(Participation, values)).scalar_one_or_none() is not None
    if new:
        events.announce(events.participation_recorded, "plan", user_id=user_id, activity_id=activity.id, source=source,
                        at=when)
    return new
