"""The contest editor through a real browser: an ACS officer writes a contest with a weighted rubric, translates
it into Kazakh, previews it as a student will see it and publishes it without touching a file; a student then
finds it open for entries, in English and in Kazakh."""
from datetime import timedelta

from app.core.clock import utcnow
from app.core.localize import local_input
from tests.browser.conftest import check_accessibility


def _moment(days: int) -> str:
    """A moment `days` from now as typed into the form: on the university's clock."""
    return local_input(utcnow() + timedelta(days=days))


def test_an_officer_publishes_a_contest_with_a_weighted_rubric_that_a_student_enters(page_for):
    page = page_for("admin@sanaly.test", width=1400)
    page.goto("/authoring/")
    page.click("text=New contest")

    page.fill("#slug", "integrity-poster")
    page.fill("#title", "Poster: integrity is…")
    page.fill("#brief", "Draw or write **one page** on what integrity looks like in a university.")
    page.select_option("#kind", "essay")
    page.fill("#submissions_open", _moment(-1))
    closes = _moment(20)
    page.fill("#submissions_close", closes)
    page.fill("#judging_close", _moment(30))
    page.fill("#min_words", "50")
    page.fill("#max_words", "400")
    page.fill("#places", "2")
    page.fill("#criterion-0-key", "idea")
    page.fill("#criterion-0-title", "Idea")
    page.fill("#criterion-0-weight", "3")
    page.fill("#criterion-0-scale", "10")
    page.click(".actions button[value=preview-]")           # a second criterion's row appears, nothing is lost
    assert page.input_value("#criterion-0-weight") == "3"
    page.fill("#criterion-1-key", "craft")
    page.fill("#criterion-1-title", "Craft")
    page.fill("#criterion-1-weight", "0")
    page.fill("#criterion-1-scale", "5")
    page.fill("#place-1-prize", "A diploma and a book")

    page.click("button[value=publish]")                      # bad input: a message at the field, nothing lost
    assert page.locator("#criterion-1-weight-error", has_text="must be a positive number").is_visible()
    assert page.input_value("#criterion-1-scale") == "5"
    assert page.input_value("#brief").startswith("Draw or write **one page**")
    page.fill("#criterion-1-weight", "1")
    assert page.locator("text=Not yet in Қазақша").is_visible()

    page.fill("#title-kk", "Плакат: адалдық дегеніміз…")
    page.fill("#brief-kk", "Университеттегі адалдық туралы **бір бет** жазыңыз немесе салыңыз.")
    page.fill("#criterion-0-title-kk", "Идея")
    page.fill("#criterion-1-description-kk", "Орындалуы")      # a description without its title: the loader's rule
    page.click("button[value=publish]")
    assert page.locator("#criterion-1-title-kk-error", has_text="must not be empty").is_visible()
    page.fill("#criterion-1-title-kk", "Шеберлік")

    page.click(".actions button[value=preview-kk]")
    preview = page.locator("aside.preview")
    assert preview.locator("h1", has_text="Плакат: адалдық дегеніміз…").is_visible()
    assert preview.locator(".rubric strong", has_text="Шеберлік").is_visible()
    assert preview.locator("strong", has_text="бір бет").is_visible()
    assert check_accessibility(page) == []

    page.click("button[value=publish]")
    page.wait_for_url("**/authoring/contests/integrity-poster/edit")
    assert page.locator(".flash", has_text="Published").is_visible()
    assert page.input_value("#criterion-0-weight") == "3"
    assert page.input_value("#submissions_close") == closes                   # shown back as it was typed

    student = page_for("student1@sanaly.test")
    student.goto("/contests/")
    student.click("text=Poster: integrity is…")
    assert student.locator(".rubric li", has_text="Idea").inner_text().count("weight 3") == 1
    assert student.locator("text=A diploma and a book").is_visible()
    assert student.locator("a", has_text="Enter the contest").is_visible()
    assert student.locator("dd", has_text=closes.replace("T", " ") + " (UTC+5)").is_visible()   # the campus clock
    student.locator("footer").get_by_text("Қазақша").click()
    student.goto("/contests/integrity-poster/")
    assert student.locator("h1", has_text="Плакат: адалдық дегеніміз…").is_visible()
    assert student.locator(".rubric strong", has_text="Шеберлік").is_visible()
