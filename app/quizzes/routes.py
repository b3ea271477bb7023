"""Quiz pages: the list, a quiz, answering an attempt page by page, the result; curator and admin views."""

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from app.core.clock import local_date, now
from app.core.exports import table_response
from app.core.http import int_arg, int_field
from app.core.localize import tr
from app.extensions import db
from app.people.access import admin_required, audiences_of, can_view_group, ensure, role_required
from app.people.forms import options
from app.people.models import ADMIN, CURATOR, Group, User
from app.quizzes import service
from app.quizzes.forms import AttemptForm, ExtraTimeForm
from app.quizzes.models import OPEN, Quiz, QuizAttempt

bp = Blueprint("quizzes", __name__)


def _quiz_or_404(slug: str) -> Quiz:
    """The open quiz with this slug, if it is meant for the signed-in person (403 when it is for others)."""
    quiz = service.quiz_by_slug(slug)
    if quiz is None:
        abort(404)
    ensure(quiz.audience in audiences_of(current_user))
    return quiz


def _own_attempt(attempt_id: int, load=service.attempt_with_quiz) -> QuizAttempt:
    """Only the person who sat an attempt can open it; anyone else gets a 404. Its quiz comes in the same statement."""
    attempt = load(attempt_id)
    if attempt is None or attempt.user_id != current_user.id:
        abort(404)
    return attempt


def _own_attempt_now(attempt_id: int):
    """The person's attempt, closed and graded first if its time ran out; with the current time.

    A person has at most one open attempt at a quiz, so this attempt is the only one that can be overdue.
    """
    item = _own_attempt(attempt_id)
    moment = now()
    if service.overdue(item, moment):
        service.submit(item, moment)
    return item, moment


@bp.route("/quizzes/")
@login_required
def index():
    """List the quizzes with the person's standing in each."""
    moment = now()
    quizzes = db.session.execute(select(Quiz).where(
        Quiz.retired.is_(False), Quiz.audience.in_(audiences_of(current_user))).order_by(Quiz.title)).scalars().all()
    rows = []
    for quiz in quizzes:
        activity = service.activity_for(quiz, moment)
        attempts = service.attempts_for(current_user.id, quiz, activity.id if activity else None)
        rows.append((quiz, attempts, service.final_grade(attempts, quiz.grading)))
    return render_template("quizzes/index.html", rows=rows, moment=moment)


@bp.route("/quizzes/<slug>/")
@login_required
def show(slug):
    """Explain a quiz's rules and list the person's attempts."""
    quiz = _quiz_or_404(slug)
    moment = now()
    mine = service.attempts_at(current_user.id, quiz, moment)
    activity = service.activity_for(quiz, moment)
    attempts, current = service.in_scope(mine, activity.id if activity else None), service.open_one(mine)
    left = (quiz.attempts_allowed - len(attempts)) if quiz.attempts_allowed else None
    return render_template("quizzes/show.html", quiz=quiz, attempts=attempts, current=current, left=left,
                           grade=service.final_grade(attempts, quiz.grading), activity=activity,
                           questions=service.questions_per_attempt(quiz),
                           extra=service.extra_minutes(current_user.id, quiz.id), moment=moment, form=AttemptForm())


@bp.route("/quizzes/<slug>/start", methods=["POST"])
@login_required
def start(slug):
    """Start (or resume) an attempt."""
    quiz = _quiz_or_404(slug)
    if not AttemptForm().validate_on_submit():
        abort(400)
    try:
        attempt = service.start_attempt(current_user, quiz, now())
    except service.QuizUnavailable as reason:
        flash(_("This quiz is closed.") if str(reason) == "closed" else _("You have used all your attempts."), "error")
        return redirect(url_for(".show", slug=slug))
    return redirect(url_for(".attempt", attempt_id=attempt.id))


def _page_number(attempt) -> int:
    return min(max(int_arg("page") or int_field("page") or 1, 1), len(service.pages(attempt)))


@bp.route("/quizzes/attempts/<int:attempt_id>")
@login_required
def attempt(attempt_id):
    """Show one page of questions of an open attempt, with the answers saved so far."""
    item, moment = _own_attempt_now(attempt_id)
    if item.status != OPEN:
        return redirect(url_for(".result", attempt_id=item.id))
    return _render_page(item, _page_number(item), moment)


