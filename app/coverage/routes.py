"""Coverage dashboards (curators, the ACS), the quarterly report, offline events and check-in, the JSON API."""
import hashlib
from datetime import date, datetime
from pathlib import Path

from flask import (Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select

from app.audit import service as audit
from app.core.cache import cache
from app.core.clock import now, today
from app.core.confirm import confirmation_page, confirmed
from app.core.exports import table_response
from app.core.http import MAX_ID, date_arg, int_arg, int_field, kept_query, per_address
from app.core.localize import from_local_input, tr
from app.core.security import shared_page
from app.coverage import events, service
from app.coverage.models import ApiToken, Event
from app.extensions import db
from app.people.access import admin_required, can_view_group, ensure, role_required
from app.people.models import ADMIN, COORDINATOR, CURATOR, Faculty, Group
from app.plan import deliverables
from app.plan import service as plan_service
from app.plan.models import DELIVERABLE, KINDS, STUDENTS, Activity, Plan

bp = Blueprint("coverage", __name__)
api = Blueprint("api", __name__, url_prefix="/api/v1")


class ActionForm(FlaskForm):
    """Carries the CSRF token; fields are read from the request."""


def _plan_and_date(plans: list[Plan] | None = None) -> tuple[Plan | None, date]:
    """The plan to show (the one asked for, else the one whose year holds today) and the date to
    measure at (today, or the end of a finished plan's year); no plan when none covers today.

    A page that lists every plan anyway passes them (newest first), and the plan is chosen among them."""
    today_ = today()
    asked = request.args.get("plan")
    if plans is not None:
        plan = next((p for p in plans if p.slug == asked), None) if asked else None
        plan = plan or plan_service.current_plan_among(plans, today_)
    else:
        plan = (db.session.execute(select(Plan).where(Plan.slug == asked)).scalar_one_or_none() if asked else None) \
            or plan_service.current_plan(today_)
    if plan is None:
        return None, today_
    try:
        as_of = date_arg("as_of") or min(today_, plan.ends_on)
    except ValueError:
        as_of = min(today_, plan.ends_on)
    return plan, service.kept_as_of(plan, as_of)      # a closed year is shown as of the day its figures were kept


def _no_plan(as_of: date):
    """The page for a day that no plan covers: say so, and offer the plans there are."""
    plans = db.session.execute(select(Plan).order_by(Plan.starts_on.desc())).scalars().all()
    return render_template("coverage/no_plan.html", as_of=as_of, plans=plans)


def _date_range() -> tuple[date | None, date | None]:
    """The `from`–`to` range asked for; ValueError with the reason when it is not a range of dates."""
    try:
        date_from, date_to = date_arg("from"), date_arg("to")
    except ValueError:
        raise ValueError(_("Dates must look like 2024-12-31.")) from None
    if date_from and date_to and date_from > date_to:
        raise ValueError(_("The start of the period must not be after its end."))
    return date_from, date_to


# --- curators ----------------------------------------------------------------------------------

@bp.route("/coverage/")
@role_required(CURATOR, ADMIN)
def mine():
    """Show each of the curator's groups against every student activity of the plan."""
    plan, as_of = _plan_and_date()
    ids = service.curated_group_ids(current_user.id)
    if current_user.is_admin and not ids:
        return redirect(url_for(".university", **kept_query()))
    if plan is None:
        return _no_plan(as_of)

    def panels() -> str:   # the same for everyone who follows these groups: rendered once per change of coverage
        data = service.coverage(plan, as_of, group_ids=set(ids))
        return render_template("coverage/_mine_body.html", data=data,
                               student_activities=[a for a in data.activities
                                                   if a.population == STUDENTS and a.measured_by_reach])
    scope = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:24]
    key = f"page:groups:{plan.id}:{as_of}:{get_locale()}:{scope}"
    body = cache().get_or_compute("coverage", key, panels, ttl=service.CACHE_SECONDS)
    return render_template("coverage/mine.html", body=Markup(body), plan=plan, as_of=as_of)


