"""The home page, the admin overview, and the language switch."""
from flask import Blueprint, abort, current_app, redirect, render_template, request
from flask_login import current_user
from sqlalchemy import func, select

from app.core.clock import today
from app.core.http import safe_next
from app.extensions import db
from app.people.access import admin_required
from app.people.models import Faculty, Group, User, UserRole
from app.plan import service as plan_service
from app.plan.models import Activity

bp = Blueprint("core", __name__)


@bp.route("/")
def home():
    """Show the landing page, or what each of the person's roles should do next when signed in."""
    plan = plan_service.current_plan(today()) if current_user.is_authenticated else None
    overview = panels = None
    if current_user.is_authenticated:
        from app.core.clock import now
        from app.core.overview import role_panels, student_overview

        moment = now()
        overview = student_overview(current_user, moment) if current_user.has_role("student") else None
        panels = role_panels(current_user, moment)
    return render_template("core/home.html", plan=plan, overview=overview, panels=panels)


@bp.route("/language/<code>", methods=["GET", "POST"])
def language(code):
    """Switch the interface language: a cookie for visitors, the profile for signed-in people."""
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    if request.method == "POST" and current_user.is_authenticated:
        current_user.language = code
        db.session.commit()
    response = redirect(safe_next(request.values.get("next")))
    response.set_cookie("language", code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


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
    return render_template("core/admin_home.html", role_counts=role_counts, totals=totals,
                           plan=plan, activities=activities, today=today())


@bp.route("/healthz")
def health():
    """Answer a load balancer's liveness probe without touching a session."""
    db.session.execute(select(1))
    return {"status": "ok"}
