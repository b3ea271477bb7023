"""The quiz editor: the quiz loader's checks at the field, no new question version, history and audit; drafts
kept without touching what students get, published together as one version that open attempts do not follow."""
import random
import re
from datetime import datetime

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.authoring import quizzes as quiz_editor
from app.authoring.models import BROWSER, ContentDraft
from app.authoring.service import current_revision
from app.cli import load_content
from app.core.clock import utcnow
from app.extensions import db
from app.quizzes import service as quiz_service
from app.quizzes.models import AttemptAnswer, Quiz, QuizAttempt

QUIZ = "integrity-hour"


@pytest.fixture
def officer(app, make_user, auth, setup_cli):
    assert setup_cli("load-content").exit_code == 0
    person = make_user(roles=("admin",))
    auth.login(person.email)
    return person


def _quiz() -> Quiz:
    return db.session.execute(select(Quiz).where(Quiz.slug == QUIZ)).scalar_one()


def test_an_officer_changes_the_rules_without_a_new_question_version(officer, client):
    before = _quiz()
    version, fields = before.current_version_id, quiz_editor.settings_of(before)
    response = client.post(f"/authoring/quizzes/{QUIZ}/settings", data={
        **fields, "time_limit_minutes": "25", "pass_percent": "75", "title-kk": "Адалдық сағаты (жаңа)"})
    assert response.status_code == 302
    db.session.expire_all()
    quiz = _quiz()
    assert (quiz.time_limit_minutes, quiz.pass_percent, quiz.current_version_id) == (25, 75.0, version)
    assert quiz.translations["kk"]["title"] == "Адалдық сағаты (жаңа)"
    revision = current_revision("quiz", QUIZ)
    assert revision.origin == BROWSER and "+time_limit_minutes = 25" in revision.diff
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "content.published", AuditEvent.subject == f"quiz:{QUIZ}")) == 1


def test_the_quiz_window_is_typed_and_shown_in_the_university_time(officer, client, auth, make_user):
    page = f"/authoring/quizzes/{QUIZ}/settings"
    assert "Closes (Almaty time)" in client.get(page).get_data(as_text=True)
    fields = {**quiz_editor.settings_of(_quiz()), "opens": "2024-09-01T10:00", "closes": "2099-09-30T10:00"}
    assert client.post(page, data=fields).status_code == 302
    db.session.expire_all()
    quiz = _quiz()
    assert (quiz.opens_at, quiz.closes_at) == (datetime(2024, 9, 1, 5, 0), datetime(2099, 9, 30, 5, 0))   # Almaty: UTC+5
    assert "closes = 2099-09-30 05:00:00" in current_revision("quiz", QUIZ).files[f"quizzes/{QUIZ}.toml"]   # files: UTC
    form = client.get(page).get_data(as_text=True)
    assert 'value="2024-09-01T10:00"' in form and 'value="2099-09-30T10:00"' in form
    auth.logout()
    auth.login(make_user(roles=("student",)).email)
    assert "2099-09-30 10:00 (UTC+5)" in client.get(f"/quizzes/{QUIZ}/").get_data(as_text=True)


@pytest.mark.parametrize("change, field, words", [
    ({"closes": "2020-01-01T09:00", "opens": "2021-01-01T09:00"}, "closes", "must be after opens"),
    ({"pass_percent": "120"}, "pass_percent", "from 0 to 100"),
    ({"attempts": "two"}, "attempts", "whole number"),
    ({"title-kk": "", "description-kk": "Тек сипаттама"}, "title-kk", "must not be empty"),
])
def test_bad_settings_are_refused_at_their_field_keeping_what_was_typed(officer, client, change, field, words):
    fields = {**quiz_editor.settings_of(_quiz()), **change}
    page = client.post(f"/authoring/quizzes/{QUIZ}/settings", data=fields).get_data(as_text=True)
    assert f'id="{field}-error"' in page and words in page
    assert all(f'value="{value}"' in page for value in change.values() if value)
    db.session.expire_all()
    assert current_revision("quiz", QUIZ).origin != BROWSER


