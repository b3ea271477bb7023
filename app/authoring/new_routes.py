"""New courses and new quizzes in the browser (ACS admins only): a course with its first lesson, a quiz with its
first question, side-by-side translations, preview, draft, publish. Then the existing editors take over."""
from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from app.authoring import bp
from app.authoring import lessons
from app.authoring import new_items as creating
from app.authoring import quizzes as quiz_editor
from app.authoring.editor_flow import EditorFlow, Step, previewed, take_step
from app.authoring.routes import (submitted, answer, course_for_editing, lesson_preview_page,
                                  question_previews)
from app.core.clock import now
from app.core.content import AUDIENCES
from app.people.access import role_required
from app.people.models import ADMIN, EDITOR


def _new_item(kind: str, *, read, opening, publish, published, preview, default_action: str) -> EditorFlow:
    """The editor of a new course or quiz: its draft is the writer's own until it is published."""
    return EditorFlow(
        read=read, opening=opening, load_draft=lambda: creating.load_draft(kind, current_user),
        save_draft=lambda fields: creating.save_draft(kind, fields, author=current_user, now=now()),
        discard_draft=lambda: creating.discard_draft(kind, current_user),
        publish=lambda fields: publish(fields, author=current_user, now=now()), published=published,
        draft_saved=_("Draft saved. Students see nothing of it until it is published."), own_step=preview,
        default_action=default_action)


@bp.route("/courses/new", methods=["GET", "POST"])
@role_required(ADMIN)
def new_course():
    """Write a new course with its first lesson in every language: preview the lesson, save a draft, or publish."""
    form = FlaskForm()

    def preview(action, fields):
        language = action.removeprefix("preview-")
        shown = lessons.preview(creating.lesson_part(fields), language)
        return Step(fields, preview=(shown, lesson_preview_page(shown, language)))

    step = take_step(_new_item(
        "course", read=creating.course_fields_from, opening=creating.new_course_fields,
        publish=creating.create_course, preview=preview, default_action="preview-",
        published=lambda outcome: (_("Published: the course and its first lesson are open to the people it is for. "
                                     "Add its next lessons here."), url_for("authoring.course", slug=outcome.slug)),
    ), submitted(form), request.url)
    if (done := answer(step)) is not None:
        return done
    fields = step.fields
    shown, preview_page = step.preview or (None, None)
    lesson = creating.lesson_part(fields)
    return render_template(
        "authoring/new_course.html", fields=fields, problems=step.problems, preview=shown,
        preview_page=preview_page, draft=step.draft, form=form,
        audiences=AUDIENCES,
        quizzes=creating.quizzes_to_end_with(), check_count=lessons.check_count(lesson) + 1,
        untranslated=creating.course_untranslated(fields))


@bp.route("/quizzes/new", methods=["GET", "POST"])
@role_required(ADMIN)
def new_quiz():
    """Write a new quiz's settings and first question in every language: preview it, save a draft, or publish."""
    form = FlaskForm()

    def preview(action, fields):
        spec, problems = creating.check_quiz(fields)
        return previewed(fields, spec, problems, lambda checked: question_previews(checked["questions"][0]))

    step = take_step(_new_item(
        "quiz", read=creating.quiz_fields_from, opening=creating.new_quiz_fields, publish=creating.create_quiz,
        preview=preview, default_action="preview",
        published=lambda outcome: (_("Published: the quiz is open to the people it is for. Add its next questions "
                                     "and its draw rules here."), url_for("authoring.quiz_settings", slug=outcome.slug)),
    ), submitted(form), request.url)
    if (done := answer(step)) is not None:
        return done
    fields = step.fields
    return render_template(
        "authoring/new_quiz.html", fields=fields, problems=step.problems, previews=step.preview or [],
        draft=step.draft, form=form, audiences=AUDIENCES,
        choices=quiz_editor.CHOICES, types=quiz_editor.QUESTION_TYPES, untranslated=quiz_editor.untranslated(fields))


@bp.route("/courses/<slug>/settings", methods=["GET", "POST"])
@role_required(ADMIN, EDITOR)
def course_settings(slug):
    """Edit a published course's own texts and settings in every language: save a draft, or publish."""
    course = course_for_editing(slug)
    form = FlaskForm()
    step = take_step(EditorFlow(
        read=creating.course_settings_from, opening=lambda: creating.course_settings_fields(course),
        load_draft=lambda: creating.load_settings_draft(course),
        save_draft=lambda fields: creating.save_settings_draft(course, fields, author=current_user, now=now()),
        discard_draft=lambda: creating.discard_settings_draft(course),
        publish=lambda fields: creating.publish_course_settings(course, fields, author=current_user, now=now()),
        published=lambda outcome: (_("The course's settings are published."),
                                   url_for("authoring.course", slug=course.slug)),
        draft_saved=_("Draft saved. Students see nothing of it until it is published."), default_action="draft",
    ), submitted(form), request.url)
    if (done := answer(step)) is not None:
        return done
    fields = step.fields
    return render_template(
        "authoring/course_settings.html", course=course, fields=fields, problems=step.problems, draft=step.draft,
        form=form, audiences=AUDIENCES,
        quizzes=creating.quizzes_to_end_with(), untranslated=creating.settings_untranslated(fields))
