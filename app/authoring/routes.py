"""Authoring pages: what each person may edit, the lesson editor (preview, draft, publish), order and history."""
from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.authoring import bp, service
from app.authoring import lessons as editor
from app.authoring import quizzes as quiz_editor
from app.authoring.languages import LANGUAGES, TRANSLATIONS
from app.authoring.models import KIND_LABELS, KINDS
from app.authoring.editor_flow import (Confirmation, EditorFlow, Step, discard_confirmation, not_published,
                                      take_step)
from app.authoring.quizzes import DRAW, SETTINGS
from app.core.clock import now
from app.core.confirm import confirmation_page, confirmed
from app.core.uploads import LESSON_IMAGE_FOLDER, UploadError
from app.courses.models import Course, Lesson
from app.extensions import db
from app.people.access import ensure, role_required
from app.people.models import ADMIN, EDITOR
from app.quizzes.service import item_statistics, preview_question

def course_for_editing(slug: str) -> Course:
    """The course named by `slug`, if it is published and the person may edit it (else 404 or 403)."""
    course = db.session.execute(select(Course).where(Course.slug == slug, Course.retired.is_(False))).scalar()
    if course is None:
        abort(404)
    ensure(service.can_edit(current_user, "course", course.slug))
    return course


def _lesson_of(course: Course, slug: str) -> Lesson:
    lesson = db.session.execute(select(Lesson).where(
        Lesson.course_id == course.id, Lesson.slug == slug, Lesson.retired.is_(False))).scalar()
    if lesson is None:
        abort(404)
    return lesson


@bp.route("/")
@role_required(ADMIN, EDITOR)
def index():
    """List the content this person may edit, with where each item's current version came from."""
    allowed = service.editable_slugs(current_user, "course")
    courses = db.session.execute(select(Course).options(selectinload(Course.lessons).selectinload(Lesson.current))
                                 .where(Course.retired.is_(False)).order_by(Course.position, Course.slug)).scalars().all()
    courses = [course for course in courses if allowed is None or course.slug in allowed]
    revisions = service.latest_revisions()
    editable = {kind: service.editable_slugs(current_user, kind) for kind in KINDS if kind != "course"}
    others = [(kind, slug, revision) for (kind, slug), revision in sorted(revisions.items())
              if kind in editable and revision.action == "published"
              and (editable[kind] is None or slug in editable[kind])]
    return render_template("authoring/index.html", courses=courses, revisions=revisions, others=others, kinds=KINDS, kind_labels=KIND_LABELS,
                           form=FlaskForm())


@bp.route("/courses/<slug>/")
@role_required(ADMIN, EDITOR)
def course(slug):
    """Show a course's lessons in order, with editing, moving and retiring."""
    course = course_for_editing(slug)
    return render_template("authoring/course.html", course=course, lessons=editor.course_lessons(course),
                           provenance=service.provenance("course", course.slug), form=FlaskForm(),
                           editors=service.editors_of("course", course.slug))