def _group_view(group_id):
    group = db.get_or_404(Group, group_id)
    ensure(can_view_group(current_user, group))
    plan, as_of = _plan_and_date()
    if plan is None:
        return None
    data = service.coverage(plan, as_of, group_ids={group.id})
    students, activities, done = service.students_matrix(group, plan, as_of)
    chosen = int_arg("activity")
    owing = request.args.get("owing") == "1"
    shown = [a for a in activities if not chosen or a.id == chosen]
    rows = [s for s in students if not owing or any((s.id, a.id) not in done for a in shown)]
    return group, plan, as_of, data, shown, activities, rows, done, chosen, owing, students


@bp.route("/coverage/groups/<int:group_id>")
@role_required(CURATOR, ADMIN)
def group(group_id):
    """Show one group: coverage per activity, the students × activities matrix, who still owes what."""
    view = _group_view(group_id)
    if view is None:
        return _no_plan(today())
    group, plan, as_of, data, shown, activities, rows, done, chosen, owing, everyone = view
    row = data.groups[0]
    hour = next((a for a in activities if a.code == service.INTEGRITY_HOUR), None)
    owes_hour = [s for s in everyone if (s.id, hour.id) not in done] if hour else []
    return render_template("coverage/group.html", group=group, plan=plan, as_of=as_of, data=data, row=row,
                           shown=shown, activities=activities, students=rows, done=done, chosen=chosen, owing=owing,
                           hour=hour, owes_hour=owes_hour,
                           without_account=service.without_account(row, len(everyone)))


@bp.route("/coverage/groups/<int:group_id>.xlsx", defaults={"fmt": "xlsx"})
@bp.route("/coverage/groups/<int:group_id>.csv", defaults={"fmt": "csv"})
@role_required(CURATOR, ADMIN)
def group_csv(group_id, fmt):
    """Export the students × activities matrix as it is filtered on screen (CSV or XLSX)."""
    view = _group_view(group_id)
    if view is None:
        return _no_plan(today())
    group, plan, as_of, data, shown, activities, rows, done, chosen, owing, _everyone = view
    header = [_("Student"), _("E-mail")] + [f"{a.code} {tr(a, 'name')}" for a in shown]
    table = ([student.full_name, student.email] + [_("done") if (student.id, a.id) in done else "" for a in shown]
             for student in rows)
    return table_response(f"coverage-{group.id}-{as_of.isoformat()}", header, table, fmt)


# --- the ACS -------------------------------------------------------------------------------------

@bp.route("/admin/coverage/")
@admin_required
def university():
    """Show the whole plan: every activity against its target, by faculty, and over time."""
    plans = db.session.execute(select(Plan).order_by(Plan.starts_on.desc())).scalars().all()
    plan, as_of = _plan_and_date(plans)
    if plan is None:
        return _no_plan(as_of)

    def figures() -> str:   # the same for every officer: rendered once per change of coverage
        return render_template("coverage/_university_body.html", data=service.coverage(plan, as_of, with_groups=False),
                               plan=plan, as_of=as_of, series=service.monthly_series(plan))
    key = f"page:university:{plan.id}:{as_of}:{get_locale()}:{request.query_string.decode()}"
    body = cache().get_or_compute("coverage", key, figures, ttl=service.CACHE_SECONDS)
    return render_template("coverage/university.html", body=Markup(body), plan=plan, as_of=as_of, plans=plans)


@bp.route("/admin/coverage/faculties/<int:faculty_id>")
@admin_required
def faculty(faculty_id):
    """Drill down into a faculty: its groups against every student activity."""
    item = db.get_or_404(Faculty, faculty_id)
    plan, as_of = _plan_and_date()
    if plan is None:
        return _no_plan(as_of)
    ids = set(db.session.execute(select(Group.id).where(Group.faculty_id == item.id)).scalars())
    data = service.coverage(plan, as_of, group_ids=ids)
    return render_template("coverage/faculty.html", faculty=item, data=data, plan=plan, as_of=as_of)


