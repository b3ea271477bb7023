"""What `flask --app wsgi tick` sends when it is due: reminders and the weekly digest.

Each reminder has a key naming what it is about and whom ("integrity:<activity>:<period>:<person>"),
and the outbox's unique key makes it go out once however often tick runs. Those who owe are
computed afresh at every tick, so someone who has done the thing meanwhile is not reminded.
Reminders go to registered people (with a password): people without one get an invitation instead.

This module reads several features' tables, like a role's home page: it decides whom to remind, it
changes nothing in them.
"""
import logging
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, select

from app.contests.models import ACTIVE, Contest, Entry, JuryAssignment, JuryScore
from app.core.clock import local_date
from app.core.localize import format_day
from app.courses.models import Course, CourseProgress
from app.coverage.models import Event
from app.extensions import db
from app.gamification.models import Notification
from app.mail import service
from app.people.models import STAFF, STUDENT, User, UserRole
from app.plan import deliverables
from app.plan.models import Activity, Participation
from app.plan.service import activity_by_code, counts_for, current_plan, period_of
from app.surveys.models import Survey, SurveyTaker, SurveyWave

logger = logging.getLogger(__name__)

INTEGRITY_HOUR = "2.2"


def _registered(role: str):
    """Active people holding `role` who can sign in (they have chosen a password)."""
    return select(User.id).join(UserRole, UserRole.user_id == User.id).where(
        UserRole.role == role, User.active.is_(True), User.password_hash.is_not(None))


def _queue(category: str, recipients: dict[int, str], describe, job_id: int | None = None) -> int:
    """Compose and write the reminders of `category` to people not opted out and not reminded yet.

    `recipients` maps a person's id to the message's key; `describe(user, key)` gives compose()'s
    keyword arguments."""
    if not recipients:
        return 0
    out = service.opted_out(recipients, category)
    wanted = {uid: key for uid, key in recipients.items() if uid not in out}
    done = service.existing_keys(wanted.values())
    ids = [uid for uid, key in wanted.items() if key not in done]
    added = 0
    for start in range(0, len(ids), 500):
        people = db.session.execute(select(User).where(User.id.in_(ids[start:start + 500]))).scalars().all()
        rows = service.compose_all(people, lambda person: describe(person, wanted[person.id]))
        added += service.add_to_outbox([{**row, "job_id": job_id} for row in rows])
        db.session.commit()
    if added:
        logger.info("%s reminders written: %s", category, added)
    return added


def integrity_hour(now: datetime, job_id: int | None = None) -> int:
    """Remind the students who still owe the integrity hour, INTEGRITY_REMINDER_DAYS before its period ends."""
    today = local_date(now)
    plan = current_plan(today)
    activity = activity_by_code(plan, INTEGRITY_HOUR) if plan else None
    period = period_of(activity, today) if activity else None
    days = current_app.config.get("INTEGRITY_REMINDER_DAYS", 7)
    if period is None or not (period.starts_on <= today <= period.ends_on) or (period.ends_on - today).days > days:
        return 0
    owing = db.session.execute(_registered(STUDENT).where(~exists(select(Participation.id).where(
        Participation.user_id == User.id, counts_for(plan, activity, today))))).scalars().all()
    link = service.external_url("quizzes.index")
    return _queue("integrity", {uid: f"integrity:{activity.id}:{period.number}:{uid}" for uid in owing},
                  lambda person, key: dict(
                      key=key, category="integrity", template="reminder_integrity",
                      subject=lambda: _("The integrity hour: until %(day)s", day=format_day(period.ends_on)),
                      deadline=period.ends_on, link=link), job_id=job_id)


def courses_left_halfway(now: datetime, job_id: int | None = None) -> int:
    """Remind people who started a course and have not come back for COURSE_IDLE_DAYS (once per course)."""
    idle = now - timedelta(days=current_app.config.get("COURSE_IDLE_DAYS", 14))
    rows = db.session.execute(select(CourseProgress.user_id, Course).join(Course, Course.id == CourseProgress.course_id)
                              .join(User, User.id == CourseProgress.user_id)
                              .where(CourseProgress.completed_at.is_(None), CourseProgress.last_seen_at < idle,
                                     User.active.is_(True), User.password_hash.is_not(None))).all()
    added = 0
    by_course: dict = {}
    for user_id, course in rows:
        by_course.setdefault(course.id, (course, {}))[1][user_id] = f"course:{course.id}:{user_id}"
    for course, recipients in by_course.values():
        link = service.external_url("courses.course", slug=course.slug)
        added += _queue("course", recipients, lambda person, key, course=course, link=link: dict(
            key=key, category="course", template="reminder_course",
            subject=lambda: _("Your course is waiting for you"), course=course, link=link), job_id=job_id)
    return added


