"""Fuzzing: no loader and no form turns odd input into a server error or a half-written state."""
import io
import string
from datetime import date

from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import func, select

from app.contests.loader import read_contest
from app.core.content import ContentError
from app.courses.loader import read_course
from app.extensions import db
from app.people import service as people
from app.people.models import User
from app.plan.service import read_plan
from app.quizzes.loader import read_quiz

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
toml_values = st.recursive(
    st.one_of(st.integers(-5, 10**6), st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
              st.text(max_size=40), st.dates()),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(
        ["key", "type", "answer", "options", "text", "weight", "scale", "count", "category", "title"]), children, max_size=4),
    max_leaves=12)


def toml_document(draw_keys):
    return st.dictionaries(st.sampled_from(draw_keys), toml_values, max_size=len(draw_keys))


def dump(data) -> str:
    """A small TOML writer for fuzzed documents (strings, numbers, dates, lists, tables)."""
    import json

    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, date):
            return v.isoformat()
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f'{k} = {value(x)}' for k, x in v.items()) + "}"
        return json.dumps(v)
    return "\n".join(f"{k} = {value(v)}" for k, v in data.items()) + "\n"


@FUZZ
@given(st.one_of(text, toml_document(["slug", "title", "university", "academic_year", "starts_on", "ends_on",
                                       "sections", "activities", "approved_on"]).map(dump)))
def test_plan_reader_reports_or_loads(tmp_path_factory, document):
    path = tmp_path_factory.mktemp("plans") / "fuzz.toml"
    path.write_text(document, encoding="utf-8")
    try:
        read_plan(path)
    except ContentError as error:
        assert "fuzz.toml" in str(error)


@FUZZ
@given(st.one_of(text, toml_document(["title", "kind", "brief", "submissions_open", "submissions_close",
                                       "judging_close", "criteria", "places", "min_words"]).map(dump)))
def test_contest_reader_reports_or_loads(tmp_path_factory, document):
    path = tmp_path_factory.mktemp("contests") / "fuzz.toml"
    path.write_text(document, encoding="utf-8")
    try:
        read_contest(path)
    except ContentError:
        pass


@FUZZ
@given(st.one_of(text, toml_document(["title", "questions", "draw", "grading", "pass_percent", "attempts",
                                       "time_limit_minutes", "feedback"]).map(dump)))
def test_quiz_reader_reports_or_loads(tmp_path_factory, document):
    path = tmp_path_factory.mktemp("quizzes") / "fuzz.toml"
    path.write_text(document, encoding="utf-8")
    try:
        read_quiz(path)
    except ContentError:
        pass


@FUZZ
@given(text, text)
def test_course_reader_reports_or_loads(tmp_path_factory, course_toml, lesson):
    folder = tmp_path_factory.mktemp("courses") / "fuzz-course"
    folder.mkdir()
    (folder / "course.toml").write_text(course_toml, encoding="utf-8")
    (folder / "01-lesson.md").write_text(lesson, encoding="utf-8")
    try:
        read_course(folder)
    except ContentError:
        pass


csv_cell = st.text(alphabet=string.printable.replace("\r", "").replace("\n", "") + "ЭЭГДәғқңөұүһі",
                   max_size=30).map(lambda s: s.replace('"', ""))
csv_rows = st.lists(st.lists(csv_cell, min_size=1, max_size=7), max_size=8)


def to_csv(header, rows):
    return ",".join(header) + "\n" + "\n".join(",".join(row) for row in rows) + "\n"


@FUZZ
@given(csv_rows)
def test_roster_import_never_half_writes(app, rows):
    before = db.session.scalar(select(func.count()).select_from(User))
    report = people.import_roster(to_csv(["email", "full_name", "faculty", "group", "roles", "staff_unit", "student_id"], rows),
                                  actor=None, dry_run=True)
    assert report.created + report.updated + report.unchanged + len(report.rejected) <= len(rows) + 1
    assert db.session.scalar(select(func.count()).select_from(User)) == before
    report = people.import_roster(to_csv(["email", "full_name", "faculty", "group", "roles"], rows), actor=None)
    assert db.session.scalar(select(func.count()).select_from(User)) == before + report.created