@bp.route("/courses/<slug>/lessons/new", methods=["GET", "POST"], defaults={"lesson_slug": None})
@bp.route("/courses/<slug>/lessons/<lesson_slug>/edit", methods=["GET", "POST"])
@role_required(ADMIN, EDITOR)
def edit_lesson(slug, lesson_slug):
    """Edit a lesson side by side in every language: preview, save a draft, or publish it."""
    course = course_for_editing(slug)
    lesson = _lesson_of(course, lesson_slug) if lesson_slug else None
    form = FlaskForm()

    def own_step(action, fields):
        if action == "upload":
            return _lesson_image(fields)
        shown = editor.preview(fields, action.removeprefix("preview-"))
        pictures = Path(current_app.config["UPLOAD_FOLDER"]) / LESSON_IMAGE_FOLDER
        return Step(fields, problems=editor.unseen_pictures(fields, pictures),
                    preview=(shown, lesson_preview_page(shown, action.removeprefix("preview-"))))

    step = take_step(EditorFlow(
        read=editor.fields_from, opening=lambda: editor.fields_of(lesson) if lesson else {},
        load_draft=lambda: editor.load_draft(course, lesson_slug or ""),
        save_draft=lambda fields: editor.save_draft(course, lesson_slug or "", fields, author=current_user,
                                                    now=now()),
        discard_draft=lambda: editor.discard_draft(course, lesson_slug or ""),
        publish=lambda fields: editor.publish_lesson(course, lesson, fields, author=current_user, now=now()),
        published=lambda outcome: (
            _("Published: students now read version %(n)d of the course.", n=outcome.revision.number),
            url_for("authoring.course", slug=course.slug)),
        draft_saved=_("Draft saved. Students still see the published version."), own_step=own_step,
    ), submitted(form), request.url)
    if (done := answer(step)) is not None:
        return done
    fields = step.fields
    shown, preview_page = step.preview or (None, None)
    count = editor.check_count(fields) + 1       # one empty check to fill in, without JavaScript
    return render_template("authoring/lesson.html", course=course, lesson=lesson, fields=fields,
                           problems=step.problems, preview=shown, preview_page=preview_page, draft=step.draft,
                           check_count=count,
                           untranslated=editor.untranslated(fields), form=form)


def _lesson_image(fields: dict[str, str]) -> Step:
    """Add the uploaded image to the lesson's text, or say why it cannot be."""
    upload = request.files.get("image")
    if upload is None or not upload.filename:
        return Step(fields, problems={"image": _("Choose an image file to upload.")})
    try:
        fields = editor.add_image(fields, upload.stream, request.form.get("image-alt", ""),
                                  Path(current_app.config["UPLOAD_FOLDER"]) / LESSON_IMAGE_FOLDER)
    except UploadError as error:
        return Step(fields, problems={"image": str(error)})
    return Step(fields, notice=_("The image is added at the end of the lesson text; move its line where it belongs."))


def submitted(form: FlaskForm):
    """The form sent to an editor's page, or None when the page is only opened (or the form is not genuine)."""
    return request.form if request.method == "POST" and form.validate_on_submit() else None


def answer(step: Step):
    """Ask what an editor's step asks first, or flash what it says; that page or the redirect it asks for, or None
    to show the editor's page again."""
    if step.confirm is not None:
        return ask(step.confirm)
    if step.notice:
        flash(step.notice, "error" if step.failed else "success")
    return redirect(step.go_to) if step.go_to else None


def ask(confirmation: Confirmation):
    """The confirmation page that puts `confirmation`'s question and resends the form with the confirmation."""
    return confirmation_page(question=confirmation.question, consequence=confirmation.consequence,
                             button=confirmation.button, back=confirmation.back,
                             button_field=confirmation.button_field, alternative=confirmation.alternative)


def lesson_preview_page(shown: editor.Preview, language: str) -> Markup:
    """The lesson as a student reading in `language` sees it: the page's own words in that language too, around the
    lesson's text in it (or in the original, where the lesson is not translated yet)."""
    language = language if language in TRANSLATIONS else ""
    with force_locale(language or "en"):
        return Markup(render_template("authoring/lesson_preview.html", preview=shown, language=language))


@bp.route("/courses/<slug>/lessons/<lesson_slug>/move", methods=["POST"])
@role_required(ADMIN, EDITOR)
def move_lesson(slug, lesson_slug):
    """Move a lesson one place up or down in its course."""
    course = course_for_editing(slug)
    lesson = _lesson_of(course, lesson_slug)
    if not FlaskForm().validate_on_submit():
        abort(400)
    editor.move_lesson(course, lesson, -1 if request.form.get("step") == "up" else 1, author=current_user, now=now())
    db.session.commit()
    return redirect(url_for("authoring.course", slug=course.slug))


