"""Authoring pages for surveys and brain-ring sets: edit side by side in every language, preview, draft, publish;
giving a survey, a set or a quiz to an editor."""
from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup

from app.authoring import bp, service
from app.authoring import quizzes as quiz_editor
from app.authoring import rings as ring_editor
from app.authoring import surveys as survey_editor
from app.authoring.editor_flow import EditorFlow, Step, previewed, take_step
from app.authoring.languages import TRANSLATIONS
from app.authoring.routes import answer, submitted
from app.brainring.service import picture_file
from app.core.clock import now
from app.core.uploads import UploadError
from app.extensions import db
from app.people.access import ensure, role_required
from app.people.models import ADMIN, EDITOR
from app.surveys.loader import TYPES as SURVEY_TYPES

def _folders() -> dict[str, Path]:
    return {"content_folder": Path(current_app.config["CONTENT_FOLDER"]),
            "upload_folder": Path(current_app.config["UPLOAD_FOLDER"])}


def _allowed(kind: str, slug: str | None) -> None:
    """A new item is the ACS's to create; an existing one is edited by admins and the editors given it."""
    if slug is None:
        ensure(current_user.has_role(ADMIN))
    else:
        ensure(service.can_edit(current_user, kind, slug))


@bp.route("/surveys/new", methods=["GET", "POST"], defaults={"slug": None})
@bp.route("/surveys/<slug>/edit", methods=["GET", "POST"])
@role_required(ADMIN, EDITOR)
def edit_survey(slug):
    """Edit a survey — questions of every type, waves, kk/ru side by side — preview it, keep a draft, publish it."""
    survey = survey_editor.survey_by_slug(slug) if slug else None
    if slug and survey is None:
        abort(404)
    _allowed("survey", slug)
    form = FlaskForm()

    def own_step(action, fields):
        if action.startswith("copy-") and action[5:].isdigit():
            return Step(survey_editor.add_question_from(fields, int(action[5:]), survey),
                        notice=_("A new question with these options is added at the end; the answered question keeps "
                                 "its options. Publish to keep both."))
        if not action.startswith("preview"):
            return Step(fields)
        outcome = survey_editor.check(dict(fields), survey)
        language = action.removeprefix("preview").lstrip("-")
        return previewed(fields, outcome.spec, outcome.problems, lambda spec: _survey_preview(spec, language))

    step = take_step(EditorFlow(
        read=survey_editor.fields_from, opening=lambda: survey_editor.fields_of(survey) if survey else {},
        load_draft=lambda: survey_editor.load_draft(slug or ""),
        save_draft=lambda fields: survey_editor.save_draft(slug or "", fields, author=current_user, now=now()),
        discard_draft=lambda: survey_editor.discard_draft(slug or ""),
        publish=lambda fields: survey_editor.publish(survey, fields, author=current_user, now=now()),
        published=lambda outcome: (_("Published: students now see this version of the survey."),
                                   url_for("authoring.edit_survey", slug=outcome.spec["slug"])),
        draft_saved=_("Draft saved. Students still see the published version."), own_step=own_step,
    ), submitted(form), request.url)
    if (done := answer(step)) is not None:
        return done
    fields, problems, shown, draft = step.fields, step.problems, step.preview, step.draft
    return render_template(
        "authoring/survey.html", survey=survey, fields=fields, problems=problems, preview=shown, draft=draft,
        form=form, types=SURVEY_TYPES, locked=survey_editor.locked_keys(survey),
        question_count=survey_editor.question_count(fields) + 1, wave_count=survey_editor.wave_count(fields) + 1,
        untranslated=survey_editor.untranslated(fields),
        provenance=service.provenance("survey", slug) if slug else None,
        editors=service.editors_of("survey", slug) if slug else [])


def _survey_preview(spec: dict, language: str) -> Markup:
    """The survey's page as a student reading in `language` sees it: the page's own words in that language, the
    survey's in it too, or in the original where it is not translated yet."""
    asked = language if language in TRANSLATIONS else ""
    shown = survey_editor.preview(spec, asked if asked in spec["translations"] else "", now().date())
    with force_locale(asked or "en"):
        return Markup(render_template("authoring/survey_preview.html", survey=shown, wave=shown.wave,
                                      answers={}, problems={}, typed={}))


