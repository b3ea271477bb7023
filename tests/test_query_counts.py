"""Every main page runs the same number of SQL statements for 10 students as for 2,000.

The instance is the one the benchmarks measure (`bench/run.py`): `seed-scale` in bulk, then the
demo for its accounts; the demo's curator also follows every group of the first scale faculty, so
their dashboard shows rows in proportion to the size. Each page is fetched from a cold start (no
cached coverage, standings or content versions, nothing in the session), its status and a piece of its content are
checked — a page that turned into an error would be 'flat' too — and its statements are counted.
"""
import json
import re
from collections import Counter
from pathlib import Path

from sqlalchemy import event, select, update

from app.contests.models import JuryAssignment
from app.core.cache import immutables
from app.coverage.service import clear_coverage
from app.extensions import db
from app.gamification.service import clear_standings
from app.people.models import Faculty, Group, User
from tests.conftest import _empty_tables

PASSWORD = "demo-password"
SMALL, LARGE = 10, 2000


class Statements:
    """The SQL statements the application runs while the block is open (cut to `width` characters)."""

    def __init__(self, width: int = 160):
        self.width = width

    def __enter__(self):
        self.seen = []
        event.listen(db.engine, "before_cursor_execute", self.record)
        return self

    def record(self, _connection, _cursor, statement, *_rest):
        self.seen.append(" ".join(statement.split())[:self.width])

    def __exit__(self, *_exc):
        event.remove(db.engine, "before_cursor_execute", self.record)


def build(setup_cli, runner, students: int) -> str:
    """An instance of `students` scale students plus the demo (a copy after the run's first); return an API token."""
    _empty_tables()
    result = setup_cli("seed-scale", "--students", str(students), "--seed", "1", then=[("demo",)])
    assert result.exit_code == 0, result.output
    curator = db.session.execute(select(User).where(User.email == "curator@sanaly.test")).scalar_one()
    first = db.session.execute(select(Faculty.id).where(Faculty.name == "Faculty 01")).scalar_one()
    curator.curated_groups.extend(db.session.execute(select(Group).where(Group.faculty_id == first)).scalars())
    # The demo's essay contest already holds the scale entries, so the demo assigns jury1 nothing:
    # jury1 takes over the first scale juror's entries.
    jury1, stand_in = (db.session.execute(select(User.id).where(User.email == email)).scalar_one()
                       for email in ("jury1@sanaly.test", "staff1@scale.test"))
    db.session.execute(update(JuryAssignment).where(JuryAssignment.juror_id == stand_in).values(juror_id=jury1))
    db.session.commit()
    token = runner.invoke(args=["api-token", "create", "query counts"])
    assert token.exit_code == 0, token.output
    return token.output.strip().splitlines()[-1]


def signed_in(app, email):
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    return client


def measure(app, token: str) -> dict:
    """{page: statements} for every main page, each checked for its status and content."""
    student, juror = signed_in(app, "student1@sanaly.test"), signed_in(app, "jury1@sanaly.test")
    curator, admin = signed_in(app, "curator@sanaly.test"), signed_in(app, "admin@sanaly.test")
    start = student.post("/quizzes/integrity-hour/start")
    assert start.status_code == 302, start.get_data(as_text=True)[-500:]
    attempt = start.location
    first_input = re.search(r'name="(a[a-z2-7]{16})" value="([^"]*)"', student.get(attempt).get_data(as_text=True))
    assignment, code = re.search(r'href="(/jury/assignments/\d+)"><code>([^<]+)</code>',
                                 juror.get("/jury/").get_data(as_text=True)).groups()
    pages = {
        "lesson page": (student, "GET", "/courses/fundamentals-of-anti-corruption-culture/what-is-corruption",
                        "What corruption is"),
        "quiz attempt page": (student, "GET", attempt, 'class="question'),
        "answer save": (student, "POST", attempt.split("?")[0] + "/autosave?page=1", '"saved":true'),
        "juror's queue": (juror, "GET", "/jury/", assignment),
        "juror's scoring page": (juror, "GET", assignment, code),
        "public results": (app.test_client(), "GET", "/contests/poem-2024-2025/results", "robust"),
        "coverage API": (app.test_client(), "GET", "/api/v1/coverage?activity=2.2", '"scopes"'),
        "curator dashboard": (curator, "GET", "/coverage/", "ЭЭ-24-1"),
        "ACS plan dashboard": (admin, "GET", "/admin/coverage/", "2.2"),
    }
    counts = {}
    for name, (client, method, url, content) in pages.items():
        options = {}
        if name == "answer save":
            options["data"] = {first_input.group(1): first_input.group(2) or "0"}
        if name == "coverage API":
            options["headers"] = {"Authorization": f"Bearer {token}"}
        clear_coverage()
        clear_standings()
        immutables().clear()
        db.session.expire_all()
        with Statements() as statements:
            response = client.open(url, method=method, **options)
        body = response.get_data(as_text=True)
        if response.is_json:
            body = json.dumps(response.json, ensure_ascii=False, separators=(",", ":"))
        assert response.status_code == 200, (name, response.status_code, body[-300:])
        assert content in body, (name, content)
        counts[name] = statements.seen
    return counts


