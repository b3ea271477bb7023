"""Coverage against the plan: who took part, out of the official headcount, against each target.

    coverage = distinct participants of the activity's population in the scope and period
               ÷ official headcount of that scope (as of the chosen date)

Counts come from aggregate SQL (GROUP BY activity and group or staff unit), never from a loop
over people; faculty and university figures add up group figures (a person belongs to one
group). Where a group has no official headcount, its registered people stand in, and the
figure is marked as such. Status, against the elapsed share of the period:
  met         — coverage ≥ target
  on track    — coverage ≥ target × elapsed share of the period
  behind      — below that
  not started — the period has begun and nobody has taken part yet
  upcoming    — the period has not begun
  no target   — the plan gives no percentage to measure
  not tracked — the activity is not measured in people (a deliverable, a share of divisions, a
                register): it is shown in its own terms, never as a percentage, and is never
                "behind" on coverage; when the feature that keeps it lends a figure
                (app/plan/measures.py: divisions heard, declarations submitted), the
                university's row shows that figure and its status against the target; a
                deliverable is behind when, and only when, a period is overdue, and one
                with a period in progress or submitted is never "not started"
"""
import functools
import math
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import joinedload

from app.core import events
from app.core.cache import cache
from app.core.clock import local_date
from app.core.localize import format_day, language
from app.extensions import db
from app.people.models import STAFF, STUDENT, Faculty, Group, Headcount, StaffUnit, User, UserRole, group_curators
from app.people.service import current_headcounts
from app.plan.measures import Measure, measures_for
from app.plan.models import DELIVERABLE, EMPLOYEES, REACH, REGISTER, STUDENTS, UNITS, Activity, ActivityPeriod, Participation, Plan
from app.plan.service import counts_for, current_plan_id, period_of  # noqa: F401  (period_of: coverage's readers use it)

MET, ON_TRACK, BEHIND, NOT_STARTED, UPCOMING, NO_TARGET, NOT_TRACKED = (
    "met", "on track", "behind", "not started", "upcoming", "no target", "not tracked")
STATUS_LABELS = {MET: _l("met"), ON_TRACK: _l("on track"), BEHIND: _l("behind"), NOT_STARTED: _l("not started"),
                 UPCOMING: _l("upcoming"), NO_TARGET: _l("no target"),
                 NOT_TRACKED: _l("planned, not yet tracked")}
KIND_LABELS = {REACH: lazy_pgettext("how a plan activity is measured", "reach"),
               DELIVERABLE: lazy_pgettext("how a plan activity is measured", "deliverable"),
               UNITS: lazy_pgettext("how a plan activity is measured", "share of structural divisions"),
               REGISTER: lazy_pgettext("how a plan activity is measured", "register")}
KIND_HINTS = {REACH: _l("distinct people over the headcount"),
              DELIVERABLE: _l("a document or report due by its term"),
              UNITS: _l("structural divisions heard, not people"),
              REGISTER: _l("a maintained list")}


INTEGRITY_HOUR = "2.2"   # the plan's code for the integrity hour, which a group page follows by name


def status_label(status: str) -> str:
    """The status in the reader's language (one catalogue look-up per figure shown)."""
    return str(STATUS_LABELS[status])


def kind_label(kind: str) -> str:
    """How an activity is measured, in the reader's language."""
    return str(KIND_LABELS[kind])


def kind_hint(kind: str) -> str:
    return str(KIND_HINTS[kind])


@dataclass
class Figure:
    """One activity in one scope: participants over headcount, against the target."""

    participants: int
    headcount: int
    target: float | None
    status: str
    estimated: bool = False        # True when some headcount stood in from registered people
    expected: float | None = None  # the share the elapsed time calls for, in percent
    kind: str = REACH              # an activity of another kind has no coverage: no percent, no target
    measure: Measure | None = None  # the figure of an activity of another kind, in its own terms (university only)

    @property
    def percent(self) -> float | None:
        if self.kind != REACH:
            return None
        return round(100 * self.participants / self.headcount, 1) if self.headcount else None

    @property
    def needed(self) -> int:
        """How many more people the target needs (0 when met or without a target)."""
        if self.kind != REACH or self.target is None or not self.headcount:
            return 0
        return max(0, math.ceil(self.target * self.headcount / 100 - 1e-9) - self.participants)


