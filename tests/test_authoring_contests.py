"""The contest editor: the contest loader's checks at the field, weights, translations, the rubric rule, who may edit."""
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.authoring import contests as contest_editor
from app.authoring import service
from app.authoring.models import BROWSER, ContentDraft
from app.authoring.service import current_revision
from app.contests.loader import load_contests
from app.contests.models import Contest, Entry
from app.extensions import db

ESSAY = "essay-2024-2025"
BEFORE_ESSAYS_OPEN = datetime(2024, 9, 1, 9, 0)          # the essay contest's entries open on 2024-10-15
WHILE_ESSAYS_OPEN = datetime(2024, 11, 1, 9, 0)


@pytest.fixture
def at(app):
    """Set the platform's clock to a moment (UTC)."""
    def set_moment(moment: datetime):
        app.config["NOW_FUNCTION"] = lambda: moment
    return set_moment


@pytest.fixture
def officer(app, setup_cli, make_user, auth, at):
    at(BEFORE_ESSAYS_OPEN)
    assert setup_cli("load-content").exit_code == 0
    person = make_user(roles=("admin",))
    auth.login(person.email)
    return person


def _contest(slug=ESSAY) -> Contest:
    db.session.expire_all()
    return db.session.execute(select(Contest).where(Contest.slug == slug)).scalar_one_or_none()


def new_contest_fields(**change) -> dict[str, str]:
    """A valid new contest: a poster contest with a weighted rubric of two criteria."""
    fields = {"slug": "poster-2025-2026", "kind": "essay", "title": "Poster: “Integrity is…”",
              "brief": "Write what integrity means on **one** page.", "activity": "2.9",
              "submissions_open": "2025-10-01T09:00", "submissions_close": "2025-11-01T18:00",
              "judging_close": "2025-11-15T18:00", "results_on": "2025-11-20", "eligibility": "students",
              "entries_per_person": "1", "language": "any", "min_words": "100", "max_words": "600", "max_file_mb": "2",
              "jurors_per_entry": "2", "normalisation": "zscore", "xp": "30", "places": "2",
              "criterion-0-key": "idea", "criterion-0-title": "Idea", "criterion-0-weight": "3",
              "criterion-0-scale": "10", "criterion-0-description": "A clear idea of integrity.",
              "criterion-1-key": "craft", "criterion-1-title": "Craft", "criterion-1-weight": "1",
              "criterion-1-scale": "5", "place-1-prize": "A diploma and a book", "place-2-prize": ""}
    return {**fields, **change}


def test_an_officer_publishes_a_new_contest_with_a_weighted_rubric(officer, client):
    response = client.post("/authoring/contests/new", data={**new_contest_fields(), "action": "publish"})
    assert response.status_code == 302
    contest = _contest("poster-2025-2026")
    assert [(c["key"], c["weight"], c["scale"]) for c in contest.criteria] == [("idea", 3, 10), ("craft", 1, 5)]
    assert (contest.normalisation, contest.min_words, contest.max_words, contest.max_file_mb, contest.xp) == (
        "zscore", 100, 600, 2, 30)
    assert contest.places == [{"place": 1, "prize": "A diploma and a book"}, {"place": 2, "prize": ""}]
    assert "<strong>one</strong>" in contest.brief_html
    revision = current_revision("contest", "poster-2025-2026")
    assert (revision.origin, revision.number, revision.author_id) == (BROWSER, 1, officer.id)
    assert "+weight = 3" in revision.diff
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "content.published", AuditEvent.subject == "contest:poster-2025-2026")) == 1
    assert "Poster: “Integrity is…”" in client.get("/contests/poster-2025-2026/").get_data(as_text=True)


