"""The filed reports' personal data: who wrote a narrative (the words belong to the unit's report)."""
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core.personal import FOR_FIGURES, Holding
from app.extensions import db
from app.filings.models import Narrative
from app.plan.models import Activity

HOLDINGS = (
    Holding("filing_narratives", ("author_id",), _l("Who last wrote a responsible unit's narrative for a report"),
            _l("Accountability for what the ACS files"), FOR_FIGURES, ("admin",)),
)


def personal_data_of(user_id: int) -> dict:
    """Return the narratives the person last wrote: activity, period, language, when."""
    rows = db.session.execute(select(Narrative, Activity.code).join(Activity, Activity.id == Narrative.activity_id)
                              .where(Narrative.author_id == user_id).order_by(Narrative.id)).all()
    return {"narratives_written": [{"activity": code, "period": row.period, "language": row.language,
                                    "updated_at": row.updated_at.isoformat()} for row, code in rows]}


def erase_personal_data(user_id: int, uploads: Path) -> None:
    """Unlink the person from the narratives they wrote: the unit's words stay in its reports."""
    for row in db.session.execute(select(Narrative).where(Narrative.author_id == user_id)).scalars():
        row.author_id = None