@dataclass
class ScopeRow:
    key: tuple            # ("group", id) / ("faculty", id) / ("unit", id) / ("university", 0)
    name: str
    figures: dict[int, Figure] = field(default_factory=dict)   # activity id -> figure


def timing(period: ActivityPeriod | None, as_of: date) -> tuple[bool, float]:
    """(has the period not begun yet, the share of it that has elapsed by `as_of`)."""
    if period is None or as_of >= period.ends_on:
        return False, 1.0
    if as_of < period.starts_on:
        return True, 0.0
    span = (period.ends_on - period.starts_on).days or 1
    return False, min(1.0, max(0.0, (as_of - period.starts_on).days / span))


def status_from(participants: int, headcount: int, target: float | None, upcoming: bool,
                elapsed: float) -> tuple[str, float | None]:
    """Return (status, expected percent) for a figure; see the module's docstring."""
    if target is None:
        return NO_TARGET, None
    if upcoming:
        return UPCOMING, 0.0
    percent = 100 * participants / headcount if headcount else 0.0
    expected = round(target * elapsed, 1)
    if percent >= target - 1e-9:
        return MET, expected
    if participants == 0:
        return NOT_STARTED, expected
    return (ON_TRACK if percent >= expected - 1e-9 else BEHIND), expected


def status_of(participants: int, headcount: int, target: float | None, period: ActivityPeriod | None,
              as_of: date) -> tuple[str, float | None]:
    """Return (status, expected percent) for one figure of an activity in `period`."""
    return status_from(participants, headcount, target, *timing(period, as_of))


def _activities(plan: Plan, population: str | None, *, reach_only: bool = False) -> list[Activity]:
    query = select(Activity).where(Activity.plan_id == plan.id, Activity.retired.is_(False)).order_by(Activity.position)
    if population:
        query = query.where(Activity.population == population)
    if reach_only:
        query = query.where(Activity.kind == REACH)
    return db.session.execute(query).scalars().all()


def _participants_by(plan, activities, unit_column, as_of, date_from, date_to) -> dict[tuple[int, int], int]:
    """{(activity id, group or unit id): distinct participants}, one query for all activities."""
    counts: dict[tuple[int, int], int] = {}
    conditions = [counts_for(plan, a, as_of, date_from, date_to) for a in activities]
    if not conditions:
        return counts
    rows = db.session.execute(
        select(Participation.activity_id, unit_column, func.count(func.distinct(Participation.user_id)))
        .join(User, User.id == Participation.user_id)
        .where(or_(*conditions), unit_column.is_not(None))
        .group_by(Participation.activity_id, unit_column)).all()
    return {(activity_id, unit_id): count for activity_id, unit_id, count in rows}


def _registered(role: str, unit_column) -> dict[int, int]:
    return dict(db.session.execute(
        select(unit_column, func.count()).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == role, User.active.is_(True), unit_column.is_not(None))
        .group_by(unit_column)).all())


@dataclass
class Coverage:
    plan: Plan
    as_of: date
    activities: list[Activity]
    university: ScopeRow
    faculties: list[ScopeRow]
    groups: list[ScopeRow]        # with their faculty id in `faculty_of`
    units: list[ScopeRow]
    faculty_of: dict[int, int]
    headcount_dates: list[date]
    # A closed year: `kept_on` is the day it was closed when these are the figures kept then (as of
    # `as_of`); `afresh` is True when the question (a date range) is one the kept figures do not answer.
    kept_on: date | None = None
    afresh: bool = False

    def periods(self) -> dict[int, ActivityPeriod | None]:
        return {a.id: period_of(a, self.as_of) for a in self.activities}


CACHE_SECONDS = 60


def clear_coverage() -> None:
    """The one invalidation point for cached coverage: new participation, headcounts or people."""
    cache().bump("coverage")


@events.participation_recorded.connect
@events.people_changed.connect
@events.plan_measure_changed.connect
def _coverage_changed(_sender, **_data) -> None:
    """New participation, people or headcounts change coverage: drop what was cached."""
    clear_coverage()