@FUZZ
@given(st.text(max_size=200))
def test_any_text_as_a_roster_is_reported_not_crashed(app, raw):
    report = people.import_roster("email,full_name\n" + raw, actor=None, dry_run=True)
    assert all(isinstance(line, int) and reason for line, reason in report.rejected)


def test_nul_characters_are_refused_with_400(app, client):
    assert client.post("/login", data={"email": "a\x00@uni.test", "password": "x"}).status_code == 400


def test_a_stray_carriage_return_is_reported_not_crashed(app):
    report = people.import_roster("email,full_name\na@uni.test,\rA\n", actor=None)
    assert report.created == 0 and [line for line, _reason in report.rejected] == [2, 3]


@FUZZ
@given(csv_rows)
def test_headcount_import_never_fails(app, rows):
    people.import_headcounts(to_csv(["faculty", "group", "staff_unit", "headcount", "as_of"], rows),
                             actor=None, today=date(2024, 9, 1))


@FUZZ
@given(text, text)
def test_login_form_never_errors(app, client, email, password):
    status = client.post("/login", data={"email": email, "password": password}).status_code
    assert status in (200, 429) or (status == 400 and "\x00" in email + password)


@FUZZ
@given(text, text, text)
def test_admin_forms_never_error(app, client, make_user, auth, a, b, c):
    if not db.session.execute(select(User).where(User.email == "boss@uni.test")).first():
        make_user("boss@uni.test", roles=("admin",))
    auth.login("boss@uni.test")
    assert client.get("/admin/people", query_string={"q": a, "faculty": b, "group": c, "role": a}).status_code < 500
    assert client.post("/events/", data={"activity": a, "title": b, "starts_at": c, "ends_at": a}).status_code < 500
    assert client.post("/admin/api-tokens", data={"name": a}).status_code < 500
    assert client.post("/check-in", data={"code": b}).status_code < 500
    assert client.post("/admin/roster", data={"file": (io.BytesIO(a.encode("utf-8", "surrogatepass")), "x.csv")},
                       content_type="multipart/form-data").status_code == 200


@FUZZ
@given(text, text, text)
def test_more_forms_never_error(app, client, make_user, make_group, auth, runner, a, b, c):
    from sqlalchemy import select as _select

    from app.people.models import Group
    if not db.session.execute(_select(User).where(User.email == "boss@uni.test")).first():
        make_user("boss@uni.test", roles=("admin", "jury", "curator"))
        make_group()
        runner.invoke(args=["load-content"])
    group = db.session.execute(_select(Group)).scalars().first()
    boss = db.session.execute(_select(User).where(User.email == "boss@uni.test")).scalar_one()
    auth.login("boss@uni.test")
    checks = [
        client.post(f"/admin/people/{boss.id}", data={"full_name": a, "roles": [b, "admin"], "group_id": c, "active": "y"}),
        client.post(f"/admin/groups/{group.id}", data={"form": "headcount", "h-value": a, "h-effective_from": b}),
        client.post(f"/admin/groups/{group.id}", data={"form": "curators", "c-curators": [a, c]}),
        client.post("/set-password/" + "x" * 20, data={"password": a, "confirm": b}),
        client.post("/contests/essay-2024-2025/enter", data={"title": a, "body": b, "action": "submit"}),
        client.post("/quizzes/integrity-hour/start"),
        client.post(f"/quizzes/groups/{group.id}", data={"student": a, "scope": b, "minutes": c}),
        client.post("/profile/leaderboard", data={"display": a}),
        client.get("/admin/coverage/", query_string={"as_of": a, "plan": b}),
        client.get("/admin/coverage/report", query_string={"from": a, "to": b}),
        client.get(f"/coverage/groups/{group.id}", query_string={"activity": a, "owing": b}),
        client.get("/verify/", query_string={"code": a}),
    ]
    assert all(response.status_code < 500 for response in checks), [r.status_code for r in checks]
    assert db.session.get(User, boss.id).is_admin          # fuzzed roles never removed the admin role
