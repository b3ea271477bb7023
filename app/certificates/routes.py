"""Certificate downloads for their holders, and the public verification page."""
from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app.certificates import service
from app.core.http import per_address
from app.core.localize import tr
from app.extensions import db
from app.plan.models import Plan

bp = Blueprint("certificates", __name__)


def _issuer() -> str:
    """The university of the latest plan, in the reader's language when the plan is translated."""
    plan = db.session.execute(select(Plan).order_by(Plan.starts_on.desc()).limit(1)).scalars().first()
    return (tr(plan, "university") or plan.university) if plan else "Sanaly Urpaq"


@bp.route("/certificates/<code>.<any(png, pdf):fmt>")
@login_required
def download(code, fmt):
    """Send a certificate file to its holder (or an admin)."""
    certificate = service.find(code)
    if certificate is None:
        abort(404)
    if certificate.user_id != current_user.id and not current_user.is_admin:
        abort(403)
    verify_url = url_for(".verify", code=certificate.code, _external=True)
    body = service.render(certificate, fmt, verify_url, _issuer())
    filename = f"certificate-{certificate.code}.{fmt}"
    return Response(body, mimetype="application/pdf" if fmt == "pdf" else "image/png", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "private, no-store",
    })


@bp.route("/verify/", methods=["GET"])
@per_address("60 per minute")
def verify_form():
    """Let anyone type a certificate code to check it."""
    code = request.args.get("code", "").strip()
    if code:
        certificate = service.find(code)
        if certificate is not None:
            return render_template("certificates/verify.html", certificate=certificate)
        return render_template("certificates/verify_form.html", code=code, not_found=True), 404
    return render_template("certificates/verify_form.html", code="", not_found=False)


@bp.route("/verify/<code>")
@per_address("60 per minute")
def verify(code):
    """Confirm a certificate's holder, achievement and date — and nothing more."""
    certificate = service.find(code)
    if certificate is None:   # what a mistyped or forged QR leads to: say so, and offer the form
        return render_template("certificates/verify_form.html", code=code[:40], not_found=True), 404
    return render_template("certificates/verify.html", certificate=certificate)
