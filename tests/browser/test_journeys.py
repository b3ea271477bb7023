"""The four journeys through a real browser: student, juror, curator, admin — and accessibility checks."""
import re
import tomllib
from pathlib import Path

import pytest
from PIL import Image

from browser.conftest import check_accessibility

ROOT = Path(__file__).resolve().parent.parent.parent


def survey_waves(app) -> tuple[str | None, str | None]:
    """(the key of the wave open today, the key of a published wave) of the demo's survey, which
    follows the calendar: in December the winter wave is open and none is published yet."""
    with app.app_context():
        from sqlalchemy import select

        from app.core.clock import today
        from app.extensions import db
        from app.surveys.models import Survey

        waves = db.session.execute(select(Survey).where(Survey.slug == "perception-survey-2024-2025")).scalar_one().waves
        day = today()
        open_key = next((w.key for w in waves if w.is_open(day) and w.published_at is None), None)
        published = next((w.key for w in waves if w.published_at is not None), None)
        db.session.remove()
    return open_key, published


def lesson_answers(course: str) -> list[tuple[str, list]]:
    answers = []
    for path in sorted((ROOT / "courses" / course).glob("[0-9][0-9]-*.md")):
        if path.name.count(".") > 1:
            continue
        meta = tomllib.loads(path.read_text(encoding="utf-8").split("+++")[1])
        answers.append((re.sub(r"^\d\d-", "", path.stem), [c["answer"] for c in meta.get("check", [])]))
    return answers


def answer_quiz(page, quiz_file: str, right: bool = True):
    """Answer every page of the open attempt (rightly, from the quiz file) by the texts shown, then submit."""
    questions = {q["text"]: q for q in tomllib.loads((ROOT / "quizzes" / quiz_file).read_text(encoding="utf-8"))["questions"]}
    while True:
        for fieldset in page.query_selector_all("fieldset.question"):
            q = questions[fieldset.query_selector("legend").inner_text().split(". ", 1)[1].strip()]
            labels = {label.inner_text().strip(): label for label in fieldset.query_selector_all("label.check")}
            if q["type"] == "single":
                labels[q["options"][q["answer"] if right else (q["answer"] + 1) % len(q["options"])]].click()
            elif q["type"] == "true_false":
                labels[str(q["answer"] if right else not q["answer"])].click()
            elif q["type"] == "multiple":
                for index in q["answer"]:
                    labels[q["options"][index]].click()
            elif q["type"] == "numeric":
                fieldset.query_selector("input[type=text]").fill(str(q["answer"]))
            elif q["type"] == "short_text":
                fieldset.query_selector("input[type=text]").fill(q["accepted"][0])
            else:
                for pair in fieldset.query_selector_all("div.pair"):
                    shown = pair.query_selector("label").inner_text().strip()
                    if q["type"] == "matching":
                        pair.query_selector("select").select_option(label=dict(q["pairs"])[shown])
                    else:
                        pair.query_selector("select").select_option(label=str(q["items"].index(shown) + 1))
        finish = page.query_selector("button[value='finish']")
        if finish:
            finish.click()
            break
        with page.expect_navigation():      # read the next page's questions, not the old page's
            page.click("button:has-text('Next page')")
    page.click("button:has-text('Submit my answers')")


