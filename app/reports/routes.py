"""The reporting channel's pages: file a report, follow it with code and passphrase, the ACS's queue, public statistics."""
from pathlib import Path

from flask import (Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, send_file,
                   session, url_for)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from app.core.clock import now
from app.core.confirm import confirmation_page, confirmed
from app.core.http import int_field, per_address
from app.extensions import db
from app.people.access import admin_required
from app.people.models import User
from app.reports import service
from app.reports.models import CATEGORIES, CLOSED, OUTCOMES, REPORTER, STATUSES, Report, ReportAttachment

bp = Blueprint("reports", __name__)
CASE_KEY = "report_case"


@bp.context_processor
def labels():
    return {"category_label": service.CATEGORY_LABELS, "status_label_of": service.STATUS_LABELS,
            "outcome_label": service.OUTCOME_LABELS}


class ActionForm(FlaskForm):
    """Carries the CSRF token; fields are read from the request."""


def _folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / "reports"


def _private(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/report", methods=["GET", "POST"])
@per_address("5 per hour", methods=["POST"])
def new():
    """File a report, signed in or not, anonymously or by name."""
    form = ActionForm()
    typed = request.form
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        user = current_user if current_user.is_authenticated else None
        try:
            filed = service.file_report(
                category=typed.get("category", ""), what=typed.get("what", ""), place=typed.get("place", ""),
                happened=typed.get("happened", ""), anonymous=typed.get("anonymous", "1") == "1",
                contact=typed.get("contact", ""), user=user, files=request.files.getlist("attachments"),
                folder=_folder(), today=now().date())
        except service.ReportError as error:
            flash(str(error), "error")
            if request.files.getlist("attachments") and any(f.filename for f in request.files.getlist("attachments")):
                flash(_("For your safety the images were not kept: attach them again."), "error")
        else:
            return _private(make_response(render_template("reports/filed.html", report=filed.report,
                                                          passphrase=filed.passphrase)))
    return _private(make_response(render_template("reports/new.html", form=form, typed=typed, categories=CATEGORIES,
                                                  max_files=service.MAX_ATTACHMENTS)))


@bp.route("/report/follow", methods=["GET", "POST"])
@per_address("10 per 10 minutes", methods=["POST"])
def follow():
    """Open a case with its code and passphrase; a wrong code and a wrong passphrase get the same answer."""
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        report = service.open_case(request.form.get("code", ""), request.form.get("passphrase", ""))
        if report is not None:
            session[CASE_KEY] = report.id
            return redirect(url_for(".case"))
        flash(_("No case matches this code and passphrase. Check both and try again."), "error")
    return _private(make_response(render_template("reports/follow.html", form=form,
                                                  code=request.form.get("code", ""))))


def _case_from_session() -> Report:
    report = db.session.get(Report, session.get(CASE_KEY) or 0)
    if report is None:
        abort(404)
    return report


@bp.route("/report/case", methods=["GET", "POST"])
def case():
    """The reporter's view of the case: its status, the ACS's answers, and a form to write back."""
    if CASE_KEY not in session:
        return redirect(url_for(".follow"))
    report = _case_from_session()
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            service.reporter_message(report, request.form.get("body", ""), request.files.getlist("attachments"),
                                     _folder(), now().date())
        except service.ReportError as error:
            flash(str(error), "error")
        else:
            flash(_("Your message has been added to the case."), "success")
            return redirect(url_for(".case"))
    messages = [m for m in report.messages if not m.internal]
    return _private(make_response(render_template("reports/case.html", report=report, messages=messages, form=form,
                                                  typed=request.form, max_files=service.MAX_ATTACHMENTS)))


@bp.route("/report/case/leave", methods=["POST"])
def leave():
    if not ActionForm().validate_on_submit():
        abort(400)
    session.pop(CASE_KEY, None)
    flash(_("You have left the case. Open it again with its code and passphrase."), "success")
    return redirect(url_for(".follow"))


def _send_attachment(attachment: ReportAttachment):
    path = _folder() / attachment.stored_name
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype="image/jpeg", max_age=0)
    response.headers["Content-Disposition"] = f'inline; filename="attachment-{attachment.id}.jpg"'
    return _private(response)