def test_every_main_page_runs_as_many_statements_for_2000_students_as_for_10(app, runner, setup_cli):
    small = measure(app, build(setup_cli, runner, SMALL))
    large = measure(app, build(setup_cli, runner, LARGE))
    assert db.session.scalar(select(db.func.count()).select_from(User)) > LARGE
    for page in small:
        extra = Counter(large[page]) - Counter(small[page])
        assert len(large[page]) == len(small[page]), (page, extra.most_common(3))


def steady(client, method, url, **options) -> list[str]:
    """The statements of the third request of a page (the first ones may write or fill caches)."""
    for _ in range(2):
        client.open(url, method=method, **options)
    db.session.expire_all()
    with Statements(width=100_000) as statements:
        response = client.open(url, method=method, **options)
    assert response.status_code == 200, (url, response.get_data(as_text=True)[-300:])
    return statements.seen


def test_pages_in_the_steady_state_load_only_what_they_show(app, runner, setup_cli):
    """Once warm: the person and the unread count in one statement without the password hash; no lesson or
    quiz version decoded again; the lesson outline reads titles only; the attempt row read once; the
    curator's figures from the cache."""
    build(setup_cli, runner, SMALL)
    student, curator = signed_in(app, "student1@sanaly.test"), signed_in(app, "curator@sanaly.test")
    admin = signed_in(app, "admin@sanaly.test")
    attempt = student.post("/quizzes/integrity-hour/start").location
    first_input = re.search(r'name="(a[a-z2-7]{16})" value="([^"]*)"', student.get(attempt).get_data(as_text=True))
    pages = {
        "lesson page": (student, "GET", "/courses/fundamentals-of-anti-corruption-culture/what-is-corruption", {}),
        "quiz attempt page": (student, "GET", attempt, {}),
        "answer save": (student, "POST", attempt.split("?")[0] + "/autosave?page=1",
                        {"data": {first_input.group(1): first_input.group(2) or "0"}}),
        "curator dashboard": (curator, "GET", "/coverage/", {}),
        "ACS plan dashboard": (admin, "GET", "/admin/coverage/", {}),
        "student's home page": (student, "GET", "/", {}),
        "quiz page": (student, "GET", "/quizzes/integrity-hour/", {}),
    }
    seen = {name: steady(client, method, url, **options) for name, (client, method, url, options) in pages.items()}
    for name, statements in seen.items():
        people = [s for s in statements if "FROM users" in s]
        assert len(people) == 1 and "notifications" in people[0] and "user_roles" in people[0], (name, people)
        assert not any("password_hash" in s for s in statements), name
        assert not any("quiz_versions" in s for s in statements), name
        assert not any("lesson_versions" in s for s in statements), name
    for name in ("quiz attempt page", "answer save"):
        assert len([s for s in seen[name] if s.startswith("SELECT quiz_attempts.")]) == 1, seen[name]
    assert len(seen["quiz attempt page"]) <= 4 and len(seen["answer save"]) <= 4, (seen["quiz attempt page"],
                                                                                    seen["answer save"])
    assert not any("participations" in s or "headcounts" in s for s in seen["curator dashboard"])
    # The lesson page: the person, the course, the outline (which holds the lesson), the last visit, completions.
    assert len(seen["lesson page"]) == 5 and not any(s.startswith("SELECT lessons.id, lessons.course_id")
                                                     for s in seen["lesson page"]), seen["lesson page"]
    # The student's home page: an open survey's card without the survey's questions, the plan's section 2 without
    # its periods, the group card's code and faculty name in one statement.
    home = seen["student's home page"]
    assert any("FROM survey_waves JOIN surveys" in s for s in home) and not any("surveys.questions" in s for s in home), home
    assert not any("FROM activity_periods" in s for s in home), home     # neither the integrity hour's nor section 2's
    assert not any(s.startswith(("SELECT faculties.", "SELECT groups.id")) for s in home), home
    # A quiz's page: its plan activity and that activity's plan in one statement, without the periods (the home
    # page reads the integrity hour's the same way).
    activity = [s for s in seen["quiz page"] if "FROM activities" in s or "FROM plans" in s]
    assert len(activity) == 1 and "JOIN plans" in activity[0], activity
    assert not any("FROM activity_periods" in s for s in seen["quiz page"]), seen["quiz page"]
    assert any("FROM activities JOIN plans" in s for s in home), home
    # The ACS dashboard: the person, the plans (the current one among them), the coverage version.
    assert len(seen["ACS plan dashboard"]) <= 3 and len([s for s in seen["ACS plan dashboard"]
                                                         if "FROM plans" in s]) == 1, seen["ACS plan dashboard"]


