"""The plan year's pages, for ACS admins only: next year's plan, a plan file uploaded, activities edited,
the new year's headcounts, and closing a year."""
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select

from app.authoring import plan_year
from app.authoring.languages import LANGUAGES, template_languages
from app.authoring.plan_year import PlanYearError
from app.core.clock import now, today
from app.core.confirm import confirmation_page, confirmed
from app.extensions import db
from app.people import service as people
from app.people.access import admin_required
from app.people.models import Faculty, Group, StaffUnit
from app.plan.models import FEEDS, KINDS, POPULATIONS, REGISTER_LISTS, Activity, Plan
from app.plan.service import activity_by_code

bp = Blueprint("planyear", __name__, url_prefix="/admin/plan-year")
bp.context_processor(template_languages)

class PlanFileForm(FlaskForm):
    plan_file = FileField()
    kk_file = FileField()
    ru_file = FileField()


def _plan(slug: str) -> Plan:
    plan = db.session.execute(select(Plan).where(Plan.slug == slug)).scalar_one_or_none()
    if plan is None:
        abort(404)
    return plan


def _open_plan(slug: str) -> Plan:
    plan = _plan(slug)
    if plan.closed:
        flash(_("The plan year %(year)s is closed: it can no longer be changed.", year=plan.academic_year), "error")
        abort(redirect(url_for("plan.show", slug=plan.slug)))
    return plan


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


@bp.route("/<slug>/next", methods=["GET", "POST"])
@admin_required
def prepare(slug):
    """Prepare next year's plan from this one: confirm the moved terms and the periods they give, then create it."""
    source = _plan(slug)
    form, problems = FlaskForm(), {}
    proposal = plan_year.propose_next_year(source)
    if request.method == "POST" and form.validate_on_submit():
        starts_on, ends_on = _day(request.form.get("starts_on")), _day(request.form.get("ends_on"))
        for key, value in (("starts_on", starts_on), ("ends_on", ends_on)):
            if value is None:
                problems[key] = _("Give a date such as 2025-09-01.")
        proposal = plan_year.YearProposal(
            slug=request.form.get("slug", "").strip(), academic_year=request.form.get("academic_year", "").strip(),
            starts_on=starts_on or proposal.starts_on, ends_on=ends_on or proposal.ends_on,
            terms={code: request.form.get(f"term-{code}", "") for code in proposal.terms})
        if request.form.get("action") == "create" and not problems:
            try:
                plan = plan_year.prepare_next_year(source, proposal, actor=current_user, now=now())
                db.session.commit()
                flash(_("Plan %(year)s created with %(n)d activities. Record its headcounts next.",
                        year=plan.academic_year, n=len(plan.activities)), "success")
                return redirect(url_for("plan.show", slug=plan.slug))
            except PlanYearError as error:
                db.session.rollback()
                problems.update(error.problems)
        if problems:
            flash(_("Not created: correct the fields marked below. Nothing you typed is lost."), "error")
    readings = plan_year.read_terms(proposal.terms, proposal.starts_on, proposal.ends_on)
    activities = [a for a in source.activities if not a.retired]
    fields = {"slug": proposal.slug, "academic_year": proposal.academic_year,
              "starts_on": proposal.starts_on.isoformat(), "ends_on": proposal.ends_on.isoformat()}
    if request.method == "POST":
        fields.update({key: request.form.get(key, "") for key in fields})     # as typed, even when not a date
    return render_template("plan/prepare.html", source=source, proposal=proposal, readings=readings,
                           activities=activities, problems=problems, form=form, fields=fields)


