"""The brain-ring set editor: questions, options, answer, picture and seconds through the set loader's checks,
kk/ru side by side, problems at their field with nothing lost, pictures re-encoded, preview, grants, export."""
import io
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.authoring import rings as ring_editor
from app.authoring.models import BROWSER, ContentDraft
from app.authoring.service import current_revision, export_content
from app.brainring import service as ring_service
from app.brainring.loader import read_ring_set
from app.brainring.models import RingSet
from app.extensions import db
from test_authoring_surveys import untranslated_marks

SET = "brain-ring-anticorruption"
MARKER = "taken-at-the-deans-office"

NEW = {
    "slug": "ring-2026", "title": "Ring 2026", "description": "Two questions.", "title-kk": "Ринг 2026",
    "q-0-text": "Which of these is a bribe?", "q-0-options": "A thank-you card\nMoney for a grade\nA flower",
    "q-0-answer": "2", "q-0-seconds": "30",
    "q-0-text-kk": "Қайсысы пара?", "q-0-options-kk": "Алғыс хат\nБаға үшін ақша\nГүл",
    "q-1-text": "May a teacher accept a gift worth a monthly wage?", "q-1-options": "Yes\nNo", "q-1-answer": "2",
    "q-1-seconds": "20",
}


def picture(marker: str = MARKER) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", marker)
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), (20, 120, 200)).save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


@pytest.fixture
def officer(app, setup_cli, make_user, auth):
    assert setup_cli("load-content").exit_code == 0
    person = make_user(roles=("admin",))
    auth.login(person.email)
    return person


def _ring(slug="ring-2026") -> RingSet | None:
    db.session.expire_all()
    return db.session.execute(select(RingSet).where(RingSet.slug == slug)).scalar()


def _audits(action: str, subject: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == action, AuditEvent.subject == subject))


def _post(client, url, data, upload: bytes | None = None, name="receipt.png"):
    if upload is not None:
        data = {**data, "q-0-upload": (io.BytesIO(upload), name)}
    return client.post(url, data=data, content_type="multipart/form-data")


def test_an_officer_creates_a_set_with_a_picture_seconds_and_a_translation(officer, client, app):
    assert client.get("/authoring/brainring/new").status_code == 200
    response = _post(client, "/authoring/brainring/new", {**NEW, "action": "publish"}, upload=picture())
    assert response.status_code == 302 and response.headers["Location"].endswith("/authoring/brainring/ring-2026/edit")
    ring = _ring()
    first, second = ring.questions
    assert (first["answer"], first["seconds"], second["seconds"]) == (1, 30, 20)
    assert first["key"] == "which-of-these-is-a-bribe" and first["translations"]["kk"]["options"][1] == "Баға үшін ақша"
    assert ring.translations["kk"]["title"] == "Ринг 2026"
    assert first["image"].startswith("images/uploaded/") and first["image"].endswith(".jpg") and not second["image"]
    stored = Path(app.config["UPLOAD_FOLDER"]) / "ring-images" / first["image"].rsplit("/", 1)[1]
    data = stored.read_bytes()
    assert data[:3] == b"\xff\xd8\xff" and MARKER.encode() not in data and "receipt" not in first["image"]
    revision = current_revision("brainring", "ring-2026")
    assert revision.origin == BROWSER and revision.author_id == officer.id
    assert _audits("content.published", "brainring:ring-2026") == 1
    picture_page = client.get(f"/authoring/brainring/pictures/{first['image']}")
    assert picture_page.status_code == 200 and picture_page.mimetype == "image/jpeg"


