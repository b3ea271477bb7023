"""Background jobs' personal data: who started a piece of long work."""
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core.personal import WHILE_ACCOUNT, Holding
from app.extensions import db
from app.jobs.models import Job

HOLDINGS = (
    Holding("jobs", ("started_by_id",), _l("Long work a person started (imports, reports, backups, data copies)"),
            _l("Following its progress and handing its file to whoever started it"), WHILE_ACCOUNT, ("self", "admin")),
)


def personal_data_of(user_id: int) -> dict:
    """Return the jobs the person started: what, when, how it ended (not the files of others they hold)."""
    jobs = db.session.execute(select(Job).where(Job.started_by_id == user_id).order_by(Job.id)).scalars()
    return {"jobs": [{"kind": j.kind, "state": j.state, "created_at": j.created_at.isoformat(),
                      "finished_at": j.finished_at.isoformat() if j.finished_at else None} for j in jobs]}


def erase_personal_data(user_id: int, uploads: Path) -> None:
    """Keep the job rows: they name only the id, and the work they did concerns others."""
