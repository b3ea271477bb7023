"""What a person sees: a phone-sized header, feedback where the answers are, a course that leads on,
confirmations before what cannot be undone — in a real browser, most of it with JavaScript off."""
import re
import tomllib
from pathlib import Path

import pytest

from browser.conftest import check_accessibility

ROOT = Path(__file__).resolve().parent.parent.parent
PHONE = {"width": 390, "height": 844}
HEADER_LIMIT = 120      # pixels above the page's own content on a phone

# Each role's main pages, as a phone shows them; the student's also a quiz's questions (an attempt is started).
MAIN_PAGES = {
    "student2@sanaly.test": ["/", "/courses/", "/courses/academic-honesty/", "/courses/academic-honesty/why-honesty-matters",
                             "/quizzes/", "/contests/", "/surveys/", "/club/", "/check-in", "/profile", "/leaderboard",
                             "/notifications", "/report", "/report/follow"],
    "jury1@sanaly.test": ["/", "/jury/", "/contests/", "/profile"],
    "curator@sanaly.test": ["/", "/coverage/", "/coverage/groups/1", "/courses/groups/", "/courses/groups/1", "/events/",
                            "/club/manage", "/ring/"],
    "admin@sanaly.test": ["/", "/admin/", "/admin/people", "/admin/plan/", "/admin/coverage/", "/admin/coverage/report",
                          "/admin/contests/", "/admin/contests/essay-2024-2025/", "/admin/reports/", "/admin/surveys/",
                          "/admin/api-tokens", "/admin/content", "/admin/quizzes", "/admin/filings/", "/authoring/",
                          "/authoring/quizzes/integrity-hour/settings", "/authoring/courses/academic-honesty",
                          "/admin/risks/", "/admin/audit/"],
}

SMALL_TARGETS = """() => {
  const small = [];
  const controls = 'main button, main input[type=submit], main a.button, main select, main input[type=checkbox], '
                 + 'main input[type=radio], main input[type=text], main input[type=email], main textarea';
  for (const el of document.querySelectorAll(controls)) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || getComputedStyle(el).visibility === 'hidden') continue;
    const least = el.classList.contains('icon-button') ? 44 : 24;
    if (box.width < least || box.height < least)
      small.push(`${el.tagName.toLowerCase()} ${el.type || ''} "${(el.textContent || el.name || '').trim().slice(0, 30)}" `
                 + `${Math.round(box.width)}x${Math.round(box.height)}`);
  }
  return small;
}"""


def _open_questions(page) -> str:
    """Start the first quiz the student may take and return its first page of questions' address."""
    page.goto("/quizzes/")
    page.locator("main a[href^='/quizzes/']").first.click()
    page.locator("main form[action$='/start'] button[type=submit]").first.click()
    assert "/quizzes/attempts/" in page.url, page.url
    return page.url


def lesson_answers(course: str) -> list[tuple[str, list]]:
    answers = []
    for path in sorted((ROOT / "courses" / course).glob("[0-9][0-9]-*.md")):
        if path.name.count(".") > 1:
            continue
        meta = tomllib.loads(path.read_text(encoding="utf-8").split("+++")[1])
        answers.append((re.sub(r"^\d\d-", "", path.stem), [c["answer"] for c in meta.get("check", [])]))
    return answers


def without_javascript(browser, live_server, email, viewport):
    """A signed-in page in a browser context with JavaScript switched off."""
    _app, base = live_server
    context = browser.new_context(viewport=viewport, base_url=base, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10000)
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", "demo-password")
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return context, page


@pytest.mark.parametrize("email", list(MAIN_PAGES))
def test_on_a_phone_the_header_is_compact_no_main_page_scrolls_sideways_and_every_control_is_a_target_a_thumb_can_hit(
        page_for, email):
    """WCAG 2.2's target size (2.5.8): buttons, boxes, round buttons, lists and fields at least 24 × 24 px, a
    button that is only a sign (↑, ↓) 44 × 44 px; what the lesson order's arrows and the choice circles were not."""
    page = page_for(email)
    page.set_viewport_size(PHONE)
    urls = list(MAIN_PAGES[email])
    if email.startswith("student"):
        urls.append(_open_questions(page))
    problems, small = [], {}
    for url in urls:
        assert page.goto(url).status == 200, url
        top, width, scroll_width = page.evaluate(
            "() => [document.querySelector('main').getBoundingClientRect().top, innerWidth,"
            " document.documentElement.scrollWidth]")
        if top > HEADER_LIMIT or scroll_width > width:
            problems.append((url, round(top), scroll_width))
        found = page.evaluate(SMALL_TARGETS)
        if found:
            small[url] = found
    assert problems == [] and small == {}


