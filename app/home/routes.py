"""The start pages: what each signed-in person should do next, and the ACS's overview."""
from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import func, select

from app.core.clock import now, today
from app.extensions import db
from app.home.overview import group_card, role_panels, staff_panel, student_overview
from app.people.access import admin_required, role_required
from app.people.models import STAFF, Faculty, Group, User, UserRole
from app.plan import deliverables
from app.plan import service as plan_service
from app.plan.models import Activity

bp = Blueprint("home", __name__)


@bp.route("/")
def home():
    """Show the landing page, or what each of the person's roles should do next when signed in."""
    plan = plan_service.current_plan(today()) if current_user.is_authenticated else None
    overview = panels = group = None
    if current_user.is_authenticated:
        moment = now()
        overview = student_overview(current_user, moment) if current_user.has_role("student") else None
        panels = role_panels(current_user, moment)
        group = group_card(current_user)
    activities = plan_service.activities_in_section(plan, 2) if plan is not None else []
    return render_template("home/home.html", plan=plan, activities=activities, overview=overview, panels=panels,
                           group=group)


@bp.route("/staff/")
@role_required(STAFF)
def staff_home():
    """Show an employee what counts for them: courses for staff, events to check in at, their unit's figures."""
    moment = now()
    plan = plan_service.current_plan(moment.date())
    due = deliverables.due_for(current_user, moment.date()) if deliverables.reporter_unit_ids(current_user) else None
    return render_template("home/staff_home.html", panel=staff_panel(current_user, moment, with_unit=True), plan=plan,
                           due=due)


@bp.route("/admin/")
@admin_required
def admin_home():
    """Give the ACS an overview of people, structure and the plan."""
    role_counts = dict(db.session.execute(
        select(UserRole.role, func.count()).group_by(UserRole.role)).all())
    totals = {
        "people": db.session.scalar(select(func.count()).select_from(User)),
        "faculties": db.session.scalar(select(func.count()).select_from(Faculty)),
        "groups": db.session.scalar(select(func.count()).select_from(Group)),
    }
    plan = plan_service.current_plan(today())
    activities = 0
    if plan is not None:
        activities = db.session.scalar(select(func.count()).select_from(Activity).where(
            Activity.plan_id == plan.id, Activity.retired.is_(False)))
    return render_template("home/admin_home.html", role_counts=role_counts, totals=totals,
                           plan=plan, activities=activities, today=today())
