"""Quizzes (content from files, versioned), attempts, answers and per-person extra time."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.content import EVERYONE
from app.extensions import db

OPEN, SUBMITTED, EXPIRED = "open", "submitted", "expired"


class Quiz(db.Model):
    __tablename__ = "quizzes"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    activity_code: Mapped[str] = mapped_column(String(20), default="")
    audience: Mapped[str] = mapped_column(String(20), default=EVERYONE, server_default=EVERYONE)   # who sees it
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    time_limit_minutes: Mapped[int] = mapped_column(default=0)
    attempts_allowed: Mapped[int] = mapped_column(default=0)  # 0: no limit
    grading: Mapped[str] = mapped_column(String(10), default="highest")
    pass_percent: Mapped[float] = mapped_column(default=60.0)
    shuffle_questions: Mapped[bool] = mapped_column(default=True)
    shuffle_options: Mapped[bool] = mapped_column(default=True)
    feedback: Mapped[str] = mapped_column(String(20), default="after_attempt")
    xp: Mapped[int] = mapped_column(default=0)
    per_page: Mapped[int] = mapped_column(default=5)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("quiz_versions.id", use_alter=True, name="fk_quizzes_current_version"))
    source_digest: Mapped[str] = mapped_column(String(64), default="")
    retired: Mapped[bool] = mapped_column(default=False)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    translations: Mapped[dict] = mapped_column(JSON, default=dict)   # language -> {title, description}

    current: Mapped["QuizVersion | None"] = relationship(foreign_keys=[current_version_id])

    def is_open(self, now: datetime) -> bool:
        return (self.opens_at is None or self.opens_at <= now) and (self.closes_at is None or now < self.closes_at)


class QuizVersion(db.Model):
    """The questions (with answers) and draw rules as loaded; attempts keep the version they got."""

    __tablename__ = "quiz_versions"
    __table_args__ = (UniqueConstraint("quiz_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    digest: Mapped[str] = mapped_column(String(64))
    questions: Mapped[list] = mapped_column(JSON)
    draw: Mapped[list] = mapped_column(JSON, default=list)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    def question(self, key: str) -> dict:
        return next(q for q in self.questions if q["key"] == key)


class QuizAttempt(db.Model):
    __tablename__ = "quiz_attempts"
    __table_args__ = (
        # One open attempt per person per quiz, enforced by the database.
        Index("uq_quiz_attempts_one_open", "quiz_id", "user_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
        Index("ix_quiz_attempts_quiz_user", "quiz_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("quiz_versions.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id"), index=True)
    number: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(10), default=OPEN)
    started_at: Mapped[datetime]
    deadline: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    score: Mapped[float | None]
    max_score: Mapped[float | None]
    percent: Mapped[float | None]
    passed: Mapped[bool | None]
    layout: Mapped[list] = mapped_column(JSON)  # [{"key": …, "order": [original option indices]}]

    quiz: Mapped[Quiz] = relationship()
    version: Mapped[QuizVersion] = relationship()

    @property
    def is_open(self) -> bool:
        return self.status == OPEN


class AttemptAnswer(db.Model):
    """A saved response to one drawn question; graded (points) when the attempt closes."""

    __tablename__ = "attempt_answers"
    __table_args__ = (UniqueConstraint("attempt_id", "question_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # No index of their own: every query names the attempt, which the unique (attempt_id, question_key) serves,
    # and none looks answers up by question alone; each autosave would pay to keep them.
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id", ondelete="CASCADE"))
    question_key: Mapped[str] = mapped_column(String(120))
    response: Mapped[str | None] = mapped_column(Text)  # canonical JSON, None when unanswered
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)
    points: Mapped[float | None]
    points_possible: Mapped[float | None]


class QuizAccommodation(db.Model):
    """Extra time a curator or admin grants a person, for one quiz or (quiz_id NULL) for all."""

    __tablename__ = "quiz_accommodations"
    __table_args__ = (UniqueConstraint("user_id", "quiz_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    quiz_id: Mapped[int | None] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"))
    extra_minutes: Mapped[int]
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
