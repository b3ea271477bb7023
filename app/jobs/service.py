"""Starting, running, following and retrying jobs.

Where a job runs depends on JOBS_MODE: "rq" puts it on the RQ queue in Redis (the default when
REDIS_URL is set; `flask --app wsgi worker` runs it), "thread" runs it in a thread of the web
process (the default without Redis: the embedded SQLite instance needs no extra process), "inline"
runs it before the request answers (tests, the CLI).

A handler is a function `handler(job, progress)` registered with `@handler("kind")`. It must be
idempotent: it may be run again after a crash or a retry and must then only finish what is left
(messages go through the outbox's unique keys, people are matched by e-mail). It reports
`progress(done, total)` as it goes, which also proves the job is alive (the heartbeat).
"""
import logging
import os
import socket
import threading
import time
from datetime import datetime, timedelta
from typing import Callable

from flask import current_app, has_app_context
from sqlalchemy import select, update

from app.core.clock import utcnow
from app.extensions import db
from app.jobs.models import DONE, FAILED, QUEUED, RUNNING, Job
from app.people.models import User

logger = logging.getLogger(__name__)

QUEUE_NAME = "sanaly"
HANDLERS: dict[str, Callable] = {}
# A running job whose heartbeat is older than this is taken for dead (its worker was killed).
STALE_AFTER = timedelta(minutes=2)


class JobError(Exception):
    """A job cannot do what it was asked; the message is shown to whoever started it."""


def handler(kind: str):
    """Register the function that does the work of jobs of `kind`."""
    def register(function):
        HANDLERS[kind] = function
        return function
    return register


def jobs_mode(config) -> str:
    mode = config.get("JOBS_MODE") or ("rq" if config.get("REDIS_URL") else "thread")
    if mode not in ("rq", "thread", "inline"):
        raise ValueError("JOBS_MODE must be rq, thread or inline")
    return mode


def start(kind: str, *, started_by: User | None, params: dict | None = None, input_text: str | None = None,
          mode: str | None = None) -> Job:
    """Record a job and hand it to whoever runs jobs here; return its row."""
    job = create(kind, started_by=started_by, params=params, input_text=input_text)
    dispatch(job.id, mode)
    return job


def create(kind: str, *, started_by: User | None, params: dict | None = None, input_text: str | None = None) -> Job:
    """Record a queued job without handing it to anyone yet (dispatch does), so that what it is to
    work on can be written as its own first (in the caller's transaction, committed here)."""
    if kind not in HANDLERS:
        raise ValueError(f"no handler for jobs of kind {kind!r}")
    job = Job(kind=kind, started_by_id=getattr(started_by, "id", None), params=params or {},
              input_text=input_text, state=QUEUED)
    db.session.add(job)
    db.session.commit()
    logger.info("job %s (%s) started by %s", job.id, kind, getattr(started_by, "id", None))
    return job


def dispatch(job_id: int, mode: str | None = None) -> None:
    """Hand a queued job to the RQ queue, a thread of this process, or run it now."""
    mode = mode or jobs_mode(current_app.config)
    if mode == "rq":
        from redis import Redis
        from rq import Queue

        queue = Queue(current_app.config.get("JOBS_QUEUE") or QUEUE_NAME, connection=Redis.from_url(current_app.config["REDIS_URL"]))
        queue.enqueue_call("app.jobs.service.run_queued", args=(job_id,),
                           timeout=current_app.config.get("JOB_TIMEOUT", 6 * 60 * 60))
    elif mode == "thread":
        app = current_app._get_current_object()

        def run_in_thread():
            with app.app_context():
                try:
                    run(job_id)
                finally:
                    db.session.remove()

        threading.Thread(target=run_in_thread, name=f"job-{job_id}", daemon=True).start()
    else:
        run(job_id)


def run_queued(job_id: int) -> None:
    """What the RQ worker calls: run the job inside the platform's application."""
    if has_app_context():
        try:
            run(job_id)
        finally:
            db.session.remove()
        return
    raise RuntimeError("jobs run inside the platform: start workers with `flask --app wsgi worker`")


