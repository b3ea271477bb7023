"""Each role's home page says what to do next, from panels computed in bulk (on the demo instance)."""
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from app.club.models import Idea, Membership, VolunteerLog
from app.contests import service as contests
from app.contests.models import Entry, JuryAssignment
from app.home import overview
from app.core.clock import local_date, utcnow
from app.coverage import events as coverage_events
from app.demo.events import NEXT_STAFF_SEMINAR
from app.extensions import db
from app.people.models import Group, User
from app.plan import service as plan_service
from app.reports.models import Report


@pytest.fixture
def demo(app, setup_cli):
    result = setup_cli("demo")
    assert result.exit_code == 0, result.output
    return {u.email: u for u in db.session.execute(select(User)).scalars()}


def essay_assignments(juror=None):
    essay = contests.contest_by_slug("essay-2024-2025")
    query = select(JuryAssignment).join(Entry).where(Entry.contest_id == essay.id, JuryAssignment.status == "active")
    if juror is not None:
        query = query.where(JuryAssignment.juror_id == juror.id)
    return essay, db.session.execute(query).scalars().all()


def seal(assignment, essay):
    contests.save_score(assignment, assignment.juror, {c["key"]: 6 for c in essay.criteria}, "", "", seal=True,
                        now=utcnow())


def test_a_juror_sees_how_many_entries_are_left_to_score_and_when_judging_closes(app, demo):
    juror = demo["jury1@sanaly.test"]
    essay, mine = essay_assignments(juror)
    [work] = overview.juror_panel(juror.id, utcnow())
    assert (work.contest.id, work.assigned, work.to_seal, work.phase) == (essay.id, len(mine), len(mine), "judging")
    seal(mine[0], essay)
    [work] = overview.juror_panel(juror.id, utcnow())
    assert work.to_seal == len(mine) - 1
    assert overview.juror_panel(demo["student1@sanaly.test"].id, utcnow()) == []


def test_the_juror_home_says_what_to_score_instead_of_only_learn(app, demo, client):
    juror = demo["jury1@sanaly.test"]
    essay, mine = essay_assignments(juror)
    client.post("/login", data={"email": juror.email, "password": "demo-password"})
    page = client.get("/").get_data(as_text=True)
    closes = local_date(essay.judging_close).isoformat()          # the university's day, as the page writes it
    assert f"{len(mine)} entries to score, judging closes on {closes}" in page
    assert 'href="/jury/"' in page


def test_the_acs_sees_new_reports_unanswered_ideas_contests_ready_to_publish_and_activities_behind(app, demo):
    now = utcnow()
    panel = overview.acs_panel(now)
    received = db.session.scalar(select(db.func.count()).select_from(Report).where(Report.status == "received"))
    new_ideas = db.session.scalar(select(db.func.count()).select_from(Idea).where(Idea.status == "new", Idea.hidden.is_(False)))
    assert (panel.new_reports, panel.unanswered_ideas) == (received, new_ideas)
    assert panel.ready_to_publish == []                      # the essay contest still waits for scores
    assert panel.behind and all(f.status in ("behind", "not started") for _a, f in panel.behind)
    assert all(a.kind == "reach" for a, _f in panel.behind)            # a document is never behind on people
    assert panel.other_kinds == []          # documents, hearings and registers each have figures of their own
    essay, everything = essay_assignments()
    open_ones = [a for a in everything if a.score is None or a.score.sealed_at is None]
    for assignment in open_ones[:-1]:
        seal(assignment, essay)
    assert overview.acs_panel(now).ready_to_publish == []     # one score still open
    seal(open_ones[-1], essay)
    assert [c.slug for c in overview.acs_panel(now).ready_to_publish] == ["essay-2024-2025"]
    report = db.session.execute(select(Report)).scalars().first()
    report.status, report.first_answer_on, report.due_on = "received", None, now.date() - timedelta(days=1)
    db.session.commit()
    later = overview.acs_panel(now)
    assert later.new_reports >= 1 and later.overdue_reports >= 1