def _tables(plan: Plan, activities, as_of: date, date_from, date_to) -> dict:
    """Every scope's participants and headcount per activity: the finished sums, cached.

    Computed once per (plan, date, range) by a fixed number of aggregate queries and kept until
    `clear_coverage()` or CACHE_SECONDS pass; a request then only reads the scopes it shows.
    Keys are strings so that the value is the same in process memory and in Redis (JSON):
      groups:     {group id: [faculty id, headcount, estimated, {activity id: participants}]}
      units:      {unit id: [headcount, estimated, {activity id: participants}]}
      faculties:  {faculty id: {activity id: [participants, headcount, estimated]}}
      university: {activity id: [participants, headcount, estimated]}
      dates:      the effective dates of the official headcounts in force
    """
    def compute():
        # Only reach activities are counted in people; the others have no participants to sum.
        students = [a for a in activities if a.population == STUDENTS and a.kind == REACH]
        employees = [a for a in activities if a.population == EMPLOYEES and a.kind == REACH]
        official = current_headcounts(as_of)
        registered_students = _registered(STUDENT, User.group_id)
        registered_staff = _registered(STAFF, User.staff_unit_id)
        by_group = _participants_by(plan, students, User.group_id, as_of, date_from, date_to)
        by_unit = _participants_by(plan, employees, User.staff_unit_id, as_of, date_from, date_to)

        def headcount_of(kind, scope_id, registered):
            value = official.get((kind, scope_id))
            return (value[0], False) if value else (registered.get(scope_id, 0), True)

        groups, faculties, university = {}, {}, {}

        def add(totals, activity_id, participants, headcount, estimated):
            p, h, e = totals.get(str(activity_id), (0, 0, False))
            totals[str(activity_id)] = [p + participants, h + headcount, e or estimated]

        for group_id, faculty_id in db.session.execute(select(Group.id, Group.faculty_id)):
            headcount, estimated = headcount_of("group", group_id, registered_students)
            counts = {str(a.id): by_group[(a.id, group_id)] for a in students if (a.id, group_id) in by_group}
            groups[str(group_id)] = [faculty_id, headcount, estimated, counts]
            for activity in students:
                count = counts.get(str(activity.id), 0)
                add(faculties.setdefault(str(faculty_id), {}), activity.id, count, headcount, estimated)
                add(university, activity.id, count, headcount, estimated)
        units = {}
        for (unit_id,) in db.session.execute(select(StaffUnit.id)):
            headcount, estimated = headcount_of("unit", unit_id, registered_staff)
            counts = {str(a.id): by_unit[(a.id, unit_id)] for a in employees if (a.id, unit_id) in by_unit}
            units[str(unit_id)] = [headcount, estimated, counts]
            for activity in employees:
                add(university, activity.id, counts.get(str(activity.id), 0), headcount, estimated)
        dates = sorted({effective.isoformat() for (_value, effective) in official.values()})
        return {"groups": groups, "units": units, "faculties": faculties, "university": university, "dates": dates}

    key = f"{plan.id}:{as_of}:{date_from}:{date_to}"
    return cache().get_or_compute("coverage", key, compute, ttl=CACHE_SECONDS)


