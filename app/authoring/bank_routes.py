"""Authoring pages for surveys and brain-ring sets: edit side by side in every language, preview, draft, publish."""
from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup

from app.authoring import bp, service
from app.authoring import rings as ring_editor
from app.authoring import surveys as survey_editor
from app.brainring.service import picture_file
from app.core.clock import now
from app.core.uploads import UploadError
from app.extensions import db
from app.people.access import ensure, role_required
from app.people.models import ADMIN, EDITOR
from app.surveys.loader import TYPES as SURVEY_TYPES

LANGUAGE_NAMES = {"": "English", "kk": "Қазақша", "ru": "Русский"}


def _not_published() -> str:
    return _("Not published: correct the fields marked below. Nothing you wrote is lost.")


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
    form, problems, shown = FlaskForm(), {}, None
    draft = survey_editor.load_draft(slug or "")
    if request.method == "POST" and form.validate_on_submit():
        fields = survey_editor.fields_from(request.form)
        action = request.form.get("action", "preview")
        if action == "publish":
            outcome = survey_editor.publish(survey, fields, author=current_user, now=now())
            if not outcome.problems:
                db.session.commit()
                flash(_("Published: students now see this version of the survey."), "success")
                return redirect(url_for("authoring.edit_survey", slug=outcome.spec["slug"]))
            db.session.rollback()
            problems = outcome.problems
            flash(_not_published(), "error")
        elif action == "draft":
            draft = survey_editor.save_draft(slug or "", fields, author=current_user, now=now())
            db.session.commit()
            flash(_("Draft saved. Students still see the published version."), "success")
        elif action == "discard":
            survey_editor.discard_draft(slug or "")
            db.session.commit()
            flash(_("Draft discarded."), "success")
            return redirect(request.url)
        elif action.startswith("copy-") and action[5:].isdigit():
            fields = survey_editor.add_question_from(fields, int(action[5:]), survey)
            flash(_("A new question with these options is added at the end; the answered question keeps its "
                    "options. Publish to keep both."), "success")
        elif action.startswith("preview"):
            outcome = survey_editor.check(dict(fields), survey)
            problems = outcome.problems
            if outcome.spec is not None:
                shown = _survey_preview(outcome.spec, action.removeprefix("preview").lstrip("-"))
    elif draft is not None:
        fields = dict(draft.fields)
    else:
        fields = survey_editor.fields_of(survey) if survey else {}
    return render_template(
        "authoring/survey.html", survey=survey, fields=fields, problems=problems, preview=shown, draft=draft,
        form=form, types=SURVEY_TYPES, locked=survey_editor.locked_keys(survey),
        question_count=survey_editor.question_count(fields) + 1, wave_count=survey_editor.wave_count(fields) + 1,
        language_names=LANGUAGE_NAMES, untranslated=survey_editor.untranslated(fields),
        provenance=service.provenance("survey", slug) if slug else None,
        editors=service.editors_of("survey", slug) if slug else [])


def _survey_preview(spec: dict, language: str) -> Markup:
    """The survey's page as a student reading in `language` sees it: the page's own words in that language, the
    survey's in it too, or in the original where it is not translated yet."""
    asked = language if language in survey_editor.TRANSLATIONS else ""
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
    form, problems, shown = FlaskForm(), {}, None
    draft = ring_editor.load_draft(slug or "")
    if request.method == "POST" and form.validate_on_submit():
        fields = ring_editor.fields_from(request.form)
        action = request.form.get("action", "preview")
        for index in range(ring_editor.question_count(fields) + 1):
            upload = request.files.get(f"q-{index}-upload")
            if upload is not None and upload.filename:
                try:
                    fields = ring_editor.add_picture(fields, index, upload.stream, _folders()["upload_folder"])
                except UploadError as error:
                    problems[f"q-{index}-image"] = str(error)
        if action.startswith("unpicture-") and action[10:].isdigit():
            fields[f"q-{action[10:]}-image"] = ""
        elif problems:
            flash(_not_published(), "error")
        elif action == "publish":
            outcome = ring_editor.publish(ring, fields, author=current_user, now=now(), **_folders())
            if not outcome.problems:
                db.session.commit()
                flash(_("Published: the next game opened with this set plays this version."), "success")
                return redirect(url_for("authoring.edit_ring", slug=outcome.spec["slug"]))
            db.session.rollback()
            problems = outcome.problems
            flash(_not_published(), "error")
        elif action == "draft":
            draft = ring_editor.save_draft(slug or "", fields, author=current_user, now=now())
            db.session.commit()
            flash(_("Draft saved. Games still use the published version."), "success")
        elif action == "discard":
            ring_editor.discard_draft(slug or "")
            db.session.commit()
            flash(_("Draft discarded."), "success")
            return redirect(request.url)
        elif action.startswith("preview"):
            outcome = ring_editor.check(dict(fields), ring, **_folders())
            problems = outcome.problems
            if outcome.spec is not None:
                shown = _ring_preview(outcome.spec, action.removeprefix("preview").lstrip("-"))
    elif draft is not None:
        fields = dict(draft.fields)
    else:
        fields = ring_editor.fields_of(ring) if ring else {}
    count = ring_editor.question_count(fields) + 1      # one empty question to fill in, without JavaScript
    fields.setdefault(f"q-{count - 1}-seconds", str(ring_editor.DEFAULT_SECONDS))
    return render_template(
        "authoring/ring.html", ring=ring, fields=fields, problems=problems, preview=shown, draft=draft, form=form,
        question_count=count,
        language_names=LANGUAGE_NAMES, untranslated=ring_editor.untranslated(fields),
        provenance=service.provenance("brainring", slug) if slug else None,
        editors=service.editors_of("brainring", slug) if slug else [])


def _ring_preview(spec: dict, language: str) -> Markup:
    """Each question as the projector shows it while open, with the players' answer pads, in `language` (the
    set's words in the original where they are not translated yet)."""
    asked = language if language in ring_editor.TRANSLATIONS else ""
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


@bp.route("/<any(survey, brainring):kind>/<slug>/editors", methods=["POST"])
@role_required(ADMIN)
def grant_item(kind, slug):
    """Give a survey or a brain-ring set to a person with the editor role (ACS admins only)."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    exists = survey_editor.survey_by_slug(slug) if kind == "survey" else ring_editor.ring_by_slug(slug)
    if exists is None:
        abort(404)
    problem = service.grant_by_email(request.form.get("email", ""), kind, slug, by=current_user, now=now())
    if problem:
        flash(problem, "error")
    else:
        db.session.commit()
        flash(_("The item is given to the editor."), "success")
    return redirect(url_for("authoring.edit_survey" if kind == "survey" else "authoring.edit_ring", slug=slug))
