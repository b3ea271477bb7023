"""Coverage against the plan: the arithmetic, scoping, check-in, imports, the API, and flat query counts."""
import io
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import event as sa_event, func, select

from app.coverage import events, service
from app.coverage.models import CheckIn, Event
from app.extensions import db
from app.people.models import Faculty, Group, StaffUnit, User
from app.people.service import record_headcount
from app.plan.models import Participation
from app.plan.service import activity_by_code, current_plan, record_participation

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2025, 3, 1)


@pytest.fixture
def plan(app, runner, setup_cli):
    assert setup_cli("load-content").exit_code == 0
    app.config["NOW_FUNCTION"] = lambda: datetime.combine(AS_OF, datetime.min.time())   # pages live in the plan's year
    return current_plan(AS_OF)


@pytest.fixture
def clock(app):
    holder = {"now": datetime(2024, 12, 9, 11, 0)}
    app.config["NOW_FUNCTION"] = lambda: holder["now"]
    return holder


def activity(plan, code):
    return activity_by_code(plan, code)


def take_part(user, act, when=datetime(2024, 10, 1, 12, 0)):
    record_participation(user.id, act, source="manual", when=when)
    db.session.commit()


def university(plan, code, as_of=AS_OF, **kwargs):
    data = service.coverage(plan, as_of, **kwargs)
    return data.university.figures[activity(plan, code).id]


# --- arithmetic ------------------------------------------------------------------------------------

def test_the_official_headcount_not_the_accounts_is_the_denominator(plan, make_group, make_user):
    group = make_group("ЭЭ-24-1")
    record_headcount(group, 25, date(2024, 9, 1), None)
    db.session.commit()
    students = [make_user(group=group) for _ in range(3)]      # only 3 of 25 have accounts
    take_part(students[0], activity(plan, "2.1"))
    figure = university(plan, "2.1")
    assert (figure.participants, figure.headcount, figure.percent) == (1, 25, 4.0)
    assert not figure.estimated
    assert figure.needed == 4                                   # 20% of 25 = 5 people


def test_without_an_official_headcount_registered_students_stand_in_and_are_marked(plan, make_group, make_user):
    group = make_group("ЭЭ-24-1")
    student = make_user(group=group)
    make_user(group=group)
    take_part(student, activity(plan, "2.1"))
    figure = university(plan, "2.1")
    assert (figure.participants, figure.headcount, figure.estimated) == (1, 2, True)


def test_students_and_employees_are_separate_populations(plan, make_group, make_user):
    group = make_group("ЭЭ-24-1")
    record_headcount(group, 10, date(2024, 9, 1), None)
    unit = StaffUnit(name="Library")
    db.session.add(unit)
    db.session.flush()
    record_headcount(unit, 20, date(2024, 9, 1), None)
    db.session.commit()
    student = make_user(group=group)
    employee = make_user(roles=("staff",))
    employee.staff_unit = unit
    db.session.commit()
    quarter = datetime(2025, 3, 1)                             # 3.1 is measured quarterly
    take_part(employee, activity(plan, "3.1"), quarter)
    take_part(student, activity(plan, "3.1"), quarter)         # a student at a staff activity is not an employee
    take_part(employee, activity(plan, "2.1"))                 # nor the other way round
    assert (university(plan, "3.1").participants, university(plan, "3.1").headcount) == (1, 20)
    assert (university(plan, "2.1").participants, university(plan, "2.1").headcount) == (0, 10)


def test_a_person_counts_once(plan, make_group, make_user):
    group = make_group("ЭЭ-24-1")
    record_headcount(group, 10, date(2024, 9, 1), None)
    db.session.commit()
    student = make_user(group=group)
    for _ in range(3):
        take_part(student, activity(plan, "2.12"))
    assert university(plan, "2.12").participants == 1


def test_twice_a_year_is_measured_per_period(plan, make_group, make_user):
    group = make_group("ЭЭ-24-1")
    record_headcount(group, 10, date(2024, 9, 1), None)
    db.session.commit()
    survey = activity(plan, "2.5")
    a, b = make_user(group=group), make_user(group=group)
    take_part(a, survey, datetime(2024, 12, 1))
    take_part(b, survey, datetime(2024, 12, 2))
    take_part(a, survey, datetime(2025, 4, 1))
    assert university(plan, "2.5", as_of=date(2025, 1, 10)).participants == 2   # first period
    assert university(plan, "2.5", as_of=date(2025, 5, 1)).participants == 1    # second period