def test_an_editor_without_the_quiz_cannot_change_it(app, client, auth, make_user, setup_cli):
    assert setup_cli("load-content").exit_code == 0
    auth.login(make_user(roles=("editor",)).email)
    assert client.get(f"/authoring/quizzes/{QUIZ}/settings").status_code == 403


def test_an_officer_gives_a_quiz_to_an_editor_who_then_edits_it_and_no_other(app, client, auth, make_user, setup_cli):
    assert setup_cli("load-content").exit_code == 0
    editor, officer = make_user(roles=("editor",)), make_user(roles=("admin",))
    auth.login(editor.email)
    assert client.post(f"/authoring/quiz/{QUIZ}/editors", data={"email": editor.email}).status_code == 403
    auth.logout()
    auth.login(officer.email)
    page = client.get(f"/authoring/quizzes/{QUIZ}/settings").get_data(as_text=True)
    assert f'action="/authoring/quiz/{QUIZ}/editors"' in page and "Only ACS officers edit it so far." in page
    answer = client.post(f"/authoring/quiz/{QUIZ}/editors", data={"email": editor.email})
    assert answer.status_code == 302 and answer.location.endswith(f"/authoring/quizzes/{QUIZ}/settings")
    assert f"({editor.email})" in client.get(f"/authoring/quizzes/{QUIZ}/settings").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "content.granted", AuditEvent.subject == f"quiz:{QUIZ}")) == 1
    assert client.post("/authoring/quiz/no-such-quiz/editors", data={"email": editor.email}).status_code == 404
    auth.logout()

    auth.login(editor.email)
    assert f"/authoring/quizzes/{QUIZ}/settings" in client.get("/authoring/").get_data(as_text=True)
    fields = {**quiz_editor.settings_of(_quiz()), "pass_percent": "75", "action": "publish"}
    assert client.post(f"/authoring/quizzes/{QUIZ}/settings", data=fields).status_code == 302
    db.session.expire_all()
    assert _quiz().pass_percent == 75 and current_revision("quiz", QUIZ).author_id == editor.id
    assert client.get("/authoring/quizzes/fundamentals-final/settings").status_code == 403
    assert 'action="/authoring/quiz/' not in client.get(f"/authoring/quizzes/{QUIZ}/settings").get_data(as_text=True)


def test_a_quiz_retired_in_the_browser_stays_retired_until_the_file_is_forced(officer, client, runner):
    assert client.post(f"/authoring/quiz/{QUIZ}/retire").status_code == 200        # the "are you sure?" step
    db.session.expire_all()
    assert not _quiz().retired
    assert client.post(f"/authoring/quiz/{QUIZ}/retire", data={"confirmed": "yes"}).status_code == 302
    db.session.expire_all()
    assert _quiz().retired
    revision = current_revision("quiz", QUIZ)
    assert (revision.action, revision.origin) == ("retired", BROWSER)
    history = client.get(f"/authoring/quiz/{QUIZ}/history").get_data(as_text=True)
    assert f"retired in the browser by {officer.full_name}" in history
    assert f"published in the browser by {officer.full_name}" not in history
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "content.retired", AuditEvent.subject == f"quiz:{QUIZ}")) == 1
    assert "not loaded: last changed in the browser" in runner.invoke(args=["load-content"]).output
    db.session.expire_all()
    assert _quiz().retired
    runner.invoke(args=["load-content", "--force"])
    db.session.expire_all()
    assert not _quiz().retired and current_revision("quiz", QUIZ).action == "published"


