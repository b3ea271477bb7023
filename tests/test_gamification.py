"""Gamification: an idempotent ledger, levels, badges, streaks, leaderboards and coverage-based competitions."""
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.gamification import service
from app.gamification.models import Notification, UserBadge, XpEvent
from app.people.service import record_headcount
from app.plan.service import activity_by_code, current_plan, record_participation
from tests.conftest import run_together

DAY = datetime(2024, 10, 7, 12, 0)     # a Monday


def total(user):
    return service.xp_total(user.id)


def test_the_same_source_never_pays_twice(app, make_user):
    user = make_user()
    for _ in range(3):
        service.record_xp(user.id, amount=10, reason="Lesson", source_type="lesson", source_ref="7", when=DAY)
    db.session.commit()
    assert total(user) == 10


def test_the_same_source_fired_concurrently_pays_once(app, make_user):
    user_id = make_user().id

    def pay(ready):
        ready()
        service.record_xp(user_id, amount=10, reason="Quiz", source_type="quiz", source_ref="attempt:1", when=DAY)

    run_together(app, pay, [()] * 6)
    assert db.session.scalar(select(func.count()).select_from(XpEvent)) == 1


def test_event_xp_has_a_daily_cap(app, make_user):
    user = make_user()
    paid = [service.record_xp(user.id, amount=15, reason="Event", source_type="event", source_ref=str(i), when=DAY)
            for i in range(4)]
    assert paid == [True, True, False, False]
    assert service.record_xp(user.id, amount=15, reason="Event", source_type="event", source_ref="9", when=DAY + timedelta(days=1))


def test_a_reversal_takes_xp_back_once(app, make_user):
    user = make_user()
    service.record_xp(user.id, amount=40, reason="Entry", source_type="entry", source_ref="E-1", when=DAY)
    assert service.reverse_xp(user.id, source_type="entry", source_ref="E-1")
    assert not service.reverse_xp(user.id, source_type="entry", source_ref="E-1")
    db.session.commit()
    assert total(user) == 0


@pytest.mark.parametrize("xp, number, name", [(0, 1, "Newcomer"), (49, 1, "Newcomer"), (50, 2, "Aware"),
                                              (149, 2, "Aware"), (150, 3, "Informed"), (800, 6, "Agent of change"),
                                              (5000, 6, "Agent of change")])
def test_levels_at_the_thresholds(app, xp, number, name):
    level = service.level_for(xp)
    assert (level.number, level.name) == (number, name)


def test_progress_to_the_next_level(app):
    level = service.level_for(100)          # between 50 (Aware) and 150
    assert level.progress == 50 and level.next_xp == 150


def test_weekly_streak(app, make_user):
    user = make_user()
    for week in (0, 1, 2, 4):               # weeks 0, 1, 2 back to back; a gap before week 4
        service.record_xp(user.id, amount=5, reason="Lesson", source_type="lesson", source_ref=f"w{week}",
                          when=DAY + timedelta(weeks=week))
    db.session.commit()
    assert service.streak_weeks(user.id, (DAY + timedelta(weeks=2, days=3)).date()) == 3
    assert service.streak_weeks(user.id, (DAY + timedelta(weeks=4, days=1)).date()) == 1
    assert service.streak_weeks(user.id, (DAY + timedelta(weeks=3, days=1)).date()) == 3   # this week not yet
    event = service.record_xp(user.id, amount=5, reason="Event", source_type="event", source_ref="x",
                              when=DAY + timedelta(weeks=3))
    assert event and service.streak_weeks(user.id, (DAY + timedelta(weeks=4, days=1)).date()) == 1  # events are not learning


def badges(user):
    return set(db.session.execute(select(UserBadge.badge).where(UserBadge.user_id == user.id)).scalars())


def test_streak_badges(app, make_user):
    user = make_user()
    for week in range(7):
        service.record_xp(user.id, amount=5, reason="Lesson", source_type="lesson", source_ref=f"w{week}",
                          when=DAY + timedelta(weeks=week))
        db.session.commit()
        if week == 1:
            assert "streak-3" not in badges(user)
        if week == 2:
            assert "streak-3" in badges(user) and "streak-7" not in badges(user)
    assert "streak-7" in badges(user)
    notes = db.session.execute(select(Notification.text).where(Notification.user_id == user.id)).scalars().all()
    assert any("Three weeks running" in n for n in notes)