def test_the_contest_window_is_typed_and_shown_in_the_university_time(officer, client, auth, make_user):
    form = client.get("/authoring/contests/new").get_data(as_text=True)
    assert all(f"{label} (Almaty time)" in form for label in ("Entries open", "Entries close", "Judging ends"))
    assert "(UTC)" not in form
    typed = {"submissions_open": "2024-08-01T10:00", "submissions_close": "2099-11-01T10:00",
             "judging_close": "2099-11-15T10:00", "results_on": ""}
    response = client.post("/authoring/contests/new", data={**new_contest_fields(**typed), "action": "publish"})
    assert response.status_code == 302
    contest = _contest("poster-2025-2026")
    assert (contest.submissions_open, contest.submissions_close, contest.judging_close) == (
        datetime(2024, 8, 1, 5, 0), datetime(2099, 11, 1, 5, 0), datetime(2099, 11, 15, 5, 0))   # Almaty: UTC+5
    assert "submissions_close = 2099-11-01 05:00:00" in current_revision("contest", contest.slug).files[
        f"contests/{contest.slug}.toml"]                                                  # the file door's UTC
    form = client.get(f"/authoring/contests/{contest.slug}/edit").get_data(as_text=True)
    assert all(f'value="{value}"' in form for value in typed.values() if value)
    auth.logout()
    auth.login(make_user(roles=("student",)).email)
    assert "2099-11-01 10:00 (UTC+5)" in client.get(f"/contests/{contest.slug}/").get_data(as_text=True)


def test_the_fields_of_a_loaded_contest_publish_back_to_the_same_contest(officer):
    before = _contest()
    criteria, places, translations = before.criteria, before.places, before.translations
    outcome = contest_editor.publish_contest(before, contest_editor.fields_of(before), author=officer,
                                             now=BEFORE_ESSAYS_OPEN)
    assert not outcome.problems
    after = _contest()
    assert (after.criteria, after.places) == (criteria, places)
    assert {language: {k: v for k, v in text.items()} for language, text in after.translations.items()} == translations


@pytest.mark.parametrize("change, field, words", [
    ({"criterion-1-weight": "0"}, "criterion-1-weight", "must be a positive number"),
    ({"criterion-1-weight": "heavy"}, "criterion-1-weight", "greater than 0"),
    ({"criterion-0-scale": "ten"}, "criterion-0-scale", "highest number of points"),
    ({"criterion-1-key": "idea"}, "criterion-1-key", "must be unique"),
    ({"criterion-0-title": ""}, "criterion-0-title", "must not be empty"),
    ({"submissions_close": "2025-09-01T09:00"}, "submissions_close", "submissions_open &lt; submissions_close"),
    ({"judging_close": "next week"}, "judging_close", "2025-10-15T09:00"),
    ({"max_words": "50"}, "max_words", "must not be below min_words"),
    ({"entries_per_person": "0"}, "entries_per_person", "at least 1"),
    ({"results_on": "2025-11-10"}, "results_on", "must not be before judging_close"),
    ({"slug": "Poster 2025"}, "slug", "lower-case words"),
    ({"title": ""}, "title", "must not be empty"),
    ({"max_file_mb": "6"}, "max_file_mb", "at most 5"),
    ({"places": "-1"}, "places", "0 for no places"),
    ({"place-3-prize": "A mug"}, "place-3-prize", "Only 2 places are awarded"),
    ({"title-kk": "", "brief-kk": "Тек сипаттама"}, "title-kk", "must not be empty"),
    ({"criterion-0-description-ru": "Ясная идея"}, "criterion-0-title-ru", "must not be empty"),
])
def test_bad_input_is_refused_at_its_field_keeping_what_was_typed(officer, client, change, field, words):
    fields = new_contest_fields(**change)
    page = client.post("/authoring/contests/new", data={**fields, "action": "publish"}).get_data(as_text=True)
    assert f'id="{field}-error"' in page and words in page
    kept = [value for value in fields.values() if value and "\n" not in value and "“" not in value]
    assert all(f'value="{value}"' in page or f">{value}</textarea>" in page for value in kept
               if value not in ("essay", "students", "any", "zscore"))
    assert _contest("poster-2025-2026") is None


