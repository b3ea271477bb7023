"""What the contests feature announces: entries submitted and withdrawn, results published (see app/core/events.py).

Submission and withdrawal are announced where the entry's status reaches the database — when the
session flushes an entry whose status became or stopped being "submitted" — inside the same
transaction; publication is announced by the service that publishes.
"""
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from app.contests.models import SUBMITTED, Entry
from app.core import events
from app.core.clock import utcnow


@event.listens_for(Session, "before_flush")
def _announce_entries(session, _context, _instances) -> None:
    for entry in [*session.new, *session.dirty]:
        if not isinstance(entry, Entry):
            continue
        if entry in session.new:
            was = None
        else:
            history = inspect(entry).attrs.status.history
            if not history.has_changes():
                continue
            was = history.deleted[0] if history.deleted else None
        data = dict(user_id=entry.author_id if entry.author_id is not None else entry.author.id, entry_code=entry.code,
                    contest_id=entry.contest_id, at=entry.withdrawn_at or entry.submitted_at or entry.created_at or utcnow())
        if entry.status == SUBMITTED and was != SUBMITTED:
            events.announce(events.entry_submitted, "contests", **data)
        elif entry.status != SUBMITTED and was == SUBMITTED:
            events.announce(events.entry_withdrawn, "contests", **data)