NEW_QUESTIONS = [
    {"key": "gift-single", "type": "single", "text": "Which is a bribe?", "options": "A thank-you card\nMoney for a grade",
     "answer": "2"},
    {"key": "gift-multiple", "type": "multiple", "text": "Which are bribes?",
     "options": "Money for a grade\nA pen for a signature\nA thank-you card", "answer": "1, 2"},
    {"key": "gift-true-false", "type": "true_false", "text": "A small gift before an exam is fine.", "answer": "false"},
    {"key": "gift-numeric", "type": "numeric", "text": "How many days has the ACS to answer?", "answer": "10",
     "tolerance": "0"},
    {"key": "gift-short", "type": "short_text", "text": "Name the service that takes reports.", "accepted": "ACS\ncompliance"},
    {"key": "gift-matching", "type": "matching", "text": "Match.", "pairs": "Bribe = money for a decision\nGift = nothing asked back"},
    {"key": "gift-ordering", "type": "ordering", "text": "Order the steps.", "items": "Refuse\nWrite it down\nReport"},
]


@pytest.mark.parametrize("question", NEW_QUESTIONS, ids=lambda q: q["type"])
def test_a_question_of_each_type_is_added_through_the_quiz_loader(officer, client, question):
    version = _quiz().current.number
    fields = {"category": "", "points": "1", "explanation": "Because.", **question}
    assert client.post(f"/authoring/quizzes/{QUIZ}/questions/new", data=fields).status_code == 302
    db.session.expire_all()
    quiz = _quiz()
    stored = quiz.current.questions[-1]
    assert quiz.current.number == version + 1 and stored["key"] == question["key"] and stored["type"] == question["type"]
    assert quiz_editor.question_fields(stored)["text"] == question["text"]
    assert current_revision("quiz", QUIZ).origin == BROWSER


def test_a_bad_question_comes_back_at_its_field(officer, client):
    page = client.post(f"/authoring/quizzes/{QUIZ}/questions/new", data={
        "key": "gift-bad", "type": "multiple", "text": "Which are bribes?", "points": "1",
        "options": "Money\nA pen", "answer": "1"}).get_data(as_text=True)
    assert 'id="options-error"' in page and "at least 3 options" in page and "A pen" in page


def test_changing_a_questions_options_is_held_to_its_translations(officer, client):
    question = _quiz().current.questions[0]
    fields = quiz_editor.question_fields(question)
    fields["options"] += "\nOne option more"
    page = client.post(f"/authoring/quizzes/{QUIZ}/questions/{question['key']}/edit", data=fields).get_data(as_text=True)
    assert 'id="options-error"' in page and "entries, in its order" in page and "One option more" in page


def test_a_question_is_translated_side_by_side_and_held_to_the_original(officer, client):
    question = next(q for q in _quiz().current.questions if q["type"] == "single")
    fields = quiz_editor.question_fields(question)
    fields["text-kk"] = "Жаңа қазақша мәтін?"
    assert client.post(f"/authoring/quizzes/{QUIZ}/questions/{question['key']}/edit", data=fields).status_code == 302
    db.session.expire_all()
    stored = next(q for q in _quiz().current.questions if q["key"] == question["key"])
    assert stored["translations"]["kk"]["text"] == "Жаңа қазақша мәтін?"
    assert stored["translations"]["ru"] == question["translations"]["ru"]            # the other language kept
    page = client.get(f"/authoring/quizzes/{QUIZ}/questions/{question['key']}/edit").get_data(as_text=True)
    assert 'lang="kk"' in page and "Жаңа қазақша мәтін?" in page and "As a student sees it" in page

    fields["options-ru"] += "\nЛишний вариант"
    page = client.post(f"/authoring/quizzes/{QUIZ}/questions/{question['key']}/edit", data=fields).get_data(as_text=True)
    assert 'id="options-ru-error"' in page and "Лишний вариант" in page and "Жаңа қазақша мәтін?" in page
    db.session.expire_all()
    assert next(q for q in _quiz().current.questions if q["key"] == question["key"])["translations"]["ru"] == \
        question["translations"]["ru"]


def test_removing_a_translation_leaves_the_question_untranslated_not_broken(officer, client):
    question = _quiz().current.questions[0]
    fields = {name: value for name, value in quiz_editor.question_fields(question).items() if not name.endswith("-kk")}
    assert client.post(f"/authoring/quizzes/{QUIZ}/questions/{question['key']}/edit", data=fields).status_code == 302
    db.session.expire_all()
    stored = next(q for q in _quiz().current.questions if q["key"] == question["key"])
    assert "kk" not in stored.get("translations", {}) and "ru" in stored["translations"]
    page = client.get(f"/authoring/quizzes/{QUIZ}/questions/{question['key']}/edit").get_data(as_text=True)
    assert 'id="untranslated"' in page and "Қазақша" in page


