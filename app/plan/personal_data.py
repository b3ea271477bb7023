"""The plan's personal data: participation rows, which the coverage figures count."""
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core.personal import FOR_FIGURES, Holding
from app.extensions import db
from app.plan.models import Activity, Participation, Plan

HOLDINGS = (
    Holding("participations", ("user_id",), _l("That a person took part in a plan activity, when and how"),
            _l("Coverage of the anti-corruption plan against its targets"), FOR_FIGURES, ("self", "admin", "curator")),
    Holding("plans", ("closed_by_id",), _l("Which ACS officer closed a plan year, and when"),
            _l("Knowing who froze a year's figures"), FOR_FIGURES, ("admin",)),
)


def personal_data_of(user_id: int) -> dict:
    """Return the person's participation in plan activities and the plan years they closed."""
    rows = db.session.execute(
        select(Participation, Activity.code).join(Activity, Activity.id == Participation.activity_id)
        .where(Participation.user_id == user_id).order_by(Participation.occurred_at)).all()
    closed = db.session.execute(select(Plan.slug, Plan.closed_at).where(Plan.closed_by_id == user_id)
                                .order_by(Plan.closed_at)).all()
    return {"participation": [{"activity": code, "occurred_at": row.occurred_at.isoformat(), "source": row.source,
                               "source_ref": row.source_ref} for row, code in rows],
            "plans_closed": [{"plan": slug, "closed_at": at.isoformat()} for slug, at in closed]}


def erase_personal_data(user_id: int, uploads: Path) -> None:
    """Keep every participation row: past coverage counts the pseudonymous person exactly as before."""
