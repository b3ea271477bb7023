"""Behind reverse proxies: each client keeps its own address, and per-address limits never hold an address.

The proxy is simulated as every proxy talks to the platform: the connection comes from the
proxy's loopback address and the client's address arrives in X-Forwarded-For.
"""
import pytest

from app.extensions import limiter
from app.people.service import normalise_email

PROXY = {"REMOTE_ADDR": "127.0.0.1"}
ATTACKER = "203.0.113.66"


def through_proxy(client, address, url, **kwargs):
    return client.post(url, environ_base=PROXY, headers={"X-Forwarded-For": address}, **kwargs)


def failed_sign_ins(client, address, accounts, count, via_proxy=True):
    statuses = []
    for n in range(count):
        data = {"email": accounts[n % len(accounts)].email, "password": "wrong password!"}
        if via_proxy:
            statuses.append(through_proxy(client, address, "/login", data=data).status_code)
        else:
            statuses.append(client.post("/login", data=data, environ_base={"REMOTE_ADDR": address}).status_code)
    return statuses


@pytest.fixture
def accounts(app, make_user):
    return [make_user(f"victim{n}@uni.test") for n in range(10)]


def test_behind_a_trusted_proxy_one_client_is_throttled_and_the_others_sign_in(app, make_app, make_user, accounts):
    proxied = make_app(TRUSTED_PROXIES=1)
    client = proxied.test_client()
    statuses = failed_sign_ins(client, ATTACKER, accounts, 30)
    assert 429 not in statuses
    assert failed_sign_ins(client, ATTACKER, accounts, 1) == [429]   # the 31st from that address
    students = [make_user(f"student{n}@uni.test") for n in range(20)]
    for n, student in enumerate(students):
        other = proxied.test_client()
        response = through_proxy(other, f"198.51.100.{n + 1}", "/login",
                                 data={"email": student.email, "password": "correct horse battery"})
        assert response.status_code == 302, student.email


def test_the_proxy_chain_is_read_only_as_far_as_it_is_trusted(app, make_app, accounts):
    proxied = make_app(TRUSTED_PROXIES=1)
    client = proxied.test_client()
    # A client that forges an X-Forwarded-For of its own: the trusted proxy appends the real address.
    for n in range(30):
        forged = f"10.9.{n}.1, {ATTACKER}"
        through_proxy(client, forged, "/login", data={"email": accounts[n % 10].email, "password": "wrong password!"})
    assert through_proxy(client, f"10.9.99.1, {ATTACKER}", "/login",
                         data={"email": accounts[0].email, "password": "x"}).status_code == 429


def test_an_undeclared_proxy_does_not_lock_the_university_out(app, make_user, accounts, caplog):
    client = app.test_client()   # TRUSTED_PROXIES = 0, yet requests come through a proxy
    failed_sign_ins(client, ATTACKER, accounts, 50)
    student = make_user("student@uni.test")
    response = through_proxy(app.test_client(), "198.51.100.7", "/login",
                             data={"email": student.email, "password": "correct horse battery"})
    assert response.status_code == 302
    assert "TRUSTED_PROXIES" in caplog.text
    # The per-account limit still holds for every attacked account (5 failures each).
    assert through_proxy(client, ATTACKER, "/login", data={"email": accounts[0].email, "password": "x"}).status_code == 429


def test_a_direct_client_is_limited_per_address(app, make_user, accounts):
    client = app.test_client()
    assert 429 not in failed_sign_ins(client, ATTACKER, accounts, 30, via_proxy=False)
    fresh = make_user("fresh@uni.test")
    blocked = client.post("/login", data={"email": fresh.email, "password": "correct horse battery"},
                          environ_base={"REMOTE_ADDR": ATTACKER})
    assert blocked.status_code == 429    # the address has used its 30 attempts, whatever the account
    elsewhere = client.post("/login", data={"email": fresh.email, "password": "correct horse battery"},
                            environ_base={"REMOTE_ADDR": "198.51.100.9"})
    assert elsewhere.status_code == 302


def test_the_limiter_store_holds_no_address_and_no_e_mail(app, make_app, accounts):
    proxied = make_app(TRUSTED_PROXIES=1)
    client = proxied.test_client()
    failed_sign_ins(client, ATTACKER, accounts, 12)
    for n in range(6):
        through_proxy(client, ATTACKER, "/report", data={"category": "other", "what": "x" * 5})
    keys = " ".join(str(key) for key in limiter.storage.storage)
    assert keys, "the limiter stored nothing: the test looks at the wrong store"
    assert ATTACKER not in keys and "127.0.0.1" not in keys
    assert not any(normalise_email(account.email) in keys for account in accounts)


def test_reports_are_limited_per_client_behind_the_proxy(app, make_app):
    proxied = make_app(TRUSTED_PROXIES=1)
    client = proxied.test_client()
    form = {"category": "exam", "what": "A teacher asked for money before the exam.", "where": "Room 101"}
    first = [through_proxy(client, ATTACKER, "/report", data=form).status_code for _ in range(6)]
    assert first[5] == 429
    assert through_proxy(client, "198.51.100.20", "/report", data=form).status_code != 429


def test_trusted_proxies_must_be_a_small_number(monkeypatch, tmp_path):
    from app.config import from_environment

    monkeypatch.setenv("TRUSTED_PROXIES", "two")
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        from_environment(str(tmp_path))
    monkeypatch.setenv("TRUSTED_PROXIES", "2")
    assert from_environment(str(tmp_path))["TRUSTED_PROXIES"] == 2


def test_limits_are_checked_in_the_views_that_have_them_and_not_before_every_request(app):
    """The platform's limits are views' own (`per_address`): Flask-Limiter's walk before every request is taken
    out (that a per-address limit still answers 429 is held by tests/test_reports.py and the ones above)."""
    from flask import Flask

    from app import _limits_in_views_only

    assert limiter._check_request_limit not in app.before_request_funcs[None]
    configured = Flask("configured")                     # a default limit set: the walk stays to enforce it
    configured.config["RATELIMIT_DEFAULT"] = "100 per minute"
    configured.before_request(limiter._check_request_limit)
    _limits_in_views_only(configured)
    assert limiter._check_request_limit in configured.before_request_funcs[None]