def test_duplicating_a_question_prefills_a_copy_and_publishes_nothing_until_asked(officer, client):
    quiz = _quiz()
    original, version = quiz.current.questions[0], quiz.current.number
    page = client.get(f"/authoring/quizzes/{QUIZ}/questions/new?copy={original['key']}").get_data(as_text=True)
    assert f'value="{original["key"]}-2"' in page and original["translations"]["kk"]["text"] in page
    db.session.expire_all()
    assert _quiz().current.number == version
    fields = {**quiz_editor.question_fields(original), "key": f"{original['key']}-2"}
    assert client.post(f"/authoring/quizzes/{QUIZ}/questions/new", data=fields).status_code == 302
    db.session.expire_all()
    copy = _quiz().current.questions[-1]
    assert copy["key"] == f"{original['key']}-2" and copy["text"] == original["text"]
    assert copy["translations"]["kk"]["text"] == original["translations"]["kk"]["text"]
    again = client.get(f"/authoring/quizzes/{QUIZ}/questions/new?copy={original['key']}").get_data(as_text=True)
    assert f'value="{original["key"]}-3"' in again                                    # the next free key


def test_draw_rules_are_edited_through_the_loaders_checks(officer, client):
    quiz = _quiz()
    categories = quiz_editor.categories_of(quiz)
    name, available = next(iter(categories.items()))
    page = client.get(f"/authoring/quizzes/{QUIZ}/settings").get_data(as_text=True)
    assert "Draw rules" in page and f"{name} ({available})" in page
    assert all(f'id="item-{q["key"]}"' in page for q in quiz.current.questions)       # the whole item bank

    version = quiz.current.number
    too_many = {"draw-category-0": name, "draw-count-0": str(available + 1), "draw-category-1": "", "draw-count-1": ""}
    page = client.post(f"/authoring/quizzes/{QUIZ}/draw", data=too_many).get_data(as_text=True)
    assert 'id="draw-count-0-error"' in page and f"has {available}" in page and f'value="{available + 1}"' in page
    page = client.post(f"/authoring/quizzes/{QUIZ}/draw",
                       data={"draw-category-0": "", "draw-count-0": "2"}).get_data(as_text=True)
    assert 'id="draw-category-0-error"' in page

    assert client.post(f"/authoring/quizzes/{QUIZ}/draw",
                       data={"draw-category-0": name, "draw-count-0": "1"}).status_code == 302
    db.session.expire_all()
    quiz = _quiz()
    assert quiz.current.draw == [{"category": name, "count": 1}] and quiz.current.number == version + 1
    assert current_revision("quiz", QUIZ).origin == BROWSER
    assert client.post(f"/authoring/quizzes/{QUIZ}/draw", data={"draw-category-0": "", "draw-count-0": ""}).status_code == 302
    db.session.expire_all()
    assert _quiz().current.draw == []


# Drafts: kept without touching what students get, published together as one version ---------------

def _drafts() -> list[ContentDraft]:
    return db.session.execute(select(ContentDraft).where(ContentDraft.kind == "quiz")).scalars().all()


def _single(quiz: Quiz, skip: int = 0) -> dict:
    return [q for q in quiz.current.questions if q["type"] == "single"][skip]


