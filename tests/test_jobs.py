"""Jobs: their states, retry, the progress page and its JSON, the files reports and backups leave."""
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.jobs import service as jobs
from app.jobs.models import Job
from app.plan.service import load_plans

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def admin(make_user, auth):
    person = make_user("officer@uni.test", roles=("admin",))
    auth.login("officer@uni.test")
    return person


@pytest.fixture
def flaky(app):
    """A job kind that fails the first time and succeeds the second, counting its runs."""
    calls = []

    @jobs.handler("test_flaky")
    def flaky_job(job, progress):
        calls.append(job.id)
        progress(1, 2, force=True)
        if len(calls) == 1:
            raise jobs.JobError("the server is down")
        progress(2, 2, force=True)
        return {"done": True}

    yield calls
    jobs.HANDLERS.pop("test_flaky")


def test_a_failed_job_says_why_and_runs_again_on_retry(app, client, admin, flaky):
    job = jobs.start("test_flaky", started_by=admin)
    db.session.refresh(job)
    assert (job.state, job.error, job.done, job.total) == ("failed", "the server is down", 1, 2)
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "the server is down" in page and "Run again" in page
    assert client.get(f"/jobs/{job.id}/status.json").get_json()["state"] == "failed"
    assert client.post(f"/jobs/{job.id}/retry").status_code == 302
    db.session.refresh(job)
    assert (job.state, job.percent, job.runs, job.error) == ("done", 100, 2, "")
    assert client.post(f"/jobs/{job.id}/retry", follow_redirects=True).status_code == 200
    assert len(flaky) == 2      # a finished job is not run again


def test_a_job_is_claimed_once(app, admin, flaky):
    job = jobs.create("test_flaky", started_by=admin)
    jobs.run(job.id)
    jobs.run(job.id)            # handed out twice (two workers): the second finds it taken
    assert len(flaky) == 1


def test_a_silent_running_job_counts_as_dead_and_may_be_retried(app, admin):
    job = Job(kind="reminders", state="running", started_by_id=admin.id, heartbeat_at=datetime(2025, 3, 3, 10, 0))
    db.session.add(job)
    db.session.commit()
    assert not jobs.can_retry(job, datetime(2025, 3, 3, 10, 1))
    assert jobs.can_retry(job, datetime(2025, 3, 3, 10, 0) + jobs.STALE_AFTER + timedelta(seconds=1))
    assert jobs.recover_abandoned(datetime(2025, 3, 3, 10, 5)) == [job.id]
    db.session.refresh(job)
    assert job.state == "done"


def test_the_progress_page_refreshes_itself_until_the_job_is_over(app, client, admin):
    job = Job(kind="backup", state="running", started_by_id=admin.id, done=3, total=4)
    db.session.add(job)
    db.session.commit()
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert '<meta http-equiv="refresh"' in page and 'value="75"' in page and "job.js" in page
    assert client.get(f"/jobs/{job.id}/status.json").get_json()["percent"] == 75
    assert "Backup" in client.get("/jobs/").get_data(as_text=True)


def test_the_coverage_report_job_leaves_a_spreadsheet_for_whoever_started_it(app, client, admin, make_user, auth):
    load_plans(ROOT / "plans")
    db.session.commit()
    app.config["NOW_FUNCTION"] = lambda: datetime(2025, 3, 1, 6, 0)
    assert client.post("/admin/mail", data={"kind": "coverage_report"}).status_code == 302
    job = db.session.execute(select(Job)).scalar_one()
    assert job.state == "done", job.error
    download = client.get(f"/jobs/{job.id}/file")
    assert download.status_code == 200 and download.data[:2] == b"PK"
    assert "coverage-ktu-2024-2025-2025-03-01.xlsx" in download.headers["Content-Disposition"]
    other = make_user("other@uni.test", roles=("admin",))
    client.post("/logout")
    auth.login(other.email)
    assert client.get(f"/jobs/{job.id}/file").status_code == 200      # the ACS sees every job
    client.post("/logout")
    auth.login(make_user("curator@uni.test", roles=("curator",)).email)
    assert client.get(f"/jobs/{job.id}/file").status_code == 403


def test_the_backup_job_makes_the_same_archive_as_the_command(app, client, admin):
    client.post("/admin/mail", data={"kind": "backup"})
    job = db.session.execute(select(Job)).scalar_one()
    assert job.state == "done", job.error
    assert job.result["file"].startswith("sanaly-") and job.result["file"].endswith(".tar.gz")
    assert client.get(f"/jobs/{job.id}/file").status_code == 200
