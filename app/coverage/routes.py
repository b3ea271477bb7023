"""Coverage dashboards (curators, the ACS), the quarterly report, offline events and check-in, the JSON API."""
import csv
import io
from datetime import date, datetime

from flask import (Blueprint, Response, abort, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select

import qrcode
import qrcode.image.svg

from app.audit import service as audit
from app.core.cache import cache
from app.core.clock import now
from app.coverage import events, service
from app.coverage.models import ApiToken, Event
from app.extensions import db, limiter
from app.people.access import admin_required, can_view_group, ensure, role_required
from app.people.models import ADMIN, COORDINATOR, CURATOR, Faculty, Group
from app.plan import service as plan_service
from app.plan.models import STUDENTS, Activity, Plan

bp = Blueprint("coverage", __name__)
api = Blueprint("api", __name__, url_prefix="/api/v1")


class ActionForm(FlaskForm):
    """Carries the CSRF token; fields are read from the request."""


def _plan_and_date() -> tuple[Plan, date]:
    """The plan to show and the date to measure at (today, or the end of a finished plan's year)."""
    today = now().date()
    plans = db.session.execute(select(Plan).order_by(Plan.starts_on.desc())).scalars().all()
    plan = next((p for p in plans if p.slug == request.args.get("plan")), None) or plan_service.current_plan(today)
    if plan is None:
        abort(404)
    try:
        as_of = date.fromisoformat(request.args["as_of"]) if request.args.get("as_of") else min(today, plan.ends_on)
    except ValueError:
        as_of = min(today, plan.ends_on)
    return plan, as_of


# --- curators ----------------------------------------------------------------------------------

@bp.route("/coverage/")
@role_required(CURATOR, ADMIN)
def mine():
    """Show each of the curator's groups against every student activity of the plan."""
    plan, as_of = _plan_and_date()
    if current_user.is_admin and not current_user.curated_groups:
        return redirect(url_for(".university", **request.args))
    ids = {g.id for g in current_user.curated_groups}
    data = service.coverage(plan, as_of, group_ids=ids)
    return render_template("coverage/mine.html", data=data, plan=plan, as_of=as_of,
                           student_activities=[a for a in data.activities if a.population == STUDENTS])


def _group_view(group_id):
    group = db.get_or_404(Group, group_id)
    ensure(can_view_group(current_user, group))
    plan, as_of = _plan_and_date()
    data = service.coverage(plan, as_of, group_ids={group.id})
    students, activities, done = service.students_matrix(group, plan, as_of)
    chosen = request.args.get("activity", type=int)
    owing = request.args.get("owing") == "1"
    shown = [a for a in activities if not chosen or a.id == chosen]
    rows = [s for s in students if not owing or any((s.id, a.id) not in done for a in shown)]
    return group, plan, as_of, data, shown, activities, rows, done, chosen, owing


@bp.route("/coverage/groups/<int:group_id>")
@role_required(CURATOR, ADMIN)
def group(group_id):
    """Show one group: coverage per activity, the students × activities matrix, who still owes what."""
    group, plan, as_of, data, shown, activities, rows, done, chosen, owing = _group_view(group_id)
    hour = next((a for a in activities if a.code == "2.2"), None)
    owes_hour = [s for s in rows if hour and (s.id, hour.id) not in done] if hour else []
    return render_template("coverage/group.html", group=group, plan=plan, as_of=as_of, data=data, row=data.groups[0],
                           shown=shown, activities=activities, students=rows, done=done, chosen=chosen, owing=owing,
                           hour=hour, owes_hour=owes_hour)


@bp.route("/coverage/groups/<int:group_id>.csv")
@role_required(CURATOR, ADMIN)
def group_csv(group_id):
    """Export the students × activities matrix as it is filtered on screen."""
    group, plan, as_of, data, shown, activities, rows, done, chosen, owing = _group_view(group_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Student"), _("E-mail")] + [f"{a.code} {a.name[:60]}" for a in shown])
    for student in rows:
        writer.writerow([student.full_name, student.email] + [_("done") if (student.id, a.id) in done else "" for a in shown])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="coverage-{group.id}-{as_of.isoformat()}.csv"'})


# --- the ACS -------------------------------------------------------------------------------------

@bp.route("/admin/coverage/")
@admin_required
def university():
    """Show the whole plan: every activity against its target, by faculty, and over time."""
    plan, as_of = _plan_and_date()

    def figures() -> str:   # the same for every officer: rendered once per change of coverage
        return render_template("coverage/_university_body.html", data=service.coverage(plan, as_of, with_groups=False),
                               plan=plan, as_of=as_of, series=service.monthly_series(plan))
    key = f"page:university:{plan.id}:{as_of}:{get_locale()}:{request.query_string.decode()}"
    body = cache().get_or_compute("coverage", key, figures, ttl=service.CACHE_SECONDS)
    return render_template("coverage/university.html", body=Markup(body), plan=plan, as_of=as_of,
                           plans=db.session.execute(select(Plan).order_by(Plan.starts_on.desc())).scalars().all())


@bp.route("/admin/coverage/faculties/<int:faculty_id>")
@admin_required
def faculty(faculty_id):
    """Drill down into a faculty: its groups against every student activity."""
    item = db.get_or_404(Faculty, faculty_id)
    plan, as_of = _plan_and_date()
    ids = set(db.session.execute(select(Group.id).where(Group.faculty_id == item.id)).scalars())
    data = service.coverage(plan, as_of, group_ids=ids)
    return render_template("coverage/faculty.html", faculty=item, data=data, plan=plan, as_of=as_of)


@bp.route("/admin/coverage.csv")
@admin_required
def university_csv():
    """Export every scope × activity figure."""
    plan, as_of = _plan_and_date()
    data = service.coverage(plan, as_of)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["scope", "name", "activity", "population", "participants", "headcount", "headcount_estimated",
                     "coverage_percent", "target_percent", "status", "needed"])
    for row in [data.university] + data.faculties + data.groups + data.units:
        for activity in data.activities:
            figure = row.figures.get(activity.id)
            if figure is None:
                continue
            writer.writerow([row.key[0], row.name, activity.code, activity.population, figure.participants,
                             figure.headcount, "yes" if figure.estimated else "no",
                             "" if figure.percent is None else f"{figure.percent:g}",
                             "" if figure.target is None else f"{figure.target:g}", figure.status, figure.needed])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="coverage-{plan.slug}-{as_of.isoformat()}.csv"'})


@bp.route("/admin/coverage/report")
@admin_required
def report():
    """The printable quarterly report: each activity's figures and status for a date range."""
    plan, as_of = _plan_and_date()
    try:
        date_from = date.fromisoformat(request.args["from"]) if request.args.get("from") else None
        date_to = date.fromisoformat(request.args["to"]) if request.args.get("to") else None
    except ValueError:
        flash(_("Dates must look like 2024-12-31."), "error")
        date_from = date_to = None
    if date_to:
        as_of = min(date_to, plan.ends_on)
    data = service.coverage(plan, as_of, date_from=date_from, date_to=date_to, with_groups=False)
    sections = {}
    for activity in data.activities:
        sections.setdefault(activity.section, []).append(activity)
    generated = now()
    return render_template("coverage/report.html", data=data, plan=plan, as_of=as_of, date_from=date_from,
                           date_to=date_to, sections=sections, generated=generated, by=current_user,
                           checkpoint=audit.report_checkpoint(generated))


# --- events and check-in -------------------------------------------------------------------------

def _parse_moment(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


@bp.route("/events/", methods=["GET", "POST"])
@role_required(CURATOR, ADMIN, COORDINATOR)
def event_list():
    """List offline events and create one for a plan activity."""
    plan, _as_of = _plan_and_date()
    activities = db.session.execute(select(Activity).where(Activity.plan_id == plan.id, Activity.retired.is_(False))
                                    .order_by(Activity.position)).scalars().all()
    form = ActionForm()
    problems, values = {}, request.form
    if request.method == "POST" and form.validate_on_submit():
        activity = next((a for a in activities if a.id == request.form.get("activity", type=int)), None)
        starts, ends = _parse_moment(request.form.get("starts_at")), _parse_moment(request.form.get("ends_at"))
        title = request.form.get("title", "").strip()
        if activity is None:
            problems["activity"] = _("Choose the plan activity the event serves.")
        if not title:
            problems["title"] = _("Give the event a title.")
        if starts is None:
            problems["starts_at"] = _("Give the start, e.g. 2024-12-09T10:00.")
        if ends is None or (starts and ends <= starts):
            problems["ends_at"] = _("The check-in must close after it opens.")
        if not problems:
            event = events.create_event(activity, title, request.form.get("location", ""), starts, ends, current_user)
            flash(_("Event created. Check-in code: %(code)s", code=event.code), "success")
            return redirect(url_for(".event", event_id=event.id))
    listing = db.session.execute(select(Event).order_by(Event.starts_at.desc()).options(db.joinedload(Event.activity))).scalars().all()
    return render_template("coverage/events.html", events=listing, activities=activities, form=form,
                           problems=problems, values=values), (422 if problems else 200)


def _event_or_404(event_id) -> Event:
    return db.get_or_404(Event, event_id)


@bp.route("/events/<int:event_id>")
@role_required(CURATOR, ADMIN, COORDINATOR)
def event(event_id):
    """Show an event's code and QR for the hall, its attendance, and the import form."""
    item = _event_or_404(event_id)
    return render_template("coverage/event.html", event=item, attendance=events.attendance(item), form=ActionForm(),
                           check_in_url=url_for(".check_in_code", code=item.code, _external=True), report=None,
                           moment=now())


@bp.route("/events/<int:event_id>/rotate", methods=["POST"])
@role_required(CURATOR, ADMIN, COORDINATOR)
def rotate(event_id):
    """Replace the event's code (for example after it leaked)."""
    item = _event_or_404(event_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    flash(_("New code: %(code)s. The old one no longer works.", code=events.rotate_code(item, current_user)), "success")
    return redirect(url_for(".event", event_id=item.id))


@bp.route("/events/<int:event_id>/qr.svg")
@role_required(CURATOR, ADMIN, COORDINATOR)
def qr(event_id):
    """A QR code of the event's check-in link, to show on the projector."""
    item = _event_or_404(event_id)
    image = qrcode.make(url_for(".check_in_code", code=item.code, _external=True),
                        image_factory=qrcode.image.svg.SvgPathImage, box_size=12)
    return Response(image.to_string(), mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


@bp.route("/events/<int:event_id>/import", methods=["POST"])
@role_required(CURATOR, ADMIN, COORDINATOR)
def import_attendance(event_id):
    """Record attendance from a CSV list (email or student_id)."""
    item = _event_or_404(event_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    upload = request.files.get("file")
    report = None
    if upload is None or not upload.filename:
        flash(_("Choose a CSV file."), "error")
    else:
        try:
            text = upload.read(5 * 1024 * 1024).decode("utf-8-sig")
        except UnicodeDecodeError:
            flash(_("Save the file as CSV in UTF-8 encoding."), "error")
        else:
            report = events.import_attendance(item, text, current_user, dry_run=request.form.get("dry_run") == "y")
    return render_template("coverage/event.html", event=item, attendance=events.attendance(item), form=ActionForm(),
                           check_in_url=url_for(".check_in_code", code=item.code, _external=True), report=report,
                           moment=now())


@bp.route("/check-in", methods=["GET", "POST"])
@login_required
@limiter.limit("30 per minute", methods=["POST"])
def check_in():
    """Let a person check in at an event by typing its code."""
    form = ActionForm()
    outcome = None
    if request.method == "POST" and form.validate_on_submit():
        outcome = events.check_in(request.form.get("code", ""), current_user, now())
        if outcome[0] in ("ok", "again"):
            flash(_("You are checked in at “%(title)s”.", title=outcome[1].title) if outcome[0] == "ok"
                  else _("You were already checked in at “%(title)s”.", title=outcome[1].title), "success")
            return redirect(url_for(".check_in"))
    return render_template("coverage/check_in.html", form=form, outcome=outcome,
                           code=request.form.get("code", request.args.get("code", ""))), (422 if outcome else 200)


@bp.route("/check-in/<code>")
@login_required
def check_in_code(code):
    """The QR code's target: a page with the code filled in and one button."""
    return redirect(url_for(".check_in", code=code))


# --- API tokens (admin) -------------------------------------------------------------------------------

@bp.route("/admin/api-tokens", methods=["GET", "POST"])
@admin_required
def api_tokens():
    """Issue and revoke tokens for the read-only JSON API."""
    form = ActionForm()
    new_token = None
    if request.method == "POST" and form.validate_on_submit():
        name = request.form.get("name", "").strip()
        if name:
            new_token = events.issue_token(name, current_user)
        else:
            flash(_("Name the system that will use the token."), "error")
    tokens = db.session.execute(select(ApiToken).order_by(ApiToken.created_at.desc())).scalars().all()
    return render_template("coverage/api_tokens.html", tokens=tokens, form=form, new_token=new_token)


@bp.route("/admin/api-tokens/<int:token_id>/revoke", methods=["POST"])
@admin_required
def revoke(token_id):
    """Revoke a token at once."""
    token = db.get_or_404(ApiToken, token_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    events.revoke_token(token, current_user, now())
    flash(_("Token revoked."), "success")
    return redirect(url_for(".api_tokens"))


# --- the JSON API -------------------------------------------------------------------------------------

def _authorised():
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or events.token_for(header[7:].strip(), now()) is None:
        response = jsonify(error="a valid bearer token is required")
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="sanaly-urpaq"'
        return response
    return None


@api.before_request
def require_token():
    if request.endpoint == "api.openapi":
        return None
    return _authorised()


def _activity_json(activity: Activity) -> dict:
    return {"code": activity.code, "section": activity.section, "name": activity.name,
            "population": activity.population, "target_percent": activity.target_percent,
            "target": activity.target_text, "term": activity.term_text,
            "periods": [{"number": p.number, "from": p.starts_on.isoformat(), "to": p.ends_on.isoformat()}
                        for p in activity.periods],
            "responsible": activity.responsible, "form_of_completion": activity.form_of_completion}


@api.route("/plan")
def plan_json():
    """The current plan with every activity (no personal data)."""
    plan, _as_of = _plan_and_date()
    activities = db.session.execute(select(Activity).where(Activity.plan_id == plan.id, Activity.retired.is_(False))
                                    .order_by(Activity.position)).scalars().all()
    return jsonify(slug=plan.slug, title=plan.title, academic_year=plan.academic_year,
                   starts_on=plan.starts_on.isoformat(), ends_on=plan.ends_on.isoformat(),
                   activities=[_activity_json(a) for a in activities])


@api.route("/coverage")
def coverage_json():
    """Coverage figures, filtered by activity code, faculty id, group id and a date range."""
    plan, as_of = _plan_and_date()
    try:
        date_from = date.fromisoformat(request.args["from"]) if request.args.get("from") else None
        date_to = date.fromisoformat(request.args["to"]) if request.args.get("to") else None
    except ValueError:
        return jsonify(error="from and to must be dates like 2024-12-31"), 400
    if date_to:
        as_of = min(date_to, plan.ends_on)
    group_id, faculty_id = request.args.get("group", type=int), request.args.get("faculty", type=int)
    ids = None
    if group_id:
        ids = {group_id}
    elif faculty_id:
        ids = set(db.session.execute(select(Group.id).where(Group.faculty_id == faculty_id)).scalars())
    data = service.coverage(plan, as_of, date_from=date_from, date_to=date_to, group_ids=ids,
                            with_groups=bool(group_id))
    code = request.args.get("activity")
    activities = [a for a in data.activities if not code or a.code == code]
    if code and not activities:
        return jsonify(error=f"no activity {code} in plan {plan.slug}"), 404
    scope = ([("group", r) for r in data.groups] if group_id else
             [("faculty", r) for r in data.faculties] if faculty_id else [("university", data.university)])

    def figures(row):
        out = []
        for activity in activities:
            f = row.figures.get(activity.id)
            if f is not None:
                out.append({"activity": activity.code, "participants": f.participants, "headcount": f.headcount,
                            "headcount_estimated": f.estimated, "coverage_percent": f.percent,
                            "target_percent": f.target, "status": f.status, "needed": f.needed})
        return out

    return jsonify(plan=plan.slug, as_of=as_of.isoformat(), **{"from": date_from and date_from.isoformat(),
                   "to": date_to and date_to.isoformat()},
                   scopes=[{"scope": kind, "name": row.name, "id": row.key[1], "figures": figures(row)} for kind, row in scope])


@api.route("/openapi.json")
def openapi():
    """The OpenAPI description of this API."""
    return jsonify(OPENAPI)


OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "Sanaly Urpaq coverage API", "version": "1.0.0",
             "description": "Read-only figures of the anti-corruption plan. No personal data."},
    "servers": [{"url": "/api/v1"}],
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    "security": [{"bearer": []}],
    "paths": {
        "/plan": {"get": {"summary": "The current plan and its activities",
                          "parameters": [{"name": "plan", "in": "query", "schema": {"type": "string"}}],
                          "responses": {"200": {"description": "The plan"}, "401": {"description": "No valid token"}}}},
        "/coverage": {"get": {"summary": "Coverage against the plan's targets",
                              "parameters": [{"name": n, "in": "query", "schema": {"type": t}} for n, t in (
                                  ("activity", "string"), ("faculty", "integer"), ("group", "integer"),
                                  ("from", "string"), ("to", "string"), ("plan", "string"))],
                              "responses": {"200": {"description": "Figures per scope"}, "400": {"description": "Bad dates"},
                                            "401": {"description": "No valid token"}, "404": {"description": "Unknown activity"}}}},
    },
}

