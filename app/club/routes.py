"""Pages of the club and the youth movement: membership, the ideas board, volunteering, the media showcase."""
from datetime import date
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from app.club import service
from app.club.models import IDEA_CATEGORIES, IDEA_STATUSES, PENDING, Clip, Idea, Membership, VolunteerLog
from app.core.clock import now
from app.core.confirm import confirmation_page, confirmed
from app.core.http import is_local_path
from app.core.localize import format_day
from app.extensions import db
from app.people.access import admin_required, role_required
from app.people.models import ADMIN, COORDINATOR

bp = Blueprint("club", __name__)


class ActionForm(FlaskForm):
    """Carries the CSRF token; fields are read from the request."""


@bp.context_processor
def labels():
    return {"idea_category_label": service.IDEA_CATEGORY_LABELS, "idea_status_label": service.IDEA_STATUS_LABELS,
            "platform_label": service.PLATFORM_LABELS}


def _checked_form():
    if not ActionForm().validate_on_submit():
        abort(400)


# --- the club -------------------------------------------------------------------------------------

@bp.route("/club/", methods=["GET", "POST"])
def index():
    """What the club is, how many members each faculty has, and (for a student) applying or leaving."""
    form = ActionForm()
    mine = service.membership_of(current_user.id) if current_user.is_authenticated else None
    if request.method == "POST":
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=url_for(".index")))
        _checked_form()
        try:
            if request.form.get("action") == "leave":
                service.leave(current_user, now())
                flash(_("You have left the club. You can apply again at any time."), "success")
            else:
                service.apply(current_user, request.form.get("motivation", ""), now())
                flash(_("Your application is sent. The coordinator will answer it here."), "success")
        except service.ClubError as error:
            flash(str(error), "error")
            total, by_faculty = service.member_counts()
            return render_template("club/index.html", form=form, mine=mine, total=total, by_faculty=by_faculty,
                                   typed=request.form), 422
        return redirect(url_for(".index"))
    total, by_faculty = service.member_counts()
    return render_template("club/index.html", form=form, mine=mine, total=total, by_faculty=by_faculty, typed={})


@bp.route("/club/manage")
@role_required(COORDINATOR, ADMIN)
def manage():
    """The coordinator's desk: applications to decide, volunteering to confirm, members by faculty."""
    return render_template("club/manage.html", form=ActionForm(), applications=service.applications(PENDING),
                           volunteering=service.pending_volunteering(), members=service.members_by_faculty())


@bp.route("/club/applications/<int:membership_id>", methods=["POST"])
@role_required(COORDINATOR, ADMIN)
def decide(membership_id):
    item = db.get_or_404(Membership, membership_id)
    _checked_form()
    accept = request.form.get("action") == "accept"
    try:
        service.decide(item, current_user, accept, request.form.get("reason", ""), now())
    except service.ClubError as error:
        flash(str(error), "error")
    else:
        flash(_("%(name)s is now a member of the club.", name=item.user.full_name) if accept
              else _("The application of %(name)s is declined; they see your reason.", name=item.user.full_name), "success")
    return redirect(url_for(".manage"))


# --- volunteering ---------------------------------------------------------------------------------

@bp.route("/volunteering/", methods=["GET", "POST"])
@login_required
def volunteering():
    """A student's volunteering: log hours, see what was confirmed, print the statement."""
    form = ActionForm()
    status = 200
    if request.method == "POST":
        _checked_form()
        try:
            done_on = date.fromisoformat(request.form.get("done_on", ""))
        except ValueError:
            done_on = None
        try:
            service.log_volunteering(current_user, done_on, service.parse_hours(request.form.get("hours", "")),
                                     request.form.get("activity", ""), request.form.get("description", ""), now().date())
        except service.ClubError as error:
            flash(str(error), "error")
            status = 422
        else:
            flash(_("Logged. A coordinator will confirm it."), "success")
            return redirect(url_for(".volunteering"))
    return render_template("club/volunteering.html", form=form, entries=service.volunteering_of(current_user.id),
                           total=service.confirmed_hours(current_user.id), typed=request.form if status == 422 else {},
                           today=now().date()), status