@pytest.mark.parametrize("change, field, words", [
    ({"q-0-answer": "4"}, "q-0-answer", "1 for the first line"),
    ({"q-0-answer": "two"}, "q-0-answer", "1 for the first line"),
    ({"q-0-seconds": "200"}, "q-0-seconds", "at most 120"),
    ({"q-1-seconds": "soon"}, "q-1-seconds", "from 5 to 120"),
    ({"q-0-options": "A\nB\nC\nD\nE"}, "q-0-options", "2 to 4 options"),
    ({"q-0-options-kk": "Алғыс хат\nБаға үшін ақша"}, "q-0-options-kk", "3 entries, in its order"),
    ({"per_game": "5"}, "per_game", "the set has 2"),
    ({"title": ""}, "title", "must not be empty"),
])
def test_bad_input_comes_back_at_its_field_keeping_what_was_typed(officer, client, change, field, words):
    page = _post(client, "/authoring/brainring/new", {**NEW, **change, "action": "publish"}).get_data(as_text=True)
    assert f'id="{field}-error"' in page and words in page
    for name in ("q-0-text", "q-0-text-kk", "q-1-options", "title-kk", *change):
        assert ({**NEW, **change}[name] or 'value=""') in page
    assert _ring() is None


def test_a_file_that_is_not_a_picture_is_refused_at_its_question(officer, client, app):
    page = _post(client, "/authoring/brainring/new", {**NEW, "action": "publish"}, upload=b"%PDF-1.4 not a picture",
                 name="notes.png").get_data(as_text=True)
    assert 'id="q-0-image-error"' in page and "Which of these is a bribe?" in page
    assert _ring() is None and not (Path(app.config["UPLOAD_FOLDER"]) / "ring-images").exists()


def test_the_preview_shows_the_projector_and_the_pads_in_each_language(officer, client):
    page = _post(client, "/authoring/brainring/new", {**NEW, "action": "preview-kk"}, upload=picture()).get_data(as_text=True)
    preview = page.split('id="preview-title"', 1)[1]
    assert "Қайсысы пара?" in preview and "Баға үшін ақша" in preview and "Ринг 2026" in preview
    assert 'class="ring-image" src="/authoring/brainring/pictures/images/uploaded/' in preview
    assert preview.count('class="pad opt-') == 3 and "· 30 s" in preview and "· 20 s" in preview
    assert 'name="q-0-image" value="images/uploaded/' in page          # the picture is kept for the next step
    assert _ring() is None


def test_a_set_not_yet_in_kazakh_previews_in_kazakh_as_the_hall_sees_it(officer, client):
    original = {name: value for name, value in NEW.items() if not name.endswith("-kk")}
    page = _post(client, "/authoring/brainring/new", {**original, "action": "preview-kk"}).get_data(as_text=True)
    preview = page.split('id="preview-title"', 1)[1]
    assert "Which of these is a bribe?" in preview                # the set's words: the original's
    assert "Осы кезде ойыншының телефонында" in preview and "A player's phone" not in preview


def test_a_draft_keeps_unfinished_work(officer, client):
    assert _post(client, "/authoring/brainring/new", {**NEW, "q-0-seconds": "sixty", "action": "draft"}).status_code == 200
    draft = db.session.execute(select(ContentDraft).where(ContentDraft.kind == "brainring")).scalar_one()
    assert draft.fields["q-0-seconds"] == "sixty"
    assert 'value="sixty"' in client.get("/authoring/brainring/new").get_data(as_text=True)
    assert _ring() is None


def test_changing_a_set_from_files_leaves_games_already_opened_alone(officer, client, make_user):
    host = make_user("host@uni.test", roles=("curator", "staff"))
    game = ring_service.open_game(host, _ring(SET), "", datetime(2025, 10, 9, 10, 0))
    played = [dict(q) for q in game.questions]
    fields = ring_editor.fields_of(_ring(SET))
    fields.update({"q-0-seconds": "45", "action": "publish"})
    assert _post(client, f"/authoring/brainring/{SET}/edit", fields).status_code == 302
    ring = _ring(SET)
    assert ring.questions[0]["seconds"] == 45 and ring.questions[1]["seconds"] == 20
    assert "+seconds = 45" in current_revision("brainring", SET).diff
    history = client.get(f"/authoring/brainring/{SET}/history").get_data(as_text=True)
    assert officer.full_name in history and "+seconds = 45" in history and "loaded from files" in history
    db.session.refresh(game)
    assert game.questions == played


