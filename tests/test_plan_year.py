"""The plan year: next year's plan from this one, an uploaded plan file, activities edited, a year closed."""
import json
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.authoring import files as content_files
from app.authoring import plan_year
from app.authoring.plan_year import ActivityChange, PlanYearError
from app.authoring.service import current_revision
from app.core.content import ContentError
from app.coverage import service as coverage_service
from app.extensions import db
from app.filings.service import BOARD, QUARTERLY, build_filing, quarters
from app.loading import load_content
from app.people.models import StaffUnit
from app.people.service import record_headcount
from app.plan.models import Activity, Participation, Plan
from app.plan.service import activity_by_code, read_plan, record_participation
from app.plan.year import read_term

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "plans" / "ktu-2024-2025.toml"
NOW = datetime(2025, 9, 10, 6)


@pytest.fixture
def officer(make_user):
    return make_user("officer@uni.test", roles=("admin",))


@pytest.fixture
def plan(app, setup_cli):
    assert setup_cli("load-content").exit_code == 0
    return db.session.execute(select(Plan).where(Plan.slug == "ktu-2024-2025")).scalar_one()


def audit_actions() -> list[str]:
    return list(db.session.execute(select(AuditEvent.action).order_by(AuditEvent.seq)).scalars())


def change_of(activity: Activity, **changes) -> ActivityChange:
    fields = dict(code=activity.code, section=activity.section, name=activity.name, population=activity.population,
                  kind=activity.kind, fed_by=activity.fed_by, target_text=activity.target_text, target_percent=activity.target_percent,
                  responsible=list(activity.responsible), term_text=activity.term_text,
                  form_of_completion=activity.form_of_completion, expected_result=activity.expected_result,
                  translations={language: dict(texts) for language, texts in activity.translations.items()})
    return ActivityChange(**{**fields, **changes})


# --- terms ------------------------------------------------------------------------------------------

def test_a_term_naming_a_date_it_cannot_read_is_flagged_and_a_vague_one_is_the_whole_year():
    start, end = date(2025, 9, 1), date(2026, 8, 31)
    assert read_term("Till Febuary 15", start, end).problem
    assert read_term("Till February 30", start, end).problem
    assert read_term("Within the year", start, end).problem is None
    assert read_term("Within the year", start, end).periods == [(start, end)]
    reading = read_term("Twice a year: till January 15, till June 15", start, end)
    assert reading.problem is None and reading.periods == [(start, date(2026, 1, 15)), (date(2026, 1, 16), date(2026, 6, 15))]
    assert read_term("October 2026 (from 9 to 17 monthly)", start, end).outside


# --- next year's plan -------------------------------------------------------------------------------

def test_next_year_is_proposed_with_every_term_moved_by_a_year(plan):
    proposal = plan_year.propose_next_year(plan)
    assert (proposal.slug, proposal.academic_year) == ("ktu-2025-2026", "2025-2026")
    assert (proposal.starts_on, proposal.ends_on) == (date(2025, 9, 1), date(2026, 8, 31))
    assert proposal.terms["1.3"] == "May-June 2026"
    assert proposal.terms["2.11"] == "Till December 9, 2025"
    assert proposal.terms["1.1"] == "Quarterly"
    assert len(proposal.terms) == len([a for a in plan.activities if not a.retired])


def test_copying_moves_terms_and_keeps_targets_populations_kinds_responsible_and_translations(plan, officer):
    proposal = plan_year.propose_next_year(plan)
    new = plan_year.prepare_next_year(plan, proposal, actor=officer, now=NOW)
    db.session.commit()

    assert new.slug == "ktu-2025-2026" and new.starts_on == date(2025, 9, 1) and new.approved_on is None
    assert "2025-2026" in new.title
    old_by_code = {a.code: a for a in plan.activities}
    assert [a.code for a in new.activities] == [a.code for a in plan.activities if not a.retired]
    for activity in new.activities:
        old = old_by_code[activity.code]
        assert (activity.target_percent, activity.population, activity.kind, activity.fed_by, activity.responsible,
                activity.section) == (old.target_percent, old.population, old.kind, old.fed_by, old.responsible,
                                      old.section)
        assert [(p.starts_on.replace(year=p.starts_on.year - 1), p.ends_on.replace(year=p.ends_on.year - 1))
                for p in activity.periods] == [(p.starts_on, p.ends_on) for p in old.periods], activity.code
    moved = activity_by_code(new, "1.3")
    assert moved.term_text == "May-June 2026"
    assert moved.translations["kk"]["name"] == old_by_code["1.3"].translations["kk"]["name"]
    assert "2026" in moved.translations["kk"]["term_text"]
    assert new.translations["kk"]["title"] and "2025-2026" in new.translations["kk"]["title"]
    assert plan.activities[0].term_text == "Quarterly" and plan.slug == "ktu-2024-2025", "the old year is untouched"
    assert audit_actions()[-1] == "plan.created"
    assert current_revision("plan", "ktu-2025-2026").origin == "browser"


