"""What the quizzes feature announces: every grade written to an attempt (see app/core/events.py).

The announcement is made where the grade reaches the database — when the session flushes an
attempt whose percent was set — so an attempt graded by any path (submission, the deadline, a
regrade) is announced once, inside the same transaction.
"""
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from app.core import events
from app.core.clock import utcnow
from app.quizzes.models import Quiz, QuizAttempt


@event.listens_for(Session, "before_flush")
def _announce_grades(session, _context, _instances) -> None:
    for attempt in [*session.new, *session.dirty]:
        if not isinstance(attempt, QuizAttempt) or attempt.percent is None:
            continue
        if attempt not in session.new and not inspect(attempt).attrs.percent.history.has_changes():
            continue
        quiz = attempt.quiz if attempt.quiz_id is None else session.get(Quiz, attempt.quiz_id)
        events.announce(events.attempt_graded, "quizzes", user_id=attempt.user_id, attempt_id=attempt.id,
                        quiz_slug=quiz.slug if quiz else "", percent=attempt.percent, passed=attempt.passed,
                        at=attempt.submitted_at or attempt.started_at or utcnow())