@bp.route("/volunteering/<int:entry_id>", methods=["POST"])
@role_required(COORDINATOR, ADMIN)
def decide_volunteering(entry_id):
    entry = db.get_or_404(VolunteerLog, entry_id)
    _checked_form()
    confirm = request.form.get("action") == "confirm"
    if entry.status == PENDING and not confirmed():
        facts = dict(name=entry.user.full_name, hours=entry.hours, date=format_day(entry.done_on))
        return confirmation_page(
            question=(_("Confirm %(hours)s hours of volunteering by %(name)s on %(date)s?", **facts) if confirm
                      else _("Reject %(hours)s hours of volunteering by %(name)s on %(date)s?", **facts)),
            consequence=(_("confirmed hours count for the plan, pay XP and appear on the student's statement; a decision cannot be changed.")
                         if confirm else _("the student sees your reason, and a decision cannot be changed.")),
            details=[entry.activity], button=_("Confirm") if confirm else _("Reject"), back=url_for(".manage"))
    try:
        service.decide_volunteering(entry, current_user, confirm, request.form.get("reason", ""), now())
    except service.ClubError as error:
        flash(str(error), "error")
    else:
        flash(_("Confirmed.") if confirm else _("Rejected; the student sees your reason."), "success")
    return redirect(url_for(".manage"))


@bp.route("/volunteering/statement", methods=["POST"])
@login_required
def statement():
    """Issue (or find) the signed statement of the confirmed hours and open it."""
    _checked_form()
    try:
        certificate = service.volunteering_statement(current_user, now().date())
    except service.ClubError as error:
        flash(str(error), "error")
        return redirect(url_for(".volunteering"))
    return redirect(url_for("certificates.download", code=certificate.code, fmt="pdf"))


# --- ideas ----------------------------------------------------------------------------------------

@bp.route("/ideas/")
def ideas():
    """The public ideas board: support, status and the ACS's answer of each idea; never who supported it."""
    status, category = request.args.get("status"), request.args.get("category")
    order = "new" if request.args.get("order") == "new" else "support"
    items = service.board(status, category, order)
    mine = service.supported_by(current_user.id, [i.id for i in items]) if current_user.is_authenticated else set()
    return render_template("club/ideas.html", ideas=items, mine=mine, status=status, category=category, order=order,
                           statuses=IDEA_STATUSES, categories=IDEA_CATEGORIES, form=ActionForm())


@bp.route("/ideas/new", methods=["GET", "POST"])
@login_required
def propose():
    form = ActionForm()
    if request.method == "POST":
        _checked_form()
        try:
            idea = service.propose(current_user, request.form.get("category", ""), request.form.get("title", ""),
                                   request.form.get("body", ""), now())
        except service.ClubError as error:
            flash(str(error), "error")
            return render_template("club/propose.html", form=form, categories=IDEA_CATEGORIES, typed=request.form), 422
        flash(_("Your idea is on the board. The ACS will answer it publicly."), "success")
        return redirect(url_for(".idea", idea_id=idea.id))
    return render_template("club/propose.html", form=form, categories=IDEA_CATEGORIES, typed={})


@bp.route("/ideas/<int:idea_id>")
def idea(idea_id):
    item = db.session.get(Idea, idea_id)
    admin = current_user.is_authenticated and current_user.is_admin
    if item is None or (item.hidden and not admin):
        abort(404)
    supported = current_user.is_authenticated and item.id in service.supported_by(current_user.id, [item.id])
    return render_template("club/idea.html", idea=item, supported=supported, form=ActionForm(), statuses=IDEA_STATUSES,
                           mine=current_user.is_authenticated and item.author_id == current_user.id)


@bp.route("/ideas/<int:idea_id>/support", methods=["POST"])
@login_required
def support(idea_id):
    item = service.visible_idea(idea_id) or abort(404)
    _checked_form()
    try:
        service.support(current_user, item, request.form.get("on") != "0")
    except service.ClubError as error:
        flash(str(error), "error")
    back = request.form.get("back", "")
    return redirect(back if is_local_path(back) and back.startswith("/ideas") else url_for(".idea", idea_id=item.id))