def coverage(plan: Plan, as_of: date, *, date_from: date | None = None, date_to: date | None = None,
             group_ids: set[int] | None = None, with_groups: bool = True) -> Coverage:
    """Every activity of the plan for the university, each faculty, group and staff unit.

    A fixed number of queries, whatever the number of people. With `group_ids`, only those groups
    and their faculties are returned (faculty and university figures are always the whole
    university's); with `with_groups=False`, no group rows are built at all.

    A closed year answers with the figures kept when it was closed (as of the day they were kept,
    whatever `as_of` is asked), never with figures computed afresh; only a date range the kept
    figures do not hold is computed, and marked `afresh`.
    """
    if plan.closed:
        kept = kept_coverage(plan, date_from=date_from, date_to=date_to, group_ids=group_ids, with_groups=with_groups)
        if kept is not None:
            return kept
    activities = _activities(plan, None)
    student_activities = [a for a in activities if a.population == STUDENTS]
    employee_activities = [a for a in activities if a.population == EMPLOYEES]
    tables = _tables(plan, activities, as_of, date_from, date_to)
    # Read every activity's attributes once: the loops below run for every scope and activity.
    facts = {a.id: (str(a.id), a.target_percent, *timing(period_of(a, as_of), as_of)) for a in activities}
    other_kinds = {a.id: a.kind for a in activities if a.kind != REACH}

    def figure(activity, participants, headcount, estimated):
        if activity.id in other_kinds:
            return Figure(0, 0, None, NOT_TRACKED, kind=other_kinds[activity.id])
        _key, target, upcoming, elapsed = facts[activity.id]
        status, expected = status_from(participants, headcount, target, upcoming, elapsed)
        return Figure(participants, headcount, target, status, estimated, expected)

    group_rows, faculty_of = [], {}
    if with_groups:
        query = select(Group.id, Group.code, Group.faculty_id).order_by(Group.code)
        if group_ids is not None:
            query = query.where(Group.id.in_(group_ids)) if group_ids else query.where(False)
        for group_id, code, faculty_id in db.session.execute(query):
            faculty_of[group_id] = faculty_id
            _faculty, headcount, estimated, counts = tables["groups"].get(str(group_id), (faculty_id, 0, True, {}))
            row = ScopeRow(("group", group_id), code)
            for activity in student_activities:
                row.figures[activity.id] = figure(activity, counts.get(facts[activity.id][0], 0), headcount, estimated)
            group_rows.append(row)
    elif group_ids is not None and group_ids:
        faculty_of = dict(db.session.execute(select(Group.id, Group.faculty_id).where(Group.id.in_(group_ids))).all())
    shown_faculties = set(faculty_of.values()) if group_ids is not None else None
    faculty_rows = []
    for faculty_id, name in db.session.execute(select(Faculty.id, Faculty.name).order_by(Faculty.name)):
        totals = tables["faculties"].get(str(faculty_id))
        if totals is None or (shown_faculties is not None and faculty_id not in shown_faculties):
            continue
        row = ScopeRow(("faculty", faculty_id), name)
        for activity in student_activities:
            row.figures[activity.id] = figure(activity, *totals.get(facts[activity.id][0], (0, 0, False)))
        faculty_rows.append(row)
    unit_rows = []
    for unit_id, name in db.session.execute(select(StaffUnit.id, StaffUnit.name).order_by(StaffUnit.name)):
        headcount, estimated, counts = tables["units"].get(str(unit_id), (0, True, {}))
        row = ScopeRow(("unit", unit_id), name)
        for activity in employee_activities:
            row.figures[activity.id] = figure(activity, counts.get(facts[activity.id][0], 0), headcount, estimated)
        unit_rows.append(row)
    university = ScopeRow(("university", 0), plan.university)
    for activity in activities:
        university.figures[activity.id] = figure(activity, *tables["university"].get(facts[activity.id][0], (0, 0, False)))
    # Activities of other kinds are measured by the features that keep them (app/plan/measures.py).
    for activity_id, measure in measures_for([a for a in activities if a.id in other_kinds], as_of).items():
        university.figures[activity_id] = measured_figure(activity_id, other_kinds[activity_id], measure,
                                                          facts[activity_id][2:])
    return Coverage(plan, as_of, activities, university, faculty_rows, group_rows, unit_rows, faculty_of,
                    [date.fromisoformat(d) for d in tables["dates"]], afresh=plan.closed)


# The coverage table's columns (the CSV and XLSX exports): every scope × activity figure, and whether the
# figures were counted now or kept when the plan year was closed (and as of which day). An activity not
# counted in people has its figure in its own terms in the last three (periods accepted, divisions heard,
# declarations submitted: done, of total, and as it reads), on the university's row.
TABLE_HEADER = ["scope", "name", "activity", "population", "kind", "participants", "headcount", "headcount_estimated",
                "coverage_percent", "target_percent", "status", "needed", "figures", "figures_as_of",
                "measure_done", "measure_total", "measure"]


