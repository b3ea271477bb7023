"""The survey and brain-ring editors through a real browser: an ACS officer writes a survey with a wave and a
brain-ring set with a picture, previews and publishes both without touching a file; a student answers the survey."""
from datetime import timedelta

from PIL import Image

from app.core.clock import today
from tests.browser.conftest import check_accessibility


def _picture(tmp_path):
    path = tmp_path / "envelope.png"
    Image.new("RGB", (64, 48), (180, 40, 40)).save(path, "PNG")
    return path


def test_an_officer_publishes_a_survey_and_a_brain_ring_set_and_a_student_answers_the_survey(page_for, live_server,
                                                                                             tmp_path):
    app, _base = live_server
    with app.app_context():
        day = today()
    page = page_for("admin@sanaly.test", width=1400)
    page.goto("/authoring/")
    page.click("text=New survey")
    page.fill("#slug", "exam-week-pulse")
    page.fill("#title", "Exam week pulse")
    page.fill("#title-kk", "Емтихан аптасы")
    page.fill("#description", "Two questions, no names.")
    page.fill("#wave-0-title", "This week")
    page.fill("#wave-0-opens", (day + timedelta(days=3)).isoformat())
    page.fill("#wave-0-closes", day.isoformat())                   # before it opens: the loader says so at the field
    page.select_option("#q-0-type", "single")
    page.fill("#q-0-text", "Did anyone ask you for a gift before an exam?")
    page.fill("#q-0-options", "No\nYes")
    page.fill("#q-0-text-kk", "Емтихан алдында сізден сыйлық сұрады ма?")
    page.fill("#q-0-options-kk", "Жоқ\nИә")
    page.click("button[value=publish]")
    assert page.locator("#wave-0-closes-error", has_text="must not be before opens").is_visible()
    assert page.input_value("#q-0-options-kk") == "Жоқ\nИә", "nothing typed is lost"

    page.fill("#wave-0-opens", (day - timedelta(days=1)).isoformat())
    page.fill("#wave-0-closes", (day + timedelta(days=7)).isoformat())
    page.select_option("#q-1-type", "scale")
    page.fill("#q-1-text", "How fair were your exams?")
    page.fill("#q-1-points", "5")
    page.fill("#q-1-labels", "Not at all\nCompletely")
    page.click(".actions button[value=preview-kk]")
    preview = page.locator("aside.preview")
    assert preview.locator("legend", has_text="Емтихан алдында сізден сыйлық сұрады ма?").is_visible()
    assert preview.locator("label", has_text="Иә").is_visible()
    assert check_accessibility(page) == []
    page.click("button[value=publish]")
    page.wait_for_url("**/authoring/surveys/exam-week-pulse/edit")
    assert page.locator(".flash", has_text="Published").is_visible()

    page.goto("/authoring/")
    page.click("text=New brain-ring set")
    page.fill("#slug", "exam-week-ring")
    page.fill("#title", "Exam week ring")
    page.fill("#title-kk", "Емтихан аптасының рингі")
    page.fill("#q-0-text", "What is shown?")
    page.fill("#q-0-options", "A gift\nA bribe\nA receipt")
    page.fill("#q-0-answer", "2")
    page.fill("#q-0-seconds", "25")
    page.fill("#q-0-text-kk", "Суретте не бар?")
    page.fill("#q-0-options-kk", "Сыйлық\nПара")              # one option short: the translation rule, at the field
    page.set_input_files("#q-0-upload", str(_picture(tmp_path)))
    page.click(".actions button[value=preview-]")
    assert page.locator("#q-0-options-kk-error", has_text="3 entries").is_visible()
    assert page.input_value("#q-0-text-kk") == "Суретте не бар?"
    page.fill("#q-0-options-kk", "Сыйлық\nПара\nТүбіртек")
    page.click(".actions button[value=preview-]")
    preview = page.locator("aside.preview")
    assert preview.locator(".ring-question", has_text="What is shown?").is_visible()
    assert preview.locator("img.ring-image").evaluate("img => img.complete && img.naturalWidth") == 64
    assert preview.locator("button.pad").count() == 3
    page.click("button[value=publish]")
    page.wait_for_url("**/authoring/brainring/exam-week-ring/edit")
    assert page.locator(".flash", has_text="Published").is_visible()
    page.goto("/ring/")
    assert page.locator("#set option", has_text="Exam week ring").count() == 1

    student = page_for("student1@sanaly.test")
    student.goto("/surveys/exam-week-pulse/")
    student.get_by_label("No", exact=True).check()
    student.locator(".scale-point", has_text="4").click()
    student.click("text=Send my answers")
    assert student.locator(".flash", has_text="Thank you").is_visible()
    assert student.locator("text=You have answered").is_visible()
