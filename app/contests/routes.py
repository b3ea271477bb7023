"""Contest pages: entering, the jury's queue and scoring, the ACS's running of a contest, public results."""
from pathlib import Path

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template, request, send_file,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select

from app.contests import service
from app.contests.models import ACTIVE, SUBMITTED, WITHDRAWN, Contest, Entry, JuryAssignment
from app.core.cache import immutables
from app.core.clock import now
from app.core.confirm import confirmation_page, confirmed
from app.core.localize import language, localized_criteria, tr
from app.core.http import int_field
from app.extensions import db
from app.people.access import admin_required, role_required
from app.people.models import JURY, User

bp = Blueprint("contests", __name__)


class ActionForm(FlaskForm):
    """Carries the CSRF token of every contest form; the fields are read from the request."""


def _contest_or_404(slug):
    contest = service.contest_by_slug(slug)
    if contest is None:
        abort(404)
    return contest


def _own_entry(code) -> Entry:
    entry = service.entry_by_code(code)
    if entry is None or entry.author_id != current_user.id:
        abort(404)
    return entry


# --- students --------------------------------------------------------------------------------

@bp.route("/contests/")
def index():
    """List the contests by phase."""
    moment = now()
    contests = db.session.execute(select(Contest).where(Contest.retired.is_(False))
                                  .order_by(Contest.submissions_close.desc())).scalars().all()
    return render_template("contests/index.html", contests=[(c, service.phase(c, moment)) for c in contests])


@bp.route("/contests/<slug>/")
def show(slug):
    """Show a contest's brief, rules, rubric and windows — and, signed in, the person's entries."""
    contest = _contest_or_404(slug)
    moment = now()
    mine = service.live_entries(current_user.id, contest) if current_user.is_authenticated else []
    reason = service.may_enter(current_user, contest, moment) if current_user.is_authenticated else None
    return render_template("contests/show.html", contest=contest, phase=service.phase(contest, moment), mine=mine,
                           reason=reason)


def _draft_from_form() -> service.EntryDraft:
    return service.EntryDraft(title=request.form.get("title", ""), body=request.form.get("body", ""),
                              video_url=request.form.get("video_url", ""),
                              description=request.form.get("description", ""),
                              show_name=request.form.get("show_name") == "y")


def _save(contest, entry):
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    draft = _draft_from_form()
    outcome = service.save_entry(
        current_user, contest, entry, draft, request.files.get("cover"), now(),
        submit=request.form.get("action") == "submit", confirm_identity=request.form.get("confirm_identity") == "y",
        upload_folder=Path(current_app.config["UPLOAD_FOLDER"]), pending_token=request.form.get("pending_cover", ""))
    if outcome.problems:
        flash(_("The entry was not saved: see the messages below."), "error")
        return render_template("contests/edit.html", contest=contest, entry=outcome.entry or entry, draft=draft,
                               problems=outcome.problems, identity=outcome.identity, form=form,
                               pending=outcome.pending), 422
    if outcome.entry.status == SUBMITTED and request.form.get("action") == "submit":
        return redirect(url_for(".receipt", code=outcome.entry.code))
    flash(_("Draft saved."), "success")
    return redirect(url_for(".edit", code=outcome.entry.code))


@bp.route("/contests/<slug>/enter", methods=["GET", "POST"])
@login_required
def enter(slug):
    """Start an entry."""
    contest = _contest_or_404(slug)
    if request.method == "POST":
        return _save(contest, None)
    reason = service.may_enter(current_user, contest, now())
    if reason:
        flash(reason, "error")
        return redirect(url_for(".show", slug=slug))
    return render_template("contests/edit.html", contest=contest, entry=None, draft=service.EntryDraft(),
                           problems={}, identity=[], form=ActionForm())


@bp.route("/contests/entries/<code>/edit", methods=["GET", "POST"])
@login_required
def edit(code):
    """Edit a draft or a submitted entry until the deadline."""
    entry = _own_entry(code)
    if request.method == "POST":
        return _save(entry.contest, entry)
    draft = service.EntryDraft(entry.title, entry.body, entry.video_url, entry.description, entry.show_name)
    return render_template("contests/edit.html", contest=entry.contest, entry=entry, draft=draft, problems={},
                           identity=[], form=ActionForm(), phase=service.phase(entry.contest, now()),
                           feedback=service.author_feedback(entry))


@bp.route("/contests/entries/<code>/withdraw", methods=["POST"])
@login_required
def withdraw(code):
    """Withdraw an entry before the deadline."""
    entry = _own_entry(code)
    if not ActionForm().validate_on_submit():
        abort(400)
    if service.may_withdraw(entry, now()) and not confirmed():
        return confirmation_page(
            question=_("Withdraw the entry %(code)s?", code=entry.code),
            consequence=_("the entry leaves the contest for good: the jury will not see it, it will not be ranked, and the XP it earned is taken back."),
            button=_("Withdraw the entry"), back=url_for(".edit", code=entry.code))
    if service.withdraw(entry, current_user, now()):
        flash(_("Your entry %(code)s is withdrawn.", code=entry.code), "success")
    else:
        flash(_("The entry can no longer be withdrawn."), "error")
    return redirect(url_for(".show", slug=entry.contest.slug))