def test_a_curator_sees_which_groups_are_behind_and_who_still_owes_the_integrity_hour(app, demo):
    curator = demo["curator@sanaly.test"]
    panel = overview.curator_panel(curator, utcnow())
    assert [s.group.code for s in panel.groups] == ["ЭЭ-24-1", "ЭЭ-24-2"] and panel.hour.code == "2.2"
    first = panel.groups[0]
    assert first.behind and all(f.status in ("behind", "not started") for _a, f in first.behind)
    owing = first.owe_hour
    assert owing and all(s.group_id == first.group.id for s in owing)
    plan_service.record_participation(owing[0].id, panel.hour, source="quiz", when=utcnow())
    db.session.commit()
    assert owing[0] not in overview.curator_panel(curator, utcnow()).groups[0].owe_hour


def test_a_coordinator_sees_what_waits_on_the_club_desk(app, demo):
    coordinator = demo["curator@sanaly.test"]
    desk = overview.club_desk(coordinator.id)
    pending = db.session.scalar(select(db.func.count()).select_from(Membership).where(Membership.status == "pending"))
    logs = db.session.scalar(select(db.func.count()).select_from(VolunteerLog).where(VolunteerLog.status == "pending"))
    assert (desk.applications, desk.volunteering) == (pending, logs)


def test_staff_see_the_events_that_count_for_employees_and_what_already_counted(app, demo):
    person = demo["jury1@sanaly.test"]
    now = utcnow()
    assert [e.title for e in overview.staff_panel(person, now).events] == [NEXT_STAFF_SEMINAR]   # the demo's, a week ahead
    plan = plan_service.current_plan(now.date())
    culture = plan_service.activity_by_code(plan, "3.1")
    seminar = coverage_events.create_event(culture, "Seminar on conflicts of interest", "Hall 2",
                                           now + timedelta(days=2), now + timedelta(days=2, hours=2), demo["admin@sanaly.test"])
    coverage_events.create_event(plan_service.activity_by_code(plan, "2.12"), "A students' round table", "Hall 3",
                                 now + timedelta(days=2), now + timedelta(days=2, hours=2), demo["admin@sanaly.test"])
    db.session.commit()
    panel = overview.staff_panel(person, now)
    assert [e.title for e in panel.events] == [seminar.title, NEXT_STAFF_SEMINAR] and panel.counted == []
    plan_service.record_participation(person.id, culture, source="checkin", when=now)
    db.session.commit()
    assert [a.code for a, _when in overview.staff_panel(person, now).counted] == ["3.1"]


def test_a_person_with_several_roles_sees_each_roles_panel(app, demo, client):
    curator = demo["curator@sanaly.test"]          # curator, club coordinator and employee
    panels = overview.role_panels(curator, utcnow())
    assert panels.curator and panels.club and panels.staff and panels.jury is None and panels.acs is None
    curator.set_roles(["curator", "coordinator", "staff", "jury"])
    db.session.commit()
    client.post("/login", data={"email": curator.email, "password": "demo-password"})
    page = client.get("/").get_data(as_text=True)
    for title in ("Jury work", "Your groups", "Club desk", "For employees"):
        assert title in page
    assert "The ACS desk" not in page and "Integrity hour" not in page     # no student overview for a non-student


def count_queries(client, url):
    statements = []

    def count(*_args):
        statements.append(1)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


@pytest.mark.parametrize("email", ["admin@sanaly.test", "curator@sanaly.test", "jury1@sanaly.test", "student1@sanaly.test"])
def test_a_home_page_runs_as_many_queries_for_many_students_as_for_a_few(app, demo, client, make_user, email):
    client.post("/login", data={"email": email, "password": "demo-password"})
    client.get("/")                                    # caches warm
    before = count_queries(client, "/")
    group = db.session.execute(select(Group).where(Group.code == "ЭЭ-24-1")).scalar_one()
    for _ in range(15):
        make_user(group=group)
    from app.coverage.service import clear_coverage

    clear_coverage()
    client.get("/")
    assert count_queries(client, "/") == before
