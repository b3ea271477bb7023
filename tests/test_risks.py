"""Section 1: the corruption-risk register and its map, the media log, hearings of divisions and the registers."""
import io
import json
import re
from datetime import date, datetime
from html import unescape
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.coverage import service as coverage
from app.extensions import db
from app.people.models import StaffUnit
from app.plan import deliverables
from app.plan.deliverable_models import Deliverable, Evidence
from app.plan.measures import measures_for
from app.plan.models import Plan
from app.plan.service import activity_by_code, current_plan, load_plans
from app.risks import service
from app.risks.models import DeclarationDuty, Hearing, MediaItem, Risk

PLANS = Path(__file__).resolve().parent.parent / "plans"
AS_OF = date(2025, 3, 1)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def plan(app):
    load_plans(PLANS)
    db.session.commit()
    app.config["NOW_FUNCTION"] = lambda: datetime.combine(AS_OF, datetime.min.time().replace(hour=6))
    return current_plan(AS_OF)


@pytest.fixture
def officer(make_user):
    return make_user("acs@uni.test", roles=("admin", "staff"), name="Aliya Officer")


@pytest.fixture
def units(app):
    made = [StaffUnit(name=name) for name in ("Admissions Office", "Accounts", "Library", "Dean's Office of Energy")]
    db.session.add_all(made)
    db.session.commit()
    return made


def values(**changes) -> dict:
    base = {"direction": "management", "area": "admission and examinations", "process": "Admission",
            "unit_id": None, "description": "A place bought through an intermediary",
            "scheme": "A member of the commission raises a score for a payment", "factors": "Oral interview without a record",
            "positions": "Commission member", "controls": "", "likelihood": 3, "impact": 4, "owner": "Head of admissions",
            "mitigation": "Record every interview", "deadline": date(2025, 6, 1), "status": "identified"}
    return base | changes


def now() -> datetime:
    return datetime.combine(AS_OF, datetime.min.time().replace(hour=6))


# --- ratings ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("likelihood, impact, score, band", [
    (1, 1, 1, "low"), (2, 2, 4, "low"), (1, 5, 5, "medium"), (3, 3, 9, "medium"), (2, 5, 10, "high"),
    (4, 4, 16, "high"), (3, 5, 15, "high"), (4, 5, 20, "critical"), (5, 5, 25, "critical")])
def test_a_risk_is_rated_by_likelihood_times_impact_in_four_bands(likelihood, impact, score, band):
    assert service.rate(likelihood, impact) == (score, band)


@pytest.mark.parametrize("likelihood, impact", [(0, 3), (3, 6), (6, 1)])
def test_ratings_outside_one_to_five_are_refused(app, likelihood, impact):
    with pytest.raises(service.RisksError):
        service.rate(likelihood, impact)


def test_the_heat_map_puts_each_risk_in_the_cell_of_its_rating(plan, officer):
    high = service.save_risk(plan, values(likelihood=5, impact=4), officer, now())
    low = service.save_risk(plan, values(process="Library", likelihood=1, impact=2), officer, now())
    grid = service.heat_map(service.register_rows(plan))
    assert [len(line) for line in grid] == [5] * 5
    assert grid[0][4].impact == 4 + 1 and grid[0][4].likelihood == 5        # top right: impact 5, likelihood 5
    assert [r["code"] for r in grid[5 - 4][5 - 1].risks] == [high.code]      # impact 4 row, likelihood 5 column
    assert [r["code"] for r in grid[5 - 2][0].risks] == [low.code]
    assert sum(len(cell.risks) for line in grid for cell in line) == 2
    assert service.band_counts(service.register_rows(plan)) == {"low": 1, "medium": 0, "high": 0, "critical": 1}


def test_risks_are_numbered_per_year_and_every_change_is_audited(plan, officer):
    first = service.save_risk(plan, values(), officer, now())
    second = service.save_risk(plan, values(process="Procurement"), officer, now())
    service.save_risk(plan, values(likelihood=2), officer, now(), first)
    db.session.commit()
    assert (first.code, second.code) == ("R-1", "R-2")
    actions = db.session.execute(select(AuditEvent.action, AuditEvent.payload).where(
        AuditEvent.action.like("risk.%")).order_by(AuditEvent.seq)).all()
    assert [a for a, _p in actions] == ["risk.add", "risk.add", "risk.change"]
    assert '"likelihood":[3,2]' in actions[2][1]


# --- approval freezes the year ---------------------------------------------------------------------