@bp.route("/contests/entries/<code>/receipt")
@login_required
def receipt(code):
    """Show the submission receipt: the entry code and the hash of what was submitted."""
    entry = _own_entry(code)
    if entry.status != SUBMITTED:
        return redirect(url_for(".edit", code=entry.code))
    return render_template("contests/receipt.html", entry=entry, contest=entry.contest)


@bp.route("/contests/entries/<code>/<any(cover, thumb):size>.jpg")
def image(code, size):
    """Send an entry's cover image to those who may see it, named by the entry code only."""
    entry = service.entry_by_code(code)
    if entry is None or not entry.cover_file or not service.can_see_entry_files(current_user, entry):
        abort(404)
    name = entry.cover_file if size == "cover" else entry.thumb_file
    path = Path(current_app.config["UPLOAD_FOLDER"]) / "covers" / name
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype="image/jpeg", download_name=f"{entry.code}.jpg", max_age=0)
    response.headers["Content-Disposition"] = f'inline; filename="{entry.code}.jpg"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store" if entry.contest.published_at is None else "public, max-age=3600"
    return response


@bp.route("/contests/covers/kept/<token>.jpg")
@login_required
def pending_cover(token):
    """Send the thumbnail of a cover kept from a refused save, to the person who uploaded it only."""
    pending = service.pending_cover(current_user, token, now())
    if pending is None:
        abort(404)
    path = Path(current_app.config["UPLOAD_FOLDER"]) / "covers" / pending.thumb_file
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype="image/jpeg", max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- jury -------------------------------------------------------------------------------------

@bp.route("/jury/")
@role_required(JURY)
def jury_queue():
    """List the entries this juror is to score, contest by contest, with progress."""
    return render_template("contests/jury_queue.html", groups=service.queue(current_user), moment=now(),
                           phase=service.phase)


def _own_assignment(assignment_id) -> JuryAssignment:
    assignment = db.session.get(JuryAssignment, assignment_id)
    if assignment is None or assignment.juror_id != current_user.id or assignment.status != ACTIVE:
        abort(404)
    return assignment


@bp.route("/jury/assignments/<int:assignment_id>", methods=["GET", "POST"])
@role_required(JURY)
def score(assignment_id):
    """Show an entry by its code only, with the rubric form; save, or seal."""
    assignment = _own_assignment(assignment_id)
    contest = assignment.entry.contest
    form = ActionForm()
    problems, values = {}, dict(assignment.score.values) if assignment.score else {}
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        values, problems = service.parse_values(contest, request.form)
        seal = request.form.get("action") == "seal"
        if seal and not problems and not confirmed():
            problems = service.score_refusal(assignment, values, seal=True, now=now())
            if not problems:
                return confirmation_page(
                    question=_("Seal your score for entry %(code)s?", code=assignment.entry.code),
                    consequence=_("a sealed score is final: you will not be able to change it."),
                    details=[f"{c['title']}: {values[c['key']]} / {c['scale']}" for c in localized_criteria(contest)],
                    button=_("Seal my score"), button_field=("action", "seal"),
                    alternative=(_("Save as a draft instead"), "action", "save"),
                    back=url_for(".score", assignment_id=assignment.id))
        if not problems:
            problems = service.save_score(assignment, current_user, values, request.form.get("comment", ""),
                                          request.form.get("private_note", ""),
                                          seal=seal, now=now())
        if not problems:
            flash(_("Score sealed.") if seal else _("Saved. You can revise until you seal."), "success")
            return redirect(url_for(".score", assignment_id=assignment.id))
    sealed = assignment.score is not None and assignment.score.sealed_at is not None
    return render_template("contests/score.html", assignment=assignment, entry=assignment.entry, contest=contest,
                           values=values, problems=problems, form=form, sealed=sealed,
                           comment=request.form.get("comment", assignment.score.comment if assignment.score else ""),
                           note=request.form.get("private_note", assignment.score.private_note if assignment.score else ""),
                           others=service.sealed_scores_of_others(assignment) if sealed else [],
                           phase=service.phase(contest, now())), (422 if problems else 200)