def _render_page(item, number, moment, problems=(), status=200):
    remaining = int((item.deadline - moment).total_seconds()) if item.deadline else None
    sheet = service.answer_sheet(item, number, current_app.secret_key, problems)
    return render_template("quizzes/attempt.html", attempt=item, quiz=item.quiz, sheet=sheet,
                           page=number, pages=len(service.pages(item)),
                           remaining=remaining), status


@bp.route("/quizzes/attempts/<int:attempt_id>/save", methods=["POST"])
@login_required
def save(attempt_id):
    """Save the answers on a page, then go to another page, the summary, or submit."""
    item = _own_attempt(attempt_id)
    if not AttemptForm().validate_on_submit():
        abort(400)
    moment = now()
    number = _page_number(item)
    try:
        responses, problems = service.read_page(item, number, request.form, current_app.secret_key)
    except service.StalePage:
        flash(_("This page was opened before the quiz was updated, so it was not saved. "
                "Your saved answers are shown; please check them and save again."), "error")
        return redirect(url_for(".attempt", attempt_id=attempt_id, page=number))
    try:
        service.save_answers(item, responses, moment)
    except service.AttemptClosed as reason:
        if str(reason) == "expired":
            flash(_("The time was up. Your attempt was graded on the answers saved before the end."), "error")
        return redirect(url_for(".result", attempt_id=attempt_id))
    if problems:
        flash(_("Some answers could not be read; please check the marked questions."), "error")
        return _render_page(item, number, moment, problems, status=422)
    go = request.form.get("go", "")   # links by the address's id: the commit expired `item`
    if go == "finish":
        return redirect(url_for(".finish", attempt_id=attempt_id))
    target = int(go) if go.isdigit() else number
    return redirect(url_for(".attempt", attempt_id=attempt_id, page=target))


@bp.route("/quizzes/attempts/<int:attempt_id>/autosave", methods=["POST"])
@login_required
def autosave(attempt_id):
    """Save the answers on a page in the background (called by the page's script).

    The fastest path of the platform (a class's autosaves every few seconds): the CSRF token was checked by
    CSRFProtect before the view (no form object is built), the attempt and its quiz's page size come in one light
    statement, only this page's questions are read, and the answers are written in one statement."""
    item = _own_attempt(attempt_id, service.attempt_for_saving)
    moment = now()
    number = _page_number(item)
    try:
        responses, problems = service.read_page(item, number, request.form, current_app.secret_key)
    except service.StalePage:   # the page's script goes where `result` says: the page, afresh
        return jsonify(saved=False, stale=True, result=url_for(".attempt", attempt_id=item.id, page=number)), 409
    remaining = int((item.deadline - moment).total_seconds()) if item.deadline else None
    problem_refs = [service.InputTokens(item, current_app.secret_key).ref(key) for key in problems]
    try:   # read before the commit, which expires the attempt's row
        service.save_answers(item, responses, moment)
    except service.AttemptClosed:
        return jsonify(saved=False, closed=True, result=url_for(".result", attempt_id=attempt_id)), 409
    return jsonify(saved=True, problems=problem_refs, remaining=remaining)


@bp.route("/quizzes/attempts/<int:attempt_id>/finish")
@login_required
def finish(attempt_id):
    """Show how many questions are answered before the person submits."""
    item = _own_attempt(attempt_id)
    if item.status != OPEN:
        return redirect(url_for(".result", attempt_id=item.id))
    saved = service.saved_responses(item)
    unanswered = [i + 1 for i, entry in enumerate(item.layout) if saved.get(entry["key"]) is None]
    moment = now()
    remaining = int((item.deadline - moment).total_seconds()) if item.deadline else None
    return render_template("quizzes/finish.html", attempt=item, quiz=item.quiz, unanswered=unanswered,
                           per_page=item.quiz.per_page, remaining=remaining, form=AttemptForm())


@bp.route("/quizzes/attempts/<int:attempt_id>/submit", methods=["POST"])
@login_required
def submit(attempt_id):
    """Close and grade the attempt (once, however often it is sent)."""
    item = _own_attempt(attempt_id)
    if not AttemptForm().validate_on_submit():
        abort(400)
    service.submit(item, now())
    return redirect(url_for(".result", attempt_id=attempt_id))   # the id from the address: the commit expired `item`