def test_the_phone_menu_opens_without_javascript_and_keeps_the_current_page_marked(browser, live_server):
    context, page = without_javascript(browser, live_server, "admin@sanaly.test", PHONE)
    try:
        page.goto("/admin/people")
        assert not page.is_visible("text=Leaderboard")                 # folded away
        page.click("summary:has-text('Menu')")
        assert page.is_visible(".menu a:has-text('Leaderboard')")
        assert page.inner_text(".menu a[aria-current=page]") == "Administration"
        page.click("summary:has-text('Menu')")                         # the open menu lies over the page; close it
        assert not page.is_visible(".menu a:has-text('Leaderboard')")
        page.click("summary:has-text('Administration sections')")
        assert page.inner_text(".sub-menu a[aria-current=page]") == "People"
        page.click("summary:has-text('Menu')")
        page.click(".menu a:has-text('Leaderboard')")
        assert page.url.endswith("/leaderboard")
        page.set_viewport_size({"width": 1280, "height": 900})          # a wide screen shows the whole bar
        page.locator(".main-nav.desktop-only a:has-text('Leaderboard')").wait_for(state="visible")
        page.locator("summary:has-text('Menu')").wait_for(state="hidden")
        # The ACS has the most sections: they stay on one row, the person's own links sit beside the brand.
        tops = page.eval_on_selector_all(".main-nav.desktop-only:not(.account-nav) li",
                                         "items => items.map(item => Math.round(item.getBoundingClientRect().top))")
        assert len(tops) >= 10 and len(set(tops)) == 1, tops
        assert page.is_visible(".account-nav button:has-text('Sign out')")
        brand, account = (page.locator(selector).bounding_box() for selector in (".brand", ".account-nav"))
        assert abs((brand["y"] + brand["height"] / 2) - (account["y"] + account["height"] / 2)) < 12
    finally:
        context.close()


def test_a_wrong_check_answer_lands_at_the_check_with_the_message_in_view(browser, live_server):
    context, page = without_javascript(browser, live_server, "student8@sanaly.test", PHONE)
    try:
        slug, answers = lesson_answers("fundamentals-of-anti-corruption-culture")[0]
        page.goto(f"/courses/fundamentals-of-anti-corruption-culture/{slug}")
        for index, answer in enumerate(answers):
            page.check(f"input[name=q{index}][value='{(answer + 1) % 2}']")
        page.click("button:has-text('Check my answers')")
        assert page.url.endswith("#check")
        box = page.locator("#check .notice-bad").bounding_box()
        assert 0 <= box["y"] and box["y"] + box["height"] <= PHONE["height"], box
        assert "Not quite" in page.inner_text("#check .notice-bad")
    finally:
        context.close()


def test_after_the_last_lesson_the_course_page_leads_to_the_final_quiz(page_for):
    page = page_for("student9@sanaly.test")
    page.set_viewport_size(PHONE)
    lessons = lesson_answers("academic-honesty")
    for number, (slug, answers) in enumerate(lessons):
        page.goto(f"/courses/academic-honesty/{slug}")
        for index, answer in enumerate(answers):
            page.check(f"input[name=q{index}][value='{answer}']")
        page.click("button:has-text('Check my answers')")
        assert page.url.endswith("#check")
        assert page.locator("#check .notice-ok").is_visible()
        if number + 1 < len(lessons):                                     # the explanations, then the next lesson
            assert page.locator("#check p.right").count() == len(answers)
            page.click("a:has-text('Next lesson')")
            assert page.url.endswith(lessons[number + 1][0])
    assert not check_accessibility(page)                                  # the lesson with its explanations
    page.click("#check a:has-text('Take the final quiz')")
    assert page.url.endswith("/quizzes/academic-honesty-final/")
    page.goto("/courses/academic-honesty/")
    path = page.inner_text(".course-path")
    assert "4 of 4 lessons completed" in path and "Final quiz" in path and "Certificate" in path
    button = page.locator(".course-path a.button:has-text('Take the final quiz')")
    box = button.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"]                   # on the first screen of a phone
    assert not check_accessibility(page)
    button.click()
    assert page.url.endswith("/quizzes/academic-honesty-final/")


def test_irreversible_buttons_ask_first_without_javascript(browser, live_server):
    context, page = without_javascript(browser, live_server, "admin@sanaly.test", {"width": 1280, "height": 900})
    try:
        page.goto("/admin/api-tokens")
        page.fill("#name", "Ministry dashboard")
        page.click("button:has-text('Issue a token')")
        page.click("button:has-text('Revoke')")
        assert "Revoke the token “Ministry dashboard”?" in page.inner_text("h1")
        assert "Nothing has been done yet." in page.inner_text("main")
        page.click("a:has-text('Cancel')")
        assert page.url.endswith("/admin/api-tokens") and "revoked" not in page.inner_text("table")
        page.click("button:has-text('Revoke')")
        page.click("main .danger-button")
        assert "Token revoked." in page.inner_text(".flashes") and "revoked" in page.inner_text("table")
    finally:
        context.close()


