"""The lesson editor: drafts and publishing through the course loader's checks, messages at the field,
history with author and diff, order, retirement, and who may edit what."""
import re

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.core.content import ContentError
from app.authoring import files as content_files
from app.authoring import lessons as editor
from app.authoring.models import BROWSER, ContentGrant
from app.authoring.service import can_edit, current_revision
from app.loading import load_content
from app.courses.loader import read_course
from app.courses.models import Course, Lesson, LessonCompletion
from app.extensions import db
from tests.conftest import _empty_tables

COURSE = "academic-honesty"
MARKDOWN = "## Where the money goes\n\nA bribe for a grade buys nothing you can use.\n\n<script>alert(1)</script>"
NEW_LESSON = {
    "slug": "gifts-after-exams", "title": "Gifts after exams", "summary": "When a thank-you becomes a bribe.",
    "markdown": MARKDOWN,
    "check-0-question": "May you give your examiner a gift before the grade is set?",
    "check-0-options": "Yes, if it is small\nNo", "check-0-answer": "2",
    "check-0-explanation": "Any gift before the grade is set can buy the grade.",
}


@pytest.fixture
def officer(app, make_user, auth, setup_cli):
    assert setup_cli("load-content").exit_code == 0
    person = make_user(roles=("admin",))
    auth.login(person.email)
    return person


def publish(client, fields, lesson=None, action="publish"):
    address = f"/authoring/courses/{COURSE}/lessons/{lesson}/edit" if lesson else f"/authoring/courses/{COURSE}/lessons/new"
    return client.post(address, data={**fields, "action": action})


def test_an_officer_publishes_a_new_lesson_that_students_then_read(officer, client, auth, make_user):
    response = publish(client, NEW_LESSON)
    assert response.status_code == 302, response.get_data(as_text=True)
    course = db.session.execute(select(Course).where(Course.slug == COURSE)).scalar_one()
    lesson = db.session.execute(select(Lesson).where(Lesson.course_id == course.id, Lesson.slug == "gifts-after-exams")).scalar_one()
    assert lesson.position == 5 and lesson.current.checks[0]["answer"] == 1
    revision = current_revision("course", COURSE)
    assert revision.origin == BROWSER and revision.author_id == officer.id
    assert "+title = \"Gifts after exams\"" in revision.diff and "05-gifts-after-exams.md" in revision.diff
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "content.published", AuditEvent.subject == f"course:{COURSE}")) == 1

    auth.logout()
    auth.login(make_user(roles=("student",)).email)
    page = client.get(f"/courses/{COURSE}/gifts-after-exams").get_data(as_text=True)
    assert "Where the money goes" in page and "May you give your examiner a gift" in page
    assert "<script>alert" not in page


def test_plus_signs_in_a_title_or_a_check_are_text_not_the_end_of_the_front_matter(officer, client, tmp_path):
    fields = {**NEW_LESSON, "title": "C+++ and other grades", "check-0-explanation": "Gift +++ grade = bribe.",
              "markdown": MARKDOWN + "\n\n+++\n\nA line of plus signs is text as well."}
    assert publish(client, fields).status_code == 302
    lesson = _lesson("gifts-after-exams")
    assert lesson.current.title == "C+++ and other grades"
    assert lesson.current.checks[0]["explanation"] == "Gift +++ grade = bribe."
    assert lesson.current.markdown.endswith("+++\n\nA line of plus signs is text as well.")
    content_files.write_files(tmp_path, content_files.all_files())     # the file door reads the same file back
    spec = read_course(tmp_path / "courses" / COURSE)
    assert next(l for l in spec.lessons if l.slug == "gifts-after-exams").title == "C+++ and other grades"


def test_a_wrong_answer_number_is_reported_at_its_field_and_keeps_what_was_typed(officer, client):
    page = publish(client, {**NEW_LESSON, "check-0-answer": "3"}).get_data(as_text=True)
    assert 'id="check-0-answer-error"' in page and "number of the right option (1 for the first line)" in page
    assert "A bribe for a grade buys nothing you can use." in page and 'value="gifts-after-exams"' in page
    assert db.session.execute(select(Lesson).where(Lesson.slug == "gifts-after-exams")).scalar() is None


def test_the_loaders_own_rule_comes_back_at_the_field(officer, client):
    page = publish(client, {**NEW_LESSON, "check-0-options": "Only one option", "check-0-answer": "1"}).get_data(as_text=True)
    assert 'id="check-0-options-error"' in page and "must list at least two options as text" in page
    assert "Only one option" in page


