"""The privacy jobs: a person's data copy made in the background (for large accounts), and retention."""
from datetime import timedelta
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from app.core.clock import now
from app.extensions import db
from app.jobs.files import files_folder
from app.jobs.models import Job
from app.jobs.service import JobError, handler
from app.people.models import User
from app.privacy import access_log, data_copy
from app.privacy.models import RetentionRun
from app.privacy.providers import FEATURES
from app.privacy.retention import apply_retention


def render_summary(user: User, made_at):
    """A function that renders the readable summary of `user`'s data, in their language, outside a request."""
    def render(data):
        template = current_app.jinja_env.get_template("privacy/copy.html")
        with force_locale(user.language or "en"):
            return template.render(data=data, person=user, features=FEATURES, made_at=made_at,
                                   current_locale=user.language or "en")
    return render


@handler("data_copy")
def make_data_copy(job: Job, progress) -> dict:
    """Write the ZIP of the data of the person who started the job into the job files."""
    user = db.session.get(User, job.started_by_id) if job.started_by_id else None
    if user is None or job.params.get("user_id") != user.id:
        raise JobError("a data copy is made only for the person who asked for it")
    progress(0, 1, force=True)
    moment = now()
    content = data_copy.build_zip(user.id, moment, Path(current_app.config["UPLOAD_FOLDER"]),
                                  render_summary(user, moment))
    name = f"data-copy-{job.id}.zip"
    (files_folder() / name).write_bytes(content)
    access_log.record_access(user.id, access_log.DATA_COPY, f"user:{user.id}", subject_user_id=user.id,
                             path=f"job:{job.id}", at=moment)
    db.session.commit()
    return {"file": name, "download_name": f"my-data-{user.id}.zip"}


@handler("retention")
def apply_retention_job(job: Job, progress) -> dict:
    """Remove every kind of personal data older than its period (what `flask tick` starts).

    Tick runs every few minutes; retention is a daily matter, so a run within the last 20 hours
    means there is nothing to do yet."""
    progress(0, 1, force=True)
    moment = now()
    last = db.session.scalar(select(RetentionRun.ran_at).order_by(RetentionRun.ran_at.desc()).limit(1))
    if last is not None and moment - last < timedelta(hours=20):
        return {"skipped": f"last run {last.isoformat(timespec='minutes')}"}
    removed = apply_retention(moment, Path(current_app.config["UPLOAD_FOLDER"]))
    db.session.commit()
    return removed