@bp.route("/upload", methods=["GET", "POST"])
@admin_required
def upload():
    """Upload a plan file (and its Kazakh and Russian files), check it as load-content would, preview it, load it."""
    form, checked, texts = PlanFileForm(), None, {}
    if request.method == "POST" and form.validate_on_submit():
        if request.form.get("action") == "load":
            texts = {key: request.form.get(f"text-{key or 'plan'}", "") for key in LANGUAGES}
            try:
                plan = plan_year.load_uploaded_plan(texts, actor=current_user, now=now())
                db.session.commit()
                flash(_("Plan %(year)s loaded from the uploaded file.", year=plan.academic_year), "success")
                return redirect(url_for("plan.show", slug=plan.slug))
            except PlanYearError as error:
                db.session.rollback()
                for key, message in error.problems.items():
                    getattr(form, key, form.plan_file).errors.append(message)
        else:
            for key, field in (("", form.plan_file), ("kk", form.kk_file), ("ru", form.ru_file)):
                upload = field.data
                if not upload or not getattr(upload, "filename", ""):
                    continue
                raw = upload.read(plan_year.MAX_PLAN_FILE_BYTES + 1)
                if len(raw) > plan_year.MAX_PLAN_FILE_BYTES:
                    field.errors.append(_("The file is larger than 512 KB."))
                    continue
                try:
                    texts[key] = raw.decode("utf-8-sig")
                except UnicodeDecodeError:
                    field.errors.append(_("Save the file as TOML in UTF-8 encoding."))
            if not texts.get("") and not form.plan_file.errors:
                form.plan_file.errors.append(_("Choose the plan's TOML file."))
            if not (form.plan_file.errors or form.kk_file.errors or form.ru_file.errors):
                checked = plan_year.read_uploaded_plan(texts)
                if checked.problem:
                    getattr(form, checked.problem_field).errors.append(checked.problem)
    return render_template("plan/upload.html", form=form, checked=checked, texts=texts)


@bp.route("/<slug>/texts", methods=["GET", "POST"])
@admin_required
def edit_texts(slug):
    """Edit the plan's own texts and its sections, with their Kazakh and Russian texts side by side."""
    plan = _open_plan(slug)
    form, problems = FlaskForm(), {}
    if request.method == "POST" and form.validate_on_submit():
        fields = plan_year.plan_text_fields_from(request.form, plan)
        change, problems = plan_year.plan_texts_change_from(fields, plan)
        if problems:        # every message at once: those of the checks the service makes too
            problems = {**plan_year.check_plan_texts(plan, change), **problems}
        else:
            try:
                plan_year.save_plan_texts(plan, change, actor=current_user, now=now())
                db.session.commit()
                flash(_("The plan's texts are saved."), "success")
                return redirect(url_for("plan.show", slug=plan.slug))
            except PlanYearError as error:
                db.session.rollback()
                problems.update(error.problems)
        flash(_("Not saved: correct the fields marked below. Nothing you typed is lost."), "error")
    else:
        fields = plan_year.plan_text_fields(plan)
    in_use = {}
    for activity in plan.activities:
        if not activity.retired:
            in_use[str(activity.section)] = in_use.get(str(activity.section), 0) + 1
    return render_template("plan/edit_texts.html", plan=plan, fields=fields, problems=problems, form=form,
                           rows=plan_year.section_rows(plan), in_use=in_use, new_row=plan_year.NEW_SECTION)


def _activity_or_404(plan: Plan, code: str) -> Activity:
    activity = activity_by_code(plan, code)
    if activity is None or activity.retired:
        abort(404)
    return activity


@bp.route("/<slug>/activities/new", methods=["GET", "POST"], defaults={"code": None})
@bp.route("/<slug>/activities/<code>", methods=["GET", "POST"])
@admin_required
def edit_activity(slug, code):
    """Edit one activity (or add one) with its Kazakh and Russian texts side by side."""
    plan = _open_plan(slug)
    activity = _activity_or_404(plan, code) if code else None
    form, problems = FlaskForm(), {}
    if request.method == "POST" and form.validate_on_submit():
        fields = plan_year.fields_from(request.form)
        change, problems = plan_year.change_from(fields)
        if request.form.get("action") == "save" and not problems:
            try:
                saved = plan_year.save_activity(plan, activity, change, actor=current_user, now=now())
                db.session.commit()
                flash(_("Activity %(code)s saved.", code=saved.code), "success")
                return redirect(url_for("plan.activity", slug=plan.slug, code=saved.code))
            except PlanYearError as error:
                db.session.rollback()
                problems.update(error.problems)
        if problems:
            flash(_("Not saved: correct the fields marked below. Nothing you typed is lost."), "error")
    else:
        fields = plan_year.fields_of(activity) if activity else {"section": "2", "population": "students",
                                                                 "kind": "reach"}
    reading = plan_year.read_term(fields.get("term_text", ""), plan.starts_on, plan.ends_on)
    return render_template("plan/edit_activity.html", plan=plan, activity=activity, fields=fields, problems=problems,
                           reading=reading, form=form, kinds=KINDS, feeds=FEEDS, register_lists=REGISTER_LISTS,
                           populations=POPULATIONS,
                           untranslated=plan_year.untranslated(fields), texts=plan_year.TRANSLATED_FIELDS)


