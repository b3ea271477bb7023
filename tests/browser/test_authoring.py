"""The editors through a real browser, on one demo instance (the module's live_server).

Issue 19's "done when" as one journey:

An ACS officer, with no file touched, prepares the 2025-2026 plan from 2024-2025, writes a lesson with a check
question and an image, a quiz with one question of each of the seven types and a draw rule, a contest with a
weighted rubric, a survey with a wave and a brain-ring set with a picture (all but the quiz in English and Kazakh);
each editor's mistakes come back at their field with nothing typed lost, each preview is checked with axe-core,
each item is published. Then a student, on a phone, sees and uses every one of them: reads the lesson in Kazakh
with the interface in Kazakh and passes its check, finds the contest in Kazakh and in English (its closing time
on the university's clock) open for entries, sits the quiz, answers the survey's wave and plays the new set in a
brain-ring game the officer hosts.

Only the accounts and the 2024-2025 plan come from the demo (the live_server fixture); everything else is typed.

Then *New course* and *New quiz* with their first lesson or question (mistakes come back at their fields with
nothing lost; a student then finds both), and the quiz editor's drafts: a question change and a settings change
drafted, previewed and published together as one new version of the quiz, which its history shows.
"""
import re
from datetime import timedelta

from PIL import Image
from playwright.sync_api import expect

from app.core.clock import today, utcnow
from app.core.localize import local_input
from browser.conftest import check_accessibility

PHONE = 390
# "The question is published." / "Published: students now get version 3 of the quiz." (quiz drafts)
PUBLISHED = re.compile("published", re.IGNORECASE)

LESSON = {
    "slug": "the-envelope",
    "title": "The envelope", "title-kk": "Конверт",
    "summary": "What to do when classmates collect money for a grade.",
    "summary-kk": "Курстастар баға үшін ақша жинағанда не істеу керек.",
    "markdown": "Before the exam, a classmate offers to \"collect money for the teacher\".\n\n"
                "## Why you say no\n\nThe money buys nothing you can use, and it makes you part of a bribe.",
    "markdown-kk": "Емтихан алдында курстасыңыз «оқытушыға» ақша жинауды ұсынады.\n\n"
                   "## Неге бас тартасыз\n\nБұл ақша сізді параның қатысушысы етеді.",
    "check-0-question": "A classmate collects money “for the teacher”. What is it?",
    "check-0-question-kk": "Курстасыңыз «оқытушыға» ақша жинайды. Бұл не?",
    "check-0-options": "A kind gesture\nA bribe",
    "check-0-options-kk": "Игі ниет\nПара",
    "check-0-answer": "2",
    "check-0-explanation": "Money for a grade is a bribe, whoever collects it.",
    "check-0-explanation-kk": "Баға үшін ақша — оны кім жинаса да, пара.",
}

# One question of each of the seven types, all in one category; the draw rule takes five of them an attempt.
QUIZ_CATEGORY, QUIZ_DRAW = "exam-week", 5
QUIZ_QUESTIONS = [
    {"key": "gift-before-exam", "type": "single", "text": "A student brings the examiner an expensive gift before the exam. What is it?",
     "options": "A polite custom\nA bribe\nA private matter", "answer": "2",
     "explanation": "A gift to the person who grades you, before the grade, is a bribe."},
    {"key": "what-is-corrupt", "type": "multiple", "text": "Which of these are corruption?",
     "options": "Paying for a grade\nDemanding money for a signature\nThanking a teacher in public", "answer": "1, 2",
     "explanation": "Both trade an official decision for money; a public thank-you trades nothing."},
    {"key": "giver-offends", "type": "true_false", "text": "A student who offers a bribe breaks the law too.",
     "answer": "true", "explanation": "Giving a bribe is an offence, not only taking one."},
    {"key": "share-asked", "type": "numeric", "text": "5 students of a group of 20 were asked for a gift. What percent is that?",
     "answer": "25", "tolerance": "0", "explanation": "5 of 20 is a quarter: 25%."},
    {"key": "one-word", "type": "short_text", "text": "One word: money given to sway a decision is a …",
     "accepted": "bribe", "explanation": "A bribe."},
    {"key": "match-terms", "type": "matching", "text": "Match each word with what it means.",
     "pairs": "Bribery = giving money for a decision\nExtortion = demanding money for a decision\n"
              "Conflict of interest = a private stake in an official decision",
     "explanation": "Three different wrongs; all three are reported to the ACS."},
    {"key": "what-to-do", "type": "ordering", "text": "Put what you do, when asked for money, in order.",
     "items": "Refuse\nWrite down what happened\nReport it to the ACS",
     "explanation": "Refuse first; a written note makes the report useful."},
]
QUIZ = {"slug": "exam-week-check", "title": "Exam week check",
        "description": "Five questions on what to do when a grade is for sale."}

