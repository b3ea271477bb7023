"""The plan as data: the shipped 2024-2025 plan, idempotent loading, edits in place, broken files."""
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.plan.models import Activity, ActivityPeriod, Plan
from app.core.content import ContentError
from app.plan.service import load_plans, read_plan
from app.plan.terms import parse_term

SHIPPED = Path(__file__).resolve().parent.parent / "plans" / "ktu-2024-2025.toml"


@pytest.fixture
def plans_dir(tmp_path):
    folder = tmp_path / "plans"
    folder.mkdir()
    shutil.copy(SHIPPED, folder / SHIPPED.name)
    return folder


def activities():
    return {a.code: a for a in db.session.execute(select(Activity)).scalars()}


def test_the_shipped_plan_has_every_activity_of_the_seed(app):
    spec = read_plan(SHIPPED)
    codes = [a.code for a in spec.activities]
    expected = ([f"1.{n}" for n in range(1, 12)] + [f"2.{n}" for n in range(1, 16)] + ["3.1"]
                + [f"4.{n}" for n in range(1, 4)])
    assert codes == expected
    assert spec.sections == {"1": "General nature activities",
                             "2": "Anti-corruption training and education of the students",
                             "3": "Promoting anti-corruption culture among employees and the teaching staff",
                             "4": "Promoting the anti-corruption compliance institute at the University"}
    by_code = {a.code: a for a in spec.activities}
    assert by_code["2.1"].target_percent == 20 and by_code["2.1"].population == "students"
    assert by_code["2.2"].target_percent == 100
    assert by_code["2.9"].target_percent == 0.3
    assert by_code["3.1"].target_percent == 15 and by_code["3.1"].population == "employees"
    assert by_code["1.2"].target_percent is None
    assert by_code["2.5"].term_text == "Twice a year: till January 15, till June 15"
    assert by_code["2.5"].periods == [(date(2024, 9, 1), date(2025, 1, 15)), (date(2025, 1, 16), date(2025, 6, 15))]
    assert by_code["2.11"].periods == [(date(2024, 9, 1), date(2024, 12, 9))]
    assert "Student Club “Sanaly Urpak”" in by_code["2.3"].responsible
    assert spec.approved_on == date(2024, 10, 7)


def test_loading_twice_creates_nothing_new(app, plans_dir):
    first = load_plans(plans_dir)
    assert first[0].created == 30
    second = load_plans(plans_dir)
    assert second[0].unchanged
    assert db.session.scalar(select(func.count()).select_from(Plan)) == 1
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 30


def test_an_edited_plan_updates_in_place_and_retires_removed_activities(app, plans_dir):
    load_plans(plans_dir)
    before = activities()
    path = plans_dir / SHIPPED.name
    text = path.read_text(encoding="utf-8")
    text = text.replace("target_percent = 20\n", "target_percent = 25\n", 1)
    start = text.index('code = "4.3"')
    text = text[:text.rindex("[[activities]]", 0, start)]  # drop the last activity, 4.3
    path.write_text(text, encoding="utf-8")
    result = load_plans(plans_dir)[0]
    assert (result.created, result.updated, result.retired) == (0, 29, 1)
    after = activities()
    assert after["2.1"].id == before["2.1"].id and after["2.1"].target_percent == 25
    assert after["4.3"].retired
    path.write_text(SHIPPED.read_text(encoding="utf-8"), encoding="utf-8")
    load_plans(plans_dir)
    assert not activities()["4.3"].retired


def test_changed_term_replaces_the_periods(app, plans_dir):
    load_plans(plans_dir)
    path = plans_dir / SHIPPED.name
    path.write_text(path.read_text(encoding="utf-8").replace(
        'term = "Twice a year: till January 15, till June 15"', 'term = "Quarterly"'), encoding="utf-8")
    load_plans(plans_dir)
    assert len(activities()["2.5"].periods) == 4
    assert db.session.scalar(select(func.count()).select_from(ActivityPeriod).where(
        ActivityPeriod.activity_id == activities()["2.5"].id)) == 4