def test_approving_the_map_freezes_the_register_and_keeps_it_as_approved(plan, officer):
    risk = service.save_risk(plan, values(), officer, now())
    approved = service.approve_map(plan, date(2025, 2, 20), "Board, minutes No. 3", officer, now())
    db.session.commit()
    assert approved.snapshot[0]["score"] == 12 and approved.snapshot[0]["band"] == "high"
    with pytest.raises(service.RisksError, match="approved"):
        service.save_risk(plan, values(likelihood=1), officer, now(), risk)
    with pytest.raises(service.RisksError):
        service.save_risk(plan, values(), officer, now())
    with pytest.raises(service.RisksError):
        service.delete_risk(risk, officer, now())
    with pytest.raises(service.RisksError, match="already"):
        service.approve_map(plan, date(2025, 2, 21), "again", officer, now())
    db.session.rollback()
    assert db.session.get(Risk, risk.id).likelihood == 3
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "risk_map.approve")).scalar_one()
    assert approved.digest in event.payload


def test_an_approved_register_refuses_changes_through_its_pages(plan, officer, client, auth):
    risk = service.save_risk(plan, values(), officer, now())
    service.approve_map(plan, date(2025, 2, 20), "Board, minutes No. 3", officer, now())
    db.session.commit()
    auth.login("acs@uni.test")
    response = client.post(f"/admin/risks/{risk.id}/edit", data=values(likelihood=1, deadline="2025-06-01"),
                           follow_redirects=True)
    assert "read-only" in response.get_data(as_text=True) or "no longer changes" in response.get_data(as_text=True)
    assert db.session.get(Risk, risk.id).likelihood == 3
    page = client.get(f"/admin/risks/?plan={plan.slug}").get_data(as_text=True)
    assert "Add a risk" not in page and f"/admin/risks/{risk.id}/edit" not in page


def test_the_approval_date_lies_within_the_plan_year(plan, officer):
    service.save_risk(plan, values(), officer, now())
    with pytest.raises(service.RisksError) as refused:
        service.approve_map(plan, date(2030, 1, 1), "Board", officer, now())
    assert refused.value.field == "approved_on"
    assert not service.is_frozen(plan)


def test_changes_after_approval_go_to_the_next_years_register(plan, officer):
    service.save_risk(plan, values(), officer, now())
    service.save_risk(plan, values(process="Hiring", likelihood=2, impact=2), officer, now())
    with pytest.raises(service.RisksError, match="Approve"):
        service.carry_forward(plan, plan, officer, now())
    service.approve_map(plan, date(2025, 2, 20), "Board", officer, now())
    following = Plan(slug="next-year", title="Next", university="U", academic_year="2025-2026",
                     starts_on=date(2025, 9, 1), ends_on=date(2026, 8, 31))
    db.session.add(following)
    db.session.flush()
    assert service.next_plan(plan).id == following.id
    assert service.carry_forward(plan, following, officer, now()) == 2
    assert service.carry_forward(plan, following, officer, now()) == 0     # once each
    carried = service.risks_of(following)
    assert sorted(r.code for r in carried) == ["R-1", "R-2"] and not service.is_frozen(following)
    service.save_risk(following, values(likelihood=1), officer, now(), carried[0])   # the new year changes freely
    assert carried[0].likelihood == 1
    assert service.register_rows(plan)[0]["likelihood"] == 3                     # the approved year does not


# --- the XLSX export ---------------------------------------------------------------------------------

def test_the_register_exports_to_xlsx_with_every_column_and_no_formula(plan, officer, client, auth, units):
    service.save_risk(plan, values(unit_id=units[0].id, description="=HYPERLINK(\"http://evil\")",
                                   scheme="Қабылдау комиссиясы — схема"), officer, now())
    service.save_risk(plan, values(process="Procurement", likelihood=5, impact=5), officer, now())
    db.session.commit()
    auth.login("acs@uni.test")
    response = client.get(f"/admin/risks/register.xlsx?plan={plan.slug}")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("No.", "Direction", "Area", "Process", "Structural division", "Corruption risk")
    assert "Likelihood (1–5)" in rows[0] and "Rating" in rows[0]
    by_code = {row[0]: row for row in rows[1:]}
    assert set(by_code) == {"R-1", "R-2"}
    first = by_code["R-1"]
    assert first[3:7] == ("Admission", "Admissions Office", '=HYPERLINK("http://evil")', "Қабылдау комиссиясы — схема")
    assert sheet.cell(row=[r[0] for r in rows].index("R-1") + 1, column=6).data_type == "s"   # text, never a formula
    assert (first[10], first[11], first[12], first[13]) == (3, 4, 12, "high")
    assert by_code["R-2"][12:14] == (25, "critical")
    assert rows[1][0] == "R-2"                                          # highest score first


# --- media monitoring --------------------------------------------------------------------------------

