"""Demo data for coverage: this academic year's events — those already held, with their attendance
imported, those still ahead, and a round table open for check-in now and for a day (STAYS_OPEN).

Every date comes from the demo's calendar: the integrity hour early in the year, the forum on
International Anti-Corruption Day (9 December), Clean Session before the winter exams. An event
whose day has not come yet is listed as upcoming and has no attendance.
"""
from datetime import date, timedelta

from sqlalchemy import select

from app.coverage import events
from app.coverage.models import CheckIn, Event
from app.demo.plan import STAYS_OPEN
from app.extensions import db
from app.plan import service as plan_service
from app.plan.models import Activity

ROUND_TABLE = "Round table with the Anti-corruption Compliance Service"
# Section 3 of the plan: employees and teaching staff. One seminar held (two of
# the demo's employees attended) two days ago, the next a week ahead, for staff to check in at.
STAFF_SEMINAR = "Seminar for staff: conflicts of interest and gifts"
NEXT_STAFF_SEMINAR = "Seminar for staff: reporting and the protection of those who report"
STAFF_ATTENDEES = ("curator@sanaly.test", "jury2@sanaly.test")


def _held(calendar) -> list[tuple]:
    """(activity, title, place, day, hour, hours, students who attended) of the year's hall events."""
    year = calendar.plan.starts_on.year
    return [
        ("2.2", "Curator hour of integrity — ЭЭ and ГД groups", "Room 214",
         calendar.plan.starts_on + timedelta(days=9), 10, 2, (2, 3, 4, 7, 8, 10, 11)),
        ("2.11", "Forum for International Anti-Corruption Day", "Main assembly hall", calendar.forum_day, 10, 3,
         (1, 2, 5, 7, 9)),
        ("2.10", "Clean Session: meeting before the winter exams", "Library reading room", date(year, 12, 20), 15, 2,
         (3, 4, 6, 12)),
    ]


def build(calendar, users: dict, admin) -> tuple[list[str], list[str]]:
    """Create this year's demo events once (attendance once they are past); return steps and summary."""
    plan = calendar.plan
    existing = {(e.activity_id, e.title): e for e in db.session.execute(
        select(Event).join(Activity, Activity.id == Event.activity_id).where(Activity.plan_id == plan.id)).scalars()}
    attended = set(db.session.execute(select(CheckIn.event_id).distinct()).scalars())
    held = upcoming = 0
    for code, title, place, day, hour, hours, attendees in _held(calendar):
        activity = plan_service.activity_by_code(plan, code)
        starts = calendar.at(day, hour)
        event = existing.get((activity.id, title)) or events.create_event(
            activity, title, place, starts, starts + timedelta(hours=hours), admin)
        if event.ends_at > calendar.now:
            upcoming += 1
            continue
        held += 1
        if event.id not in attended:
            roster = "email\n" + "\n".join(f"student{n}@sanaly.test" for n in attendees) + "\n"
            events.import_attendance(event, roster, admin)
    held += _staff_seminars(calendar, existing, admin)
    upcoming += 1
    activity = plan_service.activity_by_code(plan, "2.12")
    now = calendar.now.replace(second=0)
    event = existing.get((activity.id, ROUND_TABLE)) or events.create_event(
        activity, ROUND_TABLE, "Conference room 3", now, now, admin)
    event.starts_at, event.ends_at = now - timedelta(hours=1), now + STAYS_OPEN + timedelta(hours=1)
    db.session.commit()
    return ([f"events: {held} held with attendance, {upcoming} still ahead, “{ROUND_TABLE}” open now"],
            [f"Check-in open now at “{ROUND_TABLE}”: code {event.code} (or scan the QR on its page)"])


def _staff_seminars(calendar, existing: dict, admin) -> int:
    """The employees' seminars (3.1): one held with its attendance, the next a week from today; return how many held."""
    activity = plan_service.activity_by_code(calendar.plan, "3.1")
    starts = calendar.past(calendar.at(calendar.today - timedelta(days=2), 14))
    held = existing.get((activity.id, STAFF_SEMINAR)) or events.create_event(
        activity, STAFF_SEMINAR, "Room 301", starts, starts + timedelta(hours=2), admin)
    if not db.session.execute(select(CheckIn.id).where(CheckIn.event_id == held.id)).first():
        events.import_attendance(held, "email\n" + "\n".join(STAFF_ATTENDEES) + "\n", admin)
    ahead = calendar.at(calendar.today + timedelta(days=7), 15)
    following = existing.get((activity.id, NEXT_STAFF_SEMINAR)) or events.create_event(
        activity, NEXT_STAFF_SEMINAR, "Room 301", ahead, ahead + timedelta(hours=2), admin)
    following.starts_at, following.ends_at = ahead, ahead + timedelta(hours=2)
    return 1