def test_an_unreadable_term_is_refused_at_its_field_and_nothing_is_created(plan, officer):
    proposal = plan_year.propose_next_year(plan)
    proposal.terms["2.2"] = "Till Febuary 15"
    with pytest.raises(PlanYearError) as error:
        plan_year.prepare_next_year(plan, proposal, actor=officer, now=NOW)
    assert set(error.value.problems) == {"term-2.2"}
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Plan)) == 1


def test_next_year_needs_a_new_name_and_an_end_after_its_start(plan, officer):
    proposal = plan_year.propose_next_year(plan)
    proposal.slug, proposal.ends_on = plan.slug, proposal.starts_on
    with pytest.raises(PlanYearError) as error:
        plan_year.prepare_next_year(plan, proposal, actor=officer, now=NOW)
    assert set(error.value.problems) == {"slug", "ends_on"}


# --- editing activities -----------------------------------------------------------------------------

def test_an_activity_is_edited_with_its_kazakh_text_through_the_file_door(plan, officer):
    activity = activity_by_code(plan, "2.2")
    kk = {**activity.translations.get("kk", {}), "name": "Адалдық сағаты (жаңа)"}
    plan_year.save_activity(plan, activity, change_of(activity, name="Integrity hour, renewed", target_percent=95,
                                                      responsible=["ACS", "Curators"],
                                                      translations={"kk": kk}), actor=officer, now=NOW)
    db.session.commit()
    db.session.expire_all()
    edited = activity_by_code(plan, "2.2")
    assert (edited.name, edited.target_percent, edited.responsible) == ("Integrity hour, renewed", 95, ["ACS", "Curators"])
    assert edited.translations["kk"]["name"] == "Адалдық сағаты (жаңа)" and "ru" not in edited.translations
    assert edited.id == activity.id
    assert audit_actions()[-1] == "plan.activity_changed"
    files = content_files.item_files("plan", plan.slug)
    assert 'name = "Адалдық сағаты (жаңа)"' in files["plans/ktu-2024-2025.kk.toml"]


def test_bad_input_in_the_activity_editor_is_reported_per_field(plan, officer):
    activity = activity_by_code(plan, "2.2")
    with pytest.raises(PlanYearError) as error:
        plan_year.save_activity(plan, activity, change_of(activity, code="1.1", name=" ", target_percent=150,
                                                          term_text="Till Febuary 15"), actor=officer, now=NOW)
    assert set(error.value.problems) == {"code", "name", "target_percent", "term_text"}


def test_the_record_that_submits_an_activity_is_checked_at_its_field_and_moves_with_the_file(plan, officer):
    reach, ethics, the_map = (activity_by_code(plan, code) for code in ("2.2", "1.9", "1.4"))
    for activity, fed_by, problem in [(reach, "media-log", "Only a deliverable"), (ethics, "risk-map", "activity 1.4"),
                                      (ethics, "press", "Choose a record")]:
        with pytest.raises(PlanYearError) as error:
            plan_year.save_activity(plan, activity, change_of(activity, fed_by=fed_by), actor=officer, now=NOW)
        assert set(error.value.problems) == {"fed_by"} and problem in error.value.problems["fed_by"]
    plan_year.save_activity(plan, the_map, change_of(the_map, fed_by=""), actor=officer, now=NOW)
    plan_year.save_activity(plan, activity_by_code(plan, "1.9"), change_of(activity_by_code(plan, "1.9"), fed_by="risk-map"),
                            actor=officer, now=NOW)
    db.session.commit()
    db.session.expire_all()
    assert (activity_by_code(plan, "1.9").fed_by, activity_by_code(plan, "1.4").fed_by) == ("risk-map", "")
    written = content_files.item_files("plan", plan.slug)["plans/ktu-2024-2025.toml"]
    assert written.count('fed_by = "risk-map"') == 1 and 'fed_by = "media-log"' in written
    assert plan_year.fields_of(activity_by_code(plan, "1.11"))["fed_by"] == "media-log"


