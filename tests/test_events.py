"""Domain events: features announce what happened, listeners write in the same transaction, and
gamification's facts — written from events, or backfilled by the migration — are the same."""
import importlib.util
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, select, text

from app.core import events
from app.extensions import db
from app.gamification.models import GameFact
from app.plan.service import activity_by_code, current_plan, record_participation

DAY = datetime(2024, 10, 7, 12, 0)
MIGRATION = Path(__file__).resolve().parents[1] / "migrations" / "versions" / "0023_game_facts.py"


def facts(user_id=None) -> set:
    query = select(GameFact.user_id, GameFact.kind, GameFact.ref)
    if user_id is not None:
        query = query.where(GameFact.user_id == user_id)
    return set(db.session.execute(query).all())


def a_busy_student(setup_cli, make_user, make_group):
    """A student who did one of everything the badges look at, each by the feature's own way."""
    from app.certificates.service import issue
    from app.contests.models import Contest, Entry
    from app.courses import service as courses
    from app.courses.models import Lesson
    from app.coverage import events as checkins
    from app.quizzes.models import Quiz, QuizAttempt

    assert setup_cli("load-content").exit_code == 0
    student = make_user(group=make_group())
    lesson = db.session.execute(select(Lesson).order_by(Lesson.id)).scalars().first()
    courses.complete_lesson(student, lesson, via="button", now=DAY)
    quiz = db.session.execute(select(Quiz).where(Quiz.slug == "integrity-hour")).scalar_one()
    db.session.add(QuizAttempt(quiz_id=quiz.id, version_id=quiz.current_version_id, user_id=student.id, status="submitted",
                               started_at=DAY, score=15, max_score=15, percent=100, passed=True, layout=[]))
    contest = db.session.execute(select(Contest)).scalars().first()
    db.session.add(Entry(contest_id=contest.id, author_id=student.id, code="E-KEPT01", status="submitted", submitted_at=DAY))
    withdrawn = Entry(contest_id=contest.id, author_id=student.id, code="E-GONE01", status="submitted", submitted_at=DAY)
    db.session.add(withdrawn)
    db.session.flush()
    withdrawn.status, withdrawn.withdrawn_at = "withdrawn", DAY
    issue(student, kind="diploma", subject_ref=f"contest:{contest.id}:place", title="1st place", issued_on=DAY.date())
    issue(student, kind="participation", subject_ref=f"contest:{contest.id}", title="Took part", issued_on=DAY.date())
    plan = current_plan(DAY.date())
    organiser = make_user(roles=("curator",))
    forum = checkins.create_event(activity_by_code(plan, "2.11"), "Forum", "", DAY - timedelta(hours=1),
                                  DAY + timedelta(hours=1), organiser)
    checkins.check_in(forum.code, student, DAY)
    record_participation(student.id, activity_by_code(plan, "2.12"), source="manual", when=DAY)
    db.session.commit()
    return student, quiz, lesson, forum


def test_each_feature_announces_what_gamification_keeps(app, setup_cli, make_user, make_group):
    student, _quiz, lesson, forum = a_busy_student(setup_cli, make_user, make_group)
    kept = {(kind, ref) for _user, kind, ref in facts(student.id)}
    assert {("lesson", str(lesson.id)), ("quiz-full-marks", "integrity-hour"), ("entry", "E-KEPT01"),
            ("checkin", str(forum.id))} <= kept
    assert ("entry", "E-GONE01") not in kept                      # withdrawn: no longer an entrant by it
    assert sum(kind == "diploma" for kind, _ref in kept) == 1     # the participation certificate is no diploma
    assert sum(kind == "activity" for kind, _ref in kept) == 2    # the forum's 2.11 and the round table's 2.12


def test_the_migration_backfills_the_same_facts_the_events_write(app, setup_cli, make_user, make_group):
    """Existing users keep their badges: what the migration derives from old rows equals what events write."""
    a_busy_student(setup_cli, make_user, make_group)
    from_events = facts()
    db.session.execute(delete(GameFact))
    spec = importlib.util.spec_from_file_location("game_facts_migration", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    migration.backfill(lambda sql: db.session.execute(text(sql)))
    db.session.commit()
    assert facts() == from_events


def test_a_rollback_undoes_what_the_listeners_wrote(app, make_user):
    student = make_user()
    heard = []

    def listener(sender, **data):
        heard.append((sender, data))

    events.lesson_completed.connect(listener)
    try:
        events.announce(events.lesson_completed, "courses", user_id=student.id, lesson_id=99, course_id=1, xp=5, at=DAY)
    finally:
        events.lesson_completed.disconnect(listener)
    assert heard == [("courses", {"user_id": student.id, "lesson_id": 99, "course_id": 1, "xp": 5, "at": DAY})]
    assert ("lesson", "99") in {(kind, ref) for _user, kind, ref in facts(student.id)}
    db.session.rollback()
    assert facts(student.id) == set()
