"""Pages of section 1 for the ACS: the risk register and map, the media log, hearings of divisions, the registers."""
from datetime import date
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import format_date, gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.core.clock import now, today
from app.core.confirm import confirmation_page, confirmed
from app.core.exports import XLSX_MIMETYPE
from app.extensions import db
from app.people.access import admin_required
from app.people.forms import options
from app.people.models import StaffUnit, User
from app.plan import service as plan_service
from app.plan.deliverables import effective_status, status_labels
from app.plan.models import REGISTER, UNITS, Plan
from app.risks import service
from app.risks.forms import ActionForm, ApproveForm, DeclarantForm, HearingForm, MediaForm, PositionForm, RiskForm
from app.risks.models import DeclarationDuty, EquatedPosition, Hearing, MediaItem, Risk

bp = Blueprint("risks", __name__, url_prefix="/admin")


@bp.context_processor
def labels():
    return {"band_label": service.BAND_LABELS, "risk_status_label": service.STATUS_LABELS,
            "area_label": service.AREA_LABELS, "direction_label": service.DIRECTION_LABELS,
            "tone_label": service.TONE_LABELS, "likelihood_label": service.LIKELIHOOD_LABELS,
            "impact_label": service.IMPACT_LABELS, "section_pages": _section_pages,
            "as_date": lambda text: date.fromisoformat(text) if text else None}


def _plan() -> Plan:
    """The plan year asked for (?plan=slug), else the current one, else the latest."""
    slug = request.args.get("plan", "")
    if slug:
        plan = db.session.execute(select(Plan).where(Plan.slug == slug)).scalar_one_or_none()
    else:
        plan = plan_service.current_plan(today()) or db.session.execute(
            select(Plan).order_by(Plan.starts_on.desc()).limit(1)).scalars().first()
    if plan is None:
        abort(404)
    return plan


def _section_pages(plan: Plan) -> list[tuple[str, str]]:
    """The links of the section's sub-menu: register, map, media, and each hearing or register activity."""
    pages = [(url_for("risks.register", plan=plan.slug), _("Risk register")),
             (url_for("risks.risk_map", plan=plan.slug), _("Risk map")),
             (url_for("risks.media"), _("Media monitoring"))]
    for activity in service.units_activities(plan):
        pages.append((url_for("risks.hearings", plan=plan.slug, code=activity.code),
                      _("Hearings (%(code)s)", code=activity.code)))
    for activity in service.register_activities(plan):
        label = _("Declarations (%(code)s)") if service.register_kind(activity) == service.DECLARATIONS \
            else _("Equated positions (%(code)s)")
        pages.append((url_for("risks.register_list", plan=plan.slug, code=activity.code), label % {"code": activity.code}))
    return pages


def _units() -> list[StaffUnit]:
    return db.session.execute(select(StaffUnit).order_by(StaffUnit.name)).scalars().all()


def _uploads() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def _field_error(form, name: str, error: service.RisksError) -> None:
    getattr(form, name).errors = list(getattr(form, name).errors) + [str(error)]


# --- one way for every record kind: a form that adds or changes one, a button that removes or marks one ------

def _save(form, change, done, at: str, names: dict[str, str] | None = None):
    """Check `form` and make the `change` (a service call); its committed result goes to `done` (a redirect). A
    refusal of the rules is put at its field (`at` when it names none; `names` maps the service's field names to
    the form's), nothing is kept, and None is returned so that the page shows the form again."""
    if not form.validate_on_submit():
        return None
    try:
        result = change()
    except service.RisksError as error:
        db.session.rollback()
        name = error.field or at
        _field_error(form, (names or {}).get(name, name), error)
        return None
    db.session.commit()
    return done(result)


def _saved(message: str, back: str):
    """Say what was saved and go back to its list."""
    flash(message, "success")
    return redirect(back)


def _form_status() -> int:
    """A form sent back for corrections answers 422; a page opened, 200."""
    return 422 if request.method == "POST" else 200