CONTEST = {"slug": "integrity-poster", "title": "Poster: integrity is…", "title-kk": "Плакат: адалдық дегеніміз…",
           "brief": "Draw or write **one page** on what integrity looks like in a university.",
           "brief-kk": "Университеттегі адалдық туралы **бір бет** жазыңыз немесе салыңыз.",
           "prize": "A diploma and a book"}
SURVEY = {"slug": "exam-week-pulse", "title": "Exam week pulse", "question": "Did anyone ask you for a gift before an exam?",
          "question-kk": "Емтихан алдында сізден сыйлық сұрады ма?"}
RING = {"slug": "exam-week-ring", "title": "Exam week ring", "question": "What is shown?",
        "options": "A gift\nA bribe\nA receipt", "question-kk": "Суретте не бар?"}


def _picture(tmp_path):
    path = tmp_path / "envelope.png"
    Image.new("RGB", (64, 48), (180, 40, 40)).save(path, "PNG")
    return path


def _moment(days: int) -> str:
    """A moment `days` from now as typed into the form: on the university's clock."""
    return local_input(utcnow() + timedelta(days=days))


def _fits_a_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE, f"{page.url} scrolls sideways on a phone"


def _published(page) -> None:
    expect(page.locator(".flash", has_text="Published").first).to_be_visible()


# The officer ----------------------------------------------------------------------------------------------------

def prepare_the_next_plan_year(page) -> None:
    """2025-2026 from 2024-2025: the copied terms move by a year and show the periods they parse to."""
    page.goto("/admin/plan/ktu-2024-2025")
    page.click("text=Prepare next year")
    expect(page.locator("h1")).to_have_text("Prepare next year from 2024-2025")
    expect(page.locator("#slug")).to_have_value("ktu-2025-2026")
    expect(page.locator("[id='term-2.2']")).to_have_value("September 2025 (from 01 to 15)")
    page.click("button[value=check]")
    expect(page.locator("tr", has_text="Organizing a single hour").locator("ol.periods li").first).to_contain_text(
        "2025-09-01")
    page.click("button[value=create]")
    page.wait_for_url("**/admin/plan/ktu-2025-2026")
    expect(page.locator(".flash", has_text="Plan 2025-2026 created")).to_be_visible()
    expect(page.locator("h1")).to_have_text("Anti-corruption plan 2025-2026")


def write_the_lesson(page, picture) -> None:
    """A lesson with a check question and an image, in English and Kazakh, previewed in both, published."""
    page.goto("/authoring/")
    page.click("text=Academic honesty for first-year students")
    page.click("text=Write a new lesson")
    expect(page.locator("h1")).to_have_text("New lesson")
    for name, value in LESSON.items():
        if name != "markdown-kk":
            page.fill(f"#{name}", value)
    page.set_input_files("#image", str(picture))
    page.fill("#image-alt", "An envelope with money")
    page.click("button[value=upload]")
    expect(page.locator("#markdown")).to_have_value(re.compile(r"!\[An envelope with money\]\(images/"))
    expect(page.locator("#check-0-explanation-kk")).to_have_value(LESSON["check-0-explanation-kk"])  # nothing lost
    expect(page.locator("text=Not yet in Русский")).to_be_visible()

    page.click("button[value=publish]")          # a Kazakh title without its text: the loader's rule, at the field
    expect(page.locator("#markdown-kk-error")).to_contain_text("no text")
    expect(page.locator("#check-0-explanation")).to_have_value(LESSON["check-0-explanation"])
    page.fill("#markdown-kk", LESSON["markdown-kk"])

    page.click(".actions button[value=preview-]")
    preview = page.locator("aside.preview")
    expect(preview.locator("h2", has_text="Why you say no")).to_be_visible()
    expect(preview.locator("img[alt='An envelope with money']")).to_be_visible()
    assert preview.locator("img[alt='An envelope with money']").evaluate("img => img.naturalWidth") == 64
    expect(preview).to_contain_text(LESSON["check-0-question"])
    assert check_accessibility(page) == []
    page.click(".actions button[value=preview-kk]")
    expect(page.locator("aside.preview h1")).to_have_text("Конверт")
    expect(page.locator("aside.preview")).to_contain_text(LESSON["check-0-question-kk"])
    expect(page.locator("aside.preview .checks h2")).to_have_text("Өзіңізді тексеріңіз")   # the page's words too

    page.click("button[value=publish]")
    page.wait_for_url("**/authoring/courses/academic-honesty/")
    _published(page)
    row = page.locator("tr", has_text="The envelope")
    expect(row.locator(".tag-ok", has_text="kk")).to_be_visible()