def test_a_translation_must_keep_the_originals_options(officer, client):
    page = publish(client, {**NEW_LESSON, "title-kk": "Емтиханнан кейінгі сыйлықтар", "markdown-kk": "Пара.",
                            "check-0-question-kk": "Сыйлық беруге бола ма?",
                            "check-0-options-kk": "Иә\nЖоқ\nБілмеймін"}).get_data(as_text=True)
    assert 'id="check-0-options-kk-error"' in page and "must keep the original" in page
    assert "Білмеймін" in page


def test_the_editor_shows_what_is_untranslated_and_previews_in_a_language(officer, client):
    page = publish(client, {**NEW_LESSON, "title-kk": "Сыйлықтар", "markdown-kk": "## Ақша қайда кетеді"},
                   action="preview-kk").get_data(as_text=True)
    assert "Not yet in Русский" in page and "Not translated yet" in page
    assert '<h2 id="' in page and "Ақша қайда кетеді" in page and "<script>alert" not in page
    preview = page.split('id="preview-title"', 1)[1]
    assert "Өзіңізді тексеріңіз" in preview and "Check your understanding" not in preview   # the page's words: Kazakh


def test_a_draft_is_kept_apart_from_what_students_see(officer, client):
    response = publish(client, {**editor.fields_of(_lesson("why-honesty-matters")), "title": "Honesty, drafted"},
                       lesson="why-honesty-matters", action="draft")
    assert response.status_code == 200
    assert _lesson("why-honesty-matters").current.title == "Why honesty matters"
    page = client.get(f"/authoring/courses/{COURSE}/lessons/why-honesty-matters/edit").get_data(as_text=True)
    assert 'value="Honesty, drafted"' in page and "You are editing a draft" in page


def test_editing_keeps_each_students_completion_on_the_version_they_used(officer, client, make_user):
    lesson = _lesson("why-honesty-matters")
    first = lesson.current_version_id
    db.session.add(LessonCompletion(user_id=make_user().id, lesson_id=lesson.id, version_id=first))
    db.session.commit()
    fields = {**editor.fields_of(lesson), "markdown": lesson.current.markdown + "\n\nOne more paragraph."}
    assert publish(client, fields, lesson="why-honesty-matters").status_code == 302
    db.session.expire_all()
    lesson = _lesson("why-honesty-matters")
    assert lesson.current_version_id != first and lesson.current.number == 2
    completion = db.session.execute(select(LessonCompletion).where(LessonCompletion.lesson_id == lesson.id)).scalar_one()
    assert completion.version_id == first
    assert lesson.current.translations["kk"]["markdown"].startswith("Университетке түсу")


def test_lessons_are_reordered_and_retired_with_an_audit_event(officer, client):
    client.post(f"/authoring/courses/{COURSE}/lessons/plagiarism-and-citation/move", data={"step": "up"})
    db.session.expire_all()
    assert _lesson("plagiarism-and-citation").position == 1 and _lesson("why-honesty-matters").position == 2
    asked = client.post(f"/authoring/courses/{COURSE}/lessons/exams-without-cheating/retire")
    assert asked.status_code == 200 and 'name="confirmed" value="yes"' in asked.get_data(as_text=True)
    db.session.expire_all()
    assert not _lesson("exams-without-cheating").retired          # nothing happens before the confirmation
    client.post(f"/authoring/courses/{COURSE}/lessons/exams-without-cheating/retire", data={"confirmed": "yes"})
    db.session.expire_all()
    assert _lesson("exams-without-cheating").retired
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "content.retired")) == 1
    assert client.get(f"/courses/{COURSE}/exams-without-cheating").status_code == 404
    page = client.get(f"/authoring/course/{COURSE}/history").get_data(as_text=True)
    assert "published in the browser by" in page and "loaded from files" in page


def test_a_whole_course_is_retired_from_its_page_and_its_file_does_not_bring_it_back(officer, client, runner):
    page = client.get(f"/authoring/courses/{COURSE}/").get_data(as_text=True)
    assert f'action="/authoring/course/{COURSE}/retire"' in page and "Retire this course" in page
    client.post(f"/authoring/course/{COURSE}/retire", data={"confirmed": "yes"})
    db.session.expire_all()
    course = db.session.execute(select(Course).where(Course.slug == COURSE)).scalar_one()
    assert course.retired and client.get(f"/courses/{COURSE}/").status_code == 404
    revision = current_revision("course", COURSE)
    assert (revision.action, revision.origin) == ("retired", BROWSER)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "content.retired", AuditEvent.subject == f"course:{COURSE}")) == 1
    assert f"course {COURSE}: not loaded: last changed in the browser" in runner.invoke(args=["load-content"]).output
    db.session.expire_all()
    assert db.session.execute(select(Course).where(Course.slug == COURSE)).scalar_one().retired


