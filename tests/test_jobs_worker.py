"""A real RQ worker process on Redis: a job it was killed in the middle of is finished by the next
worker, and no message reaches the SMTP server twice."""
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis

from app.extensions import db
from app.jobs import service as jobs
from app.jobs.models import Job
from tests.mail_server import MailServer

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def redis_url():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        message = f"no Redis answers at {REDIS_URL} (set TEST_REDIS_URL); .ci/run starts one"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    yield REDIS_URL
    client.close()


def start_worker(database_url: str, redis_url: str, queue: str, server: MailServer, tmp_path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "JOBS_QUEUE": queue,
           "SECRET_KEY": "test-secret-key", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(server.port),
           "MAIL_FROM": "Sanaly Urpaq <noreply@sanaly.test>", "BASE_URL": "http://sanaly.test",
           "UPLOAD_FOLDER": str(tmp_path / "uploads"), "JOB_FILES_FOLDER": str(tmp_path / "job-files")}
    env.pop("JOBS_MODE", None)
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def wait_for(condition, seconds=60, what="the condition"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def job_state(job_id):
    db.session.expire_all()
    return db.session.get(Job, job_id)


def test_a_worker_killed_mid_job_leaves_the_rest_to_the_next_worker_and_nothing_is_sent_twice(
        app, make_user, make_group, redis_url, database_url, tmp_path):
    group = make_group()
    people = [make_user(f"w{n}@uni.test", group=group, password=None) for n in range(12)]
    queue = f"test-{uuid.uuid4().hex}"
    app.config.update(REDIS_URL=redis_url, JOBS_QUEUE=queue, JOBS_MODE="rq")
    workers = []
    with MailServer() as server:
        server.inbox.hold_after(5)   # the server stalls on the sixth message and never accepts it
        try:
            job = jobs.start("invitations", started_by=None, params={"group_id": group.id})
            workers.append(start_worker(app.config["SQLALCHEMY_DATABASE_URI"], redis_url, queue, server, tmp_path))
            assert server.inbox.holding.wait(60), "the worker never reached the sixth message"
            assert job_state(job.id).state == "running"
            workers[0].send_signal(signal.SIGKILL)
            workers[0].wait(10)
            server.inbox.release.set()
            server.inbox.hold_at = None
            assert len(server.inbox.messages) == 5

            workers.append(start_worker(app.config["SQLALCHEMY_DATABASE_URI"], redis_url, queue, server, tmp_path))
            wait_for(lambda: job_state(job.id).state == "done", what="the job to finish")
            finished = job_state(job.id)
            assert (finished.percent, finished.runs) == (100, 2)
            assert sorted(server.inbox.recipients) == sorted(p.email for p in people)   # each exactly once
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.send_signal(signal.SIGTERM)
                    try:
                        worker.wait(10)
                    except subprocess.TimeoutExpired:
                        worker.kill()
                        worker.wait()
                worker.stdout.close()
            redis.Redis.from_url(redis_url).delete(f"rq:queue:{queue}")