@bp.route("/admin/coverage.xlsx", defaults={"fmt": "xlsx"})
@bp.route("/admin/coverage.csv", defaults={"fmt": "csv"})
@admin_required
def university_csv(fmt):
    """Export every scope × activity figure (CSV or XLSX)."""
    plan, as_of = _plan_and_date()
    if plan is None:
        return _no_plan(as_of)
    data = service.coverage(plan, as_of)
    return table_response(f"coverage-{plan.slug}-{as_of.isoformat()}", service.TABLE_HEADER, service.table_rows(data),
                          fmt)


@bp.route("/admin/coverage/report")
@admin_required
def report():
    """The printable quarterly report: each activity's figures and status for a date range."""
    plan, as_of = _plan_and_date()
    if plan is None:
        return _no_plan(as_of)
    try:
        date_from, date_to = _date_range()
    except ValueError as error:
        flash(str(error), "error")
        return render_template("coverage/report.html", data=None, plan=plan, as_of=as_of,
                               sections={}, generated=now(), by=current_user), 400
    if date_to:
        as_of = min(service.kept_as_of(plan, date_to), date_to, plan.ends_on)
    data = service.coverage(plan, as_of, date_from=date_from, date_to=date_to, with_groups=False)
    sections = {}
    for activity in data.activities:
        sections.setdefault(activity.section, []).append(activity)
    generated = now()
    return render_template("coverage/report.html", data=data, plan=plan, as_of=as_of, date_from=date_from,
                           date_to=date_to, sections=sections, generated=generated, by=current_user,
                           checkpoint=audit.report_checkpoint(generated))


# --- events and check-in -------------------------------------------------------------------------

def _parse_moment(value: str | None) -> datetime | None:
    """A datetime-local value typed in the university's time, as the UTC moment we store (None: unreadable)."""
    try:
        return from_local_input(value or "")
    except ValueError:
        return None


@bp.route("/events/", methods=["GET", "POST"])
@role_required(CURATOR, ADMIN, COORDINATOR)
def event_list():
    """List offline events and create one for a plan activity the person may run."""
    plan, as_of = _plan_and_date()
    activities = events.activities_for_events(plan, everything=current_user.is_admin) if plan else []
    form = ActionForm()
    problems, values = {}, request.form
    if request.method == "POST" and plan is not None and form.validate_on_submit():
        activity = next((a for a in activities if a.id == int_field("activity")), None)
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
    sections = {}
    for activity in activities:
        sections.setdefault(activity.section, []).append(activity)
    return render_template("coverage/events.html", events=listing, sections=sections, plan=plan, as_of=as_of,
                           form=form, problems=problems, values=values), (422 if problems else 200)


def _event_or_404(event_id) -> Event:
    return db.get_or_404(Event, event_id)


def _people_scope() -> set[int] | None:
    """Whose names the person may see and record at events: everyone for the ACS, else their own groups."""
    return None if current_user.is_admin else {g.id for g in current_user.curated_groups}


def _may_run(event: Event) -> bool:
    """Only the event's organiser and the ACS change the event itself (its code)."""
    return current_user.is_admin or event.created_by_id == current_user.id


def _event_page(item: Event, report=None, problems=None, values=None, status_code=200):
    shown, others = events.attendance(item, _people_scope())
    evidence = deliverables.evidence_of_event(item.id)
    return render_template("coverage/event.html", event=item, attendance=shown, others=others, form=ActionForm(),
                           check_in_url=url_for(".check_in_code", code=item.code, _external=True), report=report,
                           moment=now(), may_run=_may_run(item), evidence=evidence,
                           gallery=[e for e in evidence if e.is_image], problems=problems or {}, values=values or {},
                           may_remove=lambda e: deliverables.can_remove_evidence(current_user, e)), status_code