def test_load_content_leaves_a_course_published_in_the_browser(officer, client, runner):
    publish(client, NEW_LESSON)
    result = runner.invoke(args=["load-content"])
    assert f"course {COURSE}: not loaded: last changed in the browser" in result.output
    db.session.expire_all()
    assert not _lesson("gifts-after-exams").retired


def test_an_editor_edits_only_what_they_were_given(app, client, auth, make_user, setup_cli):
    assert setup_cli("load-content").exit_code == 0
    teacher = make_user(roles=("editor",))
    db.session.add(ContentGrant(user_id=teacher.id, kind="course", slug=COURSE))
    db.session.commit()
    assert can_edit(teacher, "course", COURSE) and not can_edit(teacher, "course", "fundamentals-of-anti-corruption-culture")
    auth.login(teacher.email)
    assert client.get(f"/authoring/courses/{COURSE}/lessons/why-honesty-matters/edit").status_code == 200
    assert client.get("/authoring/courses/fundamentals-of-anti-corruption-culture/").status_code == 403
    index = client.get("/authoring/").get_data(as_text=True)
    assert "Academic honesty" in index and "Fundamentals of Anti-Corruption Culture" not in index
    for address in ("/admin/people", "/admin/plan/", "/admin/roster"):
        assert client.get(address).status_code == 403, address
    assert client.post("/admin/contests/essay-2024-2025/publish").status_code == 403


@pytest.mark.parametrize("roles", [("student",), ("curator",), ("jury",)])
def test_people_without_the_editor_role_cannot_edit(app, client, auth, make_user, roles, setup_cli):
    assert setup_cli("load-content").exit_code == 0
    auth.login(make_user(roles=roles).email)
    assert client.get("/authoring/").status_code == 403
    assert client.get(f"/authoring/courses/{COURSE}/lessons/new").status_code == 403


def _lesson(slug: str) -> Lesson:
    return db.session.execute(select(Lesson).where(Lesson.slug == slug)).scalar_one()


def _png(colour=(200, 30, 30)) -> bytes:
    import io

    from PIL import Image

    data = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(data, "PNG", pnginfo=_text_chunk())
    return data.getvalue()


def _text_chunk():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "taken at the rector's office")
    return info


def test_an_image_uploaded_into_a_lesson_is_re_encoded_shown_and_exported(officer, client, app, runner, tmp_path):
    import io

    page = client.post(f"/authoring/courses/{COURSE}/lessons/new", content_type="multipart/form-data", data={
        **NEW_LESSON, "action": "upload", "image-alt": "A receipt", "image": (io.BytesIO(_png()), "receipt.png")}
    ).get_data(as_text=True)
    name = re.search(r"!\[A receipt\]\(images/([0-9a-f]{32}\.jpg)\)", page)[1]
    stored = (tmp_path / "uploads" / "lesson-images" / name).read_bytes()
    assert stored.startswith(b"\xff\xd8") and b"rector" not in stored
    markdown = NEW_LESSON["markdown"] + f"\n\n![A receipt](images/{name})\n"
    assert publish(client, {**NEW_LESSON, "markdown": markdown}).status_code == 302
    lesson_page = client.get(f"/courses/{COURSE}/gifts-after-exams").get_data(as_text=True)
    assert f'src="/lesson-images/{name}"' in lesson_page
    assert client.get(f"/lesson-images/{name}").data == stored
    assert client.get("/lesson-images/..%2Fsecret.jpg").status_code == 404

    runner.invoke(args=["export-content", str(tmp_path / "export")])
    assert (tmp_path / f"export/courses/{COURSE}/images/{name}").is_file()

    (tmp_path / "uploads" / "lesson-images" / name).unlink()      # a fresh instance, loaded from the export
    _empty_tables()
    assert load_content(root=tmp_path / "export")[1] == []
    assert (tmp_path / "uploads" / "lesson-images" / name).read_bytes().startswith(b"\xff\xd8")
    assert f"images/{name}" in _lesson("gifts-after-exams").current.markdown


@pytest.mark.parametrize("picture, words", [
    ("https://example.org/chart.png", "would not be shown"),
    ("images/chart.png", "would not be shown"),
    ("images/0123456789abcdef0123456789abcdef.jpg", "is not among the course"),
])
def test_a_picture_students_would_not_see_is_refused_at_the_text_and_nothing_is_lost(officer, client, picture, words):
    markdown = NEW_LESSON["markdown"] + f"\n\n![A chart]({picture})\n"
    page = publish(client, {**NEW_LESSON, "markdown": markdown}).get_data(as_text=True)
    assert 'id="markdown-error"' in page and words in page and picture in page
    assert "Where the money goes" in page and 'value="gifts-after-exams"' in page
    assert db.session.execute(select(Lesson).where(Lesson.slug == "gifts-after-exams")).scalar() is None
    translated = {**NEW_LESSON, "title-kk": "Емтиханнан кейінгі сыйлықтар",
                  "markdown-kk": f"Мәтін.\n\n![Кесте]({picture})"}
    page = publish(client, translated).get_data(as_text=True)
    assert 'id="markdown-kk-error"' in page and words in page


