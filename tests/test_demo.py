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
from app.filings.service import build_filing
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


def test_the_readme_roster_example_is_accepted_by_the_demo(app, runner, setup_cli, tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"A roster file looks like this.*?```csv\n(.*?)```", readme, re.S)[1]
    assert len(list(csv.reader(io.StringIO(block)))) == 3
    assert setup_cli("demo").exit_code == 0
    roster = tmp_path / "roster.csv"
    roster.write_text(block, encoding="utf-8")
    result = runner.invoke(args=["import-roster", str(roster), "--dry-run"])
    assert result.exit_code == 0 and "dry run: people: 2 created, 0 updated, 0 unchanged, 0 rejected" in result.output


# How each kind's figure reads: reach as a share of people; every other kind in its own terms, never as one.
KIND_WORDS = {"reach": r"\d+(?:[.,]\d+)?%", "deliverable": r"\d+ of \d+ periods? accepted|Status:",
              "units": r"\d+ of \d+ divisions heard", "register": r"\d+ of \d+ declarations submitted|\d+ positions? listed|\d+ reports? received"}
SHARE_OF_PEOPLE = re.compile(r"of employees|of students|\d+\s*/\s*\d+|\d+(?:[.,]\d+)?\s*%|headcount", re.I)


def plain(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def assert_in_own_terms(kind: str, text: str, where: str) -> None:
    assert re.search(KIND_WORDS[kind], text), f"{where}: {kind} figure reads {text!r}"
    if kind != "reach":
        shown = re.sub(r"\(target [\d.,]+%\)", "", text)          # a share of divisions names its own target
        assert not SHARE_OF_PEOPLE.search(shown), f"{where}: a {kind} shown as a share of people: {text!r}"


def table_row(page: str, code: str) -> str:
    match = re.search(r"<tr[^>]*>\s*<td>(?:<a [^>]*>)?%s(?:</a>)?</td>.*?</tr>" % re.escape(code), page, re.S)
    assert match, f"no row for {code}"
    return match.group(0)


def test_every_activity_of_the_demo_plan_is_measured_in_its_own_terms(app, runner, setup_cli, client, auth):
    assert setup_cli("demo").exit_code == 0
    today = to_local(utcnow()).date()
    plan = current_plan(today)
    kinds = {a.code: a.kind for a in plan.activities if not a.retired}
    assert len(kinds) == 30 and set(kinds.values()) == {"reach", "deliverable", "units", "register"}
    assert kinds["1.11"] == "deliverable"
    assert auth.login("admin@sanaly.test", "demo-password").status_code == 302

    # The ACS dashboard: the figure column, and a status that is not "planned, not yet tracked".
    dashboard = client.get("/admin/coverage/").get_data(as_text=True)
    for code, kind in kinds.items():
        cells = re.findall(r"<td[^>]*>(.*?)</td>", table_row(dashboard, code), re.S)
        assert_in_own_terms(kind, plain(cells[4]), f"dashboard {code}")
        assert "not yet tracked" not in cells[5], code

    # The plan page and each activity's page.
    page = client.get(f"/admin/plan/{plan.slug}").get_data(as_text=True)
    for code, kind in kinds.items():
        if kind == "reach":
            continue
        target, figure = (plain(cell) for cell in re.findall(r'<td class="num">(.*?)</td>', table_row(page, code), re.S))
        assert "%" not in target, code
        assert_in_own_terms(kind, figure, f"plan page {code}")
        detail = client.get(f"/admin/plan/{plan.slug}/{code}").get_data(as_text=True)
        measured = plain(re.search(r"<dt>Measured as</dt><dd>(.*?)</dd>", detail, re.S).group(1))
        assert_in_own_terms(kind, measured.split(";", 1)[1], f"activity page {code}")
        assert "People who took part" not in detail and "of employees" not in detail, code

    # The coverage CSV: no percentage and no target for any kind but reach.
    rows = [row for row in csv.DictReader(io.StringIO(client.get("/admin/coverage.csv").get_data(as_text=True).lstrip("\ufeff")))
            if row["scope"] == "university"]
    assert {row["activity"]: row["kind"] for row in rows} == kinds
    for row in rows:
        if row["kind"] == "reach":
            assert row["coverage_percent"] != "" or row["headcount"] == "0", row
        else:
            assert (row["coverage_percent"], row["target_percent"], row["needed"]) == ("", "", "0"), row
            assert row["status"] != "not tracked", row
            assert_in_own_terms(row["kind"], row["measure"], f"coverage CSV {row['activity']}")
            assert int(row["measure_total"]) >= int(row["measure_done"]) >= 0, row

    # The JSON API: each figure of another kind carries its own measure instead of a percentage.
    token = runner.invoke(args=["api-token", "create", "Ministry"]).output.strip()
    figures = client.get("/api/v1/coverage", headers={"Authorization": f"Bearer {token}"}).json["scopes"][0]["figures"]
    assert {f["activity"]: f["kind"] for f in figures} == kinds
    for figure in figures:
        if figure["kind"] == "reach":
            assert "measure" not in figure
        else:
            assert figure["coverage_percent"] is None and figure["target_percent"] is None, figure
            assert figure["measure"]["total"] >= figure["measure"]["done"] >= 0, figure
            if figure["kind"] == "deliverable" and figure["measure"]["overdue"]:
                assert figure["status"] == "behind", figure
    assert any(f["kind"] == "deliverable" and f["measure"]["overdue"] for f in figures)   # the demo keeps one overdue

    # The printable report for a date range: the same figures, each in its own terms.
    report = client.get("/admin/coverage/report").get_data(as_text=True)
    for code, kind in kinds.items():
        if kind != "reach":
            assert_in_own_terms(kind, plain(table_row(report, code)), f"printable report {code}")

    # The report to the Board: what was done, in the kind's own words.
    filing = build_filing(plan, "board", "en", generated_by="test", today=today)
    lines = [line for _title, section in filing.sections for line in section]
    assert {line.code: line.kind for line in lines} == kinds
    for line in lines:
        assert_in_own_terms(line.kind, line.done, f"board report {line.code}")


@pytest.mark.parametrize("wanted, closes", [("judging", "judging_close"), ("submissions", "submissions_close")])
def test_a_demo_contest_keeps_its_phase_for_a_day_even_when_its_files_window_is_about_to_end(wanted, closes):
    """Made a minute before the file's window ends, the demo would put a contest in a phase that is over by the time
    anyone (or a test run) opens it: the demo then uses windows around today instead."""
    from types import SimpleNamespace

    from app.demo.contests import STAYS_OPEN, _windows

    spec = {"submissions_open": datetime(2024, 11, 1), "submissions_close": datetime(2024, 11, 20, 23, 59, 59),
            "judging_close": datetime(2024, 12, 5, 23, 59, 59), "results_on": date(2024, 12, 9)}
    for before_end, file_kept in ((timedelta(minutes=1), False), (STAYS_OPEN - timedelta(seconds=1), False),
                                  (STAYS_OPEN + timedelta(minutes=1), True)):
        now = spec[closes] - before_end
        calendar = SimpleNamespace(now=now, today=now.date(), shift=lambda value: value)
        windows = _windows(calendar, spec, wanted)
        assert (getattr(windows, closes) == spec[closes]) is file_kept
        assert getattr(windows, closes) > now + STAYS_OPEN
        if wanted == "judging":
            assert windows.submissions_close <= now
        else:
            assert windows.submissions_open <= now


def test_the_demo_keeps_the_open_survey_wave_and_the_open_check_in_open_for_a_day(app, runner):
    """Made just after the university's midnight on the open survey wave's last day, the demo would see the wave close
    before the day is out (and a check-in open for six hours close overnight): both stay open at least another day."""
    from app.demo.plan import STAYS_OPEN

    # 15 January 2027, 00:30 in the university: the last day of the winter wave (15 January 2025 in the seed).
    now = datetime(2027, 1, 15, 0, 30, tzinfo=UNIVERSITY).astimezone(timezone.utc).replace(tzinfo=None)
    at(app, now)
    run_demo(runner)
    assert_the_calendar_agrees_with(now)
    today, a_day_later = to_local(now).date(), to_local(now + STAYS_OPEN).date()

    for slug in ("perception-survey-2024-2025", "clean-session-survey"):
        waves = db.session.execute(select(Survey).where(Survey.slug == slug)).scalar_one().waves
        open_now = [wave for wave in waves if wave.is_open(today)]
        assert len(open_now) == 1 and open_now[0].is_open(a_day_later), slug
        assert sum(1 for wave in waves if wave.is_open(a_day_later)) == 1, slug
    winter = next(w for w in db.session.execute(select(Survey).where(Survey.slug == "perception-survey-2024-2025"))
                  .scalar_one().waves if w.key == "winter-2024-2025")
    assert winter.is_open(today) and winter.published_at is None and surveys.respondents(winter) == 11

    round_table = db.session.execute(select(Event).where(Event.title.like("Round table%"))).scalar_one()
    assert round_table.starts_at <= now and now + STAYS_OPEN <= round_table.ends_at


def test_a_survey_wave_kept_open_a_day_longer_still_closes_before_the_next_one_opens(app):
    """The next wave opened the day after the wave open today closed in the file: it still opens after it closes."""
    from types import SimpleNamespace

    from app.demo.surveys import _calendar_waves
    from app.surveys.models import SurveyWave

    spec = {"title": "Survey", "translations": {}, "waves": [
        {"key": "first", "title": "First", "opens_on": date(2025, 1, 2), "closes_on": date(2025, 1, 15)},
        {"key": "second", "title": "Second", "opens_on": date(2025, 1, 16), "closes_on": date(2025, 1, 16)}]}
    survey = Survey(slug="survey", waves=[SurveyWave(key="first"), SurveyWave(key="second")])
    for today, first, second in ((date(2025, 1, 14), (date(2025, 1, 2), date(2025, 1, 15)), (date(2025, 1, 16),) * 2),
                                 (date(2025, 1, 15), (date(2025, 1, 2), date(2025, 1, 16)), (date(2025, 1, 17),) * 2)):
        calendar = SimpleNamespace(today=today, plan=SimpleNamespace(starts_on=date(2024, 9, 1)), shift=lambda value: value)
        _calendar_waves(calendar, survey, spec)
        by_key = {wave.key: (wave.opens_on, wave.closes_on) for wave in survey.waves}
        assert by_key == {"first": first, "second": second}, today
