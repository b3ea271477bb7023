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
def officer(app, make_user, auth):
    load_content()
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


def test_an_editor_without_the_quiz_cannot_change_it(app, client, auth, make_user):
    load_content()
    auth.login(make_user(roles=("editor",)).email)
    assert client.get(f"/authoring/quizzes/{QUIZ}/settings").status_code == 403


def test_a_quiz_retired_in_the_browser_stays_retired_until_the_file_is_forced(officer, client, runner):
    assert client.post(f"/authoring/quiz/{QUIZ}/retire").status_code == 302
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