def test_the_list_a_register_keeps_is_checked_at_its_field_and_moves_with_the_file(plan, officer):
    declarations, positions, ethics = (activity_by_code(plan, code) for code in ("1.5", "1.6", "1.9"))
    for activity, changes, problem in [
            (positions, {"fed_by": ""}, "Choose the list this register keeps"),
            (positions, {"fed_by": "risk-map"}, "Choose the list this register keeps"),
            (positions, {"fed_by": "declarations"}, "Activity 1.5 already keeps this list"),
            (ethics, {"fed_by": "positions"}, "Only a register keeps a list"),
            (declarations, {"kind": "deliverable"}, "Only a register keeps a list"),
            (ethics, {"kind": "register", "fed_by": "positions"}, "Activity 1.6 already keeps this list")]:
        with pytest.raises(PlanYearError) as error:
            plan_year.save_activity(plan, activity, change_of(activity, **changes), actor=officer, now=NOW)
        assert set(error.value.problems) == {"fed_by"} and problem in error.value.problems["fed_by"], changes
    # The list moves to another activity once the one that kept it no longer does.
    plan_year.save_activity(plan, positions, change_of(positions, kind="deliverable", fed_by=""), actor=officer, now=NOW)
    plan_year.save_activity(plan, ethics, change_of(ethics, kind="register", fed_by="positions"), actor=officer, now=NOW)
    db.session.commit()
    db.session.expire_all()
    assert (activity_by_code(plan, "1.9").fed_by, activity_by_code(plan, "1.6").fed_by) == ("positions", "")
    written = content_files.item_files("plan", plan.slug)["plans/ktu-2024-2025.toml"]
    assert written.count('fed_by = "positions"') == 1 and written.count('fed_by = "declarations"') == 1
    assert plan_year.fields_of(activity_by_code(plan, "1.9"))["fed_by"] == "positions"


def test_the_activity_editor_offers_the_lists_for_a_register_and_says_at_the_field_when_none_is_chosen(
        plan, client, auth, officer):
    auth.login(officer.email)
    page = client.get("/admin/plan-year/ktu-2024-2025/activities/1.5").get_data(as_text=True)
    assert '<option value="declarations" selected>' in page and '<option value="positions">' in page
    assert '<option value="risk-map">' in page          # and the records, for a deliverable
    fields = plan_year.fields_of(activity_by_code(plan, "1.5"))
    bad = client.post("/admin/plan-year/ktu-2024-2025/activities/1.5", data={**fields, "fed_by": "", "action": "save"})
    assert bad.status_code == 200
    page = bad.get_data(as_text=True)
    assert 'id="fed_by-error"' in page and "Choose the list this register keeps." in page
    assert activity_by_code(plan, "1.5").fed_by == "declarations"
    assert "declarations: who must declare" in client.get("/admin/plan/ktu-2024-2025/1.5").get_data(as_text=True)


def test_a_term_change_is_refused_when_people_took_part_in_a_period_it_would_change(plan, officer, make_user):
    activity = activity_by_code(plan, "2.2")
    before = [(p.starts_on, p.ends_on) for p in activity.periods]
    student = make_user()
    assert record_participation(student.id, activity, source="manual", when=datetime(2024, 10, 1, 6))
    db.session.commit()
    with pytest.raises(PlanYearError) as error:
        plan_year.save_activity(plan, activity, change_of(activity, term_text="Quarterly"), actor=officer, now=NOW)
    assert set(error.value.problems) == {"term_text"} and "period 1" in error.value.problems["term_text"]
    db.session.rollback()
    assert [(p.starts_on, p.ends_on) for p in activity_by_code(plan, "2.2").periods] == before

    untouched = activity_by_code(plan, "2.5")      # no participation: its term may change
    plan_year.save_activity(plan, untouched, change_of(untouched, term_text="Quarterly"), actor=officer, now=NOW)
    assert len(activity_by_code(plan, "2.5").periods) == 4


def test_an_activity_is_added_and_one_retired(plan, officer):
    template = activity_by_code(plan, "2.2")
    plan_year.save_activity(plan, None, change_of(template, code="2.20", name="Integrity quest", term_text="May 2025",
                                                  translations={}), actor=officer, now=NOW)
    plan_year.retire_activity(plan, activity_by_code(plan, "2.5"), actor=officer, now=NOW)
    db.session.commit()
    added = activity_by_code(plan, "2.20")
    assert added.periods[0].starts_on == date(2025, 5, 1) and not added.retired
    assert activity_by_code(plan, "2.5").retired
    assert audit_actions()[-2:] == ["plan.activity_added", "plan.activity_retired"]
    written = content_files.item_files("plan", plan.slug)["plans/ktu-2024-2025.toml"]
    assert 'code = "2.20"' in written and 'code = "2.5"' not in written


def test_a_plan_changed_in_the_browser_is_not_overwritten_by_its_file(plan, officer):
    activity = activity_by_code(plan, "2.2")
    plan_year.save_activity(plan, activity, change_of(activity, name="Changed in the browser"), actor=officer, now=NOW)
    db.session.commit()
    lines, _problems = load_content()
    assert any(line.startswith("plan ktu-2024-2025: not loaded: last changed in the browser") for line in lines)
    assert activity_by_code(plan, "2.2").name == "Changed in the browser"


