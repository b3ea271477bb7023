"""The course for staff: who a course is for, completion counting for 3.1, and the staff home page."""
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.authoring.files import course_files, quiz_files
from app.core.clock import utcnow
from app.core.content import ContentError
from app.coverage import events as coverage_events
from app.coverage import service as coverage
from app.courses import service
from app.courses.loader import read_course
from app.courses.models import Course, Lesson
from app.extensions import db
from app.home import overview
from app.people.models import StaffUnit, User
from app.plan import service as plan_service
from app.plan.models import Participation
from app.quizzes.loader import read_quiz
from app.quizzes.service import quiz_by_slug

ROOT = Path(__file__).resolve().parent.parent
STAFF_COURSE = "anti-corruption-for-university-staff"

LESSON = """+++
title = "Lesson {n}"

[[check]]
question = "Declare a conflict of interest?"
options = ["No", "Yes, in writing"]
answer = 1
explanation = "Declaring it in advance is the fix."
+++

Text of lesson {n}.
"""


def write_course(root: Path, slug: str, *, audience: str | None, activity: str = "3.1", lessons: int = 2) -> Path:
    folder = root / "courses" / slug
    folder.mkdir(parents=True, exist_ok=True)
    line = f'audience = "{audience}"\n' if audience is not None else ""
    (folder / "course.toml").write_text(
        f'title = "Course {slug}"\nactivity = "{activity}"\n{line}order = 1\nxp_per_lesson = 5\n', encoding="utf-8")
    for n in range(1, lessons + 1):
        (folder / f"{n:02d}-lesson-{n}.md").write_text(LESSON.format(n=n), encoding="utf-8")
    return folder


STAFF_QUIZ = """title = "Staff check"
audience = "staff"

[[questions]]
key = "declare"
type = "true_false"
text = "A declared conflict of interest is an offence."
answer = false
"""


def runner_load(app):
    return app.test_cli_runner().invoke(args=["load-content"])


@pytest.fixture
def content(app, tmp_path, runner):
    """The real plan, a course for staff (3.1), one for students (2.1) and one with no audience; loaded."""
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "ktu-2024-2025.toml").write_bytes((ROOT / "plans" / "ktu-2024-2025.toml").read_bytes())
    write_course(tmp_path, "for-staff", audience="staff")
    write_course(tmp_path, "for-students", audience="students", activity="2.1")
    write_course(tmp_path, "for-all", audience=None, activity="")
    app.config["CONTENT_FOLDER"] = str(tmp_path)
    result = runner.invoke(args=["load-content"])
    assert result.exit_code == 0, result.output
    return tmp_path


def course(slug: str) -> Course:
    return db.session.execute(select(Course).where(Course.slug == slug)).scalar_one()


def lessons_of(slug: str) -> list[Lesson]:
    return service.active_lessons(course(slug).id)


# --- the shipped course ---------------------------------------------------------------------------

def test_the_shipped_staff_course_is_for_staff_counts_for_3_1_and_is_in_three_languages():
    spec = read_course(ROOT / "courses" / STAFF_COURSE)
    assert (spec.audience, spec.activity_code, spec.final_quiz) == ("staff", "3.1", "staff-course-final")
    assert 5 <= len(spec.lessons) <= 6
    assert set(spec.translations) == {"kk", "ru"}
    for lesson in spec.lessons:
        assert set(lesson.translations) == {"kk", "ru"}, lesson.slug
        assert lesson.checks and all(check["explanation"] for check in lesson.checks), lesson.slug
        for text in lesson.translations.values():
            assert all(check["explanation"] for check in text["checks"]), lesson.slug


def test_the_staff_final_quiz_mixes_question_types_and_is_translated():
    quiz = read_quiz(ROOT / "quizzes" / "staff-course-final.toml")
    assert quiz["audience"] == "staff"
    assert len({question["type"] for question in quiz["questions"]}) >= 4
    assert set(quiz["translations"]) == {"kk", "ru"}
    for question in quiz["questions"]:
        assert question["explanation"], question["key"]
        assert set(question.get("translations", {})) == {"kk", "ru"}, question["key"]


# --- audience: validated by the loader, respected by lists and pages -------------------------------

def test_the_loader_refuses_an_unknown_audience(tmp_path):
    folder = write_course(tmp_path, "odd", audience="teachers")
    with pytest.raises(ContentError) as error:
        read_course(folder)
    assert error.value.key == "audience" and "staff, students, everyone" in str(error.value)


def test_a_course_without_an_audience_is_for_everyone(tmp_path):
    assert read_course(write_course(tmp_path, "plain", audience=None)).audience == "everyone"