def _button(change, back: str, message: str = "", *, ask: tuple[str, str, str] | None = None,
            button_field: tuple[str, str] | None = None):
    """Carry out what a list's button asks (remove a record, mark one) once its CSRF token checks (else 400): the
    change committed and `message` said, or the rules' refusal said and nothing kept; back to the list.

    `ask` (question, what cannot be undone, the confirming button) makes it an irreversible action: without the
    person's confirmation nothing changes and the confirmation step answers instead (`button_field`: the name and
    value the pressed button sent, sent again by the confirming one).
    """
    if not ActionForm().validate_on_submit():
        abort(400)
    if ask is not None and not confirmed():
        question, consequence, button = ask
        return confirmation_page(question=question, consequence=consequence, button=button, back=back,
                                 button_field=button_field)
    try:
        change()
    except service.RisksError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        if message:
            flash(message, "success")
    return redirect(back)


def _record_of(model, record_id: int, activity):
    """The record of `activity` named in the address (404 for another activity's)."""
    record = db.get_or_404(model, record_id)
    if record.activity_id != activity.id:
        abort(404)
    return record


# --- the register and the map ---------------------------------------------------------------------

@bp.route("/risks/")
@admin_required
def register():
    """List the year's corruption risks with their ratings."""
    plan = _plan()
    rows = service.register_rows(plan)
    ids = {r.code: r.id for r in service.risks_of(plan)}
    return render_template("risks/register.html", plan=plan, rows=rows, ids=ids, approved=service.approved_map(plan),
                           counts=service.band_counts(rows), next_plan=service.next_plan(plan), form=ActionForm())


@bp.route("/risks/new", methods=["GET", "POST"])
@bp.route("/risks/<int:risk_id>/edit", methods=["GET", "POST"])
@admin_required
def edit(risk_id=None):
    """Add a corruption risk to the year's register, or change one."""
    risk = db.get_or_404(Risk, risk_id) if risk_id else None
    plan = db.session.get(Plan, risk.plan_id) if risk else _plan()
    if service.is_frozen(plan):
        flash(_("The map of %(year)s is approved: its register no longer changes. Record the change in the next "
                "year's register.", year=plan.academic_year), "error")
        return redirect(url_for(".register", plan=plan.slug))
    form = RiskForm(obj=risk)
    form.unit_id.choices = options([(0, "—")] + [(u.id, u.name) for u in _units()])
    if risk is not None and request.method == "GET":
        form.unit_id.data = risk.unit_id or 0
        form.business_process.data = risk.process
    done = _save(form, lambda: service.save_risk(plan, form.values(), current_user, now(), risk),
                 lambda saved: _saved(_("Risk %(code)s saved.", code=saved.code), url_for(".register", plan=plan.slug)),
                 at="likelihood", names={"process": "business_process"})
    return done or (render_template("risks/risk_form.html", plan=plan, risk=risk, form=form), _form_status())


@bp.route("/risks/<int:risk_id>/delete", methods=["POST"])
@admin_required
def delete(risk_id):
    """Remove a risk recorded by mistake (not from an approved year)."""
    risk = db.get_or_404(Risk, risk_id)
    plan = db.session.get(Plan, risk.plan_id)
    return _button(lambda: service.delete_risk(risk, current_user, now()), url_for(".register", plan=plan.slug),
                   _("The risk was removed."),
                   ask=(_("Remove risk %(code)s?", code=risk.code),
                        _("the risk leaves the register and the map; only the audit log keeps what it said."),
                        _("Remove the risk")))


@bp.route("/risks/map")
@admin_required
def risk_map():
    """Show the year's heat map: likelihood across, impact up, each cell listing its risks (printable)."""
    plan = _plan()
    rows = service.register_rows(plan)
    return render_template("risks/map.html", plan=plan, rows=rows, grid=service.heat_map(rows),
                           approved=service.approved_map(plan), counts=service.band_counts(rows),
                           filed=[(item, effective_status(item, today())) for item in service.map_deliverables(plan)])


@bp.route("/risks/approve", methods=["GET", "POST"])
@admin_required
def approve():
    """Approve the year's map, which freezes its register."""
    plan = _plan()
    form = ApproveForm()
    if request.method == "GET" and form.approved_on.data is None:
        form.approved_on.data = min(today(), plan.ends_on)
    done = _save(form, lambda: service.approve_map(plan, form.approved_on.data, form.decision.data, current_user,
                                                   now(), _uploads()),
                 lambda _map: _approved(plan), at="approved_on")
    return done or (render_template("risks/approve.html", plan=plan, form=form, approved=service.approved_map(plan),
                                    count=len(service.register_rows(plan)), feeds=service.map_activities(plan)),
                    _form_status())