def test_the_loader_checks_the_slug_against_contests_that_exist(officer, client):
    page = client.post("/authoring/contests/new", data={**new_contest_fields(slug=ESSAY), "action": "publish"})
    assert 'id="slug-error"' in page.get_data(as_text=True)
    assert current_revision("contest", ESSAY).origin != BROWSER


def test_translations_are_written_beside_the_original_and_untranslated_fields_are_named(officer, client):
    fields = new_contest_fields(**{"title-kk": "Плакат: «Адалдық дегеніміз…»", "brief-kk": "Бір бетке жазыңыз.",
                                   "criterion-0-title-kk": "Идея", "place-1-prize-kk": "Диплом және кітап"})
    assert contest_editor.untranslated(fields)["kk"] == ["criterion-0-description", "criterion-1-title"]
    assert client.post("/authoring/contests/new", data={**fields, "action": "publish"}).status_code == 302
    contest = _contest("poster-2025-2026")
    assert contest.translations["kk"]["title"] == "Плакат: «Адалдық дегеніміз…»"
    assert contest.translations["kk"]["criteria"] == {"idea": {"title": "Идея", "description": ""}}
    assert contest.translations["kk"]["places"] == {"1": "Диплом және кітап"}
    assert "ru" not in contest.translations
    page = client.get("/authoring/contests/poster-2025-2026/edit").get_data(as_text=True)
    assert "Not yet in Қазақша: 2 fields" in page and "Not yet in Русский" in page


def test_the_preview_is_the_students_page_in_the_chosen_language_and_stores_nothing(officer, client):
    fields = new_contest_fields(**{"title-kk": "Плакат", "criterion-0-title-kk": "Идея"})
    page = client.post("/authoring/contests/new", data={**fields, "action": "preview-kk"}).get_data(as_text=True)
    preview = page.split('id="preview-title"', 1)[1]
    assert "<h1>Плакат</h1>" in preview and "<strong>Идея</strong>" in preview and "<strong>Craft</strong>" in preview
    assert 'lang="kk"' in page.split('id="preview-title"', 1)[0].rsplit("<aside", 1)[1]
    assert _contest("poster-2025-2026") is None and current_revision("contest", "poster-2025-2026") is None


def test_a_draft_keeps_invalid_input_until_it_is_published(officer, client):
    fields = new_contest_fields(**{"criterion-1-weight": "heavy"})
    client.post("/authoring/contests/new", data={**fields, "action": "draft"})
    page = client.get("/authoring/contests/new").get_data(as_text=True)
    assert 'value="heavy"' in page and "You are editing a draft" in page
    assert _contest("poster-2025-2026") is None
    client.post("/authoring/contests/new", data={**fields, "criterion-1-weight": "2", "action": "publish"})
    assert _contest("poster-2025-2026").criteria[1]["weight"] == 2
    assert db.session.scalar(select(func.count()).select_from(ContentDraft)) == 0


def _entered(contest: Contest, make_user) -> None:
    student = make_user(roles=("student",))
    db.session.add(Entry(contest_id=contest.id, author_id=student.id, code="ABC123", status="submitted"))
    db.session.commit()


@pytest.mark.parametrize("change, field", [
    ({"criterion-0-weight": "5"}, "criterion-0-weight"),
    ({"criterion-1-scale": "5"}, "criterion-1-scale"),
    ({"criterion-4-key": "style", "criterion-4-title": "Style", "criterion-4-weight": "1",
      "criterion-4-scale": "10"}, "criterion-4-key"),
    ({"normalisation": "none"}, "normalisation"),
    ({"criterion-3-key": "", "criterion-3-title": "", "criterion-3-description": "", "criterion-3-weight": "",
      "criterion-3-scale": ""}, "criteria"),
])
def test_once_submissions_opened_the_rubric_cannot_change_a_score(officer, client, at, make_user, change, field):
    at(WHILE_ESSAYS_OPEN)
    _entered(_contest(), make_user)
    fields = contest_editor.fields_of(_contest())
    page = client.post(f"/authoring/contests/{ESSAY}/edit", data={**fields, **change, "action": "publish"})
    text = page.get_data(as_text=True)
    assert f'id="{field}-error"' in text and "jurors score against this rubric" in text
    contest = _contest()
    assert (contest.criteria[0]["weight"], contest.criteria[1]["scale"], len(contest.criteria),
            contest.normalisation) == (3, 10, 4, "zscore")
    assert current_revision("contest", ESSAY).origin != BROWSER