def _fill_question(page, question: dict) -> None:
    page.select_option("#type", question["type"])
    page.fill("#category", QUIZ_CATEGORY)
    for name, value in question.items():
        if name != "type":
            page.fill(f"#{name}", value)


def create_the_quiz(page) -> None:
    """*New quiz*: its settings and first question, previewed as a student sees it, then published."""
    page.goto("/authoring/")
    page.click("text=New quiz")
    expect(page.locator("h1")).to_have_text("New quiz")
    page.fill("#slug", QUIZ["slug"])
    page.fill("#title", QUIZ["title"])
    page.fill("#description", QUIZ["description"])
    page.select_option("#audience", "students")
    page.fill("#attempts", "2")
    page.fill("#pass_percent", "60")
    page.fill("#questions_per_page", "3")
    _fill_question(page, QUIZ_QUESTIONS[0])
    page.click(".actions button[value=preview]")
    preview = page.locator("section.preview")
    expect(preview.locator("legend")).to_contain_text(QUIZ_QUESTIONS[0]["text"])
    expect(preview.locator("label.check")).to_have_count(3)
    page.click("button[value=publish]")
    page.wait_for_url(f"**/authoring/quizzes/{QUIZ['slug']}/settings")
    _published(page)


# How the item bank names each type.
TYPE_NAMES = {"single": "single choice", "multiple": "multiple choice", "true_false": "true or false",
              "numeric": "a number", "short_text": "short text", "matching": "matching", "ordering": "ordering"}


def write_the_quiz_questions(page, slug: str, questions: list[dict]) -> None:
    """Questions through the question editor, each published into the bank; the preview of the matching one."""
    for question in questions:
        page.goto(f"/authoring/quizzes/{slug}/settings")
        page.click("text=Write a new question")
        expect(page.locator("h1")).to_have_text("New question")
        _fill_question(page, question)
        page.get_by_role("button", name="Publish", exact=True).click()
        expect(page.locator(".flash", has_text=PUBLISHED)).to_be_visible()
        expect(page.locator(f"#item-{question['key']}")).to_contain_text(TYPE_NAMES[question["type"]])
    page.locator(f"#item-{QUIZ_QUESTIONS[5]['key']} a").first.click()    # the matching question, as a student sees it
    preview = page.locator("section.preview")
    expect(preview.locator("legend")).to_contain_text(QUIZ_QUESTIONS[5]["text"])
    expect(preview.locator("div.pair")).to_have_count(3)


def publish_the_draw_rule(page, slug: str) -> None:
    """One draw rule: five of the seven questions of the category, at random, each attempt."""
    page.goto(f"/authoring/quizzes/{slug}/settings")
    rows = page.locator("table.draw-rules tbody tr")
    expect(rows).to_have_count(1)                                   # a new quiz draws every question: no rule yet
    page.fill("#draw-category-0", QUIZ_CATEGORY)
    page.fill("#draw-count-0", str(QUIZ_DRAW))
    page.locator("section[aria-labelledby=draw-title] form button.button:not(.secondary)").click()   # Publish
    expect(page.locator(".flash", has_text=PUBLISHED)).to_be_visible()
    expect(page.locator("#draw-category-0")).to_have_value(QUIZ_CATEGORY)