def test_the_preview_says_at_the_text_which_picture_students_would_not_see(officer, client):
    markdown = NEW_LESSON["markdown"] + "\n\n![A chart](https://example.org/chart.png)\n"
    page = publish(client, {**NEW_LESSON, "markdown": markdown}, action="preview-").get_data(as_text=True)
    assert 'id="markdown-error"' in page and "would not be shown" in page
    assert 'class="preview"' in page and "Where the money goes" in page        # the preview is still shown
    page = publish(client, {**NEW_LESSON, "markdown-kk": "Мәтін.\n\n![Кесте](images/0123456789abcdef.jpg)",
                            "title-kk": "Сыйлықтар"}, action="preview-kk").get_data(as_text=True)
    assert 'id="markdown-kk-error"' in page and "is not among the lesson pictures" in page
    assert 'id="markdown-error"' not in publish(client, NEW_LESSON, action="preview-").get_data(as_text=True)


def test_the_file_door_refuses_a_lesson_whose_picture_is_not_in_the_courses_folder(tmp_path):
    folder = tmp_path / "courses" / "pictures"
    folder.mkdir(parents=True)
    (folder / "course.toml").write_text('title = "Pictures"\n', encoding="utf-8")
    (folder / "01-one.md").write_text('+++\ntitle = "One"\n+++\n\n![A chart](images/chart.jpg)\n', encoding="utf-8")
    with pytest.raises(ContentError, match="is not among the course's pictures"):
        read_course(folder)
    (folder / "images").mkdir()
    (folder / "images" / "chart.jpg").write_bytes(b"\xff\xd8")
    assert read_course(folder).lessons[0].markdown == "![A chart](images/chart.jpg)"


def test_a_file_that_is_not_an_image_is_refused_at_the_field(officer, client):
    import io

    page = client.post(f"/authoring/courses/{COURSE}/lessons/new", content_type="multipart/form-data", data={
        **NEW_LESSON, "action": "upload", "image": (io.BytesIO(b"<html>not a picture</html>"), "x.png")}
    ).get_data(as_text=True)
    assert 'id="image-error"' in page and "A bribe for a grade buys nothing you can use." in page


def test_an_officer_gives_a_course_to_an_editor_and_it_is_audited(officer, client, make_user):
    teacher = make_user("methodologist@uni.test", roles=("editor",))
    student = make_user(roles=("student",))
    page = client.post(f"/authoring/courses/{COURSE}/editors", data={"email": student.email},
                       follow_redirects=True).get_data(as_text=True)
    assert "No one with the editor role" in page and not can_edit(student, "course", COURSE)
    client.post(f"/authoring/courses/{COURSE}/editors", data={"email": " Methodologist@Uni.test "})
    assert can_edit(teacher, "course", COURSE)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "content.granted", AuditEvent.subject == f"course:{COURSE}")) == 1
    assert teacher.full_name in client.get(f"/authoring/courses/{COURSE}/").get_data(as_text=True)


def test_an_editor_cannot_give_courses_away(app, client, auth, make_user, setup_cli):
    assert setup_cli("load-content").exit_code == 0
    teacher = make_user(roles=("editor",))
    db.session.add(ContentGrant(user_id=teacher.id, kind="course", slug=COURSE))
    db.session.commit()
    auth.login(teacher.email)
    assert client.post(f"/authoring/courses/{COURSE}/editors", data={"email": teacher.email}).status_code == 403


def test_the_authoring_pages_query_counts_do_not_grow_with_the_items(officer, client, app):
    from sqlalchemy import event

    def count(address):
        seen = []
        listener = lambda *args: seen.append(1)   # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(address).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    publish(client, NEW_LESSON)
    before = {address: count(address) for address in ("/authoring/", f"/authoring/course/{COURSE}/history")}
    for number in range(3):
        publish(client, {**NEW_LESSON, "slug": f"extra-{number}", "title": f"Extra {number}"})
    after = {address: count(address) for address in before}
    assert after == before


def test_the_index_names_each_kind_in_the_readers_language_never_by_its_code(officer, client):
    page = client.get("/authoring/").get_data(as_text=True)
    assert "Brain-ring set: brain-ring-anticorruption" in page and "Survey: clean-session-survey" in page
    assert "<code>brainring</code>" not in page
    client.get("/language/ru?next=/")
    assert "Набор брейн-ринга: brain-ring-anticorruption" in client.get("/authoring/").get_data(as_text=True)
