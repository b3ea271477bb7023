"""Deliverables of the plan: responsible units and their reporters, each period's status, and evidence."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.extensions import db
from app.people.models import User
from app.plan.models import Activity, ActivityPeriod, Plan

# Stored statuses of a deliverable period; "overdue" is derived (past the period's end, not submitted).
PLANNED = "planned"
IN_PROGRESS = "in_progress"
SUBMITTED = "submitted"
ACCEPTED = "accepted"
OVERDUE = "overdue"
STORED_STATUSES = (PLANNED, IN_PROGRESS, SUBMITTED, ACCEPTED)
STATUSES = (PLANNED, IN_PROGRESS, SUBMITTED, ACCEPTED, OVERDUE)

# What a piece of evidence is.
FILE = "file"
LINK = "link"
NOTE = "text"
EVIDENCE_KINDS = (FILE, LINK, NOTE)


class ResponsibleUnit(db.Model):
    """A unit named in the plan's "Responsible" column ("ALD ACS" names two), one row per plan and unit."""

    __tablename__ = "responsible_units"
    __table_args__ = (UniqueConstraint("plan_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(200))      # the name folded to lower case: "ald"
    label: Mapped[str] = mapped_column(String(200))    # as the plan writes it: "ALD"
    title: Mapped[str] = mapped_column(Text, default="")   # the abbreviation spelled out, when the plan gives it

    plan: Mapped[Plan] = relationship()
    reporters: Mapped[list[User]] = relationship(secondary="unit_reporters", order_by="User.full_name")


class UnitReporter(db.Model):
    """A staff account the ACS named to report for a unit."""

    __tablename__ = "unit_reporters"

    unit_id: Mapped[int] = mapped_column(ForeignKey("responsible_units.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    named_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActivityUnit(db.Model):
    """An activity names a unit among its responsible ones (in the plan's order)."""

    __tablename__ = "activity_units"

    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("responsible_units.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Deliverable(db.Model):
    """What a deliverable activity owes for one period: its status, responsible unit and person.

    The period is named by its number, as participation names it: reloading a plan whose term changed
    redraws the activity's periods, and the status and evidence of period 2 stay with period 2.
    """

    __tablename__ = "deliverables"
    __table_args__ = (UniqueConstraint("activity_id", "period_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    period_number: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20), default=PLANNED)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("responsible_units.id", ondelete="SET NULL"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")      # the last word of the ACS (why it was returned)
    submitted_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    activity: Mapped[Activity] = relationship()
    period: Mapped[ActivityPeriod | None] = relationship(
        primaryjoin="and_(foreign(Deliverable.activity_id) == remote(ActivityPeriod.activity_id), "
                    "foreign(Deliverable.period_number) == remote(ActivityPeriod.number))",
        viewonly=True, uselist=False)
    unit: Mapped[ResponsibleUnit | None] = relationship()
    person: Mapped[User | None] = relationship()
    evidence: Mapped[list["Evidence"]] = relationship(back_populates="deliverable", order_by="Evidence.added_at")


class Evidence(db.Model):
    """A file, a link or a short text that shows a deliverable period or an event was done."""

    __tablename__ = "evidence"
    __table_args__ = (
        CheckConstraint("(deliverable_id IS NULL) <> (event_id IS NULL)", name="evidence_of_one_thing"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The activity it counts for, also for an event's evidence, so a report lists it without the event.
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    deliverable_id: Mapped[int | None] = mapped_column(ForeignKey("deliverables.id", ondelete="CASCADE"), index=True)
    # An offline event (the coverage feature's table): the plan layer names it, never imports it.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")           # the short text
    url: Mapped[str] = mapped_column(Text, default="")
    stored_name: Mapped[str] = mapped_column(String(80), default="")
    thumb_name: Mapped[str] = mapped_column(String(80), default="")
    original_name: Mapped[str] = mapped_column(String(200), default="")
    file_kind: Mapped[str] = mapped_column(String(10), default="")   # pdf | docx | xlsx | image
    mimetype: Mapped[str] = mapped_column(String(100), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    digest: Mapped[str] = mapped_column(String(64), default="")
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    deliverable: Mapped[Deliverable | None] = relationship(back_populates="evidence")
    added_by: Mapped[User | None] = relationship()

    @property
    def is_image(self) -> bool:
        return self.kind == FILE and self.file_kind == "image"