def test_a_draft_changes_nothing_students_get_until_it_is_published_as_one_version(officer, client):
    quiz = _quiz()
    first, second = _single(quiz), _single(quiz, 1)
    version, revision, time_limit = quiz.current.number, current_revision("quiz", QUIZ).number, quiz.time_limit_minutes
    edited = {**quiz_editor.question_fields(first), "text": "Is this drafted text what students read?",
              "action": "draft"}
    response = client.post(f"/authoring/quizzes/{QUIZ}/questions/{first['key']}/edit", data=edited)
    assert response.status_code == 302 and response.location.endswith(f"/questions/{first['key']}/edit")
    client.post(f"/authoring/quizzes/{QUIZ}/questions/{second['key']}/edit", data={
        **quiz_editor.question_fields(second), "explanation": "A drafted explanation.", "action": "draft"})
    client.post(f"/authoring/quizzes/{QUIZ}/settings", data={
        **quiz_editor.settings_of(quiz), "time_limit_minutes": str(time_limit + 5), "action": "draft"})

    db.session.expire_all()
    quiz = _quiz()                                       # what students get is untouched
    assert quiz.current.number == version and quiz.time_limit_minutes == time_limit
    assert quiz.current.question(first["key"])["text"] == first["text"]
    assert current_revision("quiz", QUIZ).number == revision and len(_drafts()) == 3

    page = client.get(f"/authoring/quizzes/{QUIZ}/questions/{first['key']}/edit").get_data(as_text=True)
    assert "Is this drafted text what students read?" in page            # the editor reopens the draft
    assert "You are editing a draft saved" in page and officer.full_name in page
    assert "Publish also publishes the rest of this quiz" in page and f"Question {second['key']}" in page
    page = client.get(f"/authoring/quizzes/{QUIZ}/settings").get_data(as_text=True)
    assert 'id="draft-title"' in page and f"Question {first['key']}</a>" in page and "Settings</a>" in page
    assert f'value="{time_limit + 5}"' in page

    response = client.post(f"/authoring/quizzes/{QUIZ}/settings", data={"action": "publish-all"})
    assert response.status_code == 302
    db.session.expire_all()
    quiz = _quiz()
    assert quiz.current.number == version + 1 and quiz.time_limit_minutes == time_limit + 5    # one new version
    assert quiz.current.question(first["key"])["text"] == "Is this drafted text what students read?"
    assert quiz.current.question(second["key"])["explanation"] == "A drafted explanation."
    latest = current_revision("quiz", QUIZ)
    assert latest.number == revision + 1 and latest.origin == BROWSER and latest.author_id == officer.id
    assert "Is this drafted text what students read?" in latest.diff and "A drafted explanation." in latest.diff
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "content.published", AuditEvent.subject == f"quiz:{QUIZ}")) == 1
    assert _drafts() == []
    history = client.get(f"/authoring/quiz/{QUIZ}/history").get_data(as_text=True)
    assert officer.full_name in history and "A drafted explanation." in history


def test_new_questions_drafted_one_by_one_arrive_together(officer, client):
    version = _quiz().current.number
    first = {"category": "", "points": "1", **NEW_QUESTIONS[0], "action": "draft"}
    response = client.post(f"/authoring/quizzes/{QUIZ}/questions/new", data=first)
    assert response.location.endswith("/questions/new?draft=1")
    response = client.post(f"/authoring/quizzes/{QUIZ}/questions/new", data={
        "category": "", "points": "1", **NEW_QUESTIONS[2], "action": "draft"})
    assert response.location.endswith("/questions/new?draft=2")
    page = client.get(f"/authoring/quizzes/{QUIZ}/questions/new?draft=1").get_data(as_text=True)
    assert 'value="gift-single"' in page and "A thank-you card" in page
    db.session.expire_all()
    assert _quiz().current.number == version

    # Publishing from the first one's page publishes both, as one version.
    assert client.post(f"/authoring/quizzes/{QUIZ}/questions/new?draft=1",
                       data={**first, "action": "publish"}).status_code == 302
    db.session.expire_all()
    quiz = _quiz()
    assert quiz.current.number == version + 1
    assert [q["key"] for q in quiz.current.questions[-2:]] == ["gift-single", "gift-true-false"]
    assert _drafts() == []


