"""The annual plan as data: plans, sections, activities, their periods, and participation."""
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.localize import translation
from app.extensions import db

STUDENTS = "students"
EMPLOYEES = "employees"
POPULATIONS = (STUDENTS, EMPLOYEES)

# How an activity is measured. Only `reach` is a share of people (distinct participants over the
# headcount); the others are never shown as a percentage of employees or students.
REACH = "reach"                # distinct people of the population over its headcount
DELIVERABLE = "deliverable"    # a document or report due by its term
UNITS = "units"                # a share of structural divisions (hearings)
REGISTER = "register"          # a maintained list (declarations, positions, the reports received)
KINDS = (REACH, DELIVERABLE, UNITS, REGISTER)

# Which of the ACS's own records submits a deliverable's period (the plan file's `fed_by`). The feature that
# keeps the record finds the activity by this name, so no code names an activity's number and next year's
# plan keeps working: approving the risk map submits the "risk-map" and "risk-analysis" activities' periods,
# filing a month of the media log the "media-log" activity's period of that month.
RISK_ANALYSIS = "risk-analysis"   # the register of corruption risks: the internal analysis
RISK_MAP = "risk-map"             # the approved map of corruption risks
MEDIA_LOG = "media-log"           # the media monitoring log's monthly summary
FEEDS = (RISK_ANALYSIS, RISK_MAP, MEDIA_LOG)

# Which list a register activity keeps (the plan file's `fed_by` on a kind = "register" activity). The Section 1
# pages find the list by this name, never by the activity's number.
DECLARATIONS = "declarations"     # employees who must declare income and expenses, and the day each did
POSITIONS = "positions"           # positions equated to persons authorised to perform state functions
REPORTS = "reports"               # the reporting channel's cases: reports received, and answered in time
REGISTER_LISTS = (DECLARATIONS, POSITIONS, REPORTS)


def register_list_without_fed_by(code: str, name: str) -> str:
    """The list a register keeps when its plan file does not say (files written before registers named theirs).

    The rule those files were read by, kept here once for the loader and migration 0029: 1.5 keeps the
    declarations and 1.6 the positions (the numbers of the plan they were written for); any other register the
    declarations if its name speaks of a declaration, else the positions."""
    if code in ("1.5", "1.6"):
        return DECLARATIONS if code == "1.5" else POSITIONS
    return DECLARATIONS if "declaration" in (name or "").lower() else POSITIONS


# How a participation row came to be.
SOURCES = ("course", "quiz", "contest", "checkin", "survey", "club", "volunteering", "media", "game", "import", "manual")


class Plan(db.Model):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(Text)
    university: Mapped[str] = mapped_column(String(300))
    academic_year: Mapped[str] = mapped_column(String(20))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    approved_by: Mapped[str] = mapped_column(Text, default="")
    approved_on: Mapped[date | None]
    developer: Mapped[str] = mapped_column(String(200), default="")
    abbreviations: Mapped[dict] = mapped_column(JSON, default=dict)
    sections: Mapped[dict] = mapped_column(JSON, default=dict)  # {"1": "General nature activities"}
    # {"kk": {"title": …, "university": …, "approved_by": …, "sections": {"1": …}}}, from <slug>.kk.toml
    translations: Mapped[dict] = mapped_column(JSON, default=dict)
    source_digest: Mapped[str] = mapped_column(String(64), default="")
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A closed year is read-only; its coverage figures as they stood at closing are kept here and
    # shown instead of figures computed afresh (see app/authoring/plan_year.py, close_plan).
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Deferred: the kept figures grow with the number of groups, and most pages that load a plan never read them.
    closed_figures: Mapped[dict | None] = mapped_column(JSON, deferred=True)

    activities: Mapped[list["Activity"]] = relationship(
        back_populates="plan", order_by="Activity.position"
    )

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    def kept_figures(self) -> dict | None:
        """The figures kept at closing, with their dates as dates (None for an open plan)."""
        if not self.closed_figures:
            return None
        kept = dict(self.closed_figures, as_of=date.fromisoformat(self.closed_figures["as_of"]))
        kept["activities"] = {code: dict(figure, periods=[
            dict(period, starts_on=date.fromisoformat(period["starts_on"]), ends_on=date.fromisoformat(period["ends_on"]))
            for period in figure.get("periods", [])]) for code, figure in self.closed_figures["activities"].items()}
        return kept

    def section_title(self, number: int) -> str:
        """The section's title in the reader's language (the original's when it has no translation)."""
        found = (translation(self) or {}).get("sections", {})
        return found.get(str(number)) or self.sections.get(str(number), "")


class Activity(db.Model):
    """One line of the plan: what is to be done, for whom, how much, by when."""

    __tablename__ = "activities"
    __table_args__ = (UniqueConstraint("plan_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(default=0)
    section: Mapped[int]
    name: Mapped[str] = mapped_column(Text)
    population: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20), default=REACH, server_default=REACH)
    # one of FEEDS for a deliverable, one of REGISTER_LISTS for a register, else ""
    fed_by: Mapped[str] = mapped_column(String(20), default="", server_default="")
    target_text: Mapped[str] = mapped_column(Text, default="")
    target_percent: Mapped[float | None] = mapped_column(Numeric(6, 2, asdecimal=False))
    form_of_completion: Mapped[str] = mapped_column(Text, default="")
    expected_result: Mapped[str] = mapped_column(Text, default="")
    responsible: Mapped[list] = mapped_column(JSON, default=list)
    term_text: Mapped[str] = mapped_column(Text, default="")
    # {"ru": {"name": …, "target_text": …, "form_of_completion": …, "expected_result": …,
    #         "responsible": […], "term_text": …}}: shown instead of the original, never counted
    translations: Mapped[dict] = mapped_column(JSON, default=dict)
    retired: Mapped[bool] = mapped_column(default=False)

    plan: Mapped[Plan] = relationship(back_populates="activities")
    periods: Mapped[list["ActivityPeriod"]] = relationship(
        back_populates="activity",
        order_by="ActivityPeriod.number",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    @property
    def measured_by_reach(self) -> bool:
        """Whether coverage (people over the headcount) is this activity's measure."""
        return self.kind == REACH

    @property
    def deadlines(self) -> list[date]:
        return [period.ends_on for period in self.periods]

    def period_number_for(self, day: date) -> int:
        """Return the number of the period that contains `day` (the last one after the term)."""
        for period in self.periods:
            if day <= period.ends_on:
                return period.number
        return self.periods[-1].number if self.periods else 1

    def __repr__(self) -> str:
        return f"<Activity {self.code}>"


class ActivityPeriod(db.Model):
    """A measured stretch of an activity's term: 'twice a year' gives two, 'quarterly' four."""

    __tablename__ = "activity_periods"
    __table_args__ = (UniqueConstraint("activity_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    number: Mapped[int]
    starts_on: Mapped[date]
    ends_on: Mapped[date]

    activity: Mapped[Activity] = relationship(back_populates="periods")


class Participation(db.Model):
    """A person took part in an activity (once per activity and period; never updated)."""

    __tablename__ = "participations"
    __table_args__ = (
        UniqueConstraint("user_id", "activity_id", "period"),
        Index("ix_participations_activity_period", "activity_id", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    period: Mapped[int] = mapped_column(default=1)
    occurred_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(20))
    source_ref: Mapped[str] = mapped_column(String(120), default="")
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
