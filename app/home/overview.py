"""What each person should see first: the student's next steps and each role's panel, across the features."""
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select

from app.club.models import NEW, PENDING, Idea, Membership, VolunteerLog
from app.contests.models import ACTIVE, SUBMITTED, Contest, Entry, JuryAssignment, JuryScore
from app.contests.service import phase
from app.courses.models import EVERYONE, STAFF_AUDIENCE, STUDENTS_AUDIENCE
from app.courses.service import catalogue
from app.coverage import service as coverage
from app.coverage.models import Event
from app.extensions import db
from app.gamification.service import level_for, xp_total
from app.people.models import STUDENT, Faculty, Group, User, UserRole
from app.plan import deliverables
from app.plan import service as plan_service
from app.plan.models import EMPLOYEES, STUDENTS, Activity, Participation
from app.quizzes import service as quizzes
from app.quizzes.service import quiz_by_slug
from app.reports.models import CLOSED, RECEIVED, Report
from app.surveys import service as survey_service


@dataclass
class Overview:
    xp: int
    level: object
    hour_grade: float | None
    hour_passed: bool
    hour_slug: str | None
    course: object | None           # the first course not yet completed, with its progress
    open_contests: list
    open_surveys: list              # (survey, wave) the student has not answered yet


def student_overview(user, now: datetime) -> Overview:
    """XP and level, the integrity hour, the course to continue, and contests open for entries."""
    xp = xp_total(user.id)
    hour = quizzes.quiz_by_slug("integrity-hour")
    grade = None
    if hour is not None:
        activity = quizzes.activity_for(hour, now)
        grade = quizzes.final_grade(quizzes.attempts_for(user.id, hour, activity.id if activity else None), hour.grading)
    course = next((entry for entry in catalogue(user, (STUDENTS_AUDIENCE, EVERYONE)) if entry.completed_at is None), None)
    contests = [c for c in db.session.execute(select(Contest).where(Contest.retired.is_(False))).scalars()
                if phase(c, now) == "submissions"]
    surveys = [(survey, wave) for survey, wave in survey_service.open_waves(now.date())
               if not survey_service.has_answered(wave, user.id)]
    return Overview(xp, level_for(xp), grade, bool(hour and grade is not None and grade >= hour.pass_percent),
                    hour.slug if hour else None, course, contests, surveys)


def group_card(user) -> tuple[str, str] | None:
    """The person's group and its faculty, as the home page's card shows them (code, faculty name), if any."""
    if user.group_id is None:
        return None
    return db.session.execute(select(Group.code, Faculty.name).join(Faculty, Faculty.id == Group.faculty_id)
                              .where(Group.id == user.group_id)).one_or_none()


# --- what each other role should do next ---------------------------------------------------------
# Each panel is computed in a fixed number of queries, whatever the number of entries, reports or
# students behind it: counts come from GROUP BY, lists from one query each.

@dataclass
class JuryWork:
    contest: object
    assigned: int          # active assignments of this juror in the contest
    to_seal: int           # of which not yet sealed
    phase: str


def juror_panel(user_id: int, now: datetime) -> list[JuryWork]:
    """The juror's contests awaiting results: entries assigned, how many still to seal, and the phase (two queries)."""

    counts = db.session.execute(
        select(Entry.contest_id, func.count(JuryAssignment.id), func.count(JuryScore.sealed_at))
        .join(JuryAssignment, JuryAssignment.entry_id == Entry.id)
        .outerjoin(JuryScore, JuryScore.assignment_id == JuryAssignment.id)
        .where(JuryAssignment.juror_id == user_id, JuryAssignment.status == ACTIVE, Entry.status == SUBMITTED)
        .group_by(Entry.contest_id)).all()
    if not counts:
        return []
    contests = {c.id: c for c in db.session.execute(select(Contest).where(
        Contest.id.in_([row[0] for row in counts]), Contest.published_at.is_(None))).scalars()}
    work = [JuryWork(contests[contest_id], assigned, assigned - sealed, phase(contests[contest_id], now))
            for contest_id, assigned, sealed in counts if contest_id in contests]
    return sorted(work, key=lambda w: (w.to_seal == 0, w.contest.judging_close))


@dataclass
class GroupStanding:
    group: object
    behind: list            # (activity, figure) of student activities behind or not started in this group
    owe_hour: list          # students who have not yet sat the integrity hour this period


@dataclass
class CuratorPanel:
    groups: list[GroupStanding]
    hour: object | None     # the integrity hour's plan activity, when the plan has it


BEHIND_STATUSES = ("behind", "not started")


