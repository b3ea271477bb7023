"""New courses and new quizzes in the browser: published through the loaders' checks with their first lesson or
question (never empty), messages at the field, drafts, history and audit, ACS admins only, and a round trip
through export that gives back the same content."""
from datetime import datetime

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.authoring import files as content_files
from app.authoring import new_items as creating
from app.authoring.models import BROWSER
from app.authoring.service import current_revision
from app.core.clock import utcnow
from app.courses.models import Course, Lesson
from app.extensions import db
from app.loading import load_content
from app.quizzes.models import Quiz
from tests.conftest import _empty_tables
from test_authoring_files import content_snapshot

NEW_COURSE = {
    "slug": "integrity-for-tutors", "title": "Integrity for tutors", "title-kk": "Тьюторларға арналған адалдық",
    "summary": "Two things every tutor should know.", "audience": "staff", "activity": "3.1", "order": "7",
    "xp_per_lesson": "5", "final_quiz": "",
    "lesson-slug": "gifts-from-students", "lesson-title": "Gifts from students",
    "lesson-title-kk": "Студенттерден сыйлықтар", "lesson-summary": "When a thank-you becomes a bribe.",
    "lesson-markdown": "## The rule\n\nA tutor takes no gift from a student whose work they grade.",
    "lesson-markdown-kk": "## Ереже\n\nТьютор өзі бағалайтын студенттен сыйлық алмайды.",
    "lesson-check-0-question": "May a tutor take flowers before the grade is set?",
    "lesson-check-0-options": "Yes\nNo", "lesson-check-0-answer": "2",
    "lesson-check-0-question-kk": "Тьютор баға қойылғанға дейін гүл ала ала ма?",
    "lesson-check-0-options-kk": "Иә\nЖоқ",
}
NEW_QUIZ = {
    **creating.new_quiz_fields(),
    "slug": "tutor-integrity-check", "title": "Tutor integrity check", "title-ru": "Проверка для тьюторов",
    "description": "Five minutes on gifts.", "audience": "students", "activity": "2.2", "pass_percent": "70",
    "attempts": "2", "time_limit_minutes": "10", "opens": "2025-01-10T09:00", "closes": "2025-06-30T18:00",
    "feedback": "after_close",
    "key": "flowers", "type": "single", "text": "May a tutor take flowers before the grade is set?",
    "text-ru": "Может ли тьютор принять цветы до выставления оценки?",
    "options": "Yes\nNo", "options-ru": "Да\nНет", "answer": "2", "category": "gifts",
    "explanation": "Any gift before the grade can buy the grade.",
}


@pytest.fixture
def officer(app, make_user, auth, setup_cli):
    assert setup_cli("load-content").exit_code == 0
    person = make_user(roles=("admin", "staff"))
    auth.login(person.email)
    return person


def _course(slug=NEW_COURSE["slug"]) -> Course | None:
    return db.session.execute(select(Course).where(Course.slug == slug)).scalar()


def _quiz(slug=NEW_QUIZ["slug"]) -> Quiz | None:
    return db.session.execute(select(Quiz).where(Quiz.slug == slug)).scalar()


def _published(subject: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "content.published", AuditEvent.subject == subject))


# Services ---------------------------------------------------------------------------------------------

def test_a_course_and_a_quiz_created_in_the_browser_load_back_identical_through_export(officer, tmp_path):
    course = creating.create_course(NEW_COURSE, author=officer, now=utcnow())
    quiz = creating.create_quiz(NEW_QUIZ, author=officer, now=utcnow())
    assert course.problems == {} and quiz.problems == {}
    db.session.commit()
    db.session.expire_all()
    before = content_snapshot()
    assert before[f"course {NEW_COURSE['slug']}"]["audience"] == "staff"
    assert before[f"quiz {NEW_QUIZ['slug']}"]["pass_percent"] == 70

    content_files.write_files(tmp_path, content_files.all_files())
    assert (tmp_path / "courses/integrity-for-tutors/01-gifts-from-students.kk.md").is_file()
    assert (tmp_path / "quizzes/tutor-integrity-check.ru.toml").is_file()
    _empty_tables()
    lines, problems = load_content(root=tmp_path)
    assert problems == []
    db.session.expire_all()
    after = content_snapshot()
    assert after.keys() == before.keys()
    for key in before:
        assert after[key] == before[key], key


