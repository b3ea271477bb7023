"""E-mail pages: forgotten password, one-click opt-out, a person's preferences, the admin's mail and jobs page."""
import logging

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.core.clock import now
from app.core.http import address_key
from app.extensions import csrf, db
from app.jobs import service as jobs
from app.jobs.models import Job
from app.jobs.routes import kind_label, state_label
from app.mail import messages, reset, service
from app.mail.forms import ForgotPasswordForm
from app.people.access import admin_required
from app.people.models import Group

logger = logging.getLogger(__name__)
bp = Blueprint("mail", __name__)


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    """Ask for a link to choose a new password; the answer never says whether the address is known."""
    form = ForgotPasswordForm()
    mail_ready = service.configured(current_app.config)
    if mail_ready and form.validate_on_submit():
        reset.request_password_reset(form.email.data, address_key(), now())
        return render_template("mail/forgot_sent.html")
    return render_template("mail/forgot.html", form=form, mail_ready=mail_ready)


@bp.route("/mail/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt   # the signed token is the authority; RFC 8058 one-click posts carry no form token
def unsubscribe(token):
    """Stop one category of e-mail from a link in a message (a GET only asks; the button or a mail program posts)."""
    found = service.read_opt_out_token(token)
    if found is None:
        return render_template("mail/unsubscribe.html", invalid=True), 404
    user_id, category = found
    if request.method == "POST":
        service.opt_out(user_id, category)
        return render_template("mail/unsubscribe.html", done=True, label=service.category_label(category))
    return render_template("mail/unsubscribe.html", label=service.category_label(category))


@bp.route("/mail/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    """Choose which kinds of e-mail to receive."""
    if request.method == "POST":
        service.set_preferences(current_user, {c for c in request.form.getlist("category") if c in service.OPTIONAL})
        flash(_("Saved."), "success")
        return redirect(url_for(".preferences"))
    return render_template("mail/preferences.html", wanted=service.preferences(current_user),
                           categories=[(c, service.category_label(c)) for c in service.OPTIONAL],
                           mail_ready=service.configured(current_app.config))


@bp.route("/admin/mail", methods=["GET", "POST"])
@admin_required
def admin():
    """See whether e-mail is set up and what waits in the outbox; start deliveries, reminders, reports, backups."""
    if request.method == "POST":
        kind = request.form.get("kind")
        if kind not in ("deliver", "reminders", "backup", "coverage_report"):
            flash(_("Unknown action."), "error")
            return redirect(url_for(".admin"))
        job = jobs.start(kind, started_by=current_user)
        return redirect(url_for("jobs.show", job_id=job.id))
    config = current_app.config
    recent = db.session.execute(db.select(Job).order_by(Job.created_at.desc(), Job.id.desc()).limit(20)).scalars().all()

    return render_template("mail/admin.html", mail_ready=service.configured(config), config=config,
                           counts=service.outbox_counts(), mode=jobs.jobs_mode(config), recent=recent,
                           kind_label=kind_label, state_label=state_label)


@bp.route("/admin/groups/<int:group_id>/invite", methods=["POST"])
@admin_required
def invite_group(group_id):
    """Invite by e-mail every student of the group who has no password yet."""
    group = db.get_or_404(Group, group_id)
    if not messages.people_to_invite(group_id=group.id):
        flash(_("Everyone in this group has already chosen a password."), "info")
        return redirect(url_for("people_admin.group", group_id=group.id))
    job = jobs.start("invitations", started_by=current_user, params={"group_id": group.id})
    logger.info("invitations of group %s started by %s (job %s)", group.id, current_user.id, job.id)
    return redirect(url_for("jobs.show", job_id=job.id))