def test_student_journey(page_for, tmp_path):
    page = page_for("student1@sanaly.test")
    # A lesson, answered through its check questions.
    for slug, answers in lesson_answers("academic-honesty"):
        page.goto(f"/courses/academic-honesty/{slug}")
        for index, answer in enumerate(answers):
            page.check(f"input[name=q{index}][value='{answer}']")
        page.click("button:has-text('Check my answers')")
        assert page.url.endswith("#check") and "Every answer is right" in page.inner_text("#check")
    page.goto("/courses/academic-honesty/")
    assert "4 of 4 lessons completed" in page.inner_text("main")
    # The integrity hour.
    page.goto("/quizzes/integrity-hour/")
    page.click("button:has-text('Start the quiz')")
    answer_quiz(page, "integrity-hour.toml")
    assert "Attempt 1: 100%" in page.inner_text("h1")
    assert "Review" in page.inner_text("main")
    # A contest entry with a cover image.
    cover = tmp_path / "cover.png"
    Image.new("RGB", (300, 500), (20, 120, 80)).save(cover)
    page.goto("/contests/tiktok-2024-2025/")
    page.click("a:has-text('Enter the contest')")
    page.fill("#title", "Say no, politely")
    page.fill("#video_url", "https://www.tiktok.com/@clean.campus/video/7312345678901234567")
    page.set_input_files("#cover", str(cover))
    page.fill("#description", "A short scene about refusing a 'gift' before the exam.")
    page.click("button:has-text('Submit the entry')")
    assert "Entry submitted" in page.inner_text("main")
    assert re.search(r"E-[0-9A-Z]{6}", page.inner_text("main"))
    # The final quiz completes the course; the certificate downloads and verifies.
    page.goto("/quizzes/academic-honesty-final/")
    page.click("button:has-text('Start the quiz')")
    answer_quiz(page, "academic-honesty-final.toml")
    page.goto("/courses/academic-honesty/")
    assert "Completed on" in page.inner_text("main")
    with page.expect_download() as download:
        page.click("a:has-text('PDF')")
    path = tmp_path / "certificate.pdf"
    download.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF-")
    page.click("a:has-text('public verification page')")
    assert "Valid certificate" in page.inner_text("main")


def test_juror_journey(page_for):
    page = page_for("jury1@sanaly.test", width=1280)
    page.goto("/jury/")
    essay = page.locator("section", has_text="What I would change tomorrow")
    essay.locator("a").first.click()
    for field in page.query_selector_all("input[type=number]"):
        field.fill("7")
    page.fill("#comment", "A clear and practical proposal.")
    page.click("button:has-text('Seal my score')")
    assert "This cannot be undone" in page.inner_text("main")       # the confirmation step
    page.click("main .danger-button")
    assert "You sealed this score" in page.inner_text("main")
    page.goto("/jury/")
    assert "1 of" in page.locator("section", has_text="What I would change tomorrow").inner_text()