@bp.route("/courses/<slug>/lessons/<lesson_slug>/retire", methods=["POST"])
@role_required(ADMIN, EDITOR)
def retire_lesson(slug, lesson_slug):
    """Retire a published lesson: students no longer see it; what they did with it is kept."""
    course = course_for_editing(slug)
    lesson = _lesson_of(course, lesson_slug)
    if not FlaskForm().validate_on_submit():
        abort(400)
    if not confirmed():
        return confirmation_page(
            question=_("Retire the lesson “%(title)s”?", title=lesson.current.title if lesson.current else lesson.slug),
            consequence=_("students no longer see it; their completions of it are kept."),
            button=_("Retire"), back=url_for("authoring.course", slug=course.slug))
    editor.retire_lesson(course, lesson, author=current_user, now=now())
    db.session.commit()
    flash(_("The lesson is retired."), "success")
    return redirect(url_for("authoring.course", slug=course.slug))


@bp.route("/courses/<slug>/editors", methods=["POST"])
@role_required(ADMIN)
def grant_course(slug):
    """Give a course to a person with the editor role (ACS admins only)."""
    course = course_for_editing(slug)
    if not FlaskForm().validate_on_submit():
        abort(400)
    problem = service.grant_by_email(request.form.get("email", ""), "course", course.slug, by=current_user, now=now())
    if problem:
        flash(problem, "error")
    else:
        db.session.commit()
        flash(_("The course is given to the editor."), "success")
    return redirect(url_for("authoring.course", slug=course.slug))


@bp.route("/<kind>/<slug>/retire", methods=["POST"])
@role_required(ADMIN, EDITOR)
def retire(kind, slug):
    """Retire a published course, quiz, survey, brain-ring set or contest."""
    if kind not in KINDS:
        abort(404)
    ensure(service.can_edit(current_user, kind, slug))
    if not FlaskForm().validate_on_submit():
        abort(400)
    if not confirmed():
        return confirmation_page(
            question=_("Retire “%(slug)s”?", slug=slug),
            consequence=_("students no longer see it, and loading the content files does not bring it back unless "
                          "forced; what students did with it is kept."),
            button=_("Retire"), back=url_for("authoring.index"))
    if service.retire_item(kind, slug, author=current_user, now=now()) is None:
        abort(404)
    db.session.commit()
    flash(_("Retired: students no longer see it; what they did with it is kept."), "success")
    return redirect(url_for("authoring.index"))


@bp.route("/<kind>/<slug>/history")
@role_required(ADMIN, EDITOR)
def history(kind, slug):
    """Show every version of an item: where it came from, who, when, and what changed."""
    if kind not in KINDS and kind != "plan":
        abort(404)
    # The plan is the ACS's alone: an editor never edits it, whatever they were given.
    ensure(current_user.has_role(ADMIN) if kind == "plan" else service.can_edit(current_user, kind, slug))
    revisions = service.history(kind, slug)
    if not revisions:
        abort(404)
    return render_template("authoring/history.html", kind=kind, slug=slug, revisions=revisions)


@bp.route("/quizzes/<slug>/settings", methods=["GET", "POST"])
@role_required(ADMIN, EDITOR)
def quiz_settings(slug):
    """Edit a quiz's settings and its title and description in every language: save a draft or publish the draft."""
    quiz = _quiz_for_editing(slug)
    form, parts = FlaskForm(), quiz_editor.draft_parts(quiz)
    fields = parts[SETTINGS].fields if SETTINGS in parts else quiz_editor.settings_of(quiz)
    draw = parts[DRAW].fields if DRAW in parts else quiz_editor.draw_fields(quiz)
    found = quiz_editor.Built()
    if request.method == "POST" and form.validate_on_submit():
        action = request.form.get("action", "publish")
        if action.endswith("-all"):
            done, found = _quiz_step(quiz, action.removesuffix("-all"), None, {})
        else:
            fields = quiz_editor.settings_from(request.form)
            done, found = _quiz_step(quiz, action, SETTINGS, fields)
        if done is not None:
            return done
    elif request.args.get("check"):
        found = quiz_editor.check_draft(quiz)
    return _render_quiz(quiz, form, fields, found.problems if found.part == SETTINGS else {}, draw,
                        found.problems if found.part == DRAW else {})


