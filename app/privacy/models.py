"""What the platform keeps about personal data itself: who looked at whom, privacy notices and consents,
erasure requests, and the retention periods the ACS has set."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.extensions import db
from app.people.models import User

PENDING, DONE, DECLINED = "pending", "done", "declined"


class AccessLogEntry(db.Model):
    """One look at personal data: who opened what, when. Append-only; only the DPO reads it."""

    __tablename__ = "privacy_access_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    viewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)      # person, report, report_file, export, data_copy
    subject: Mapped[str] = mapped_column(String(120), default="")  # e.g. "user:12", "report:3", "group:4"
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    method: Mapped[str] = mapped_column(String(8), default="GET")
    path: Mapped[str] = mapped_column(String(300), default="")

    viewer: Mapped[User | None] = relationship(foreign_keys=[viewer_id])


class PrivacyNotice(db.Model):
    """A version of the privacy notice, in English, Kazakh and Russian. A new version asks everyone again."""

    __tablename__ = "privacy_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    text_en: Mapped[str] = mapped_column(Text)
    text_kk: Mapped[str] = mapped_column(Text, default="")
    text_ru: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Consent(db.Model):
    """A person's consent to one version of the notice, with the time it was given."""

    __tablename__ = "privacy_consents"
    __table_args__ = (UniqueConstraint("user_id", "version", name="uq_privacy_consents_user_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    given_at: Mapped[datetime] = mapped_column(default=utcnow)


class ErasureRequest(db.Model):
    """A person's request to erase their data, and what the ACS did with it."""

    __tablename__ = "privacy_erasure_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default=PENDING, index=True)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class Erasure(db.Model):
    """The record that a person's data was erased: the pseudonymous id that stays in the figures."""

    __tablename__ = "privacy_erasures"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    erased_at: Mapped[datetime] = mapped_column(default=utcnow)
    erased_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    trigger: Mapped[str] = mapped_column(String(20), default="request")   # request | retention


class RetentionPeriod(db.Model):
    """How many days one kind of data is kept, as the ACS set it (a kind without a row keeps its default)."""

    __tablename__ = "privacy_retention"

    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    days: Mapped[int]
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class RetentionRun(db.Model):
    """What one run of the retention job removed, kind by kind."""

    __tablename__ = "privacy_retention_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    ran_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    removed: Mapped[str] = mapped_column(Text, default="{}")   # JSON: kind -> count