def test_curator_journey(page_for, tmp_path):
    page = page_for("curator@sanaly.test", width=1280)
    page.goto("/coverage/")
    assert "ЭЭ-24-1" in page.inner_text("main") and page.query_selector("svg.chart")
    page.click("a:has-text('ЭЭ-24-1')")
    assert "Who still owes the integrity hour" in page.inner_text("main")
    with page.expect_download() as download:
        page.click("a:has-text('Export CSV')")
    path = tmp_path / "coverage.csv"
    download.value.save_as(path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf") and path.read_text(encoding="utf-8-sig").startswith("Student,E-mail,")


def test_admin_journey(page_for, live_server):
    app, _base = live_server
    with app.app_context():      # the other jurors seal their essay scores first
        from sqlalchemy import select

        from app.contests import service
        from app.contests.models import Entry, JuryAssignment
        from app.extensions import db
        from app.core.clock import utcnow

        essay = service.contest_by_slug("essay-2024-2025")
        for assignment in db.session.execute(select(JuryAssignment).join(Entry).where(
                Entry.contest_id == essay.id, JuryAssignment.status == "active")).scalars().all():
            if assignment.score is None or assignment.score.sealed_at is None:
                service.save_score(assignment, assignment.juror, {c["key"]: 6 for c in essay.criteria}, "", "",
                                   seal=True, now=utcnow())
        db.session.remove()
    page = page_for("admin@sanaly.test", width=1280)
    page.goto("/admin/contests/essay-2024-2025/")
    page.click("button:has-text('Publish the results')")
    page.click("main .danger-button")                                # "Are you sure? This cannot be undone"
    assert "Results:" in page.inner_text("h1")
    assert "robust" in page.inner_text("main")
    page.goto("/admin/audit/")
    assert "The chain verifies" in page.inner_text("main")
    assert "results.published" in page.inner_text("main")


def test_survey_journey(page_for, live_server):
    """student1 answers the open wave once; the ACS publishes it and the charts appear."""
    open_key, _published = survey_waves(live_server[0])
    if open_key is None:
        pytest.skip("no wave of the demo's survey is open today (between the spring wave and the next year)")
    page = page_for("student1@sanaly.test")
    page.goto("/surveys/")
    page.click("a[href='/surveys/perception-survey-2024-2025/']")
    assert not check_accessibility(page)
    for fieldset in page.query_selector_all("fieldset.question"):
        choices = fieldset.query_selector_all("input[type=radio], input[type=checkbox]")
        if choices:
            choices[-1].check()
    page.fill("textarea", "Put every grading rule online before the session.")
    page.click("button:has-text('Send my answers')")
    assert "without your name" in page.inner_text(".flashes")
    page.goto("/surveys/perception-survey-2024-2025/")
    assert "You have answered" in page.inner_text("main")
    admin = page_for("admin@sanaly.test", width=1280)
    admin.goto("/admin/surveys/")
    perception = admin.locator("table", has=admin.locator(f"a[href='/surveys/perception-survey-2024-2025/results/{open_key}']"))
    assert "12" in perception.inner_text()
    admin.click(f"a[href='/surveys/perception-survey-2024-2025/results/{open_key}']")
    admin.click("button:has-text('Publish the results')")
    admin.click("main .danger-button")
    assert "are published" in admin.inner_text(".flashes")
    visitor = page_for(None)
    visitor.goto(f"/surveys/perception-survey-2024-2025/results/{open_key}")
    assert visitor.locator("svg.survey-chart").count() >= 8
    assert "project paper" in visitor.inner_text("main")


def test_report_journey(page_for):
    """An anonymous visitor reports, the ACS answers, the visitor reads the answer with code and passphrase."""
    visitor = page_for(None)
    visitor.goto("/report")
    visitor.check("input[value=exam]")
    visitor.fill("#what", "The examiner of the physics course hinted that a 'gift' would raise my grade.")
    visitor.click("button:has-text('Send the report')")
    code, passphrase = [c.inner_text() for c in visitor.query_selector_all("code.big")]
    admin = page_for("admin@sanaly.test", width=1280)
    admin.goto("/admin/reports/")
    admin.click(f"text={code}")
    admin.fill("#body", "Thank you. We are reviewing the physics examination.")
    admin.click("button:has-text('Send to the reporter')")
    admin.select_option("#status", "under review")
    admin.click("button:has-text('Save the status')")
    visitor.goto("/report/follow")
    visitor.fill("#code", code)
    visitor.fill("#passphrase", "WRONG-WRONG-WRONG-WRONG")
    visitor.click("button:has-text('Open the case')")
    assert "No case matches" in visitor.inner_text(".flashes")
    visitor.fill("#passphrase", passphrase)
    visitor.click("button:has-text('Open the case')")
    text = visitor.inner_text("main")
    assert "reviewing the physics examination" in text and "under review" in text
    assert not check_accessibility(visitor)


def test_main_pages_have_no_serious_accessibility_violations(page_for, live_server):
    open_key, published = survey_waves(live_server[0])
    pages = {
        None: ["/", "/login", "/contests/", "/contests/poem-2024-2025/results", "/audit", "/report", "/report/follow",
               "/reports/statistics", "/surveys/", "/club/", "/ideas/", "/ideas/1", "/media/"]
        + ([f"/surveys/perception-survey-2024-2025/results/{published}"] if published else []),
        "student2@sanaly.test": ["/courses/", "/courses/fundamentals-of-anti-corruption-culture/what-is-corruption",
                                 "/quizzes/integrity-hour/", "/profile", "/leaderboard", "/check-in"],
        "curator@sanaly.test": ["/coverage/", "/coverage/groups/1", "/club/manage"],
        "student3@sanaly.test": ["/club/", "/volunteering/", "/ideas/new", "/ring/"],
        "admin@sanaly.test": ["/admin/", "/admin/coverage/", "/admin/people", "/admin/plan/", "/admin/surveys/",
                              "/admin/reports/", "/events/"]
        + ([f"/admin/surveys/perception-survey-2024-2025/{open_key or published}/texts"] if open_key or published else []),
    }
    problems = {}
    for email, urls in pages.items():
        page = page_for(email, width=1280)
        for url in urls:
            page.goto(url)
            found = check_accessibility(page)
            if found:
                problems[url] = found
    assert problems == {}