@pytest.mark.parametrize("as_of, participants, expected", [
    (date(2024, 8, 1), 0, "upcoming"),          # before the period
    (date(2025, 3, 2), 0, "not started"),
    (date(2025, 3, 2), 1, "behind"),            # half the year gone: 10% expected, 5% reached
    (date(2025, 3, 2), 2, "on track"),          # 10% reached
    (date(2025, 3, 2), 4, "met"),               # 20%
])
def test_status_against_the_elapsed_part_of_the_term(plan, as_of, participants, expected):
    # 2.8: "On a constant base" → the whole academic year; target 20%; headcount 20.
    period = activity(plan, "2.8").periods[0]
    status, _expected = service.status_of(participants, 20, 20.0, period, as_of)
    assert status == expected


def test_a_past_quarter_uses_the_headcount_of_its_time(plan, make_group, make_user):
    group = make_group("ЭЭ-24-1")
    record_headcount(group, 20, date(2024, 9, 1), None)
    record_headcount(group, 25, date(2025, 2, 1), None)
    db.session.commit()
    assert university(plan, "2.1", as_of=date(2024, 12, 31)).headcount == 20
    assert university(plan, "2.1", as_of=date(2025, 3, 1)).headcount == 25


def test_faculty_and_group_figures_add_up(plan, make_group, make_user):
    a, b = make_group("ЭЭ-24-1"), make_group("ЭЭ-24-2")
    c = make_group("ГД-24-1", "Faculty of Mining")
    for group, size in ((a, 10), (b, 10), (c, 20)):
        record_headcount(group, size, date(2024, 9, 1), None)
    db.session.commit()
    for group, n in ((a, 2), (b, 3), (c, 5)):
        for _ in range(n):
            take_part(make_user(group=group), activity(plan, "2.12"))
    data = service.coverage(plan, AS_OF)
    code = activity(plan, "2.12").id
    faculties = {row.name: row.figures[code] for row in data.faculties}
    assert (faculties["Faculty of Energy"].participants, faculties["Faculty of Energy"].headcount) == (5, 20)
    assert faculties["Faculty of Mining"].percent == 25.0
    assert (data.university.figures[code].participants, data.university.figures[code].headcount) == (10, 40)
    assert data.university.figures[code].needed == 6            # 40% of 40 = 16


# --- who sees what ------------------------------------------------------------------------------------

def test_curators_see_their_groups_and_get_403_on_others(plan, client, make_group, make_user, auth):
    mine, theirs = make_group("ЭЭ-24-1"), make_group("ЭЭ-24-2")
    curator = make_user("c@uni.test", roles=("curator",))
    mine.curators.append(curator)
    db.session.commit()
    make_user("s@uni.test", group=mine, name="Aruzhan Bekova")
    auth.login("c@uni.test")
    assert "ЭЭ-24-1" in client.get("/coverage/").get_data(as_text=True)
    page = client.get(f"/coverage/groups/{mine.id}")
    assert page.status_code == 200 and "Aruzhan Bekova" in page.get_data(as_text=True)
    assert client.get(f"/coverage/groups/{theirs.id}").status_code == 403
    assert client.get(f"/coverage/groups/{theirs.id}.csv").status_code == 403
    assert client.get("/admin/coverage/").status_code == 403


def test_students_get_403_on_every_dashboard(plan, client, make_group, make_user, auth):
    group = make_group()
    make_user("s@uni.test", group=group)
    auth.login("s@uni.test")
    for url in ("/coverage/", f"/coverage/groups/{group.id}", "/admin/coverage/", "/admin/coverage/report",
                "/admin/coverage.csv", "/events/"):
        assert client.get(url).status_code == 403, url