def test_a_new_course_is_stored_as_the_course_loader_reads_it(officer):
    outcome = creating.create_course(NEW_COURSE, author=officer, now=utcnow())
    assert outcome.problems == {}
    course = _course()
    assert (course.title, course.audience, course.activity_code, course.position, course.xp_per_lesson) == (
        "Integrity for tutors", "staff", "3.1", 7, 5)
    assert course.translations == {"kk": {"title": "Тьюторларға арналған адалдық", "summary": ""}}
    lesson = db.session.execute(select(Lesson).where(Lesson.course_id == course.id)).scalar_one()
    assert lesson.slug == "gifts-from-students" and lesson.current.checks[0]["answer"] == 1
    assert lesson.current.translations["kk"]["checks"][0]["options"] == ["Иә", "Жоқ"]
    revision = current_revision("course", course.slug)
    assert (revision.number, revision.origin, revision.author_id) == (1, BROWSER, officer.id)
    assert "+title = \"Integrity for tutors\"" in revision.diff
    assert _published(f"course:{course.slug}") == 1


def test_a_new_quiz_is_stored_as_the_quiz_loader_reads_it(officer):
    outcome = creating.create_quiz(NEW_QUIZ, author=officer, now=utcnow())
    assert outcome.problems == {}
    quiz = _quiz()                  # 09:00 typed is the university's time: 04:00 UTC in Almaty (UTC+5)
    assert (quiz.audience, quiz.activity_code, quiz.attempts_allowed, quiz.time_limit_minutes, quiz.feedback) == (
        "students", "2.2", 2, 10, "after_close")
    assert quiz.opens_at.isoformat() == "2025-01-10T04:00:00" and quiz.translations["ru"]["title"] == "Проверка для тьюторов"
    question = quiz.current.questions[0]
    assert (question["key"], question["answer"], question["category"]) == ("flowers", 1, "gifts")
    assert question["translations"]["ru"]["options"] == ["Да", "Нет"]
    assert current_revision("quiz", quiz.slug).origin == BROWSER and _published(f"quiz:{quiz.slug}") == 1


@pytest.mark.parametrize("slug, words", [
    ("Integrity For Tutors", "lower-case words"), ("tutors_", "lower-case words"), ("", "lower-case words"),
    ("academic-honesty", "Another course already has this name"),
])
def test_a_new_course_needs_a_free_well_formed_slug(officer, slug, words):
    outcome = creating.create_course({**NEW_COURSE, "slug": slug}, author=officer, now=utcnow())
    assert list(outcome.problems) == ["slug"] and words in str(outcome.problems["slug"])
    assert _course("integrity-for-tutors") is None


def test_a_retired_courses_name_is_not_taken_again(officer):
    db.session.execute(select(Course).where(Course.slug == "academic-honesty")).scalar_one().retired = True
    outcome = creating.create_course({**NEW_COURSE, "slug": "academic-honesty"}, author=officer, now=utcnow())
    assert "retired course" in str(outcome.problems["slug"])


@pytest.mark.parametrize("slug, words", [
    ("Tutor check", "lower-case words"), ("integrity-hour", "Another quiz already has this name"),
    ("clean-session-survey", "share the quizzes folder"), ("brain-ring-anticorruption", "share the quizzes folder"),
])
def test_a_new_quiz_needs_a_free_well_formed_slug_in_the_shared_folder(officer, slug, words):
    outcome = creating.create_quiz({**NEW_QUIZ, "slug": slug}, author=officer, now=utcnow())
    assert list(outcome.problems) == ["slug"] and words in str(outcome.problems["slug"])


def test_a_course_without_a_lesson_or_a_quiz_without_a_question_is_not_published(officer):
    lesson_free = {key: value for key, value in NEW_COURSE.items() if not key.startswith("lesson-")}
    outcome = creating.create_course(lesson_free, author=officer, now=utcnow())
    assert "first lesson" in str(outcome.problems["lesson-markdown"]) and _course() is None
    question_free = {key: value for key, value in NEW_QUIZ.items()
                     if key not in ("key", "text", "text-ru", "options", "options-ru", "answer", "category", "explanation")}
    outcome = creating.create_quiz(question_free, author=officer, now=utcnow())
    assert "first question" in str(outcome.problems["text"]) and _quiz() is None


