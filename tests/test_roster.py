"""Roster and headcount imports: good rows kept, bad rows reported by line, dry runs change nothing."""
import io
from datetime import date

from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db
from app.people import service
from app.people.models import Faculty, Group, StaffUnit, User

ROSTER = """email,full_name,faculty,group,roles,staff_unit,student_id
aruzhan@uni.test,Aruzhan Bekova,Faculty of Energy,ЭЭ-24-1,student,,S-001
timur@uni.test,Timur Akhmetov,Faculty of Energy,ЭЭ-24-1,,,S-002
not-an-email,Nobody,Faculty of Energy,ЭЭ-24-1,student,,
marat@uni.test,Marat Seitkali,Faculty of Energy,,curator;staff,Department of Power Engineering,
ARUZHAN@uni.test,Duplicate,Faculty of Energy,ЭЭ-24-1,student,,
dana@uni.test,,Faculty of Energy,ЭЭ-24-1,student,,
erlan@uni.test,Erlan,Faculty of Energy,,student,,
kuat@uni.test,Kuat,Faculty of Energy,ЭЭ-24-1,wizard,,
gulnara@uni.test,Gulnara,Faculty of Mining,ЭЭ-24-1,student,,
"""


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_good_rows_are_imported_and_bad_rows_reported_by_line(app):
    report = service.import_roster(ROSTER, actor=None)
    assert (report.created, report.updated) == (3, 0)
    reasons = dict(report.rejected)
    assert "invalid e-mail" in reasons[4]
    assert "same e-mail as line 2" in reasons[6]
    assert "full name is missing" in reasons[7]
    assert "needs a group" in reasons[8]
    assert "unknown role" in reasons[9]
    assert "belongs to faculty Faculty of Energy" in reasons[10]
    assert len(report.rejected) == 6
    marat = service.find_user_by_email("marat@uni.test")
    assert marat.roles == {"curator", "staff"} and marat.staff_unit.name == "Department of Power Engineering"
    timur = service.find_user_by_email("timur@uni.test")
    assert timur.roles == {"student"} and timur.group.code == "ЭЭ-24-1" and timur.student_id == "S-002"
    assert count(Group) == 1 and count(Faculty) == 1 and count(StaffUnit) == 1


def test_dry_run_reports_the_same_and_writes_nothing(app):
    dry = service.import_roster(ROSTER, actor=None, dry_run=True)
    assert (dry.created, len(dry.rejected)) == (3, 6)
    assert count(User) == 0 and count(Group) == 0 and count(Faculty) == 0 and count(AuditEvent) == 0


def test_importing_again_updates_by_email_without_duplicates(app):
    service.import_roster(ROSTER, actor=None)
    changed = ROSTER.replace("Timur Akhmetov", "Timur Akhmetov-Seitov").replace(
        "aruzhan@uni.test,Aruzhan Bekova,Faculty of Energy,ЭЭ-24-1,student", "Aruzhan@UNI.test,Aruzhan Bekova,Faculty of Energy,ЭЭ-24-1,student;jury")
    report = service.import_roster(changed, actor=None)
    assert report.created == 0 and report.updated == 2 and report.unchanged == 1
    assert count(User) == 3
    assert service.find_user_by_email("timur@uni.test").full_name == "Timur Akhmetov-Seitov"
    assert service.find_user_by_email("aruzhan@uni.test").roles == {"student", "jury"}
    role_events = db.session.execute(select(AuditEvent).where(AuditEvent.action == "role.changed")).scalars().all()
    assert len(role_events) == 1 and '"added":["jury"]' in role_events[0].payload


def test_student_id_cannot_belong_to_two_people(app):
    service.import_roster(ROSTER, actor=None)
    report = service.import_roster("email,full_name,group,student_id\nnew@uni.test,New,ЭЭ-24-1,S-001\n", actor=None)
    assert report.created == 0 and "already used" in report.rejected[0][1]


def test_semicolon_separated_files_and_missing_columns(app):
    ok = service.import_roster("email;full_name;faculty;group\na@uni.test;A B;F;G-1\n", actor=None)
    assert ok.created == 1
    missing = service.import_roster("email,name\na@uni.test,A\n", actor=None)
    assert missing.rejected == [(1, "Missing column(s): full_name.")]