def table_rows(data: Coverage):
    """The rows of the coverage table, one per scope and activity."""
    figures = "kept" if data.kept_on else "computed"
    for row in [data.university] + data.faculties + data.groups + data.units:
        for activity in data.activities:
            figure = row.figures.get(activity.id)
            if figure is not None:
                measure = figure.measure
                yield [row.key[0], row.name, activity.code, activity.population, activity.kind, figure.participants,
                       figure.headcount, "yes" if figure.estimated else "no", figure.percent, figure.target,
                       figure.status, figure.needed, figures, data.as_of.isoformat(),
                       *((measure.done, measure.total, measure.text) if measure else (None, None, ""))]


# --- a closed year: the figures kept when it was closed ------------------------------------------

def kept_as_of(plan: Plan, as_of: date) -> date:
    """The day to show a plan's figures as of: a closed year's kept day, else `as_of` as asked."""
    kept = plan.kept_figures() if plan.closed else None
    return kept["as_of"] if kept else as_of


def closed_on(plan: Plan) -> date | None:
    """The university's calendar day the plan year was closed on (None while it is open)."""
    return local_date(plan.closed_at) if plan.closed_at else None


def closed_note(plan: Plan, data: "Coverage | None" = None) -> str:
    """What a page or a document says about a closed year's figures ("" for an open year)."""
    if not plan.closed:
        return ""
    afresh = data.afresh if data is not None else "ranges" not in (plan.closed_figures or {})
    if afresh:
        return _("The plan year %(year)s was closed on %(date)s. The figures kept then do not cover this choice of "
                 "dates, so these are computed afresh from what is recorded.", year=plan.academic_year,
                 date=format_day(closed_on(plan)))
    return _("Closed on %(date)s; figures as of then (%(as_of)s).", date=format_day(closed_on(plan)),
             as_of=format_day(kept_as_of(plan, plan.ends_on)))


def _kept_figure(values: dict) -> Figure:
    measure = values.get("measure")
    if measure:
        measure = Measure(done=measure["done"], total=measure["total"], target_percent=measure.get("target_percent"),
                          met=measure.get("met"), link=measure.get("link", ""),
                          text=measure.get("texts", {}).get(language())
                          or _("%(done)d of %(total)d", done=measure["done"], total=measure["total"]))
    return Figure(values["participants"], values["headcount"], values["target"], values["status"],
                  values.get("estimated", False), values.get("expected"), kind=values.get("kind", REACH),
                  measure=measure)


def kept_coverage(plan: Plan, *, date_from: date | None = None, date_to: date | None = None,
                  group_ids: set[int] | None = None, with_groups: bool = True) -> Coverage | None:
    """A closed year's Coverage from the figures kept at closing (the plan's `kept_figures`), or None when
    they do not answer the question: a date range not kept (the year and its quarters are), groups for a
    range, a group not kept, or figures kept before groups and ranges were."""
    kept = plan.kept_figures()
    if not kept or "ranges" not in kept:
        return None
    as_of = kept["as_of"]
    activities = [a for a in _activities(plan, None) if a.code in kept["activities"]]
    wanted_groups = with_groups and (group_ids is None or bool(group_ids))
    if date_from or date_to:
        first = max(date_from or plan.starts_on, plan.starts_on).isoformat()
        last = min(date_to or plan.ends_on, plan.ends_on, as_of).isoformat()
        found = next((r for r in kept["ranges"] if (r["from"], r["to"]) == (first, last)), None)
        if found is None or wanted_groups:
            return None
        university_figures, scopes = found["university"], found["scopes"]
    else:
        university_figures = {code: figure for code, figure in kept["activities"].items()}
        scopes = kept["scopes"]
    kept_groups = {scope["id"]: scope for scope in scopes if scope["scope"] == "group"}
    if wanted_groups and (not kept_groups or (group_ids and not set(group_ids) <= set(kept_groups))):
        return None

    def row_of(key, name, figures):
        row = ScopeRow(key, name)
        for activity in activities:
            if activity.code in figures:
                row.figures[activity.id] = _kept_figure(figures[activity.code])
        return row

    group_rows, faculty_of = [], {}
    chosen = sorted(kept_groups.values(), key=lambda scope: scope["name"])
    if group_ids is not None:
        chosen = [scope for scope in chosen if scope["id"] in group_ids]
        faculty_of = {scope["id"]: scope["faculty_id"] for scope in chosen}
    if wanted_groups:
        group_rows = [row_of(("group", scope["id"]), scope["name"], scope["figures"]) for scope in chosen]
        faculty_of = {scope["id"]: scope["faculty_id"] for scope in chosen}
    shown_faculties = set(faculty_of.values()) if group_ids is not None else None
    faculty_rows = [row_of(("faculty", scope["id"]), scope["name"], scope["figures"]) for scope in scopes
                    if scope["scope"] == "faculty" and (shown_faculties is None or scope["id"] in shown_faculties)]
    unit_rows = [row_of(("unit", scope["id"]), scope["name"], scope["figures"]) for scope in scopes
                 if scope["scope"] == "unit"]
    university = row_of(("university", 0), plan.university, university_figures)
    return Coverage(plan, as_of, activities, university, faculty_rows, group_rows, unit_rows, faculty_of,
                    [date.fromisoformat(d) for d in kept.get("headcount_dates", [])], kept_on=closed_on(plan))