def test_once_submissions_opened_a_criterion_can_still_be_reworded(officer, client, at):
    at(WHILE_ESSAYS_OPEN)
    fields = {**contest_editor.fields_of(_contest()), "criterion-0-title": "Reasoning",
              "criterion-0-title-kk": "Пайымдау"}
    assert client.post(f"/authoring/contests/{ESSAY}/edit", data={**fields, "action": "publish"}).status_code == 302
    contest = _contest()
    assert contest.criteria[0]["title"] == "Reasoning" and contest.criteria[0]["weight"] == 3
    assert contest.translations["kk"]["criteria"]["argument"]["title"] == "Пайымдау"


def test_before_submissions_open_the_weights_may_change(officer, client):
    fields = {**contest_editor.fields_of(_contest()), "criterion-0-weight": "1.5"}
    assert client.post(f"/authoring/contests/{ESSAY}/edit", data={**fields, "action": "publish"}).status_code == 302
    assert _contest().criteria[0]["weight"] == 1.5


def test_an_editor_edits_only_the_contests_given_to_them_and_never_results(app, setup_cli, client, auth, make_user, at):
    at(BEFORE_ESSAYS_OPEN)
    assert setup_cli("load-content").exit_code == 0
    officer = make_user(roles=("admin",))
    editor = make_user(roles=("editor",))
    service.grant(editor, "contest", ESSAY, by=officer, now=BEFORE_ESSAYS_OPEN)
    db.session.commit()
    auth.login(editor.email)
    assert client.get(f"/authoring/contests/{ESSAY}/edit").status_code == 200
    assert client.get("/authoring/contests/poem-2024-2025/edit").status_code == 403
    assert client.post("/authoring/contests/poem-2024-2025/edit",
                       data={**contest_editor.fields_of(_contest("poem-2024-2025")), "action": "publish"}
                       ).status_code == 403
    assert client.get("/authoring/contests/new").status_code == 403
    assert client.post(f"/authoring/contests/{ESSAY}/editors", data={"email": editor.email}).status_code == 403
    assert client.post(f"/admin/contests/{ESSAY}/publish").status_code == 403
    assert client.get(f"/admin/contests/{ESSAY}/").status_code == 403
    assert _contest().published_at is None
    fields = {**contest_editor.fields_of(_contest()), "title": "Essay: what I would change"}
    assert client.post(f"/authoring/contests/{ESSAY}/edit", data={**fields, "action": "publish"}).status_code == 302
    assert _contest().title == "Essay: what I would change"
    assert current_revision("contest", ESSAY).author_id == editor.id


def test_a_student_cannot_open_the_editor(app, setup_cli, client, auth, make_user):
    assert setup_cli("load-content").exit_code == 0
    auth.login(make_user(roles=("student",)).email)
    assert client.get(f"/authoring/contests/{ESSAY}/edit").status_code == 403
    assert client.get("/authoring/contests/new").status_code == 403


def test_load_content_reports_a_contest_changed_in_the_browser(officer, client, runner):
    fields = {**contest_editor.fields_of(_contest()), "title": "Essay, edited in the browser"}
    client.post(f"/authoring/contests/{ESSAY}/edit", data={**fields, "action": "publish"})
    assert "not loaded: last changed in the browser" in runner.invoke(args=["load-content"]).output
    assert _contest().title == "Essay, edited in the browser"