@bp.route("/quizzes/attempts/<int:attempt_id>/result")
@login_required
def result(attempt_id):
    """Show the attempt's score and, when the feedback mode allows, the review."""
    item, moment = _own_attempt_now(attempt_id)
    if item.status == OPEN:
        return redirect(url_for(".attempt", attempt_id=item.id))
    visible = service.review_visible(item, moment)
    return render_template("quizzes/result.html", attempt=item, quiz=item.quiz,
                           review=service.review(item) if visible else None)


# --- curators -------------------------------------------------------------------------

@bp.route("/quizzes/groups/<int:group_id>", methods=["GET", "POST"])
@role_required(CURATOR, ADMIN)
def group_results(group_id):
    """Show a group's results at a quiz: who sat, who passed, the spread; grant extra time."""
    group = db.get_or_404(Group, group_id)
    ensure(can_view_group(current_user, group))
    quizzes = db.session.execute(select(Quiz).where(Quiz.retired.is_(False)).order_by(Quiz.title)).scalars().all()
    quizzes.sort(key=lambda q: q.activity_code == "")  # the plan's quizzes (the integrity hour) first
    if not quizzes:
        return render_template("quizzes/group.html", group=group, quizzes=[], quiz=None)
    quiz = next((q for q in quizzes if q.slug == request.args.get("quiz")), quizzes[0])
    moment = now()
    service.close_overdue(moment, quiz_id=quiz.id)
    form = ExtraTimeForm()
    students = db.session.execute(select(User).where(User.group_id == group.id).order_by(User.full_name)).scalars().all()
    form.student.choices = options((s.id, s.full_name) for s in students)
    form.scope.choices = options([(quiz.slug, _("this quiz: %(title)s", title=tr(quiz, "title"))), ("*", _("all quizzes"))])
    if form.validate_on_submit():
        student = next((s for s in students if s.id == form.student.data), None)
        ensure(student is not None)
        service.grant_extra_time(student, None if form.scope.data == "*" else quiz, form.minutes.data, current_user)
        flash(_("Extra time saved for %(name)s.", name=student.full_name), "success")
        return redirect(url_for(".group_results", group_id=group.id, quiz=quiz.slug))
    activity = service.activity_for(quiz, moment)
    results = service.group_results(quiz, group.id, activity, local_date(moment))
    return render_template("quizzes/group.html", group=group, quizzes=quizzes, quiz=quiz, results=results,
                           form=form, activity=activity)


# --- admins ---------------------------------------------------------------------------

@bp.route("/admin/quizzes")
@admin_required
def admin_index():
    """List the quizzes with their versions and numbers of closed attempts."""
    quizzes = db.session.execute(select(Quiz).order_by(Quiz.retired, Quiz.title)
                                 .options(db.joinedload(Quiz.current))).scalars().all()
    counts = dict(db.session.execute(select(QuizAttempt.quiz_id, func.count()).where(
        QuizAttempt.status.in_(service.CLOSED)).group_by(QuizAttempt.quiz_id)).all())
    return render_template("quizzes/admin_index.html", quizzes=quizzes, counts=counts)


@bp.route("/admin/quizzes/<slug>/items")
@admin_required
def items(slug):
    """Show item statistics to spot broken questions."""
    quiz = db.session.execute(select(Quiz).where(Quiz.slug == slug)).scalar_one_or_none() or abort(404)
    service.close_overdue(now(), quiz_id=quiz.id)
    return render_template("quizzes/items.html", quiz=quiz, items=service.item_statistics(quiz))


@bp.route("/admin/quizzes/<slug>/items.xlsx", defaults={"fmt": "xlsx"})
@bp.route("/admin/quizzes/<slug>/items.csv", defaults={"fmt": "csv"})
@admin_required
def items_csv(slug, fmt):
    """Export the item statistics (CSV or XLSX)."""
    quiz = db.session.execute(select(Quiz).where(Quiz.slug == slug)).scalar_one_or_none() or abort(404)
    header = ["key", "category", "type", "question", "given", "facility", "discrimination", "choices"]
    table = ([item.key, item.category, item.type, item.text, item.given,
              None if item.facility is None else round(item.facility, 3),
              None if item.discrimination is None else round(item.discrimination, 3),
              "; ".join(f"{label}: {count}" for label, count in item.options)]
             for item in service.item_statistics(quiz))
    return table_response(f"{quiz.slug}-items", header, table, fmt)
