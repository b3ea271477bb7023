"""Contests (content from files), entries, jury assignments and scores."""
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.extensions import db
from app.people.models import User

DRAFT, SUBMITTED, WITHDRAWN = "draft", "submitted", "withdrawn"
ACTIVE, CONFLICT, REMOVED = "active", "conflict", "removed"
TEXT_KINDS = ("essay", "story", "poem")
KINDS = TEXT_KINDS + ("video",)
MAX_FILE_MB = 5          # the platform's upload limit (app.core.uploads.MAX_BYTES); a contest may set a lower one


class Contest(db.Model):
    __tablename__ = "contests"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(10))
    activity_code: Mapped[str] = mapped_column(String(20), default="")
    brief: Mapped[str] = mapped_column(Text, default="")          # Markdown as written
    brief_html: Mapped[str] = mapped_column(Text, default="")
    submissions_open: Mapped[datetime]
    submissions_close: Mapped[datetime]
    judging_close: Mapped[datetime]
    results_on: Mapped[date | None]
    eligibility: Mapped[str] = mapped_column(String(20), default="students")
    entries_per_person: Mapped[int] = mapped_column(default=1)
    language: Mapped[str] = mapped_column(String(10), default="any")
    min_words: Mapped[int] = mapped_column(default=0)
    max_words: Mapped[int] = mapped_column(default=0)
    max_file_mb: Mapped[int] = mapped_column(default=MAX_FILE_MB, server_default=str(MAX_FILE_MB))  # an entry's cover
    jurors_per_entry: Mapped[int] = mapped_column(default=3)
    normalisation: Mapped[str] = mapped_column(String(10), default="none")
    criteria: Mapped[list] = mapped_column(JSON, default=list)   # [{key, title, description, weight, scale}]
    places: Mapped[list] = mapped_column(JSON, default=list)     # [{place, prize}]
    xp: Mapped[int] = mapped_column(default=0)
    source_digest: Mapped[str] = mapped_column(String(64), default="")
    # language -> {title, brief_html, criteria: {key: {title, description}}, places: {"1": prize}}
    translations: Mapped[dict] = mapped_column(JSON, default=dict)
    retired: Mapped[bool] = mapped_column(default=False)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    results: Mapped[dict | None] = mapped_column(JSON)           # the snapshot taken at publication

    @property
    def is_text(self) -> bool:
        return self.kind in TEXT_KINDS


class Entry(db.Model):
    """A contest entry. Jurors know it only by its code."""

    __tablename__ = "entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=DRAFT)
    title: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    word_count: Mapped[int] = mapped_column(default=0)
    video_url: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    cover_file: Mapped[str] = mapped_column(String(80), default="")
    thumb_file: Mapped[str] = mapped_column(String(80), default="")
    cover_digest: Mapped[str] = mapped_column(String(64), default="")
    show_name: Mapped[bool] = mapped_column(default=False)       # consent to be named if placed
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]

    contest: Mapped[Contest] = relationship()
    author: Mapped[User] = relationship()


class JuryAssignment(db.Model):
    __tablename__ = "jury_assignments"
    __table_args__ = (UniqueConstraint("entry_id", "juror_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    juror_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=ACTIVE)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    conflict_reason: Mapped[str] = mapped_column(Text, default="")

    entry: Mapped[Entry] = relationship()
    juror: Mapped[User] = relationship()
    score: Mapped["JuryScore | None"] = relationship(back_populates="assignment", uselist=False)


class JuryScore(db.Model):
    """A juror's rubric scores for one entry; editable until sealed, then fixed."""

    __tablename__ = "jury_scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("jury_assignments.id", ondelete="CASCADE"), unique=True)
    values: Mapped[dict] = mapped_column(JSON, default=dict)    # criterion key -> points
    comment: Mapped[str] = mapped_column(Text, default="")      # for the author, shown after results
    private_note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    sealed_at: Mapped[datetime | None]

    assignment: Mapped[JuryAssignment] = relationship(back_populates="score")


class PendingCover(db.Model):
    """A cover image uploaded with an entry that was not saved, kept for its author's next try.

    The form carries `token` in a hidden field; only its owner's next save adopts it, and it is deleted
    (with its files) once adopted, replaced or older than a day.
    """

    __tablename__ = "pending_covers"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    cover_file: Mapped[str] = mapped_column(String(80))
    thumb_file: Mapped[str] = mapped_column(String(80))
    cover_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