@pytest.mark.parametrize("change, field, words", [
    ({"title": ""}, "title", "must not be empty"),
    ({"order": "first"}, "order", "whole number"),
    ({"xp_per_lesson": "-5"}, "xp_per_lesson", "at least 0"),
    ({"audience": "parents"}, "audience", "Choose who"),
    ({"title-kk": "", "summary-kk": "Тек сипаттама"}, "title-kk", "must not be empty"),
    ({"lesson-slug": "Gifts!"}, "lesson-slug", "lower-case words"),
    ({"lesson-check-0-answer": "3"}, "lesson-check-0-answer", "number of the right option"),
    ({"lesson-check-0-options-kk": "Иә\nЖоқ\nБілмеймін"}, "lesson-check-0-options-kk", "original's options"),
])
def test_bad_course_input_comes_back_at_its_field(officer, change, field, words):
    outcome = creating.create_course({**NEW_COURSE, **change}, author=officer, now=utcnow())
    assert field in outcome.problems and words in str(outcome.problems[field]), outcome.problems
    assert _course() is None


@pytest.mark.parametrize("change, field, words", [
    ({"pass_percent": "120"}, "pass_percent", "from 0 to 100"),
    ({"closes": "2025-01-01T09:00"}, "closes", "must be after opens"),
    ({"attempts": "two"}, "attempts", "whole number"),
    ({"grading": "best"}, "grading", "must be one of"),
    ({"title-ru": ""}, "title-ru", "must not be empty"),
    ({"answer": "5"}, "answer", "zero-based index"),
    ({"options-ru": "Да\nНет\nНе знаю"}, "options-ru", "original's 2 entries"),
    ({"key": "Flowers!"}, "key", "lower-case words"),
])
def test_bad_quiz_input_comes_back_at_its_field(officer, change, field, words):
    outcome = creating.create_quiz({**NEW_QUIZ, **change}, author=officer, now=utcnow())
    assert field in outcome.problems and words in str(outcome.problems[field]), outcome.problems
    assert _quiz() is None


# Pages ------------------------------------------------------------------------------------------------

def test_an_officer_publishes_a_new_course_that_the_people_it_is_for_then_read(officer, client, auth, make_user):
    assert 'href="/authoring/courses/new"' in client.get("/authoring/").get_data(as_text=True)
    page = client.get("/authoring/courses/new").get_data(as_text=True)
    assert "A course without lessons is not shown to students" in page
    response = client.post("/authoring/courses/new", data={**NEW_COURSE, "action": "publish"})
    assert response.status_code == 302 and response.location.endswith("/authoring/courses/integrity-for-tutors/")
    page = client.get(response.location).get_data(as_text=True)
    assert "Gifts from students" in page and "Write a new lesson" in page

    auth.logout()
    auth.login(make_user(roles=("staff",)).email)
    assert "Integrity for tutors" in client.get("/courses/").get_data(as_text=True)
    lesson = client.get("/courses/integrity-for-tutors/gifts-from-students").get_data(as_text=True)
    assert "A tutor takes no gift" in lesson and "May a tutor take flowers" in lesson
    auth.logout()
    auth.login(make_user(roles=("student",)).email)
    assert "Integrity for tutors" not in client.get("/courses/").get_data(as_text=True), "a staff course"


def test_an_officer_publishes_a_new_quiz_that_students_then_see(officer, client, auth, make_user):
    assert 'href="/authoring/quizzes/new"' in client.get("/authoring/").get_data(as_text=True)
    response = client.post("/authoring/quizzes/new", data={**NEW_QUIZ, "opens": "", "closes": "", "action": "publish"})
    assert response.status_code == 302 and response.location.endswith("/authoring/quizzes/tutor-integrity-check/settings")
    assert "May a tutor take flowers" in client.get(response.location).get_data(as_text=True)
    auth.logout()
    auth.login(make_user(roles=("student",)).email)
    assert "Tutor integrity check" in client.get("/quizzes/").get_data(as_text=True)
    assert client.get("/quizzes/tutor-integrity-check/").status_code == 200


def test_a_new_quizs_window_is_typed_in_the_university_time(officer, client, auth, make_user):
    form = client.get("/authoring/quizzes/new").get_data(as_text=True)
    assert "Opens (Almaty time)" in form and "Closes (Almaty time)" in form and "(UTC)" not in form
    response = client.post("/authoring/quizzes/new", data={**NEW_QUIZ, "opens": "2025-01-10T10:00",
                                                          "closes": "2099-06-30T10:00", "action": "publish"})
    assert response.status_code == 302
    quiz = _quiz()
    assert (quiz.opens_at, quiz.closes_at) == (datetime(2025, 1, 10, 5, 0), datetime(2099, 6, 30, 5, 0))   # Almaty: UTC+5
    settings = client.get(response.location).get_data(as_text=True)
    assert 'value="2025-01-10T10:00"' in settings and 'value="2099-06-30T10:00"' in settings
    auth.logout()
    auth.login(make_user(roles=("student",)).email)
    assert "2099-06-30 10:00 (UTC+5)" in client.get("/quizzes/tutor-integrity-check/").get_data(as_text=True)