def test_the_monthly_summary_counts_items_by_tone_and_source(plan, officer):
    for day, source, tone, action in [(date(2025, 3, 3), "tengrinews.kz", "negative", "Facts checked"),
                                      (date(2025, 3, 10), "tengrinews.kz", "neutral", ""),
                                      (date(2025, 3, 31), "Instagram", "negative", ""),
                                      (date(2025, 3, 15), "Kazinform", "positive", "Shared"),
                                      (date(2025, 4, 1), "Kazinform", "negative", ""),
                                      (date(2025, 2, 28), "tengrinews.kz", "negative", "")]:
        service.record_media({"published_on": day, "source": source, "link": "", "subject": "About the university",
                              "tone": tone, "action": action}, officer, now())
    summary = service.monthly_summary(2025, 3)
    assert summary.total == 4 and summary.acted_on == 2
    assert summary.by_tone == {"positive": 1, "neutral": 1, "negative": 2}
    assert summary.by_source[0] == ("tengrinews.kz", {"positive": 0, "neutral": 1, "negative": 1}, 2)
    assert {s for s, _c, _t in summary.by_source} == {"tengrinews.kz", "Instagram", "Kazinform"}
    assert service.monthly_summary(2025, 12).total == 0
    assert service.media_months() == [(2025, 4), (2025, 3), (2025, 2)]
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "media.add")).scalars().all()