def write_the_quiz(page) -> str:
    """*New quiz* with the first question; the other six types through the question editor; a draw rule."""
    create_the_quiz(page)
    write_the_quiz_questions(page, QUIZ["slug"], QUIZ_QUESTIONS[1:])
    publish_the_draw_rule(page, QUIZ["slug"])
    return QUIZ["slug"]


def write_the_contest(page) -> str:
    """A contest with a weighted rubric, in English and Kazakh: bad input is refused at its field, the previews show
    the rubric in both languages. Returns its closing moment as typed (on the university's clock)."""
    page.goto("/authoring/")
    page.click("text=New contest")
    page.fill("#slug", CONTEST["slug"])
    page.fill("#title", CONTEST["title"])
    page.fill("#brief", CONTEST["brief"])
    page.select_option("#kind", "essay")
    page.fill("#submissions_open", _moment(-1))
    closes = _moment(20)
    page.fill("#submissions_close", closes)
    page.fill("#judging_close", _moment(30))
    page.fill("#min_words", "50")
    page.fill("#max_words", "400")
    page.fill("#places", "1")
    page.fill("#criterion-0-key", "idea")
    page.fill("#criterion-0-title", "Idea")
    page.fill("#criterion-0-weight", "3")
    page.fill("#criterion-0-scale", "10")
    page.click(".actions button[value=preview-]")                    # a second criterion's row appears
    expect(page.locator("#criterion-0-weight")).to_have_value("3")
    page.fill("#criterion-1-key", "craft")
    page.fill("#criterion-1-title", "Craft")
    page.fill("#criterion-1-weight", "0")
    page.fill("#criterion-1-scale", "5")
    page.fill("#place-1-prize", CONTEST["prize"])
    page.click("button[value=publish]")
    expect(page.locator("#criterion-1-weight-error")).to_contain_text("must be a positive number")
    expect(page.locator("#place-1-prize")).to_have_value(CONTEST["prize"])
    expect(page.locator("#brief")).to_have_value(CONTEST["brief"])
    page.fill("#criterion-1-weight", "1")
    page.click(".actions button[value=preview-]")
    preview = page.locator("aside.preview")
    expect(preview.locator("h1", has_text=CONTEST["title"])).to_be_visible()
    expect(preview.locator(".rubric li", has_text="Idea")).to_contain_text("weight 3")
    expect(preview.locator("strong", has_text="one page")).to_be_visible()
    expect(page.locator("text=Not yet in Қазақша")).to_be_visible()

    page.fill("#title-kk", CONTEST["title-kk"])
    page.fill("#brief-kk", CONTEST["brief-kk"])
    page.fill("#criterion-0-title-kk", "Идея")
    page.fill("#criterion-1-description-kk", "Орындалуы")       # a description without its title: the loader's rule
    page.click("button[value=publish]")
    expect(page.locator("#criterion-1-title-kk-error")).to_contain_text("must not be empty")
    page.fill("#criterion-1-title-kk", "Шеберлік")
    page.click(".actions button[value=preview-kk]")
    preview = page.locator("aside.preview")
    expect(preview.locator("h1", has_text=CONTEST["title-kk"])).to_be_visible()
    expect(preview.locator(".rubric strong", has_text="Шеберлік")).to_be_visible()
    expect(preview.locator("strong", has_text="бір бет")).to_be_visible()
    assert check_accessibility(page) == []
    page.click("button[value=publish]")
    page.wait_for_url(f"**/authoring/contests/{CONTEST['slug']}/edit")
    _published(page)
    expect(page.locator("#criterion-0-weight")).to_have_value("3")
    expect(page.locator("#submissions_close")).to_have_value(closes)          # shown back as it was typed
    return closes