@bp.route("/brainring/new", methods=["GET", "POST"], defaults={"slug": None})
@bp.route("/brainring/<slug>/edit", methods=["GET", "POST"])
@role_required(ADMIN, EDITOR)
def edit_ring(slug):
    """Edit a brain-ring set — questions, options, answer, picture, seconds, kk/ru side by side — and publish it."""
    ring = ring_editor.ring_by_slug(slug) if slug else None
    if slug and ring is None:
        abort(404)
    _allowed("brainring", slug)
    form = FlaskForm()

    def attach(fields):
        problems = {}
        for index in range(ring_editor.question_count(fields) + 1):
            upload = request.files.get(f"q-{index}-upload")
            if upload is not None and upload.filename:
                try:
                    fields = ring_editor.add_picture(fields, index, upload.stream, _folders()["upload_folder"])
                except UploadError as error:
                    problems[f"q-{index}-image"] = str(error)
        return fields, problems

    def own_step(action, fields):
        if action.startswith("unpicture-") and action[10:].isdigit():
            return Step({**fields, f"q-{action[10:]}-image": ""})
        if not action.startswith("preview"):
            return Step(fields)
        outcome = ring_editor.check(dict(fields), ring, **_folders())
        language = action.removeprefix("preview").lstrip("-")
        return previewed(fields, outcome.spec, outcome.problems, lambda spec: _ring_preview(spec, language))

    step = take_step(EditorFlow(
        read=ring_editor.fields_from, opening=lambda: ring_editor.fields_of(ring) if ring else {},
        load_draft=lambda: ring_editor.load_draft(slug or ""),
        save_draft=lambda fields: ring_editor.save_draft(slug or "", fields, author=current_user, now=now()),
        discard_draft=lambda: ring_editor.discard_draft(slug or ""),
        publish=lambda fields: ring_editor.publish(ring, fields, author=current_user, now=now(), **_folders()),
        published=lambda outcome: (_("Published: the next game opened with this set plays this version."),
                                   url_for("authoring.edit_ring", slug=outcome.spec["slug"])),
        draft_saved=_("Draft saved. Games still use the published version."), own_step=own_step, attach=attach,
    ), submitted(form), request.url)
    if (done := answer(step)) is not None:
        return done
    fields, problems, shown, draft = step.fields, step.problems, step.preview, step.draft
    count = ring_editor.question_count(fields) + 1      # one empty question to fill in, without JavaScript
    fields.setdefault(f"q-{count - 1}-seconds", str(ring_editor.DEFAULT_SECONDS))
    return render_template(
        "authoring/ring.html", ring=ring, fields=fields, problems=problems, preview=shown, draft=draft, form=form,
        question_count=count,
        untranslated=ring_editor.untranslated(fields),
        provenance=service.provenance("brainring", slug) if slug else None,
        editors=service.editors_of("brainring", slug) if slug else [])


def _ring_preview(spec: dict, language: str) -> Markup:
    """Each question as the projector shows it while open, with the players' answer pads, in `language` (the
    set's words in the original where they are not translated yet)."""
    asked = language if language in TRANSLATIONS else ""
    language = asked if asked in spec["translations"] else ""
    title = (spec["translations"].get(language) or {}).get("title") or spec["title"]
    with force_locale(asked or "en"):
        return Markup(render_template("authoring/ring_preview.html", title=title,
                                      questions=ring_editor.preview_questions(spec, language), letters="ABCD"))


@bp.route("/brainring/pictures/<path:image>")
@role_required(ADMIN, EDITOR)
def ring_picture(image):
    """A picture a brain-ring question names, for the editor's preview (uploaded ones are stored re-encoded)."""
    holders = ring_editor.sets_showing(image)
    if holders and not any(service.can_edit(current_user, "brainring", slug) for slug in holders):
        abort(403)        # a picture of a set you were not given; a fresh upload's random name is its own key
    path = picture_file(image, **_folders())
    if path is None:
        abort(404)
    return send_file(path, mimetype="image/jpeg" if path.suffix in (".jpg", ".jpeg") else None, max_age=0)


# Where each kind that is given on its own editing page is edited (a course and a contest have their own forms).
GIVEN_ON = {"survey": ("authoring.edit_survey", survey_editor.survey_by_slug),
            "brainring": ("authoring.edit_ring", ring_editor.ring_by_slug),
            "quiz": ("authoring.quiz_settings", quiz_editor.quiz_by_slug)}


@bp.route("/<any(survey, brainring, quiz):kind>/<slug>/editors", methods=["POST"])
@role_required(ADMIN)
def grant_item(kind, slug):
    """Give a survey, a brain-ring set or a quiz to a person with the editor role (ACS admins only)."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    page, find = GIVEN_ON[kind]
    if find(slug) is None:
        abort(404)
    problem = service.grant_by_email(request.form.get("email", ""), kind, slug, by=current_user, now=now())
    if problem:
        flash(problem, "error")
    else:
        db.session.commit()
        flash(_("The item is given to the editor."), "success")
    return redirect(url_for(page, slug=slug))