def test_the_catalogue_lists_each_person_the_courses_meant_for_them(app, content, make_user):
    student, employee = make_user(), make_user(roles=("staff",))
    curator, admin = make_user(roles=("curator", "staff")), make_user(roles=("admin",))

    def listed(person):
        return {entry.course.slug for entry in service.catalogue(person)}
    assert listed(student) == {"for-students", "for-all"}
    assert listed(employee) == {"for-staff", "for-all"}
    assert listed(curator) == {"for-staff", "for-students", "for-all"}   # a curator follows the students' courses
    assert listed(admin) == {"for-staff", "for-students", "for-all"}


def test_a_student_cannot_open_or_answer_the_staff_course(app, content, client, make_user, auth):
    make_user("s@uni.test")
    auth.login("s@uni.test")
    page = client.get("/courses/").get_data(as_text=True)
    assert "Course for-students" in page and "Course for-staff" not in page
    assert client.get("/courses/for-staff/").status_code == 403
    assert client.get("/courses/for-staff/lesson-1").status_code == 403
    assert client.post("/courses/for-staff/lesson-1/check", data={"q0": "1"}).status_code == 403
    assert db.session.scalar(select(db.func.count()).select_from(Participation)) == 0


def test_an_employee_sees_and_opens_the_staff_course(app, content, client, make_user, auth):
    make_user("e@uni.test", roles=("staff",))
    auth.login("e@uni.test")
    page = client.get("/courses/").get_data(as_text=True)
    assert "Course for-staff" in page and "Course for-students" not in page
    assert client.get("/courses/for-staff/lesson-1").status_code == 200
    assert client.get("/courses/for-students/").status_code == 403


def test_a_quiz_for_staff_is_listed_and_opened_only_by_staff(app, content, client, make_user, auth):
    (content / "quizzes").mkdir(exist_ok=True)
    (content / "quizzes" / "staff-check.toml").write_text(STAFF_QUIZ, encoding="utf-8")
    assert runner_load(app).exit_code == 0
    make_user("s@uni.test")
    make_user("e@uni.test", roles=("staff",))
    auth.login("s@uni.test")
    assert "Staff check" not in client.get("/quizzes/").get_data(as_text=True)
    assert client.get("/quizzes/staff-check/").status_code == 403
    assert client.post("/quizzes/staff-check/start").status_code == 403
    auth.logout()
    auth.login("e@uni.test")
    assert "Staff check" in client.get("/quizzes/").get_data(as_text=True)
    assert client.get("/quizzes/staff-check/").status_code == 200
    exported = quiz_files(quiz_by_slug("staff-check"))["quizzes/staff-check.toml"]   # the export keeps it
    assert 'audience = "staff"' in exported


def test_the_loader_refuses_a_quiz_with_an_unknown_audience(tmp_path):
    path = tmp_path / "odd.toml"
    path.write_text(STAFF_QUIZ.replace('audience = "staff"', 'audience = "teachers"'), encoding="utf-8")
    with pytest.raises(ContentError) as error:
        read_quiz(path)
    assert error.value.key == "audience"


def test_a_groups_progress_leaves_out_the_courses_for_staff(app, content, make_group, make_user):
    group = make_group()
    make_user(group=group)
    courses, _totals, _rows = service.group_progress(group.id)
    assert {c.slug for c in courses} == {"for-students", "for-all"}


def test_the_export_keeps_the_audience_so_that_files_and_database_round_trip(app, content):
    staff, everyone = course("for-staff"), course("for-all")
    assert 'audience = "staff"' in course_files(staff, lessons_of("for-staff"))["courses/for-staff/course.toml"]
    assert "audience" not in course_files(everyone, lessons_of("for-all"))["courses/for-all/course.toml"]


# --- completion counts for 3.1 --------------------------------------------------------------------

def test_an_employee_finishing_the_staff_course_grows_the_coverage_of_3_1(app, content, make_user):
    unit = StaffUnit(name="Department of Automation")
    db.session.add(unit)
    db.session.commit()
    employee = make_user(roles=("staff",))
    employee.staff_unit_id = unit.id
    db.session.commit()
    plan = plan_service.current_plan(datetime(2024, 11, 1).date())
    culture = plan_service.activity_by_code(plan, "3.1")

    def participants(scope="university"):
        data = coverage.coverage(plan, datetime(2024, 11, 5).date())   # within the quarter of the completion
        if scope == "university":
            return data.university.figures[culture.id].participants
        return next(r for r in data.units if r.key == ("unit", unit.id)).figures[culture.id].participants

    assert participants() == 0 and participants("unit") == 0
    first, second = lessons_of("for-staff")
    service.complete_lesson(employee, first, via="check", now=datetime(2024, 11, 1))
    assert participants() == 0          # half a course counts for nothing
    result = service.complete_lesson(employee, second, via="check", now=datetime(2024, 11, 2))
    assert result.course_completed
    assert participants() == 1 and participants("unit") == 1
    row = db.session.execute(select(Participation)).scalar_one()
    assert (row.user_id, row.activity_id, row.source, row.source_ref) == (
        employee.id, culture.id, "course", f"course:{course('for-staff').id}")