def test_a_media_item_with_bad_input_keeps_what_was_typed(plan, officer, client, auth):
    auth.login("acs@uni.test")
    response = client.post("/admin/media/", data={"published_on": "2025-03-02", "source": "", "link": "not a link",
                                                  "subject": "Rumours about exam fees", "tone": "negative", "action": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Rumours about exam fees" in page and 'id="source-error"' in page and 'id="link-error"' in page
    assert db.session.execute(select(MediaItem)).first() is None
    response = client.post("/admin/media/", data={"published_on": "2025-03-02", "source": "Instagram",
                                                  "link": "https://instagram.com/p/1", "subject": "Rumours about exam fees",
                                                  "tone": "negative", "action": "Answered"})
    assert response.status_code == 302 and "month=2025-03" in response.headers["Location"]
    page = client.get("/admin/media/?month=2025-03").get_data(as_text=True)
    assert "Rumours about exam fees" in page and "Instagram" in page


# --- hearings of divisions (1.7) ---------------------------------------------------------------------

def test_the_hearing_share_counts_distinct_divisions_against_the_target(plan, officer, units, tmp_path):
    activity = activity_by_code(plan, "1.7")
    measure = measures_for([activity], AS_OF)[activity.id]
    assert (measure.done, measure.total, measure.target_percent, measure.met) == (0, 4, 50.0, False)
    service.record_hearing(activity, units[0], date(2025, 2, 1), "Heard on admissions", None, officer, now(), tmp_path)
    service.record_hearing(activity, units[0], date(2025, 2, 20), "Heard again", None, officer, now(), tmp_path)
    measure = measures_for([activity], AS_OF)[activity.id]
    assert (measure.done, measure.total, measure.met) == (1, 4, False)
    assert measure.text == "1 of 4 divisions heard (target 50%)"
    service.record_hearing(activity, units[1], date(2025, 2, 25), "Heard on payments", None, officer, now(), tmp_path)
    measure = measures_for([activity], AS_OF)[activity.id]
    assert (measure.done, measure.met) == (2, True)
    figure = coverage.coverage(plan, AS_OF).university.figures[activity.id]
    assert figure.measure == measure and figure.status == "met" and figure.percent is None


def test_a_hearing_is_dated_within_the_plan_year_and_has_minutes(plan, officer, units, tmp_path):
    activity = activity_by_code(plan, "1.7")
    with pytest.raises(service.RisksError) as refused:
        service.record_hearing(activity, units[0], date(2025, 6, 1), "Later", None, officer, now(), tmp_path)
    assert refused.value.field == "heard_on"                      # in the future
    with pytest.raises(service.RisksError) as refused:
        service.record_hearing(activity, units[0], date(2024, 1, 1), "Before", None, officer, now(), tmp_path)
    assert refused.value.field == "heard_on"
    with pytest.raises(service.RisksError) as refused:
        service.record_hearing(activity, units[0], date(2025, 2, 1), "  ", None, officer, now(), tmp_path)
    assert refused.value.field == "minutes"
    with pytest.raises(service.RisksError):
        service.record_hearing(activity_by_code(plan, "1.3"), units[0], date(2025, 2, 1), "x", None, officer, now(), tmp_path)


def test_the_minutes_file_is_checked_stored_and_served_only_to_the_acs(plan, officer, units, client, auth, make_user):
    make_user("student@uni.test")
    auth.login("acs@uni.test")
    url = f"/admin/hearings/1.7?plan={plan.slug}"
    fake = client.post(url, data={"unit_id": units[2].id, "heard_on": "2025-02-10", "minutes": "Heard",
                                  "minutes_file": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "minutes.pdf")},
                       content_type="multipart/form-data")
    assert fake.status_code == 422 and 'id="minutes_file-error"' in fake.get_data(as_text=True)
    assert "Heard" in fake.get_data(as_text=True)
    assert db.session.execute(select(Hearing)).first() is None
    saved = client.post(url, data={"unit_id": units[2].id, "heard_on": "2025-02-10", "minutes": "Heard the library",
                                   "minutes_file": (io.BytesIO(PDF), "minutes.pdf")}, content_type="multipart/form-data")
    assert saved.status_code == 302
    hearing = db.session.execute(select(Hearing)).scalar_one()
    assert hearing.minutes_file.endswith(".pdf") and hearing.minutes_file != "minutes.pdf"
    page = client.get(url).get_data(as_text=True)
    assert "1 of 4 divisions heard (target 50%)" in page and "Heard the library" in page
    served = client.get(f"/admin/hearings/minutes/{hearing.id}")
    assert served.status_code == 200 and served.data == PDF
    auth.logout()
    auth.login("student@uni.test")
    assert client.get(f"/admin/hearings/minutes/{hearing.id}").status_code == 403
    audit = db.session.execute(select(AuditEvent).where(AuditEvent.action == "hearing.add")).scalar_one()
    assert '"file":true' in audit.payload


def test_coverage_pages_show_the_new_share_at_once(plan, officer, units, client, auth, tmp_path):
    auth.login("acs@uni.test")
    assert "0 of 4 divisions heard (target 50%)" in client.get(f"/admin/coverage/?as_of={AS_OF}").get_data(as_text=True)
    service.record_hearing(activity_by_code(plan, "1.7"), units[0], date(2025, 2, 1), "x", None, officer, now(), tmp_path)
    db.session.commit()
    page = client.get(f"/admin/coverage/?as_of={AS_OF}").get_data(as_text=True)
    assert "1 of 4 divisions heard (target 50%)" in page
    assert "1 of 4 divisions heard" in client.get(f"/admin/plan/{plan.slug}/1.7").get_data(as_text=True)


# --- registers (declarations, positions) --------------------------------------------------------------

def test_declarations_count_submitted_of_required(plan, officer, make_user):
    activity = activity_by_code(plan, "1.5")
    staff = [make_user(roles=("staff",)) for _ in range(3)]
    for person in staff:
        service.add_declarant(activity, person, "Dean", officer, now())
    with pytest.raises(service.RisksError, match="already"):
        service.add_declarant(activity, staff[0], "", officer, now())
    with pytest.raises(service.RisksError, match="employees"):
        service.add_declarant(activity, make_user(roles=("student",)), "", officer, now())
    duties = {d.user_id: d for d, _u in service.declaration_duties(activity)}
    service.mark_declaration(duties[staff[0].id], date(2025, 2, 1), officer, now())
    service.mark_declaration(duties[staff[1].id], date(2025, 2, 2), officer, now())
    with pytest.raises(service.RisksError):
        service.mark_declaration(duties[staff[2].id], date(2025, 12, 1), officer, now())
    measure = measures_for([activity], AS_OF)[activity.id]
    assert (measure.done, measure.total, measure.met, measure.text) == (2, 3, False, "2 of 3 declarations submitted")
    assert measures_for([activity], date(2025, 2, 1))[activity.id].done == 1      # as of a day: only those by then
    service.mark_declaration(duties[staff[2].id], date(2025, 2, 3), officer, now())
    assert measures_for([activity], AS_OF)[activity.id].met is True
    assert len(db.session.execute(select(AuditEvent).where(AuditEvent.action.like("declaration.%"))).all()) == 6


def test_the_list_of_equated_positions_counts_positions(plan, officer, units):
    activity = activity_by_code(plan, "1.6")
    assert service.register_kind(activity) == "positions"
    with pytest.raises(service.RisksError):
        service.add_declarant(activity, officer, "", officer, now())
    service.add_position(activity, "Chief accountant", units[1], "Manages the budget of a state university", officer, now())
    service.add_position(activity, "Vice-rector for economics", None, "", officer, now())
    with pytest.raises(service.RisksError, match="already"):
        service.add_position(activity, "Chief accountant", None, "", officer, now())
    measure = measures_for([activity], AS_OF)[activity.id]
    assert (measure.done, measure.text) == (2, "2 positions listed")


def test_the_declarations_page_marks_a_submission(plan, officer, client, auth, make_user):
    employee = make_user("dean@uni.test", roles=("staff",), name="Bolat Dean")
    auth.login("acs@uni.test")
    url = f"/admin/registers/1.5?plan={plan.slug}"
    assert client.post(url, data={"action": "add", "user_id": employee.id, "position": "Dean"}).status_code == 302
    duty = db.session.execute(select(DeclarationDuty)).scalar_one()
    response = client.post(f"/admin/registers/1.5/declarations/{duty.id}?plan={plan.slug}",
                           data={"action": "submitted", "submitted_on": "2025-02-14"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(DeclarationDuty, duty.id).submitted_on == date(2025, 2, 14)
    page = client.get(url).get_data(as_text=True)
    assert "1 of 1 declarations submitted" in page and "Bolat Dean" in page


def test_the_list_a_register_keeps_is_the_one_the_plan_file_names(app, officer, client, auth, make_user, tmp_path):
    folder = tmp_path / "plans"
    folder.mkdir()
    text = (PLANS / "ktu-2024-2025.toml").read_text(encoding="utf-8")
    text = text.replace('fed_by = "declarations"', 'fed_by = "@"').replace('fed_by = "positions"', 'fed_by = "declarations"')
    (folder / "ktu-2024-2025.toml").write_text(text.replace('fed_by = "@"', 'fed_by = "positions"'), encoding="utf-8")
    load_plans(folder)
    db.session.commit()
    plan = current_plan(AS_OF)
    listing, declaring = activity_by_code(plan, "1.5"), activity_by_code(plan, "1.6")
    assert (service.register_kind(listing), service.register_kind(declaring)) == ("positions", "declarations")
    service.add_position(listing, "Chief accountant", None, "", officer, now())
    service.add_declarant(declaring, make_user(roles=("staff",)), "Dean", officer, now())
    with pytest.raises(service.RisksError):
        service.add_declarant(listing, officer, "", officer, now())
    db.session.commit()
    found = measures_for([listing, declaring], AS_OF)
    assert (found[listing.id].text, found[declaring.id].text) == ("1 position listed", "0 of 1 declarations submitted")
    auth.login("acs@uni.test")
    page = client.get(f"/admin/registers/1.6?plan={plan.slug}").get_data(as_text=True)
    assert "Put an employee on the list" in page and "Declarations (1.6)" in page and "Equated positions (1.5)" in page
    assert "Chief accountant" in client.get(f"/admin/registers/1.5?plan={plan.slug}").get_data(as_text=True)


# --- who may see what ---------------------------------------------------------------------------------

PAGES = ["/admin/risks/", "/admin/risks/new", "/admin/risks/map", "/admin/risks/approve", "/admin/risks/register.xlsx",
         "/admin/media/", "/admin/hearings/1.7", "/admin/registers/1.5", "/admin/registers/1.6"]


@pytest.mark.parametrize("roles", [("student",), ("curator", "staff"), ("staff",), ("jury",)])
def test_only_the_acs_opens_section_one(plan, client, auth, make_user, roles):
    make_user("someone@uni.test", roles=roles)
    auth.login("someone@uni.test")
    for page in PAGES:
        assert client.get(page).status_code == 403, page
    for url in ("/admin/media/", "/admin/media/1/delete", "/admin/hearings/1.7/1/delete", "/admin/risks/1/delete",
                "/admin/risks/approve", "/admin/risks/carry-forward", "/admin/registers/1.5",
                "/admin/registers/1.5/declarations/1", "/admin/registers/1.6/positions/1/remove"):
        assert client.post(url, data={"source": "x"}).status_code == 403, url


def test_anonymous_visitors_are_sent_to_sign_in(plan, client):
    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 302 and "/login" in response.headers["Location"], page


def test_the_acs_sees_every_page_of_the_section(plan, officer, client, auth):
    service.save_risk(plan, values(), officer, now())
    db.session.commit()
    auth.login("acs@uni.test")
    for page in PAGES:
        assert client.get(page).status_code == 200, page
    map_page = client.get("/admin/risks/map").get_data(as_text=True)
    assert "<svg" in map_page and "R-1" in map_page and "Likelihood 3, impact 4 (high): R-1" in map_page
    assert client.get("/admin/hearings/1.3").status_code == 404          # a deliverable has no hearings
    assert client.get("/admin/registers/1.7").status_code == 404


def test_the_risk_form_keeps_what_was_typed_and_saves_a_valid_risk(plan, officer, client, auth, units):
    auth.login("acs@uni.test")
    typed = {"direction": "management", "area": "procurement", "business_process": "", "unit_id": units[1].id,
             "description": "Tender terms written for one supplier", "scheme": "", "factors": "", "positions": "",
             "controls": "", "likelihood": 4, "impact": 4, "owner": "", "mitigation": "", "deadline": "",
             "status": "identified"}
    response = client.post(f"/admin/risks/new?plan={plan.slug}", data=typed)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="business_process-error"' in page
    assert "Tender terms written for one supplier" in page
    assert db.session.execute(select(Risk)).first() is None
    response = client.post(f"/admin/risks/new?plan={plan.slug}", data=typed | {"business_process": "Procurement"})
    assert response.status_code == 302
    risk = db.session.execute(select(Risk)).scalar_one()
    assert (risk.process, risk.unit_id, risk.score, risk.plan_id) == ("Procurement", units[1].id, 16, plan.id)
    edit = client.get(f"/admin/risks/{risk.id}/edit").get_data(as_text=True)
    assert 'value="Procurement"' in edit


def test_the_plan_page_shows_section_ones_figures_instead_of_people(plan, officer, units, client, auth, make_user,
                                                                     tmp_path):
    service.record_hearing(activity_by_code(plan, "1.7"), units[0], date(2025, 2, 1), "x", None, officer, now(), tmp_path)
    service.add_declarant(activity_by_code(plan, "1.5"), make_user(roles=("staff",)), "Dean", officer, now())
    db.session.commit()
    auth.login("acs@uni.test")
    page = client.get(f"/admin/plan/{plan.slug}").get_data(as_text=True)
    rows = {code: re.search(r'<td><a href="[^"]*/%s">%s</a></td>.*?</tr>' % (re.escape(code), re.escape(code)), page, re.S)
            .group(0) for code in ("1.5", "1.6", "1.7")}
    assert "1 of 4 divisions heard (target 50%)" in rows["1.7"]
    assert "0 of 1 declarations submitted" in rows["1.5"] and "0 positions listed" in rows["1.6"]


def test_a_hearing_or_media_item_recorded_by_mistake_is_removed_and_audited(plan, officer, units, client, auth, app):
    auth.login("acs@uni.test")
    url = f"/admin/hearings/1.7?plan={plan.slug}"
    client.post(url, data={"unit_id": units[0].id, "heard_on": "2025-02-10", "minutes": "Wrong division",
                           "minutes_file": (io.BytesIO(PDF), "minutes.pdf")}, content_type="multipart/form-data")
    hearing = db.session.execute(select(Hearing)).scalar_one()
    stored = Path(app.config["UPLOAD_FOLDER"]) / service.HEARING_FOLDER / hearing.minutes_file
    assert stored.is_file()
    asked = client.post(f"/admin/hearings/1.7/{hearing.id}/delete?plan={plan.slug}")
    assert asked.status_code == 200 and "Nothing has been done yet." in asked.get_data(as_text=True)
    assert stored.is_file() and db.session.execute(select(Hearing)).first() is not None
    assert client.post(f"/admin/hearings/1.7/{hearing.id}/delete?plan={plan.slug}",
                       data={"confirmed": "yes"}).status_code == 302
    assert db.session.execute(select(Hearing)).first() is None and not stored.exists()
    assert "0 of 4 divisions heard" in client.get(url).get_data(as_text=True)
    item = service.record_media({"published_on": date(2025, 2, 3), "source": "X", "link": "", "subject": "Typo",
                                 "tone": "neutral", "action": ""}, officer, now())
    db.session.commit()
    assert client.post(f"/admin/media/{item.id}/delete").status_code == 200        # asks first
    assert db.session.execute(select(MediaItem)).first() is not None
    assert client.post(f"/admin/media/{item.id}/delete", data={"confirmed": "yes"}).status_code == 302
    assert db.session.execute(select(MediaItem)).first() is None
    actions = set(db.session.execute(select(AuditEvent.action)).scalars())
    assert {"hearing.add", "hearing.delete", "media.add", "media.delete"} <= actions


def test_the_api_gives_the_share_of_divisions_heard(plan, officer, units, client, runner, tmp_path):
    service.record_hearing(activity_by_code(plan, "1.7"), units[0], date(2025, 2, 1), "x", None, officer, now(), tmp_path)
    db.session.commit()
    token = runner.invoke(args=["api-token", "create", "Ministry"]).output.strip()
    answer = client.get(f"/api/v1/coverage?activity=1.7&as_of={AS_OF}", headers={"Authorization": f"Bearer {token}"})
    figure = answer.json["scopes"][0]["figures"][0]
    assert figure["kind"] == "units" and figure["coverage_percent"] is None
    assert figure["measure"] == {"done": 1, "total": 4, "target_percent": 50.0}


@pytest.mark.parametrize("link", ["javascript://%0aalert(1)", "data://text/html,x", "ftp://example.com/a"])
def test_a_media_link_is_a_web_address(plan, officer, client, auth, link):
    with pytest.raises(service.RisksError) as refused:
        service.record_media({"published_on": date(2025, 3, 2), "source": "X", "link": link, "subject": "S",
                              "tone": "neutral", "action": ""}, officer, now())
    assert refused.value.field == "link"
    auth.login("acs@uni.test")
    response = client.post("/admin/media/", data={"published_on": "2025-03-02", "source": "X", "link": link,
                                                  "subject": "Kept subject", "tone": "neutral", "action": ""})
    assert response.status_code == 422 and 'id="link-error"' in response.get_data(as_text=True)
    assert db.session.execute(select(MediaItem)).first() is None


# --- deliverables fed by the records (the plan file's fed_by) ---------------------------------------

def period_of(plan, code: str, number: int = 1) -> Deliverable:
    activity = activity_by_code(plan, code)
    return db.session.execute(select(Deliverable).where(Deliverable.activity_id == activity.id,
                                                        Deliverable.period_number == number)).scalar_one()


def workbook_rows(app, evidence: Evidence) -> list[tuple]:
    path = Path(app.config["UPLOAD_FOLDER"]) / "evidence" / evidence.stored_name
    return list(load_workbook(path).active.iter_rows(values_only=True))


def test_approving_the_map_submits_the_map_to_1_4_and_the_register_to_1_3(app, plan, officer):
    service.save_risk(plan, values(likelihood=4, impact=5), officer, now())
    service.save_risk(plan, values(process="Hiring", likelihood=1, impact=2), officer, now())
    approved = service.approve_map(plan, date(2025, 2, 20), "Board, minutes No. 3", officer, now())
    db.session.commit()
    the_map, analysis = period_of(plan, "1.4"), period_of(plan, "1.3")
    assert (the_map.status, analysis.status) == ("submitted", "submitted")
    assert the_map.submitted_at == now()
    note = next(e for e in the_map.evidence if e.kind == "text")
    assert "Board, minutes No. 3" in note.body and approved.digest in note.body and "critical 1" in note.body
    grid = workbook_rows(app, next(e for e in the_map.evidence if e.kind == "file"))
    assert grid[0][0] == "Impact \\ likelihood" and grid[1][0].startswith("5") and grid[1][4] == "R-1"  # impact 5, likelihood 4
    assert grid[4][1] == "R-2"                                                                          # impact 2, likelihood 1
    register = workbook_rows(app, next(e for e in analysis.evidence if e.kind == "file"))
    assert register[0][:2] == ("No.", "Direction") and {row[0] for row in register[1:]} == {"R-1", "R-2"}
    assert "R-1 Admission" in next(e for e in analysis.evidence if e.kind == "text").body
    # Nothing else moved; the ACS accepts each as any deliverable.
    assert period_of(plan, "1.2").status == "planned" and period_of(plan, "1.11", 6).status == "planned"
    deliverables.change_status(the_map, "accepted", officer, now())
    assert the_map.status == "accepted"
    moves = [json.loads(e.payload) for e in db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "deliverable.status")).scalars()]
    assert {(m["activity"], m["to"]) for m in moves} == {("1.4", "submitted"), ("1.3", "submitted"), ("1.4", "accepted")}


def test_the_activity_the_map_submits_is_the_one_the_plan_file_names(app, officer, tmp_path):
    folder = tmp_path / "plans"
    folder.mkdir()
    text = (PLANS / "ktu-2024-2025.toml").read_text(encoding="utf-8")
    text = text.replace('fed_by = "risk-map"', "").replace(
        'code = "1.9"\nsection = 1\nname = "Developing and approving of the Board for Ethics work plan"\n'
        'population = "employees"\nkind = "deliverable"\n',
        'code = "1.9"\nsection = 1\nname = "Developing and approving of the Board for Ethics work plan"\n'
        'population = "employees"\nkind = "deliverable"\nfed_by = "risk-map"\n')
    (folder / "ktu-2024-2025.toml").write_text(text, encoding="utf-8")
    load_plans(folder)
    db.session.commit()
    plan = current_plan(AS_OF)
    assert activity_by_code(plan, "1.9").fed_by == "risk-map"
    service.save_risk(plan, values(), officer, now())
    service.approve_map(plan, date(2025, 2, 20), "Board", officer, now())
    assert period_of(plan, "1.9").status == "submitted" and period_of(plan, "1.4").status == "planned"
    assert period_of(plan, "1.3").status == "submitted"


def test_a_period_the_acs_accepted_already_is_left_as_it_was(plan, officer):
    the_map = period_of(plan, "1.4")
    deliverables.add_evidence(officer, now(), Path("/nonexistent"), activity_id=the_map.activity_id,
                              deliverable=the_map, kind="text", body="The map drawn on paper")
    deliverables.change_status(the_map, "submitted", officer, now())
    deliverables.change_status(the_map, "accepted", officer, now())
    service.save_risk(plan, values(), officer, now())
    service.approve_map(plan, date(2025, 2, 20), "Board", officer, now())
    db.session.commit()
    assert the_map.status == "accepted" and len(the_map.evidence) == 1
    assert period_of(plan, "1.3").status == "submitted" and service.is_frozen(plan)


def media(officer, day: date, source="tengrinews.kz", tone="negative", action=""):
    return service.record_media({"published_on": day, "source": source, "link": "", "subject": "About the university",
                                 "tone": tone, "action": action}, officer, now())


def test_filing_a_month_submits_that_months_period_of_1_11_with_its_summary(app, plan, officer):
    media(officer, date(2025, 2, 3), action="Facts checked")
    media(officer, date(2025, 2, 17), source="Instagram", tone="positive")
    media(officer, date(2025, 1, 30))                                        # another month: not in February's
    filed = service.file_media_summary(2025, 2, officer, now(), Path(app.config["UPLOAD_FOLDER"]))
    db.session.commit()
    assert (filed.activity.code, filed.period_number, filed.status) == ("1.11", 6, "submitted")   # September is 1
    assert filed.period.starts_on == date(2025, 2, 1) and filed.period.ends_on == date(2025, 2, 28)
    note = next(e for e in filed.evidence if e.kind == "text")
    assert note.title == "Media monitoring summary, 02.2025"
    assert "2 publications (positive 1, neutral 0, negative 1); an action was taken on 1" in note.body
    assert "tengrinews.kz 1, Instagram 1" in note.body or "Instagram 1, tengrinews.kz 1" in note.body
    items = workbook_rows(app, next(e for e in filed.evidence if e.kind == "file"))
    assert items[0][:2] == ("Date of publication", "Source") and [row[0] for row in items[1:]] == ["2025-02-03", "2025-02-17"]
    assert period_of(plan, "1.11", 5).status == "planned"                     # January is not filed
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "media.summary_filed")).scalar_one()

    # Filed again after another item: the summary as it stands now is added; the period stays submitted.
    media(officer, date(2025, 2, 20), source="Kazinform", tone="neutral")
    again = service.file_media_summary(2025, 2, officer, now(), Path(app.config["UPLOAD_FOLDER"]))
    assert again.id == filed.id and again.status == "submitted" and len(again.evidence) == 4
    assert any("3 publications" in e.body for e in again.evidence if e.kind == "text")
    deliverables.change_status(again, "accepted", officer, now())
    with pytest.raises(service.RisksError, match="accepted already") as refused:
        service.file_media_summary(2025, 2, officer, now(), Path(app.config["UPLOAD_FOLDER"]))
    assert refused.value.field == "month"


