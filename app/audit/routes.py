"""The ACS's view of the audit log and its verification."""
from flask import Blueprint, current_app, render_template
from sqlalchemy import func, select

from app.audit import service
from app.audit.models import AuditEvent
from app.core.http import page_arg
from app.extensions import db
from app.people.access import admin_required
from app.people.models import User

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


@bp.route("/")
@admin_required
def index():
    """List audit events, newest first, and say whether the chain verifies."""
    page = page_arg()
    per_page = current_app.config["PAGE_SIZE"]
    total = db.session.scalar(select(func.count()).select_from(AuditEvent))
    rows = db.session.execute(
        select(AuditEvent, User.full_name).outerjoin(User, AuditEvent.actor_id == User.id)
        .order_by(AuditEvent.seq.desc()).limit(per_page).offset((page - 1) * per_page)
    ).all()
    report = service.verify_chain()
    pages = max((total + per_page - 1) // per_page, 1)
    return render_template("audit/index.html", rows=rows, report=report, page=page, pages=pages, total=total)
