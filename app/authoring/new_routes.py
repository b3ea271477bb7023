"""New courses and new quizzes in the browser (ACS admins only): a course with its first lesson, a quiz with its
first question, side-by-side translations, preview, draft, publish. Then the existing editors take over."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from app.authoring import bp
from app.authoring import lessons
from app.authoring import new_items as creating
from app.authoring import quizzes as quiz_editor
from app.authoring.routes import LANGUAGE_NAMES, course_for_editing, lesson_preview_page, question_previews
from app.core.clock import now
from app.core.content import AUDIENCES
from app.extensions import db
from app.people.access import role_required
from app.people.models import ADMIN, EDITOR


def _draft_action(kind: str, action: str, fields: dict[str, str]):
    """Save or discard the writer's draft of a new item; a response for discarding, else the draft kept."""
    if action == "draft":
        draft = creating.save_draft(kind, fields, author=current_user, now=now())
        db.session.commit()
        flash(_("Draft saved. Students see nothing of it until it is published."), "success")
        return draft, None
    creating.discard_draft(kind, current_user)
    db.session.commit()
    flash(_("Draft discarded."), "success")
    return None, redirect(request.url)


@bp.route("/courses/new", methods=["GET", "POST"])
@role_required(ADMIN)
def new_course():
    """Write a new course with its first lesson in every language: preview the lesson, save a draft, or publish."""
    form, problems, shown, preview_page = FlaskForm(), {}, None, None
    draft = creating.load_draft("course", current_user)
    if request.method == "POST" and form.validate_on_submit():
        fields = creating.course_fields_from(request.form)
        action = request.form.get("action", "preview-")
        if action == "publish":
            outcome = creating.create_course(fields, author=current_user, now=now())
            if not outcome.problems:
                db.session.commit()
                flash(_("Published: the course and its first lesson are open to the people it is for. "
                        "Add its next lessons here."), "success")
                return redirect(url_for("authoring.course", slug=outcome.slug))
            db.session.rollback()
            problems = outcome.problems
            flash(_("Not published: correct the fields marked below. Nothing you wrote is lost."), "error")
        elif action in ("draft", "discard"):
            draft, response = _draft_action("course", action, fields)
            if response is not None:
                return response
        else:
            language = action.removeprefix("preview-")
            shown = lessons.preview(creating.lesson_part(fields), language)
            preview_page = lesson_preview_page(shown, language)
    elif draft is not None:
        fields = draft.fields
    else:
        fields = creating.new_course_fields()
    lesson = creating.lesson_part(fields)
    return render_template(
        "authoring/new_course.html", fields=fields, problems=problems, preview=shown, preview_page=preview_page,
        draft=draft, form=form,
        editor_languages=creating.LANGUAGES, language_names=LANGUAGE_NAMES, audiences=AUDIENCES,
        quizzes=creating.quizzes_to_end_with(), check_count=lessons.check_count(lesson) + 1,
        untranslated=creating.course_untranslated(fields))


@bp.route("/quizzes/new", methods=["GET", "POST"])
@role_required(ADMIN)
def new_quiz():
    """Write a new quiz's settings and first question in every language: preview it, save a draft, or publish."""
    form, problems, previews = FlaskForm(), {}, []
    draft = creating.load_draft("quiz", current_user)
    if request.method == "POST" and form.validate_on_submit():
        fields = creating.quiz_fields_from(request.form)
        action = request.form.get("action", "preview")
        if action == "publish":
            outcome = creating.create_quiz(fields, author=current_user, now=now())
            if not outcome.problems:
                db.session.commit()
                flash(_("Published: the quiz is open to the people it is for. Add its next questions and its draw "
                        "rules here."), "success")
                return redirect(url_for("authoring.quiz_settings", slug=outcome.slug))
            db.session.rollback()
            problems = outcome.problems
            flash(_("Not published: correct the fields marked below. Nothing you wrote is lost."), "error")
        elif action in ("draft", "discard"):
            draft, response = _draft_action("quiz", action, fields)
            if response is not None:
                return response
        else:
            spec, problems = creating.check_quiz(fields)
            if spec is None:
                flash(_("The preview needs the fields marked below corrected first. Nothing you wrote is lost."),
                      "error")
            else:
                previews = question_previews(spec["questions"][0])
    elif draft is not None:
        fields = draft.fields
    else:
        fields = creating.new_quiz_fields()
    return render_template(
        "authoring/new_quiz.html", fields=fields, problems=problems, previews=previews, draft=draft, form=form,
        language_names=LANGUAGE_NAMES, audiences=AUDIENCES, choices=quiz_editor.CHOICES,
        types=quiz_editor.QUESTION_TYPES, untranslated=quiz_editor.untranslated(fields))


@bp.route("/courses/<slug>/settings", methods=["GET", "POST"])
@role_required(ADMIN, EDITOR)
def course_settings(slug):
    """Edit a published course's own texts and settings in every language: save a draft, or publish."""
    course = course_for_editing(slug)
    form, problems = FlaskForm(), {}
    draft = creating.load_settings_draft(course)
    if request.method == "POST" and form.validate_on_submit():
        fields = creating.course_settings_from(request.form)
        action = request.form.get("action", "draft")
        if action == "publish":
            outcome = creating.publish_course_settings(course, fields, author=current_user, now=now())
            if not outcome.problems:
                db.session.commit()
                flash(_("The course's settings are published."), "success")
                return redirect(url_for("authoring.course", slug=course.slug))
            db.session.rollback()
            problems = outcome.problems
            flash(_("Not published: correct the fields marked below. Nothing you wrote is lost."), "error")
        elif action == "discard":
            creating.discard_settings_draft(course)
            db.session.commit()
            flash(_("Draft discarded."), "success")
            return redirect(request.url)
        else:
            draft = creating.save_settings_draft(course, fields, author=current_user, now=now())
            db.session.commit()
            flash(_("Draft saved. Students see nothing of it until it is published."), "success")
    elif draft is not None:
        fields = draft.fields
    else:
        fields = creating.course_settings_fields(course)
    return render_template(
        "authoring/course_settings.html", course=course, fields=fields, problems=problems, draft=draft, form=form,
        editor_languages=creating.LANGUAGES, language_names=LANGUAGE_NAMES, audiences=AUDIENCES,
        quizzes=creating.quizzes_to_end_with(), untranslated=creating.settings_untranslated(fields))