def test_bad_input_is_refused_at_its_field_and_nothing_typed_is_lost(officer, client):
    page = client.post("/authoring/quizzes/new", data={**NEW_QUIZ, "pass_percent": "120", "action": "publish"})
    html = page.get_data(as_text=True)
    assert 'id="pass_percent-error"' in html and "from 0 to 100" in html and 'value="120"' in html
    assert "Может ли тьютор принять цветы" in html and 'value="tutor-integrity-check"' in html
    page = client.post("/authoring/courses/new", data={**NEW_COURSE, "lesson-check-0-answer": "3", "action": "publish"})
    html = page.get_data(as_text=True)
    assert 'id="lesson-check-0-answer-error"' in html and "A tutor takes no gift" in html
    assert _course() is None and _quiz() is None


def test_a_new_items_draft_keeps_invalid_input_for_its_writer_alone(officer, client, auth, make_user):
    client.post("/authoring/quizzes/new", data={**NEW_QUIZ, "pass_percent": "lots", "action": "draft"})
    client.post("/authoring/courses/new", data={**NEW_COURSE, "order": "soon", "action": "draft"})
    assert _quiz() is None and _course() is None
    assert 'value="lots"' in client.get("/authoring/quizzes/new").get_data(as_text=True)
    assert 'value="soon"' in client.get("/authoring/courses/new").get_data(as_text=True)

    auth.logout()
    auth.login(make_user(roles=("admin",)).email)
    assert 'value="lots"' not in client.get("/authoring/quizzes/new").get_data(as_text=True)
    auth.logout()
    auth.login(officer.email)
    client.post("/authoring/quizzes/new", data={**NEW_QUIZ, "action": "publish"})
    assert _quiz() is not None
    assert 'value="lots"' not in client.get("/authoring/quizzes/new").get_data(as_text=True), "published: draft gone"
    client.post("/authoring/courses/new", data={**NEW_COURSE, "action": "discard", "confirmed": "yes"})
    assert 'value="soon"' not in client.get("/authoring/courses/new").get_data(as_text=True)


def test_the_previews_show_the_lesson_and_the_question_as_students_see_them(officer, client):
    html = client.post("/authoring/courses/new", data={**NEW_COURSE, "action": "preview-kk"}).get_data(as_text=True)
    assert '<article class="lesson" lang="kk">' in html and "Тьютор өзі бағалайтын" in html
    assert "Өзіңізді тексеріңіз" in html, "the page's own words are in the preview's language too"
    html = client.post("/authoring/quizzes/new", data={**NEW_QUIZ, "action": "preview"}).get_data(as_text=True)
    assert 'lang="ru" inert' in html and "Может ли тьютор принять цветы" in html
    assert _course() is None and _quiz() is None, "a preview stores nothing"


@pytest.mark.parametrize("roles", [("editor",), ("student",), ("staff", "curator")])
def test_only_acs_admins_create_courses_and_quizzes(app, client, auth, make_user, setup_cli, roles):
    assert setup_cli("load-content").exit_code == 0
    auth.login(make_user(roles=roles).email)
    for address in ("/authoring/courses/new", "/authoring/quizzes/new"):
        assert client.get(address).status_code == 403, address
    assert client.post("/authoring/courses/new", data={**NEW_COURSE, "action": "publish"}).status_code == 403
    assert client.post("/authoring/quizzes/new", data={**NEW_QUIZ, "action": "publish"}).status_code == 403
    assert _course() is None and _quiz() is None
    if "editor" in roles:
        index = client.get("/authoring/").get_data(as_text=True)
        assert "/authoring/courses/new" not in index and "/authoring/quizzes/new" not in index


# --- an existing course's own settings ---------------------------------------------------------------------

SETTINGS = "/authoring/courses/integrity-for-tutors/settings"


def _published_course(client):
    assert client.post("/authoring/courses/new", data={**NEW_COURSE, "action": "publish"}).status_code == 302
    return _course()


