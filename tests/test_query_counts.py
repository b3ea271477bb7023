"""Every main page runs the same number of SQL statements for 10 students as for 2,000.

The instance is the one the benchmarks measure (`bench/run.py`): `seed-scale` in bulk, then the
demo for its accounts; the demo's curator also follows every group of the first scale faculty, so
their dashboard shows rows in proportion to the size. Each page is fetched from a cold start (no
cached coverage or standings, nothing in the session), its status and a piece of its content are
checked — a page that turned into an error would be 'flat' too — and its statements are counted.
"""
import json
import re
from collections import Counter

from sqlalchemy import event, select, update

from app.contests.models import JuryAssignment
from app.coverage.service import clear_coverage
from app.extensions import db
from app.gamification.service import clear_standings
from app.people.models import Faculty, Group, User
from app.demo.scale import seed_scale
from tests.conftest import _empty_tables

PASSWORD = "demo-password"
SMALL, LARGE = 10, 2000


class Statements:
    """The SQL statements the application runs while the block is open."""

    def __enter__(self):
        self.seen = []
        event.listen(db.engine, "before_cursor_execute", self.record)
        return self

    def record(self, _connection, _cursor, statement, *_rest):
        self.seen.append(" ".join(statement.split())[:160])

    def __exit__(self, *_exc):
        event.remove(db.engine, "before_cursor_execute", self.record)


def build(runner, students: int) -> str:
    """An instance of `students` scale students plus the demo; return an API token."""
    _empty_tables()
    assert runner.invoke(args=["load-content"]).exit_code == 0
    seed_scale(students, seed=1)
    result = runner.invoke(args=["demo"])
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


def test_every_main_page_runs_as_many_statements_for_2000_students_as_for_10(app, runner):
    small = measure(app, build(runner, SMALL))
    large = measure(app, build(runner, LARGE))
    assert db.session.scalar(select(db.func.count()).select_from(User)) > LARGE
    for page in small:
        extra = Counter(large[page]) - Counter(small[page])
        assert len(large[page]) == len(small[page]), (page, extra.most_common(3))
