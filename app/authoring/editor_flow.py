"""The one flow of every authoring editor: keep a draft, discard it, preview, publish.

A new course or quiz, a course's settings, a lesson, a contest, a survey and a brain-ring set are all edited the
same way; each editor says only what it does its own way (an `EditorFlow`: how its form is read, how its draft is
kept and dropped, how it is published and where the writer goes next, and its own actions such as a preview).
The rules they share:

- a draft is kept as typed, even when it would not publish;
- publishing stores nothing unless every field checks: otherwise the transaction is rolled back, the messages are
  at the fields, and every field is shown again as typed (nothing is lost, the kept draft is untouched);
- discarding asks first (the draft's unpublished text cannot be brought back): without the form's `confirmed=yes`
  nothing changes and the page asks; once confirmed it drops the draft and comes back to the page, which then opens
  as published (or blank);
- a form with a file that cannot be kept (a picture that is not one) is neither published, kept, nor previewed.

The flow never reads the request: the page hands it the submitted form (or None when it is only opened) and the
page's own address, and shows what it answers (`Step`), or asks what the step's `confirm` says.
"""
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from app.extensions import db

PUBLISH, DRAFT, DISCARD = "publish", "draft", "discard"


def not_published() -> str:
    """The message of a publish refused for the fields marked on the page."""
    return _("Not published: correct the fields marked below. Nothing you wrote is lost.")


def preview_refused() -> str:
    """The message of a preview that needs the fields marked on the page corrected first."""
    return _("The preview needs the fields marked below corrected first. Nothing you wrote is lost.")


def previewed(fields: dict[str, str], checked: Any, problems: Mapping[str, str], show: Callable[[Any], Any]) -> "Step":
    """A preview: the page as students will see it, drawn by `show` from what the fields' check gave; or, when the
    fields did not check (`checked` is None), their problems with the message that the preview needs them first."""
    if checked is None:
        return Step(fields, problems=dict(problems), notice=preview_refused(), failed=True)
    return Step(fields, problems=dict(problems), preview=show(checked))


@dataclass
class Confirmation:
    """The question put before an action that cannot be undone: what is about to happen and what is lost, the
    confirming button with the (name, value) it sends, the page to go back to, and a harmless way out that keeps
    what was typed (label, name, value), if there is one."""
    question: str
    consequence: str
    button: str
    button_field: tuple[str, str]
    back: str
    alternative: tuple[str, str, str] | None = None


def discard_confirmation(back: str, action: str = DISCARD, *, whole: bool = False) -> Confirmation:
    """What is asked before a draft is discarded from the editor at `back`, whose button sends `action`; the way
    out keeps the form as typed as the draft (the confirmation page resends every field). `whole`: the quiz
    editor's whole draft, every part at once, which has no single form to keep."""
    if whole:
        return Confirmation(
            question=_("Discard the whole draft?"),
            consequence=_("the unpublished changes of every part of it are lost; students keep seeing what is "
                          "published now."),
            button=_("Discard the whole draft"), button_field=("action", action), back=back)
    return Confirmation(
        question=_("Discard the draft?"),
        consequence=_("its unpublished changes are lost; students keep seeing what is published now."),
        button=_("Discard the draft"), button_field=("action", action), back=back,
        alternative=(_("Save as a draft instead"), "action", DRAFT))


@dataclass
class Step:
    """What one request to an editor comes to: the fields to show with their problems and the page's preview, a
    message to flash (an error when `failed`), the page to go to, if any, or the question to ask before anything
    is done (`confirm`)."""
    fields: dict[str, str]
    draft: Any = None
    problems: dict[str, str] = field(default_factory=dict)
    preview: Any = None
    notice: str = ""
    failed: bool = False
    go_to: str | None = None
    confirm: Confirmation | None = None


@dataclass
class EditorFlow:
    """What one editor does its own way; the rest is `take_step`'s.

    `publish` returns an outcome with `problems` (empty when published); `published` turns a published outcome
    into the message to show and the address to go to. `own_step` answers any action other than publish, draft
    and discard (a preview, an upload, a copied question); an editor without one keeps a draft for any other
    action. `attach` adds the files sent with the form to its fields, with the problems of those it cannot keep.
    """
    read: Callable[[Mapping], dict[str, str]]
    opening: Callable[[], dict[str, str]]
    load_draft: Callable[[], Any]
    save_draft: Callable[[dict[str, str]], Any]
    discard_draft: Callable[[], None]
    publish: Callable[[dict[str, str]], Any]
    published: Callable[[Any], tuple[str, str]]
    draft_saved: str
    own_step: Callable[[str, dict[str, str]], Step] | None = None
    attach: Callable[[dict[str, str]], tuple[dict[str, str], dict[str, str]]] | None = None
    default_action: str = "preview"


def take_step(flow: EditorFlow, submitted: Mapping | None, here: str) -> Step:
    """Answer one request to an editor: open it (`submitted` is None) from the draft or as `flow.opening` gives
    it, or carry out the submitted form's action; a discard asks first unless `submitted` carries the confirmation,
    and comes back to `here`."""
    draft = flow.load_draft()
    if submitted is None:
        return Step(fields=dict(draft.fields) if draft is not None else flow.opening(), draft=draft)
    fields = flow.read(submitted)
    action = submitted.get("action", flow.default_action)
    if action == DISCARD and submitted.get("confirmed") != "yes":     # before `attach`, which may store a file
        return Step(fields, draft, confirm=discard_confirmation(here))
    if flow.attach is not None:
        fields, problems = flow.attach(fields)
        if problems:
            return Step(fields, draft, problems=problems, notice=not_published(), failed=True)
    if action not in (PUBLISH, DISCARD) and flow.own_step is None:
        action = DRAFT
    if action == PUBLISH:
        outcome = flow.publish(fields)
        if outcome.problems:
            db.session.rollback()
            return Step(fields, draft, problems=outcome.problems, notice=not_published(), failed=True)
        db.session.commit()
        message, go_to = flow.published(outcome)
        return Step(fields, draft, notice=message, go_to=go_to)
    if action == DRAFT:
        draft = flow.save_draft(fields)
        db.session.commit()
        return Step(fields, draft, notice=flow.draft_saved)
    if action == DISCARD:
        flow.discard_draft()
        db.session.commit()
        return Step(fields, None, notice=_("Draft discarded."), go_to=here)
    step = flow.own_step(action, fields)
    step.draft = draft
    return step