def test_group_matrix_filters_and_csv(plan, client, make_group, make_user, auth):
    group = make_group()
    curator = make_user("c@uni.test", roles=("curator",))
    group.curators.append(curator)
    db.session.commit()
    done, _owing = make_user(group=group, name="Done Student"), make_user(group=group, name="Owing Student")
    hour = activity(plan, "2.2")
    take_part(done, hour, datetime(2024, 9, 5))
    auth.login("c@uni.test")
    page = client.get(f"/coverage/groups/{group.id}").get_data(as_text=True)
    assert "Who still owes the integrity hour" in page and "Owing Student" in page.split("Students and activities")[0]
    filtered = client.get(f"/coverage/groups/{group.id}?activity={hour.id}&owing=1").get_data(as_text=True)
    matrix = filtered.split("Students and activities")[1]
    assert "Owing Student" in matrix and "Done Student" not in matrix
    exported = client.get(f"/coverage/groups/{group.id}.csv?activity={hour.id}").get_data(as_text=True).splitlines()
    assert exported[0].startswith("\ufeffStudent,E-mail,2.2") and len(exported) == 3   # UTF-8 with a BOM, for Excel
    assert any(line.startswith("Done Student") and line.endswith("done") for line in exported)


def test_acs_dashboard_report_and_csv(plan, client, make_group, make_user, auth):
    make_user("boss@uni.test", roles=("admin",), name="Gulnara Abenova")
    group = make_group()
    record_headcount(group, 10, date(2024, 9, 1), None)
    db.session.commit()
    take_part(make_user(group=group), activity(plan, "2.11"), datetime(2024, 12, 9))
    auth.login("boss@uni.test")
    page = client.get("/admin/coverage/?as_of=2025-03-01").get_data(as_text=True)
    assert "Faculties against the student activities" in page and "<svg" in page and "needs 4 more to reach 40%" in page
    report = client.get("/admin/coverage/report?from=2024-12-01&to=2024-12-31").get_data(as_text=True)
    assert "Analytical report" in report and "Gulnara Abenova" in report and "2024-12-01 – 2024-12-31" in report
    csv_text = client.get("/admin/coverage.csv?as_of=2025-03-01").get_data(as_text=True)
    assert "university,Abylkas Saginov Karaganda Technical University,2.11,students,reach,1,10,no,10,10,met,0" in csv_text


# --- events and check-in --------------------------------------------------------------------------------

@pytest.fixture
def forum(plan, make_user):
    organiser = make_user("c@uni.test", roles=("curator",))
    return events.create_event(activity(plan, "2.11"), "Anti-Corruption Day forum", "Main hall",
                               datetime(2024, 12, 9, 10, 0), datetime(2024, 12, 9, 13, 0), organiser)


def test_check_in_inside_the_window_counts_once(forum, make_group, make_user, clock, client, auth):
    make_user("s@uni.test", group=make_group())
    auth.login("s@uni.test")
    first = client.post("/check-in", data={"code": forum.code.lower()}, follow_redirects=True)
    assert "You are checked in" in first.get_data(as_text=True)
    second = client.post("/check-in", data={"code": forum.code}, follow_redirects=True)
    assert "already checked in" in second.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 1
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 1


def test_check_in_outside_the_window_or_with_a_wrong_code(forum, make_user, clock, client, auth):
    make_user("s@uni.test")
    auth.login("s@uni.test")
    assert "No event has this code" in client.post("/check-in", data={"code": "ZZZZZZ"}).get_data(as_text=True)
    clock["now"] = datetime(2024, 12, 9, 13, 1)
    closed = client.post("/check-in", data={"code": forum.code})
    assert closed.status_code == 422 and "is closed" in closed.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0


def test_a_rotated_code_stops_working(forum, make_user, clock, client, auth):
    old = forum.code
    new = events.rotate_code(forum, forum.activity)  # actor only logged
    make_user("s@uni.test")
    auth.login("s@uni.test")
    assert "No event has this code" in client.post("/check-in", data={"code": old}).get_data(as_text=True)
    assert "You are checked in" in client.post("/check-in", data={"code": new}, follow_redirects=True).get_data(as_text=True)