def write_the_survey(page, day) -> None:
    """A survey with one open wave and two questions, the first in Kazakh too, previewed and published."""
    page.goto("/authoring/")
    page.click("text=New survey")
    page.fill("#slug", SURVEY["slug"])
    page.fill("#title", SURVEY["title"])
    page.fill("#title-kk", "Емтихан аптасы")
    page.fill("#description", "Two questions, no names.")
    page.fill("#wave-0-title", "This week")
    page.fill("#wave-0-opens", (day + timedelta(days=3)).isoformat())
    page.fill("#wave-0-closes", day.isoformat())                    # before it opens: the loader says so at the field
    page.select_option("#q-0-type", "single")
    page.fill("#q-0-text", SURVEY["question"])
    page.fill("#q-0-options", "No\nYes")
    page.fill("#q-0-text-kk", SURVEY["question-kk"])
    page.fill("#q-0-options-kk", "Жоқ\nИә")
    page.click("button[value=publish]")
    expect(page.locator("#wave-0-closes-error")).to_contain_text("must not be before opens")
    expect(page.locator("#q-0-options-kk")).to_have_value("Жоқ\nИә")          # nothing typed is lost
    page.fill("#wave-0-opens", (day - timedelta(days=1)).isoformat())
    page.fill("#wave-0-closes", (day + timedelta(days=7)).isoformat())
    page.click(".actions button[value=preview-]")                    # the second question's row appears
    page.select_option("#q-1-type", "scale")
    page.fill("#q-1-text", "How fair were your exams?")
    page.fill("#q-1-points", "5")
    page.fill("#q-1-labels", "Not at all\nCompletely")
    page.click(".actions button[value=preview-]")
    preview = page.locator("aside.preview")
    expect(preview.locator("legend", has_text=SURVEY["question"])).to_be_visible()
    expect(preview.locator("legend", has_text="How fair were your exams?")).to_be_visible()
    page.click(".actions button[value=preview-kk]")
    preview = page.locator("aside.preview")
    expect(preview.locator("legend", has_text=SURVEY["question-kk"])).to_be_visible()
    expect(preview.locator("label", has_text="Иә")).to_be_visible()
    expect(preview.locator("legend", has_text="How fair were your exams?")).to_be_visible()   # not translated: as written
    expect(preview).to_contain_text("Жауаптарымды жіберу")          # "Send my answers", as a Kazakh reader sees it
    assert check_accessibility(page) == []
    page.click("button[value=publish]")
    page.wait_for_url(f"**/authoring/surveys/{SURVEY['slug']}/edit")
    _published(page)


def write_the_ring_set(page, picture) -> None:
    """A brain-ring set with a picture, in English and Kazakh, previewed as the projector shows it, published; hosts
    can choose it."""
    page.goto("/authoring/")
    page.click("text=New brain-ring set")
    page.fill("#slug", RING["slug"])
    page.fill("#title", RING["title"])
    page.fill("#title-kk", "Емтихан аптасының рингі")
    page.fill("#q-0-text", RING["question"])
    page.fill("#q-0-options", RING["options"])
    page.fill("#q-0-answer", "2")
    page.fill("#q-0-seconds", "60")
    page.fill("#q-0-text-kk", RING["question-kk"])
    page.fill("#q-0-options-kk", "Сыйлық\nПара")              # one option short: the translation rule, at the field
    page.set_input_files("#q-0-upload", str(picture))
    page.click(".actions button[value=preview-]")
    expect(page.locator("#q-0-options-kk-error")).to_contain_text("3 entries")
    expect(page.locator("#q-0-text-kk")).to_have_value(RING["question-kk"])
    page.fill("#q-0-options-kk", "Сыйлық\nПара\nТүбіртек")
    page.click(".actions button[value=preview-]")                    # the picture uploaded before is kept
    preview = page.locator("aside.preview")
    expect(preview.locator(".ring-question", has_text=RING["question"])).to_be_visible()
    expect(preview.locator("img.ring-image")).to_be_visible()
    assert preview.locator("img.ring-image").evaluate("img => img.naturalWidth") == 64
    expect(preview.locator("button.pad")).to_have_count(3)
    page.click("button[value=publish]")
    page.wait_for_url(f"**/authoring/brainring/{RING['slug']}/edit")
    _published(page)


# The student ----------------------------------------------------------------------------------------------------

def read_the_lesson_in_kazakh(student) -> None:
    """The new lesson is in the course; in Kazakh, with the interface in Kazakh, its check is passed."""
    student.goto("/courses/academic-honesty/")
    student.click("text=The envelope")
    expect(student.locator("h1", has_text="The envelope")).to_be_visible()
    expect(student.locator("img[alt='An envelope with money']")).to_be_visible()
    _fits_a_phone(student)
    student.locator("footer").get_by_text("Қазақша").click()
    expect(student.locator("html")).to_have_attribute("lang", "kk")
    student.goto("/courses/academic-honesty/the-envelope")
    expect(student.locator("h1", has_text="Конверт")).to_be_visible()
    expect(student.locator("h2", has_text="Неге бас тартасыз")).to_be_visible()
    student.get_by_label("Пара", exact=True).check()
    student.get_by_role("button", name="Жауаптарымды тексеру").click()           # "Check my answers", in Kazakh
    expect(student.locator("#check .notice-ok")).to_be_visible()                 # every answer is right
    expect(student.locator("#check p.right")).to_contain_text(LESSON["check-0-explanation-kk"])
    _fits_a_phone(student)