def test_an_edited_plan_round_trips_through_its_files(plan, officer, tmp_path):
    activity = activity_by_code(plan, "2.2")
    plan_year.save_activity(plan, activity, change_of(activity, name="Round trip", term_text="Quarterly"),
                            actor=officer, now=NOW)
    db.session.commit()
    content_files.write_files(tmp_path, content_files.item_files("plan", plan.slug))
    spec = read_plan(tmp_path / "plans" / "ktu-2024-2025.toml")
    by_code = {item.code: item for item in spec.activities}
    for activity in plan.activities:
        if activity.retired:
            continue
        item = by_code[activity.code]
        assert (item.name, item.term_text, item.periods, item.translations, item.target_percent, item.kind,
                item.fed_by) == (
            activity.name, activity.term_text, [(p.starts_on, p.ends_on) for p in activity.periods],
            activity.translations, activity.target_percent, activity.kind, activity.fed_by), activity.code


# --- uploading a plan file --------------------------------------------------------------------------

def test_an_uploaded_plan_is_checked_like_load_content_and_names_the_file_and_field(app, officer):
    text = SHIPPED.read_text(encoding="utf-8")
    broken = text.replace('population = "students"', 'population = "pupils"', 1)
    upload = plan_year.read_uploaded_plan({"": broken})
    assert upload.spec is None and upload.problem.startswith("ktu-2024-2025.toml: activities[")
    assert "population" in upload.problem and upload.problem_field == "plan_file"

    kk = (ROOT / "plans" / "ktu-2024-2025.kk.toml").read_text(encoding="utf-8") + '\n[activities."9.9"]\nname = "x"\n'
    upload = plan_year.read_uploaded_plan({"": text, "kk": kk})
    assert upload.problem_field == "kk_file" and "ktu-2024-2025.kk.toml" in upload.problem

    upload = plan_year.read_uploaded_plan({"": text, "kk": (ROOT / "plans" / "ktu-2024-2025.kk.toml").read_text()})
    assert upload.problem == "" and upload.spec.slug == "ktu-2024-2025" and upload.existing is None
    too_big = plan_year.read_uploaded_plan({"": text, "ru": "# " + "x" * plan_year.MAX_PLAN_FILE_BYTES})
    assert too_big.problem_field == "ru_file" and too_big.spec is None
    plan = plan_year.load_uploaded_plan({"": text}, actor=officer, now=NOW)
    db.session.commit()
    assert len(plan.activities) == 30 and audit_actions()[-1] == "plan.uploaded"


# --- closing a year ---------------------------------------------------------------------------------

def test_closing_freezes_the_figures_and_the_plan(plan, officer, make_user, app):
    unit = StaffUnit(name="Library")
    db.session.add(unit)
    db.session.flush()
    record_headcount(unit, 10, date(2024, 9, 1), None)
    employee = make_user(roles=("staff",))
    employee.staff_unit = unit
    db.session.commit()
    reach = activity_by_code(plan, "1.1")
    assert record_participation(employee.id, reach, source="manual", when=datetime(2025, 7, 1, 6))
    db.session.commit()

    snapshot = plan_year.close_plan(plan, actor=officer, now=NOW)
    db.session.commit()
    assert plan.closed and snapshot["as_of"] == "2025-08-31"
    kept = plan.closed_figures["activities"]["1.1"]
    assert (kept["participants"], kept["headcount"], kept["percent"]) == (1, 10, 10.0)
    assert [p["number"] for p in kept["periods"]] == [1, 2, 3, 4]
    assert plan.closed_figures["activities"]["1.2"]["percent"] is None, "a deliverable is never a share of people"
    measured = [figure["measure"] for figure in plan.closed_figures["activities"].values() if "measure" in figure]
    assert measured and all(set(measure["texts"]) == {"en", "kk", "ru"} for measure in measured)
    assert measured[0]["texts"]["en"] != measured[0]["texts"]["kk"], "each language's text is kept as it reads"
    assert audit_actions()[-1] == "plan.closed"

    late = make_user(roles=("staff",))
    late.staff_unit = unit
    db.session.commit()
    assert record_participation(late.id, reach, source="import", when=datetime(2025, 7, 2, 6)) is False
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 1
    db.session.expire_all()
    assert plan.closed_figures["activities"]["1.1"]["participants"] == 1

    with pytest.raises(PlanYearError):
        plan_year.save_activity(plan, reach, change_of(reach, name="Too late"), actor=officer, now=NOW)
    with pytest.raises(PlanYearError):
        plan_year.retire_activity(plan, reach, actor=officer, now=NOW)
    with pytest.raises(PlanYearError):
        plan_year.close_plan(plan, actor=officer, now=NOW)
    assert plan_year.read_uploaded_plan({"": SHIPPED.read_text(encoding="utf-8").replace(
        "Quarterly", "Monthly", 1)}).problem.startswith("The plan year 2024-2025 is closed")


# --- the pages ----------------------------------------------------------------------------------------

PAGES = ("/admin/plan-year/ktu-2024-2025/next", "/admin/plan-year/upload", "/admin/plan-year/ktu-2024-2025/activities/2.2",
         "/admin/plan-year/ktu-2024-2025/activities/new", "/admin/plan-year/ktu-2024-2025/headcounts")


