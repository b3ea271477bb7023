"""The quiz editor's drafts through a real browser: an ACS officer drafts a question change (a bad field is kept
and refused only at publishing), previews the draft as a student will see it, drafts a settings change, and
publishes both as one new version of the quiz; the history shows it."""
from tests.browser.conftest import check_accessibility

SETTINGS = "/authoring/quizzes/integrity-hour/settings"


def test_an_officer_drafts_previews_and_publishes_quiz_changes_as_one_version(page_for):
    page = page_for("admin@sanaly.test", width=1280)
    page.goto(SETTINGS)
    page.locator("table.item-bank tbody tr").first.locator("td a").first.click()
    key = page.url.split("/questions/", 1)[1].split("/", 1)[0]

    page.fill("#text", "Drafted: which of these is a bribe?")
    page.fill("#points", "many")
    page.click("button[value=draft]")                # a draft may be wrong: it is kept as typed
    assert page.locator(".flash", has_text="Draft saved").is_visible()
    assert page.input_value("#points") == "many"
    assert page.locator("text=You are editing a draft saved").is_visible()
    page.click("button[value=publish]")              # publishing is not: the message is at the field
    assert page.locator("#points-error").is_visible()
    assert page.input_value("#text") == "Drafted: which of these is a bribe?"

    page.fill("#points", "2")
    page.click("button[value=preview]")
    preview = page.locator("section.preview")
    assert preview.locator("h2", has_text="your draft").is_visible()
    assert "Drafted: which of these is a bribe?" in preview.inner_text()
    assert check_accessibility(page) == []
    page.click("button[value=draft]")

    page.goto(SETTINGS)
    settings = page.locator("form", has=page.locator("#xp"))
    page.fill("#xp", "65")
    settings.locator("button[value=draft]").click()
    draft = page.locator("#draft")
    assert draft.locator("a", has_text=f"Question {key}").is_visible()
    assert draft.locator("a", has_text="Settings").is_visible()
    assert page.locator(f"#item-{key} .tag", has_text="draft").is_visible()
    assert page.input_value("#xp") == "65"
    assert check_accessibility(page) == []

    assert "Drafted:" not in page.locator(f"#item-{key}").inner_text()      # the bank is what students get

    draft.locator("button[value=publish-all]").click()
    assert page.locator(".flash", has_text="Published").is_visible()
    assert page.locator("#draft").count() == 0
    assert page.locator(f"#item-{key}", has_text="Drafted: which of these is a bribe?").is_visible()
    page.goto("/authoring/quiz/integrity-hour/history")
    latest = page.locator("section").first
    assert latest.locator("text=published in the browser by").is_visible()
    assert "+xp = 65" in latest.locator("pre.diff").inner_text()
    assert "Drafted: which of these is a bribe?" in latest.locator("pre.diff").inner_text()

    phone = page_for("admin@sanaly.test", width=390)
    phone.goto(SETTINGS)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