def test_a_draft_is_previewed_as_a_student_will_see_it_and_nothing_is_kept(officer, client):
    question = _single(_quiz())
    fields = {name: value for name, value in quiz_editor.question_fields(question).items()
              if not name.endswith(("-kk", "-ru"))}          # its translations would still have the old options
    fields.update({"options": "\n".join(question["options"]) + "\nA new option", "action": "preview"})
    page = client.get(f"/authoring/quizzes/{QUIZ}/questions/{question['key']}/edit").get_data(as_text=True)
    assert "As a student sees it (published version)" in page
    page = client.post(f"/authoring/quizzes/{QUIZ}/questions/{question['key']}/edit", data=fields).get_data(as_text=True)
    preview = page.split('id="preview-title"', 1)[1]
    assert "As a student will see it (your draft)" in page and "A new option" in preview
    assert 'type="radio"' in preview                            # the answer sheet's own block
    assert _drafts() == []
    db.session.expire_all()
    assert "A new option" not in _quiz().current.question(question["key"])["options"]


def test_an_invalid_draft_is_kept_and_its_publish_refused_at_the_field(officer, client):
    quiz = _quiz()
    question = _single(quiz)
    version = quiz.current.number
    broken = {**quiz_editor.question_fields(question), "points": "many", "text": "Kept while broken?",
              "action": "draft"}
    assert client.post(f"/authoring/quizzes/{QUIZ}/questions/{question['key']}/edit", data=broken).status_code == 302
    page = client.post(f"/authoring/quizzes/{QUIZ}/questions/{question['key']}/edit",
                       data={**broken, "action": "publish"}).get_data(as_text=True)
    assert 'id="points-error"' in page and 'value="many"' in page and "Kept while broken?" in page

    # Publishing another page's part: that edit is kept in the draft, the broken part is shown at its field.
    settings = {**quiz_editor.settings_of(quiz), "xp": "77", "action": "publish"}
    response = client.post(f"/authoring/quizzes/{QUIZ}/settings", data=settings)
    assert response.status_code == 302 and f"/questions/{question['key']}/edit?check=1" in response.location
    page = client.get(response.location).get_data(as_text=True)
    assert 'id="points-error"' in page and 'value="many"' in page
    db.session.expire_all()
    quiz = _quiz()
    assert quiz.current.number == version and quiz.xp != 77
    assert {draft.slug for draft in _drafts()} == {f"{QUIZ}/settings", f"{QUIZ}/questions/{question['key']}"}
    assert 'value="77"' in client.get(f"/authoring/quizzes/{QUIZ}/settings").get_data(as_text=True)

    # A loader's check, too, is held back to the draft part's own field.
    draw = {"draw-category-0": "nothing-like-this", "draw-count-0": "1", "action": "draft"}
    client.post(f"/authoring/quizzes/{QUIZ}/draw", data=draw)
    client.post(f"/authoring/quizzes/{QUIZ}/questions/{question['key']}/edit",
                data={**broken, "points": "2", "action": "draft"})
    response = client.post(f"/authoring/quizzes/{QUIZ}/settings", data={"action": "publish-all"})
    page = client.get(response.location).get_data(as_text=True)
    assert 'id="draw-count-0-error"' in page and "has 0" in page and 'value="nothing-like-this"' in page
    db.session.expire_all()
    assert _quiz().current.number == version


def test_discarding_a_part_or_the_whole_draft(officer, client):
    quiz = _quiz()
    question, settings = _single(quiz), f"/authoring/quizzes/{QUIZ}/settings"
    client.post(settings, data={**quiz_editor.settings_of(quiz), "xp": "77", "action": "draft"})
    client.post(f"/authoring/quizzes/{QUIZ}/questions/{question['key']}/edit",
                data={**quiz_editor.question_fields(question), "text": "Discard me", "action": "draft"})
    assert client.post(settings, data={"action": "discard", "confirmed": "yes"}).status_code == 302
    assert {draft.slug for draft in _drafts()} == {f"{QUIZ}/questions/{question['key']}"}
    page = client.get(settings).get_data(as_text=True)
    assert f'value="{quiz.xp}"' in page and 'value="77"' not in page
    assert client.post(settings, data={"action": "discard-all", "confirmed": "yes"}).status_code == 302
    assert _drafts() == []
    page = client.get(f"/authoring/quizzes/{QUIZ}/questions/{question['key']}/edit").get_data(as_text=True)
    assert "Discard me" not in page and "You are editing a draft" not in page
    db.session.expire_all()
    assert _quiz().current.question(question["key"])["text"] == question["text"]