def test_badges_for_lessons_courses_quizzes_entries_wins_and_events(app, runner, make_user, make_group, setup_cli):
    from app.certificates.service import issue
    from app.contests.models import Contest, Entry
    from app.courses import service as courses
    from app.courses.models import Lesson
    from app.coverage import events
    from app.quizzes.models import Quiz, QuizAttempt

    assert setup_cli("load-content").exit_code == 0
    student = make_user(group=make_group())
    lesson = db.session.execute(select(Lesson).order_by(Lesson.id)).scalars().first()
    courses.complete_lesson(student, lesson, via="button", now=DAY)
    assert badges(student) == {"first-lesson"}
    quiz = db.session.execute(select(Quiz).where(Quiz.slug == "integrity-hour")).scalar_one()
    db.session.add(QuizAttempt(quiz_id=quiz.id, version_id=quiz.current_version_id, user_id=student.id, status="submitted",
                               started_at=DAY, score=15, max_score=15, percent=100, passed=True, layout=[]))
    contest = db.session.execute(select(Contest)).scalars().first()
    db.session.add(Entry(contest_id=contest.id, author_id=student.id, code="E-TEST01", status="submitted"))
    issue(student, kind="diploma", subject_ref=f"contest:{contest.id}:place", title="1st place", issued_on=DAY.date())
    db.session.commit()
    service.evaluate_badges(student, DAY)
    assert {"integrity-hour-full-marks", "contest-entrant", "contest-winner"} <= badges(student)
    organiser = make_user(roles=("curator",))
    plan = current_plan(DAY.date())
    forum = events.create_event(activity_by_code(plan, "2.11"), "Forum", "", DAY - timedelta(hours=1), DAY + timedelta(hours=1), organiser)
    events.check_in(forum.code, student, DAY)
    assert "event-attendee" in badges(student)
    assert "course-completed" not in badges(student)


def test_helped_the_group_reach_its_target(app, runner, make_user, make_group, setup_cli):
    assert setup_cli("load-content").exit_code == 0
    plan = current_plan(DAY.date())
    group = make_group()
    record_headcount(group, 4, date(2024, 9, 1), None)
    db.session.commit()
    forum = activity_by_code(plan, "2.11")         # target 10% of 4 → one person meets it
    student = make_user(group=group)
    record_participation(student.id, forum, source="manual", when=DAY)
    service.record_xp(student.id, amount=15, reason="Forum", source_type="event", source_ref="1", when=DAY)
    db.session.commit()
    assert "group-target" in badges(student)


# --- leaderboards ------------------------------------------------------------------------------------------

def test_leaderboard_order_ties_and_opt_out(app, make_user, make_group):
    group = make_group()
    early = make_user(group=group, name="Early Bird")
    late = make_user(group=group, name="Late Comer")
    top = make_user(group=group, name="Top Student")
    shy = make_user(group=group, name="Shy Person")
    for user, amount, when in ((early, 30, DAY), (late, 30, DAY + timedelta(hours=2)), (top, 50, DAY), (shy, 80, DAY)):
        service.record_xp(user.id, amount=amount, reason="x", source_type="lesson", source_ref="1", when=when)
    shy.leaderboard_display = "hidden"
    top.leaderboard_display = "initials"
    db.session.commit()
    service.clear_standings()
    board = service.leaderboard("group", group.id)
    assert [row["name"] for row in board] == ["T. S.", "Early Bird", "Late Comer"]
    assert [row["rank"] for row in board] == [1, 2, 3]
    assert "Shy" not in str(service.leaderboard("faculty", group.faculty_id))


def test_opting_out_hides_the_person_on_every_page(app, client, make_user, make_group, auth):
    group = make_group()
    viewer = make_user("v@uni.test", group=group, name="Viewer One")
    shy = make_user("shy@uni.test", group=group, name="Shy Person")
    for user in (viewer, shy):
        service.record_xp(user.id, amount=20, reason="x", source_type="lesson", source_ref="1", when=DAY)
    db.session.commit()
    auth.login("shy@uni.test")
    client.post("/profile/leaderboard", data={"display": "hidden", "roles": "admin", "group_id": "999"})
    assert db.session.get(type(shy), shy.id).roles == {"student"} and db.session.get(type(shy), shy.id).group_id == group.id
    auth.logout()
    auth.login("v@uni.test")
    page = client.get("/leaderboard").get_data(as_text=True)
    assert "Viewer One" in page and "Shy Person" not in page


def test_leaderboard_cache_is_invalidated_by_new_xp(app, make_user, make_group):
    group = make_group()
    a, b = make_user(group=group, name="Alpha"), make_user(group=group, name="Beta")
    service.record_xp(a.id, amount=20, reason="x", source_type="lesson", source_ref="1", when=DAY)
    db.session.commit()
    assert [r["name"] for r in service.leaderboard("group", group.id)] == ["Alpha"]
    service.record_xp(b.id, amount=30, reason="x", source_type="lesson", source_ref="1", when=DAY)
    db.session.commit()
    assert [r["name"] for r in service.leaderboard("group", group.id)] == ["Beta", "Alpha"]


# --- competitions -----------------------------------------------------------------------------------------