def curator_panel(user, now: datetime) -> CuratorPanel:
    """Each of the curator's groups: the student activities it is behind on, and who still owes the integrity hour."""
    groups = sorted(user.curated_groups, key=lambda g: g.code)
    plan = plan_service.current_plan(now.date())
    if not groups or plan is None:
        return CuratorPanel([GroupStanding(g, [], []) for g in groups], None)
    as_of = min(now.date(), plan.ends_on)
    data = coverage.coverage(plan, as_of, group_ids={g.id for g in groups})
    activities = {a.id: a for a in data.activities if a.population == STUDENTS and a.measured_by_reach}
    rows = {row.key[1]: row for row in data.groups}
    quiz = quiz_by_slug("integrity-hour")
    hour = next((a for a in activities.values() if quiz is not None and a.code == quiz.activity_code), None)
    owing: dict[int, list] = {}
    if hour is not None:
        period = coverage.period_of(hour, as_of)
        sat = select(Participation.user_id).where(Participation.activity_id == hour.id,
                                                  Participation.period == (period.number if period else 1))
        for student in db.session.execute(
                select(User).join(UserRole, UserRole.user_id == User.id)
                .where(User.group_id.in_([g.id for g in groups]), UserRole.role == STUDENT, User.active.is_(True),
                       User.id.not_in(sat)).order_by(User.full_name)).scalars():
            owing.setdefault(student.group_id, []).append(student)
    standings = []
    for group in groups:
        figures = rows[group.id].figures if group.id in rows else {}
        behind = [(activities[a_id], f) for a_id, f in figures.items()
                  if a_id in activities and f.status in BEHIND_STATUSES]
        standings.append(GroupStanding(group, sorted(behind, key=lambda pair: pair[0].position),
                                       owing.get(group.id, [])))
    return CuratorPanel(standings, hour)


@dataclass
class AcsPanel:
    new_reports: int            # received and not yet taken up
    open_reports: int           # not closed
    overdue_reports: int        # still without a first answer after the time limit
    unanswered_ideas: int
    ready_to_publish: list      # contests whose every entry has all its scores sealed
    behind: list                # (activity, figure) university-wide, behind or not started
    as_of: object | None
    other_kinds: list = field(default_factory=list)   # activities not measured in people: never "behind"
    overdue_deliverables: list = field(default_factory=list)   # deliverable periods past their end, not submitted
    submitted_deliverables: int = 0                            # waiting for the ACS to accept or return


def acs_panel(now: datetime) -> AcsPanel:
    """What waits for the ACS: new and overdue reports, unanswered ideas, contests to publish, activities behind."""

    today = now.date()
    new_reports, open_reports, overdue = db.session.execute(select(
        func.count(case((Report.status == RECEIVED, 1))), func.count(case((Report.status != CLOSED, 1))),
        func.count(case(((Report.status != CLOSED) & Report.first_answer_on.is_(None) & (Report.due_on < today), 1)))
    )).one()
    ideas = db.session.scalar(select(func.count()).select_from(Idea).where(Idea.status == NEW, Idea.hidden.is_(False)))
    # An entry is finished when it has active jurors and every one of them has sealed.
    per_entry = (select(Entry.contest_id.label("contest_id"), func.count(JuryAssignment.id).label("jurors"),
                        func.count(JuryScore.sealed_at).label("sealed"))
                 .join(Contest, Contest.id == Entry.contest_id)
                 .outerjoin(JuryAssignment, (JuryAssignment.entry_id == Entry.id) & (JuryAssignment.status == ACTIVE))
                 .outerjoin(JuryScore, JuryScore.assignment_id == JuryAssignment.id)
                 .where(Entry.status == SUBMITTED, Contest.published_at.is_(None))
                 .group_by(Entry.id, Entry.contest_id).subquery())
    finished = db.session.execute(
        select(per_entry.c.contest_id).group_by(per_entry.c.contest_id)
        .having(func.sum(case(((per_entry.c.jurors == 0) | (per_entry.c.sealed < per_entry.c.jurors), 1), else_=0)) == 0)
    ).scalars().all()
    ready = [c for c in db.session.execute(select(Contest).where(Contest.id.in_(finished or [0]))
                                           .order_by(Contest.judging_close)).scalars()
             if phase(c, now) in ("judging", "awaiting results")]
    behind, as_of, other_kinds = [], None, []
    plan = plan_service.current_plan(today)
    if plan is not None:
        as_of = min(today, plan.ends_on)
        data = coverage.coverage(plan, as_of, with_groups=False)
        behind = [(a, data.university.figures[a.id]) for a in data.activities
                  if a.measured_by_reach and a.id in data.university.figures
                  and data.university.figures[a.id].status in BEHIND_STATUSES]
        # Documents, hearings and registers with figures of their own are shown where they are kept; these have none.
        other_kinds = [a for a in data.activities if not a.measured_by_reach
                       and getattr(data.university.figures.get(a.id), "measure", None) is None]
        late, waiting = deliverables.overdue(plan, today), deliverables.waiting_for_acs(plan)
    else:
        late, waiting = [], 0
    return AcsPanel(new_reports, open_reports, overdue, ideas, ready, behind, as_of, other_kinds, late, waiting)


