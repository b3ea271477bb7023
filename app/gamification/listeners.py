"""What gamification hears from the features: it keeps the facts its badge rules read, and tells people the news.

Every listener runs inside the announcing feature's transaction (see app/core/events.py), writes
only gamification's own tables, and never commits.
"""
from sqlalchemy import delete

from app.core import events
from app.core.db_helpers import insert_ignoring_duplicates
from app.extensions import db
from app.gamification import service
from app.gamification.models import (ACTIVITY, CHECKIN, COURSE, DIPLOMA, ENTRY, FULL_MARKS, LESSON,
                                     GameFact)


def keep_fact(user_id: int, kind: str, ref, at) -> None:
    """Remember once that the person did `kind` for `ref` (a lesson id, a quiz slug, an entry code, …)."""
    db.session.execute(insert_ignoring_duplicates(GameFact, dict(user_id=user_id, kind=kind, ref=str(ref)[:120],
                                                                 happened_at=at)))


@events.lesson_completed.connect
def _lesson_completed(_sender, *, user_id, lesson_id, at, **_data):
    keep_fact(user_id, LESSON, lesson_id, at)


@events.course_completed.connect
def _course_completed(_sender, *, user_id, course_id, at, **_data):
    keep_fact(user_id, COURSE, course_id, at)


@events.attempt_graded.connect
def _attempt_graded(_sender, *, user_id, quiz_slug, percent, at, **_data):
    if percent is not None and percent >= 100:
        keep_fact(user_id, FULL_MARKS, quiz_slug, at)


@events.entry_submitted.connect
def _entry_submitted(_sender, *, user_id, entry_code, at, **_data):
    keep_fact(user_id, ENTRY, entry_code, at)


@events.entry_withdrawn.connect
def _entry_withdrawn(_sender, *, user_id, entry_code, **_data):
    db.session.execute(delete(GameFact).where(GameFact.user_id == user_id, GameFact.kind == ENTRY,
                                              GameFact.ref == str(entry_code)[:120]))


@events.certificate_issued.connect
def _certificate_issued(_sender, *, user_id, code, kind, at, **_data):
    if kind == "diploma":
        keep_fact(user_id, DIPLOMA, code, at)


@events.checkin_recorded.connect
def _checkin_recorded(_sender, *, user_id, event_id, at, **_data):
    keep_fact(user_id, CHECKIN, event_id, at)


@events.participation_recorded.connect
def _participation_recorded(_sender, *, user_id, activity_id, at, **_data):
    keep_fact(user_id, ACTIVITY, activity_id, at)


@events.results_published.connect
def _results_published(_sender, *, contest_slug, titles, author_ids, at, **_data):
    service.notify(author_ids, "results", service.N_("The results of “%(title)s” are published."), titles,
                   f"/contests/{contest_slug}/results", at, subject=f"contest:{contest_slug}")
    service.resolve_notifications(f"contest:{contest_slug}", "jury", at)     # nothing is waiting for a score any more


@events.xp_earned.connect
def _xp_earned(_sender, *, user_id, amount, reason, source_type, source_ref, at, **_data):
    service.record_xp(user_id, amount=amount, reason=reason, source_type=source_type, source_ref=source_ref, when=at)


@events.xp_taken_back.connect
def _xp_taken_back(_sender, *, user_id, source_type, source_ref, at, **_data):
    service.reverse_xp(user_id, source_type=source_type, source_ref=source_ref, when=at)


@events.attempt_closed.connect
def _attempt_closed(_sender, *, user_id, attempt_id, title, xp, percent, earlier_best, at, **_data):
    gained = service.improvement_xp(xp or 0, percent, earlier_best)
    if gained:
        service.record_xp(user_id, amount=gained, reason=f"Quiz: {title}", source_type="quiz",
                          source_ref=f"attempt:{attempt_id}", when=at)


@events.news.connect
def _news(_sender, *, user_ids, kind, message, params=None, link="", subject="", at=None, **_data):
    service.notify(user_ids, kind, message, params, link, at, subject=subject)


@events.news_resolved.connect
def _news_resolved(_sender, *, subject, kind, at, user_ids=None, **_data):
    service.resolve_notifications(subject, kind, at, user_ids=user_ids)
