"""Activity kinds: only reach is coverage of people; deliverables, units and registers are shown in their own terms."""
import re
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from app.core.content import ContentError
from app.coverage import service
from app.extensions import db
from app.home import overview
from app.people.models import StaffUnit
from app.people.service import record_headcount
from app.plan.models import Activity
from app.plan.service import activity_by_code, current_plan, load_plans, read_plan, record_participation

SHIPPED = Path(__file__).resolve().parent.parent / "plans" / "ktu-2024-2025.toml"
AS_OF = date(2025, 3, 1)
DELIVERABLES = {"1.2", "1.3", "1.4", "1.8", "1.9", "1.10", "1.11", "4.1", "4.2"}
REGISTERS = {"1.5", "1.6", "4.3"}    # 4.3: the reporting channel, its reports received


@pytest.fixture
def plan(app, runner, setup_cli):
    assert setup_cli("load-content").exit_code == 0
    app.config["NOW_FUNCTION"] = lambda: datetime.combine(AS_OF, datetime.min.time())
    return current_plan(AS_OF)


@pytest.fixture
def staffed(plan, make_user):
    """A staff unit of 20 with one employee who took part in the deliverable 1.2 and the reach activity 1.1."""
    unit = StaffUnit(name="Library")
    db.session.add(unit)
    db.session.flush()
    record_headcount(unit, 20, date(2024, 9, 1), None)
    employee = make_user(roles=("staff",))
    employee.staff_unit = unit
    db.session.commit()
    for code in ("1.1", "1.2"):
        record_participation(employee.id, activity_by_code(plan, code), source="manual", when=datetime(2025, 3, 1, 6))
    db.session.commit()
    return plan


def row_of(page: str, code: str) -> str:
    """The table row of one activity on a page."""
    match = re.search(r"<tr[^>]*>\s*<td>(?:<a [^>]*>)?%s(?:</a>)?</td>.*?</tr>" % re.escape(code), page, re.S)
    assert match, f"no row for {code}"
    return match.group(0)


# --- the plan file ---------------------------------------------------------------------------------

def test_the_shipped_plan_classifies_every_activity():
    kinds = {a.code: a.kind for a in read_plan(SHIPPED).activities}
    assert {code for code, kind in kinds.items() if kind == "deliverable"} == DELIVERABLES
    assert {code for code, kind in kinds.items() if kind == "register"} == REGISTERS
    assert {code for code, kind in kinds.items() if kind == "units"} == {"1.7"}
    assert kinds["1.1"] == kinds["2.2"] == kinds["3.1"] == "reach"


def test_the_shipped_plan_names_the_records_that_feed_its_deliverables():
    fed = {a.code: a.fed_by for a in read_plan(SHIPPED).activities if a.fed_by}
    assert fed == {"1.3": "risk-analysis", "1.4": "risk-map", "1.11": "media-log", "1.5": "declarations",
                   "1.6": "positions", "4.3": "reports"}
    monthly = next(a for a in read_plan(SHIPPED).activities if a.code == "1.11")
    assert len(monthly.periods) == 12 and monthly.periods[0] == (date(2024, 9, 1), date(2024, 9, 30))