@bp.route("/events/<int:event_id>/evidence", methods=["POST"])
@role_required(CURATOR, ADMIN, COORDINATOR)
def event_evidence(event_id):
    """Add a photo, a file, a link or a short text to an event (its organiser or the ACS)."""
    item = _event_or_404(event_id)
    ensure(_may_run(item))
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        deliverables.add_evidence(current_user, now(), Path(current_app.config["UPLOAD_FOLDER"]) / deliverables.EVIDENCE_FOLDER,
                                  activity_id=item.activity_id, event_id=item.id, kind=request.form.get("kind", "file"),
                                  title=request.form.get("title", ""), body=request.form.get("body", ""),
                                  url=request.form.get("url", ""), upload=request.files.get("file"))
    except deliverables.DeliverableError as error:
        db.session.rollback()
        return _event_page(db.session.get(Event, event_id), problems={error.field or "kind": str(error)},
                           values=request.form, status_code=422)
    db.session.commit()
    flash(_("Evidence added."), "success")
    return redirect(url_for(".event", event_id=item.id) + "#evidence")


@bp.route("/events/<int:event_id>")
@role_required(CURATOR, ADMIN, COORDINATOR)
def event(event_id):
    """Show an event's code and QR for the hall, its attendance, and the import form."""
    return _event_page(_event_or_404(event_id))


@bp.route("/events/<int:event_id>/rotate", methods=["POST"])
@role_required(CURATOR, ADMIN, COORDINATOR)
def rotate(event_id):
    """Replace the event's code (for example after it leaked)."""
    item = _event_or_404(event_id)
    ensure(_may_run(item))
    if not ActionForm().validate_on_submit():
        abort(400)
    if not confirmed():
        return confirmation_page(
            question=_("Give “%(title)s” a new code?", title=item.title),
            consequence=_("the code %(code)s and its QR code stop working at once; whoever has not checked in yet needs the new code.", code=item.code),
            button=_("New code"), back=url_for(".event", event_id=item.id))
    flash(_("New code: %(code)s. The old one no longer works.", code=events.rotate_code(item, current_user)), "success")
    return redirect(url_for(".event", event_id=item.id))


@bp.route("/events/<int:event_id>/qr.svg")
@role_required(CURATOR, ADMIN, COORDINATOR)
def qr(event_id):
    """A QR code of the event's check-in link, to show on the projector."""
    import qrcode.image.svg   # only for the projector's page: not loaded by every worker

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
            report = events.import_attendance(item, text, current_user, dry_run=request.form.get("dry_run") == "y",
                                              group_ids=_people_scope())
    return _event_page(item, report)


@bp.route("/check-in", methods=["GET", "POST"])
@login_required
@per_address("30 per minute", methods=["POST"])
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
    if token.revoked_at is None and not confirmed():
        return confirmation_page(
            question=_("Revoke the token “%(name)s”?", name=token.name),
            consequence=_("every system that uses it loses access at once, and a revoked token cannot be restored: a new one must be issued and handed over."),
            button=_("Revoke"), back=url_for(".api_tokens"))
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
            "population": activity.population, "kind": activity.kind, "target_percent": activity.target_percent,
            "target": activity.target_text, "term": activity.term_text,
            "periods": [{"number": p.number, "from": p.starts_on.isoformat(), "to": p.ends_on.isoformat()}
                        for p in activity.periods],
            "responsible": activity.responsible, "form_of_completion": activity.form_of_completion,
            "translations": {language: {API_NAMES.get(key, key): text for key, text in texts.items()}
                             for language, texts in sorted((activity.translations or {}).items())}}


# The API names an activity's texts as the plan file does ("target", "term"), not as the columns do.
API_NAMES = {"target_text": "target", "term_text": "term"}


