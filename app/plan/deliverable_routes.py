"""Deliverables pages: the ACS's board, an activity's periods, a period's status and evidence, units' reporters."""
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select

from app.core.clock import now, today
from app.core.confirm import confirmation_page, confirmed
from app.core.http import int_arg, int_field, is_local_path
from app.extensions import db
from app.people.access import admin_required, ensure
from app.people.models import User
from app.plan import deliverables as service
from app.plan import service as plan_service
from app.plan.deliverable_models import (EVIDENCE_KINDS, FILE, STATUSES, Deliverable, Evidence, ResponsibleUnit)
from app.plan.models import DELIVERABLE, Activity

bp = Blueprint("deliverables", __name__, url_prefix="/deliverables")


class ActionForm(FlaskForm):
    """Carries the CSRF token; fields are read from the request."""


def evidence_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / service.EVIDENCE_FOLDER


def _plan_or_404():
    plan = plan_service.current_plan(today())
    if plan is None:
        abort(404)
    service.sync_plan(plan)
    db.session.commit()
    return plan


def _deliverable_or_404(deliverable_id) -> Deliverable:
    deliverable = db.get_or_404(Deliverable, deliverable_id)
    ensure(service.can_view(current_user, deliverable))
    return deliverable


@bp.route("/")
@login_required
def board():
    """Show the plan's deliverable periods by due date, filtered by status, section and unit."""
    plan = _plan_or_404()
    mine = service.reporter_unit_ids(current_user)
    ensure(service.is_acs(current_user) or current_user.has_role("staff") or bool(mine))
    status = request.args.get("status", "")
    status = status if status in STATUSES else ""
    section, unit_id = int_arg("section"), int_arg("unit")
    rows = service.board(plan, today(), status=status, section=section, unit_id=unit_id, user=current_user)
    units = [u for u in service.plan_units(plan) if service.is_acs(current_user) or u.id in mine]
    return render_template("deliverables/board.html", plan=plan, rows=rows, units=units, status=status,
                           section=section, unit_id=unit_id, today=today(),
                           overdue=len([r for r in rows if r.status == "overdue"]))


@bp.route("/activity/<int:activity_id>")
@login_required
def activity(activity_id):
    """Show one deliverable activity: its responsible units, each period's status and evidence."""
    item = db.get_or_404(Activity, activity_id)
    periods = service.status_for([item.id], today()).get(item.id, [])
    mine = service.reporter_unit_ids(current_user)
    ensure(service.is_acs(current_user) or any(row.deliverable.unit_id in mine for row in periods))
    return render_template("deliverables/activity.html", activity=item, periods=periods,
                           units=service.units_of([item.id]).get(item.id, []), today=today())


def _deliverable_page(deliverable: Deliverable, problems=None, values=None, status_code=200):
    units = service.units_of([deliverable.activity_id]).get(deliverable.activity_id, [])
    return render_template(
        "deliverables/deliverable.html", deliverable=deliverable, status=service.effective_status(deliverable, today()),
        moves=service.allowed_moves(current_user, deliverable), history=service.history(deliverable), units=units,
        may_add=service.can_report(current_user, deliverable) and deliverable.status != "accepted",
        may_remove=lambda evidence: service.can_remove_evidence(current_user, evidence),
        is_acs=service.is_acs(current_user), form=ActionForm(), problems=problems or {}, values=values or {},
        kinds=EVIDENCE_KINDS), status_code


@bp.route("/<int:deliverable_id>")
@login_required
def show(deliverable_id):
    """Show a deliverable period: status, responsible unit and person, evidence, history; forms to act."""
    return _deliverable_page(_deliverable_or_404(deliverable_id))