@pytest.mark.parametrize("change, key, problem", [
    (('fed_by = "media-log"', 'fed_by = "press-clippings"'), "activities[10] (1.11).fed_by",
     "must be one of risk-analysis, risk-map, media-log"),
    (('code = "2.2"\n', 'code = "2.2"\nfed_by = "media-log"\n'), "activities[12] (2.2).fed_by",
     "only a kind = \"deliverable\" activity is fed by a record"),
    (('fed_by = "media-log"', 'fed_by = "risk-map"'), "activities[10] (1.11).fed_by", "'risk-map' already feeds activity 1.4"),
    # A register names the list it keeps; a list is kept by one activity, and only a register keeps one.
    (('fed_by = "positions"', 'fed_by = "equated-posts"'), "activities[5] (1.6).fed_by",
     "must be one of declarations, positions, reports"),
    (('fed_by = "positions"', 'fed_by = "declarations"'), "activities[5] (1.6).fed_by",
     "'declarations' is already kept by activity 1.5"),
    (('fed_by = "positions"', 'fed_by = "risk-map"'), "activities[5] (1.6).fed_by",
     "only a kind = \"deliverable\" activity is fed by a record"),
    (('fed_by = "media-log"', 'fed_by = "positions"'), "activities[10] (1.11).fed_by",
     "only a kind = \"register\" activity keeps a list"),
    (('code = "2.2"\n', 'code = "2.2"\nfed_by = "declarations"\n'), "activities[12] (2.2).fed_by",
     "only a kind = \"register\" activity keeps a list"),
])
def test_the_loader_refuses_a_bad_fed_by_and_loads_nothing(app, tmp_path, change, key, problem):
    folder = tmp_path / "plans"
    folder.mkdir()
    text = SHIPPED.read_text(encoding="utf-8")
    assert change[0] in text
    (folder / SHIPPED.name).write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_plans(folder)
    assert (caught.value.key, caught.value.problem) == (key, problem)
    assert db.session.execute(select(Activity)).first() is None


def written_before_registers_named_their_list(text: str) -> str:
    """The shipped plan as files were written before a register's `fed_by`: its registers name no list (and 4.3,
    the reporting channel, was not yet a register)."""
    text = text.replace('fed_by = "declarations"', "", 1).replace('fed_by = "positions"', "", 1)
    text = re.sub(r'kind = "register"\nfed_by = "reports".*\n', "", text, count=1)
    assert 'fed_by = "reports"' not in text
    assert "declarations\"" not in text and "positions\"" not in text
    return text


def test_a_register_without_fed_by_keeps_the_list_the_older_rule_gave(app, tmp_path):
    folder = tmp_path / "plans"
    folder.mkdir()
    text = written_before_registers_named_their_list(SHIPPED.read_text(encoding="utf-8"))
    # 1.5 and 1.6 by their numbers; a register numbered otherwise by whether its name speaks of a declaration.
    text = text.replace('code = "1.6"\nsection = 1\nname = "Determining', 'code = "1.60"\nsection = 1\nname = "Determining', 1)
    text = text.replace('code = "1.7"\nsection = 1\nname = "', 'code = "1.7"\nsection = 1\nname = "Declarations heard: ', 1)
    (folder / SHIPPED.name).write_text(text, encoding="utf-8")
    spec = read_plan(folder / SHIPPED.name)
    assert {a.code: a.fed_by for a in spec.activities if a.kind == "register"} == {"1.5": "declarations",
                                                                                   "1.60": "positions"}
    assert next(a for a in spec.activities if a.code == "1.7").fed_by == ""      # units keep no list
    load_plans(folder)
    by_code = {a.code: a for a in db.session.execute(select(Activity)).scalars()}
    assert (by_code["1.5"].fed_by, by_code["1.60"].fed_by) == ("declarations", "positions")


def test_a_register_without_fed_by_whose_list_is_kept_already_is_refused(app, tmp_path):
    folder = tmp_path / "plans"
    folder.mkdir()
    text = SHIPPED.read_text(encoding="utf-8").replace('fed_by = "positions"', "", 1).replace(
        'code = "1.6"\nsection = 1\nname = "Determining', 'code = "1.60"\nsection = 1\nname = "Declarations: determining', 1)
    (folder / SHIPPED.name).write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_plans(folder)
    assert (caught.value.key, caught.value.problem) == (
        "activities[5] (1.60).fed_by",
        "left out, it would be 'declarations', which activity 1.5 already keeps: name the list this register keeps")
    assert db.session.execute(select(Activity)).first() is None


def test_the_loader_rejects_an_unknown_kind_and_loads_nothing(app, tmp_path):
    folder = tmp_path / "plans"
    folder.mkdir()
    text = SHIPPED.read_text(encoding="utf-8").replace('kind = "units"', 'kind = "hearings"', 1)
    (folder / SHIPPED.name).write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_plans(folder)
    assert caught.value.key == "activities[6] (1.7).kind"
    assert "must be one of reach, deliverable, units, register" in caught.value.problem
    assert db.session.execute(select(Activity)).first() is None


