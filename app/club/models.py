"""The "Sanaly Urpak" club and the youth movement: membership, the ideas board, volunteering, the media showcase."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.extensions import db
from app.people.models import User

PENDING, ACCEPTED, DECLINED, LEFT = "pending", "accepted", "declined", "left"
CONFIRMED, REJECTED = "confirmed", "rejected"

IDEA_CATEGORIES = ("enrolment", "dormitory", "grants", "exams", "scholarships", "procurement", "other")
NEW, CONSIDERING, PLANNED, IMPLEMENTED, DECLINED_IDEA = "new", "under consideration", "accepted and planned", \
    "implemented", "declined"
IDEA_STATUSES = (NEW, CONSIDERING, PLANNED, IMPLEMENTED, DECLINED_IDEA)


class Membership(db.Model):
    """An application to the club and what became of it (one row per person; a new application reuses it)."""

    __tablename__ = "club_memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    motivation: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=PENDING, index=True)
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class Idea(db.Model):
    """A proposal to make the university more transparent, with the ACS's public answer."""

    __tablename__ = "ideas"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    category: Mapped[str] = mapped_column(String(20), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(30), default=NEW, index=True)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_on: Mapped[date | None]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    hidden: Mapped[bool] = mapped_column(default=False, index=True)
    supporters: Mapped[int] = mapped_column(default=0)     # kept equal to the number of IdeaVote rows

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])


class IdeaVote(db.Model):
    """One person's support of one idea; never shown to anyone, only counted."""

    __tablename__ = "idea_votes"

    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)


class VolunteerLog(db.Model):
    """Hours a student volunteered at an anti-corruption activity, confirmed or rejected by a coordinator."""

    __tablename__ = "volunteer_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    done_on: Mapped[date]
    hours: Mapped[Decimal] = mapped_column(Numeric(4, 1))
    activity: Mapped[str] = mapped_column(String(200))       # at what
    description: Mapped[str] = mapped_column(Text)            # what was done
    status: Mapped[str] = mapped_column(String(10), default=PENDING, index=True)
    logged_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class Clip(db.Model):
    """A video or audio clip on an anti-corruption theme, linked (never fetched) from a public platform."""

    __tablename__ = "clips"
    __table_args__ = (UniqueConstraint("url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    credits: Mapped[str] = mapped_column(String(300), default="")
    platform: Mapped[str] = mapped_column(String(20))
    url: Mapped[str] = mapped_column(String(300))
    cover_file: Mapped[str] = mapped_column(String(80), default="")
    thumb_file: Mapped[str] = mapped_column(String(80), default="")
    published_on: Mapped[date] = mapped_column(index=True)
    hidden: Mapped[bool] = mapped_column(default=False)

    author: Mapped[User | None] = relationship()