def jurors_before_judging_closes(now: datetime, job_id: int | None = None) -> int:
    """Remind jurors with entries not yet sealed, JURY_REMINDER_DAYS before a contest's judging closes."""
    soon = now + timedelta(days=current_app.config.get("JURY_REMINDER_DAYS", 2))
    contests = db.session.execute(select(Contest).where(Contest.judging_close > now, Contest.judging_close <= soon,
                                                        Contest.published_at.is_(None))).scalars().all()
    added = 0
    link = service.external_url("contests.jury_queue")
    for contest in contests:
        left: dict[int, int] = {}
        for (juror_id,) in db.session.execute(
                select(JuryAssignment.juror_id).join(Entry, Entry.id == JuryAssignment.entry_id)
                .outerjoin(JuryScore, JuryScore.assignment_id == JuryAssignment.id)
                .join(User, User.id == JuryAssignment.juror_id)
                .where(Entry.contest_id == contest.id, JuryAssignment.status == ACTIVE, JuryScore.sealed_at.is_(None),
                       User.active.is_(True))):
            left[juror_id] = left.get(juror_id, 0) + 1
        added += _queue("jury", {uid: f"jury:{contest.id}:{uid}" for uid in left},
                        lambda person, key, contest=contest: dict(
                            key=key, category="jury", template="reminder_jury",
                            subject=lambda: _("Judging closes soon"), contest=contest, left=left[person.id],
                            closes=contest.judging_close, link=link), job_id=job_id)
    return added


def survey_waves_opening(now: datetime, job_id: int | None = None) -> int:
    """Tell registered students that a survey wave is open, once per wave, while it is open."""
    today = local_date(now)
    waves = db.session.execute(select(SurveyWave).join(Survey).where(
        SurveyWave.opens_on <= today, SurveyWave.closes_on >= today, Survey.retired.is_(False))).scalars().all()
    added = 0
    for wave in waves:
        owing = db.session.execute(_registered(STUDENT).where(~exists(select(SurveyTaker.user_id).where(
            SurveyTaker.wave_id == wave.id, SurveyTaker.user_id == User.id)))).scalars().all()
        link = service.external_url("surveys.answer", slug=wave.survey.slug)
        added += _queue("survey", {uid: f"survey:{wave.id}:{uid}" for uid in owing},
                        lambda person, key, wave=wave, link=link: dict(
                            key=key, category="survey", template="reminder_survey",
                            subject=lambda: _("A short anonymous survey is open"), wave=wave, link=link), job_id=job_id)
    return added


def events_starting(now: datetime, job_id: int | None = None) -> int:
    """Tell the event's population (students or employees) EVENT_REMINDER_HOURS before it starts."""
    soon = now + timedelta(hours=current_app.config.get("EVENT_REMINDER_HOURS", 24))
    events = db.session.execute(select(Event).join(Activity).where(Event.starts_at > now, Event.starts_at <= soon)
                                .options(db.selectinload(Event.activity))).scalars().all()
    added = 0
    link = service.external_url("home.home")
    for event in events:
        role = STAFF if event.activity.population == "employees" else STUDENT
        people = db.session.execute(_registered(role)).scalars().all()
        added += _queue("event", {uid: f"event:{event.id}:{uid}" for uid in people},
                        lambda person, key, event=event: dict(
                            key=key, category="event", template="reminder_event",
                            subject=lambda: _("Soon: %(title)s", title=event.title), event=event, link=link), job_id=job_id)
    return added


def deliverables_overdue(now: datetime, job_id: int | None = None) -> int:
    """Tell the people who report for a unit, once per period, that a deliverable of their unit is overdue."""
    today = local_date(now)
    plan = current_plan(today)
    if plan is None:
        return 0
    added = 0
    for row in deliverables.overdue(plan, today):
        item = row.deliverable
        reporters = [u.id for u in (item.unit.reporters if item.unit else []) if u.active and u.password_hash]
        link = service.external_url("deliverables.show", deliverable_id=item.id)
        added += _queue("deliverable", {uid: f"deliverable:{item.id}:{uid}" for uid in reporters},
                        lambda person, key, item=item, link=link: dict(
                            key=key, category="deliverable", template="reminder_deliverable",
                            subject=lambda: _("Overdue: %(code)s", code=item.activity.code), item=item, link=link),
                        job_id=job_id)
    return added


def weekly_digest(now: datetime, job_id: int | None = None) -> int:
    """Once an ISO week, send each registered person their unread notifications of the last seven days."""
    since = now - timedelta(days=7)
    year, week, _weekday = local_date(now).isocalendar()
    unread = db.session.execute(
        select(Notification).join(User, User.id == Notification.user_id)
        .where(Notification.read_at.is_(None), Notification.done_at.is_(None), Notification.created_at >= since,
               User.active.is_(True), User.password_hash.is_not(None))
        .order_by(Notification.user_id, Notification.created_at.desc())).scalars().all()
    by_person: dict[int, list] = {}
    for notification in unread:
        by_person.setdefault(notification.user_id, []).append(notification)
    link = service.external_url("game.notifications")
    return _queue("digest", {uid: f"digest:{uid}:{year}-W{week:02d}" for uid in by_person},
                  lambda person, key: dict(
                      key=key, category="digest", template="digest",
                      subject=lambda: _("Your week on Sanaly Urpaq"), notifications=by_person[person.id][:10],
                      more=max(0, len(by_person[person.id]) - 10), link=link), job_id=job_id)


REMINDERS = {
    "integrity": integrity_hour,
    "course": courses_left_halfway,
    "jury": jurors_before_judging_closes,
    "survey": survey_waves_opening,
    "event": events_starting,
    "deliverable": deliverables_overdue,
    "digest": weekly_digest,
}


def queue_due(now: datetime, job_id: int | None = None) -> dict[str, int]:
    """Write every reminder and digest that is due to the outbox (as the job's); return how many of each kind."""
    return {name: remind(now, job_id) for name, remind in REMINDERS.items()}