@bp.route("/jury/assignments/<int:assignment_id>/conflict", methods=["POST"])
@role_required(JURY)
def conflict(assignment_id):
    """Step aside from an entry because of a conflict of interest."""
    assignment = _own_assignment(assignment_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if not confirmed():
        return confirmation_page(
            question=_("Declare a conflict of interest for entry %(code)s?", code=assignment.entry.code),
            consequence=_("the entry passes to another juror and you will not be able to score it again."),
            button=_("Declare a conflict and pass this entry on"),
            back=url_for(".score", assignment_id=assignment.id))
    try:
        replacement = service.declare_conflict(assignment, current_user, request.form.get("reason", ""), now())
    except ValueError as error:
        flash(str(error), "error")
        return redirect(url_for(".score", assignment_id=assignment.id))
    if replacement is not None:
        flash(_("Thank you. The entry has been passed to another juror."), "success")
    else:
        flash(_("Thank you. You no longer judge this entry. No other juror in the pool could take it: "
                "the ACS sees it as short of jurors and will find one."), "info")
    return redirect(url_for(".jury_queue"))


# --- the ACS ----------------------------------------------------------------------------------

@bp.route("/admin/contests/")
@admin_required
def admin_index():
    """List contests with their phase and numbers of entries."""
    moment = now()
    contests = db.session.execute(select(Contest).order_by(Contest.submissions_close.desc())).scalars().all()
    counts = dict(db.session.execute(select(Entry.contest_id, db.func.count()).where(Entry.status == SUBMITTED)
                                     .group_by(Entry.contest_id)).all())
    return render_template("contests/admin_index.html", contests=contests, counts=counts, moment=moment,
                           phase=service.phase, short=service.short_of_jurors(contests))


@bp.route("/admin/contests/<slug>/")
@admin_required
def admin_show(slug):
    """Run a contest: entries, jury assignment and progress, a preview of the results, publication."""
    contest = db.session.execute(select(Contest).where(Contest.slug == slug)).scalar_one_or_none() or abort(404)
    rows, sealed = service.judging_progress(contest)
    same_faculty = service.same_faculty_assignments(rows)
    preview = service.preview(contest) if any(sealed.values()) and contest.published_at is None else None
    return render_template("contests/admin_show.html", contest=contest, rows=rows, sealed=sealed, preview=preview,
                           phase=service.phase(contest, now()), pool=service.jury_pool(), form=ActionForm(),
                           same_faculty=same_faculty, short=service.short_of_jurors([contest]).get(contest.id, []),
                           withdrawn=db.session.scalar(select(db.func.count()).select_from(Entry).where(
                               Entry.contest_id == contest.id, Entry.status == WITHDRAWN)))


@bp.route("/admin/contests/<slug>/assign", methods=["POST"])
@admin_required
def assign(slug):
    """Assign jurors to every submitted entry."""
    contest = _contest_or_404(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        warnings = service.assign_jury(contest, current_user, now())
    except ValueError as error:
        flash(str(error), "error")
    else:
        flash(_("Jurors assigned."), "success")
        for warning in warnings:
            flash(warning, "error")
    return redirect(url_for(".admin_show", slug=slug))


@bp.route("/admin/contests/<slug>/reassign", methods=["POST"])
@admin_required
def reassign(slug):
    """Move one entry from one juror to another."""
    contest = _contest_or_404(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    assignment = db.session.get(JuryAssignment, int_field("assignment", 0))
    juror = db.session.get(User, int_field("juror", 0))
    if assignment is None or juror is None or assignment.entry.contest_id != contest.id:
        abort(404)
    try:
        service.reassign(assignment, juror, current_user, now())
        flash(_("Reassigned."), "success")
    except ValueError as error:
        flash(str(error), "error")
    return redirect(url_for(".admin_show", slug=slug))


@bp.route("/admin/contests/<slug>/publish", methods=["POST"])
@admin_required
def publish(slug):
    """Publish the results (final; written to the audit log)."""
    contest = _contest_or_404(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    if contest.published_at is None and not confirmed():
        return confirmation_page(
            question=_("Publish the results of “%(title)s”?", title=tr(contest, 'title')),
            consequence=_("the ranking is frozen, winners who consented are named, diplomas and certificates are issued, and the publication is written to the audit log."),
            button=_("Publish the results"), back=url_for(".admin_show", slug=slug))
    try:
        service.publish(contest, current_user, now())
    except ValueError as error:
        flash(str(error), "error")
        return redirect(url_for(".admin_show", slug=slug))
    flash(_("The results are published."), "success")
    return redirect(url_for(".results", slug=slug))


# --- everyone ------------------------------------------------------------------------------------

@bp.route("/contests/<slug>/results")
def results(slug):
    """Show published results: winners, how each figure was computed, and the proof."""
    contest = _contest_or_404(slug)
    if contest.published_at is None:
        abort(404)
    # The results are a snapshot taken once, at publication, and the same for every reader of a language: drawn
    # once per process (the contest's texts as loaded, the links under this script root), the layout every time.
    key = ("contest-results", contest.id, contest.published_at.isoformat(), contest.source_digest,
           contest.loaded_at.isoformat(), language(), request.script_root)
    body = immutables().get(key, lambda: render_template("contests/_results_body.html", contest=contest,
                                                         results=contest.results))
    return render_template("contests/results.html", contest=contest, body=Markup(body))


@bp.route("/contests/<slug>/results.zip")
def bundle(slug):
    """Download the anonymised data, the method and the code to recompute the ranking."""
    contest = _contest_or_404(slug)
    if contest.published_at is None:
        abort(404)
    return Response(service.results_bundle(contest, request.url_root), mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{contest.slug}-results.zip"'})
