"""The survey editor: every question type and waves through the survey loader's checks, kk/ru side by side,
problems at their field with nothing lost, the rule of answered questions, drafts, preview, grants, export."""
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.authoring import surveys as survey_editor
from app.authoring.models import BROWSER, ContentDraft
from app.authoring.service import current_revision, export_content
from app.extensions import db
from app.surveys.loader import read_survey
from app.surveys.models import Survey, SurveyTaker

SURVEY = "clean-session-survey"

NEW = {
    "slug": "campus-climate-2026", "title": "Campus climate", "description": "Five minutes, no names.",
    "title-kk": "Кампустағы ахуал", "title-ru": "Климат в кампусе",
    "wave-0-title": "Autumn 2026", "wave-0-opens": "2026-10-01", "wave-0-closes": "2026-10-20",
    "wave-0-title-kk": "2026 күзі",
    "q-0-type": "single", "q-0-text": "Have you been asked for a bribe?", "q-0-options": "Yes\nNo", "q-0-required": "on",
    "q-0-text-kk": "Сізден пара сұрады ма?", "q-0-options-kk": "Иә\nЖоқ",
    "q-1-type": "multiple", "q-1-text": "Where would you report it?", "q-1-options": "ACS\nCurator\nNowhere",
    "q-1-required": "on",
    "q-2-type": "scale", "q-2-text": "How fair are exams?", "q-2-points": "5", "q-2-labels": "Not at all\nFully",
    "q-2-required": "on",
    "q-3-type": "text", "q-3-text": "Anything else?",
}


@pytest.fixture
def officer(app, setup_cli, make_user, auth):
    assert setup_cli("load-content").exit_code == 0
    person = make_user(roles=("admin",))
    auth.login(person.email)
    return person


def _survey(slug=SURVEY) -> Survey | None:
    db.session.expire_all()
    return db.session.execute(select(Survey).where(Survey.slug == slug)).scalar()


def _audits(action: str, subject: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == action, AuditEvent.subject == subject))