def right_response(question: dict):
    """What a person who knows every answer sends for this question (as the quiz stores it)."""
    if question["type"] == "matching":
        return {str(i): i for i in range(len(question["pairs"]))}
    if question["type"] == "ordering":
        return {str(i): i + 1 for i in range(len(question["items"]))}
    return question["answer"]


def test_the_shipped_course_completed_through_its_pages_and_final_quiz_counts_for_3_1(app, runner, client, make_user,
                                                                                        auth):
    from app.quizzes import service as quizzes

    assert runner.invoke(args=["load-content"]).exit_code == 0
    unit = StaffUnit(name="Department of Automation")
    db.session.add(unit)
    db.session.commit()
    employee = make_user("e@uni.test", roles=("staff",))
    employee.staff_unit_id = unit.id     # the employees' coverage counts people of the staff units
    db.session.commit()
    auth.login("e@uni.test")
    for lesson in lessons_of(STAFF_COURSE):
        answers = {f"q{i}": str(check["answer"]) for i, check in enumerate(lesson.current.checks)}
        assert client.post(f"/courses/{STAFF_COURSE}/{lesson.slug}/check", data=answers).status_code == 302
    plan = plan_service.current_plan(datetime(2024, 11, 1).date())
    culture = plan_service.activity_by_code(plan, "3.1")
    assert db.session.scalar(select(db.func.count()).select_from(Participation)) == 0   # the quiz is still owed
    start = datetime(2024, 11, 1, 9, 0)
    attempt = quizzes.start_attempt(employee, quizzes.quiz_by_slug("staff-course-final"), start)
    quizzes.save_answers(attempt, {entry["key"]: right_response(attempt.version.question(entry["key"]))
                                   for entry in attempt.layout}, start + timedelta(minutes=5))
    quizzes.submit(attempt, start + timedelta(minutes=6))
    row = db.session.execute(select(Participation)).scalar_one()
    assert (row.user_id, row.activity_id, row.source) == (employee.id, culture.id, "course")
    figures = coverage.coverage(plan, datetime(2024, 11, 5).date()).university.figures
    assert figures[culture.id].participants == 1
    assert "Completed on" in client.get("/staff/").get_data(as_text=True)


# --- the staff home page and the menu -------------------------------------------------------------

def test_the_staff_panel_shows_the_staff_course_with_progress_and_what_it_counts_for(app, content, make_user):
    employee = make_user(roles=("staff",))
    first, _second = lessons_of("for-staff")
    service.complete_lesson(employee, first, via="check", now=utcnow())
    panel = overview.staff_panel(employee, utcnow())
    assert [(e.course.slug, e.done, e.total) for e in panel.courses] == [("for-staff", 1, 2)]


def test_the_staff_home_page_shows_course_progress_events_and_the_units_figures(app, demo_staff, client, auth):
    auth.login("jury3@sanaly.test", password="demo-password")
    page = client.get("/staff/").get_data(as_text=True)
    assert "For employees" in page and "Anti-corruption basics for university staff" in page
    assert "0 of 5 lessons" in page
    assert "Counts for 3.1" in page
    assert "Seminar on gifts" in page and 'href="/check-in"' in page
    assert "Your unit: Anti-corruption Compliance Service" in page
    menu = client.get("/").get_data(as_text=True)
    assert '<a href="/check-in"' in menu and 'href="/staff/"' in menu


def test_a_reporter_sees_what_their_units_owe_on_the_staff_page(app, demo_staff, client, auth):
    auth.login("jury2@sanaly.test", password="demo-password")          # reports for the Chief of staff and ALD
    page = client.get("/staff/").get_data(as_text=True)
    assert "Due from the units you report for" in page
    assert '<span class="code">4.1</span>' in page and '<span class="code">4.2</span>' in page
    client.post("/logout")
    auth.login("curator@sanaly.test", password="demo-password")        # staff, but reports for no unit
    assert "Due from the units you report for" not in client.get("/staff/").get_data(as_text=True)


def test_only_staff_open_the_staff_home_page(app, demo_staff, client, auth):
    auth.login("student1@sanaly.test", password="demo-password")
    assert client.get("/staff/").status_code == 403
    assert 'href="/staff/"' not in client.get("/").get_data(as_text=True)


@pytest.fixture
def demo_staff(app, setup_cli):
    """The demo instance with an event for employees two days ahead."""
    result = setup_cli("demo")
    assert result.exit_code == 0, result.output
    now = utcnow()
    plan = plan_service.current_plan(now.date())
    admin = db.session.execute(select(User).where(User.email == "admin@sanaly.test")).scalar_one()
    coverage_events.create_event(plan_service.activity_by_code(plan, "3.1"), "Seminar on gifts", "Hall 2",
                                 now + timedelta(days=2), now + timedelta(days=2, hours=2), admin)
    db.session.commit()