def test_a_month_not_yet_begun_or_outside_every_plan_year_is_not_filed(app, plan, officer):
    uploads = Path(app.config["UPLOAD_FOLDER"])
    with pytest.raises(service.RisksError, match="has not begun"):
        service.file_media_summary(2025, 4, officer, now(), uploads)          # today is 1 March 2025
    with pytest.raises(service.RisksError, match="No plan year holds 08.2024"):
        service.file_media_summary(2024, 8, officer, now(), uploads)
    filed = service.file_media_summary(2025, 3, officer, now(), uploads)      # this month, even with nothing logged
    assert filed.status == "submitted" and "no publications" in next(e.body for e in filed.evidence if e.kind == "text")


def test_the_media_page_files_the_month_and_shows_its_period(plan, officer, client, auth):
    media(officer, date(2025, 2, 3))
    db.session.commit()
    auth.login("acs@uni.test")
    page = unescape(client.get("/admin/media/?month=2025-02").get_data(as_text=True))
    assert "Report for 1.11, period 6" in page and "File this month's summary for 1.11" in page
    assert "overdue" in page                                                  # February ended unfiled
    response = client.post("/admin/media/file?month=2025-02")
    assert response.status_code == 302 and response.location.endswith("/admin/media/?month=2025-02")
    page = unescape(client.get("/admin/media/?month=2025-02").get_data(as_text=True))
    assert "The summary of 02.2025 is filed to 1.11, period 6: submitted." in page
    assert "File this month's summary again for 1.11" in page
    filed = period_of(plan, "1.11", 6)
    detail = unescape(client.get(f"/deliverables/{filed.id}").get_data(as_text=True))
    assert "Media monitoring summary, 02.2025" in detail and "the media log's summary of each month" in detail
    refused = client.post("/admin/media/file?month=2025-05")
    assert refused.status_code == 422 and "has not begun" in refused.get_data(as_text=True)


