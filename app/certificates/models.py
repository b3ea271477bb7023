"""Certificates: what was achieved, by whom, verifiable by a public code."""
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.extensions import db
from app.people.models import User


class Certificate(db.Model):
    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("user_id", "kind", "subject_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "course", later "diploma", "participation" …
    subject_ref: Mapped[str] = mapped_column(String(80))  # e.g. "course:3"
    title: Mapped[str] = mapped_column(String(300))  # what was achieved, as worded at issue
    holder_name: Mapped[str] = mapped_column(String(200))  # the name at issue
    issued_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    holder: Mapped[User] = relationship()
