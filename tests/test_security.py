"""Security that every page has: headers, session rules, password policy, friendly error pages."""
import time

import pytest

from app.extensions import db
from app.people import service
from app.people.models import User
from tests.conftest import PASSWORD


def test_security_headers_on_every_page(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_when_served_over_https(client):
    assert "max-age" in client.get("/login", base_url="https://sanaly.test").headers["Strict-Transport-Security"]


def test_no_inline_script_in_any_template():
    from pathlib import Path
    import re
    for path in (Path(__file__).resolve().parent.parent / "app").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        assert not re.search(r"\son(click|load|change|submit|input)=", text), path


def test_a_replayed_cookie_after_logout_is_refused(app, client, make_user, auth):
    make_user("ann@uni.test")
    auth.login("ann@uni.test")
    stolen = client.get_cookie("session", domain="sanaly.test").value
    auth.logout()
    thief = app.test_client()
    thief.set_cookie("session", stolen, domain="sanaly.test")
    assert thief.get("/profile").status_code == 302


def test_session_is_renewed_at_sign_in(app, client, make_user, auth):
    make_user("ann@uni.test")
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    auth.login("ann@uni.test")
    with client.session_transaction() as session:
        assert "planted" not in session


def test_password_change_ends_other_sessions(app, client, make_user, auth):
    user = make_user("ann@uni.test")
    auth.login("ann@uni.test")
    service.set_password(db.session.get(User, user.id), "a completely new passphrase")
    assert client.get("/profile").status_code == 302


def test_idle_sessions_are_signed_out(app, client, make_user, auth):
    make_user("ann@uni.test")
    auth.login("ann@uni.test")
    assert client.get("/profile").status_code == 200
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - 61 * 60
    assert client.get("/profile").status_code == 302


def test_remember_me_is_not_cut_by_the_idle_timeout(app, client, make_user, auth):
    make_user("ann@uni.test")
    auth.login("ann@uni.test", remember="y")
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - 61 * 60
    assert client.get("/profile").status_code == 200


def test_role_changes_take_effect_at_once(app, client, make_user, auth):
    user = make_user("ann@uni.test", roles=("admin",))
    auth.login("ann@uni.test")
    assert client.get("/admin/").status_code == 200
    user.set_roles({"student"})
    db.session.commit()
    assert client.get("/admin/").status_code == 403


@pytest.mark.parametrize("password, problem", [
    ("short", "at least 10"),
    ("password123", "most common"),
    ("Kazakhstan", "most common"),
    ("aaaaaaaaaaaaa", "most common"),
    ("ann.student-2024", "e-mail address"),
    ("a long and unusual phrase", None),
])
def test_password_policy(password, problem):
    result = service.password_problem(password, "ann.student@uni.test")
    assert (result is None) if problem is None else (problem in result)


def test_a_too_large_request_gets_a_friendly_413(make_app):
    app = make_app(MAX_CONTENT_LENGTH=1024)
    with app.app_context():
        response = app.test_client().post("/login", data={"email": "x" * 5000, "password": PASSWORD})
        assert response.status_code == 413 and "File too large" in response.get_data(as_text=True)


def test_error_pages_leak_nothing(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False, TESTING=False)

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internal detail")

    with app.app_context():
        response = app.test_client().get("/boom")
        assert response.status_code == 500
        assert "secret internal detail" not in response.get_data(as_text=True)
        assert "Something went wrong" in response.get_data(as_text=True)