def test_a_media_item_is_edited_with_the_same_checks_and_the_change_audited(plan, officer, client, auth):
    item = media(officer, date(2025, 2, 3))
    db.session.commit()
    auth.login("acs@uni.test")
    form = client.get(f"/admin/media/{item.id}/edit").get_data(as_text=True)
    assert 'value="tengrinews.kz"' in form and "About the university" in form
    bad = client.post(f"/admin/media/{item.id}/edit", data={
        "published_on": "2025-02-04", "source": "Tengri News", "link": "javascript://%0aalert(1)",
        "subject": "Fees for retakes", "tone": "neutral", "action": "Checked"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'id="link-error"' in page and "Fees for retakes" in page and "Tengri News" in page
    db.session.expire_all()
    assert db.session.get(MediaItem, item.id).source == "tengrinews.kz"
    good = client.post(f"/admin/media/{item.id}/edit", data={
        "published_on": "2025-02-04", "source": "Tengri News", "link": "https://tengrinews.kz/a",
        "subject": "Fees for retakes", "tone": "neutral", "action": "Checked"})
    assert good.status_code == 302 and good.location.endswith(f"/admin/media/?month=2025-02#media-{item.id}")
    db.session.expire_all()
    saved = db.session.get(MediaItem, item.id)
    assert (saved.published_on, saved.source, saved.tone, saved.action) == (date(2025, 2, 4), "Tengri News", "neutral",
                                                                            "Checked")
    change = json.loads(db.session.execute(select(AuditEvent.payload).where(AuditEvent.action == "media.change"))
                        .scalar_one())["changed"]
    assert change["source"] == ["tengrinews.kz", "Tengri News"] and change["published_on"] == ["2025-02-03", "2025-02-04"]
    assert change["link"] == ["", "https://tengrinews.kz/a"] and "subject" in change
    with pytest.raises(service.RisksError) as refused:
        service.update_media(saved, {"published_on": date(2025, 2, 4), "source": "  ", "link": "", "subject": "S",
                                     "tone": "neutral", "action": ""}, officer, now())
    assert refused.value.field == "source"
