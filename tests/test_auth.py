"""Signing in and out, throttling, CSRF, e-mail normalisation and one-time password links."""
import time
from types import SimpleNamespace

import itsdangerous.timed
import pytest

from app.extensions import db
from app.people import passwords, service
from app.people.models import User
from tests.conftest import PASSWORD, PRODUCTION_DUMMY, PRODUCTION_HASHER, csrf_token_from

WRONG = "The e-mail or the password is not right."


def test_good_password_signs_in_and_redirects_home(client, make_user, auth):
    make_user("ann@uni.test")
    response = auth.login("ann@uni.test")
    assert response.status_code == 302 and response.location.endswith("/")
    assert "Person" in client.get("/profile").get_data(as_text=True)


def test_wrong_password_and_unknown_person_get_the_same_message(client, make_user, auth):
    make_user("ann@uni.test")
    wrong = auth.login("ann@uni.test", "not the password")
    unknown = auth.login("nobody@uni.test", "not the password")
    assert wrong.status_code == unknown.status_code == 200
    assert WRONG in wrong.get_data(as_text=True) and WRONG in unknown.get_data(as_text=True)
    assert client.get("/profile").status_code == 302


def test_typed_email_is_kept_after_a_failed_sign_in(client, make_user, auth):
    make_user("ann@uni.test")
    page = auth.login("ann@uni.test", "nope").get_data(as_text=True)
    assert 'value="ann@uni.test"' in page


def test_inactive_person_cannot_sign_in(client, make_user, auth):
    make_user("gone@uni.test", active=False)
    response = auth.login("gone@uni.test")
    assert WRONG in response.get_data(as_text=True)
    assert client.get("/profile").status_code == 302


def test_deactivation_ends_an_open_session(app, client, make_user, auth):
    admin = make_user("boss@uni.test", roles=("admin",))
    person = make_user("ann@uni.test")
    auth.login("ann@uni.test")
    assert client.get("/profile").status_code == 200
    service.set_active(person, False, admin)
    assert client.get("/profile").status_code == 302


def test_emails_are_normalised_so_look_alikes_match(client, make_user, auth):
    make_user("ann@uni.test")
    # Full-width letters, upper case and stray spaces all normalise to the same address.
    response = auth.login("  ＡＮＮ@Uni.Test ")
    assert response.status_code == 302


@pytest.mark.parametrize("raw", ["ANN@UNI.TEST", " ann@uni.test\t", "ａｎｎ@uni.test"])
def test_normalise_email(raw):
    assert service.normalise_email(raw) == "ann@uni.test"


def test_repeated_failures_are_throttled_even_with_the_right_password(app, client, make_user, auth):
    make_user("ann@uni.test")
    for _ in range(5):
        assert auth.login("ann@uni.test", "wrong password").status_code == 200
    blocked = auth.login("ann@uni.test")
    assert blocked.status_code == 429
    assert "Too many failed attempts" in blocked.get_data(as_text=True)
    assert client.get("/profile").status_code == 302


def test_throttling_counts_per_account_not_per_typing(app, client, make_user, auth):
    make_user("ann@uni.test")
    make_user("bob@uni.test")
    for _ in range(5):
        auth.login("ANN@uni.test", "wrong")
    assert auth.login("bob@uni.test").status_code == 302


def test_success_clears_the_account_failures(app, client, make_user, auth):
    make_user("ann@uni.test")
    for _ in range(4):
        auth.login("ann@uni.test", "wrong")
    assert auth.login("ann@uni.test").status_code == 302
    auth.logout()
    for _ in range(4):
        auth.login("ann@uni.test", "wrong")
    assert auth.login("ann@uni.test").status_code == 302


