"""Admin pages for the plan: every activity with its target and term."""
from flask import Blueprint, abort, render_template
from sqlalchemy import func, select

from app.core.clock import today
from app.extensions import db
from app.people.access import admin_required
from app.plan import service
from app.plan.measures import measures_for
from app.plan.models import Activity, Participation, Plan

bp = Blueprint("plan", __name__, url_prefix="/admin/plan")


@bp.route("/")
@admin_required
def index():
    """Show the current plan (and list the others)."""
    plans = db.session.execute(select(Plan).order_by(Plan.starts_on.desc())).scalars().all()
    plan = service.current_plan(today())
    return _render_plan(plan, plans)


@bp.route("/<slug>")
@admin_required
def show(slug):
    """Show one plan, section by section."""
    plans = db.session.execute(select(Plan).order_by(Plan.starts_on.desc())).scalars().all()
    plan = next((p for p in plans if p.slug == slug), None)
    if plan is None:
        abort(404)
    return _render_plan(plan, plans)


def _render_plan(plan, plans):
    activities, participants = [], {}
    if plan is not None:
        activities = db.session.execute(
            select(Activity).where(Activity.plan_id == plan.id).order_by(Activity.position)
        ).scalars().all()
        participants = dict(db.session.execute(
            select(Participation.activity_id, func.count(func.distinct(Participation.user_id)))
            .join(Activity).where(Activity.plan_id == plan.id).group_by(Participation.activity_id)
        ).all())
    # Activities not counted in people show the figure their feature lends (divisions heard, declarations submitted).
    measures = measures_for([a for a in activities if not a.measured_by_reach], min(today(), plan.ends_on)) if plan else {}
    sections = {}
    for activity in activities:
        sections.setdefault(activity.section, []).append(activity)
    return render_template("plan/plan.html", plan=plan, plans=plans, sections=sections,
                           participants=participants, measures=measures, today=today())


@bp.route("/<slug>/<code>")
@admin_required
def activity(slug, code):
    """Show every column of one activity, with its measured periods."""
    plan = db.session.execute(select(Plan).where(Plan.slug == slug)).scalar_one_or_none()
    if plan is None:
        abort(404)
    item = service.activity_by_code(plan, code)
    if item is None:
        abort(404)
    participants = db.session.scalar(
        select(func.count(func.distinct(Participation.user_id))).where(Participation.activity_id == item.id))
    measure = measures_for([item], min(today(), plan.ends_on)).get(item.id)
    return render_template("plan/activity.html", plan=plan, activity=item, participants=participants, measure=measure)
