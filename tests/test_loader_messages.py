"""The content loaders' problems in the reader's language: at the editor's field in Kazakh or Russian, in English
on the command line, and the code that acts on a problem asks its code, never its words."""
import io
import re
import shutil
from pathlib import Path

import pytest
from flask import render_template_string
from flask_babel import force_locale, lazy_gettext as _l
from markupsafe import escape
from sqlalchemy import select

from app.authoring import quizzes as quiz_editor
from app.authoring import surveys as survey_editor
from app.core.content import DUPLICATE, ContentError, TomlReader
from app.extensions import db
from app.quizzes.models import Quiz
from app.surveys.models import Survey, SurveyTaker
from test_authoring_contests import new_contest_fields
from test_authoring_editor import NEW_LESSON, officer  # noqa: F401  (officer is a fixture)
from test_authoring_ring import NEW as NEW_RING
from test_authoring_surveys import NEW as NEW_SURVEY

ROOT = Path(__file__).resolve().parent.parent


def reading_in(person, language: str) -> None:
    person.language = language
    db.session.commit()


def _quiz_settings() -> dict:
    quiz = db.session.execute(select(Quiz).where(Quiz.slug == "integrity-hour")).scalar_one()
    return {**quiz_editor.settings_of(quiz), "opens": "2021-01-01T09:00", "closes": "2020-01-01T09:00"}


def _plan_upload() -> dict:
    broken = (ROOT / "plans" / "ktu-2024-2025.toml").read_text(encoding="utf-8").replace(
        'population = "students"', 'population = "pupils"', 1)
    return {"plan_file": (io.BytesIO(broken.encode()), "ktu-2024-2025.toml")}


# (kind, address, form, field, {language: words the loader's problem reads in it})
EDITORS = [
    ("course", "/authoring/courses/academic-honesty/lessons/new",
     lambda: {**NEW_LESSON, "check-0-options": "Only one option", "check-0-answer": "1", "action": "publish"},
     "check-0-options", {"kk": "мәтін түріндегі кемінде екі нұсқа болуы керек",
                         "ru": "должно содержать не менее двух вариантов в виде текста"}),
    ("quiz", "/authoring/quizzes/integrity-hour/settings", _quiz_settings,
     "closes", {"kk": "opens мәнінен кейін болуы керек", "ru": "должно быть позже opens"}),
    ("survey", "/authoring/surveys/new", lambda: {**NEW_SURVEY, "q-2-points": "9", "action": "publish"},
     "q-2-points", {"kk": "ең көбі 7 болуы керек", "ru": "должно быть не больше 7"}),
    ("contest", "/authoring/contests/new", lambda: {**new_contest_fields(max_words="50"), "action": "publish"},
     "max_words", {"kk": "min_words мәнінен кем болмауы керек", "ru": "не должно быть меньше min_words"}),
    ("brainring", "/authoring/brainring/new",
     lambda: {**NEW_RING, "q-0-options": "A\nB\nC\nD\nE", "action": "publish"},
     "q-0-options", {"kk": "мәтін түріндегі 2–4 нұсқа болуы керек",
                     "ru": "должно содержать от 2 до 4 вариантов в виде текста"}),
    ("plan", "/admin/plan-year/upload", _plan_upload,
     "plan_file", {"kk": "мыналардың бірі болуы керек: students", "ru": "должно быть одним из значений: students"}),
]
ENGLISH = {"course": "must list at least two options as text", "quiz": "must be after opens",
           "survey": "must be at most 7", "contest": "must not be below min_words",
           "brainring": "must list 2 to 4 options as text", "plan": "must be one of students"}


def _error_at(page: str, field: str) -> str:
    """The text of the message the page shows at the field."""
    found = re.search(rf'id="{re.escape(field)}-error"[^>]*>(.*?)</', page, re.S)
    assert found, f"no message at {field}"
    return found[1]


@pytest.mark.parametrize("language", ["kk", "ru"])
@pytest.mark.parametrize("kind, address, form, field, words", EDITORS, ids=[case[0] for case in EDITORS])
def test_a_loaders_problem_is_shown_at_its_field_in_the_readers_language(officer, client, language, kind, address,
                                                                         form, field, words):
    reading_in(officer, language)
    page = client.post(address, data=form(), content_type="multipart/form-data").get_data(as_text=True)
    message = _error_at(page, field)
    assert words[language] in message and ENGLISH[kind] not in page


@pytest.mark.parametrize("kind, address, form, field, words", EDITORS, ids=[case[0] for case in EDITORS])
def test_in_english_the_editor_shows_the_loaders_own_words(officer, client, kind, address, form, field, words):
    reading_in(officer, "en")
    page = client.post(address, data=form(), content_type="multipart/form-data").get_data(as_text=True)
    assert ENGLISH[kind] in _error_at(page, field)