def test_an_attempt_started_before_a_publish_scores_on_its_version(officer, client, make_user):
    student = make_user()
    attempt = quiz_service.start_attempt(student, _quiz(), utcnow(), random.Random(19))
    started_on = attempt.version_id
    drawn = {entry["key"] for entry in attempt.layout}
    question = next(q for q in _quiz().current.questions if q["key"] in drawn and q["type"] == "single")
    quiz_service.save_answers(attempt, {question["key"]: question["answer"]}, utcnow())   # right, as it stands

    # The officer changes the right answer (and the wording) and publishes.
    fields = quiz_editor.question_fields(question)
    fields["answer"] = str((question["answer"] + 1) % len(question["options"]) + 1)
    assert client.post(f"/authoring/quizzes/{QUIZ}/questions/{question['key']}/edit",
                       data={**fields, "action": "publish"}).status_code == 302
    db.session.expire_all()
    quiz = _quiz()
    assert quiz.current_version_id != started_on
    assert quiz.current.question(question["key"])["answer"] != question["answer"]

    attempt = db.session.get(QuizAttempt, attempt.id)
    quiz_service.submit(attempt, utcnow())
    answer = db.session.execute(select(AttemptAnswer).where(
        AttemptAnswer.attempt_id == attempt.id, AttemptAnswer.question_key == question["key"])).scalar_one()
    assert attempt.version_id == started_on and answer.points == answer.points_possible > 0
    later = quiz_service.start_attempt(make_user(), _quiz(), utcnow())
    assert later.version_id == quiz.current_version_id


def test_the_item_bank_shows_each_questions_statistics_beside_it(officer, client, make_user):
    for n, right in enumerate((True, True, False)):
        attempt = quiz_service.start_attempt(make_user(), _quiz(), utcnow(), random.Random(n))
        answers = {}
        for entry in attempt.layout:
            question = _quiz().current.question(entry["key"])
            if question["type"] == "single":
                answers[question["key"]] = question["answer"] if right else (question["answer"] + 1) % len(
                    question["options"])
        quiz_service.save_answers(attempt, answers, utcnow())
        quiz_service.submit(attempt, utcnow())
    db.session.commit()
    statistics = {item.key: item for item in quiz_service.item_statistics(_quiz())}
    given = [item for item in statistics.values() if item.given and item.facility is not None]
    assert given, "the three attempts answered some questions"
    page = client.get(f"/authoring/quizzes/{QUIZ}/settings").get_data(as_text=True)
    for item in given:
        row = re.search(rf'<tr id="item-{re.escape(item.key)}">(.*?)</tr>', page, re.S).group(1)
        cells = re.findall(r'<td class="num">([^<]*)</td>', row)
        discrimination = "—" if item.discrimination is None else f"{item.discrimination:.2f}"
        assert cells == [str(item.given), f"{round(item.facility * 100)}%", discrimination], item.key
    unanswered = next(q["key"] for q in _quiz().current.questions if q["key"] not in statistics
                      or not statistics[q["key"]].given)
    row = re.search(rf'<tr id="item-{re.escape(unanswered)}">(.*?)</tr>', page, re.S).group(1)
    assert re.findall(r'<td class="num">([^<]*)</td>', row) == ["0", "—", "—"]
    types = {q["type"] for q in _quiz().current.questions}
    shown = set(re.findall(r'<tr id="item-[^"]+">.*?</td>\s*<td class="small">([^<]*)</td>', page, re.S))
    names = {"single": "single choice", "multiple": "multiple choice", "true_false": "true or false",
             "numeric": "a number", "short_text": "short text"}
    assert shown == {names.get(kind, kind) for kind in types} and not shown & set(names)
