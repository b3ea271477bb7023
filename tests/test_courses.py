"""Courses: loading from files, versions, reading, checks, completion, certificates and who sees what."""
import io
import re
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.certificates.models import Certificate
from app.courses import service
from app.courses.models import Course, Lesson, LessonCompletion, LessonVersion
from app.extensions import db
from app.gamification.models import XpEvent
from app.plan.models import Participation
from tests.conftest import run_together

ROOT = Path(__file__).resolve().parent.parent

LESSON = """+++
title = "{title}"
summary = "A lesson."

[[check]]
question = "Which is a bribe?"
options = ["A receipt", "Money for a grade"]
answer = 1
explanation = "Paying for a grade is a bribe."
+++

{body}
"""


def write_course(root: Path, slug="demo-course", lessons=2, activity="2.1", body="Honest work pays.\\n\\n## Part\\n\\nText."):
    folder = root / "courses" / slug
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "course.toml").write_text(
        f'title = "Demo course"\nsummary = "S"\nactivity = "{activity}"\norder = 1\nxp_per_lesson = 10\n', encoding="utf-8")
    for n in range(1, lessons + 1):
        (folder / f"{n:02d}-lesson-{n}.md").write_text(LESSON.format(title=f"Lesson {n}", body=body), encoding="utf-8")
    return folder


@pytest.fixture
def content(app, tmp_path, runner, setup_cli):
    """A content folder with the real plan and one small course; loaded."""
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "ktu-2024-2025.toml").write_bytes((ROOT / "plans" / "ktu-2024-2025.toml").read_bytes())
    folder = write_course(tmp_path)
    app.config["CONTENT_FOLDER"] = str(tmp_path)
    result = setup_cli("load-content")
    assert result.exit_code == 0, result.output
    return folder


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def lessons_of(slug="demo-course"):
    return db.session.execute(select(Lesson).join(Course).where(Course.slug == slug).order_by(Lesson.position)).scalars().all()


def test_the_shipped_courses_load_with_real_lessons(app, runner):
    result = runner.invoke(args=["load-content"])
    assert result.exit_code == 0, result.output
    main = db.session.execute(select(Course).where(Course.slug == "fundamentals-of-anti-corruption-culture")).scalar_one()
    lessons = lessons_of(main.slug)
    assert len(lessons) >= 8 and main.activity_code == "2.1"
    assert all(lesson.current.word_count >= 600 for lesson in lessons)
    assert all(lesson.current.checks for lesson in lessons)
    honesty = lessons_of("academic-honesty")
    assert len(honesty) == 4


def test_loading_twice_changes_nothing(app, content, runner):
    before = count(LessonVersion)
    assert "course demo-course: unchanged" in runner.invoke(args=["load-content"]).output
    assert count(LessonVersion) == before == 2 and count(Lesson) == 2 and count(Course) == 1


def test_an_edited_lesson_gets_a_new_version_and_progress_survives(app, content, runner, make_user):
    student = make_user()
    first = lessons_of()[0]
    service.complete_lesson(student, first, via="check", now=datetime(2024, 10, 1))
    path = content / "01-lesson-1.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Honest work pays.", "Honest work always pays."), encoding="utf-8")
    output = runner.invoke(args=["load-content"]).output
    assert "0 lessons added, 1 changed, 0 retired" in output
    lesson = db.session.get(Lesson, first.id)
    assert lesson.current.number == 2 and "always pays" in lesson.current.html
    assert count(LessonVersion, LessonVersion.lesson_id == first.id) == 2
    assert service.completed_lesson_ids(student.id, lesson.course_id) == {first.id}


def test_a_removed_lesson_is_retired_with_its_progress(app, content, runner, make_user):
    student = make_user()
    second = lessons_of()[1]
    service.complete_lesson(student, second, via="check", now=datetime(2024, 10, 1))
    (content / "02-lesson-2.md").unlink()
    assert "1 retired" in runner.invoke(args=["load-content"]).output
    assert db.session.get(Lesson, second.id).retired
    assert count(LessonCompletion, LessonCompletion.lesson_id == second.id) == 1


@pytest.mark.parametrize("damage, message", [
    (lambda f: (f / "course.toml").write_text('summary = "no title"\n'), "course.toml: title: is missing"),
    (lambda f: (f / "01-lesson-1.md").write_text("no front matter"), "must start with TOML front matter"),
    (lambda f: (f / "3-typo.md").write_text("+++\ntitle='x'\n+++\nText"), "must be named NN-lesson-slug.md"),
    (lambda f: (f / "01-lesson-1.md").write_text('+++\ntitle = "x"\n[[check]]\nquestion = "q"\noptions = ["a", "b"]\nanswer = 5\n+++\nText'), "check[0].answer"),
    (lambda f: (f / "01-again.md").write_text('+++\ntitle = "x"\n+++\nText'), "lesson number 01 is also used"),
])
def test_a_broken_course_is_reported_and_loads_nothing_of_it(app, tmp_path, runner, damage, message):
    (tmp_path / "plans").mkdir()
    good = write_course(tmp_path, "good-course")
    broken = write_course(tmp_path, "broken-course")
    damage(broken)
    del good
    app.config["CONTENT_FOLDER"] = str(tmp_path)
    result = runner.invoke(args=["load-content"])
    assert result.exit_code == 1 and message in result.output and "broken-course" in result.output
    slugs = set(db.session.execute(select(Course.slug)).scalars())
    assert slugs == {"good-course"}