def test_attendance_import_with_bad_rows(forum, make_group, make_user, client, auth):
    group = make_group()
    make_user("a@uni.test", group=group)
    b = make_user("b@uni.test", group=group)
    b.student_id = "S-2"
    db.session.commit()
    curator = db.session.execute(select(User).where(User.email == "c@uni.test")).scalar_one()
    text = "email,student_id\nA@UNI.TEST,\n,S-2\nnobody@uni.test,\n,S-404\na@uni.test,\n"
    dry = events.import_attendance(forum, text, curator, dry_run=True)
    assert (dry.created, len(dry.rejected)) == (3, 2) and db.session.scalar(select(func.count()).select_from(CheckIn)) == 0
    report = events.import_attendance(forum, text, curator)
    assert (report.created, report.unchanged) == (2, 1)
    assert [line for line, _ in report.rejected] == [4, 5]
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 2
    missing = events.import_attendance(forum, "name\nX\n", curator)
    assert "email or student_id" in missing.rejected[0][1]
    group.curators.append(curator)
    db.session.commit()
    auth.login("c@uni.test")
    page = client.post(f"/events/{forum.id}/import", data={"file": (io.BytesIO(text.encode()), "list.csv")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "0 added, 3 already there, 2 rejected." in page and "line 4" in page


def test_a_curator_sees_and_records_only_their_groups_at_an_acs_event(plan, make_group, make_user, client, auth):
    officer = make_user("acs@uni.test", roles=("admin",))
    mine, other = make_group("ЭЭ-24-1"), make_group("ГД-24-1", faculty="Faculty of Mining")
    curator = make_user("c@uni.test", roles=("curator",))
    mine.curators.append(curator)
    own = make_user("own@uni.test", group=mine, name="Aruzhan Own")
    stranger = make_user("stranger@uni.test", group=other, name="Bolat Stranger")
    stranger.student_id = "S-77"
    db.session.commit()
    forum = events.create_event(activity(plan, "2.11"), "Forum", "Hall", datetime(2024, 12, 9, 10, 0),
                                datetime(2024, 12, 9, 13, 0), officer)
    events.import_attendance(forum, "email\nown@uni.test\nstranger@uni.test\n", officer)
    auth.login("c@uni.test")
    page = client.get(f"/events/{forum.id}").get_data(as_text=True)
    assert "Aruzhan Own" in page and "Bolat Stranger" not in page and "1 person of other groups" in page
    assert "New code" not in page and client.post(f"/events/{forum.id}/rotate").status_code == 403
    late = make_user("late@uni.test", group=other)
    text = "email,student_id\nlate@uni.test,\n,S-77\nown@uni.test,\n"
    result = client.post(f"/events/{forum.id}/import", data={"file": (io.BytesIO(text.encode()), "list.csv")},
                         content_type="multipart/form-data").get_data(as_text=True)
    assert "0 added, 1 already there, 2 rejected." in result and "nobody in your groups" in result
    assert db.session.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.user_id == late.id)) == 0
    auth.logout()
    auth.login("acs@uni.test")
    full = client.get(f"/events/{forum.id}").get_data(as_text=True)
    assert "Aruzhan Own" in full and "Bolat Stranger" in full and "New code" in full


