"""The lesson editor through a real browser: an ACS officer writes a lesson with a check question and an
image, previews and publishes it without touching a file; a student then reads it and passes its check."""

from PIL import Image

from tests.browser.conftest import check_accessibility

MARKDOWN = """Before the exam, a classmate offers to "collect money for the teacher". This lesson is about what to do.

## Why you say no

The money buys nothing you can use, and it makes you part of a bribe."""


def _picture(tmp_path):
    path = tmp_path / "envelope.png"
    Image.new("RGB", (64, 48), (180, 40, 40)).save(path, "PNG")
    return path


def test_an_officer_writes_and_publishes_a_lesson_that_a_student_reads(page_for, tmp_path):
    page = page_for("admin@sanaly.test", width=1400)
    page.goto("/authoring/")
    page.click("text=Academic honesty for first-year students")
    page.click("text=Write a new lesson")

    page.fill("#slug", "the-envelope")
    page.fill("#title", "The envelope")
    page.fill("#title-kk", "Конверт")
    page.fill("#summary", "What to do when classmates collect money for a grade.")
    page.fill("#markdown", MARKDOWN)
    page.fill("#check-0-question", "A classmate collects money “for the teacher”. What is it?")
    page.fill("#check-0-options", "A kind gesture\nA bribe")
    page.fill("#check-0-answer", "2")
    page.fill("#check-0-explanation", "Money for a grade is a bribe, whoever collects it.")

    page.set_input_files("#image", str(_picture(tmp_path)))
    page.fill("#image-alt", "An envelope with money")
    page.click("button[value=upload]")
    assert "![An envelope with money](images/" in page.input_value("#markdown")
    assert page.input_value("#title-kk") == "Конверт", "nothing typed is lost"
    assert page.locator("text=Not yet in Русский").is_visible()

    page.click(".actions button[value=preview-]")
    preview = page.locator("aside.preview")
    assert preview.locator("h2", has_text="Why you say no").is_visible()
    assert preview.locator("img[alt='An envelope with money']").evaluate("img => img.complete && img.naturalWidth") == 64
    assert "A classmate collects money" in preview.inner_text()
    assert check_accessibility(page) == []

    page.click("button[value=publish]")          # a Kazakh title without its text: the loader's rule, at the field
    assert page.locator("#markdown-kk-error", has_text="no text").is_visible()
    assert page.input_value("#check-0-explanation") == "Money for a grade is a bribe, whoever collects it."
    page.fill("#markdown-kk", "Емтихан алдында курстасыңыз «оқытушыға» ақша жинауды ұсынады.\n\n## Неге бас тартасыз")
    page.fill("#check-0-question-kk", "Курстасыңыз «оқытушыға» ақша жинайды. Бұл не?")
    page.fill("#check-0-options-kk", "Игі ниет\nПара")
    page.click("button[value=publish]")
    page.wait_for_url("**/authoring/courses/academic-honesty/")
    assert page.locator(".flash", has_text="Published").is_visible()
    assert page.locator("td", has_text="The envelope").is_visible()

    student = page_for("student1@sanaly.test")
    student.goto("/courses/academic-honesty/the-envelope")
    assert student.locator("h1", has_text="The envelope").is_visible()
    assert student.locator("img[alt='An envelope with money']").evaluate("img => img.naturalWidth") == 64
    student.get_by_label("A bribe", exact=True).check()
    student.click("text=Check my answers")
    assert student.locator("text=Every answer is right").is_visible()
    student.locator("footer").get_by_text("Қазақша").click()      # the same lesson in Kazakh
    student.goto("/courses/academic-honesty/the-envelope")
    assert student.locator("h1", has_text="Конверт").is_visible()
    assert student.locator("text=Курстасыңыз «оқытушыға» ақша жинайды").is_visible()