def test_a_courses_settings_are_edited_in_three_languages_and_published_through_the_loader(officer, client, tmp_path):
    course = _published_course(client)
    lessons_before = [(lesson.slug, lesson.current_version_id) for lesson in course.lessons]
    page = client.get(SETTINGS).get_data(as_text=True)
    assert 'value="Integrity for tutors"' in page and 'value="Тьютор' in page and 'id="title-ru"' in page

    fields = {**creating.course_settings_fields(course), "title": "Integrity for tutors and assistants",
              "title-ru": "Честность для тьюторов", "summary-ru": "Две вещи, которые знает каждый тьютор.",
              "audience": "everyone", "xp_per_lesson": "8"}
    response = client.post(SETTINGS, data={**fields, "action": "publish"})
    assert response.status_code == 302 and response.location.endswith("/authoring/courses/integrity-for-tutors/")
    db.session.expire_all()
    course = _course()
    assert course.title == "Integrity for tutors and assistants" and course.audience == "everyone"
    assert course.xp_per_lesson == 8 and course.translations["ru"]["title"] == "Честность для тьюторов"
    assert course.translations["kk"]["title"] == "Тьюторларға арналған адалдық"
    assert [(lesson.slug, lesson.current_version_id) for lesson in course.lessons] == lessons_before, \
        "the lessons stay as they were"
    revision = current_revision("course", course.slug)
    assert revision.number == 2 and revision.origin == BROWSER and revision.author_id == officer.id
    assert "Integrity for tutors and assistants" in revision.diff
    assert db.session.execute(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "content.published", AuditEvent.subject == "course:integrity-for-tutors")).scalar() == 2

    # What the browser published is what the files give back.
    db.session.expire_all()
    before = content_snapshot()
    content_files.write_files(tmp_path, content_files.all_files())
    _empty_tables()
    assert load_content(root=tmp_path)[1] == []
    db.session.expire_all()
    assert content_snapshot() == before


def test_bad_course_settings_come_back_at_their_field_and_change_nothing(officer, client):
    _published_course(client)
    fields = {**creating.course_settings_fields(_course()), "title": "", "order": "first",
              "summary": "A summary kept as typed"}
    html = client.post(SETTINGS, data={**fields, "action": "publish"}).get_data(as_text=True)
    assert 'id="order-error"' in html and "Write a whole number." in html
    assert 'value="first"' in html and "A summary kept as typed" in html
    fields["order"] = "3"
    html = client.post(SETTINGS, data={**fields, "action": "publish"}).get_data(as_text=True)
    assert 'id="title-error"' in html and "A summary kept as typed" in html
    db.session.expire_all()
    assert _course().title == "Integrity for tutors" and current_revision("course", "integrity-for-tutors").number == 1


def test_course_settings_are_kept_as_a_draft_until_published_or_discarded(officer, client):
    _published_course(client)
    fields = {**creating.course_settings_fields(_course()), "title": "A better title", "order": "soon"}
    assert client.post(SETTINGS, data={**fields, "action": "draft"}).status_code == 200
    db.session.expire_all()
    assert _course().title == "Integrity for tutors", "students see the published course"
    page = client.get(SETTINGS).get_data(as_text=True)
    assert 'value="A better title"' in page and 'value="soon"' in page and "You are editing a draft" in page
    client.post(SETTINGS, data={**fields, "action": "discard", "confirmed": "yes"})
    assert 'value="A better title"' not in client.get(SETTINGS).get_data(as_text=True)


def test_an_editor_edits_the_settings_of_a_course_given_to_them_only(officer, client, auth, make_user):
    _published_course(client)
    editor = make_user("teacher@uni.test", roles=("editor", "staff"))
    auth.logout()
    auth.login(editor.email)
    assert client.get(SETTINGS).status_code == 403
    assert client.post(SETTINGS, data={"title": "Mine now", "action": "publish"}).status_code == 403
    auth.logout()
    auth.login(officer.email)
    assert client.post("/authoring/courses/integrity-for-tutors/editors",
                       data={"email": "teacher@uni.test"}).status_code in (200, 302)
    auth.logout()
    auth.login(editor.email)
    fields = {**creating.course_settings_fields(_course()), "title": "Integrity for tutors, revised"}
    assert client.post(SETTINGS, data={**fields, "action": "publish"}).status_code == 302
    db.session.expire_all()
    assert _course().title == "Integrity for tutors, revised"


def test_a_question_preview_speaks_the_language_of_its_column(officer, client):
    fields = {**NEW_QUIZ, "type": "multiple", "options": "Flowers\nA pen\nNothing", "options-ru": "Цветы\nРучку\nНичего",
              "answer": "3", "action": "preview"}
    html = client.post("/authoring/quizzes/new", data=fields).get_data(as_text=True)
    english, russian = html.split('lang="ru" inert', 1)
    assert "Tick every answer that applies." in english.rsplit('lang="en" inert', 1)[1]
    assert "Отметьте все подходящие ответы." in russian and "Tick every answer" not in russian