def test_a_kind_left_out_is_reach_and_a_changed_kind_updates_in_place(app, tmp_path):
    folder = tmp_path / "plans"
    folder.mkdir()
    shutil.copy(SHIPPED, folder / SHIPPED.name)
    load_plans(folder)
    by_code = {a.code: a for a in db.session.execute(select(Activity)).scalars()}
    assert by_code["2.1"].kind == "reach" and by_code["1.2"].kind == "deliverable"
    path = folder / SHIPPED.name
    path.write_text(path.read_text(encoding="utf-8").replace('kind = "deliverable"\n', "", 1), encoding="utf-8")
    load_plans(folder)
    assert db.session.get(Activity, by_code["1.2"].id).kind == "reach"


def test_the_demos_copy_of_the_plan_keeps_the_kinds():
    from app.demo.plan import plan_for_year

    moved = plan_for_year(read_plan(SHIPPED), date(2026, 9, 1))
    assert {a.code: a.kind for a in moved.activities} == {a.code: a.kind for a in read_plan(SHIPPED).activities}
    assert {a.code: a.fed_by for a in moved.activities} == {a.code: a.fed_by for a in read_plan(SHIPPED).activities}


# --- coverage ------------------------------------------------------------------------------------------

def test_a_deliverable_has_no_coverage_even_with_participation_recorded(staffed):
    data = service.coverage(staffed, AS_OF)
    deliverable = data.university.figures[activity_by_code(staffed, "1.2").id]
    assert deliverable.kind == "deliverable" and deliverable.status != service.NOT_TRACKED
    assert (deliverable.percent, deliverable.target, deliverable.needed) == (None, None, 0)
    # Its own figure comes from its periods (app/plan/deliverables): how many are accepted, never people.
    assert deliverable.measure.text.startswith("0 of ") and "accepted" in deliverable.measure.text
    register = data.university.figures[activity_by_code(staffed, "1.5").id]   # target_percent 100 in the file
    assert register.percent is None and register.target is None and register.needed == 0
    # Its own figure comes from the register (app/risks): nobody is listed yet, so it has not started.
    assert register.measure.text == "0 of 0 declarations submitted" and register.status == service.NOT_STARTED
    reach = data.university.figures[activity_by_code(staffed, "1.1").id]
    assert (reach.participants, reach.headcount, reach.percent) == (1, 20, 5.0)
    unit_row = data.units[0]
    assert unit_row.figures[activity_by_code(staffed, "1.2").id].percent is None


def test_the_acs_dashboard_shows_a_deliverable_in_its_own_terms(staffed, client, make_user, auth):
    make_user("boss@uni.test", roles=("admin",))
    auth.login("boss@uni.test")
    page = client.get("/admin/coverage/").get_data(as_text=True)
    row = row_of(page, "1.2")
    assert "deliverable" in row and "period accepted" in row and "planned, not yet tracked" not in row
    assert "/ 20" not in row
    # 1.7 is a share of divisions (app/risks lends its figure), never a share of employees.
    hearings = row_of(page, "1.7")
    assert "0 of 1 divisions heard (target 50%)" in hearings and "share of structural divisions" in hearings
    assert "/ 20" not in hearings and "of employees" not in hearings
    assert "5%" in row_of(page, "1.1")


def test_the_printable_report_shows_a_deliverable_without_a_percentage(staffed, client, make_user, auth):
    make_user("boss@uni.test", roles=("admin",))
    auth.login("boss@uni.test")
    page = client.get("/admin/coverage/report").get_data(as_text=True)
    row = row_of(page, "1.8")
    assert "deliverable" in row and "accepted" in row and "%" not in row          # its periods, never people
    assert "%" not in row_of(page, "1.6") and "register" in row_of(page, "1.6")