def find_the_contest_in_kazakh(student) -> None:
    """Still in Kazakh: the contest speaks it, rubric included; then back to English."""
    student.goto(f"/contests/{CONTEST['slug']}/")
    expect(student.locator("h1", has_text=CONTEST["title-kk"])).to_be_visible()
    expect(student.locator(".rubric strong", has_text="Шеберлік")).to_be_visible()
    student.locator("footer").get_by_text("English").click()
    expect(student.locator("html")).to_have_attribute("lang", "en")


def _answer(fieldset, question: dict) -> None:
    """Answer one question of the attempt rightly, from what the officer typed."""
    kind = question["type"]
    labels = {label.inner_text().strip(): label for label in fieldset.query_selector_all("label.check")}
    if kind in ("single", "multiple"):
        options = question["options"].splitlines()
        for number in question["answer"].replace(",", " ").split():
            labels[options[int(number) - 1]].click()
    elif kind == "true_false":
        labels["True"].click()
    elif kind in ("numeric", "short_text"):
        fieldset.query_selector("input[type=text]").fill(question["answer" if kind == "numeric" else "accepted"])
    elif kind == "matching":
        pairs = dict(line.split(" = ", 1) for line in question["pairs"].splitlines())
        for pair in fieldset.query_selector_all("div.pair"):
            pair.query_selector("select").select_option(label=pairs[pair.query_selector("label").inner_text().strip()])
    else:
        items = question["items"].splitlines()
        for pair in fieldset.query_selector_all("div.pair"):
            place = items.index(pair.query_selector("label").inner_text().strip()) + 1
            pair.query_selector("select").select_option(label=str(place))


def sit_the_quiz(student, title: str) -> None:
    """The quiz is listed; an attempt draws five of the seven questions; all answered rightly scores 100%."""
    student.goto("/quizzes/")
    student.click(f"text={title}")
    expect(student.locator("h1")).to_contain_text(title)
    _fits_a_phone(student)
    student.click("button:has-text('Start the quiz')")
    by_text = {question["text"]: question for question in QUIZ_QUESTIONS}
    shown = []
    while True:
        student.wait_for_selector("fieldset.question")
        for fieldset in student.query_selector_all("fieldset.question"):
            text = fieldset.query_selector("legend").inner_text().split(". ", 1)[1].strip()
            shown.append(text)
            _answer(fieldset, by_text[text])
        _fits_a_phone(student)
        finish = student.query_selector("button[value='finish']")
        if finish:
            finish.click()
            break
        with student.expect_navigation():
            student.click("button:has-text('Next page')")
    student.click("button:has-text('Submit my answers')")
    expect(student.locator("h1")).to_contain_text("Attempt 1: 100%")
    assert len(shown) == len(set(shown)) == QUIZ_DRAW, shown


def find_the_contest_open(student, closes: str) -> None:
    """The contest is listed, shows its weighted rubric, prize and closing time (on the university's clock, as the
    officer typed it), and takes entries."""
    student.goto("/contests/")
    student.click(f"text={CONTEST['title']}")
    expect(student.locator("h1", has_text=CONTEST["title"])).to_be_visible()
    expect(student.locator(".rubric li", has_text="Idea")).to_contain_text("weight 3")
    expect(student.locator(".rubric li", has_text="Craft")).to_contain_text("weight 1")
    expect(student.locator(f"text={CONTEST['prize']}")).to_be_visible()
    expect(student.locator("dd", has_text=closes.replace("T", " ") + " (UTC+5)")).to_be_visible()
    _fits_a_phone(student)
    student.click("a:has-text('Enter the contest')")
    expect(student.locator("main form")).to_be_visible()
    _fits_a_phone(student)