@dataclass
class ClubDesk:
    applications: int
    volunteering: int       # logs waiting for a coordinator who is not their author


def club_desk(user_id: int) -> ClubDesk:
    """How many club applications and volunteering logs wait for a coordinator's decision."""

    applications = db.session.scalar(select(func.count()).select_from(Membership).where(Membership.status == PENDING))
    volunteering = db.session.scalar(select(func.count()).select_from(VolunteerLog).where(
        VolunteerLog.status == PENDING, VolunteerLog.user_id != user_id))
    return ClubDesk(applications, volunteering)


@dataclass
class StaffPanel:
    counted: list           # (activity, when) employee activities this person already counts for in this plan
    events: list            # events for employee activities that have not ended yet, soonest first
    courses: list = field(default_factory=list)   # CatalogueEntry of each course for staff, with the person's progress
    activities: dict = field(default_factory=dict)   # activity code -> Activity, for what each course counts for
    unit: object | None = None                    # the person's staff unit
    unit_figures: list = field(default_factory=list)   # (activity, figure) of employee reach activities in the unit


def staff_panel(user, now: datetime, *, with_unit: bool = False) -> StaffPanel:
    """What counts for an employee: courses for staff, the employee activities they took part in, events ahead.

    With `with_unit`, also how far their unit has come on each employee activity (the staff page).
    """
    plan = plan_service.current_plan(now.date())
    courses = catalogue(user, (STAFF_AUDIENCE,))
    if plan is None:
        return StaffPanel([], [], courses)
    counted = db.session.execute(
        select(Activity, func.max(Participation.occurred_at)).join(Participation, Participation.activity_id == Activity.id)
        .where(Participation.user_id == user.id, Activity.plan_id == plan.id, Activity.population == EMPLOYEES)
        .group_by(Activity.id).order_by(Activity.position)).all()
    events = db.session.execute(
        select(Event).join(Activity, Activity.id == Event.activity_id)
        .where(Activity.plan_id == plan.id, Activity.population == EMPLOYEES, Event.ends_at >= now)
        .order_by(Event.starts_at).limit(5).options(db.joinedload(Event.activity))).scalars().all()
    codes = {entry.course.activity_code for entry in courses if entry.course.activity_code}
    activities = {a.code: a for a in db.session.execute(select(Activity).where(
        Activity.plan_id == plan.id, Activity.code.in_(codes or [""]), Activity.retired.is_(False))).scalars()}
    panel = StaffPanel([(activity, when) for activity, when in counted], events, courses, activities, user.staff_unit)
    if with_unit and user.staff_unit_id is not None:
        data = coverage.coverage(plan, min(now.date(), plan.ends_on), with_groups=False)
        row = next((r for r in data.units if r.key == ("unit", user.staff_unit_id)), None)
        if row is not None:
            panel.unit_figures = [(a, row.figures[a.id]) for a in data.activities
                                  if a.population == EMPLOYEES and a.measured_by_reach and a.id in row.figures]
    return panel


@dataclass
class RolePanels:
    jury: list[JuryWork] | None = None
    curator: CuratorPanel | None = None
    acs: AcsPanel | None = None
    club: ClubDesk | None = None
    staff: StaffPanel | None = None
    deliverables: list | None = None     # what the units the person reports for still owe


def role_panels(user, now: datetime) -> RolePanels:
    """One panel for each role the person holds besides student (a curator who also judges sees both)."""
    panels = RolePanels()
    if user.has_role("jury"):
        panels.jury = juror_panel(user.id, now)
    if user.has_role("curator"):
        panels.curator = curator_panel(user, now)
    if user.has_role("coordinator"):
        panels.club = club_desk(user.id)
    if user.has_role("admin"):
        panels.acs = acs_panel(now)
    if user.has_role("staff"):
        panels.staff = staff_panel(user, now)
    if deliverables.reporter_unit_ids(user):
        panels.deliverables = deliverables.due_for(user, now.date())
    return panels