def test_the_plan_pages_name_the_kind_instead_of_a_share_of_employees(staffed, client, make_user, auth):
    make_user("boss@uni.test", roles=("admin",))
    auth.login("boss@uni.test")
    page = client.get("/admin/plan/").get_data(as_text=True)
    cells = re.findall(r'<td class="num">(.*?)</td>', row_of(page, "1.5"), re.S)
    assert "register" in cells[0] and "%" not in "".join(cells)
    detail = client.get("/admin/plan/ktu-2024-2025/1.5").get_data(as_text=True)
    assert "of employees" not in detail and "a maintained list" in detail


def test_the_csv_export_gives_the_kind_and_no_percentage(staffed, client, make_user, auth):
    make_user("boss@uni.test", roles=("admin",))
    auth.login("boss@uni.test")
    text = client.get("/admin/coverage.csv").get_data(as_text=True)
    assert "university,Abylkas Saginov Karaganda Technical University,1.2,employees,deliverable,0,0,no,,,not started,0" in text
    assert "unit,Library,4.2,employees,deliverable,0,0,no,,,not tracked,0" in text     # periods are the university's


def test_the_api_gives_the_kind_and_no_percentage_for_a_deliverable(staffed, client, runner):
    token = runner.invoke(args=["api-token", "create", "Ministry"]).output.strip()
    headers = {"Authorization": f"Bearer {token}"}
    activities = {a["code"]: a for a in client.get("/api/v1/plan", headers=headers).json["activities"]}
    assert activities["1.2"]["kind"] == "deliverable" and activities["1.7"]["kind"] == "units"
    assert activities["2.2"]["kind"] == "reach"
    figure = client.get("/api/v1/coverage?activity=1.2", headers=headers).json["scopes"][0]["figures"][0]
    assert figure["kind"] == "deliverable" and figure["status"] == "not started"     # no period accepted yet
    assert figure["measure"]["done"] == 0 and figure["measure"]["total"] >= 1
    assert figure["coverage_percent"] is None and figure["target_percent"] is None
    spec = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    assert spec["Activity"]["properties"]["kind"]["enum"] == ["reach", "deliverable", "units", "register"]
    assert spec["Figure"]["properties"]["kind"]["enum"] == ["reach", "deliverable", "units", "register"]


# --- home panels and curator pages --------------------------------------------------------------------

def test_the_acs_home_never_lists_a_deliverable_as_behind(staffed, client, make_user, auth):
    panel = overview.acs_panel(datetime(2025, 3, 1, 9))
    behind = {a.code for a, _f in panel.behind}
    assert "2.1" in behind and not behind & (DELIVERABLES | REGISTERS | {"1.7"})
    assert {a.code for a in panel.other_kinds} == set()           # each is measured in its own terms now
    make_user("boss@uni.test", roles=("admin",))
    auth.login("boss@uni.test")
    page = client.get("/").get_data(as_text=True)
    listed = re.search(r'<ul class="behind-list">.*?</ul>', page, re.S).group(0)
    assert '<span class="code">2.1</span>' in listed and '<span class="code">1.2</span>' not in listed
    assert "activities are documents, hearings of divisions or registers" not in page


def test_a_curator_sees_a_student_deliverable_neither_behind_nor_as_a_percentage(plan, client, make_group, make_user,
                                                                              auth):
    forum = activity_by_code(plan, "2.11")
    forum.kind = "deliverable"        # a plan that asks a report of a student activity
    db.session.commit()
    service.clear_coverage()
    group = make_group()
    record_headcount(group, 10, date(2024, 9, 1), None)
    curator = make_user("curator@uni.test", roles=("curator",))
    group.curators.append(curator)
    make_user(group=group)
    db.session.commit()
    standing = overview.curator_panel(curator, datetime(2025, 3, 1, 9)).groups[0]
    assert standing.behind and "2.11" not in {a.code for a, _f in standing.behind}
    auth.login("curator@uni.test")
    page = client.get(f"/coverage/groups/{group.id}").get_data(as_text=True)
    assert "<strong>2.1</strong>" in page and "<strong>2.11</strong>" not in page
    mine = client.get("/coverage/").get_data(as_text=True)
    assert ">2.1<" in mine and ">2.11<" not in mine
