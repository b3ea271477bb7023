"""The content linter (`load-content --check`): each rule fires on a small fixture, and the shipped content passes."""
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.cli import check_content
from app.core import lint
from app.extensions import db
from app.quizzes.models import Quiz

ROOT = Path(__file__).resolve().parent.parent

def single(key, text, options, answer, **extra):
    return {"key": key, "type": "single", "text": text, "options": options, "answer": answer, **extra}


# --- option length -------------------------------------------------------------------------------

def test_the_bias_test_is_the_binomial_tail():
    assert lint.chance_of_at_least(5, [0.25] * 6) == pytest.approx(6 * 0.25 ** 5 * 0.75 + 0.25 ** 6)   # 0.0046
    assert lint.chance_of_at_least(0, [0.25] * 6) == pytest.approx(1.0)
    assert lint.chance_of_at_least(2, [0.5, 0.25]) == pytest.approx(0.125)


def test_a_bank_whose_right_option_is_mostly_the_longest_is_reported():
    telling = [(["No", "Maybe", "The long and careful right answer", "Yes"], 2)] * 5 + [(["a", "bb", "c", "d"], 0)]
    (finding,) = lint.option_length_bias("quizzes/q.toml", telling)
    assert finding.rule == "option-length" and "5 of 6" in str(finding)


def test_a_bank_whose_right_option_is_mostly_the_shortest_is_reported_too():
    trimmed = [(["Yes", "A long and plausible wrong option", "Another long wrong option", "A third wrong one"], 0)] * 6
    (finding,) = lint.option_length_bias("quizzes/q.toml", trimmed)
    assert "uniquely shortest in 6 of 6" in finding.problem


def test_a_bank_whose_right_option_is_as_often_short_as_long_passes():
    fair = [(["Short", "A middling one", "The longest of the four", "Tiny"], answer) for answer in (0, 1, 2, 3, 0, 1)]
    assert lint.option_length_bias("quizzes/q.toml", fair) == []
    tied = [(["same", "size", "here", "four"], 0)] * 10            # no uniquely longest option: nothing to give away
    assert lint.option_length_bias("quizzes/q.toml", tied) == []


# --- duplicates ----------------------------------------------------------------------------------

HOTLINE = single("hotline", "Which number is the national anti-corruption call centre?", ["102", "1424", "112"], 1)
REWORDED = single("call-centre", "Which number is the anti-corruption call centre, nationally?",
                  ["1414", "103", "1424"], 2)                        # new wrong options, the same question and answer
OTHER = single("gift", "May a civil servant accept a gift of any value for an act that benefits the giver?",
               ["Yes, a symbolic one", "No, of no value at all"], 1)


def test_the_same_item_in_banks_for_different_activities_is_reported():
    (finding,) = lint.duplicate_items([("quizzes/a.toml", "plan activity 2.2", [HOTLINE, OTHER]),
                                       ("quizzes/b.toml", "plan activity 2.1", [REWORDED])])
    assert finding.rule == "duplicate" and "hotline" in finding.where and "call-centre" in str(finding)
    assert lint.item_similarity(HOTLINE, REWORDED) >= lint.DUPLICATE_SIMILARITY > lint.item_similarity(HOTLINE, OTHER)


def test_banks_for_the_same_activity_may_share_an_item():
    assert lint.duplicate_items([("quizzes/a.toml", "plan activity 2.2", [HOTLINE]),
                                 ("quizzes/b.toml", "plan activity 2.2", [REWORDED])]) == []


# --- translations --------------------------------------------------------------------------------

def test_a_text_without_its_kazakh_or_russian_version_is_reported():
    question = dict(HOTLINE, explanation="Free, around the clock.",
                    translations={"kk": {"text": "Қай нөмір?", "options": ["102", "1424", "112"], "explanation": "Тегін."},
                                  "ru": {"text": "Какой номер?", "options": ["102", "1424", "112"]}})
    top = {"kk": {"title": "Тест"}, "ru": {"title": "Тест", "description": "Описание"}}
    findings = lint.missing_translations("quizzes/q.toml", top, {"title": "Quiz", "description": "About"}, [question])
    assert sorted(str(f) for f in findings) == [
        "quizzes/q.toml: description: no Kazakh text [translation]",
        "quizzes/q.toml: hotline: no Russian explanation [translation]"]
    assert lint.missing_translations("quizzes/q.toml", {}, {"title": "Quiz"}, [])[0].problem == "has no Kazakh version"


def test_a_translation_under_half_the_original_is_reported():
    assert lint.short_translation("x.ru.md", "ru", 1000, 499)[0].rule == "translation"
    assert lint.short_translation("x.ru.md", "ru", 1000, 500) == []
    assert lint.missing_lesson_translations("x.md", {"ru"})[0].problem == "has no Kazakh version"


# --- retakes -------------------------------------------------------------------------------------

def quiz_spec(draw, sizes, **settings):
    questions = [single(f"{category}-{n}", "?", ["a", "b"], 0, category=category)
                 for category, size in sizes.items() for n in range(size)]
    return {"feedback": "after_attempt", "attempts_allowed": 2, "draw": draw, "questions": questions, **settings}