@pytest.mark.parametrize("edit, key, problem", [
    (lambda t: t.replace('population = "students"', 'population = "aliens"', 1), "population", "must be one of"),
    (lambda t: t.replace('code = "1.2"', 'code = "1.1"', 1), "activities[1].code", "appears twice"),
    (lambda t: t.replace("target_percent = 20\n", "target_percent = 120\n", 1), "target_percent", "at most 100"),
    (lambda t: t.replace('slug = "ktu-2024-2025"', 'slug = "other"'), "slug", "must match the file name"),
    (lambda t: t.replace("starts_on = 2024-09-01", 'starts_on = "September"'), "starts_on", "must be a date"),
    (lambda t: t + "\n[[activities\n", "", "is not valid TOML"),
    (lambda t: t.replace("section = 2\n", "section = 9\n", 1), "section", "section 9 is not listed"),
])
def test_a_broken_plan_names_file_key_and_problem_and_loads_nothing(app, plans_dir, edit, key, problem):
    good = plans_dir / "aaa-good.toml"
    good.write_text(SHIPPED.read_text(encoding="utf-8").replace('slug = "ktu-2024-2025"', 'slug = "aaa-good"'),
                    encoding="utf-8")
    path = plans_dir / SHIPPED.name
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_plans(plans_dir)
    assert caught.value.path.endswith(".toml")
    assert key in caught.value.key and problem in caught.value.problem
    assert db.session.scalar(select(func.count()).select_from(Plan)) == 0  # not even the good file


def test_cli_load_content_reports_and_fails_on_a_broken_file(app, runner, tmp_path):
    ok = runner.invoke(args=["load-content"])
    assert ok.exit_code == 0 and "plan ktu-2024-2025: 30 activities created" in ok.output
    assert "unchanged" in runner.invoke(args=["load-content"]).output
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "broken.toml").write_text('slug = "broken"\ntitle = 3\n', encoding="utf-8")
    app.config["CONTENT_FOLDER"] = str(tmp_path)
    broken = runner.invoke(args=["load-content"])
    assert broken.exit_code == 1
    assert "broken.toml: starts_on: must be a date" in broken.output and "nothing was loaded" in broken.output


def test_admin_sees_every_activity_with_target_and_term(app, client, make_user, auth, runner, setup_cli):
    setup_cli("load-content")
    app.config["NOW_FUNCTION"] = lambda: datetime(2024, 10, 1, 9, 0)       # a day of the plan's year
    make_user("boss@uni.test", roles=("admin",))
    auth.login("boss@uni.test")
    page = client.get("/admin/plan/").get_data(as_text=True)
    for code in ("1.1", "2.2", "2.9", "3.1", "4.3"):
        assert f">{code}</a>" in page
    assert "0.3%" in page and "Twice a year: till January 15, till June 15" in page
    detail = client.get("/admin/plan/ktu-2024-2025/2.5").get_data(as_text=True)
    assert "2025-01-16 – 2025-06-15" in detail


@pytest.mark.parametrize("text, expected", [
    ("Quarterly", 4), ("Monthly", 12), ("Within the year", 1),
    ("Twice a year: till January 15, till June 15", 2), ("According to individual schedule (quarterly)", 4),
])
def test_term_period_counts(text, expected):
    assert len(parse_term(text, date(2024, 9, 1), date(2025, 8, 31))) == expected


@pytest.mark.parametrize("text, first, last", [
    ("September 2024 (from 01 to 15)", date(2024, 9, 1), date(2024, 9, 15)),
    ("May-June 2025", date(2025, 5, 1), date(2025, 6, 30)),
    ("Till December 9, 2024", date(2024, 9, 1), date(2024, 12, 9)),
    ("September 2024 - May 2025", date(2024, 9, 1), date(2025, 5, 31)),
    ("October 2025 (from 9 to 17 monthly)", date(2025, 10, 9), date(2025, 10, 17)),
    ("May 2025", date(2025, 5, 1), date(2025, 5, 31)),
    ("According to the Norms of the taxation laws", date(2024, 9, 1), date(2025, 8, 31)),
])
def test_term_dates(text, first, last):
    periods = parse_term(text, date(2024, 9, 1), date(2025, 8, 31))
    assert periods[0][0] == first and periods[-1][1] == last