class Progress:
    """The callable a handler reports its progress through; it commits, so the page sees it."""

    def __init__(self, job_id: int, interval: float = 0.5):
        self.job_id = job_id
        self.interval = interval
        self.last = 0.0

    def __call__(self, done: int, total: int | None = None, *, force: bool = False) -> None:
        moment = time.monotonic()
        if not force and moment - self.last < self.interval:
            return
        self.last = moment
        values = {"done": done, "heartbeat_at": utcnow()}
        if total is not None:
            values["total"] = total
        db.session.execute(update(Job).where(Job.id == self.job_id).values(**values))
        db.session.commit()


def run(job_id: int) -> None:
    """Run a queued job once: claim it, call its handler, record the outcome.

    The claim (queued → running, in one UPDATE) means two workers handed the same job never both
    run it."""
    now = utcnow()
    claimed = db.session.execute(update(Job).where(Job.id == job_id, Job.state == QUEUED).values(
        state=RUNNING, runs=Job.runs + 1, started_at=now, heartbeat_at=now, error="", runner=this_runner()))
    db.session.commit()
    if claimed.rowcount != 1:
        logger.info("job %s is not queued any more; nothing to do", job_id)
        return
    job = db.session.get(Job, job_id)
    progress = Progress(job_id)
    try:
        result = HANDLERS[job.kind](job, progress) or {}
    except Exception as error:   # the job fails, the worker goes on with the next one
        db.session.rollback()
        message = str(error) if isinstance(error, JobError) else f"{type(error).__name__}: {error}"
        if not isinstance(error, JobError):
            logger.exception("job %s (%s) failed", job_id, job.kind)
        db.session.execute(update(Job).where(Job.id == job_id).values(
            state=FAILED, error=message[:2000], finished_at=utcnow(), heartbeat_at=utcnow()))
        db.session.commit()
        return
    job = db.session.get(Job, job_id)
    db.session.execute(update(Job).where(Job.id == job_id).values(
        state=DONE, result=result, done=max(job.done, job.total), finished_at=utcnow(), heartbeat_at=utcnow()))
    db.session.commit()
    logger.info("job %s (%s) done: %s", job_id, job.kind, result)


def this_runner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def _runner_is_dead(runner: str) -> bool:
    """Whether the process named host:pid is known dead (only a process of this host can be checked)."""
    host, _sep, pid = runner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def recover_abandoned(now: datetime, mode: str | None = None) -> list[int]:
    """Queue again the running jobs whose process died (on this host) or went silent (STALE_AFTER).

    A worker calls this when it starts: a job its predecessor was killed in the middle of goes on
    where it stopped, since every handler only finishes what is left."""
    recovered = []
    for job in db.session.execute(select(Job).where(Job.state == RUNNING)).scalars().all():
        if _runner_is_dead(job.runner) or is_stale(job, now):
            reset = db.session.execute(update(Job).where(Job.id == job.id, Job.state == RUNNING,
                                                         Job.runner == job.runner).values(state=QUEUED))
            db.session.commit()
            if reset.rowcount == 1:
                logger.warning("job %s (%s) was abandoned by %s; queued again", job.id, job.kind, job.runner)
                recovered.append(job.id)
                dispatch(job.id, mode)
    return recovered


def is_stale(job: Job, now: datetime) -> bool:
    """A running job nobody has heard of for STALE_AFTER: its worker died mid-way."""
    seen = job.heartbeat_at or job.started_at or job.created_at
    return job.state == RUNNING and now - seen > STALE_AFTER


def can_retry(job: Job, now: datetime) -> bool:
    return job.state == FAILED or is_stale(job, now)


def retry(job: Job, actor: User | None, now: datetime, mode: str | None = None) -> bool:
    """Queue a failed (or dead) job again; it finishes what is left. Return False if it may not be retried."""
    if not can_retry(job, now):
        return False
    reset = db.session.execute(update(Job).where(Job.id == job.id, Job.state == job.state).values(
        state=QUEUED, finished_at=None, error=""))
    db.session.commit()
    if reset.rowcount != 1:
        return False
    logger.info("job %s (%s) retried by %s", job.id, job.kind, getattr(actor, "id", None))
    dispatch(job.id, mode)
    return True


def can_view(user: User, job: Job) -> bool:
    """Whoever started a job follows it; admins see every job."""
    return user.is_authenticated and (job.started_by_id == user.id or user.is_admin)


def jobs_of(user: User, limit: int = 30) -> list[Job]:
    """The person's latest jobs, newest first."""
    return db.session.execute(select(Job).where(Job.started_by_id == user.id)
                              .order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)).scalars().all()
