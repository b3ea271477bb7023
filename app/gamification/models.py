"""The XP ledger (append-only; one row per source, so nothing pays twice), badges and notifications."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.extensions import db


class XpEvent(db.Model):
    __tablename__ = "xp_events"
    __table_args__ = (UniqueConstraint("user_id", "source_type", "source_ref"),
                      Index("ix_xp_events_user_created", "user_id", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    amount: Mapped[int]
    reason: Mapped[str] = mapped_column(String(200))
    source_type: Mapped[str] = mapped_column(String(30))
    source_ref: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserBadge(db.Model):
    __tablename__ = "user_badges"
    __table_args__ = (UniqueConstraint("user_id", "badge"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    badge: Mapped[str] = mapped_column(String(40))
    earned_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(Text)                        # in English, as written
    message: Mapped[str] = mapped_column(Text, default="")         # the gettext message, shown translated
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    link: Mapped[str] = mapped_column(String(300), default="")
    # What the notification is about ("contest:essay-2024-2025"), so a later event can mark it done.
    subject: Mapped[str] = mapped_column(String(120), default="", server_default="", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]          # what it asked for is done or no longer possible