# --- which plan is current ------------------------------------------------------------------------------

def test_the_current_plan_is_the_one_whose_year_holds_the_day_and_none_after_every_plan(app, runner, setup_cli):
    from app.plan.service import current_plan

    assert setup_cli("load-content").exit_code == 0
    assert current_plan(date(2024, 9, 1)).slug == current_plan(date(2025, 8, 31)).slug == "ktu-2024-2025"
    assert current_plan(date(2025, 9, 1)) is None and current_plan(date(2026, 12, 4)) is None
    assert current_plan(date(2024, 8, 31)) is None


NO_PLAN_PAGES = ["/admin/plan/", "/admin/", "/admin/coverage/", "/admin/coverage/report", "/admin/coverage.csv",
                 "/events/", "/coverage/", "/coverage/groups/{group}", "/coverage/groups/{group}.csv"]


def test_every_page_that_needs_the_current_plan_says_there_is_none_this_year(app, runner, client, make_user,
                                                                           make_group, auth, setup_cli):
    from datetime import datetime

    assert setup_cli("load-content").exit_code == 0
    app.config["NOW_FUNCTION"] = lambda: datetime(2026, 12, 4, 9, 0)     # after the only plan's year
    group = make_group()
    student = make_user("s@uni.test", group=group)
    curator = make_user("c@uni.test", roles=("curator", "admin"))
    group.curators.append(curator)
    db.session.commit()
    auth.login("c@uni.test")
    for path in NO_PLAN_PAGES:
        page = client.get(path.format(group=group.id))
        assert page.status_code == 200, path
        assert "No plan covers" in page.get_data(as_text=True), path
    assert "ktu-2024-2025" in client.get("/coverage/").get_data(as_text=True)    # the earlier plan is offered
    for path in ("/", f"/quizzes/groups/{group.id}", "/leaderboard", "/profile"):
        assert client.get(path).status_code == 200, path
    auth.logout()
    auth.login("s@uni.test")
    assert client.get("/").status_code == 200 and client.get("/leaderboard").status_code == 200
    from app.coverage.events import issue_token

    token = issue_token("test", None)
    answer = client.get("/api/v1/coverage", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 404 and "no plan covers today (2026-12-04)" in answer.get_json()["error"]
    assert student.id


def test_the_demo_moves_the_seed_plan_to_another_academic_year_whole():
    from app.demo.plan import plan_for_year

    moved = plan_for_year(read_plan(SHIPPED), date(2026, 9, 1))
    assert (moved.slug, moved.academic_year) == ("ktu-2026-2027", "2026-2027")
    assert (moved.starts_on, moved.ends_on, moved.approved_on) == (date(2026, 9, 1), date(2027, 8, 31), date(2026, 10, 7))
    survey = next(a for a in moved.activities if a.code == "2.5")
    assert survey.periods == [(date(2026, 9, 1), date(2027, 1, 15)), (date(2027, 1, 16), date(2027, 6, 15))]
    forum = next(a for a in moved.activities if a.code == "2.11")
    assert forum.term_text == "Till December 9, 2026" and forum.periods == [(date(2026, 9, 1), date(2026, 12, 9))]
    texts = [moved.title] + [getattr(a, f) for a in moved.activities
                             for f in ("name", "term_text", "target_text", "expected_result", "form_of_completion")]
    assert not [t for t in texts if "2024" in t or "2025" in t]
    assert "2026-2027 academic year" in moved.title
    assert moved.digest != read_plan(SHIPPED).digest