def test_admin_imports_a_roster_through_the_page(client, make_user, auth):
    make_user("boss@uni.test", roles=("admin",))
    auth.login("boss@uni.test")
    response = client.post("/admin/roster", data={
        "file": (io.BytesIO(ROSTER.encode("utf-8")), "roster.csv"), "dry_run": "y"},
        content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert "Dry run" in page and "invalid e-mail address" in page
    assert service.find_user_by_email("timur@uni.test") is None
    response = client.post("/admin/roster", data={"file": (io.BytesIO(ROSTER.encode("utf-8")), "roster.csv")},
                           content_type="multipart/form-data")
    assert "Import finished" in response.get_data(as_text=True)
    assert service.find_user_by_email("timur@uni.test") is not None


def test_upload_page_explains_a_missing_or_binary_file(client, make_user, auth):
    make_user("boss@uni.test", roles=("admin",))
    auth.login("boss@uni.test")
    empty = client.post("/admin/roster", data={}, content_type="multipart/form-data")
    assert "Choose a CSV file." in empty.get_data(as_text=True)
    binary = client.post("/admin/roster", data={"file": (io.BytesIO(b"\xff\xfe\x00bad"), "x.csv")},
                         content_type="multipart/form-data")
    assert "UTF-8" in binary.get_data(as_text=True)


def test_cli_import_roster_with_dry_run(app, runner, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    result = runner.invoke(args=["import-roster", str(path), "--dry-run"])
    assert "dry run: people: 3 created, 0 updated, 0 unchanged, 6 rejected" in result.output
    assert "line 4: invalid e-mail" in result.output
    assert count(User) == 0
    result = runner.invoke(args=["import-roster", str(path)])
    assert result.exit_code == 0 and count(User) == 3


HEADCOUNTS = """faculty,group,staff_unit,headcount,as_of
Faculty of Energy,ЭЭ-24-1,,25,2024-09-01
Faculty of Energy,ЭЭ-24-2,,24,
,,Library,14,2024-09-01
,ЭЭ-24-1,Library,3,
Faculty of Energy,ЭЭ-24-3,,many,
Faculty of Energy,ЭЭ-24-4,,10,1st of September
"""


def test_headcounts_import_and_history(app):
    report = service.import_headcounts(HEADCOUNTS, actor=None, today=date(2024, 10, 1))
    assert report.created == 3
    assert [line for line, _ in report.rejected] == [5, 6, 7]
    groups = {g.code: g.id for g in db.session.execute(select(Group)).scalars()}
    library = db.session.execute(select(StaffUnit)).scalar_one()
    assert service.current_headcounts(date(2024, 10, 1)) == {
        ("group", groups["ЭЭ-24-1"]): (25, date(2024, 9, 1)),
        ("group", groups["ЭЭ-24-2"]): (24, date(2024, 10, 1)),
        ("unit", library.id): (14, date(2024, 9, 1)),
    }
    service.import_headcounts("group,headcount,as_of\nЭЭ-24-1,27,2025-02-01\n", actor=None, today=date(2025, 2, 1))
    assert service.current_headcounts(date(2025, 1, 31))[("group", groups["ЭЭ-24-1"])][0] == 25
    assert service.current_headcounts(date(2025, 2, 1))[("group", groups["ЭЭ-24-1"])][0] == 27
    assert ("group", groups["ЭЭ-24-1"]) not in service.current_headcounts(date(2024, 8, 31))


def test_admin_records_a_group_headcount_and_curators(client, make_user, make_group, auth):
    make_user("boss@uni.test", roles=("admin",))
    curator = make_user("c@uni.test", roles=("curator",))
    group = make_group("ЭЭ-24-1")
    auth.login("boss@uni.test")
    bad = client.post(f"/admin/groups/{group.id}", data={"form": "headcount", "h-value": "-3", "h-effective_from": "2024-09-01"})
    assert "Number must be between 0 and 100000." in bad.get_data(as_text=True)
    assert 'value="-3"' in bad.get_data(as_text=True)
    client.post(f"/admin/groups/{group.id}", data={"form": "headcount", "h-value": "25", "h-effective_from": "2024-09-01"})
    client.post(f"/admin/groups/{group.id}", data={"form": "curators", "c-curators": [str(curator.id)]})
    assert service.current_headcounts(date(2024, 9, 2))[("group", group.id)] == (25, date(2024, 9, 1))
    assert [c.email for c in db.session.get(Group, group.id).curators] == ["c@uni.test"]
    page = client.get("/admin/groups").get_data(as_text=True)
    assert "ЭЭ-24-1" in page and "Person" in page


def test_admin_edits_roles_and_the_change_is_audited(client, make_user, auth):
    boss = make_user("boss@uni.test", roles=("admin",))
    person = make_user("p@uni.test")
    auth.login("boss@uni.test")
    client.post(f"/admin/people/{person.id}", data={"full_name": "Pat", "roles": ["student", "jury"], "active": "y"})
    assert db.session.get(User, person.id).roles == {"student", "jury"}
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "role.changed")).scalar_one()
    assert event.actor_id == boss.id and event.subject == f"user:{person.id}"
    own = client.post(f"/admin/people/{boss.id}", data={"full_name": "Boss", "roles": ["student"], "active": "y"})
    assert "cannot remove your own admin role" in own.get_data(as_text=True)
    assert db.session.get(User, boss.id).is_admin


def test_people_search_and_filters(client, make_user, make_group, auth):
    make_user("boss@uni.test", roles=("admin",))
    energy = make_group("ЭЭ-24-1")
    mining = make_group("ГД-24-1", faculty="Faculty of Mining")
    make_user("aruzhan@uni.test", name="Aruzhan Bekova", group=energy)
    make_user("dinara@uni.test", name="Dinara Zhumabekova", group=mining)
    make_user("jj@uni.test", name="Juror Juror", roles=("jury",))
    auth.login("boss@uni.test")
    page = client.get("/admin/people?q=ARUZHAN").get_data(as_text=True)
    assert "Aruzhan Bekova" in page and "Dinara" not in page
    page = client.get(f"/admin/people?faculty={mining.faculty_id}").get_data(as_text=True)
    assert "Dinara" in page and "Aruzhan" not in page
    page = client.get("/admin/people?role=jury").get_data(as_text=True)
    assert "Juror Juror" in page and "Aruzhan" not in page