def test_login_without_csrf_token_is_refused(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        client = app.test_client()
        response = client.post("/login", data={"email": "a@uni.test", "password": "x"})
        assert response.status_code == 400
        assert "The form has expired" in response.get_data(as_text=True)


def test_login_with_csrf_token_works(make_app, app):
    csrf_app = make_app(WTF_CSRF_ENABLED=True)
    with csrf_app.app_context():
        user = User(email="ann@uni.test", full_name="Ann")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        client = csrf_app.test_client()
        token = csrf_token_from(client.get("/login").get_data(as_text=True))
        response = client.post("/login", data={"email": "ann@uni.test", "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302


def test_logout_needs_post_and_ends_the_session(client, make_user, auth):
    make_user("ann@uni.test")
    auth.login("ann@uni.test")
    assert client.get("/logout").status_code == 405
    auth.logout()
    assert client.get("/profile").status_code == 302


def test_next_parameter_cannot_send_people_off_site(client, make_user):
    make_user("ann@uni.test")
    response = client.post("/login?next=//evil.example/x", data={"email": "ann@uni.test", "password": PASSWORD})
    assert response.location in ("/", "http://sanaly.test/")
    client.post("/logout")
    response = client.post("/login?next=/profile", data={"email": "ann@uni.test", "password": PASSWORD})
    assert response.location.endswith("/profile")


def test_remember_me_sets_a_persistent_cookie(client, make_user, auth):
    make_user("ann@uni.test")
    response = auth.login("ann@uni.test", remember="y")
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith("remember_token=") and "HttpOnly" in c for c in cookies)


def test_password_link_sets_a_password_once(app, client, make_user):
    person = make_user("new@uni.test", password=None)
    token = service.make_password_token(person, app.config["SECRET_KEY"])
    assert client.get(f"/set-password/{token}").status_code == 200
    response = client.post(f"/set-password/{token}", data={"password": "a long new password", "confirm": "a long new password"})
    assert response.status_code == 302
    assert db.session.get(User, person.id).check_password("a long new password")
    client.post("/logout")
    assert client.get(f"/set-password/{token}").status_code == 404  # used up


def test_password_link_rejects_weak_passwords_and_mismatches(app, client, make_user):
    person = make_user("new@uni.test", password=None)
    token = service.make_password_token(person, app.config["SECRET_KEY"])
    short = client.post(f"/set-password/{token}", data={"password": "short", "confirm": "short"})
    assert "at least 10 characters" in short.get_data(as_text=True)
    email = client.post(f"/set-password/{token}", data={"password": "new@uni.test", "confirm": "new@uni.test"})
    assert "e-mail address" in email.get_data(as_text=True)
    differ = client.post(f"/set-password/{token}", data={"password": "a long new password", "confirm": "another long one"})
    assert "The two passwords differ." in differ.get_data(as_text=True)
    assert db.session.get(User, person.id).password_hash is None


def test_expired_or_forged_password_links_are_refused(app, client, make_user, monkeypatch):
    person = make_user("new@uni.test", password=None)
    assert client.get("/set-password/forged.token.value").status_code == 404
    eight_days_ago = time.time() - 8 * 24 * 3600
    with monkeypatch.context() as patch:
        patch.setattr(itsdangerous.timed, "time", SimpleNamespace(time=lambda: eight_days_ago))
        stale = service.make_password_token(person, app.config["SECRET_KEY"])
    assert client.get(f"/set-password/{stale}").status_code == 404
    fresh = service.make_password_token(person, app.config["SECRET_KEY"])
    assert client.get(f"/set-password/{fresh}").status_code == 200


def test_admin_makes_a_password_link_for_a_person(client, make_user, auth):
    make_user("boss@uni.test", roles=("admin",))
    person = make_user("new@uni.test", password=None)
    auth.login("boss@uni.test")
    response = client.post(f"/admin/people/{person.id}/password-link", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "/set-password/" in page and "Copy this link now" in page
    assert "/set-password/" not in client.get(f"/admin/people/{person.id}").get_data(as_text=True)


def test_production_hashes_and_the_dummy_hash_cost_the_same_owasp_minimum():
    """OWASP's 7 MiB, 5 passes, 1 lane: one of its equivalent minimums, the one a server checks fastest."""
    from argon2 import Type, extract_parameters

    for stored in (PRODUCTION_HASHER.hash(PASSWORD), PRODUCTION_DUMMY):
        cost = extract_parameters(stored)
        assert (cost.type, cost.time_cost, cost.memory_cost, cost.parallelism) == (Type.ID, 5, 7168, 1)


def test_passwords_are_hashed_with_argon2id_and_older_hashes_upgrade_at_sign_in(client, make_user, auth):
    from werkzeug.security import generate_password_hash

    person = make_user("ann@uni.test")
    assert person.password_hash.startswith("$argon2id$")
    person.password_hash = generate_password_hash(PASSWORD)   # as stored by an earlier release
    db.session.commit()
    assert auth.login("ann@uni.test", "not the password").status_code == 200
    assert not db.session.get(User, person.id).password_hash.startswith("$argon2")
    assert auth.login("ann@uni.test").status_code == 302
    db.session.expire_all()
    upgraded = db.session.get(User, person.id)
    assert upgraded.password_hash.startswith("$argon2id$") and upgraded.check_password(PASSWORD)


def test_a_hash_made_with_other_argon2_settings_still_signs_in_and_is_replaced_by_the_current_ones(
        client, make_user, auth):
    """Hashes made before the settings changed (19 MiB and 2 passes, OWASP's first form) keep working once."""
    from argon2 import PasswordHasher, extract_parameters

    person = make_user("ann@uni.test")
    person.password_hash = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1).hash(PASSWORD)
    db.session.commit()
    assert auth.login("ann@uni.test", "not the password").status_code == 200
    assert extract_parameters(db.session.get(User, person.id).password_hash).memory_cost == 19456
    assert auth.login("ann@uni.test").status_code == 302
    db.session.expire_all()
    upgraded = db.session.get(User, person.id).password_hash
    current = extract_parameters(passwords.HASHER.hash(PASSWORD))
    assert extract_parameters(upgraded) == current and passwords.HASHER.verify(upgraded, PASSWORD)