def test_a_new_lesson_text_is_a_new_version_so_kept_texts_never_go_stale(app, runner, setup_cli, tmp_path):
    """Versions are kept in memory by id: a changed lesson gets a new version row, and the page shows it."""
    import shutil

    from app.courses.models import Lesson

    build(setup_cli, runner, SMALL)
    student = signed_in(app, "student1@sanaly.test")
    url = "/courses/fundamentals-of-anti-corruption-culture/what-is-corruption"
    assert "What corruption is" in student.get(url).get_data(as_text=True)
    content = tmp_path / "content"
    for folder in ("courses", "quizzes", "contests", "plans"):
        shutil.copytree(Path(app.config["CONTENT_FOLDER"]) / folder, content / folder)
    lesson_file = next((content / "courses").glob("*/*what-is-corruption.md"))
    lesson_file.write_text(lesson_file.read_text().replace("What corruption is", "What corruption really is", 1))
    before = db.session.execute(select(Lesson.current_version_id).where(Lesson.slug == "what-is-corruption")).scalar()
    app.config["CONTENT_FOLDER"] = str(content)
    loaded = runner.invoke(args=["load-content"])
    assert loaded.exit_code == 0, loaded.output[-800:]
    after = db.session.execute(select(Lesson.current_version_id).where(Lesson.slug == "what-is-corruption")).scalar()
    assert after != before
    assert "What corruption really is" in student.get(url).get_data(as_text=True)


def test_figures_cached_by_one_process_are_fresh_once_another_commits_a_change(app, runner, setup_cli, make_app):
    """Each process keeps its own cached figures, under the coverage version kept in the database: a
    participation committed by another process (another worker or host) is shown at once."""
    from app.core.clock import today
    from app.plan import service as plan_service
    from app.plan.models import Activity, Participation

    build(setup_cli, runner, SMALL)
    curator = signed_in(app, "curator@sanaly.test")
    group = db.session.execute(select(Group).where(Group.code == "ЭЭ-24-1")).scalar_one()
    plan = plan_service.current_plan(today())
    activity = db.session.execute(select(Activity).where(Activity.plan_id == plan.id, Activity.code == "2.13")
                                  ).scalar_one()
    taken = set(db.session.execute(select(Participation.user_id).where(Participation.activity_id == activity.id))
                .scalars())
    student = next(u for u in db.session.execute(select(User).where(User.group_id == group.id)).scalars()
                   if u.id not in taken)
    first = curator.get("/coverage/").get_data(as_text=True)
    with Statements() as statements:
        assert curator.get("/coverage/").get_data(as_text=True) == first
    assert not any("participations" in s for s in statements.seen)    # served from this process's cache
    db.session.commit()

    other = make_app()
    with other.app_context():
        activity_there = db.session.get(Activity, activity.id)
        assert plan_service.record_participation(student.id, activity_there, source="import")
        db.session.commit()
        db.session.remove()
    db.session.expire_all()
    assert curator.get("/coverage/").get_data(as_text=True) != first