@bp.route("/quizzes/<slug>/draw", methods=["POST"])
@role_required(ADMIN, EDITOR)
def quiz_draw(slug):
    """Change the quiz's draw rules (how many questions of each category an attempt draws): draft or publish."""
    quiz = _quiz_for_editing(slug)
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    fields = quiz_editor.draw_from(request.form)
    done, found = _quiz_step(quiz, request.form.get("action", "publish"), DRAW, fields)
    if done is not None:
        return done
    parts = quiz_editor.draft_parts(quiz)
    settings = parts[SETTINGS].fields if SETTINGS in parts else quiz_editor.settings_of(quiz)
    return _render_quiz(quiz, form, settings, {}, fields, found.problems)


def _quiz_for_editing(slug: str):
    quiz = quiz_editor.quiz_by_slug(slug)
    if quiz is None:
        abort(404)
    ensure(service.can_edit(current_user, "quiz", quiz.slug))
    return quiz


def _part_url(quiz, part: str, **args) -> str:
    """Where a part of a quiz's draft is edited."""
    if part.startswith("questions/"):
        return url_for("authoring.quiz_question", slug=quiz.slug, key=part.split("/", 1)[1], **args)
    if part.startswith("new/"):
        return url_for("authoring.quiz_question", slug=quiz.slug, draft=part.split("/", 1)[1], **args)
    return url_for("authoring.quiz_settings", slug=quiz.slug, **args,
                   _anchor="draw-title" if part == DRAW else None)


def _quiz_step(quiz, action: str, part: str | None, fields: dict):
    """Save, discard (once confirmed) or publish (the whole draft, with this page's part); a redirect or the
    confirmation page, or the problems to show."""
    if action not in ("draft", "discard", "publish") or (action == "draft" and not part):
        abort(400)
    back = _part_url(quiz, part) if part else url_for("authoring.quiz_settings", slug=quiz.slug)
    if action == "draft":
        quiz_editor.save_part(quiz, part, fields, author=current_user, now=now())
        db.session.commit()
        flash(_("Draft saved. Students still see the published version."), "success")
        return redirect(back), None
    if action == "discard":
        if not confirmed():
            question = discard_confirmation(back) if part else discard_confirmation(back, "discard-all", whole=True)
            return ask(question), None
        if part:
            quiz_editor.discard_part(quiz, part)
        else:
            quiz_editor.discard_draft(quiz)
        db.session.commit()
        flash(_("Draft discarded."), "success")
        return redirect(url_for("authoring.quiz_settings", slug=quiz.slug) if part is None or part.startswith("new/")
                        else back), None
    outcome = quiz_editor.publish_draft(quiz, author=current_user, now=now(), page=part, fields=fields)
    if not outcome.problems:
        db.session.commit()
        if outcome.revision is not None:
            flash(_("Published: students now get version %(n)d of the quiz.", n=outcome.revision.number), "success")
        else:
            flash(_("Nothing to publish: the quiz is as the draft says."), "success")
        return redirect(url_for("authoring.quiz_settings", slug=quiz.slug, _anchor="questions-title")), None
    db.session.rollback()
    if outcome.part == part:
        flash(not_published(), "error")
        return None, outcome
    if part:                      # another part of the draft is wrong: keep this page's edit in the draft
        quiz_editor.save_part(quiz, part, fields, author=current_user, now=now())
        db.session.commit()
    label = next((p.label for p in quiz_editor.draft_parts(quiz).values() if p.part == outcome.part), outcome.part)
    flash(_("Not published: %(part)s in the draft needs a correction, marked below. Your edit is kept in the draft.",
            part=label), "error")
    return redirect(_part_url(quiz, outcome.part, check=1)), None