@bp.route("/report/case/files/<int:attachment_id>.jpg")
def case_file(attachment_id):
    attachment = db.session.get(ReportAttachment, attachment_id)
    if attachment is None or attachment.report_id != session.get(CASE_KEY):
        abort(404)
    return _send_attachment(attachment)


@bp.route("/reports/statistics")
def statistics():
    """Public: how many reports, of what kind, answered how fast, with what outcome — never a case's content."""
    stats = service.public_statistics(now().date())
    return render_template("reports/statistics.html", stats=stats, categories=CATEGORIES, outcomes=OUTCOMES,
                           days=service.answer_days())


# --- the ACS -------------------------------------------------------------------------------------

@bp.route("/admin/reports/", methods=["GET", "POST"])
@admin_required
def queue():
    """Every case, the overdue first; filters by status, category and officer; the answer time limit."""
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            service.set_answer_days(int_field("days", 0), current_user)
        except service.ReportError as error:
            flash(str(error), "error")
        else:
            flash(_("New reports will be due for a first answer within %(n)d days.", n=service.answer_days()), "success")
        return redirect(url_for(".queue"))
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    category = request.args.get("category") if request.args.get("category") in CATEGORIES else None
    today = now().date()
    reports = service.queue(status, category, current_user if request.args.get("mine") else None,
                            today if request.args.get("overdue") else None)
    return render_template("reports/queue.html", reports=reports, status=status, category=category, today=today,
                           statuses=STATUSES, categories=CATEGORIES, days=service.answer_days(), form=form)


@bp.route("/admin/reports/<int:report_id>", methods=["GET", "POST"])
@admin_required
def handle(report_id):
    """One case: what was reported, the exchange, internal notes, status, outcome and officer."""
    report = db.get_or_404(Report, report_id)
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        action, today = request.form.get("action"), now().date()
        status, outcome = request.form.get("status", ""), request.form.get("outcome", "")
        if (action == "status" and status == CLOSED and outcome in OUTCOMES and report.status != CLOSED
                and not confirmed()):
            return _private(make_response(confirmation_page(
                question=_("Close case %(code)s as “%(outcome)s”?", code=report.code, outcome=service.OUTCOME_LABELS[outcome]),
                consequence=_("the reporter sees that the case is closed and with which outcome, and the closing is written to the audit log for good."),
                button=_("Close the case"), back=url_for(".handle", report_id=report.id))))
        try:
            if action == "status":
                service.change_status(report, current_user, request.form.get("status", ""),
                                      request.form.get("outcome", ""), today)
                flash(_("Status saved."), "success")
            elif action == "assign":
                assignee = db.session.get(User, int_field("officer", 0))
                service.assign(report, current_user, assignee)
                flash(_("Officer saved."), "success")
            elif action in ("answer", "note"):
                service.officer_message(report, current_user, request.form.get("body", ""),
                                        internal=action == "note", today=today)
                flash(_("Internal note added.") if action == "note" else _("Answer sent to the reporter."), "success")
            else:
                abort(400)
        except service.ReportError as error:
            flash(str(error), "error")
            return _private(make_response(render_template(
                "reports/handle.html", report=report, form=form, typed=request.form, statuses=STATUSES,
                outcomes=OUTCOMES, officers=service.officers(), today=now().date())))
        return redirect(url_for(".handle", report_id=report.id))
    return _private(make_response(render_template("reports/handle.html", report=report, form=form, typed={},
                                                  statuses=STATUSES, outcomes=OUTCOMES, officers=service.officers(),
                                                  today=now().date(), reporter=REPORTER)))


@bp.route("/admin/reports/files/<int:attachment_id>.jpg")
@admin_required
def admin_file(attachment_id):
    return _send_attachment(db.get_or_404(ReportAttachment, attachment_id))
