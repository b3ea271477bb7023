"""The quiz settings editor: the quiz loader's checks at the field, no new question version, history and audit."""
import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.authoring import quizzes as quiz_editor
from app.authoring.models import BROWSER
from app.authoring.service import current_revision
from app.cli import load_content
from app.extensions import db
from app.quizzes.models import Quiz

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


def test_a_quiz_retired_in_the_browser_stays_retired_until_the_file_is_forced(officer, client, runner):
    assert client.post(f"/authoring/quiz/{QUIZ}/retire").status_code == 200        # the "are you sure?" step
    db.session.expire_all()
    assert not _quiz().retired
    assert client.post(f"/authoring/quiz/{QUIZ}/retire", data={"confirmed": "yes"}).status_code == 302
    db.session.expire_all()
    assert _quiz().retired
    revision = current_revision("quiz", QUIZ)
    assert (revision.action, revision.origin) == ("retired", BROWSER)
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