def _render_quiz(quiz, form, fields, problems, draw, draw_problems):
    """The settings page: the draft, settings, the draw rules, and the item bank with each question's statistics."""
    rows = sorted({int(name.rsplit("-", 1)[1]) for name in draw})
    return render_template("authoring/quiz_settings.html", quiz=quiz, fields=fields, problems=problems, form=form,
                           choices=quiz_editor.CHOICES, draw=draw, draw_rows=rows,
                           draw_problems=draw_problems, categories=quiz_editor.categories_of(quiz),
                           statistics={item.key: item for item in item_statistics(quiz)},
                           provenance=service.provenance("quiz", quiz.slug), parts=quiz_editor.draft_parts(quiz),
                           part_url=_part_url, editors=service.editors_of("quiz", quiz.slug))


@bp.route("/quizzes/<slug>/questions/new", methods=["GET", "POST"], defaults={"key": None})
@bp.route("/quizzes/<slug>/questions/<key>/edit", methods=["GET", "POST"])
@role_required(ADMIN, EDITOR)
def quiz_question(slug, key):
    """Write a new question of any of the seven types (or a copy of one), or change one, in every language:
    preview it, keep it in the quiz's draft, or publish the draft."""
    quiz = _quiz_for_editing(slug)
    question = next((q for q in quiz.current.questions if q["key"] == key), None) if key else None
    if key and question is None:
        abort(404)
    number = request.args.get("draft", "")
    part = quiz_editor.question_part(key) if key else quiz_editor.new_part(int(number)) if number.isdigit() else None
    parts = quiz_editor.draft_parts(quiz)
    draft = parts.get(part) if part else None
    form, problems, previews, drafted = FlaskForm(), {}, [], False
    if request.method == "POST" and form.validate_on_submit():
        fields = quiz_editor.question_from(request.form)
        action = request.form.get("action", "publish")
        part = part or quiz_editor.next_new_part(quiz)
        if action == "preview":
            shown = quiz_editor.draft_question(quiz, part, fields)
            problems, drafted = shown.problems, True
            if shown.spec is not None:
                previews = question_previews(shown.spec)
        else:
            done, found = _quiz_step(quiz, action, part, fields)
            if done is not None:
                return done
            problems = found.problems
    else:
        if draft is not None:
            fields = draft.fields
        elif question is not None:
            fields = quiz_editor.question_fields(question)
        else:
            original = next((q for q in quiz.current.questions if q["key"] == request.args.get("copy")), None)
            fields = (quiz_editor.duplicate_fields(original, {q["key"] for q in quiz.current.questions})
                      if original else {"type": "single", "points": "1"})
        if request.args.get("check") and part:
            found = quiz_editor.check_draft(quiz)
            problems = found.problems if found.part == part else {}
        if question is not None and draft is None:
            previews = question_previews(question)
    return render_template("authoring/quiz_question.html", quiz=quiz, key=key, fields=fields, problems=problems,
                           form=form, types=quiz_editor.QUESTION_TYPES,
                           untranslated=quiz_editor.untranslated(fields), copied_from=request.args.get("copy"),
                           previews=previews, drafted=drafted, draft=draft,
                           others={name: p for name, p in parts.items() if name != part}, part_url=_part_url)


def question_previews(question: dict) -> list[tuple[str, Markup]]:
    """The question as a student sees it, in English and each language it is translated into: its text and the
    page's own words (hints, labels) in that language."""
    shown = []
    for language in LANGUAGES:
        if language and language not in question.get("translations", {}):
            continue
        with force_locale(language or "en"):
            shown.append((language, Markup(render_template(
                "authoring/question_preview.html", sheet=preview_question(question, language)))))
    return shown
