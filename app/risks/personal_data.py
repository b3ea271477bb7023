"""Section 1's personal data: who must declare and whether they did, and which ACS officer recorded what."""
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.core.personal import FOR_FIGURES, Holding
from app.extensions import db
from app.plan.models import Activity
from app.risks.models import DeclarationDuty, EquatedPosition, Hearing, MediaItem, Risk, RiskMap

HOLDINGS = (
    Holding("declaration_duties", ("user_id", "updated_by_id"),
            _l("Whether an employee must submit the income and property declaration, their position, and the day it was submitted"),
            _l("Ensuring that declarations are submitted (plan 1.5)"), FOR_FIGURES, ("self", "admin")),
    Holding("corruption_risks", ("created_by_id",), _l("Who recorded a corruption risk"),
            _l("Accountability for the risk register"), FOR_FIGURES, ("admin",)),
    Holding("risk_maps", ("approved_by_id",), _l("Who approved a year's risk map"),
            _l("Accountability for the risk register"), FOR_FIGURES, ("admin",)),
    Holding("media_items", ("recorded_by_id",), _l("Who logged a media item"), _l("Accountability for media monitoring"),
            FOR_FIGURES, ("admin",)),
    Holding("division_hearings", ("recorded_by_id",), _l("Who recorded a hearing of a division"),
            _l("Accountability for hearings (plan 1.7)"), FOR_FIGURES, ("admin",)),
    Holding("equated_positions", ("added_by_id",), _l("Who listed an equated position"),
            _l("Accountability for the list of positions (plan 1.6)"), FOR_FIGURES, ("admin",)),
)


def personal_data_of(user_id: int) -> dict:
    """Return the person's declaration duties and how many section 1 records they made."""
    duties = db.session.execute(select(DeclarationDuty, Activity.code).join(Activity, Activity.id == DeclarationDuty.activity_id)
                                .where(DeclarationDuty.user_id == user_id).order_by(DeclarationDuty.id)).all()

    def count(model, column) -> int:
        return db.session.scalar(select(func.count()).select_from(model).where(column == user_id))

    return {
        "declaration_duties": [{"activity": code, "position": duty.position,
                                "submitted_on": duty.submitted_on.isoformat() if duty.submitted_on else None}
                               for duty, code in duties],
        "risks_recorded": count(Risk, Risk.created_by_id),
        "risk_maps_approved": count(RiskMap, RiskMap.approved_by_id),
        "media_items_logged": count(MediaItem, MediaItem.recorded_by_id),
        "hearings_recorded": count(Hearing, Hearing.recorded_by_id),
        "positions_listed": count(EquatedPosition, EquatedPosition.added_by_id),
    }


def erase_personal_data(user_id: int, uploads: Path) -> None:
    """Keep the duty and its date (the figure of 1.5 rests on them) without the free-text position."""
    for duty in db.session.execute(select(DeclarationDuty).where(DeclarationDuty.user_id == user_id)).scalars():
        duty.position = ""
