"""Every action that cannot be undone asks first, without JavaScript.

A POST without `confirmed=yes` changes nothing and answers with a page that says so and says what
cannot be undone; that page sends the same fields again with the confirmation, and then the action
happens. Each case below is one irreversible action of the demo instance, as the person who may take it.
"""
import html
import re

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.authoring import lessons as lesson_editor
from app.authoring import quizzes as quiz_editor
from app.brainring import service as ring_service
from app.brainring.models import Game, RingSet
from app.club.models import Clip, Idea, VolunteerLog
from app.contests import service as contests
from app.contests.models import Entry, JuryAssignment
from app.core.clock import utcnow
from app.coverage.events import issue_token
from app.coverage.models import ApiToken, Event
from app.courses.models import Course, Lesson
from app.extensions import db
from app.people.models import User
from app.plan.deliverable_models import Evidence
from app.quizzes.models import Quiz
from app.reports.models import Report
from app.risks.models import DeclarationDuty, EquatedPosition, Hearing, MediaItem, Risk, RiskMap
from app.surveys.models import SurveyWave

SURVEY = "perception-survey-2024-2025"


@pytest.fixture
def demo(app, runner, setup_cli):
    result = setup_cli("demo")
    assert result.exit_code == 0, result.output
    return {u.email: u for u in db.session.execute(select(User)).scalars()}


def sign_in(client, email):
    assert client.post("/login", data={"email": email, "password": "demo-password"}).status_code == 302


