"""Courses and lessons (content from files, versioned) and each person's progress (in the database)."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.content import AUDIENCES, EVERYONE, STAFF_AUDIENCE, STUDENTS_AUDIENCE  # noqa: F401 (who a course is for)
from app.extensions import db


class Course(db.Model):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    activity_code: Mapped[str] = mapped_column(String(20), default="")
    audience: Mapped[str] = mapped_column(String(20), default=EVERYONE, server_default=EVERYONE)
    language: Mapped[str] = mapped_column(String(5), default="en")
    position: Mapped[int] = mapped_column(default=0)
    xp_per_lesson: Mapped[int] = mapped_column(default=0)
    final_quiz: Mapped[str] = mapped_column(String(80), default="")
    source_digest: Mapped[str] = mapped_column(String(64), default="")
    retired: Mapped[bool] = mapped_column(default=False)
    translations: Mapped[dict] = mapped_column(JSON, default=dict)   # language -> {title, summary}
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    lessons: Mapped[list["Lesson"]] = relationship(back_populates="course", order_by="Lesson.position")


class Lesson(db.Model):
    """A lesson, identified by its slug within the course; its text lives in versions."""

    __tablename__ = "lessons"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)
    retired: Mapped[bool] = mapped_column(default=False)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("lesson_versions.id", use_alter=True, name="fk_lessons_current_version"))

    course: Mapped[Course] = relationship(back_populates="lessons")
    current: Mapped["LessonVersion | None"] = relationship(foreign_keys=[current_version_id])


class LessonVersion(db.Model):
    """One loaded text of a lesson, rendered once to sanitised HTML."""

    __tablename__ = "lesson_versions"
    __table_args__ = (UniqueConstraint("lesson_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    source_digest: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    markdown: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    toc_html: Mapped[str] = mapped_column(Text, default="")
    word_count: Mapped[int] = mapped_column(default=0)
    checks: Mapped[list] = mapped_column(JSON, default=list)  # includes the answers: never sent as is
    # language -> {title, summary, html, toc_html, checks (question, options, explanation; answers stay above)}
    translations: Mapped[dict] = mapped_column(JSON, default=dict)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class LessonCompletion(db.Model):
    """A person completed a lesson (once; kept when the lesson's text changes)."""

    __tablename__ = "lesson_completions"
    __table_args__ = (UniqueConstraint("user_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("lesson_versions.id"))
    via: Mapped[str] = mapped_column(String(20), default="button")
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)


class CourseProgress(db.Model):
    """Where a person is in a course, and when they completed it."""

    __tablename__ = "course_progress"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    last_lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id", ondelete="SET NULL"))
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