def measured_figure(activity_id: int, kind: str, measure: Measure, timing_facts) -> Figure:
    """The university's figure of an activity measured in its own terms: status against its target, if it has one."""
    upcoming, elapsed = timing_facts
    if measure.target_percent is None:
        return Figure(0, 0, None, NO_TARGET, kind=kind, measure=measure)
    status, expected = status_from(measure.done, measure.total, measure.target_percent, upcoming, elapsed)
    if kind == DELIVERABLE and status != MET:
        # A deliverable is late by its overdue periods (past their end, not submitted), not by the share of the
        # year gone by: a month submitted and waiting for the ACS to accept it is not behind.
        if measure.late:
            status = BEHIND
        elif status == BEHIND or (status == NOT_STARTED and measure.begun):
            status = ON_TRACK
    return Figure(0, 0, None, status, kind=kind, expected=expected, measure=measure)


def curated_group_ids(user_id: int) -> list[int]:
    """The groups a curator follows, by id (the dashboard reads their names from the cached figures)."""
    return sorted(db.session.execute(select(group_curators.c.group_id).where(
        group_curators.c.user_id == user_id)).scalars())


def without_account(row: ScopeRow, registered: int) -> int:
    """How many of a group's official headcount have no account yet (0 when no official figure is recorded)."""
    figure = next(iter(row.figures.values()), None)
    if figure is None or figure.estimated:
        return 0
    return max(0, figure.headcount - registered)


def group_met_current_targets(group_id: int, today: date, activity_ids: set[int]) -> set[int]:
    """Which of these student activities (of the plan current on `today`, see `current_plan`) has this one group
    brought to its target in the current period? Scoped to the group, whatever the size of the university: the plan
    is found in the statement that reads the activities with their periods (built once), and the participants
    with the headcount in one more."""
    activities = db.session.execute(_current_targeted(), {"activity_ids": sorted(activity_ids), "today": today}
                                    ).unique().scalars().all()
    if not activities:
        return set()
    return _met_by_group(group_id, min(today, activities[0].plan.ends_on), activities)


def _targeted():
    """These (`activity_ids`) of the student activities measured by reach that have a target."""
    return select(Activity).where(Activity.id.in_(bindparam("activity_ids", expanding=True)),
                                  Activity.retired.is_(False), Activity.population == STUDENTS,
                                  Activity.kind == REACH, Activity.target_percent > 0)


@functools.cache
def _current_targeted():
    # Built at the first use, once every model is mapped: every XP event of someone who took part runs it.
    return (_targeted().where(Activity.plan_id == current_plan_id(bindparam("today")))
            .options(joinedload(Activity.plan), joinedload(Activity.periods)))