def test_editors_edit_only_the_sets_they_are_given(app, setup_cli, client, auth, make_user):
    assert setup_cli("load-content").exit_code == 0
    editor = make_user(roles=("editor",))
    auth.login(editor.email)
    assert client.get(f"/authoring/brainring/{SET}/edit").status_code == 403
    assert client.get("/authoring/brainring/new").status_code == 403
    auth.logout()
    auth.login(make_user(roles=("admin",)).email)
    assert client.post(f"/authoring/brainring/{SET}/editors", data={"email": editor.email}).status_code == 302
    auth.logout()
    auth.login(editor.email)
    fields = {**ring_editor.fields_of(_ring(SET)), "title-ru": "Брейн-ринг: знай закон", "action": "publish"}
    assert _post(client, f"/authoring/brainring/{SET}/edit", fields).status_code == 302
    assert _ring(SET).translations["ru"]["title"] == "Брейн-ринг: знай закон"
    auth.logout()
    auth.login(make_user(roles=("curator",)).email)
    assert client.get(f"/authoring/brainring/{SET}/edit").status_code == 403


def test_a_set_made_in_the_browser_exports_with_its_picture_and_plays_it(officer, client, app, tmp_path, make_user, auth):
    assert _post(client, "/authoring/brainring/new", {**NEW, "action": "publish"}, upload=picture()).status_code == 302
    ring = _ring()
    export_content(tmp_path, Path(app.config["CONTENT_FOLDER"]), uploads=Path(app.config["UPLOAD_FOLDER"]))
    assert (tmp_path / "quizzes" / ring.questions[0]["image"]).is_file()
    spec = read_ring_set(tmp_path / "quizzes" / "ring-2026.toml")
    assert spec["questions"] == ring.questions and spec["translations"] == ring.translations
    game = ring_service.open_game(officer, ring, "", datetime(2025, 10, 9, 10, 0))
    response = client.get(f"/ring/{game.code}/images/0")                 # the projector, from the uploads
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    exported = (tmp_path / "quizzes" / ring.questions[0]["image"]).read_bytes()
    assert response.get_data() == exported, "the export carries the picture itself, byte for byte, not only its name"
    auth.logout()
    auth.login(make_user(roles=("editor",)).email)          # not given this set: not its picture either
    assert client.get(f"/authoring/brainring/pictures/{ring.questions[0]['image']}").status_code == 403
    auth.logout()
    auth.login(make_user(roles=("curator",)).email)
    assert client.post("/authoring/brainring/ring-2026/retire", data={"confirmed": "yes"}).status_code == 403
    auth.logout()
    auth.login(officer.email)
    assert client.post("/authoring/brainring/ring-2026/retire", data={"confirmed": "yes"}).status_code == 302
    assert _ring().retired and _audits("content.retired", "brainring:ring-2026") == 1


def test_a_preview_of_fields_that_do_not_check_says_so_and_keeps_what_was_typed(officer, client):
    page = _post(client, "/authoring/brainring/new", {**NEW, "title": "", "action": "preview-kk"}).get_data(as_text=True)
    assert "The preview needs the fields marked below corrected first" in page
    assert 'id="preview-title"' not in page and "Two questions." in page
    assert 'id="title-error"' in page


def test_the_editor_counts_and_marks_what_is_not_yet_translated(officer, client):
    missing = ring_editor.untranslated(NEW)
    assert "q-1-text" in missing["kk"] and "q-0-text" not in missing["kk"] and "title" in missing["ru"]
    page = _post(client, "/authoring/brainring/new", {**NEW, "action": "preview-"}).get_data(as_text=True)
    marked = untranslated_marks(page, missing)
    assert "q-1-options-kk" in marked and "title-ru" in marked and "q-0-options-kk" not in marked