class ApiError(Exception):
    """A request the API refuses: the status and a sentence for the caller."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


@api.errorhandler(ApiError)
def api_error(error: ApiError):
    return jsonify(error=error.message), error.status


API_PARAMETERS = {"/plan": {"plan"}, "/coverage": {"plan", "as_of", "activity", "faculty", "group", "from", "to"}}


def _api_args(path: str) -> dict:
    """The query parameters of an API call, checked: unknown names, repeats and ill-formed values are a 400."""
    unknown = set(request.args) - API_PARAMETERS[path]
    if unknown:
        raise ApiError(400, f"unknown parameter: {sorted(unknown)[0]}")
    args = {}
    for name in request.args:
        values = request.args.getlist(name)
        if len(values) > 1:
            raise ApiError(400, f"{name} is given more than once")
        value = values[0]
        if name in ("faculty", "group"):
            if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= MAX_ID:
                raise ApiError(400, f"{name} must be a positive integer id")
            args[name] = int(value)
        elif name in ("from", "to", "as_of"):
            try:
                args[name] = date.fromisoformat(value) if value.isascii() and len(value) == 10 else None
            except ValueError:
                args[name] = None
            if args[name] is None:
                raise ApiError(400, f"{name} must be a date like 2024-12-31")
        else:
            args[name] = value
    if args.get("from") and args.get("to") and args["from"] > args["to"]:
        raise ApiError(400, "from must not be after to")
    if "faculty" in args and "group" in args:
        raise ApiError(400, "give faculty or group, not both")
    return args


def _api_plan(args: dict) -> Plan:
    if "plan" in args:
        plan = db.session.execute(select(Plan).where(Plan.slug == args["plan"])).scalar_one_or_none()
        if plan is None:
            raise ApiError(404, f"no plan {args['plan']}")
        return plan
    plan = plan_service.current_plan(today())
    if plan is None:
        raise ApiError(404, f"no plan covers today ({today().isoformat()}); name one with ?plan=<slug>")
    return plan


@api.route("/plan")
def plan_json():
    """The current plan (or the one named) with every activity (no personal data)."""
    plan = _api_plan(_api_args("/plan"))
    activities = db.session.execute(select(Activity).where(Activity.plan_id == plan.id, Activity.retired.is_(False))
                                    .order_by(Activity.position)).scalars().all()
    return jsonify(slug=plan.slug, title=plan.title, academic_year=plan.academic_year,
                   translations={language: {key: texts[key] for key in ("title", "sections") if key in texts}
                                 for language, texts in sorted((plan.translations or {}).items())},
                   starts_on=plan.starts_on.isoformat(), ends_on=plan.ends_on.isoformat(),
                   activities=[_activity_json(a) for a in activities])


@api.route("/coverage")
def coverage_json():
    """Coverage figures, filtered by activity code, faculty id, group id and a date range."""
    args = _api_args("/coverage")
    plan = _api_plan(args)
    as_of = service.kept_as_of(plan, args.get("as_of") or min(today(), plan.ends_on))
    date_from, date_to = args.get("from"), args.get("to")
    if date_to:
        as_of = min(service.kept_as_of(plan, date_to), date_to, plan.ends_on)
    group_id, faculty_id = args.get("group"), args.get("faculty")
    ids = None
    if group_id:
        if db.session.get(Group, group_id) is None:
            raise ApiError(404, f"no group {group_id}")
        ids = {group_id}
    elif faculty_id:
        if db.session.get(Faculty, faculty_id) is None:
            raise ApiError(404, f"no faculty {faculty_id}")
        ids = set(db.session.execute(select(Group.id).where(Group.faculty_id == faculty_id)).scalars())
    code = args.get("activity")

    def answer() -> dict:   # the same for every token: built once per change of coverage
        data = service.coverage(plan, as_of, date_from=date_from, date_to=date_to, group_ids=ids,
                                with_groups=bool(group_id))
        activities = [a for a in data.activities if not code or a.code == code]
        if code and not activities:
            return {"missing": f"no activity {code} in plan {plan.slug}"}
        scope = ([("group", r) for r in data.groups] if group_id else
                 [("faculty", r) for r in data.faculties] if faculty_id else [("university", data.university)])
        return {"plan": plan.slug, "as_of": data.as_of.isoformat(), "from": date_from and date_from.isoformat(),
                "to": date_to and date_to.isoformat(),
                "closed_on": service.closed_on(plan).isoformat() if plan.closed else None,
                "figures": "kept" if data.kept_on else "computed",
                "scopes": [{"scope": kind, "name": row.name, "id": row.key[1], "figures": figures(row, activities)}
                           for kind, row in scope]}

    def figures(row, activities):
        out = []
        for activity in activities:
            f = row.figures.get(activity.id)
            if f is not None:
                out.append({"activity": activity.code, "kind": f.kind, "participants": f.participants, "headcount": f.headcount,
                            "headcount_estimated": f.estimated, "coverage_percent": f.percent,
                            "target_percent": f.target, "status": f.status, "needed": f.needed,
                            **({"measure": {"done": f.measure.done, "total": f.measure.total,
                                            "target_percent": f.measure.target_percent,
                                            **({"overdue": f.measure.late} if f.kind == DELIVERABLE else {})}}
                               if f.measure else {})})
        return out

    key = f"api:{plan.id}:{as_of}:{date_from}:{date_to}:{group_id}:{faculty_id}:{code}"
    body = cache().get_or_compute("coverage", key, answer, ttl=service.CACHE_SECONDS)
    if "missing" in body:
        raise ApiError(404, body["missing"])
    return jsonify(body)


@api.route("/openapi.json")
@shared_page
def openapi():
    """The OpenAPI description of this API."""
    return jsonify(OPENAPI)


def _error(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


_DATE = {"type": "string", "format": "date"}
_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
_NUMBER_OR_NULL = {"type": "number", "nullable": True}
_KIND = {"type": "string", "enum": list(KINDS),
         "description": "How the activity is measured: reach is distinct people over the headcount; a deliverable "
                        "(a document due by its term), units (a share of structural divisions) and register (a "
                        "maintained list) have no coverage: participants and headcount are 0 and coverage_percent "
                        "and target_percent are null"}
_TRANSLATIONS = {"type": "object", "description": "The texts in Kazakh (kk) and Russian (ru), by language, under the "
                                                  "same names as the original's (a plan's also has its section titles)",
                 "additionalProperties": {"type": "object"}}
_UNAUTHORISED = {"description": "No valid bearer token",
                 "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
                 "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}

OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "Sanaly Urpaq coverage API", "version": "1.4.0",
             "description": "Read-only figures of the anti-corruption plan. No personal data. Unknown query "
                            "parameters, repeated parameters and ill-formed values are refused with 400."},
    "servers": [{"url": "/api/v1"}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
            "Period": {"type": "object", "required": ["number", "from", "to"], "properties": {
                "number": {"type": "integer"}, "from": _DATE, "to": _DATE}},
            "Activity": {"type": "object", "required": ["code", "section", "name", "population", "periods"],
                         "properties": {
                             "code": {"type": "string"}, "section": {"type": "integer"}, "name": {"type": "string"},
                             "population": {"type": "string", "enum": ["students", "employees"]},
                             "kind": _KIND,
                             "target_percent": _NUMBER_OR_NULL, "target": {"type": "string", "nullable": True},
                             "term": {"type": "string", "nullable": True},
                             "periods": {"type": "array", "items": {"$ref": "#/components/schemas/Period"}},
                             "responsible": {"type": "array", "items": {"type": "string"}},
                             "form_of_completion": {"type": "string", "nullable": True},
                             "translations": _TRANSLATIONS}},
            "Plan": {"type": "object", "required": ["slug", "title", "academic_year", "starts_on", "ends_on", "activities"],
                     "properties": {"slug": {"type": "string"}, "title": {"type": "string"},
                                    "academic_year": {"type": "string"}, "starts_on": _DATE, "ends_on": _DATE,
                                    "translations": _TRANSLATIONS,
                                    "activities": {"type": "array", "items": {"$ref": "#/components/schemas/Activity"}}}},
            "Figure": {"type": "object", "required": ["activity", "participants", "headcount", "status"], "properties": {
                "activity": {"type": "string"}, "kind": _KIND, "participants": {"type": "integer", "minimum": 0},
                "headcount": {"type": "integer", "minimum": 0}, "headcount_estimated": {"type": "boolean"},
                "coverage_percent": _NUMBER_OR_NULL, "target_percent": _NUMBER_OR_NULL,
                "status": {"type": "string", "description": "met, on track, behind, not started, upcoming, no target; "
                                                            "'not tracked' for an activity that is not reach, unless the feature that keeps it lends "
                                                            "a figure in its own terms (periods accepted, divisions heard, "
                                                            "declarations submitted): then its status against that target; a "
                                                            "deliverable with an overdue period is behind"},
                "needed": {"type": "integer", "minimum": 0},
                "measure": {"type": "object", "required": ["done", "total", "target_percent"],
                            "description": "An activity not counted in people, in its own terms (university scope "
                                           "only): deliverable — periods accepted of all its periods, and how many "
                                           "are overdue (past their end, not submitted); units — divisions heard of "
                                           "all divisions; register — declarations submitted of those required, "
                                           "positions listed (done = total), or the reports received through the "
                                           "reporting channel (total) and those answered within the time limit (done)",
                            "properties": {"done": {"type": "integer", "minimum": 0},
                                           "total": {"type": "integer", "minimum": 0},
                                           "target_percent": _NUMBER_OR_NULL,
                                           "overdue": {"type": "integer", "minimum": 0,
                                                       "description": "deliverables only"}}}}},
            "Scope": {"type": "object", "required": ["scope", "name", "figures"], "properties": {
                "scope": {"type": "string", "enum": ["university", "faculty", "group"]}, "name": {"type": "string"},
                "id": {"type": "integer", "description": "0 for the university"},
                "figures": {"type": "array", "items": {"$ref": "#/components/schemas/Figure"}}}},
            "Coverage": {"type": "object", "required": ["plan", "as_of", "from", "to", "scopes"], "properties": {
                "plan": {"type": "string"}, "as_of": _DATE, "from": {**_DATE, "nullable": True},
                "to": {**_DATE, "nullable": True},
                "closed_on": {**_DATE, "nullable": True,
                              "description": "The day the plan year was closed (null while it is open)"},
                "figures": {"type": "string", "enum": ["kept", "computed"],
                            "description": "kept: a closed year's figures as they stood when it was closed (as of "
                                           "as_of); computed: counted now (an open year, or a date range a closed "
                                           "year did not keep: the year and its calendar quarters are kept)"},
                "scopes": {"type": "array", "items": {"$ref": "#/components/schemas/Scope"}}}},
        },
    },
    "security": [{"bearer": []}],
    "paths": {
        "/plan": {"get": {
            "summary": "The current plan (or the one named) and its activities",
            "parameters": [_query("plan", {"type": "string"}, "A plan's slug; the current plan when left out")],
            "responses": {"200": {"description": "The plan",
                                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Plan"}}}},
                          "400": _error("An unknown, repeated or ill-formed parameter"),
                          "401": _UNAUTHORISED, "404": _error("No such plan")}}},
        "/coverage": {"get": {
            "summary": "Coverage against the plan's targets",
            "parameters": [
                _query("plan", {"type": "string"}, "A plan's slug; the current plan when left out"),
                _query("as_of", _DATE, "Measure as of this day (default: today, or the plan's last day)"),
                _query("activity", {"type": "string"}, "One activity's code, e.g. 2.2"),
                _query("faculty", _ID, "Figures for each group of this faculty (not with group)"),
                _query("group", _ID, "Figures for this group (not with faculty)"),
                _query("from", _DATE, "Count participation from this day"),
                _query("to", _DATE, "Count participation up to this day (not before from)")],
            "responses": {"200": {"description": "Figures per scope",
                                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Coverage"}}}},
                          "400": _error("An unknown, repeated or ill-formed parameter, or from after to"),
                          "401": _UNAUTHORISED, "404": _error("No such plan, activity, faculty or group")}}},
    },
}