@pytest.mark.parametrize("roles", [("editor",), ("curator",), ("student",)])
def test_only_acs_admins_reach_the_plan_year_pages(plan, client, auth, make_user, roles):
    person = make_user(roles=roles)
    auth.login(person.email)
    for path in PAGES:
        assert client.get(path).status_code == 403, path
    assert client.post("/admin/plan-year/ktu-2024-2025/close", data={"confirmed": "yes"}).status_code == 403
    assert client.get("/authoring/plan/ktu-2024-2025/history").status_code == 403
    assert not plan.closed


def test_an_officer_prepares_next_year_in_the_browser_and_a_bad_term_keeps_what_was_typed(plan, client, auth, officer):
    auth.login(officer.email)
    page = client.get("/admin/plan-year/ktu-2024-2025/next").get_data(as_text=True)
    assert 'value="ktu-2025-2026"' in page and 'value="May-June 2026"' in page and "2026-05-01" in page
    proposal = plan_year.propose_next_year(plan)
    data = {"slug": "ktu-2025-2026", "academic_year": "2025-2026", "starts_on": "2025-09-01", "ends_on": "2026-08-31",
            **{f"term-{code}": term for code, term in proposal.terms.items()}, "action": "create"}
    page = client.post("/admin/plan-year/ktu-2024-2025/next", data={**data, "term-2.2": "Till Febuary 15",
                                                                   "academic_year": "2025–2026 typed"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="term-2.2-error"' in text and 'value="Till Febuary 15"' in text
    assert 'value="2025–2026 typed"' in text
    assert db.session.scalar(select(func.count()).select_from(Plan)) == 1
    response = client.post("/admin/plan-year/ktu-2024-2025/next", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/plan/ktu-2025-2026")
    assert "Prepare next year" in client.get("/admin/plan/ktu-2025-2026").get_data(as_text=True)


def test_the_activity_editor_shows_periods_and_untranslated_texts_and_saves(plan, client, auth, officer):
    auth.login(officer.email)
    page = client.get("/admin/plan-year/ktu-2024-2025/activities/2.2").get_data(as_text=True)
    assert 'name="name-kk"' in page and 'lang="kk"' in page
    fields = plan_year.fields_of(activity_by_code(plan, "2.2"))
    bad = client.post("/admin/plan-year/ktu-2024-2025/activities/2.2", data={
        **fields, "target_percent": "lots", "name": "Typed name", "action": "save"}).get_data(as_text=True)
    assert 'id="target_percent-error"' in bad and "Typed name" in bad and 'value="lots"' in bad
    response = client.post("/admin/plan-year/ktu-2024-2025/activities/2.2", data={
        **fields, "name-kk": "Жаңа атау", "action": "save"})
    assert response.status_code == 302
    assert activity_by_code(plan, "2.2").translations["kk"]["name"] == "Жаңа атау"
    history = client.get("/authoring/plan/ktu-2024-2025/history").get_data(as_text=True)
    assert f"published in the browser by {officer.full_name}" in history and "+name = " in history
    assert 'href="/admin/plan/ktu-2024-2025">' in history and 'href="/authoring/">' not in history   # back to the plan


def test_the_upload_page_previews_then_loads_and_names_the_file_at_fault(app, client, auth, officer):
    import io

    auth.login(officer.email)
    text = SHIPPED.read_text(encoding="utf-8")
    page = client.post("/admin/plan-year/upload", content_type="multipart/form-data", data={
        "plan_file": (io.BytesIO(text.replace('section = 2', 'section = 7', 1).encode()), "ktu-2024-2025.toml"),
        "action": "preview"}).get_data(as_text=True)
    assert 'id="plan_file-error"' in page and "ktu-2024-2025.toml: activities[" in page and "section 7" in page
    page = client.post("/admin/plan-year/upload", content_type="multipart/form-data", data={
        "plan_file": (io.BytesIO(text.encode()), "ktu-2024-2025.toml"), "action": "preview"}).get_data(as_text=True)
    assert "Load this plan" in page and 'name="text-plan"' in page
    assert db.session.scalar(select(func.count()).select_from(Plan)) == 0, "a preview loads nothing"
    response = client.post("/admin/plan-year/upload", data={"text-plan": text, "action": "load"})
    assert response.status_code == 302 and db.session.scalar(select(func.count()).select_from(Plan)) == 1


def test_headcounts_for_the_new_year_are_recorded_from_its_first_day(plan, client, auth, officer, make_group):
    from app.people.models import Headcount

    group = make_group("ЭЭ-25-1")
    auth.login(officer.email)
    page = client.post("/admin/plan-year/ktu-2024-2025/headcounts", data={f"g-{group.id}": "-3"}).get_data(as_text=True)
    assert f'id="g-{group.id}-error"' in page and 'value="-3"' in page
    assert client.post("/admin/plan-year/ktu-2024-2025/headcounts", data={f"g-{group.id}": "27"}).status_code == 302
    row = db.session.execute(select(Headcount).where(Headcount.group_id == group.id)).scalar_one()
    assert (row.value, row.effective_from, row.recorded_by_id) == (27, date(2024, 9, 1), officer.id)
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "plan.headcounts")).scalar_one()
    assert (event.subject, event.actor_id) == ("plan:ktu-2024-2025", officer.id)
    assert json.loads(event.payload) == {"from": "2024-09-01", "groups": {"ЭЭ-25-1": 27}, "units": {}}


def test_closing_asks_first_and_the_closed_plan_shows_its_kept_figures(plan, client, auth, officer, make_group):
    make_group("ЭЭ-24-1")
    auth.login(officer.email)
    page = client.post("/admin/plan-year/ktu-2024-2025/close").get_data(as_text=True)
    assert "cannot be undone" in page and not plan.closed
    assert client.post("/admin/plan-year/ktu-2024-2025/close", data={"confirmed": "yes"}).status_code == 302
    db.session.expire_all()
    assert plan.closed
    page = client.get("/admin/plan/ktu-2024-2025").get_data(as_text=True)
    assert "Figures at closing" in page and "Close this year" not in page and "Add an activity" not in page
    assert "By faculty and staff unit" in page and "Faculty of Energy" in page
    assert client.get("/admin/plan-year/ktu-2024-2025/activities/2.2").status_code == 302


def test_the_coverage_page_of_a_closed_year_says_when_it_was_closed_and_points_to_the_kept_figures(
        plan, client, auth, officer):
    auth.login(officer.email)
    assert "Closed on" not in client.get("/admin/coverage/?plan=ktu-2024-2025").get_data(as_text=True)
    plan_year.close_plan(plan, actor=officer, now=NOW)
    db.session.commit()
    page = client.get("/admin/coverage/?plan=ktu-2024-2025").get_data(as_text=True)
    assert "Closed on 2025-09-10; figures as of then (2025-08-31)." in page
    assert "/admin/plan/ktu-2024-2025#kept-title" in page and "computed afresh" not in page


# --- the plan's own texts ---------------------------------------------------------------------------

def texts_change(plan: Plan, **fields) -> tuple[plan_year.PlanTextsChange, dict[str, str]]:
    """The texts editor's change from the plan's own fields with `fields` typed over them."""
    return plan_year.plan_texts_change_from({**plan_year.plan_text_fields(plan), **fields}, plan)


def test_the_plans_title_approval_line_and_sections_are_edited_in_three_languages_and_round_trip(
        plan, officer, tmp_path):
    change, problems = texts_change(plan, **{
        "title": "Plan of the main anti-corruption activities, revised", "title-kk": "Жоспардың жаңа атауы",
        "approved_by": "Rector", "approved_on": "2024-10-08", "section-2-title-kk": "Білім алушылар (жаңа)",
        "abbreviations": "ACS = Anti-corruption Compliance Service\nSU = Sanaly Urpaq",
        "section-new-number": "5", "section-new-title": "Monitoring", "section-new-title-ru": "Мониторинг"})
    assert problems == {}
    plan_year.save_plan_texts(plan, change, actor=officer, now=NOW)
    db.session.commit()
    db.session.expire_all()

    assert (plan.title, plan.approved_by, plan.approved_on) == (
        "Plan of the main anti-corruption activities, revised", "Rector", date(2024, 10, 8))
    assert plan.abbreviations == {"ACS": "Anti-corruption Compliance Service", "SU": "Sanaly Urpaq"}
    assert plan.translations["kk"]["title"] == "Жоспардың жаңа атауы"
    assert plan.translations["kk"]["sections"]["2"] == "Білім алушылар (жаңа)"
    assert plan.translations["ru"]["university"], "what was not typed over stays"
    assert plan.sections["5"] == "Monitoring" and plan.translations["ru"]["sections"]["5"] == "Мониторинг"
    assert audit_actions()[-1] == "plan.texts_changed"
    revision = current_revision("plan", plan.slug)
    assert revision.origin == "browser" and "Жоспардың жаңа атауы" in revision.diff

    content_files.write_files(tmp_path, content_files.item_files("plan", plan.slug))
    spec = read_plan(tmp_path / "plans" / "ktu-2024-2025.toml")
    assert (spec.title, spec.approved_by, spec.approved_on, spec.sections, spec.abbreviations) == (
        plan.title, plan.approved_by, plan.approved_on, plan.sections, plan.abbreviations)
    assert spec.translations == plan.translations
    assert len(spec.activities) == len([a for a in plan.activities if not a.retired])


def test_a_renumbered_section_takes_its_activities_and_only_an_empty_section_is_retired(plan, officer):
    in_four = sorted(a.code for a in plan.activities if a.section == 4)
    change, problems = texts_change(plan, **{"section-4-number": "6", "section-new-number": "7",
                                             "section-new-title": "Empty for now"})
    assert problems == {} and in_four
    plan_year.save_plan_texts(plan, change, actor=officer, now=NOW)
    db.session.commit()
    db.session.expire_all()
    assert sorted(plan.sections) == ["1", "2", "3", "6", "7"]
    assert sorted(a.code for a in plan.activities if a.section == 6) == in_four
    assert plan.translations["kk"]["sections"]["6"] and "4" not in plan.translations["kk"]["sections"]

    change, _problems = texts_change(plan, **{"section-7-retire": "1", "section-6-retire": "1"})
    with pytest.raises(PlanYearError) as error:
        plan_year.save_plan_texts(plan, change, actor=officer, now=NOW)
    assert set(error.value.problems) == {"section-6-retire"} and in_four[0] in error.value.problems["section-6-retire"]
    db.session.rollback()
    change, _problems = texts_change(plan, **{"section-7-retire": "1"})
    plan_year.save_plan_texts(plan, change, actor=officer, now=NOW)
    db.session.commit()
    assert "7" not in plan.sections and "6" in plan.sections


def test_bad_input_in_the_plan_texts_editor_is_reported_per_field_and_nothing_changes(plan, officer):
    title = plan.title
    change, problems = texts_change(plan, **{"approved_on": "7 October", "abbreviations": "ACS\nSU = Sanaly Urpaq",
                                             "section-1-number": "one"})
    assert set(problems) == {"approved_on", "abbreviations", "section-1-number"}
    change, problems = texts_change(plan, **{"title": " ", "section-3-number": "2", "section-1-title": "",
                                             "section-new-number": "9"})
    assert problems == {}
    with pytest.raises(PlanYearError) as error:
        plan_year.save_plan_texts(plan, change, actor=officer, now=NOW)
    assert set(error.value.problems) == {"title", "section-3-number", "section-1-title", "section-new-title"}
    db.session.rollback()
    assert plan.title == title and "plan.texts_changed" not in audit_actions()


def test_the_file_doors_own_check_is_reported_at_the_field_it_names(plan, officer, monkeypatch):
    """What only read_plan refuses still reaches the field: the editor and load-content share one check."""
    change, _problems = texts_change(plan, **{"university-kk": "x"})
    real = plan_year.read_plan

    def stricter(path):
        spec = real(path)
        if spec.translations.get("kk", {}).get("university") == "x":
            raise ContentError(path.with_name("ktu-2024-2025.kk.toml"), "university", "is too short")
        return spec
    monkeypatch.setattr(plan_year, "read_plan", stricter)
    with pytest.raises(PlanYearError) as error:
        plan_year.save_plan_texts(plan, change, actor=officer, now=NOW)
    assert error.value.problems == {"university-kk": "ktu-2024-2025.kk.toml: university: is too short"}


def test_the_texts_page_keeps_what_was_typed_and_shows_the_title_in_kazakh(plan, client, auth, officer):
    auth.login(officer.email)
    page = client.get("/admin/plan-year/ktu-2024-2025/texts").get_data(as_text=True)
    assert 'name="title-kk"' in page and 'name="section-2-title-ru"' in page and 'name="section-new-number"' in page
    assert 'name="section-2-retire"' not in page, "a section with activities offers no retire box"
    fields = plan_year.plan_text_fields(plan)
    bad = client.post("/admin/plan-year/ktu-2024-2025/texts", data={
        **fields, "title": "", "title-kk": "Жаңа жоспар", "approved_on": "soon"}).get_data(as_text=True)
    assert 'id="title-error"' in bad and 'id="approved_on-error"' in bad
    assert "Жаңа жоспар" in bad and 'value="soon"' in bad
    response = client.post("/admin/plan-year/ktu-2024-2025/texts", data={**fields, "title-kk": "Жаңа жоспар"})
    assert response.status_code == 302
    client.post("/language/kk")
    assert "Жаңа жоспар" in client.get("/admin/plan/ktu-2024-2025").get_data(as_text=True)
    plan_year.close_plan(plan, actor=officer, now=NOW)
    db.session.commit()
    assert client.get("/admin/plan-year/ktu-2024-2025/texts").status_code == 302


# --- a closed year's figures everywhere ---------------------------------------------------------------

@pytest.fixture
def closed_year(plan, officer, make_group, make_user):
    """A closed 2024-2025 with one group of 10 (two took part in 2.6, run within the year), a curator and a second
    group of 20."""
    group, other = make_group("ЭЭ-24-1"), make_group("ИС-24-1", faculty="Faculty of Information Technology")
    record_headcount(group, 10, date(2024, 9, 1), None)
    record_headcount(other, 20, date(2024, 9, 1), None)
    students = [make_user(group=group) for _ in range(3)]
    hour = activity_by_code(plan, "2.6")
    for student in students[:2]:
        assert record_participation(student.id, hour, source="manual", when=datetime(2024, 10, 1, 6))
    curator = make_user("curator@uni.test", roles=("curator",))
    curator.curated_groups.append(group)
    db.session.commit()
    plan_year.close_plan(plan, actor=officer, now=NOW)
    db.session.commit()
    return {"group": group, "other": other, "students": students, "hour": hour, "curator": curator}


def later_changes(plan, closed_year):
    """What happens after closing: a participation dated in the closed year appears (as a restored backup or a
    direct import would bring it) and a student moves to another group."""
    hour, late = closed_year["hour"], closed_year["students"][2]
    db.session.add(Participation(user_id=late.id, activity_id=hour.id, period=hour.period_number_for(date(2024, 10, 2)),
                                 occurred_at=datetime(2024, 10, 2, 6), source="import"))
    closed_year["students"][0].group = closed_year["other"]
    db.session.commit()
    coverage_service.clear_coverage()


def test_a_closed_years_dashboard_does_not_change_after_a_new_participation_dated_in_that_year(
        plan, closed_year, client, auth, officer, runner):
    group = closed_year["group"]
    auth.login(officer.email)
    token = runner.invoke(args=["api-token", "create", "Ministry"]).output.strip()
    headers = {"Authorization": f"Bearer {token}"}
    pages = ["/admin/coverage/?plan=ktu-2024-2025", f"/admin/coverage/faculties/{group.faculty_id}?plan=ktu-2024-2025",
             "/admin/coverage/report?plan=ktu-2024-2025", "/admin/coverage/?plan=ktu-2024-2025&as_of=2025-03-01"]
    before = {url: figures_in(client.get(url).get_data(as_text=True)) for url in pages}
    csv_before = client.get("/admin/coverage.csv?plan=ktu-2024-2025").get_data(as_text=True)
    api_before = client.get("/api/v1/coverage?plan=ktu-2024-2025&activity=2.6", headers=headers).json
    assert "university,Abylkas Saginov Karaganda Technical University,2.6,students,reach,2,30,no,6.7,10,behind,1,kept," \
           "2025-08-31" in csv_before
    assert "group,ЭЭ-24-1,2.6,students,reach,2,10,no,20,10,met,0,kept,2025-08-31" in csv_before
    assert api_before["figures"] == "kept" and api_before["closed_on"] == "2025-09-10"
    assert before[pages[0]] == before[pages[3]], "a closed year has one set of figures, whatever day is asked"

    later_changes(plan, closed_year)
    for url in pages:
        page = client.get(url).get_data(as_text=True)
        assert figures_in(page) == before[url], url
        assert "Closed on 2025-09-10; figures as of then (2025-08-31)." in page, url
    assert client.get("/admin/coverage.csv?plan=ktu-2024-2025").get_data(as_text=True) == csv_before
    assert client.get("/api/v1/coverage?plan=ktu-2024-2025&activity=2.6", headers=headers).json == api_before
    page = client.get(f"/coverage/groups/{group.id}?plan=ktu-2024-2025").get_data(as_text=True)
    assert "(2 / 10)" in page and "Closed on 2025-09-10" in page
    data = coverage_service.coverage(plan, date(2025, 3, 1))
    assert (data.university.figures[closed_year["hour"].id].participants, data.as_of, data.kept_on) == (
        2, date(2025, 8, 31), date(2025, 9, 10))

    auth.logout()
    auth.login("curator@uni.test")
    page = client.get("/coverage/?plan=ktu-2024-2025").get_data(as_text=True)
    assert "Closed on 2025-09-10" in page and "2.6 — 2 / 10" in page


def figures_in(html: str) -> list[str]:
    """The tables and charts of a page: its figures (without the links, which carry the query asked)."""
    return [re.sub(r'href="[^"]*"', "", part) for part in re.findall(r"<table.*?</table>|<svg.*?</svg>", html, flags=re.S)]


def test_a_closed_years_filings_use_the_kept_year_and_quarters_and_say_when_a_range_is_counted_afresh(
        plan, closed_year):
    hour = closed_year["hour"]
    later_changes(plan, closed_year)
    board = build_filing(plan, BOARD, "en", generated_by="ACS", today=date(2026, 1, 1))
    line = next(line for _title, lines in board.sections for line in lines if line.code == "2.6")
    assert line.figure.participants == 2 and "Closed on 2025-09-10; figures as of then" in board.period_text
    first = quarters(plan)[1]           # 2024Q4: the participation was in October
    quarterly = build_filing(plan, QUARTERLY, "en", generated_by="ACS", today=date(2026, 1, 1), period=first)
    line = next(line for _title, lines in quarterly.sections for line in lines if line.code == "2.6")
    assert line.figure.participants == 2
    some_days = coverage_service.coverage(plan, date(2024, 10, 31), date_from=date(2024, 10, 1),
                                          date_to=date(2024, 10, 31), with_groups=False)
    assert some_days.afresh and some_days.university.figures[hour.id].participants == 3
    assert "computed afresh" in coverage_service.closed_note(plan, some_days)
