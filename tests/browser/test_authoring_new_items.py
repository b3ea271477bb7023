"""New course and New quiz through a real browser: an ACS officer writes a course with its first lesson and a quiz
with its first question, mistakes come back at their fields with nothing lost, and a student then finds both."""
from tests.browser.conftest import check_accessibility


def test_an_officer_creates_a_course_and_a_quiz_that_a_student_then_uses(page_for):
    page = page_for("admin@sanaly.test", width=1280)
    page.goto("/authoring/")
    page.click("text=New course")
    assert page.locator("#no-lessons").is_visible()
    page.fill("#slug", "honest-group-work")
    page.fill("#title", "Honest group work")
    page.fill("#title-kk", "Адал топтық жұмыс")
    page.fill("#summary", "Who did what in a group project, and how to say so.")
    page.select_option("#audience", "students")
    page.fill("#lesson-slug", "sharing-the-work")
    page.fill("#lesson-title", "Sharing the work")
    page.fill("#lesson-markdown", "## Say who did what\n\nA group report names what each member wrote.")
    page.fill("#lesson-check-0-question", "Must a group report say who wrote what?")
    page.fill("#lesson-check-0-options", "Yes\nNo")
    page.fill("#lesson-check-0-answer", "3")
    page.click("button[value=publish]")                # bad input: a message at the field, nothing lost
    assert page.locator("#lesson-check-0-answer-error").is_visible()
    assert page.input_value("#lesson-markdown").startswith("## Say who did what")
    assert page.input_value("#title-kk") == "Адал топтық жұмыс"
    page.fill("#lesson-check-0-answer", "1")
    page.click(".actions button[value=preview-]")
    assert page.locator("aside.preview h2", has_text="Say who did what").is_visible()
    assert check_accessibility(page) == []
    page.click("button[value=publish]")
    page.wait_for_url("**/authoring/courses/honest-group-work/")
    assert page.locator(".flash", has_text="Published").is_visible()
    assert page.locator("td", has_text="Sharing the work").is_visible()

    page.goto("/authoring/")
    page.click("text=New quiz")
    assert page.locator("#no-questions").is_visible()
    page.fill("#slug", "group-work-check")
    page.fill("#title", "Group work check")
    page.fill("#pass_percent", "150")
    page.fill("#key", "who-wrote-what")
    page.fill("#text", "Must a group report say who wrote what?")
    page.fill("#options", "Yes\nNo")
    page.fill("#answer", "1")
    page.click("button[value=publish]")
    assert page.locator("#pass_percent-error", has_text="from 0 to 100").is_visible()
    assert page.input_value("#text") == "Must a group report say who wrote what?"
    page.fill("#pass_percent", "50")
    page.click(".actions button[value=preview]")
    assert page.locator("section.preview legend", has_text="Must a group report say who wrote what?").is_visible()
    assert check_accessibility(page) == []
    page.click("button[value=publish]")
    page.wait_for_url("**/authoring/quizzes/group-work-check/settings")
    assert page.locator(".flash", has_text="Published").is_visible()
    assert page.locator(".item-bank td", has_text="Must a group report say who wrote what?").is_visible()

    phone = page_for("admin@sanaly.test")               # nothing scrolls sideways on a phone
    for address in ("/authoring/courses/new", "/authoring/quizzes/new"):
        phone.goto(address)
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), address

    student = page_for("student1@sanaly.test")
    student.goto("/courses/")
    student.click("text=Honest group work")
    student.click("text=Sharing the work")
    assert student.locator("h2", has_text="Say who did what").is_visible()
    student.goto("/quizzes/")
    student.click("text=Group work check")
    assert student.url.endswith("/quizzes/group-work-check/")