@bp.route("/<int:deliverable_id>/status", methods=["POST"])
@login_required
def change_status(deliverable_id):
    """Move a deliverable period to another status (start, submit, accept, return)."""
    deliverable = _deliverable_or_404(deliverable_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        service.change_status(deliverable, request.form.get("to", ""), current_user, now(), request.form.get("note", ""))
    except service.DeliverableError as error:
        db.session.rollback()
        return _deliverable_page(db.session.get(Deliverable, deliverable_id), {error.field or "status": str(error)},
                                 request.form, 422)
    db.session.commit()
    flash(_("Status changed: %(status)s.", status=service.status_labels()[deliverable.status]), "success")
    return redirect(url_for(".show", deliverable_id=deliverable.id))


@bp.route("/<int:deliverable_id>/assign", methods=["POST"])
@admin_required
def assign(deliverable_id):
    """Set the responsible unit and person of a deliverable period."""
    deliverable = _deliverable_or_404(deliverable_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    unit = db.session.get(ResponsibleUnit, int_field("unit") or 0)
    person = db.session.get(User, int_field("person") or 0)
    try:
        service.assign(deliverable, unit, person, current_user, now())
    except service.DeliverableError as error:
        db.session.rollback()
        return _deliverable_page(db.session.get(Deliverable, deliverable_id), {error.field or "unit": str(error)},
                                 request.form, 422)
    db.session.commit()
    flash(_("Responsibility saved."), "success")
    return redirect(url_for(".show", deliverable_id=deliverable.id))


@bp.route("/<int:deliverable_id>/evidence", methods=["POST"])
@login_required
def add_evidence(deliverable_id):
    """Add a file, a link or a short text to a deliverable period."""
    deliverable = _deliverable_or_404(deliverable_id)
    ensure(service.can_report(current_user, deliverable))
    if not ActionForm().validate_on_submit():
        abort(400)
    kind = request.form.get("kind", FILE)
    try:
        service.add_evidence(current_user, now(), evidence_folder(), activity_id=deliverable.activity_id,
                             deliverable=deliverable, kind=kind, title=request.form.get("title", ""),
                             body=request.form.get("body", ""), url=request.form.get("url", ""),
                             upload=request.files.get("file"))
    except service.DeliverableError as error:
        db.session.rollback()
        return _deliverable_page(db.session.get(Deliverable, deliverable_id), {error.field or "kind": str(error)},
                                 request.form, 422)
    db.session.commit()
    flash(_("Evidence added."), "success")
    return redirect(url_for(".show", deliverable_id=deliverable.id) + "#evidence")


@bp.route("/evidence/<int:evidence_id>/remove", methods=["POST"])
@login_required
def remove_evidence(evidence_id):
    """Remove a piece of evidence (its adder before submission, or the ACS)."""
    evidence = db.get_or_404(Evidence, evidence_id)
    ensure(service.can_view_evidence(current_user, evidence))
    if not ActionForm().validate_on_submit():
        abort(400)
    back = request.form.get("next", "")
    back = back if is_local_path(back) else url_for(".board")
    if not service.can_remove_evidence(current_user, evidence):
        abort(403)
    if not confirmed():
        return confirmation_page(question=_("Remove “%(title)s”?", title=evidence.title or _("this evidence")),
                                 consequence=_("the evidence is deleted, with its file if it has one; the audit "
                                               "log keeps its title."),
                                 button=_("Remove the evidence"), back=back)
    try:
        service.remove_evidence(evidence, current_user, now(), evidence_folder())
    except service.DeliverableError:
        abort(403)
    db.session.commit()
    flash(_("Evidence removed."), "success")
    return redirect(back)


@bp.route("/evidence/<int:evidence_id>/<any(file, thumb):which>")
@login_required
def evidence_file(evidence_id, which):
    """Send an evidence file to someone who may see it: images inline, documents as downloads."""
    evidence = db.get_or_404(Evidence, evidence_id)
    ensure(service.can_view_evidence(current_user, evidence))
    name = evidence.thumb_name if which == "thumb" else evidence.stored_name
    path = evidence_folder() / name if name else None
    if path is None or not path.is_file():
        abort(404)
    download = f"evidence-{evidence.id}.{name.rsplit('.', 1)[-1]}"
    response = send_file(path, mimetype=evidence.mimetype, max_age=0, as_attachment=not evidence.is_image,
                         download_name=download)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    return response


@bp.route("/units", methods=["GET", "POST"])
@admin_required
def units():
    """Name the staff who report for each responsible unit of the plan."""
    plan = _plan_or_404()
    all_units = service.plan_units(plan)
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        unit = next((u for u in all_units if u.id == int_field("unit")), None)
        if unit is None:
            abort(404)
        allowed = {u.id: u for u in service.staff_accounts()}
        chosen = [allowed[i] for i in {int(v) for v in request.form.getlist("reporters") if v.isdigit()} if i in allowed]
        service.name_reporters(unit, chosen, current_user, now())
        db.session.commit()
        flash(_("Reporters of %(unit)s saved.", unit=unit.label), "success")
        return redirect(url_for(".units") + f"#unit-{unit.id}")
    activities = db.session.execute(select(Activity).where(Activity.plan_id == plan.id, Activity.retired.is_(False))
                                    .order_by(Activity.position)).scalars().all()
    by_unit = {}
    for activity_id, found in service.units_of([a.id for a in activities]).items():
        for unit in found:
            by_unit.setdefault(unit.id, []).append(activity_id)
    codes = {a.id: a for a in activities}
    owing = [u for u in all_units if any(codes[i].kind == DELIVERABLE for i in by_unit.get(u.id, []))]
    others = [u for u in all_units if u not in owing]
    return render_template("deliverables/units.html", plan=plan, owing=owing, others=others,
                           staff=service.staff_accounts(), by_unit=by_unit, activities=codes, form=form)


@bp.app_context_processor
def deliverable_labels():
    return {"deliverable_status": lambda status: service.status_labels().get(status, status),
            "feed_label": service.feed_label}