def test_a_quiz_that_shows_answers_and_cannot_draw_fresh_questions_is_reported():
    assert "same questions" in lint.fresh_retakes("q", quiz_spec([], {"x": 10}))[0].problem
    (finding,) = lint.fresh_retakes("q", quiz_spec([{"category": "x", "count": 4}, {"category": "y", "count": 3}],
                                                   {"x": 8, "y": 5}))
    assert "'y' draws 3 of 5" in finding.problem


def test_a_quiz_with_room_for_fresh_retakes_or_no_answers_shown_passes():
    assert lint.fresh_retakes("q", quiz_spec([{"category": "x", "count": 4}], {"x": 8})) == []
    assert lint.fresh_retakes("q", quiz_spec([], {"x": 10}, feedback="after_close")) == []
    assert lint.fresh_retakes("q", quiz_spec([], {"x": 10}, attempts_allowed=1)) == []


# --- lessons -------------------------------------------------------------------------------------

def lesson(words=650, case="## Case study: the handout", discussion="## Discussion questions", notes=""):
    return "Intro.\n\n" + " ".join(["word"] * words) + f"\n\n{case}\n\nText.\n\n{discussion}\n\n1. Why?\n\n{notes}"


def test_a_short_lesson_is_reported():
    assert lint.lesson_words("l.md", lesson(words=500))[0].rule == "length"
    assert lint.lesson_words("l.md", lesson()) == []


def test_a_lesson_without_a_case_or_discussion_questions_is_reported_in_every_language():
    assert [f.rule for f in lint.lesson_sections("l.md", lesson(case="## Summary", discussion="## More"))] == [
        "case", "discussion"]
    assert lint.lesson_sections("l.kk.md", lesson(case="## Жағдаят: үлестірме", discussion="## Талқылауға сұрақтар")) == []
    assert lint.lesson_sections("l.ru.md", lesson(case="## Кейс: методичка", discussion="## Вопросы для обсуждения")) == []


def test_a_footnote_without_an_official_source_is_reported():
    notes = "\n".join([
        "[^1]: Law No. 410-V, https://adilet.zan.kz/eng/docs/Z1500000410",
        "[^2]: The Agency, https://www.gov.kz/memleket/entities/anticorruption",
        "[^3]: Sanaly urpaq project paper, section 1.",
        "[^4]: University anti-corruption plan 2024–2025, activity 2.2.",
        "[^5]: A regional news site, https://korem.kz/news/1",
        "[^6]: As summarised by egov.kz and korem.kz.",
        "[^7]: A look-alike, https://adilet.zan.kz.example.com/page",
        "[^8]: UNCAC,",
        "    https://www.unodc.org/unodc/en/corruption/uncac.html",
    ])
    labels = [f.where.rsplit("[^", 1)[1] for f in lint.footnote_sources("l.md", lesson(notes=notes))]
    assert labels == ["5]", "6]", "7]"]


def test_draft_notes_are_reported():
    notes = "[^1]: Law No. 410-V, https://adilet.zan.kz/x — not checked for this lesson.\n[^2]: https://adilet.zan.kz/y тексеру керек"
    findings = lint.draft_markers("l.md", lesson(notes=notes) + "\nTODO: add the 2025 figures\n")
    assert [f.where for f in findings[:2]] == ["l.md: [^1]", "l.md: [^2]"]
    assert len(findings) == 3 and "TODO" in findings[2].problem
    assert lint.draft_markers("l.md", lesson() + "\nA first draft of your essay is yours to check.\n") == []


# --- the command and the shipped content -----------------------------------------------------------

def test_the_check_reports_a_biased_bank_and_loads_nothing(app, runner, tmp_path):
    (tmp_path / "quizzes").mkdir()
    questions = "".join(f'\n[[questions]]\nkey = "q{n}"\ntype = "single"\ntext = "Question {n}?"\n'
                        f'options = ["No", "Yes", "The long and careful right answer"]\nanswer = 2\n' for n in range(6))
    (tmp_path / "quizzes" / "biased.toml").write_text('title = "Biased"\nattempts = 1\n' + questions, encoding="utf-8")
    app.config["CONTENT_FOLDER"] = str(tmp_path)
    result = runner.invoke(args=["load-content", "--check"])
    assert result.exit_code == 1
    assert "quizzes/biased.toml: the right option is the uniquely longest in 6 of 6" in result.output
    assert "has no Kazakh version" in result.output
    assert db.session.scalar(select(func.count()).select_from(Quiz)) == 0


def test_the_shipped_question_banks_pass_the_linter(app):
    findings, unreadable = check_content(ROOT)
    assert unreadable == []
    assert [str(f) for f in findings if not f.where.startswith("courses/")] == []


def test_the_shipped_lessons_pass_the_linter(app):
    findings, _unreadable = check_content(ROOT)
    assert [str(f) for f in findings if f.where.startswith("courses/")] == []
