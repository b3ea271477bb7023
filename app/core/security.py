"""HTTP security headers, the idle timeout of signed-in sessions."""
from datetime import datetime, timezone

from flask import abort, current_app, flash, request, session
from flask_babel import gettext as _
from flask_login import current_user, logout_user

# No inline script anywhere (scripts are static files). Inline style attributes are allowed for
# the widths of progress bars; nothing else is loaded from anywhere but this site.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def shared_page(view):
    """Declare a view's answer the same for everyone, so browsers and proxies may keep it (see private_by_default)."""
    view.shared_page = True
    return view


def private_by_default(response):
    """Forbid storing any answer given to a signed-in person (or carrying a fresh session), unless declared shared.

    A personal page kept in a browser's or a proxy's cache outlives the sign-out: the next person
    at a shared computer, or behind the same proxy, could read it."""
    if request.endpoint == "static" or "no-store" in response.headers.get("Cache-Control", ""):
        return response
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "shared_page", False):
        return response
    if session.modified or current_user.is_authenticated:
        response.headers["Cache-Control"] = "no-store"   # also over send_file's revalidating "no-cache"
    return response


def add_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure or current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def enforce_idle_timeout():
    """Sign out a session that has been idle too long (unless the person chose to stay signed in)."""
    if not current_user.is_authenticated:
        return None
    now = int(datetime.now(timezone.utc).timestamp())
    seen = session.get("seen")
    limit = current_app.config["IDLE_TIMEOUT_MINUTES"] * 60
    if seen is not None and now - seen > limit and not session.get("stay"):
        logout_user()
        session.clear()
        flash(_("You were signed out after a period of inactivity."), "info")
        return None
    if seen is None or now - seen > 60:   # write the cookie at most once a minute
        session["seen"] = now
    return None


def refuse_nul_characters():
    """A NUL character is never part of real input (and PostgreSQL cannot store it): refuse it early."""
    for values in (request.args, request.form):
        for value in values.values():
            if "\x00" in value:
                abort(400)
    return None


def init_security(app) -> None:
    app.after_request(add_security_headers)
    app.after_request(private_by_default)
    app.before_request(refuse_nul_characters)
    app.before_request(enforce_idle_timeout)