def test_markdown_is_sanitised(app, tmp_path, runner):
    (tmp_path / "plans").mkdir()
    nasty = ('<script>alert("x")</script>\n\n<img src=x onerror="alert(1)">\n\n'
             '[click](javascript:alert(1)) <a href="javascript:alert(2)" onclick="steal()">x</a>\n\n'
             '<iframe src="https://evil.example"></iframe> <p onmouseover="x()">hover</p>\n\n[ok](https://example.org)')
    write_course(tmp_path, body=nasty)
    app.config["CONTENT_FOLDER"] = str(tmp_path)
    runner.invoke(args=["load-content"])
    html = lessons_of()[0].current.html
    for bad in ("<script", "onerror", "javascript:", "onclick", "<iframe", "onmouseover", "alert(1)"):
        assert bad not in html
    assert 'href="https://example.org"' in html


def radio_inputs(page: str) -> list[str]:
    return re.findall(r'<input type="radio"[^>]*>', page)


def test_lesson_page_never_contains_the_answers(app, content, client, make_user, auth):
    make_user("s@uni.test")
    auth.login("s@uni.test")
    page = client.get("/courses/demo-course/lesson-1").get_data(as_text=True)
    assert "Which is a bribe?" in page and "Money for a grade" in page
    assert "Paying for a grade is a bribe." not in page  # the explanation waits for a right answer
    wrong, right = radio_inputs(page)
    assert wrong.replace('value="0"', 'value="1"') == right  # nothing but the value tells them apart


def test_a_wrong_check_answer_lands_at_the_check_with_the_message_and_the_choice_kept(app, content, client, make_user, auth):
    student = make_user("s@uni.test")
    auth.login("s@uni.test")
    response = client.post("/courses/demo-course/lesson-1/check", data={"q0": "0"})
    assert response.status_code == 302 and response.location.endswith("/courses/demo-course/lesson-1#check")
    page = client.get(response.location).get_data(as_text=True)
    assert 'id="check"' in page and "Not quite: 0 of 1 answers are right." in page
    chosen, other = radio_inputs(page)
    assert "checked" in chosen and "checked" not in other
    assert "Paying for a grade is a bribe." not in page
    assert service.completed_lesson_ids(student.id, lessons_of()[0].course_id) == set()
    again = client.get("/courses/demo-course/lesson-1").get_data(as_text=True)    # shown once, then a fresh form
    assert "Not quite" not in again and "checked" not in "".join(radio_inputs(again))


def test_a_right_check_answer_shows_the_explanations_and_the_next_lesson_instead_of_jumping_away(
        app, content, client, make_user, auth):
    make_user("s@uni.test")
    auth.login("s@uni.test")
    response = client.post("/courses/demo-course/lesson-1/check", data={"q0": "1"})
    assert response.location.endswith("/courses/demo-course/lesson-1#check")
    page = client.get(response.location).get_data(as_text=True)
    assert "Every answer is right: the lesson is complete." in page and "Paying for a grade is a bribe." in page
    assert re.search(r'<a class="button" href="/courses/demo-course/lesson-2">Next lesson: Lesson 2', page)
    assert "Check my answers" not in page


