"""`flask --app wsgi demo`: a ready instance around today's date, safe to run twice."""
import csv
import io
import os
import re
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.audit.service import verify_chain
from app.contests import service as contests
from app.contests.models import Contest, Entry, JuryAssignment
from app.core.clock import utcnow
from app.coverage.models import CheckIn, Event
from app.extensions import db
from app.gamification import service as game
from app.people.models import Group, Headcount, User
from app.plan.models import Activity
from app.plan.service import current_plan
from app.surveys import service as surveys
from app.surveys.models import Survey

ROOT = Path(__file__).resolve().parent.parent
CONTESTS = ("tiktok-2024-2025", "essay-2024-2025", "poem-2024-2025")
UNIVERSITY = ZoneInfo("Asia/Almaty")          # the default TIME_ZONE


def to_local(moment: datetime) -> datetime:
    """A stored UTC moment on the university's clock."""
    return moment.replace(tzinfo=timezone.utc).astimezone(UNIVERSITY)


def counts():
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (User, Group, Headcount, Activity))


def run_demo(runner, *args):
    result = runner.invoke(args=["demo", *args])
    assert result.exit_code == 0, result.output
    return result


def at(app, moment: datetime):
    """Let the demo (and every page) run at `moment` (UTC)."""
    app.config["NOW_FUNCTION"] = lambda: moment


def assert_the_calendar_agrees_with(now: datetime):
    """Every date the demo shows belongs to the academic year that holds today, and agrees with today."""
    today = to_local(now).date()
    plan = current_plan(today)
    first_year = today.year if today.month >= 9 else today.year - 1
    assert plan is not None and plan.slug == f"ktu-{first_year}-{first_year + 1}"
    assert plan.starts_on == date(first_year, 9, 1) and plan.ends_on == date(first_year + 1, 8, 31)

    phases = {slug: contests.phase(contests.contest_by_slug(slug), now) for slug in CONTESTS}
    assert phases == {"tiktok-2024-2025": "submissions", "essay-2024-2025": "judging", "poem-2024-2025": "published"}
    for contest in db.session.execute(select(Contest)).scalars():
        assert str(first_year) in contest.title or "2024" not in contest.title     # "… 2026–2027", not "2024–2025"
        assert plan.starts_on - timedelta(days=60) <= contest.submissions_open.date() <= plan.ends_on
    poem = contests.contest_by_slug("poem-2024-2025")
    assert poem.results_on <= today and poem.published_at <= now

    survey = db.session.execute(select(Survey).where(Survey.slug == "perception-survey-2024-2025")).scalar_one()
    assert f"{first_year}-{first_year + 1}" in survey.title
    for wave in survey.waves:
        assert plan.starts_on <= wave.opens_on <= wave.closes_on <= plan.ends_on
        if wave.closes_on < today:
            assert wave.published_at is not None and surveys.respondents(wave) == 10
        elif wave.opens_on <= today:
            assert wave.published_at is None and surveys.respondents(wave) == 11     # all but student1
        else:
            assert surveys.respondents(wave) == 0
    assert sum(1 for w in survey.waves if w.is_open(today) and w.published_at is None) <= 1

    for event in db.session.execute(select(Event)).scalars():
        attended = db.session.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.event_id == event.id))
        assert event.activity.plan_id == plan.id
        assert (attended > 0) == (event.ends_at <= now) or event.title.startswith("Round table")
        if event.title.startswith("Forum"):
            assert to_local(event.starts_at).date() == date(first_year, 12, 9)   # International Anti-Corruption Day

    season = game.season_for(today)
    assert season["starts_on"] <= today <= season["ends_on"]
    assert game.competition(season, today)["started"]           # this season's standings, not a frozen old one at 0


