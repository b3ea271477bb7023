"""Background jobs' personal data: who started which job (the job's input stays with the job)."""
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from app.core.personal import WHILE_ACCOUNT, Holding
from app.extensions import db
from app.jobs.models import Job

HOLDINGS = (
    Holding("jobs", ("started_by_id",), _l("Who started a background job (invitations, imports, reports, backups)"),
            _l("Showing the progress to the person who started it; accountability"), WHILE_ACCOUNT, ("admin",)),
)


def personal_data_of(user_id: int) -> dict:
    """Return the jobs the person started: kind, state and times (not their input, which names others)."""
    jobs = db.session.execute(select(Job).where(Job.started_by_id == user_id).order_by(Job.id)).scalars()
    return {"jobs_started": [{"id": job.id, "kind": job.kind, "state": job.state,
                              "created_at": job.created_at.isoformat(),
                              "finished_at": job.finished_at.isoformat() if job.finished_at else None}
                             for job in jobs]}


def erase_personal_data(user_id: int, uploads: Path) -> None:
    """The jobs stay (their results are others' data); they no longer name who started them."""
    db.session.execute(update(Job).where(Job.started_by_id == user_id).values(started_by_id=None))
