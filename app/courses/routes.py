"""Pages for learning: the catalogue, a course, a lesson; curators' and admins' progress views."""
from datetime import date
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.core.clock import utcnow
from app.core.localize import tr
from app.core.markdown import LESSON_IMAGE
from app.core.uploads import LESSON_IMAGE_FOLDER
from app.courses import loader, service
from app.courses.forms import LessonActionForm
from app.courses.models import Course, Lesson, LessonVersion
from app.extensions import db
from app.people.access import admin_required, can_view_group, ensure, role_required
from app.people.models import ADMIN, CURATOR, Group

bp = Blueprint("courses", __name__)


def _course_or_404(slug: str) -> Course:
    """The open course with this slug, if it is meant for the signed-in person (403 when it is for others)."""
    course = service.open_course(slug)
    if course is None:
        abort(404)
    ensure(service.can_see_course(current_user, course))
    return course


def _lesson_or_404(course: Course, lesson_slug: str) -> Lesson:
    lesson = db.session.execute(select(Lesson).where(
        Lesson.course_id == course.id, Lesson.slug == lesson_slug, Lesson.retired.is_(False))).scalar_one_or_none()
    if lesson is None or lesson.current_version_id is None:
        abort(404)
    return lesson


@bp.route("/courses/")
@login_required
def catalogue():
    """List the courses with the person's progress in each."""
    return render_template("courses/catalogue.html", entries=service.catalogue(current_user))


@bp.route("/courses/<slug>/")
@login_required
def course(slug):
    """Show a course's path — lessons, final quiz, certificate — and where to continue."""
    item = _course_or_404(slug)
    lessons = service.outline(item.id)
    done = service.completed_lesson_ids(current_user.id, item.id)
    path = service.course_path(current_user.id, item, lessons, done, service.progress_for(current_user.id, item.id),
                               utcnow())
    return render_template("courses/course.html", course=item, lessons=lessons, done=done, path=path)


# The answers a person just sent to a lesson's check, kept for the page the POST redirects to.
CHECKED = "lesson_check"


def _render_lesson(course, lesson, lessons, *, checked=None):
    """Render a lesson of the outline `lessons`; with the answers just checked, their verdict and (when all
    right) the next step."""
    version = service.lesson_text(lesson.current_version_id)
    index = next(i for i, l in enumerate(lessons) if l.id == lesson.id)
    done = service.completed_lesson_ids(current_user.id, course.id)
    result, chosen, path = None, {}, None
    if checked is not None:
        chosen = {index: value for index, value in enumerate(checked["chosen"])}
        result = service.grade_checks(version, chosen)
        if result.all_correct:   # what to do next, shown under the explanations
            path = service.course_path(current_user.id, course, lessons, done,
                                       service.progress_for(current_user.id, course.id), utcnow())
    return render_template(
        "courses/lesson.html", course=course, lesson=lesson, version=version, lessons=lessons,
        position=index + 1, previous=lessons[index - 1] if index > 0 else None,
        following=lessons[index + 1] if index + 1 < len(lessons) else None, done=done,
        result=result, chosen=chosen, path=path,
        course_completed=bool(checked and checked.get("course_completed")),
    )


@bp.route("/lesson-images/<name>")
@login_required
def lesson_image(name):
    """Send a lesson picture (re-encoded at upload; random or checked names) to a signed-in person."""
    from flask import send_from_directory

    if not LESSON_IMAGE.match(f"images/{name}"):
        abort(404)
    response = send_from_directory(Path(current_app.config["UPLOAD_FOLDER"]) / LESSON_IMAGE_FOLDER, name,
                                   mimetype="image/jpeg", max_age=86400)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/courses/<slug>/<lesson_slug>")
@login_required
def lesson(slug, lesson_slug):
    """Show a lesson, with its check questions (never their answers until answered right)."""
    item = _course_or_404(slug)
    lessons = service.outline(item.id)   # the open lessons that have a text: this one is among them or absent
    page = next((entry for entry in lessons if entry.slug == lesson_slug), None)
    if page is None:
        abort(404)
    service.record_visit(current_user.id, item.id, page.id, utcnow())
    checked = session.pop(CHECKED, None) if CHECKED in session else None
    if checked is not None and (checked.get("lesson") != page.id or checked.get("version") != page.current_version_id):
        checked = None   # answers to another lesson, or to a text that has changed since
    return _render_lesson(item, page, lessons, checked=checked)