@bp.route("/ideas/<int:idea_id>/answer", methods=["POST"])
@admin_required
def answer(idea_id):
    item = db.get_or_404(Idea, idea_id)
    _checked_form()
    try:
        service.answer(item, current_user, request.form.get("status", ""), request.form.get("answer", ""), now().date())
    except service.ClubError as error:
        flash(str(error), "error")
        return render_template("club/idea.html", idea=item, supported=False, form=ActionForm(), statuses=IDEA_STATUSES,
                               mine=item.author_id == current_user.id, typed=request.form), 422
    flash(_("The answer is published on the board."), "success")
    return redirect(url_for(".idea", idea_id=item.id))


@bp.route("/ideas/<int:idea_id>/hide", methods=["POST"])
@admin_required
def hide(idea_id):
    item = db.get_or_404(Idea, idea_id)
    _checked_form()
    hidden = request.form.get("action") != "restore"
    if hidden and not item.hidden and not confirmed():
        return confirmation_page(
            question=_("Hide the idea “%(title)s”?", title=item.title),
            consequence=_("it leaves the public board at once, and the reason stays in the audit log for good."),
            button=_("Hide"), back=url_for(".idea", idea_id=item.id))
    try:
        service.hide(item, current_user, request.form.get("reason", ""), hidden)
    except service.ClubError as error:
        flash(str(error), "error")
    else:
        flash(_("The idea is hidden from the board; the reason is in the audit log.") if hidden
              else _("The idea is back on the board."), "success")
    return redirect(url_for(".idea", idea_id=item.id))


# --- the media showcase ---------------------------------------------------------------------------

def _clip_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / "clips"


@bp.route("/media/")
def media():
    """The public gallery of clips, newest first, and the monthly digests."""
    return render_template("club/media.html", clips=service.gallery(), months=service.digest_months(), form=ActionForm(),
                           can_publish=current_user.is_authenticated and service.may_publish_clips(current_user),
                           can_hide=current_user.is_authenticated and service.may_coordinate(current_user))


@bp.route("/media/new", methods=["GET", "POST"])
@login_required
def new_clip():
    if not service.may_publish_clips(current_user):
        abort(403)
    form = ActionForm()
    if request.method == "POST":
        _checked_form()
        data = service.ClipInput(request.form.get("title", ""), request.form.get("description", ""),
                                 request.form.get("credits", ""), request.form.get("url", ""))
        try:
            service.publish_clip(current_user, data, request.files.get("cover"), _clip_folder(), now().date())
        except service.ClubError as error:
            flash(str(error), "error")
            return render_template("club/new_clip.html", form=form, typed=request.form), 422
        flash(_("The clip is in the showcase."), "success")
        return redirect(url_for(".media"))
    return render_template("club/new_clip.html", form=form, typed={})


@bp.route("/media/<int:clip_id>/<any(cover, thumb):size>.jpg")
def clip_image(clip_id, size):
    clip = db.session.get(Clip, clip_id)
    if clip is None or clip.hidden or not clip.cover_file:
        abort(404)
    path = _clip_folder() / (clip.cover_file if size == "cover" else clip.thumb_file)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype="image/jpeg", max_age=3600)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/media/<int:clip_id>/hide", methods=["POST"])
@role_required(COORDINATOR, ADMIN)
def hide_clip(clip_id):
    clip = db.get_or_404(Clip, clip_id)
    _checked_form()
    if not clip.hidden and not confirmed():
        return confirmation_page(
            question=_("Hide the clip “%(title)s”?", title=clip.title),
            consequence=_("it leaves the showcase for good (a hidden clip cannot be shown again), and the reason is written to the audit log."),
            button=_("Hide"), back=url_for(".media"))
    try:
        service.hide_clip(clip, current_user, request.form.get("reason", ""))
    except service.ClubError as error:
        flash(str(error), "error")
    else:
        flash(_("The clip is hidden; the reason is in the audit log."), "success")
    return redirect(url_for(".media"))


@bp.route("/media/digest/<int:year>-<int:month>")
def digest(year, month):
    """The plan's monthly digest of clips, printable."""
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        abort(404)
    first = date(year, month, 1)
    clips = service.gallery(first)
    return render_template("club/digest.html", month=first, clips=clips, generated=now())
