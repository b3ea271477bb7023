"""The quizzes' personal data: attempts, their answers, and extra time granted."""
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from app.core.personal import FOR_FIGURES, WHILE_ACCOUNT, Holding
from app.extensions import db
from app.quizzes.models import OPEN, AttemptAnswer, Quiz, QuizAccommodation, QuizAttempt

HOLDINGS = (
    Holding("quiz_attempts", ("user_id",), _l("Quiz attempts: when, score, passed or not"),
            _l("Grading, the integrity hour and the coverage of activity 2.2"), FOR_FIGURES,
            ("self", "admin", "curator")),
    Holding("attempt_answers", (), _l("The answers given in each attempt"),
            _l("Grading and showing a person their own answers"), "quiz_answers", ("self", "admin")),
    Holding("quiz_accommodations", ("user_id", "granted_by_id"), _l("Extra time granted for quizzes, and by whom"),
            _l("Fair conditions for people who need more time"), WHILE_ACCOUNT, ("admin", "curator")),
)


def personal_data_of(user_id: int) -> dict:
    """Return the person's attempts with their answers, and the extra time granted to them."""
    attempts = db.session.execute(
        select(QuizAttempt, Quiz.slug).join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .where(QuizAttempt.user_id == user_id).order_by(QuizAttempt.started_at)).all()
    answers: dict[int, list] = {}
    for answer in db.session.execute(
            select(AttemptAnswer).join(QuizAttempt, QuizAttempt.id == AttemptAnswer.attempt_id)
            .where(QuizAttempt.user_id == user_id).order_by(AttemptAnswer.id)).scalars():
        answers.setdefault(answer.attempt_id, []).append(
            {"question": answer.question_key, "response": answer.response, "points": answer.points,
             "points_possible": answer.points_possible, "saved_at": answer.saved_at.isoformat()})
    extra = db.session.execute(select(QuizAccommodation).where(QuizAccommodation.user_id == user_id)).scalars()
    granted = db.session.scalar(select(func.count()).select_from(QuizAccommodation)
                                .where(QuizAccommodation.granted_by_id == user_id))
    return {
        "attempts": [{"quiz": slug, "number": a.number, "status": a.status, "started_at": a.started_at.isoformat(),
                      "submitted_at": a.submitted_at.isoformat() if a.submitted_at else None, "score": a.score,
                      "max_score": a.max_score, "percent": a.percent, "passed": a.passed,
                      "answers": answers.get(a.id, [])} for a, slug in attempts],
        "extra_time": [{"quiz_id": row.quiz_id, "extra_minutes": row.extra_minutes,
                        "granted_at": row.granted_at.isoformat()} for row in extra],
        "extra_time_granted_to_others": granted,
    }


def erase_personal_data(user_id: int, uploads: Path) -> None:
    """Delete the answers the person wrote; closed attempts keep their scores, open ones go."""
    attempts = select(QuizAttempt.id).where(QuizAttempt.user_id == user_id)
    db.session.execute(delete(AttemptAnswer).where(AttemptAnswer.attempt_id.in_(attempts)))
    db.session.execute(delete(QuizAttempt).where(QuizAttempt.user_id == user_id, QuizAttempt.status == OPEN))
    db.session.execute(delete(QuizAccommodation).where(QuizAccommodation.user_id == user_id))


def remove_expired(kind: str, cutoff, uploads: Path) -> int:
    """Delete the answers of attempts closed before the cutoff; the attempts keep their scores."""
    if kind != "quiz_answers":
        return 0
    closed = select(QuizAttempt.id).where(QuizAttempt.status != OPEN, QuizAttempt.submitted_at < cutoff)
    return db.session.execute(delete(AttemptAnswer).where(AttemptAnswer.attempt_id.in_(closed))).rowcount or 0