def test_event_pages_and_qr(forum, client, auth):
    auth.login("c@uni.test")
    page = client.get(f"/events/{forum.id}").get_data(as_text=True)
    assert forum.code in page
    qr = client.get(f"/events/{forum.id}/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml" and b"<svg" in qr.data
    created = client.post("/events/", data={"activity": str(forum.activity_id), "title": "", "starts_at": "2024-12-09T10:00", "ends_at": "2024-12-09T09:00"})
    assert created.status_code == 422 and "Give the event a title." in created.get_data(as_text=True)


def test_an_event_page_says_whether_check_in_is_ahead_open_or_over(forum, clock, client, auth):
    auth.login("c@uni.test")
    for now, tag in ((datetime(2024, 12, 1, 9, 0), "not open yet"), (datetime(2024, 12, 9, 11, 0), "open now"),
                     (datetime(2024, 12, 10, 9, 0), "closed")):
        clock["now"] = now
        page = client.get(f"/events/{forum.id}").get_data(as_text=True)
        shown = [text for text in ("not open yet", "open now", "closed") if f">{text}</span>" in page]
        assert shown == [tag], now


# --- the API ----------------------------------------------------------------------------------------------

def test_api_without_with_revoked_and_with_a_valid_token(plan, client, runner, make_group, make_user):
    assert client.get("/api/v1/plan").status_code == 401
    assert client.get("/api/v1/coverage", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    output = runner.invoke(args=["api-token", "create", "Ministry"]).output.strip()
    assert output.startswith("su_")
    headers = {"Authorization": f"Bearer {output}"}
    plan_json = client.get("/api/v1/plan", headers=headers).json
    assert len(plan_json["activities"]) == 30 and plan_json["academic_year"] == "2024-2025"
    group = make_group()
    record_headcount(group, 10, date(2024, 9, 1), None)
    db.session.commit()
    take_part(make_user(group=group, name="Private Person"), activity(plan, "2.1"))
    body = client.get("/api/v1/coverage?activity=2.1&to=2025-03-01", headers=headers)
    assert body.status_code == 200
    figure = body.json["scopes"][0]["figures"][0]
    assert (figure["participants"], figure["headcount"], figure["coverage_percent"]) == (1, 10, 10.0)
    assert "Private Person" not in body.get_data(as_text=True) and "@" not in body.get_data(as_text=True)
    by_group = client.get(f"/api/v1/coverage?group={group.id}", headers=headers).json
    assert by_group["scopes"][0]["scope"] == "group"
    assert client.get("/api/v1/coverage?activity=9.9", headers=headers).status_code == 404
    assert client.get("/api/v1/coverage?from=yesterday", headers=headers).status_code == 400
    assert client.get("/api/v1/openapi.json").json["openapi"].startswith("3.")
    from app.coverage.models import ApiToken
    token = db.session.execute(select(ApiToken)).scalar_one()
    assert token.token_hash != output and token.last_used_at is not None
    events.revoke_token(token, make_user(roles=("admin",)), datetime(2025, 1, 1))
    assert client.get("/api/v1/plan", headers=headers).status_code == 401


def test_admin_issues_and_revokes_tokens_on_a_page(plan, client, make_user, auth):
    make_user("boss@uni.test", roles=("admin",))
    auth.login("boss@uni.test")
    page = client.post("/admin/api-tokens", data={"name": "University ERP"}).get_data(as_text=True)
    token = page.split('readonly value="')[1].split('"')[0]
    assert client.get("/api/v1/plan", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert token not in client.get("/admin/api-tokens").get_data(as_text=True)


# --- flat query counts ---------------------------------------------------------------------------------------

def count_queries(fn):
    db.session.expire_all()   # the same starting point for every measurement:
    service.clear_coverage()  # nothing in the session, nothing in the cache
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    sa_event.listen(db.engine, "before_cursor_execute", listener)
    try:
        fn()
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", listener)
    return len(statements)


def populate(plan, n, faculty="Faculty of Energy"):
    from app.people.models import UserRole
    faculty_id = db.session.execute(select(Faculty.id).where(Faculty.name == faculty)).scalar_one()
    groups = [Group(code=f"G{n}-{i}", faculty_id=faculty_id) for i in range(max(1, n // 25))]
    db.session.add_all(groups)
    db.session.flush()
    people = [User(email=f"bulk{n}-{i}@uni.test", full_name=f"Bulk {i}", group_id=groups[i % len(groups)].id)
              for i in range(n)]
    db.session.add_all(people)
    db.session.flush()
    db.session.add_all(UserRole(user_id=p.id, role="student") for p in people)
    acts = [a for a in plan.activities if a.population == "students"][:5]
    db.session.add_all(Participation(user_id=p.id, activity_id=acts[i % 5].id, period=1, occurred_at=datetime(2024, 10, 1),
                                     source="manual") for i, p in enumerate(people))
    db.session.commit()
    return groups


def test_cached_coverage_is_cleared_by_new_participation(plan, make_group, make_user):
    group = make_group()
    record_headcount(group, 10, date(2024, 9, 1), None)
    db.session.commit()
    assert university(plan, "2.12").participants == 0
    take_part(make_user(group=group), activity(plan, "2.12"))
    assert university(plan, "2.12").participants == 1


def test_the_cached_acs_dashboard_shows_new_participation_at_once(plan, client, make_group, make_user, auth):
    group = make_group()
    record_headcount(group, 4, date(2024, 9, 1), None)
    db.session.commit()
    make_user("boss@uni.test", roles=("admin",))
    auth.login("boss@uni.test")
    assert "(0 / 4)" in client.get("/admin/coverage/?as_of=2025-03-01").get_data(as_text=True)
    take_part(make_user(group=group), activity(plan, "2.12"))
    assert "(1 / 4)" in client.get("/admin/coverage/?as_of=2025-03-01").get_data(as_text=True)


def test_dashboard_query_counts_do_not_grow_with_students(plan, client, make_user, make_faculty, auth):
    make_faculty("Faculty of Energy")
    curator = make_user("c@uni.test", roles=("curator",))
    make_user("boss@uni.test", roles=("admin",))
    small = populate(plan, 10)
    curator.curated_groups.extend(small)
    db.session.commit()
    auth.login("boss@uni.test")
    urls = ["/admin/coverage/?as_of=2025-03-01", "/admin/coverage/report", "/admin/coverage.csv",
            f"/admin/coverage/faculties/{small[0].faculty_id}"]
    def fetch(url):
        response = client.get(url)
        assert response.status_code == 200 and response.data, url   # an error page would be 'flat' too

    before = {url: count_queries(lambda: fetch(url)) for url in urls}
    group_url = f"/coverage/groups/{small[0].id}"
    before_group = count_queries(lambda: fetch(group_url))
    big = populate(plan, 1000)
    curator.curated_groups.append(big[0])
    db.session.commit()
    after = {url: count_queries(lambda: fetch(url)) for url in urls}
    assert after == before
    assert count_queries(lambda: fetch(f"/coverage/groups/{big[0].id}")) == before_group


def test_group_met_current_targets_agrees_with_the_full_computation(plan, make_group, make_user):
    group = make_group()
    record_headcount(group, 10, date(2024, 9, 1), None)
    db.session.commit()
    for code, people in (("2.11", 1), ("2.12", 2), ("2.6", 1)):     # targets 10%, 40%, 10% of 10
        for _ in range(people):
            take_part(make_user(group=group), activity(plan, code))
    ids = {activity(plan, c).id for c in ("2.11", "2.12", "2.6", "2.1")}
    quick = service.group_met_current_targets(group.id, AS_OF, ids)
    full = service.coverage(plan, AS_OF, group_ids={group.id}).groups[0].figures
    assert quick == {a for a in ids if full[a].status == service.MET} == {activity(plan, "2.11").id, activity(plan, "2.6").id}


# --- the plan's year, one definition of "done", and the university's time -------------------------------

def test_participation_after_a_plans_end_never_counts_toward_it(plan, make_group, make_user):
    group = make_group()
    record_headcount(group, 10, date(2024, 9, 1), None)
    db.session.commit()
    forum = activity(plan, "2.11")
    take_part(make_user(group=group), forum, datetime(2025, 9, 15, 10, 0))     # the next academic year
    take_part(make_user(group=group), forum, datetime(2024, 8, 20, 10, 0))     # the year before
    on_time = make_user(group=group)
    take_part(on_time, forum, datetime(2024, 12, 9, 10, 0))
    for as_of in (date(2025, 8, 31), date(2024, 12, 9)):
        assert university(plan, "2.11", as_of=as_of).participants == 1
    assert university(plan, "2.11", date_from=date(2024, 1, 1), date_to=date(2026, 1, 1)).participants == 1
    students, _activities, done = service.students_matrix(group, plan, date(2025, 8, 31))
    assert {user for user, code in done if code == forum.id} == {on_time.id}


def test_done_the_integrity_hour_means_the_same_on_the_coverage_and_the_quizzes_pages(plan, app, client, make_group,
                                                                                      make_user, auth):
    app.config["NOW_FUNCTION"] = lambda: datetime(2024, 12, 9, 6, 0)
    group = make_group()
    record_headcount(group, 25, date(2024, 9, 1), None)            # an official 25, three with accounts
    curator = make_user("c@uni.test", roles=("curator",))
    group.curators.append(curator)
    db.session.commit()
    went = make_user(group=group, name="Went To The Hour")
    make_user(group=group, name="Owes The Hour")
    make_user(group=group, name="Also Owes")
    hour_event = events.create_event(activity(plan, "2.2"), "Curator hour", "Room 214", datetime(2024, 9, 10, 5, 0),
                                     datetime(2024, 9, 10, 7, 0), curator)
    events.import_attendance(hour_event, f"email\n{went.email}\n", curator)   # no quiz attempt
    auth.login("c@uni.test")
    coverage_page = client.get(f"/coverage/groups/{group.id}").get_data(as_text=True)
    owes = coverage_page.split("Who still owes the integrity hour")[1].split("Students and activities")[0]
    assert "Owes The Hour" in owes and "Also Owes" in owes and "Went To The Hour" not in owes
    assert "22 of the official headcount have no account yet" in owes
    quiz_page = client.get(f"/quizzes/groups/{group.id}?quiz=integrity-hour").get_data(as_text=True)
    assert "<strong>2</strong> still owe 2.2" in quiz_page
    assert "counted for 2.2 another way" in quiz_page.split("Went To The Hour")[1].split("</tr>")[0]
    assert "22 of the group's official headcount have no account yet" in quiz_page
    for person in db.session.execute(select(User).where(User.group_id == group.id)).scalars():
        events.import_attendance(hour_event, f"email\n{person.email}\n", curator)
    everyone = client.get(f"/coverage/groups/{group.id}").get_data(as_text=True)
    assert "Everyone in the group has done it" not in everyone
    assert "Every student with an account has done it" in everyone
    assert "<strong>0</strong> still owe 2.2" in client.get(f"/quizzes/groups/{group.id}").get_data(as_text=True)


def test_a_curator_holds_events_only_for_the_student_activities_of_section_2(plan, client, make_user, auth):
    make_user("c@uni.test", roles=("curator",))
    make_user("acs@uni.test", roles=("admin",))
    auth.login("c@uni.test")
    page = client.get("/events/").get_data(as_text=True)
    offered = re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', page)
    student_section_2 = [a for a in plan.activities if a.section == 2 and a.population == "students"]
    assert sorted(int(i) for i, _name in offered) == sorted(a.id for a in student_section_2)
    longest = max(student_section_2, key=lambda a: len(a.name))
    assert f"{longest.code} {longest.name}</option>" in page                         # the full name, not cut
    staff_only = activity(plan, "3.1")
    refused = client.post("/events/", data={"activity": str(staff_only.id), "title": "Seminar",
                                            "starts_at": "2024-12-09T10:00", "ends_at": "2024-12-09T12:00"})
    assert refused.status_code == 422 and "Choose the plan activity the event serves." in refused.get_data(as_text=True)
    auth.logout()
    auth.login("acs@uni.test")
    assert len(re.findall(r'<option value="\d+"', client.get("/events/").get_data(as_text=True))) == 30


def test_event_times_are_typed_and_shown_in_the_university_time_zone(plan, app, client, make_user, auth):
    assert app.config["TIME_ZONE"] == "Asia/Almaty"
    make_user("c@uni.test", roles=("curator",))
    auth.login("c@uni.test")
    form = client.get("/events/").get_data(as_text=True)
    assert "Asia/Almaty" in form and "(UTC)" not in form
    assert "Check-in opens (Almaty time)" in form and "Check-in closes (Almaty time)" in form
    created = client.post("/events/", data={"activity": str(activity(plan, "2.11").id), "title": "Forum",
                                            "starts_at": "2024-12-09T10:00", "ends_at": "2024-12-09T13:00"})
    assert created.status_code == 302
    stored = db.session.execute(select(Event)).scalar_one()
    assert (stored.starts_at, stored.ends_at) == (datetime(2024, 12, 9, 5, 0), datetime(2024, 12, 9, 8, 0))   # Almaty: UTC+5 since March 2024
    page = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "check-in 2024-12-09 10:00 – 13:00" in page and "Asia/Almaty" in page and "13:00 UTC" not in page
    assert "2024-12-09 10:00" in client.get("/events/").get_data(as_text=True)


def test_the_time_zone_is_a_setting(monkeypatch, tmp_path):
    from app.config import from_environment

    monkeypatch.delenv("TIME_ZONE", raising=False)
    assert from_environment(str(tmp_path))["TIME_ZONE"] == "Asia/Almaty"
    monkeypatch.setenv("TIME_ZONE", "Asia/Tokyo")
    assert from_environment(str(tmp_path))["TIME_ZONE"] == "Asia/Tokyo"
    monkeypatch.setenv("TIME_ZONE", "Mars/Olympus")
    with pytest.raises(ValueError, match="TIME_ZONE"):
        from_environment(str(tmp_path))
