"""The one flow every editor shares: a draft is kept as typed, even when invalid; publishing an invalid draft stores
nothing and shows the messages at the fields with everything typed; discarding asks first, then comes back to the
page; a form with a file that cannot be kept does nothing else."""
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from app.authoring.editor_flow import EditorFlow, Step, not_published, take_step
from app.extensions import db
from app.people.models import Faculty

HERE = "/authoring/things/new"


class Editor:
    """An editor of one faculty's name, with its draft in memory: what a real editor's pages hand the flow."""

    def __init__(self, draft=None):
        self.draft = SimpleNamespace(fields=dict(draft)) if draft is not None else None
        self.published = []

    def flow(self, **overrides) -> EditorFlow:
        return EditorFlow(**{
            "read": lambda form: {"name": form.get("name", "").strip()},
            "opening": lambda: {"name": ""},
            "load_draft": lambda: self.draft,
            "save_draft": self.save, "discard_draft": self.discard, "publish": self.publish,
            "published": lambda outcome: ("Published.", f"/things/{outcome.name}"),
            "draft_saved": "Draft saved.",
            "own_step": lambda action, fields: Step(fields, preview=f"preview of {fields['name']}"),
            **overrides})

    def save(self, fields):
        self.draft = SimpleNamespace(fields=dict(fields))
        return self.draft

    def discard(self):
        self.draft = None

    def publish(self, fields):
        db.session.add(Faculty(name=fields["name"] or "(none)"))      # stored before the check, as loaders do
        if len(fields["name"]) < 3:
            return SimpleNamespace(problems={"name": "Write at least three letters."}, name="")
        self.published.append(fields["name"])
        return SimpleNamespace(problems={}, name=fields["name"])


def _faculties() -> int:
    return db.session.execute(select(func.count()).select_from(Faculty)).scalar()


@pytest.fixture
def step(app):
    with app.test_request_context():
        yield lambda editor, form, **overrides: take_step(editor.flow(**overrides), form, HERE)


def test_a_page_opens_from_its_draft_else_as_published(step):
    assert step(Editor(), None).fields == {"name": ""}
    opened = step(Editor(draft={"name": "Energy"}), None)
    assert opened.fields == {"name": "Energy"} and opened.draft is not None
    assert not opened.notice and opened.go_to is None


def test_a_draft_is_kept_as_typed_even_when_it_would_not_publish(step):
    editor = Editor()
    kept = step(editor, {"action": "draft", "name": " E "})
    assert editor.draft.fields == {"name": "E"} and kept.draft is editor.draft
    assert (kept.notice, kept.failed, kept.go_to, kept.problems) == ("Draft saved.", False, None, {})
    assert _faculties() == 0


def test_publishing_an_invalid_draft_stores_nothing_and_loses_nothing(step):
    editor = Editor(draft={"name": "Energy faculty"})
    refused = step(editor, {"action": "publish", "name": "E"})
    assert refused.problems == {"name": "Write at least three letters."}
    assert refused.fields == {"name": "E"}                               # as typed, shown again
    assert refused.failed and refused.notice == not_published() and refused.go_to is None
    assert editor.draft.fields == {"name": "Energy faculty"}            # the kept draft is untouched
    assert _faculties() == 0                                            # rolled back


def test_a_published_item_is_stored_and_the_writer_goes_where_the_editor_says(step):
    editor = Editor()
    done = step(editor, {"action": "publish", "name": "Mining"})
    assert (done.notice, done.failed, done.go_to) == ("Published.", False, "/things/Mining")
    db.session.rollback()                                               # committed: a rollback keeps it
    assert _faculties() == 1 and editor.published == ["Mining"]


def test_discarding_drops_the_draft_and_comes_back_to_the_page(step):
    editor = Editor(draft={"name": "Energy"})
    done = step(editor, {"action": "discard", "name": "Energy", "confirmed": "yes"})
    assert editor.draft is None and done.draft is None
    assert (done.notice, done.go_to, done.confirm) == ("Draft discarded.", HERE, None)


def test_a_discard_without_the_confirmation_keeps_the_draft_and_asks_first(step):
    editor = Editor(draft={"name": "Energy"})
    asked = step(editor, {"action": "discard", "name": "Energy faculty"},
                 attach=lambda fields: pytest.fail("a file is kept before the discard is confirmed"))
    assert editor.draft.fields == {"name": "Energy"} and asked.draft is editor.draft
    assert asked.confirm.question == "Discard the draft?" and asked.confirm.back == HERE
    assert asked.confirm.button_field == ("action", "discard")
    assert (asked.notice, asked.go_to) == ("", None)


def test_other_actions_are_the_editors_own_and_keep_the_draft_shown(step):
    editor = Editor(draft={"name": "Energy"})
    shown = step(editor, {"action": "preview-kk", "name": "Mining"})
    assert shown.preview == "preview of Mining" and shown.draft is editor.draft
    assert editor.draft.fields == {"name": "Energy"}
    assert step(editor, {"name": "Law"}).preview == "preview of Law"     # no action: the editor's default


def test_an_editor_without_actions_of_its_own_keeps_a_draft_for_any_other(step):
    editor = Editor()
    kept = step(editor, {"action": "preview", "name": "Law"}, own_step=None)
    assert editor.draft.fields == {"name": "Law"} and kept.notice == "Draft saved."


@pytest.mark.parametrize("action", ["publish", "draft", "preview"])
def test_a_form_with_a_file_that_cannot_be_kept_does_nothing_else(step, action):
    editor = Editor()
    refused = step(editor, {"action": action, "name": "Mining"},
                   attach=lambda fields: ({**fields, "picture": ""}, {"picture": "This is not a picture."}))
    assert refused.problems == {"picture": "This is not a picture."} and refused.failed
    assert refused.fields == {"name": "Mining", "picture": ""} and refused.preview is None
    assert editor.draft is None and editor.published == [] and _faculties() == 0