def _approved(plan: Plan):
    """Say the map is approved, and which deliverables it submitted; on to the map."""
    flash(_("The map of %(year)s is approved; its register is now read-only.", year=plan.academic_year), "success")
    for item in service.map_deliverables(plan):
        if item.status == "submitted":
            flash(_("%(code)s, period %(number)d: submitted with the approved map as evidence, for the ACS to "
                    "accept.", code=item.activity.code, number=item.period_number), "success")
    return redirect(url_for(".risk_map", plan=plan.slug))


@bp.route("/risks/carry-forward", methods=["POST"])
@admin_required
def carry_forward():
    """Copy an approved year's risks into the next plan year's register."""
    plan = _plan()
    target = service.next_plan(plan)
    if not ActionForm().validate_on_submit():
        abort(400)
    if target is None:
        flash(_("The next plan year is not loaded yet."), "error")
        return redirect(url_for(".register", plan=plan.slug))
    try:
        copied = service.carry_forward(plan, target, current_user, now())
        db.session.commit()
        flash(_("%(count)d risks carried into %(year)s.", count=copied, year=target.academic_year), "success")
    except service.RisksError as error:
        flash(str(error), "error")
        return redirect(url_for(".register", plan=plan.slug))
    return redirect(url_for(".register", plan=target.slug))


@bp.route("/risks/register.xlsx")
@admin_required
def export():
    """Download the year's register as an Excel workbook."""
    plan = _plan()
    return Response(service.register_xlsx(plan), mimetype=XLSX_MIMETYPE, headers={
        "Content-Disposition": f'attachment; filename="corruption-risks-{plan.slug}.xlsx"'})


def deliverable_status_label(status: str) -> str:
    """A deliverable period's status in the reader's language."""
    return status_labels().get(status, status)


# --- the media log ----------------------------------------------------------------------------------

def _month() -> tuple[int, int]:
    """The month asked for (?month=YYYY-MM), else this month."""
    value = request.args.get("month", "")
    try:
        year, month = (int(part) for part in value.split("-"))
        date(year, month, 1)
        return year, month
    except ValueError:
        return today().year, today().month


@bp.route("/media/", methods=["GET", "POST"])
@admin_required
def media():
    """The month's media items with the summary by tone and source, and the form to log one."""
    year, month = _month()
    form = MediaForm()
    if request.method == "GET":
        form.published_on.data = today()
    done = _save(form, lambda: service.record_media({name: getattr(form, name).data or "" for name in (
                     "source", "link", "subject", "tone", "action")} | {"published_on": form.published_on.data},
                     current_user, now()),
                 lambda item: _saved(_("Media item logged."), url_for(".media", month=f"{item.published_on:%Y-%m}")),
                 at="tone")
    return done or _media_page(form, year, month, _form_status())


def _media_page(form, year: int, month: int, status: int = 200, problem: str = ""):
    period = service.media_period(year, month)
    return render_template("risks/media.html", form=form, year=year, month=month,
                           plan=plan_service.current_plan(today()), action_form=ActionForm(),
                           items=service.media_of_month(year, month), summary=service.monthly_summary(year, month),
                           months=service.media_months(), period=period,
                           period_status=effective_status(period, today()) if period is not None else "",
                           begun=date(year, month, 1) <= today(), problem=problem), status


@bp.route("/media/file", methods=["POST"])
@admin_required
def file_media_month():
    """File the month's summary to the plan's media-log deliverable and submit its period."""
    year, month = _month()
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        filed = service.file_media_summary(year, month, current_user, now(), _uploads())
    except service.RisksError as error:
        db.session.rollback()
        form = MediaForm()
        form.published_on.data = today()
        return _media_page(form, year, month, 422, str(error))
    db.session.commit()
    flash(_("The summary of %(month)s is filed to %(code)s, period %(number)d: %(status)s.",
            month=service.month_label(year, month), code=filed.activity.code, number=filed.period_number,
            status=deliverable_status_label(filed.status)), "success")
    return redirect(url_for(".media", month=f"{year:04d}-{month:02d}"))