def test_the_juror_confirms_a_seal_and_may_keep_a_draft_instead(page_for):
    page = page_for("jury1@sanaly.test", width=390)
    page.goto("/jury/")
    page.locator("section", has_text="What I would change tomorrow").locator("a").first.click()
    score_page = page.url
    for field in page.query_selector_all("input[type=number]"):
        field.fill("8")
    page.click("button:has-text('Seal my score')")
    text = page.inner_text("main")
    assert "This cannot be undone" in text and "8 / " in text
    assert not check_accessibility(page)
    page.click("button:has-text('Save as a draft instead')")
    assert page.url == score_page and "You sealed this score" not in page.inner_text("main")
    assert page.input_value("input[type=number] >> nth=0") == "8"


@pytest.mark.parametrize("email, width", [(email, width) for email in MAIN_PAGES for width in (390, 1280)])
def test_each_roles_home_has_no_serious_accessibility_violation(page_for, email, width):
    page = page_for(email, width=width)
    page.goto("/")
    assert page.locator("h1").inner_text().startswith("Welcome")
    assert not check_accessibility(page)


def test_the_verify_pages_have_no_serious_accessibility_violation(page_for, live_server):
    app, _base = live_server
    with app.app_context():
        from sqlalchemy import select

        from app.certificates.models import Certificate
        from app.extensions import db

        code = db.session.execute(select(Certificate.code)).scalars().first()
        db.session.remove()
    page = page_for(None)
    page.goto(f"/verify/{code}")
    assert "Valid certificate" in page.inner_text("main")
    assert not check_accessibility(page)
    response = page.goto("/verify/AAAA-BBBB-CCCC")
    assert response.status == 404 and "No certificate has this code." in page.inner_text("main")
    assert page.input_value("#code") == "AAAA-BBBB-CCCC"
    assert not check_accessibility(page)


@pytest.mark.parametrize("language, section, hour", [
    ("kk", "2-бөлім. Білім алушыларды сыбайлас жемқорлыққа қарсы оқыту және тәрбиелеу",
     "Адалдық және академиялық адалдық мәселелеріне арналған бірыңғай сағат өткізу"),
    ("ru", "Раздел 2. Антикоррупционное обучение и воспитание обучающихся",
     "Организация единого часа, посвящённого вопросам добропорядочности и академической честности"),
])
def test_the_plan_reads_in_kazakh_and_russian_on_the_report_and_a_group_page(page_for, language, section, hour):
    admin = page_for("admin@sanaly.test", width=1280)
    admin.goto(f"/language/{language}?next=/admin/coverage/report")
    sheet = admin.inner_text("article.report-sheet")
    assert section in sheet and hour in sheet
    assert "General nature activities" not in sheet and "Organizing a single hour" not in sheet
    curator = page_for("curator@sanaly.test", width=1280)
    curator.goto(f"/language/{language}?next=/coverage/groups/1")
    assert curator.get_attribute("th[title^='" + hour[:20] + "']", "title") == hour


CHOICE_PAGES = ["/profile", "/report", "/courses/academic-honesty/why-honesty-matters", "/surveys/clean-session-survey/"]


def test_on_a_phone_every_choice_box_sits_level_with_the_first_line_of_its_words(page_for):
    """Radios and checkboxes beside their words (`label.check`): a box sitting a few pixels low reads as belonging
    to the next line. The browser's own top margin once set them 1.5 px low, the questions' 4 px."""
    page = page_for("student2@sanaly.test")
    offsets = {}
    for url in CHOICE_PAGES:
        page.goto(url)
        offsets[url] = page.evaluate("""() => [...document.querySelectorAll('label.check')].flatMap(label => {
            const box = label.querySelector('input'), words = [...label.childNodes].find(
                node => node.nodeType === Node.TEXT_NODE && node.textContent.trim());
            if (!box || !words || !box.getBoundingClientRect().height) return [];
            const start = words.textContent.search(/\\S/), range = document.createRange();
            range.setStart(words, start);
            range.setEnd(words, start + 1);
            const first = range.getBoundingClientRect(), square = box.getBoundingClientRect();
            return [(square.top + square.height / 2) - (first.top + first.height / 2)];
        })""")
    assert all(offsets.values()), offsets        # each page has its choices
    low = {url: [round(offset, 1) for offset in found if abs(offset) > 1.5] for url, found in offsets.items()}
    assert not any(low.values()), low
