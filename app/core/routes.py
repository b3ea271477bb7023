"""The language switch and the liveness probe: the pages every feature shares."""
from flask import Blueprint, abort, current_app, redirect, request
from flask_login import current_user
from sqlalchemy import select

from app.core.http import safe_next
from app.extensions import db

bp = Blueprint("core", __name__)


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


@bp.route("/healthz")
def health():
    """Answer a load balancer's liveness probe without touching a session."""
    db.session.execute(select(1))
    return {"status": "ok"}