def test_demo_runs_twice_and_signs_in(app, runner, client, auth):
    first = run_demo(runner)
    assert "admin@sanaly.test" in first.output and "student12@sanaly.test" in first.output
    assert "http://127.0.0.1:5000/" in first.output
    after_first = counts()
    assert after_first == (18, 4, 8, 60)              # 18 accounts (with the editor); the seed's 30 activities and this year's 30
    second = run_demo(runner)
    assert counts() == after_first
    assert verify_chain().ok
    assert runner.invoke(args=["audit-verify"]).exit_code == 0

    essay = contests.contest_by_slug("essay-2024-2025")
    assert db.session.scalar(select(func.count()).select_from(Entry).where(Entry.contest_id == essay.id)) == 6
    jurors = set(db.session.execute(select(JuryAssignment.juror_id).join(Entry).where(Entry.contest_id == essay.id)).scalars())
    assert len(jurors) == 3
    assert client.get("/contests/poem-2024-2025/results").status_code == 200
    moment = utcnow()
    open_event = db.session.execute(select(Event).where(Event.title.like("Round table%"))).scalar_one()
    assert open_event.starts_at <= moment <= open_event.ends_at and open_event.code in second.output

    assert auth.login("admin@sanaly.test", "demo-password").status_code == 302
    plan = current_plan(to_local(moment).date())
    page = client.get("/admin/plan/").get_data(as_text=True)
    assert page.count(f'href="/admin/plan/{plan.slug}/') == 30
    auth.logout()
    assert auth.login("student1@sanaly.test", "demo-password").status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "ЭЭ-24-1" in home and "Organizing a single hour devoted to issues of integrity" in home
    auth.logout()
    assert auth.login("curator@sanaly.test", "demo-password").status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "ЭЭ-24-1" in home and "ЭЭ-24-2" in home and "ГД-24-1" not in home


@pytest.mark.parametrize("now", [datetime(2026, 12, 4, 9, 0), datetime(2027, 3, 10, 6, 0)],
                         ids=["before-the-forum", "spring-term"])
def test_the_demo_calendar_matches_today(app, runner, client, auth, now):
    at(app, now)
    run_demo(runner)
    run_demo(runner)                                   # a second run keeps the calendar where it is
    assert_the_calendar_agrees_with(now)
    assert auth.login("admin@sanaly.test", "demo-password").status_code == 302
    page = client.get("/admin/coverage/").get_data(as_text=True)
    today = to_local(now).date()
    assert f'name="as_of" type="date" value="{today.isoformat()}"' in page
    assert f"in force on {today.isoformat()}" in page


def test_the_demo_prints_its_summary_alone_unless_asked_for_more(app, schema, tmp_path):
    environment = {**os.environ, "DATABASE_URL": schema, "SECRET_KEY": "demo-test", "UPLOAD_FOLDER": str(tmp_path)}

    def demo(*args):
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "demo", *args], cwd=ROOT,
                              env=environment, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        return (done.stdout + done.stderr).splitlines()

    quiet = demo()
    assert quiet[0].startswith("Demo ready for ") and quiet[-1].startswith("Then open:")
    assert not [line for line in quiet if "INFO" in line or line.startswith(("quiz ", "course ", "contest "))]
    # the plan line, the open check-in, the deliverables, the open survey wave (if any), two reports, a blank
    # line and the heading, the 18 accounts, the key (when this run created it), a blank line, the server
    assert len(quiet) <= 1 + 1 + 1 + 1 + 2 + 1 + 1 + 18 + 1 + 1 + 2
    verbose = demo("--verbose")
    assert any("INFO" in line for line in verbose) and "plan ktu-2024-2025: unchanged" in verbose
    assert len(verbose) > len(quiet) + 20


def test_the_readme_roster_example_is_accepted_by_the_demo(app, runner, tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"A roster file looks like this.*?```csv\n(.*?)```", readme, re.S)[1]
    assert len(list(csv.reader(io.StringIO(block)))) == 3
    run_demo(runner)
    roster = tmp_path / "roster.csv"
    roster.write_text(block, encoding="utf-8")
    result = runner.invoke(args=["import-roster", str(roster), "--dry-run"])
    assert result.exit_code == 0 and "dry run: people: 2 created, 0 updated, 0 unchanged, 0 rejected" in result.output