@bp.route("/media/<int:item_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_media(item_id):
    """Correct a logged media item."""
    item = db.get_or_404(MediaItem, item_id)
    form = MediaForm(obj=item)
    done = _save(form, lambda: service.update_media(item, {name: getattr(form, name).data
                                                           for name in service.MEDIA_FIELDS}, current_user, now()),
                 lambda changed: _saved(_("Media item saved.") if changed else _("Nothing was changed."),
                                        url_for(".media", month=f"{item.published_on:%Y-%m}") + f"#media-{item.id}"),
                 at="tone")
    return done or (render_template("risks/media_edit.html", form=form, item=item), _form_status())


@bp.route("/media/<int:item_id>/delete", methods=["POST"])
@admin_required
def delete_media(item_id):
    """Remove a media item logged by mistake."""
    item = db.get_or_404(MediaItem, item_id)
    return _button(lambda: service.delete_media(item, current_user, now()),
                   url_for(".media", month=f"{item.published_on:%Y-%m}"), _("The media item was removed."),
                   ask=(_("Remove the media item “%(subject)s”?", subject=item.subject),
                        _("the item leaves the media log and its month's summary; only the audit log keeps what it said."),
                        _("Remove the item")))


# --- hearings of divisions --------------------------------------------------------------------------

def _activity(plan: Plan, code: str, kind: str):
    activity = plan_service.activity_by_code(plan, code)
    if activity is None or activity.kind != kind:
        abort(404)
    return activity


@bp.route("/hearings/<code>", methods=["GET", "POST"])
@admin_required
def hearings(code):
    """The divisions heard for an activity measured in divisions, and the form to record a hearing."""
    plan = _plan()
    activity = _activity(plan, code, UNITS)
    form = HearingForm()
    units = _units()
    form.unit_id.choices = options((u.id, u.name) for u in units)
    if request.method == "GET":
        form.heard_on.data = min(today(), plan.ends_on)
    upload = form.minutes_file.data if form.minutes_file.data and form.minutes_file.data.filename else None
    done = _save(form, lambda: service.record_hearing(
                     activity, db.session.get(StaffUnit, form.unit_id.data), form.heard_on.data, form.minutes.data or "",
                     upload, current_user, now(), _uploads()),
                 lambda hearing: _saved(_("The hearing of %(unit)s is recorded.", unit=hearing.unit.name),
                                        url_for(".hearings", plan=plan.slug, code=code)),
                 at="minutes")
    if done:
        return done
    heard, total = service.hearing_share(activity)
    measure = service.units_measure(activity, min(today(), plan.ends_on))
    heard_units = {h.unit_id for h in service.hearings_of(activity)}
    return render_template("risks/hearings.html", plan=plan, activity=activity, form=form, measure=measure,
                           action_form=ActionForm(),
                           hearings=service.hearings_of(activity), heard=heard, total=total,
                           not_heard=[u for u in units if u.id not in heard_units]), _form_status()


@bp.route("/hearings/<code>/<int:hearing_id>/delete", methods=["POST"])
@admin_required
def delete_hearing(code, hearing_id):
    """Remove a hearing recorded by mistake."""
    plan = _plan()
    hearing = _record_of(Hearing, hearing_id, _activity(plan, code, UNITS))
    return _button(lambda: service.delete_hearing(hearing, current_user, now(), _uploads()),
                   url_for(".hearings", plan=plan.slug, code=code), _("The hearing was removed."),
                   ask=(_("Remove the hearing of %(unit)s on %(day)s?", unit=hearing.unit.name,
                          day=format_date(hearing.heard_on)),
                        _("the hearing and its minutes file are deleted and the division counts as not heard."),
                        _("Remove the hearing")))


@bp.route("/hearings/minutes/<int:hearing_id>")
@admin_required
def minutes_file(hearing_id):
    """Serve a hearing's minutes file to the ACS."""
    hearing = db.get_or_404(Hearing, hearing_id)
    if not hearing.minutes_file:
        abort(404)
    path = _uploads() / service.HEARING_FOLDER / hearing.minutes_file
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype=hearing.minutes_type, as_attachment=not hearing.minutes_type.startswith("image/"),
                     download_name=f"minutes-{hearing.id}{path.suffix}")


