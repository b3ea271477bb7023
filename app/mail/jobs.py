"""The jobs of e-mail: invitations of a group or a list, a roster import that invites, delivery, reminders."""
from flask import current_app

from app.core.clock import now
from app.extensions import db
from app.jobs.models import Job
from app.jobs.service import JobError, handler
from app.mail import messages, reminders, service
from app.people import service as people
from app.people.models import User

ROSTER_SLICE = 1000


@handler("invitations")
def send_invitations(job: Job, progress) -> dict:
    """Invite people who have no password yet (a group's, or a list), then send the invitations."""
    params = job.params or {}
    ids = messages.people_to_invite(group_id=params.get("group_id"), user_ids=params.get("user_ids"))
    total = 2 * len(ids)
    progress(0, total, force=True)
    queued = messages.queue_invitations(ids, job.id, progress, total=total)
    sent = service.deliver(current_app.config, job_id=job.id,
                           progress=lambda done, _all: progress(len(ids) + done, total))
    return {"people": len(ids), "queued": queued, **sent}


@handler("roster_import")
def import_roster(job: Job, progress) -> dict:
    """Import a roster in slices of 1,000 rows, each committed; with params invite, invite the new people.

    The result so far is kept on the job after each slice, so a retry goes on from the first slice
    not done (and a slice done again changes nothing)."""
    text = job.input_text or ""
    rows, problem = people.read_csv(text, people.ROSTER_COLUMNS)
    if problem:
        raise JobError(problem)
    actor = db.session.get(User, job.started_by_id) if job.started_by_id else None
    state = dict(job.result or {})
    next_row = state.get("next_row", 0)
    totals = {"created": state.get("created", 0), "updated": state.get("updated", 0),
              "unchanged": state.get("unchanged", 0)}
    reasons = [tuple(item) for item in state.get("reasons", [])]   # the first 500, to show
    rejected = state.get("rejected", 0)
    invite = bool((job.params or {}).get("invite"))
    total = len(rows) * (3 if invite else 1)
    seen = {}
    for line, row in enumerate(rows[:next_row], start=2):   # a retry: the slices already imported
        seen.setdefault(people.normalise_email(row.get("email", "")), line)
    progress(next_row, total, force=True)
    for start in range(next_row, len(rows), ROSTER_SLICE):
        report = people.import_roster_rows(rows[start:start + ROSTER_SLICE], actor=actor, first_line=start + 2,
                                           seen=seen)
        for name in totals:
            totals[name] += getattr(report, name)
        reasons = (reasons + report.rejected)[:500]
        rejected += len(report.rejected)
        state = {**totals, "reasons": reasons, "rejected": rejected, "next_row": start + ROSTER_SLICE}
        db.session.query(Job).filter(Job.id == job.id).update({"result": state})
        db.session.commit()
        progress(min(start + ROSTER_SLICE, len(rows)), total, force=True)
    result = {**totals, "rejected": rejected, "reasons": reasons}
    if invite:
        emails = [people.normalise_email(row.get("email", "")) for row in rows]
        ids = _ids_of(emails)
        invited = messages.people_to_invite(user_ids=ids)
        base = len(rows)
        queued = messages.queue_invitations(
            invited, job.id, lambda done, _t: progress(base + done * len(rows) // max(len(invited), 1), total))
        sent = service.deliver(current_app.config, job_id=job.id,
                               progress=lambda done, count: progress(2 * base + done * len(rows) // max(count, 1), total))
        result.update(queued=queued, **sent)
    return result


def _ids_of(emails: list[str]) -> list[int]:
    from sqlalchemy import select

    ids = []
    for start in range(0, len(emails), 1000):
        ids += db.session.execute(select(User.id).where(User.email.in_(emails[start:start + 1000]))).scalars().all()
    return ids


@handler("deliver")
def deliver_outbox(job: Job, progress) -> dict:
    """Send the job's own messages (a password reset's) and every message no running job owns."""
    service.adopt_waiting(job.id)
    return service.deliver(current_app.config, job_id=job.id, progress=progress)


@handler("reminders")
def send_reminders(job: Job, progress) -> dict:
    """Write the reminders and digests that are due, then send what waits in the outbox."""
    counts = reminders.queue_due(now(), job.id)
    service.adopt_waiting(job.id)
    sent = service.deliver(current_app.config, job_id=job.id, progress=progress)
    return {"queued": sum(counts.values()), **sent}
