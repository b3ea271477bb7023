"""Who may open which page: the role × page matrix for every admin page."""
import io
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.people.access import can_view_group
from app.people.models import StaffUnit
from app.plan.models import Plan
from app.plan.service import activity_by_code, current_plan
from app.risks.models import Hearing, MediaItem
from app.reports.service import file_report

ROLES = {
    "anonymous": None,
    "student": ("student",),
    "curator": ("curator", "staff"),
    "jury": ("jury", "staff"),
    "admin": ("admin", "staff"),
}
EXPECTED = {"anonymous": 302, "student": 403, "curator": 403, "jury": 403, "admin": 200}


@pytest.fixture
def admin_pages(app, make_group, make_user, runner, setup_cli):
    """Every admin page with real ids filled in."""
    setup_cli("load-content")
    group = make_group("ЭЭ-24-1")
    person = make_user("someone@uni.test", group=group)
    report = file_report(category="other", what="A contractor was paid twice for the same repairs.", place="",
                         happened="", anonymous=True, contact="", user=None, files=[_image()],
                         folder=Path(app.config["UPLOAD_FOLDER"]) / "reports", today=date(2025, 3, 3)).report
    hearing = _hearing_with_minutes(app)
    item = MediaItem(published_on=date(2025, 2, 3), source="Kazinform", subject="The integrity hour", tone="positive")
    db.session.add(item)
    db.session.commit()
    forum = activity_by_code(current_plan(date(2025, 3, 3)), "2.11")
    return {
        "/admin/risks/": "risks.register",
        "/admin/risks/new": "risks.edit",
        "/admin/risks/map": "risks.risk_map",
        "/admin/risks/approve": "risks.approve",
        "/admin/risks/register.xlsx": "risks.export",
        "/admin/media/": "risks.media",
        f"/admin/media/{item.id}/edit": "risks.edit_media",
        "/admin/hearings/1.7": "risks.hearings",
        f"/admin/hearings/minutes/{hearing.id}": "risks.minutes_file",
        "/admin/registers/1.5": "risks.register_list",
        "/admin/": "home.admin_home",
        "/admin/people": "people_admin.people",
        f"/admin/people/{person.id}": "people_admin.person",
        "/admin/roster": "people_admin.roster",
        "/admin/headcounts": "people_admin.headcounts",
        "/admin/groups": "people_admin.groups",
        f"/admin/groups/{group.id}": "people_admin.group",
        "/admin/plan/": "plan.index",
        "/admin/plan/ktu-2024-2025": "plan.show",
        "/admin/plan/ktu-2024-2025/2.2": "plan.activity",
        "/admin/plan-year/ktu-2024-2025/next": "planyear.prepare",
        "/admin/plan-year/upload": "planyear.upload",
        "/admin/plan-year/ktu-2024-2025/activities/2.2": "planyear.edit_activity",
        "/admin/plan-year/ktu-2024-2025/headcounts": "planyear.headcounts",
        "/admin/plan-year/ktu-2024-2025/texts": "planyear.edit_texts",
        "/admin/audit/": "audit.index",
        "/admin/audit/export.json": "audit.export",
        "/admin/content": "courses.content_status",
        "/admin/quizzes": "quizzes.admin_index",
        "/admin/quizzes/integrity-hour/items": "quizzes.items",
        "/admin/quizzes/integrity-hour/items.csv": "quizzes.items_csv",
        "/admin/contests/": "contests.admin_index",
        "/admin/contests/essay-2024-2025/": "contests.admin_show",
        "/admin/coverage/": "coverage.university",
        f"/admin/coverage/faculties/{group.faculty_id}": "coverage.faculty",
        "/admin/coverage.csv": "coverage.university_csv",
        "/admin/coverage/report": "coverage.report",
        "/admin/api-tokens": "coverage.api_tokens",
        "/admin/surveys/": "surveys.admin_index",
        "/admin/surveys/perception-survey-2024-2025/winter-2024-2025/texts": "surveys.texts",
        "/admin/reports/": "reports.queue",
        f"/admin/reports/{report.id}": "reports.handle",
        f"/admin/reports/files/{report.attachments[0].id}.jpg": "reports.admin_file",
        "/admin/mail": "mail.admin",
        "/admin/privacy/": "privacy.admin_index",
        "/admin/privacy/notice": "privacy.edit_notice",
        f"/admin/privacy/people/{person.id}": "privacy.person",
        f"/admin/privacy/people/{person.id}.zip": "privacy.person_copy",
        "/admin/filings/": "filings.index",
        "/admin/filings/board.pdf": "filings.download",
        "/admin/filings/quarterly.docx?quarter=2024Q4": "filings.download",
        "/admin/filings/range.pdf?from=2024-12-01&to=2024-12-31": "filings.download",
        f"/admin/filings/narratives/{forum.id}/year": "filings.narrative",
    }