def test_the_group_competition_uses_coverage_not_xp(app, runner, make_user, make_group, setup_cli):
    assert setup_cli("load-content").exit_code == 0
    plan = current_plan(DAY.date())
    busy, keen = make_group("ЭЭ-24-1"), make_group("ЭЭ-24-2")
    for group in (busy, keen):
        record_headcount(group, 10, date(2024, 9, 1), None)
    db.session.commit()
    grinder = make_user(group=busy)
    service.record_xp(grinder.id, amount=5000, reason="lots", source_type="lesson", source_ref="1", when=DAY)
    forum = activity_by_code(plan, "2.11")
    for _ in range(2):
        record_participation(make_user(group=keen).id, forum, source="manual", when=DAY)
    db.session.commit()
    service.clear_standings()
    season = service.season_for(DAY.date())
    standings = service.competition(season, DAY.date())
    assert [g["name"] for g in standings["groups"]][0] == "ЭЭ-24-2"
    mine = service.neighbours(standings["groups"], busy.id)
    assert mine["rank"] == 2 and mine["above"]["name"] == "ЭЭ-24-2" and mine["gap"] > 0


def test_a_frozen_scoreboard_ignores_what_happens_after_the_freeze(app, runner, make_user, make_group, setup_cli):
    assert setup_cli("load-content").exit_code == 0
    plan = current_plan(DAY.date())
    group = make_group()
    record_headcount(group, 10, date(2024, 9, 1), None)
    db.session.commit()
    season = service.season_for(date(2024, 10, 1))
    assert season["key"] == "autumn-2024"
    after_freeze = datetime(2025, 1, 20, 12, 0)
    record_participation(make_user(group=group).id, activity_by_code(plan, "2.8"), source="manual", when=after_freeze)
    db.session.commit()
    service.clear_standings()
    frozen = service.competition(season, date(2025, 1, 22))
    assert frozen["frozen"] and frozen["cutoff"] == "2025-01-15"
    assert frozen["groups"][0]["score"] == 0.0
    service.clear_standings()
    live = service.competition({**season, "freeze": None}, date(2025, 1, 22))
    assert live["groups"][0]["score"] > 0


def test_profile_leaderboard_and_notifications_pages(app, client, make_user, make_group, auth):
    group = make_group()
    user = make_user("s@uni.test", group=group)
    service.record_xp(user.id, amount=60, reason="x", source_type="lesson", source_ref="1", when=DAY)
    service.notify([user.id], "results", "The results are published.", link="/contests/")
    db.session.commit()
    auth.login("s@uni.test")
    profile = client.get("/profile").get_data(as_text=True)
    assert "60</strong> XP" in profile and "Level 2: Aware" in profile and "Three weeks running" in profile
    assert client.get("/leaderboard").status_code == 200
    page = client.get("/notifications").get_data(as_text=True)
    assert "The results are published." in page and 'class="nav-count"' in page
    client.post("/notifications")
    assert 'class="nav-count"' not in client.get("/notifications").get_data(as_text=True)
    assert client.get("/badges/first-lesson.svg").mimetype == "image/svg+xml"
    assert client.get("/badges/nope.svg").status_code == 404


def test_course_completed_badge(app, runner, make_user, make_group, setup_cli):
    from app.courses import service as courses
    from app.courses.models import Course, Lesson

    assert setup_cli("load-content").exit_code == 0
    course = db.session.execute(select(Course).where(Course.slug == "academic-honesty")).scalar_one()
    course.final_quiz = ""
    db.session.commit()
    student = make_user(group=make_group())
    for lesson in db.session.execute(select(Lesson).where(Lesson.course_id == course.id)).scalars().all():
        courses.complete_lesson(student, lesson, via="button", now=DAY)
    assert "course-completed" in badges(student)


def test_seasons_repeat_every_academic_year(app):
    autumn = service.season_for(date(2026, 12, 4))
    assert (autumn["key"], autumn["starts_on"], autumn["ends_on"], autumn["freeze"]) == (
        "autumn-2026", date(2026, 9, 1), date(2027, 1, 25), date(2027, 1, 15))
    spring = service.season_for(date(2027, 3, 10))
    assert (spring["key"], spring["starts_on"], spring["ends_on"]) == ("spring-2027", date(2027, 1, 26), date(2027, 6, 30))
    assert service.season_for(date(2027, 7, 20))["key"] == "spring-2027"        # the summer shows the spring's result
    assert [s["key"] for s in service.seasons(date(2026, 12, 4))] == ["autumn-2025", "spring-2026", "autumn-2026",
                                                                      "spring-2027"]


def test_a_board_where_every_group_is_at_zero_names_no_leader(app, runner, client, make_user, make_group, auth, setup_cli):
    assert setup_cli("load-content").exit_code == 0
    app.config["NOW_FUNCTION"] = lambda: DAY
    first, second = make_group("ЭЭ-24-1"), make_group("ЭЭ-24-2")
    for group in (first, second):
        record_headcount(group, 10, date(2024, 9, 1), None)
    make_user("s@uni.test", group=first)
    db.session.commit()
    auth.login("s@uni.test")
    page = client.get("/leaderboard").get_data(as_text=True)
    assert "Autumn term 2024" in page and "in first place" not in page and "No group has scored yet" in page