def fresh(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


def _withdraw(users):
    entry = db.session.execute(select(Entry).where(Entry.title.like("The exam%"))).scalar_one()
    return ("student5@sanaly.test", f"/contests/entries/{entry.code}/withdraw", {},
            lambda: fresh(Entry, entry.id).status == "withdrawn")


def _essay_assignment(users):
    return db.session.execute(select(JuryAssignment).join(Entry).where(
        JuryAssignment.juror_id == users["jury1@sanaly.test"].id, JuryAssignment.status == "active",
        Entry.contest_id == contests.contest_by_slug("essay-2024-2025").id)).scalars().first()


def _seal(users):
    assignment = _essay_assignment(users)
    values = {f"c-{c['key']}": "7" for c in assignment.entry.contest.criteria}

    def sealed():
        db.session.expire_all()
        score = db.session.get(JuryAssignment, assignment.id).score
        return score is not None and score.sealed_at is not None
    return ("jury1@sanaly.test", f"/jury/assignments/{assignment.id}",
            {**values, "comment": "Clear and\npractical.", "action": "seal"}, sealed)


def _conflict(users):
    assignment = _essay_assignment(users)
    return ("jury1@sanaly.test", f"/jury/assignments/{assignment.id}/conflict", {"reason": "My niece's group"},
            lambda: fresh(JuryAssignment, assignment.id).status != "active")


def _publish_contest(users):
    essay = contests.contest_by_slug("essay-2024-2025")
    for assignment in db.session.execute(select(JuryAssignment).join(Entry).where(
            Entry.contest_id == essay.id, JuryAssignment.status == "active")).scalars().all():
        if assignment.score is None or assignment.score.sealed_at is None:
            contests.save_score(assignment, assignment.juror, {c["key"]: 6 for c in essay.criteria}, "", "",
                                seal=True, now=utcnow())
    return ("admin@sanaly.test", "/admin/contests/essay-2024-2025/publish", {},
            lambda: contests.contest_by_slug("essay-2024-2025").published_at is not None)


def _end_game(users):
    game = ring_service.open_game(users["curator@sanaly.test"], db.session.execute(select(RingSet)).scalars().first(),
                                  "", utcnow())
    return ("curator@sanaly.test", f"/ring/{game.code}/close", {}, lambda: fresh(Game, game.id).status == "closed")


def _revoke(users):
    issue_token("Ministry dashboard", users["admin@sanaly.test"])
    token = db.session.execute(select(ApiToken)).scalars().first()
    return ("admin@sanaly.test", f"/admin/api-tokens/{token.id}/revoke", {},
            lambda: fresh(ApiToken, token.id).revoked_at is not None)


def _rotate(users):
    event = db.session.execute(select(Event)).scalars().first()
    code = event.code
    return ("admin@sanaly.test", f"/events/{event.id}/rotate", {}, lambda: fresh(Event, event.id).code != code)


def _publish_survey(users):
    wave = db.session.execute(select(SurveyWave).where(SurveyWave.key == "spring-2025")).scalar_one()
    return ("admin@sanaly.test", f"/admin/surveys/{SURVEY}/spring-2025/publish", {},
            lambda: fresh(SurveyWave, wave.id).published_at is not None)


def _hide_idea(users):
    idea = db.session.execute(select(Idea).where(Idea.hidden.is_(False))).scalars().first()
    return ("admin@sanaly.test", f"/ideas/{idea.id}/hide", {"reason": "Names and insults a teacher."},
            lambda: fresh(Idea, idea.id).hidden)


def _hide_clip(users):
    clip = db.session.execute(select(Clip).where(Clip.hidden.is_(False))).scalars().first()
    return ("curator@sanaly.test", f"/media/{clip.id}/hide", {"reason": "The link shows a private person."},
            lambda: fresh(Clip, clip.id).hidden)


def _confirm_volunteering(users):
    entry = db.session.execute(select(VolunteerLog).where(VolunteerLog.status == "pending")).scalars().first()
    return ("curator@sanaly.test", f"/volunteering/{entry.id}", {"action": "confirm"},
            lambda: fresh(VolunteerLog, entry.id).status == "confirmed")


def _close_case(users):
    report = db.session.execute(select(Report).where(Report.status != "closed")).scalars().first()
    return ("admin@sanaly.test", f"/admin/reports/{report.id}",
            {"action": "status", "status": "closed", "outcome": "not confirmed"},
            lambda: fresh(Report, report.id).status == "closed")


def _deactivate(users):
    person = users["student3@sanaly.test"]
    return ("admin@sanaly.test", f"/admin/people/{person.id}",
            {"full_name": person.full_name, "roles": ["student"], "group_id": str(person.group_id)},
            lambda: not fresh(User, person.id).active)


def _first(model, *where):
    return db.session.execute(select(model).where(*where).order_by(model.id)).scalars().first()


def _remove_risk(users):
    risk = _first(Risk, Risk.plan_id.not_in(select(RiskMap.plan_id)))      # a year whose map is not approved
    return ("admin@sanaly.test", f"/admin/risks/{risk.id}/delete", {}, lambda: fresh(Risk, risk.id) is None)


def _remove_media_item(users):
    item = _first(MediaItem)
    return ("admin@sanaly.test", f"/admin/media/{item.id}/delete", {}, lambda: fresh(MediaItem, item.id) is None)


def _remove_hearing(users):
    hearing = _first(Hearing)
    return ("admin@sanaly.test", f"/admin/hearings/1.7/{hearing.id}/delete", {},
            lambda: fresh(Hearing, hearing.id) is None)


def _remove_position(users):
    position = _first(EquatedPosition)
    return ("admin@sanaly.test", f"/admin/registers/1.6/positions/{position.id}/remove", {},
            lambda: fresh(EquatedPosition, position.id) is None)


def _remove_declarant(users):
    duty = _first(DeclarationDuty)
    return ("admin@sanaly.test", f"/admin/registers/1.5/declarations/{duty.id}", {"action": "remove"},
            lambda: fresh(DeclarationDuty, duty.id) is None)


def _remove_evidence(users):
    evidence = _first(Evidence)
    return ("admin@sanaly.test", f"/deliverables/evidence/{evidence.id}/remove", {"next": "/deliverables/"},
            lambda: fresh(Evidence, evidence.id) is None)


def _discard_lesson_draft(users):
    lesson = _first(Lesson, Lesson.retired.is_(False), Lesson.current_version_id.is_not(None))
    course = db.session.get(Course, lesson.course_id)
    fields = {**lesson_editor.fields_of(lesson), "markdown": "Unpublished text,\nonly in the draft."}
    lesson_editor.save_draft(course, lesson.slug, fields, author=users["admin@sanaly.test"], now=utcnow())
    return ("admin@sanaly.test", f"/authoring/courses/{course.slug}/lessons/{lesson.slug}/edit",
            {**fields, "action": "discard"}, lambda: lesson_editor.load_draft(course, lesson.slug) is None)


def _quiz_with_a_draft(users) -> tuple[Quiz, dict, dict]:
    """The first quiz, with a changed question and changed settings waiting in its draft; its question and fields."""
    quiz = _first(Quiz)
    question = quiz.current.questions[0]
    fields = {**quiz_editor.question_fields(question), "text": "A question only the draft asks?"}
    quiz_editor.save_part(quiz, quiz_editor.question_part(question["key"]), fields,
                          author=users["admin@sanaly.test"], now=utcnow())
    quiz_editor.save_part(quiz, quiz_editor.SETTINGS, {**quiz_editor.settings_of(quiz), "xp": "77"},
                          author=users["admin@sanaly.test"], now=utcnow())
    return quiz, question, fields


def _discard_quiz_question_draft(users):
    quiz, question, fields = _quiz_with_a_draft(users)
    return ("admin@sanaly.test", f"/authoring/quizzes/{quiz.slug}/questions/{question['key']}/edit",
            {**fields, "action": "discard"},
            lambda: set(quiz_editor.draft_parts(quiz)) == {quiz_editor.SETTINGS})


def _discard_whole_quiz_draft(users):
    quiz, _, _ = _quiz_with_a_draft(users)
    return ("admin@sanaly.test", f"/authoring/quizzes/{quiz.slug}/settings", {"action": "discard-all"},
            lambda: quiz_editor.draft_parts(quiz) == {})


IRREVERSIBLE = {
    "withdraw an entry": _withdraw, "seal a score": _seal, "declare a conflict of interest": _conflict,
    "publish contest results": _publish_contest, "end a brain ring game": _end_game, "revoke an API token": _revoke,
    "rotate an event code": _rotate, "publish a survey wave": _publish_survey, "hide an idea": _hide_idea,
    "hide a clip": _hide_clip, "confirm volunteering": _confirm_volunteering, "close a report case": _close_case,
    "deactivate a person": _deactivate, "remove a risk": _remove_risk, "remove a media item": _remove_media_item,
    "remove a hearing": _remove_hearing, "take a position off the list": _remove_position,
    "remove evidence": _remove_evidence, "take a declarant off the list": _remove_declarant,
    "discard a lesson's draft": _discard_lesson_draft, "discard a quiz question's draft": _discard_quiz_question_draft,
    "discard a quiz's whole draft": _discard_whole_quiz_draft,
}


def confirmation_form(page: str) -> list[tuple[str, str]]:
    """The fields the confirmation page's form sends, with its confirming (first) button's own name and value."""
    form = page[page.index('<section class="narrow confirm"'):]
    form = form[:form.index("</form>")]
    fields = [(html.unescape(name), html.unescape(value)) for name, value in
              re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', form)]
    button = re.search(r'<button class="button danger-button" type="submit"(?: name="([^"]*)" value="([^"]*)")?>', form)
    if button.group(1):
        fields.append((button.group(1), button.group(2)))
    return fields


@pytest.mark.parametrize("action", IRREVERSIBLE)
def test_an_irreversible_action_asks_first_and_happens_only_once_confirmed(app, demo, client, action):
    email, url, data, done = IRREVERSIBLE[action](demo)
    db.session.commit()
    sign_in(client, email)
    asked = client.post(url, data=data)
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and not done()
    assert "Nothing has been done yet." in page and "This cannot be undone:" in page
    fields = confirmation_form(page)
    assert ("confirmed", "yes") in fields
    for name, value in data.items():                   # the form comes back as it was typed
        for one in (value if isinstance(value, list) else [value]):
            assert (name, one) in fields, (name, one)
    answer = client.post(url, data=MultiDict([(name, value) for name, value in fields if name != "csrf_token"]))
    assert answer.status_code in (200, 302) and done()


def test_the_confirmation_page_offers_a_way_back_and_a_juror_may_keep_a_draft_instead(app, demo, client):
    email, url, data, sealed = _seal(demo)
    sign_in(client, email)
    page = client.post(url, data=data).get_data(as_text=True)
    assert f'href="{url}"' in page and "Cancel" in page
    assert "Argument" in page and "7 / 10" in page     # what is about to be sealed
    kept = [(name, value) for name, value in confirmation_form(page) if name not in ("action", "csrf_token")]
    assert client.post(url, data=MultiDict(kept + [("action", "save")])).status_code == 302
    assert not sealed()
    score = fresh(JuryAssignment, _essay_assignment(demo).id).score
    assert score.values and score.comment == "Clear and\npractical."


def test_a_seal_with_a_missing_criterion_shows_the_form_error_not_the_confirmation(app, demo, client):
    email, url, data, sealed = _seal(demo)
    sign_in(client, email)
    first = next(key for key in data if key.startswith("c-"))
    response = client.post(url, data={**data, first: ""})
    assert response.status_code == 422 and "Score every criterion before sealing" in response.get_data(as_text=True)
    assert "Nothing has been done yet." not in response.get_data(as_text=True)


def test_restoring_a_hidden_idea_needs_no_confirmation(app, demo, client):
    email, url, data, hidden = _hide_idea(demo)
    sign_in(client, email)
    client.post(url, data={**data, "confirmed": "yes"})
    assert hidden()
    client.post(url, data={"action": "restore"})
    assert not hidden()


def test_saving_a_person_without_deactivating_needs_no_confirmation(app, demo, client):
    email, url, data, deactivated = _deactivate(demo)
    sign_in(client, email)
    assert client.post(url, data={**data, "active": "y", "full_name": "Renamed Student"}).status_code == 302
    assert fresh(User, demo["student3@sanaly.test"].id).full_name == "Renamed Student" and not deactivated()


@pytest.mark.parametrize("action", ["discard a lesson's draft", "discard a quiz question's draft"])
def test_a_discard_can_keep_what_was_typed_as_the_draft_instead(app, demo, client, action):
    """The question before a discard offers to save the form as typed: text typed since the last save is not lost
    by the way out (the Cancel link would go back to the draft as last saved)."""
    email, url, data, discarded = IRREVERSIBLE[action](demo)
    db.session.commit()
    sign_in(client, email)
    field = "markdown" if "markdown" in data else "text"
    typed = {**data, field: "Typed after the last save, then Discard pressed."}
    page = client.post(url, data=typed).get_data(as_text=True)
    assert "Save as a draft instead" in page
    kept = [(name, value) for name, value in confirmation_form(page) if name not in ("action", "csrf_token")]
    assert client.post(url, data=MultiDict(kept + [("action", "draft")])).status_code in (200, 302)
    assert not discarded()
    assert "Typed after the last save, then Discard pressed." in client.get(url).get_data(as_text=True)
