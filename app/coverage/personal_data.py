"""Coverage's personal data: check-ins at offline events, and who created events and API tokens."""
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.core.personal import FOR_FIGURES, Holding
from app.coverage.models import ApiToken, CheckIn, Event
from app.coverage.service import clear_coverage
from app.extensions import db

HOLDINGS = (
    Holding("check_ins", ("user_id",), _l("Check-ins at offline events"),
            _l("Counting who attended forums, round tables, the brain ring and Clean Session"), FOR_FIGURES,
            ("self", "admin", "curator")),
    Holding("events", ("created_by_id",), _l("Who created an offline event"), _l("Accountability for check-in codes"),
            FOR_FIGURES, ("admin",)),
    Holding("api_tokens", ("created_by_id",), _l("Who created an API token"), _l("Accountability for data access"),
            FOR_FIGURES, ("admin",)),
)


def personal_data_of(user_id: int) -> dict:
    """Return the person's check-ins and how many events and tokens they created."""
    rows = db.session.execute(select(CheckIn, Event.title).join(Event, Event.id == CheckIn.event_id)
                              .where(CheckIn.user_id == user_id).order_by(CheckIn.checked_in_at)).all()
    return {
        "check_ins": [{"event": title, "checked_in_at": row.checked_in_at.isoformat(), "source": row.source}
                      for row, title in rows],
        "events_created": db.session.scalar(select(func.count()).select_from(Event).where(Event.created_by_id == user_id)),
        "api_tokens_created": db.session.scalar(
            select(func.count()).select_from(ApiToken).where(ApiToken.created_by_id == user_id)),
    }


def erase_personal_data(user_id: int, uploads: Path) -> None:
    """Keep check-ins: they hold no free text and count in past coverage; drop cached pages that named the person."""
    clear_coverage()
