"""The ACS's own records for section 1: corruption risks and their approved map, media items, hearings, registers."""
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.extensions import db
from app.people.models import StaffUnit

# The two directions of an internal analysis of corruption risks (Kazakhstan's standard rules):
# the legal acts that govern the organisation, and its organisational and managerial activity.
DIRECTIONS = ("management", "legal acts")
# Areas of organisational and managerial activity the rules name, plus what a university adds.
AREAS = ("personnel", "conflict of interest", "admission and examinations", "procurement", "finance and property",
         "services", "control and permits", "other")
RISK_STATUSES = ("identified", "measures planned", "in progress", "mitigated", "accepted")
TONES = ("positive", "neutral", "negative")


class Risk(db.Model):
    """One corruption risk of one plan year: where it lies, how it could be realised, how it is rated and treated."""

    __tablename__ = "corruption_risks"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]                                   # … within the year
    direction: Mapped[str] = mapped_column(String(20), default="management")
    area: Mapped[str] = mapped_column(String(40), default="other")
    process: Mapped[str] = mapped_column(String(200))     # the business process (ISO 37001 4.5: where it arises)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("staff_units.id", ondelete="SET NULL"), index=True)
    description: Mapped[str] = mapped_column(Text)        # the risk: what could happen
    scheme: Mapped[str] = mapped_column(Text, default="")  # the corruption scheme: how it would be done
    factors: Mapped[str] = mapped_column(Text, default="")  # corruption-generating factors, the causes
    positions: Mapped[str] = mapped_column(Text, default="")  # the positions that could be involved
    controls: Mapped[str] = mapped_column(Text, default="")  # the controls already in place
    likelihood: Mapped[int]                               # 1 (rare) … 5 (almost certain)
    impact: Mapped[int]                                   # 1 (minor) … 5 (severe)
    owner: Mapped[str] = mapped_column(String(200), default="")  # the position that owns the risk
    mitigation: Mapped[str] = mapped_column(Text, default="")  # the measures to reduce it
    deadline: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(20), default="identified")
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("corruption_risks.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[StaffUnit | None] = relationship()

    @property
    def code(self) -> str:
        return f"R-{self.number}"

    @property
    def score(self) -> int:
        return self.likelihood * self.impact


class RiskMap(db.Model):
    """The approved map of a plan year: once approved, the year's register is read-only and kept as approved."""

    __tablename__ = "risk_maps"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), unique=True)
    approved_on: Mapped[date]
    decision: Mapped[str] = mapped_column(String(300), default="")  # e.g. "Board for Ethics, minutes No. 4"
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime] = mapped_column(default=utcnow)
    snapshot: Mapped[list] = mapped_column(JSON, default=list)  # every risk as approved, with its rating
    digest: Mapped[str] = mapped_column(String(64), default="")  # SHA-256 of the snapshot, also in the audit log


class MediaItem(db.Model):
    """A publication about the university or corruption in its sphere, found by monitoring open sources (1.11)."""

    __tablename__ = "media_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    published_on: Mapped[date] = mapped_column(index=True)
    source: Mapped[str] = mapped_column(String(200))
    link: Mapped[str] = mapped_column(String(500), default="")
    subject: Mapped[str] = mapped_column(Text)
    tone: Mapped[str] = mapped_column(String(10))
    action: Mapped[str] = mapped_column(Text, default="")   # what the university did about it
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Hearing(db.Model):
    """A structural division heard on anti-corruption issues (1.7), with the minutes."""

    __tablename__ = "division_hearings"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("staff_units.id", ondelete="CASCADE"), index=True)
    heard_on: Mapped[date]
    minutes: Mapped[str] = mapped_column(Text, default="")
    minutes_file: Mapped[str] = mapped_column(String(80), default="")   # stored name under uploads/hearings
    minutes_type: Mapped[str] = mapped_column(String(40), default="")   # its media type, for serving
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[StaffUnit] = relationship()


class DeclarationDuty(db.Model):
    """An employee who must submit the income and property declaration (1.5), and whether they did."""

    __tablename__ = "declaration_duties"
    __table_args__ = (UniqueConstraint("activity_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    position: Mapped[str] = mapped_column(String(200), default="")
    submitted_on: Mapped[date | None]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class EquatedPosition(db.Model):
    """A position equated to persons authorised to perform state functions (1.6)."""

    __tablename__ = "equated_positions"
    __table_args__ = (UniqueConstraint("activity_id", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("staff_units.id", ondelete="SET NULL"))
    basis: Mapped[str] = mapped_column(Text, default="")   # why: the function it performs, the legal ground
    added_on: Mapped[date]
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    unit: Mapped[StaffUnit | None] = relationship()