def _after_completion(course, lesson, completion):
    if completion.course_completed:
        flash(_("You have completed the course “%(title)s”. Your certificate is ready.", title=tr(course, "title")), "success")
        return redirect(url_for(".course", slug=course.slug))
    if completion.lesson_new:
        flash(_("Lesson complete."), "success")
    lessons = service.active_lessons(course.id)
    done = service.completed_lesson_ids(current_user.id, course.id)
    following = service.resume_lesson(lessons, done, None)
    if following is not None:
        return redirect(url_for(".lesson", slug=course.slug, lesson_slug=following.slug))
    return redirect(url_for(".course", slug=course.slug))


@bp.route("/courses/<slug>/<lesson_slug>/complete", methods=["POST"])
@login_required
def complete(slug, lesson_slug):
    """Mark a lesson without check questions as complete."""
    item = _course_or_404(slug)
    page = _lesson_or_404(item, lesson_slug)
    form = LessonActionForm()
    if not form.validate_on_submit():
        abort(400)
    if service.lesson_text(page.current_version_id).checks:
        flash(_("Answer the questions at the end of the lesson to complete it."), "error")
        return redirect(url_for(".lesson", slug=slug, lesson_slug=lesson_slug))
    return _after_completion(item, page, service.complete_lesson(current_user, page, via="button", now=utcnow()))


@bp.route("/courses/<slug>/<lesson_slug>/check", methods=["POST"])
@login_required
def check(slug, lesson_slug):
    """Grade the lesson's check questions (all right completes the lesson); show the outcome at the check."""
    item = _course_or_404(slug)
    page = _lesson_or_404(item, lesson_slug)
    form = LessonActionForm()
    if not form.validate_on_submit():
        abort(400)
    version = service.lesson_text(page.current_version_id)
    chosen = {}
    for index in range(len(version.checks)):
        raw = request.form.get(f"q{index}", "")
        chosen[index] = int(raw) if raw.isdigit() and len(raw) < 4 else None
    result = service.grade_checks(version, chosen)
    completion = service.complete_lesson(current_user, page, via="check", now=utcnow()) if result.all_correct else None
    # Back to the lesson's check, not to its top: the verdict and the explanations are where the answers were.
    session[CHECKED] = {"lesson": page.id, "version": page.current_version_id,
                        "chosen": [chosen[index] for index in range(len(chosen))],
                        "course_completed": bool(completion and completion.course_completed)}
    return redirect(url_for(".lesson", slug=slug, lesson_slug=lesson_slug, _anchor="check"))


@bp.route("/courses/groups/")
@role_required(CURATOR, ADMIN)
def groups():
    """List the groups whose course progress this person may see."""
    if current_user.is_admin:
        visible = db.session.execute(select(Group).order_by(Group.code)
                                     .options(db.joinedload(Group.faculty))).scalars().all()
    else:
        visible = current_user.curated_groups
    return render_template("courses/groups.html", groups=visible)


@bp.route("/courses/groups/<int:group_id>")
@role_required(CURATOR, ADMIN)
def group_progress(group_id):
    """Show who in a group has completed which lessons and courses."""
    group = db.get_or_404(Group, group_id)
    ensure(can_view_group(current_user, group))
    courses, totals, rows = service.group_progress(group.id)
    return render_template("courses/group_progress.html", group=group, courses=courses, totals=totals, rows=rows)


@bp.route("/admin/content")
@admin_required
def content_status():
    """Show the loaded courses, their lessons and versions, and problems in the files on disk."""
    courses = db.session.execute(select(Course).order_by(Course.retired, Course.position, Course.title)
                                 .options(db.selectinload(Course.lessons).joinedload(Lesson.current))).scalars().all()
    version_counts = dict(db.session.execute(
        select(LessonVersion.lesson_id, db.func.count()).group_by(LessonVersion.lesson_id)).all())
    problems = loader.content_problems(Path(current_app.config["CONTENT_FOLDER"]) / "courses")
    return render_template("courses/content_status.html", courses=courses, version_counts=version_counts,
                           problems=problems, today=date.today())
