"""The XP ledger (append-only; one row per source, so nothing pays twice), badges, notifications, and the
facts gamification keeps from the features' events."""
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


# What GameFact.kind records, and what its ref holds.
LESSON = "lesson"                 # a lesson completed: the lesson's id
COURSE = "course"                 # a course completed: the course's id
FULL_MARKS = "quiz-full-marks"    # a quiz attempt at 100%: the quiz's slug
ENTRY = "entry"                   # a contest entry currently submitted: its code (withdrawn: gone)
DIPLOMA = "diploma"               # a winner's diploma: the certificate's code
CHECKIN = "checkin"               # a check-in at an offline event: the event's id
ACTIVITY = "activity"             # took part in a plan activity: the activity's id


class GameFact(db.Model):
    """What gamification has heard from the features' events about a person: the only thing badge rules read.

    One row per (person, kind, ref), written by app/gamification/listeners.py in the announcing
    feature's transaction; migration 0021 filled it from what had happened before.
    """
    __tablename__ = "game_facts"
    __table_args__ = (UniqueConstraint("user_id", "kind", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    ref: Mapped[str] = mapped_column(String(120))
    happened_at: Mapped[datetime] = mapped_column(default=utcnow)
