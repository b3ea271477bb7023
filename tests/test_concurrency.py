"""Many people at once: quiz submissions, check-ins, sealed scores and XP from parallel requests.

Every request goes through the whole application (routing, CSRF-free forms, the database) from its
own thread and its own client, as parallel workers would. Nothing may fail with a 500, nothing may
be lost, and nothing may be counted twice.
"""
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from sqlalchemy import func, select

from app.contests import service as contests
from app.contests.models import JuryAssignment, JuryScore
from app.coverage import events
from app.coverage.models import CheckIn
from app.extensions import db
from app.gamification.models import XpEvent
from app.plan.models import Participation
from app.plan.service import activity_by_code, current_plan
from app.quizzes.models import AttemptAnswer, QuizAttempt
from tests.conftest import PASSWORD

NOW = datetime(2024, 11, 25, 12, 0)
ESSAY = " ".join(["Open rules and shared decisions leave no room for a bribe."] * 45)


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_busy_hour(app, runner, make_user, make_group, setup_cli):
    app.config["NOW_FUNCTION"] = lambda: NOW
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "1000 per minute"
    assert setup_cli("load-content").exit_code == 0
    plan = current_plan(NOW.date())
    groups = [make_group("ЭЭ-24-1"), make_group("ГД-24-1", "Faculty of Mining")]
    students = [make_user(f"s{i}@uni.test", group=groups[i % 2], name=f"Student Number{i}") for i in range(12)]
    jurors = [make_user(f"j{i}@uni.test", roles=("jury", "staff"), name=f"Juror Number{i}") for i in range(3)]
    admin = make_user("boss@uni.test", roles=("admin",))
    essay = contests.contest_by_slug("essay-2024-2025")
    for student in students[:6]:
        outcome = contests.save_entry(student, essay, None, contests.EntryDraft(title="Shared decisions", body=ESSAY),
                                      None, datetime(2024, 11, 1), submit=True, confirm_identity=True,
                                      upload_folder=app.instance_path)
        assert not outcome.problems
    contests.assign_jury(essay, admin, NOW)
    forum = events.create_event(activity_by_code(plan, "2.12"), "Round table", "", NOW - timedelta(hours=1),
                                NOW + timedelta(hours=1), admin)
    code = forum.code

    def student_work(email):
        client = app.test_client()
        statuses = [client.post("/login", data={"email": email, "password": PASSWORD}).status_code]
        start = client.post("/quizzes/integrity-hour/start")
        statuses.append(start.status_code)
        attempt_url = start.location
        page = client.get(attempt_url)
        statuses.append(page.status_code)
        attempt_id = int(attempt_url.rstrip("/").split("/")[-1].split("?")[0])
        statuses.append(client.post(f"/quizzes/attempts/{attempt_id}/save?page=1", data={"go": "1"}).status_code)
        with ThreadPoolExecutor(2) as twice:      # a double click on "Submit"
            statuses.extend(f.result().status_code for f in [
                twice.submit(client.post, f"/quizzes/attempts/{attempt_id}/submit") for _ in range(2)])
        with ThreadPoolExecutor(2) as twice:      # and on "Check in"
            statuses.extend(f.result().status_code for f in [
                twice.submit(client.post, "/check-in", data={"code": code}) for _ in range(2)])
        return statuses

    criteria = [c["key"] for c in essay.criteria]

    def juror_work(email, assignment_ids):
        client = app.test_client()
        statuses = [client.post("/login", data={"email": email, "password": PASSWORD}).status_code]
        for assignment_id in assignment_ids:
            data = {f"c-{key}": "7" for key in criteria}
            statuses.append(client.post(f"/jury/assignments/{assignment_id}", data={**data, "action": "seal", "confirmed": "yes"}).status_code)
        return statuses

    work = {j.email: [a.id for a in db.session.execute(select(JuryAssignment).where(
        JuryAssignment.juror_id == j.id)).scalars()] for j in jurors}
    emails = [s.email for s in students]
    db.session.remove()
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(student_work, email) for email in emails]
        futures += [pool.submit(juror_work, email, ids) for email, ids in work.items()]
        statuses = [status for future in futures for status in future.result()]

    assert max(statuses) < 500, sorted(set(statuses))
    attempts = db.session.execute(select(QuizAttempt)).scalars().all()
    assert len(attempts) == 12 and all(a.status == "submitted" for a in attempts)
    assert count(AttemptAnswer) == 12 * 15                       # graded once: one row per drawn question
    plan = current_plan(NOW.date())
    hour, table = activity_by_code(plan, "2.2"), activity_by_code(plan, "2.12")
    assert count(Participation, Participation.activity_id == hour.id) == 12
    assert count(Participation, Participation.activity_id == table.id) == 12
    assert count(CheckIn) == 12
    assert count(XpEvent, XpEvent.source_type == "event") == 12
    assert count(XpEvent, XpEvent.source_type == "quiz") == 0   # nobody answered anything: 0% earns no XP
    assert count(JuryScore, JuryScore.sealed_at.is_not(None)) == count(JuryAssignment) == 18
    from app.audit.service import verify_chain
    assert verify_chain().ok


def test_a_failure_half_way_leaves_nothing_half_done(app, runner, make_user, make_group, monkeypatch, setup_cli):
    """Each operation is one transaction: when a late step fails, the early steps are not kept."""
    import pytest

    from app.certificates import service as certificates
    from app.courses import service as courses
    from app.courses.models import Course, CourseProgress, Lesson, LessonCompletion
    from app.plan import service as plan_service
    from app.quizzes import service as quizzes

    app.config["NOW_FUNCTION"] = lambda: NOW
    assert setup_cli("load-content").exit_code == 0
    student = make_user(group=make_group())
    attempt = quizzes.start_attempt(student, quizzes.quiz_by_slug("integrity-hour"), NOW)

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(plan_service, "record_participation", broken)
    with pytest.raises(RuntimeError):
        quizzes.submit(attempt, NOW)
    db.session.rollback()
    assert db.session.get(QuizAttempt, attempt.id).status == "open"
    assert count(AttemptAnswer, AttemptAnswer.points.is_not(None)) == 0 and count(XpEvent) == 0

    monkeypatch.undo()
    monkeypatch.setattr(certificates, "issue", broken)
    course = db.session.execute(select(Course).where(Course.slug == "academic-honesty")).scalar_one()
    course.final_quiz = ""
    db.session.commit()
    lessons = db.session.execute(select(Lesson).where(Lesson.course_id == course.id).order_by(Lesson.position)).scalars().all()
    for lesson in lessons[:-1]:
        courses.complete_lesson(student, lesson, via="button", now=NOW)
    with pytest.raises(RuntimeError):
        courses.complete_lesson(student, lessons[-1], via="button", now=NOW)
    db.session.rollback()
    assert count(LessonCompletion) == len(lessons) - 1
    assert count(CourseProgress, CourseProgress.completed_at.is_not(None)) == 0
    assert count(Participation, Participation.source == "course") == 0
