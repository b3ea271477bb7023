"""Following one's jobs: the progress page (refreshing without JavaScript), its JSON, retry, the result file."""
import logging
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.core.clock import now
from app.extensions import db
from app.jobs import service
from app.jobs.models import Job
from app.people.access import ensure

logger = logging.getLogger(__name__)
bp = Blueprint("jobs", __name__, url_prefix="/jobs")


def kind_label(kind: str) -> str:
    """What a job of this kind does, in the reader's language."""
    labels = {
        "invitations": _("Invitations by e-mail"),
        "roster_import": _("Roster import"),
        "deliver": _("Sending e-mail"),
        "reminders": _("Reminders and digests"),
        "backup": _("Backup"),
        "coverage_report": _("Coverage report"),
        "data_copy": _("A copy of my data"),
        "retention": _("Retention"),
    }
    return labels.get(kind, kind)


def state_label(state: str) -> str:
    return {"queued": _("Waiting for a worker"), "running": _("Running"), "done": _("Finished"),
            "failed": _("Failed")}.get(state, state)


def _own_job(job_id: int) -> Job:
    job = db.get_or_404(Job, job_id)
    ensure(service.can_view(current_user, job))
    return job


@bp.route("/")
@login_required
def index():
    """List the jobs the person started."""
    return render_template("jobs/index.html", jobs=service.jobs_of(current_user), kind_label=kind_label,
                           state_label=state_label)


@bp.route("/<int:job_id>")
@login_required
def show(job_id):
    """Show a job's progress; the page refreshes itself until the job has finished."""
    job = _own_job(job_id)
    return render_template("jobs/show.html", job=job, kind_label=kind_label, state_label=state_label,
                           can_retry=service.can_retry(job, now()))


@bp.route("/<int:job_id>/status.json")
@login_required
def status(job_id):
    """A job's progress for the page's script."""
    job = _own_job(job_id)
    return jsonify(state=job.state, state_label=state_label(job.state), done=job.done, total=job.total,
                   percent=job.percent, finished=job.finished, error=job.error)


@bp.route("/<int:job_id>/retry", methods=["POST"])
@login_required
def retry(job_id):
    """Run a failed or dead job again; it finishes only what is left."""
    job = _own_job(job_id)
    if service.retry(job, current_user, now()):
        flash(_("The job runs again; what was already done is not done twice."), "success")
    else:
        flash(_("This job is still running or has finished."), "error")
    return redirect(url_for(".show", job_id=job.id))


@bp.route("/<int:job_id>/file")
@login_required
def download(job_id):
    """Download the file a finished job made (a report or a backup)."""
    job = _own_job(job_id)
    name = (job.result or {}).get("file")
    if job.state != "done" or not name:
        abort(404)
    folder = Path(current_app.config["JOB_FILES_FOLDER"]).resolve()
    path = (folder / name).resolve()
    if path.parent != folder or not path.is_file():
        abort(404)
    logger.info("job %s file downloaded by %s", job.id, current_user.id)
    return send_file(path, as_attachment=True, download_name=(job.result or {}).get("download_name", name))