def _image():
    data = io.BytesIO()
    Image.new("RGB", (20, 20), (10, 120, 60)).save(data, "PNG")
    data.seek(0)
    return FileStorage(data, filename="photo.png")


def _hearing_with_minutes(app) -> Hearing:
    """A hearing of 1.7 whose minutes file is on disk (the plan is loaded already)."""
    plan = db.session.execute(select(Plan).where(Plan.slug == "ktu-2024-2025")).scalar_one()
    unit = StaffUnit(name="Library")
    db.session.add(unit)
    db.session.flush()
    folder = Path(app.config["UPLOAD_FOLDER"]) / "hearings"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "0123abcd.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    hearing = Hearing(activity_id=activity_by_code(plan, "1.7").id, unit_id=unit.id, heard_on=date(2025, 2, 1),
                      minutes="Heard", minutes_file="0123abcd.pdf", minutes_type="application/pdf")
    db.session.add(hearing)
    db.session.commit()
    return hearing


def test_matrix_covers_every_admin_get_page(app, admin_pages):
    endpoints = {
        rule.endpoint for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/admin") and "GET" in rule.methods
    }
    assert endpoints == set(admin_pages.values()), "add new admin pages to this matrix"


@pytest.mark.parametrize("who", list(ROLES))
def test_role_by_admin_page(app, client, make_user, auth, admin_pages, who):
    if ROLES[who] is not None:
        make_user(f"{who}@uni.test", roles=ROLES[who])
        assert auth.login(f"{who}@uni.test").status_code == 302
    for url in admin_pages:
        response = client.get(url)
        assert response.status_code == EXPECTED[who], (who, url)
        if who == "anonymous":
            assert "/login?next=" in response.location


@pytest.mark.parametrize("who", ["student", "curator", "jury"])
def test_non_admins_cannot_post_to_admin_actions(app, client, make_user, auth, admin_pages, who):
    make_user(f"{who}@uni.test", roles=ROLES[who])
    auth.login(f"{who}@uni.test")
    target = make_user("target@uni.test")
    assert client.post(f"/admin/people/{target.id}", data={"full_name": "X", "roles": ["admin"]}).status_code == 403
    assert client.post(f"/admin/people/{target.id}/password-link").status_code == 403
    assert client.post("/admin/roster").status_code == 403
    assert target.roles == {"student"}


def test_curator_sees_only_their_own_groups(app, make_group, make_user):
    mine, theirs = make_group("ЭЭ-24-1"), make_group("ЭЭ-24-2")
    curator = make_user("c@uni.test", roles=("curator",))
    other = make_user("o@uni.test", roles=("curator",))
    mine.curators.append(curator)
    theirs.curators.append(other)
    admin = make_user("a@uni.test", roles=("admin",))
    student = make_user("s@uni.test", group=mine)
    assert can_view_group(curator, mine) and not can_view_group(curator, theirs)
    assert can_view_group(admin, theirs)
    assert not can_view_group(student, mine)


def test_missing_objects_are_404_for_admins(client, make_user, auth):
    make_user("boss@uni.test", roles=("admin",))
    auth.login("boss@uni.test")
    assert client.get("/admin/people/999999").status_code == 404
    assert client.get("/admin/groups/999999").status_code == 404
    assert client.get("/admin/plan/no-such-plan").status_code == 404
