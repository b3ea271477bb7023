"""The audit log's personal data: the events a person caused, by their id only."""
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.core.personal import PERMANENT, Holding
from app.extensions import db

HOLDINGS = (
    Holding("audit_events", ("actor_id",), _l("What a person did that fairness depends on (scores, results, roles), by id"),
            _l("An append-only log anyone can verify"), PERMANENT, ("admin", "public without names")),
)


def personal_data_of(user_id: int) -> dict:
    """Return the audit events the person caused."""
    events = db.session.execute(select(AuditEvent).where(AuditEvent.actor_id == user_id).order_by(AuditEvent.seq)).scalars()
    return {"audit_events": [{"seq": e.seq, "occurred_at": e.occurred_at.isoformat(), "action": e.action,
                              "subject": e.subject} for e in events]}


def erase_personal_data(user_id: int, uploads: Path) -> None:
    """Change nothing: events name only the id, which stays as a pseudonym, and the chain keeps verifying."""
