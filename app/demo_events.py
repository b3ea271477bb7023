"""Demo data for coverage: past events with imported attendance, and a round table open for check-in now."""
from datetime import datetime, timedelta

from sqlalchemy import select

from app.coverage import events
from app.coverage.models import Event
from app.extensions import db
from app.people.models import utcnow
from app.plan import service as plan_service

PAST = [
    # (activity, title, place, start, hours, students who attended)
    ("2.2", "Curator hour of integrity — ЭЭ and ГД groups", "Room 214", datetime(2024, 9, 10, 10, 0), 2, (2, 3, 4, 7, 8, 10, 11)),
    ("2.11", "Forum for International Anti-Corruption Day", "Main assembly hall", datetime(2024, 12, 9, 10, 0), 3, (1, 2, 5, 7, 9)),
    ("2.10", "Clean Session: meeting before the winter exams", "Library reading room", datetime(2024, 12, 20, 15, 0), 2, (3, 4, 6, 12)),
]


def build(users: dict, admin) -> list[str]:
    """Create the demo events once; return a summary with the open event's code."""
    plan = plan_service.current_plan(utcnow().date())
    if plan is None:
        return []
    existing = {e.title: e for e in db.session.execute(select(Event)).scalars()}
    for code, title, place, start, hours, attendees in PAST:
        if title in existing:
            continue
        event = events.create_event(plan_service.activity_by_code(plan, code), title, place, start,
                                    start + timedelta(hours=hours), admin)
        roster = "email\n" + "\n".join(f"student{n}@sanaly.test" for n in attendees) + "\n"
        events.import_attendance(event, roster, admin)
    title = "Round table with the Anti-corruption Compliance Service"
    now = utcnow().replace(second=0, microsecond=0)
    event = existing.get(title) or events.create_event(
        plan_service.activity_by_code(plan, "2.12"), title, "Conference room 3", now, now, admin)
    event.starts_at, event.ends_at = now - timedelta(hours=1), now + timedelta(hours=6)
    db.session.commit()
    return [f"events: 3 past events with attendance; “{title}” is open for check-in now with code {event.code}"]