def test_export_writes_the_edited_contest_in_the_contest_file_layout(officer, client, runner, tmp_path):
    client.post("/authoring/contests/new", data={**new_contest_fields(**{"title-ru": "Плакат"}), "action": "publish"})
    result = runner.invoke(args=["export-content", str(tmp_path)])
    assert result.exit_code == 0, result.output
    written = (tmp_path / "contests" / "poster-2025-2026.toml").read_text(encoding="utf-8")
    assert 'key = "idea"' in written and "weight = 3" in written
    assert 'title = "Плакат"' in (tmp_path / "contests" / "poster-2025-2026.ru.toml").read_text(encoding="utf-8")


def test_the_demo_editor_is_given_the_essay_contest(app, setup_cli, client, auth):
    assert setup_cli("demo").exit_code == 0
    auth.login("editor@sanaly.test", "demo-password")
    assert client.get(f"/authoring/contests/{ESSAY}/edit").status_code == 200
    assert client.get("/authoring/contests/poem-2024-2025/edit").status_code == 403
    page = client.get("/authoring/").get_data(as_text=True)
    assert f"/authoring/contests/{ESSAY}/edit" in page and "/authoring/contests/poem-2024-2025/edit" not in page


def test_the_file_door_keeps_the_same_rubric_rule(officer, at, tmp_path):
    """A contest file that would change the scores after entries opened is refused by the loader as well."""
    at(WHILE_ESSAYS_OPEN)
    source = Path(__file__).resolve().parent.parent / "contests"
    folder = tmp_path / "contests"
    folder.mkdir()
    for path in source.glob(f"{ESSAY}*.toml"):
        shutil.copy(path, folder / path.name)
    main = folder / f"{ESSAY}.toml"
    main.write_text(main.read_text(encoding="utf-8").replace("weight = 3", "weight = 4"), encoding="utf-8")
    _lines, problems = load_contests(folder)
    assert [(problem.key, "entries have opened" in problem.problem) for problem in problems] == [("criteria", True)]
    assert _contest().criteria[0]["weight"] == 3
    main.write_text(main.read_text(encoding="utf-8").replace('title = "Argument"', 'title = "Reasoning"')
                    .replace("weight = 4", "weight = 3"), encoding="utf-8")
    assert load_contests(folder)[1] == []
    assert _contest().criteria[0]["title"] == "Reasoning"


def test_history_shows_who_changed_what_and_a_retired_contest_is_audited(officer, client):
    fields = {**contest_editor.fields_of(_contest()), "criterion-0-weight": "4"}
    client.post(f"/authoring/contests/{ESSAY}/edit", data={**fields, "action": "publish"})
    page = client.get(f"/authoring/contest/{ESSAY}/history").get_data(as_text=True)
    assert officer.full_name in page and "+weight = 4" in page and "-weight = 3" in page
    assert client.post(f"/authoring/contest/{ESSAY}/retire", data={"confirmed": "yes"}).status_code == 302
    assert _contest().retired and client.get(f"/contests/{ESSAY}/").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "content.retired", AuditEvent.subject == f"contest:{ESSAY}")) == 1


def test_a_contest_with_published_results_keeps_its_rubric_word_for_word(officer, client):
    db.session.execute(Contest.__table__.update().where(Contest.slug == ESSAY).values(published_at=WHILE_ESSAYS_OPEN))
    db.session.commit()
    fields = {**contest_editor.fields_of(_contest()), "criterion-0-title": "Reasoning"}
    page = client.post(f"/authoring/contests/{ESSAY}/edit", data={**fields, "action": "publish"}).get_data(as_text=True)
    assert 'id="criteria-error"' in page and "not even a title" in page
    assert _contest().criteria[0]["title"] == "Argument"
    fields = {**contest_editor.fields_of(_contest()), "criterion-0-title-kk": "Пайымдау"}
    assert client.post(f"/authoring/contests/{ESSAY}/edit", data={**fields, "action": "publish"}).status_code == 302
    assert _contest().translations["kk"]["criteria"]["argument"]["title"] == "Пайымдау"
