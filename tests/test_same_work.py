"""'The same answer in the same time', measured as the same work: one password-hash check on every path.

Wall-clock comparisons are noisy on a shared machine; what makes an unknown account answer as
slowly as a known one is that both pay for exactly one hash check. So the tests count the checks
(Argon2's verify and Werkzeug's scrypt check, the only two schemes the platform reads).
"""
import re

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app.extensions import db
from app.people import passwords
from app.reports import service as reports
from app.reports.models import Report
from tests.conftest import PASSWORD

REFUSED = "The e-mail or the password is not right."
NO_CASE = "No case matches this code and passphrase."


@pytest.fixture
def hash_checks(monkeypatch):
    """A list that gets one item per password-hash check made while the test runs."""
    checks = []
    argon2_verify, scrypt_check = PasswordHasher.verify, passwords.check_password_hash

    def counted_verify(self, stored, password):
        checks.append("argon2")
        return argon2_verify(self, stored, password)

    def counted_check(stored, password):
        checks.append("scrypt")
        return scrypt_check(stored, password)

    monkeypatch.setattr(PasswordHasher, "verify", counted_verify)
    monkeypatch.setattr(passwords, "check_password_hash", counted_check)
    return checks


def sign_in(client, checks, email, password):
    checks.clear()
    response = client.post("/login", data={"email": email, "password": password})
    return response, list(checks)


def test_every_sign_in_path_checks_exactly_one_password_hash(app, client, make_user, hash_checks):
    make_user("known@uni.test")
    make_user("gone@uni.test", active=False)
    make_user("new@uni.test", password=None)              # imported from a roster, no password chosen yet
    failures = {
        "unknown e-mail": ("nobody@uni.test", PASSWORD),
        "wrong password": ("known@uni.test", "not the password"),
        "inactive account, right password": ("gone@uni.test", PASSWORD),
        "inactive account, wrong password": ("gone@uni.test", "not the password"),
        "account without a password yet": ("new@uni.test", PASSWORD),
    }
    for path, (email, password) in failures.items():
        response, checks = sign_in(client, hash_checks, email, password)
        assert response.status_code == 200 and REFUSED in response.get_data(as_text=True), path
        assert checks == ["argon2"], path
    response, checks = sign_in(client, hash_checks, "known@uni.test", PASSWORD)
    assert response.status_code == 302 and checks == ["argon2"]


def test_an_account_with_an_older_hash_also_costs_one_check(app, client, make_user, hash_checks):
    person = make_user("old@uni.test")
    person.password_hash = generate_password_hash(PASSWORD, method="scrypt")
    db.session.commit()
    response, checks = sign_in(client, hash_checks, "old@uni.test", "not the password")
    assert REFUSED in response.get_data(as_text=True) and checks == ["scrypt"]
    response, checks = sign_in(client, hash_checks, "old@uni.test", PASSWORD)
    assert response.status_code == 302 and checks == ["scrypt"]      # then replaced by Argon2id


def test_every_report_follow_path_checks_exactly_one_passphrase_hash(app, client, hash_checks):
    from datetime import date

    filed = reports.file_report(category="bribe", what="Money was asked for a better grade in the winter exam.",
                                place="", happened="", anonymous=True, contact="", user=None, files=[], folder=None,
                                today=date(2025, 3, 3))
    code = db.session.execute(select(Report.code)).scalar_one()
    attempts = {
        "unknown code": ("ZZZZ-ZZZZ", filed.passphrase),
        "malformed code": ("??", filed.passphrase),
        "wrong passphrase": (code, "WRONG-WRONG-WRONG"),
    }
    for path, (typed_code, passphrase) in attempts.items():
        hash_checks.clear()
        response = client.post("/report/follow", data={"code": typed_code, "passphrase": passphrase})
        assert response.status_code == 200 and NO_CASE in response.get_data(as_text=True), path
        assert hash_checks == ["argon2"], path
    hash_checks.clear()
    response = client.post("/report/follow", data={"code": code.lower().replace("-", ""), "passphrase": filed.passphrase})
    assert response.status_code == 302 and re.search(r"/report/case$", response.headers["Location"])
    assert hash_checks == ["argon2"]
