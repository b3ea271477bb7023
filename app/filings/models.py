"""What the responsible units write into the filed reports: a narrative per activity, period and language."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.extensions import db

ANNUAL = "year"        # the period key of the annual report to the Board (1.8); quarters are "2025Q1" …


class Narrative(db.Model):
    """What a responsible unit says was done for one activity in one reporting period, in one language."""

    __tablename__ = "filing_narratives"
    __table_args__ = (UniqueConstraint("activity_id", "period", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(10))      # ANNUAL or a calendar quarter, "2025Q1"
    language: Mapped[str] = mapped_column(String(5))
    text: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