@bp.route("/<slug>/activities/<code>/retire", methods=["POST"])
@admin_required
def retire_activity(slug, code):
    """Retire an activity (after a confirmation): it leaves the plan; what people did in it is kept."""
    plan = _open_plan(slug)
    activity = _activity_or_404(plan, code)
    if not FlaskForm().validate_on_submit():
        abort(400)
    if not confirmed():
        return confirmation_page(
            question=_("Retire activity %(code)s?", code=activity.code),
            consequence=_("It leaves the plan's pages, figures and files. What people did in it is kept."),
            button=_("Retire the activity"), back=url_for("planyear.edit_activity", slug=plan.slug, code=code))
    plan_year.retire_activity(plan, activity, actor=current_user, now=now())
    db.session.commit()
    flash(_("Activity %(code)s retired.", code=activity.code), "success")
    return redirect(url_for("plan.show", slug=plan.slug))


@bp.route("/<slug>/headcounts", methods=["GET", "POST"])
@admin_required
def headcounts(slug):
    """Record the official headcounts of every group and staff unit, in force from the plan's first day."""
    plan = _plan(slug)
    form, problems, fields = FlaskForm(), {}, {}
    groups = db.session.execute(select(Group, Faculty.name).join(Faculty, Faculty.id == Group.faculty_id)
                                .order_by(Faculty.name, Group.code)).all()
    units = db.session.execute(select(StaffUnit).order_by(StaffUnit.name)).scalars().all()
    if request.method == "POST" and form.validate_on_submit():
        fields = {key: value.strip() for key, value in request.form.items() if key[:2] in ("g-", "u-")}
        scopes = {f"g-{group.id}": group for group, _name in groups} | {f"u-{unit.id}": unit for unit in units}
        values, problems = plan_year.headcounts_from(fields, scopes)
        if not problems and values:
            plan_year.record_headcounts(plan, values, scopes, actor=current_user, now=now())
            db.session.commit()
            flash(_("%(n)d headcounts recorded, in force from %(date)s.", n=len(values),
                    date=plan.starts_on.strftime("%Y-%m-%d")), "success")
            return redirect(url_for("planyear.headcounts", slug=plan.slug))
        if problems:
            flash(_("Nothing recorded: correct the fields marked below. Nothing you typed is lost."), "error")
    in_force = people.current_headcounts(plan.starts_on)
    return render_template("plan/headcounts.html", plan=plan, groups=groups, units=units, in_force=in_force,
                           fields=fields, problems=problems, form=form)


@bp.route("/<slug>/close", methods=["POST"])
@admin_required
def close(slug):
    """Close a plan year (after a confirmation): keep its figures as they stand and make it read-only."""
    plan = _open_plan(slug)
    if not FlaskForm().validate_on_submit():
        abort(400)
    if not confirmed():
        details = []
        if plan.ends_on > today():
            details.append(_("The year runs until %(date)s: its figures are kept as they stand today.",
                             date=plan.ends_on.strftime("%Y-%m-%d")))
        return confirmation_page(
            question=_("Close the plan year %(year)s?", year=plan.academic_year),
            consequence=_("Its coverage figures are kept as they stand and shown from then on; nobody can change "
                          "its activities, load its file or record participation in it. This cannot be undone."),
            button=_("Close the year"), back=url_for("plan.show", slug=plan.slug), details=details)
    plan_year.close_plan(plan, actor=current_user, now=now())
    db.session.commit()
    flash(_("The plan year %(year)s is closed; its figures are kept.", year=plan.academic_year), "success")
    return redirect(url_for("plan.show", slug=plan.slug))