def answer_the_survey(student) -> None:
    """The survey's open wave is listed and answered once."""
    student.goto("/surveys/")
    survey = student.locator("section.panel", has_text=SURVEY["title"])
    expect(survey).to_contain_text("This week")
    survey.locator("a", has_text="Answer the survey").click()
    expect(student.locator("legend", has_text=SURVEY["question"])).to_be_visible()
    _fits_a_phone(student)
    student.get_by_label("No", exact=True).check()
    student.locator(".scale-point", has_text="4").click()
    student.click("text=Send my answers")
    expect(student.locator(".flash", has_text="Thank you")).to_be_visible()
    student.goto("/surveys/")
    expect(student.locator("section.panel", has_text=SURVEY["title"])).to_contain_text("You have answered this wave")


def play_the_ring_set(officer, student) -> None:
    """The officer opens a game of the new set; the student joins on the phone and answers its question rightly."""
    officer.goto("/ring/")
    option = officer.locator("#set option", has_text=RING["title"])
    expect(option).to_have_count(1)
    officer.select_option("#set", option.get_attribute("value"))
    officer.click("form[action$='/ring/new'] button")
    officer.wait_for_url(re.compile(r".*/ring/\w+/host$"))
    code = officer.url.split("/")[-2]
    student.goto("/ring/")
    student.fill("#code", code)
    student.click("main form button:has-text('Join')")
    expect(student.locator(".ring-pad #team")).to_be_visible()
    officer.click(f"form[action$='/ring/{code}/next'] button")
    expect(officer.locator(".ring-screen")).to_contain_text(RING["question"])
    expect(student.locator("button.pad")).to_have_count(3, timeout=15000)    # the pad's poll brings the question
    _fits_a_phone(student)
    student.locator("button.pad", has_text="B").click()
    expect(student.locator(".ring-pad")).to_contain_text("Your answer: B")
    officer.click(f"form[action$='/ring/{code}/reveal'] button")
    expect(student.locator(".ring-pad")).to_contain_text("Right!", timeout=15000)


def the_editors_fit_a_phone(page, quiz: str) -> None:
    """What the officer used, on a phone: nothing scrolls sideways."""
    for path in ("/authoring/", "/authoring/courses/academic-honesty/",
                 f"/authoring/courses/academic-honesty/lessons/{LESSON['slug']}/edit",
                 f"/authoring/quizzes/{quiz}/settings", f"/authoring/quizzes/{quiz}/questions/new",
                 f"/authoring/quizzes/{quiz}/questions/{QUIZ_QUESTIONS[5]['key']}/edit",
                 f"/authoring/contests/{CONTEST['slug']}/edit", f"/authoring/surveys/{SURVEY['slug']}/edit",
                 f"/authoring/brainring/{RING['slug']}/edit", "/admin/plan/ktu-2025-2026"):
        page.goto(path)
        assert page.url.endswith(path), path
        _fits_a_phone(page)


# The journey ----------------------------------------------------------------------------------------------------

def test_an_officer_prepares_the_next_year_in_the_browser_and_a_student_uses_all_of_it(page_for, live_server,
                                                                                        tmp_path):
    app, _base = live_server
    with app.app_context():
        day = today()
    picture = _picture(tmp_path)
    officer = page_for("admin@sanaly.test", width=1400)

    prepare_the_next_plan_year(officer)
    write_the_lesson(officer, picture)
    quiz = write_the_quiz(officer)
    closes = write_the_contest(officer)
    write_the_survey(officer, day)
    write_the_ring_set(officer, picture)

    officer.goto("/authoring/")                      # every new item is listed with the browser as its source
    for slug in (quiz, CONTEST["slug"], SURVEY["slug"], RING["slug"]):
        expect(officer.locator("tr", has_text=slug)).to_contain_text("the browser")

    student = page_for("student1@sanaly.test", width=PHONE)
    read_the_lesson_in_kazakh(student)
    find_the_contest_in_kazakh(student)
    sit_the_quiz(student, QUIZ["title"])
    find_the_contest_open(student, closes)
    answer_the_survey(student)
    play_the_ring_set(officer, student)

    the_editors_fit_a_phone(page_for("admin@sanaly.test", width=PHONE), quiz)


# New course and New quiz ----------------------------------------------------------------------------------------


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


# The quiz editor's drafts ---------------------------------------------------------------------------------------

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