# --- registers ------------------------------------------------------------------------------------

@bp.route("/registers/<code>", methods=["GET", "POST"])
@admin_required
def register_list(code):
    """A register activity's list: who must declare and who did, or the equated positions (its `fed_by`)."""
    plan = _plan()
    activity = _activity(plan, code, REGISTER)
    kind = service.register_kind(activity)
    if kind not in service.KEPT_HERE:
        abort(404)                       # a list another feature keeps (the reports received: the reporting channel's)
    units = _units()
    form = DeclarantForm() if kind == service.DECLARATIONS else PositionForm()
    if kind == service.DECLARATIONS:
        listed = {duty.user_id for duty, _user in service.declaration_duties(activity)}
        form.user_id.choices = options((u.id, f"{u.full_name} ({u.email})") for u in service.employees()
                                       if u.id not in listed)
    else:
        form.unit_id.choices = options([(0, "—")] + [(u.id, u.name) for u in units])
    if request.method == "POST" and request.form.get("action") == "add":
        if kind == service.DECLARATIONS:
            def add():
                person = db.get_or_404(User, form.user_id.data)
                return service.add_declarant(activity, person, form.position.data or "", current_user, now())
        else:
            def add():
                unit = db.session.get(StaffUnit, form.unit_id.data) if form.unit_id.data else None
                return service.add_position(activity, form.title.data, unit, form.basis.data or "", current_user, now())
        done = _save(form, add, lambda _row: _saved(_("Added to the list."),
                                                    url_for(".register_list", plan=plan.slug, code=code)),
                     at="user_id" if kind == service.DECLARATIONS else "title")
        return done or (_render_register(plan, activity, kind, form), 422)
    return _render_register(plan, activity, kind, form)


def _render_register(plan, activity, kind, form):
    measure = service.register_measure(activity, min(today(), plan.ends_on))
    rows = service.declaration_duties(activity) if kind == service.DECLARATIONS else service.equated_positions(activity)
    return render_template("risks/register_list.html", plan=plan, activity=activity, kind=kind, form=form, rows=rows,
                           measure=measure, action_form=ActionForm(), today=today())


@bp.route("/registers/<code>/declarations/<int:duty_id>", methods=["POST"])
@admin_required
def declaration(code, duty_id):
    """Mark an employee's declaration as submitted on a day, not submitted, or take them off the list."""
    plan = _plan()
    duty = _record_of(DeclarationDuty, duty_id, _activity(plan, code, REGISTER))
    action = request.form.get("action")

    def change():
        if action == "remove":
            service.remove_declarant(duty, current_user, now())
        elif action == "not-submitted":
            service.mark_declaration(duty, None, current_user, now())
        else:
            try:
                day = date.fromisoformat(request.form.get("submitted_on", ""))
            except ValueError:
                raise service.RisksError(_("Give the day the declaration was submitted.")) from None
            service.mark_declaration(duty, day, current_user, now())

    if action == "remove":
        person = db.session.get(User, duty.user_id)
        return _button(change, url_for(".register_list", plan=plan.slug, code=code), _("Removed from the list."),
                       ask=(_("Take %(name)s off the list of declarants?", name=person.full_name),
                            _("their declaration record on this list is deleted; adding them again starts a new one."),
                            _("Take them off the list")), button_field=("action", "remove"))
    return _button(change, url_for(".register_list", plan=plan.slug, code=code))


@bp.route("/registers/<code>/positions/<int:position_id>/remove", methods=["POST"])
@admin_required
def remove_position(code, position_id):
    """Take a position off the list of equated positions."""
    plan = _plan()
    position = _record_of(EquatedPosition, position_id, _activity(plan, code, REGISTER))
    return _button(lambda: service.remove_position(position, current_user, now()),
                   url_for(".register_list", plan=plan.slug, code=code), _("Removed from the list."),
                   ask=(_("Take “%(title)s” off the list?", title=position.title),
                        _("the position leaves the list of equated positions; adding it again makes a new entry."),
                        _("Take it off the list")))