def _met_by_group(group_id: int, as_of: date, activities: list[Activity]) -> set[int]:
    """Which of these activities (of one plan) the group has brought to its target, in one statement.

    The group's official headcount on `as_of`, else its active students, is read in the same statement as
    its participants: a target is met when 100 × participants / headcount ≥ target (no headcount: none is).
    """
    if not activities:
        return set()
    plan = activities[0].plan
    official = (select(Headcount.value).where(Headcount.group_id == group_id, Headcount.effective_from <= as_of)
                .order_by(Headcount.effective_from.desc(), Headcount.id.desc()).limit(1).correlate(None).scalar_subquery())
    registered = (select(func.count()).select_from(User).join(UserRole, UserRole.user_id == User.id)
                  .where(User.group_id == group_id, UserRole.role == STUDENT, User.active.is_(True))
                  .correlate(None).scalar_subquery())
    conditions = [counts_for(plan, a, as_of) for a in activities]
    rows = db.session.execute(
        select(Participation.activity_id, func.count(func.distinct(Participation.user_id)),
               func.coalesce(official, registered))
        .join(User, User.id == Participation.user_id)
        .where(User.group_id == group_id, or_(*conditions)).group_by(Participation.activity_id)).all()
    targets = {a.id: a.target_percent for a in activities}
    return {activity_id for activity_id, count, headcount in rows
            if headcount and 100 * count / headcount >= targets[activity_id] - 1e-9}


def students_matrix(group: Group, plan: Plan, as_of: date) -> tuple[list[User], list[Activity], set[tuple[int, int]]]:
    """The group's students × the plan's student activities: which pairs are done (this period)."""
    students = db.session.execute(select(User).join(UserRole, UserRole.user_id == User.id).where(
        User.group_id == group.id, UserRole.role == STUDENT, User.active.is_(True)).order_by(User.full_name)).scalars().all()
    activities = _activities(plan, STUDENTS, reach_only=True)
    conditions = [counts_for(plan, a, as_of) for a in activities]
    done = set()
    if conditions and students:
        done = set(db.session.execute(select(Participation.user_id, Participation.activity_id)
                                      .join(User, User.id == Participation.user_id)
                                      .where(User.group_id == group.id, or_(*conditions))).all())
    return students, activities, done


def monthly_series(plan: Plan, population: str = STUDENTS) -> dict[int, list[tuple[date, int]]]:
    """Cumulative distinct participants per activity at the end of each month (cached like coverage);
    a closed year's are those kept when it was closed."""
    kept = plan.kept_figures() if plan.closed else None
    if kept and population in kept.get("series", {}):
        ids = {a.code: a.id for a in _activities(plan, population, reach_only=True)}
        return {ids[code]: [(date.fromisoformat(m), n) for m, n in points]
                for code, points in kept["series"][population].items() if code in ids}
    raw = cache().get_or_compute("coverage", f"series:{plan.id}:{population}",
                                 lambda: {str(k): [[m.isoformat(), n] for m, n in v]
                                          for k, v in _monthly_series(plan, population).items()}, ttl=CACHE_SECONDS)
    return {int(k): [(date.fromisoformat(m), n) for m, n in v] for k, v in raw.items()}


def _monthly_series(plan: Plan, population: str) -> dict[int, list[tuple[date, int]]]:
    activities = _activities(plan, population, reach_only=True)
    ids = [a.id for a in activities]
    if not ids:
        return {}
    first = (select(Participation.activity_id, Participation.user_id,
                    func.min(func.date(Participation.occurred_at)).label("first"))
             .where(Participation.activity_id.in_(ids))
             .group_by(Participation.activity_id, Participation.user_id)).subquery()
    rows = db.session.execute(select(first.c.activity_id, first.c.first, func.count())
                              .group_by(first.c.activity_id, first.c.first)).all()
    months = []
    day = plan.starts_on.replace(day=1)
    while day <= plan.ends_on:
        months.append(day)
        day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    firsts: dict[int, list[tuple[date, int]]] = {a: [] for a in ids}
    for activity_id, first_day, count in rows:
        day = first_day if isinstance(first_day, date) else date.fromisoformat(str(first_day)[:10])
        firsts[activity_id].append((day, count))
    series = {}
    for activity_id, days in firsts.items():
        days.sort()
        points, index, total = [], 0, 0
        for month in months:
            following = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
            while index < len(days) and days[index][0] < following:
                total += days[index][1]
                index += 1
            points.append((month, total))
        series[activity_id] = points
    return series