def test_an_officer_creates_a_survey_with_each_question_type_a_wave_and_translations(officer, client):
    assert client.get("/authoring/surveys/new").status_code == 200
    response = client.post("/authoring/surveys/new", data={**NEW, "action": "publish"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/authoring/surveys/campus-climate-2026/edit")
    survey = _survey("campus-climate-2026")
    assert [q["type"] for q in survey.questions] == ["single", "multiple", "scale", "text"]
    assert [q["key"] for q in survey.questions][0] == "have-you-been-asked-for-a-bribe"     # made from the text
    assert survey.questions[2]["points"] == 5 and survey.questions[2]["labels"] == ["Not at all", "Fully"]
    assert survey.questions[3]["required"] is False
    assert survey.questions[0]["translations"]["kk"]["options"] == ["Иә", "Жоқ"]
    assert survey.translations["kk"]["title"] == "Кампустағы ахуал"
    assert survey.translations["kk"]["waves"] == {"wave-1": "2026 күзі"}
    [wave] = survey.waves
    assert (wave.key, wave.opens_on.isoformat(), wave.closes_on.isoformat()) == ("wave-1", "2026-10-01", "2026-10-20")
    revision = current_revision("survey", "campus-climate-2026")
    assert revision.origin == BROWSER and revision.author_id == officer.id and revision.number == 1
    assert _audits("content.published", "survey:campus-climate-2026") == 1
    page = client.get("/authoring/surveys/campus-climate-2026/edit").get_data(as_text=True)
    assert "Version 1" in page and "Кампустағы ахуал" in page and "History" in page
    history = client.get("/authoring/survey/campus-climate-2026/history").get_data(as_text=True)
    assert officer.full_name in history and "+title = &#34;Campus climate&#34;" in history


@pytest.mark.parametrize("change, field, words", [
    ({"wave-0-closes": "2026-09-01"}, "wave-0-closes", "must not be before opens"),
    ({"wave-0-opens": "first of October"}, "wave-0-opens", "Write a date"),
    ({"q-2-points": "9"}, "q-2-points", "at most 7"),
    ({"q-0-options": "Yes only"}, "q-0-options", "at least 2 options"),
    ({"q-0-options-kk": "Иә\nЖоқ\nБілмеймін"}, "q-0-options-kk", "2 entries, in its order"),
    ({"q-2-labels": "Only one label"}, "q-2-labels", "two labels"),
    ({"title": ""}, "title", "must not be empty"),
    ({"slug": "Campus Climate"}, "slug", "lower-case words"),
])
def test_bad_input_comes_back_at_its_field_keeping_what_was_typed(officer, client, change, field, words):
    page = client.post("/authoring/surveys/new", data={**NEW, **change, "action": "publish"}).get_data(as_text=True)
    assert f'id="{field}-error"' in page and words in page
    for name in ("q-0-text", "title-kk", "q-2-labels", "q-1-options", *change):
        assert ({**NEW, **change}[name] or 'value=""') in page
    assert _survey("campus-climate-2026") is None


def _answered(survey: Survey, student) -> None:
    db.session.add(SurveyTaker(wave_id=survey.waves[0].id, user_id=student.id))
    db.session.commit()


def test_a_question_with_answers_keeps_its_options_and_the_editor_offers_a_new_question(officer, client, make_user):
    survey = _survey()
    _answered(survey, make_user(roles=("student",)))
    fields = survey_editor.fields_of(survey)
    key, before = survey.questions[0]["key"], survey.questions[0]["options"]
    page = client.get(f"/authoring/surveys/{SURVEY}/edit").get_data(as_text=True)
    assert 'value="copy-0"' in page and "already has answers" in page

    changed = {**fields, "q-0-options": "Yes\nNo", "action": "publish"}
    page = client.post(f"/authoring/surveys/{SURVEY}/edit", data=changed).get_data(as_text=True)
    assert 'id="q-0-options-error"' in page and "Add a new question instead" in page and "Yes\nNo</textarea>" in page
    assert _survey().questions[0]["options"] == before

    page = client.post(f"/authoring/surveys/{SURVEY}/edit", data={**changed, "action": "copy-0"}).get_data(as_text=True)
    count = len(survey.questions)
    assert f'name="q-{count}-key" value="{key}-new"' in page
    assert f'name="q-{count}-options" rows="4">Yes\nNo</textarea>' in page
    assert f'name="q-0-options" rows="4">{before[0]}' in page            # the answered question's own options back
    copied = {name: value for name, value in survey_editor.add_question_from(
        survey_editor.fields_of(survey) | {"q-0-options": "Yes\nNo"}, 0, survey).items()}
    response = client.post(f"/authoring/surveys/{SURVEY}/edit", data={**copied, "action": "publish"})
    assert response.status_code == 302
    survey = _survey()
    assert survey.questions[0]["options"] == before
    assert survey.questions[-1]["key"] == f"{key}-new" and survey.questions[-1]["options"] == ["Yes", "No"]


def test_a_question_with_answers_can_still_be_reworded_and_get_a_new_wave(officer, client, make_user):
    survey = _survey()
    _answered(survey, make_user(roles=("student",)))
    fields = survey_editor.fields_of(survey)
    waves = len(survey.waves)
    fields.update({"q-0-text": "Did you attend a Clean Session event?", f"wave-{waves}-title": "Winter 2026",
                   f"wave-{waves}-opens": "2026-01-15", f"wave-{waves}-closes": "2026-02-05", "action": "publish"})
    assert client.post(f"/authoring/surveys/{SURVEY}/edit", data=fields).status_code == 302
    survey = _survey()
    assert survey.questions[0]["text"] == "Did you attend a Clean Session event?" and len(survey.waves) == waves + 1
    assert "+text = \"Did you attend a Clean Session event?\"" in current_revision("survey", SURVEY).diff


def test_a_draft_keeps_unfinished_work_and_students_see_the_published_survey(officer, client):
    data = {**NEW, "q-2-points": "nine", "action": "draft"}
    assert client.post("/authoring/surveys/new", data=data).status_code == 200
    assert _survey("campus-climate-2026") is None
    draft = db.session.execute(select(ContentDraft).where(ContentDraft.kind == "survey")).scalar_one()
    assert draft.fields["q-2-points"] == "nine" and draft.author_id == officer.id
    page = client.get("/authoring/surveys/new").get_data(as_text=True)
    assert "You are editing a draft" in page and 'value="nine"' in page
    client.post("/authoring/surveys/new", data={**NEW, "action": "discard", "confirmed": "yes"})
    assert db.session.scalar(select(func.count()).select_from(ContentDraft)) == 0


def test_the_preview_shows_the_survey_as_a_student_sees_it_in_each_language(officer, client):
    page = client.post("/authoring/surveys/new", data={**NEW, "action": "preview-kk"}).get_data(as_text=True)
    preview = page.split('id="preview-title"', 1)[1]
    assert "Сізден пара сұрады ма?" in preview and "Кампустағы ахуал" in preview and "2026 күзі" in preview
    assert 'type="radio" name="q-have-you-been-asked-for-a-bribe"' in preview and "Иә" in preview
    assert _survey("campus-climate-2026") is None
    page = client.post("/authoring/surveys/new", data={**NEW, "action": "preview-"}).get_data(as_text=True)
    preview = page.split('id="preview-title"', 1)[1]
    assert "Have you been asked for a bribe?" in preview and "Send my answers" in preview
    assert "1 — Not at all" in preview and "Tick all that apply." in preview


def test_a_survey_not_yet_in_kazakh_previews_in_kazakh_as_a_kazakh_reader_sees_it(officer, client):
    original = {name: value for name, value in NEW.items() if not name.endswith("-kk")}
    page = client.post("/authoring/surveys/new", data={**original, "action": "preview-kk"}).get_data(as_text=True)
    preview = page.split('id="preview-title"', 1)[1]
    assert "Have you been asked for a bribe?" in preview          # the survey's words: the original's
    assert "Жауаптарымды жіберу" in preview and "Send my answers" not in preview   # the page's own: Kazakh


def test_editors_edit_only_the_surveys_they_are_given(app, setup_cli, client, auth, make_user):
    assert setup_cli("load-content").exit_code == 0
    editor = make_user(roles=("editor",))
    auth.login(editor.email)
    assert client.get(f"/authoring/surveys/{SURVEY}/edit").status_code == 403
    assert client.get("/authoring/surveys/new").status_code == 403
    assert client.post(f"/authoring/survey/{SURVEY}/editors", data={"email": editor.email}).status_code == 403
    auth.logout()
    admin = make_user(roles=("admin",))
    auth.login(admin.email)
    assert client.post(f"/authoring/survey/{SURVEY}/editors", data={"email": editor.email}).status_code == 302
    assert _audits("content.granted", f"survey:{SURVEY}") == 1
    auth.logout()
    auth.login(editor.email)
    fields = survey_editor.fields_of(_survey())
    fields.update({"title": "Clean Session survey", "action": "publish"})
    assert client.post(f"/authoring/surveys/{SURVEY}/edit", data=fields).status_code == 302
    assert _survey().title == "Clean Session survey"
    assert client.get("/authoring/surveys/perception-survey-2024-2025/edit").status_code == 403
    auth.logout()
    auth.login(make_user(roles=("student",)).email)
    assert client.get(f"/authoring/surveys/{SURVEY}/edit").status_code == 403


def test_a_survey_made_in_the_browser_exports_in_the_file_layout_and_reads_back_the_same(officer, client, app, tmp_path):
    assert client.post("/authoring/surveys/new", data={**NEW, "action": "publish"}).status_code == 302
    export_content(tmp_path, Path(app.config["CONTENT_FOLDER"]))
    assert (tmp_path / "quizzes" / "campus-climate-2026.kk.toml").is_file()
    spec = read_survey(tmp_path / "quizzes" / "campus-climate-2026.toml")
    survey = _survey("campus-climate-2026")
    assert spec["questions"] == survey.questions and spec["translations"] == survey.translations
    assert client.post("/authoring/survey/campus-climate-2026/retire", data={"confirmed": "yes"}).status_code == 302
    assert _survey("campus-climate-2026").retired and _audits("content.retired", "survey:campus-climate-2026") == 1


def test_a_preview_of_fields_that_do_not_check_says_so_and_keeps_what_was_typed(officer, client):
    page = client.post("/authoring/surveys/new", data={**NEW, "title": "", "action": "preview-kk"}).get_data(as_text=True)
    assert "The preview needs the fields marked below corrected first" in page
    assert 'id="preview-title"' not in page and "Five minutes, no names." in page
    assert 'id="title-error"' in page


def untranslated_marks(page: str, missing: dict) -> list[str]:
    """Check an editor page counts, per language, the fields not yet translated; return the fields it marks."""
    for language, words in (("kk", "Қазақша"), ("ru", "Русский")):
        assert f"Not yet in {words}: {len(missing[language])} fields written in the original." in page
    return re.findall(r'<div class="field[^"]*untranslated">\s*<label for="([^"]+)"', page)


def test_the_editor_counts_and_marks_what_is_not_yet_translated(officer, client):
    missing = survey_editor.untranslated(NEW)
    assert "q-1-text" in missing["kk"] and "q-0-text" not in missing["kk"] and "q-0-text" in missing["ru"]
    page = client.post("/authoring/surveys/new", data={**NEW, "action": "preview-"}).get_data(as_text=True)
    marked = untranslated_marks(page, missing)
    assert "q-1-text-kk" in marked and "q-0-text-ru" in marked and "q-0-text-kk" not in marked