def test_reading_a_course_to_the_end(app, content, client, make_user, make_group, auth):
    from app.demo.plan import build_plan

    build_plan(ROOT, datetime.utcnow())             # the pages run today: a plan must cover today for 2.1 to count
    student = make_user("s@uni.test", group=make_group())
    auth.login("s@uni.test")
    catalogue = client.get("/courses/").get_data(as_text=True)
    assert "Demo course" in catalogue and "0 of 2 lessons" in catalogue
    client.get("/courses/demo-course/lesson-2")
    outline = client.get("/courses/demo-course/").get_data(as_text=True)
    assert "Start the course" in outline and "/courses/demo-course/lesson-2" in outline
    client.post("/courses/demo-course/lesson-1/check", data={"q0": "1"}, follow_redirects=True)
    assert "Continue where you left off" in client.get("/courses/demo-course/").get_data(as_text=True)
    response = client.post("/courses/demo-course/lesson-2/check", data={"q0": "1"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "You have completed the course" in page and "See your certificate" in page
    assert "public verification page" in client.get("/courses/demo-course/").get_data(as_text=True)
    certificate = db.session.execute(select(Certificate).where(Certificate.user_id == student.id)).scalar_one()
    assert certificate.title == "Demo course" and certificate.holder_name == student.full_name
    assert count(Participation, Participation.user_id == student.id) == 1
    assert db.session.scalar(select(func.sum(XpEvent.amount)).where(XpEvent.user_id == student.id)) == 10 + 10 + 20


@pytest.fixture
def with_final(content, runner):
    """The demo course again, now with a final quiz (every question type)."""
    from tests.quiz_fixtures import ALL_TYPES

    root = content.parent.parent
    (root / "quizzes").mkdir(exist_ok=True)
    (root / "quizzes" / "every-type.toml").write_text(ALL_TYPES, encoding="utf-8")
    toml = content / "course.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + 'final_quiz = "every-type"\n', encoding="utf-8")
    result = runner.invoke(args=["load-content"])
    assert result.exit_code == 0, result.output


def pass_the_final_quiz(client, student):
    """Start the every-type quiz, send every right answer page by page as the form does, and submit."""
    from app.core.clock import utcnow
    from app.quizzes import service as quizzes
    from tests.quiz_fixtures import RIGHT, form_for

    attempt = quizzes.start_attempt(student, quizzes.quiz_by_slug("every-type"), utcnow())
    form = form_for(attempt, RIGHT)
    for number in range(1, len(quizzes.pages(attempt)) + 1):
        client.post(f"/quizzes/attempts/{attempt.id}/save?page={number}", data={**form, "go": str(number)})
    quizzes.submit(attempt, utcnow())


def test_after_the_last_lesson_the_course_leads_to_the_final_quiz_and_then_to_the_certificate(
        app, with_final, client, make_user, auth):
    student = make_user("s@uni.test")
    auth.login("s@uni.test")
    client.post("/courses/demo-course/lesson-1/check", data={"q0": "1"})
    last = client.post("/courses/demo-course/lesson-2/check", data={"q0": "1"}, follow_redirects=True).get_data(as_text=True)
    assert '<a class="button" href="/quizzes/every-type/">Take the final quiz' in last
    outline = client.get("/courses/demo-course/").get_data(as_text=True)
    assert "2 of 2 lessons completed" in outline and "Every type" in outline and "pass mark 60%" in outline
    assert '<a class="button" href="/quizzes/every-type/">Take the final quiz</a>' in outline
    assert "Issued once every lesson is completed and the final quiz is passed." in outline
    assert "Continue where you left off" not in outline and "Start the course" not in outline
    pass_the_final_quiz(client, student)
    outline = client.get("/courses/demo-course/").get_data(as_text=True)
    assert "Completed on" in outline and "Your grade: 100%" in outline and "public verification page" in outline
    assert "Take the final quiz" not in outline


def test_the_path_names_the_next_step(app, with_final, make_user):
    student = make_user()
    course = db.session.execute(select(Course).where(Course.slug == "demo-course")).scalar_one()
    first, second = lessons_of()

    def path():
        lessons = service.active_lessons(course.id)
        return service.course_path(student.id, course, lessons, service.completed_lesson_ids(student.id, course.id),
                                   service.progress_for(student.id, course.id), datetime(2024, 10, 1))
    assert path().next_step == "lesson" and path().resume.id == first.id and path().final_quiz.grade is None
    service.complete_lesson(student, first, via="check", now=datetime(2024, 10, 1))
    assert path().next_step == "lesson" and path().resume.id == second.id
    service.complete_lesson(student, second, via="check", now=datetime(2024, 10, 1))
    assert path().next_step == "quiz" and path().lessons_done and path().certificate is None


def test_completion_writes_one_participation_however_often_it_is_triggered(app, content, make_user):
    student = make_user()
    first, second = lessons_of()
    service.complete_lesson(student, first, via="check", now=datetime(2024, 10, 1))
    results = [service.complete_lesson(student, second, via="check", now=datetime(2024, 10, 2)) for _ in range(3)]
    assert [r.course_completed for r in results] == [True, False, False]
    assert count(Participation) == 1 and count(Certificate) == 1
    assert count(XpEvent) == 3


def test_simultaneous_completion_writes_one_participation(app, content, make_user):
    student_id = make_user().id
    first, second = (l.id for l in lessons_of())

    def complete(ready, lesson_id):
        from app.people.models import User
        user, lesson = db.session.get(User, student_id), db.session.get(Lesson, lesson_id)
        ready()
        service.complete_lesson(user, lesson, via="check", now=datetime(2024, 10, 2))

    run_together(app, complete, [(lid,) for lid in (first, second) * 3])
    assert count(LessonCompletion) == 2
    assert count(Participation) == 1 and count(Certificate) == 1


def test_employees_do_not_count_toward_a_students_activity(app, content, make_user):
    employee = make_user(roles=("staff",))
    for lesson in lessons_of():
        service.complete_lesson(employee, lesson, via="check", now=datetime(2024, 10, 1))
    assert count(Certificate) == 1 and count(Participation) == 0


@pytest.fixture
def certificate(app, content, make_user):
    student = make_user("owner@uni.test", name="Әлия Қасымқызы")
    for lesson in lessons_of():
        service.complete_lesson(student, lesson, via="check", now=datetime(2024, 10, 1))
    return db.session.execute(select(Certificate)).scalar_one()


def test_certificate_files_are_valid_png_and_pdf(certificate, client, auth):
    auth.login("owner@uni.test")
    png = client.get(f"/certificates/{certificate.code}.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    image = Image.open(io.BytesIO(png.data))
    image.verify()
    assert image.size == (2000, 1414)
    pdf = client.get(f"/certificates/{certificate.code}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-") and b"%%EOF" in pdf.data[-64:]
    assert f'filename="certificate-{certificate.code}.pdf"' in pdf.headers["Content-Disposition"]


def test_another_student_cannot_download_a_certificate(certificate, client, make_user, auth):
    make_user("other@uni.test")
    auth.login("other@uni.test")
    assert client.get(f"/certificates/{certificate.code}.pdf").status_code == 403
    assert client.get(f"/certificates/{certificate.code}.png").status_code == 403
    auth.logout()
    assert client.get(f"/certificates/{certificate.code}.pdf").status_code == 302  # to sign-in


def test_verification_confirms_name_course_and_date_only(certificate, client):
    page = client.get(f"/verify/{certificate.code}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Әлия Қасымқызы" in text and "Demo course" in text and "2024-10-01" in text
    assert "owner@uni.test" not in text
    typed = client.get(f"/verify/?code={certificate.code.lower().replace('-', ' ')}")
    assert typed.status_code == 200


def test_a_forged_code_is_404(certificate, client):
    assert client.get("/verify/ABCD-EFGH-JKMN").status_code == 404
    assert client.get("/verify/not-a-code").status_code == 404
    assert client.get("/verify/?code=ABCD-EFGH-JKMN").status_code == 404


def test_an_unknown_code_in_a_verify_link_says_no_certificate_has_it_and_offers_the_form(certificate, client):
    for url in ("/verify/ABCD-EFGH-JKMN", "/verify/?code=ABCD-EFGH-JKMN"):   # what a QR leads to, what the form sends
        response = client.get(url)
        page = response.get_data(as_text=True)
        assert response.status_code == 404 and "No certificate has this code." in page
        assert '<form method="get" action="/verify/">' in page and 'value="ABCD-EFGH-JKMN"' in page


def test_curator_sees_own_groups_progress_only(app, content, client, make_user, make_group, auth):
    mine, theirs = make_group("ЭЭ-24-1"), make_group("ЭЭ-24-2")
    curator = make_user("c@uni.test", roles=("curator",))
    mine.curators.append(curator)
    db.session.commit()
    student = make_user("s@uni.test", group=mine, name="Aruzhan Bekova")
    for lesson in lessons_of():
        service.complete_lesson(student, lesson, via="check", now=datetime(2024, 10, 1))
    auth.login("c@uni.test")
    assert "ЭЭ-24-1" in client.get("/courses/groups/").get_data(as_text=True)
    page = client.get(f"/courses/groups/{mine.id}").get_data(as_text=True)
    assert "Aruzhan Bekova" in page and "completed 2024-10-01" in page
    assert client.get(f"/courses/groups/{theirs.id}").status_code == 403


def test_students_cannot_open_progress_or_content_pages(app, content, client, make_user, make_group, auth):
    group = make_group()
    make_user("s@uni.test", group=group)
    auth.login("s@uni.test")
    assert client.get(f"/courses/groups/{group.id}").status_code == 403
    assert client.get("/courses/groups/").status_code == 403
    assert client.get("/admin/content").status_code == 403


def test_admin_content_page_lists_versions_and_file_problems(app, content, client, make_user, auth):
    make_user("boss@uni.test", roles=("admin",))
    (content / "09-bad.md").write_text("oops", encoding="utf-8")
    auth.login("boss@uni.test")
    page = client.get("/admin/content").get_data(as_text=True)
    assert "Demo course" in page and "Lesson 1" in page
    assert "09-bad.md" in page and "must start with TOML front matter" in page


def test_unknown_courses_and_lessons_are_404(app, content, client, make_user, auth):
    make_user("s@uni.test")
    auth.login("s@uni.test")
    assert client.get("/courses/nope/").status_code == 404
    assert client.get("/courses/demo-course/nope").status_code == 404
