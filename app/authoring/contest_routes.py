"""The contest editor's pages: a new contest or an existing one, side-by-side translations, preview, draft, publish."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup

from app.authoring import bp, service
from app.authoring import contests as editor
from app.authoring.editor_flow import EditorFlow, previewed, take_step
from app.authoring.languages import TRANSLATIONS
from app.authoring.routes import answer, submitted
from app.contests.service import phase
from app.core.clock import now, today
from app.extensions import db
from app.people.access import ensure, role_required
from app.people.models import ADMIN, EDITOR


def _contest_for_editing(slug: str):
    contest = editor.contest_by_slug(slug)
    if contest is None:
        abort(404)
    ensure(service.can_edit(current_user, "contest", contest.slug))
    return contest


def _student_page(spec: dict, language: str) -> Markup:
    """The contest's part of the student's page, in `language`, from a spec that is not stored."""
    contest = editor.preview_contest(spec)
    with force_locale(language or "en"):
        return Markup(render_template("contests/_contest.html", contest=contest, phase=phase(contest, now())))


@bp.route("/contests/new", methods=["GET", "POST"], defaults={"slug": None})
@bp.route("/contests/<slug>/edit", methods=["GET", "POST"])
@role_required(ADMIN, EDITOR)
def edit_contest(slug):
    """Write a new contest or edit one in every language: preview it, save a draft, or publish it."""
    if slug is None:
        ensure(current_user.has_role(ADMIN))          # an editor edits the contests given to them
        contest = None
    else:
        contest = _contest_for_editing(slug)
    form, key = FlaskForm(), contest.slug if contest else ""

    def preview(action, fields):
        language = action.removeprefix("preview-")
        language = language if language in TRANSLATIONS else ""
        outcome = editor.check_contest(contest, fields, now=now())
        return previewed(fields, outcome.spec, outcome.problems, lambda spec: (language, _student_page(spec, language)))

    step = take_step(EditorFlow(
        read=editor.fields_from, opening=lambda: editor.fields_of(contest) if contest else editor.new_fields(today()),
        load_draft=lambda: editor.load_draft(key, current_user),
        save_draft=lambda fields: editor.save_draft(key, fields, author=current_user, now=now()),
        discard_draft=lambda: editor.discard_draft(key, current_user),
        publish=lambda fields: editor.publish_contest(contest, fields, author=current_user, now=now()),
        published=lambda outcome: (_("Published: students now see this version of the contest."),
                                   url_for("authoring.edit_contest", slug=outcome.spec["slug"])),
        draft_saved=_("Draft saved. Students still see the published version."), own_step=preview,
        default_action="preview-",
    ), submitted(form), request.url)
    if (done := answer(step)) is not None:
        return done
    fields, problems, shown, draft = step.fields, step.problems, step.preview, step.draft
    return render_template(
        "authoring/contest.html", contest=contest, fields=fields, problems=problems, preview=shown, draft=draft,
        form=form, criterion_count=editor.criterion_count(fields) + 1, place_count=editor.place_count(fields) + 1,
        untranslated=editor.untranslated(fields),
        choices=editor.CHOICES, locked=editor.rubric_locked(contest, now()),
        criterion_name=editor.criterion_name,
        provenance=service.provenance("contest", contest.slug) if contest else None,
        editors=service.editors_of("contest", contest.slug) if contest else [])


@bp.route("/contests/<slug>/editors", methods=["POST"])
@role_required(ADMIN)
def grant_contest(slug):
    """Give a contest to a person with the editor role (ACS admins only)."""
    contest = _contest_for_editing(slug)
    if not FlaskForm().validate_on_submit():
        abort(400)
    problem = service.grant_by_email(request.form.get("email", ""), "contest", contest.slug, by=current_user,
                                     now=now())
    if problem:
        flash(problem, "error")
    else:
        db.session.commit()
        flash(_("The contest is given to the editor."), "success")
    return redirect(url_for("authoring.edit_contest", slug=contest.slug))
