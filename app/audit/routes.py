"""The audit log: the ACS's view with every event, and the public page, checkpoints and proofs anyone can use."""
import json
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, send_file
from sqlalchemy import func, select

from app.audit import keys, service, verify_audit
from app.audit.models import AuditEvent
from app.core.clock import now
from app.core.http import int_arg, page_arg, per_address
from app.core.security import shared_page
from app.extensions import db
from app.people.access import admin_required
from app.people.models import User

bp = Blueprint("audit", __name__)


def _text(body: str, filename: str | None = None) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'} if filename else {}
    return Response(body, mimetype="text/plain", headers=headers)


@bp.route("/admin/audit/")
@admin_required
def index():
    """List audit events, newest first, and say whether the log verifies."""
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


@bp.route("/admin/audit/export.json")
@admin_required
def export():
    """Download the whole log with every event's content, for an auditor to replay with verify_audit.py."""
    body = json.dumps(service.export_log(), ensure_ascii=False, indent=1)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="audit-export-{now():%Y%m%d-%H%M%S}.json"'})


# --- everyone ------------------------------------------------------------------------------------

@bp.route("/audit")
def public():
    """Show anyone whether the log verifies, its signed checkpoints and how to check them (no event content)."""
    page = page_arg()
    per_page = current_app.config["PAGE_SIZE"]
    view = service.public_view(page, per_page)
    pages = max((view.total + per_page - 1) // per_page, 1)
    return render_template("audit/public.html", view=view, page=page, pages=pages)


@bp.route("/audit/checkpoint")
def checkpoint():
    """Give the latest signed checkpoint as plain text, to save and check the log against later."""
    latest = service.latest_checkpoint()
    if latest is None:
        return jsonify(error="this log has no signed checkpoint"), 404
    return _text(latest.note)


@bp.route("/audit/checkpoints/<int:size>.txt")
def checkpoint_text(size):
    """Give the signed checkpoint of one size as plain text."""
    found = service.checkpoint_of_size(size)
    if found is None:
        abort(404)
    return _text(found.note, f"audit-checkpoint-{size}.txt")


@bp.route("/audit/checkpoints.txt")
def history_text():
    """Give every signed checkpoint, oldest first, as one text file."""
    rows, _total = service.checkpoints()
    parts = [f"# {row.size} events, signed {row.taken_at:%Y-%m-%dT%H:%M:%SZ} ({row.reason}"
             f"{' ' + row.subject if row.subject else ''})\n{row.note}\n" for row in reversed(rows)]
    return _text("".join(parts), "audit-checkpoints.txt")


@bp.route("/audit/key")
def key():
    """Give the public key that verifies the checkpoints (name+id+base64)."""
    return _text(keys.verifier_key() + "\n")


@bp.route("/audit/proof")
@per_address("60 per minute")
def proof():
    """Answer a consistency proof (JSON) between the first `from` and the first `to` events (default: all)."""
    first, second = int_arg("from"), int_arg("to")
    if first is None:
        return jsonify(error="give the size of your checkpoint as ?from=N"), 400
    try:
        return jsonify(service.consistency(first, second))
    except ValueError as error:
        return jsonify(error=str(error)), 409
    except service.AuditLogBroken as broken:
        where = f"event {broken.seq}: " if broken.seq else ""
        return jsonify(error=f"the log does not verify: {where}{broken.reason}"), 409


@bp.route("/audit/verify_audit.py")
@shared_page
def verifier():
    """Download the standalone verifier (one Python file)."""
    return send_file(Path(verify_audit.__file__), mimetype="text/x-python", as_attachment=True,
                     download_name="verify_audit.py")