@pytest.mark.parametrize("language, words", [("kk", "екі рет кездеседі"), ("ru", "встречается дважды")])
def test_a_key_given_twice_is_found_by_its_code_and_shown_at_the_key_in_any_language(officer, client, language,
                                                                                    words):
    reading_in(officer, language)
    taken = db.session.execute(select(Quiz).where(Quiz.slug == "integrity-hour")).scalar_one().current.questions[0]
    page = client.post("/authoring/quizzes/integrity-hour/questions/new", data={
        "key": taken["key"], "type": "true_false", "text": "Is a gift before the grade a bribe?", "points": "1",
        "answer": "true", "category": taken.get("category", "")}).get_data(as_text=True)
    assert words in _error_at(page, "key") and 'id="text-error"' not in page


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_a_question_with_answers_is_locked_by_the_problems_code_in_any_language(officer, client, make_user, language):
    survey = db.session.execute(select(Survey).where(Survey.slug == "clean-session-survey")).scalar_one()
    db.session.add(SurveyTaker(wave_id=survey.waves[0].id, user_id=make_user(roles=("student",)).id))
    db.session.commit()
    reading_in(officer, language)
    fields = {**survey_editor.fields_of(survey), "q-0-options": "Yes\nNo", "action": "publish"}
    page = client.post("/authoring/surveys/clean-session-survey/edit", data=fields).get_data(as_text=True)
    with force_locale(language):
        locked = str(escape(str(survey_editor.LOCKED)))
    assert "Add a new question instead" not in locked and locked in _error_at(page, "q-0-options")


# (kind, the file to break, how, what the command line prints)
FILES = [
    ("plan", "plans/ktu-2024-2025.toml", lambda t: t.replace('population = "students"', 'population = "pupils"', 1),
     "ktu-2024-2025.toml: activities[11] (2.1).population: must be one of students, employees"),
    ("quiz", "quizzes/integrity-hour.toml", lambda t: t + '\n[[draw]]\ncategory = "nope"\ncount = 9\n',
     "asks for 9 questions but category 'nope' has 0"),
    ("survey", "quizzes/clean-session-survey.toml",
     lambda t: t.replace('[[waves]]\nkey = "', '[[waves]]\nkey = "Winter ', 1),
     "waves[0].key: must be lower-case words joined by hyphens"),
    ("brainring", "quizzes/brain-ring-anticorruption.toml", lambda t: t.replace("seconds = 20", "seconds = 500", 1),
     "brain-ring-anticorruption.toml: seconds: must be at most 120"),
    ("contest", "contests/essay-2024-2025.toml", lambda t: t.replace("max_words = 1500", "max_words = 10"),
     "essay-2024-2025.toml: max_words: must not be below min_words"),
    ("course", "courses/academic-honesty/course.toml", lambda t: t,
     "course.toml: final_quiz: there is no quizzes/academic-honesty-final.toml"),
]


@pytest.mark.parametrize("kind, name, edit, words", FILES, ids=[case[0] for case in FILES])
def test_the_command_line_still_reports_in_english(app, runner, tmp_path, kind, name, edit, words):
    target = tmp_path / name
    target.parent.mkdir(parents=True)
    if kind == "course":
        shutil.copytree(ROOT / "courses" / "academic-honesty", target.parent, dirs_exist_ok=True)
    target.write_text(edit((ROOT / name).read_text(encoding="utf-8")), encoding="utf-8")
    app.config["CONTENT_FOLDER"] = str(tmp_path)
    result = runner.invoke(args=["load-content"])
    assert result.exit_code == 1 and words in result.output, result.output
    assert not re.search("[а-яА-ЯәғқңөұүһіӘҒҚҢӨҰҮҺІ]", result.output.split("error: ", 1)[1].splitlines()[0])


def test_an_error_reads_file_key_and_problem_and_a_page_escapes_the_values_from_files(app):
    with pytest.raises(ContentError) as caught:
        TomlReader("quizzes/x.toml", {"points": "<b>many</b>"}, "questions[0].").integer("points")
    assert str(caught.value) == "quizzes/x.toml: questions[0].points: must be a whole number"
    error = ContentError("quizzes/x.toml", "questions[1].key", "", code=DUPLICATE)
    assert error.code == DUPLICATE and ContentError("x.toml", "", "plain").code == ""
    shown = ContentError("x.toml", "key", _l("%(key)s appears twice", key="'<script>'"))
    assert str(shown) == "x.toml: key: '<script>' appears twice"
    with app.test_request_context(), force_locale("ru"):
        page = render_template_string("<p>{{ problem }}</p>", problem=shown.problem)
        assert page == "<p>&#39;&lt;script&gt;&#39; встречается дважды</p>"
