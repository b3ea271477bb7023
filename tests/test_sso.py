"""Single sign-on with the university's OpenID provider: a real provider (`oidc-provider`) on loopback.

The platform talks to the provider over HTTP (discovery, token, keys, userinfo); the person's side of
the exchange (the provider's sign-in and consent pages) is walked with plain HTTP requests.
"""
import json
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.people.models import User
from app.people.sso import SsoSettings, account_for_claims
from tests.conftest import PASSWORD, run_together
from tests.oidc.loopback import ACCOUNTS, LoopbackProvider, free_port, sign_in_at_provider

CALLBACK = "http://sanaly.test/login/sso/callback"


@pytest.fixture(scope="module")
def provider():
    running = LoopbackProvider([CALLBACK])
    yield running
    running.stop()


@pytest.fixture
def sso_client(app, make_app, provider):
    """A test client of the platform linked to the loopback provider, with extra settings."""
    def build(**overrides):
        return make_app(**provider.settings(**overrides)).test_client()
    return build


def start(client, next_page=None) -> str:
    response = client.get("/login/sso" + (f"?next={next_page}" if next_page else ""))
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def come_back(client, callback_url: str):
    parts = urlsplit(callback_url)
    return client.get(f"{parts.path}?{parts.query}")


def sign_in(client, login: str, next_page=None):
    """The whole journey: the platform's button, the provider's pages, the way back."""
    return come_back(client, sign_in_at_provider(start(client, next_page), login, CALLBACK))


def signed_in_id(client) -> int | None:
    with client.session_transaction() as session:
        ident = session.get("_user_id")
    return int(ident.split(":")[0]) if ident else None


def audit_actions() -> list[str]:
    db.session.expire_all()
    return list(db.session.execute(select(AuditEvent.action).order_by(AuditEvent.seq)).scalars())


# --- the sign-in page -------------------------------------------------------------------------

def test_university_button_is_shown_only_when_configured(client, sso_client):
    assert 'id="sso-button"' not in client.get("/login").text
    assert client.get("/login/sso").status_code == 404
    page = sso_client().get("/login?next=/courses").text
    assert "Sign in with the university account" in page
    assert 'href="/login/sso?next=/courses"' in page
    assert 'name="password"' in page


def test_the_request_to_the_provider_carries_state_nonce_and_pkce(sso_client, provider):
    location = start(sso_client())
    assert location.startswith(provider.issuer + "/auth?")
    query = parse_qs(urlsplit(location).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0]
    assert query["redirect_uri"] == [CALLBACK]
    assert set(query["scope"][0].split()) == {"openid", "email", "profile", "university"}


# --- signing in -------------------------------------------------------------------------------

def test_a_student_signs_in_matched_by_verified_email(sso_client, make_user):
    ann = make_user("ann.aliyeva@uni.test", name="Ann Aliyeva")   # the provider spells it Ann.Aliyeva@…
    client = sso_client()
    response = sign_in(client, "ann", next_page="/courses/")
    assert response.status_code == 302 and response.headers["Location"] == "/courses/"
    assert signed_in_id(client) == ann.id
    assert client.get("/courses/").status_code == 200
    db.session.refresh(ann)
    assert ann.last_login_at is not None


def test_roles_are_never_taken_from_the_provider_unless_configured(sso_client, make_user):
    ann = make_user("ann.aliyeva@uni.test")          # the provider's claims say "admin"
    client = sso_client()
    sign_in(client, "ann")
    db.session.refresh(ann)
    assert ann.roles == {"student"}
    assert client.get("/admin/people").status_code == 403
    assert "role.changed" not in audit_actions()


def test_a_configured_roles_claim_changes_only_the_managed_roles(sso_client, make_user):
    ben = make_user("ben.bekov@uni.test", roles=("student", "curator"))
    ann = make_user("ann.aliyeva@uni.test")
    client = sso_client(OIDC_ROLES_CLAIM="roles", OIDC_MANAGED_ROLES="student,jury")
    sign_in(client, "ben")                           # the claim says "student jury"
    db.session.refresh(ben)
    assert ben.roles == {"student", "jury", "curator"}   # curator is not the provider's to change
    sign_in(sso_client(OIDC_ROLES_CLAIM="roles", OIDC_MANAGED_ROLES="student,jury"), "ann")
    db.session.refresh(ann)
    assert ann.roles == {"student"}                  # "admin" in her claim is not a managed role
    assert audit_actions().count("role.changed") == 1


def test_an_account_is_matched_by_a_student_id_claim_when_configured(sso_client, make_user):
    person = make_user("another-address@uni.test")
    person.student_id = "S-1001"
    db.session.commit()
    make_user("ann.aliyeva@uni.test")                # same e-mail as the claim, but not the match claim
    client = sso_client(OIDC_MATCH_CLAIM="student_id")
    assert sign_in(client, "ann").status_code == 302
    assert signed_in_id(client) == person.id


def test_an_unknown_person_is_refused_when_creation_is_off(sso_client, make_user):
    make_user("someone-else@uni.test")
    client = sso_client()
    response = sign_in(client, "ben")
    assert response.status_code == 403
    assert "There is no account here for this university account yet" in response.text
    assert 'name="password"' in response.text        # the password form is still there, and posts to /login
    assert 'action="/login"' in response.text
    assert signed_in_id(client) is None
    assert db.session.scalar(select(User).where(User.email == "ben.bekov@uni.test")) is None


def test_an_unknown_person_is_created_as_a_student_with_group_and_faculty(sso_client, make_group):
    energy = make_group("ЭЭ-24-1", "Faculty of Energy")
    settings = {"OIDC_CREATE_STUDENTS": True, "OIDC_GROUP_CLAIM": "group", "OIDC_FACULTY_CLAIM": "faculty"}
    client = sso_client(**settings)
    response = sign_in(client, "ben")                # his group ГД-24-7 and faculty are new here
    assert response.status_code == 302
    ben = db.session.scalar(select(User).where(User.email == "ben.bekov@uni.test"))
    assert signed_in_id(client) == ben.id
    assert ben.full_name == "Ben Bekov" and ben.roles == {"student"} and ben.password_hash is None
    assert ben.group.code == "ГД-24-7" and ben.group.faculty.name == "Faculty of Mining"
    assert "Your student account has been created" in client.get(response.headers["Location"]).text
    sign_in(sso_client(**settings), "ann")           # her group exists; her "admin" claim is ignored
    ann = db.session.scalar(select(User).where(User.email == "ann.aliyeva@uni.test"))
    assert ann.group_id == energy.id and ann.roles == {"student"}
    assert audit_actions().count("account.created") == 2
    # Signing in again finds the account it created: no second one.
    sign_in(sso_client(**settings), "ben")
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 2


def test_an_inactive_account_is_refused(sso_client, make_user):
    make_user("ann.aliyeva@uni.test", active=False)
    client = sso_client(OIDC_CREATE_STUDENTS=True)
    response = sign_in(client, "ann")
    assert response.status_code == 403 and "This account is deactivated" in response.text
    assert signed_in_id(client) is None


def test_an_unverified_email_matches_no_account(sso_client, make_user):
    make_user("cat@uni.test")
    client = sso_client(OIDC_CREATE_STUDENTS=True)
    response = sign_in(client, "cat")                # the provider says email_verified: false
    assert response.status_code == 403 and signed_in_id(client) is None


# --- answers that must not be trusted --------------------------------------------------------

def test_a_wrong_state_is_refused(sso_client, make_user):
    ann = make_user("ann.aliyeva@uni.test")
    client = sso_client()
    callback = sign_in_at_provider(start(client), "ann", CALLBACK)
    query = parse_qs(urlsplit(callback).query)
    query["state"] = ["forged-" + query["state"][0][7:]]
    response = come_back(client, f"{CALLBACK}?{urlencode({k: v[0] for k, v in query.items()})}")
    assert response.status_code == 400
    assert "could not be completed" in response.text
    assert signed_in_id(client) is None
    # Nor does the genuine answer work in another browser, which never started this sign-in.
    stranger = sso_client()
    assert come_back(stranger, callback).status_code == 400 and signed_in_id(stranger) is None
    assert ann.last_login_at is None


def test_a_used_code_is_refused_the_second_time(sso_client, make_user, app):
    ann = make_user("ann.aliyeva@uni.test")
    client = sso_client()
    callback = sign_in_at_provider(start(client), "ann", CALLBACK)
    before = client.get_cookie("session", domain="sanaly.test")   # state, nonce and verifier still unspent
    assert come_back(client, callback).status_code == 302
    assert signed_in_id(client) == ann.id
    replay = sso_client()
    replay.set_cookie("session", before.value, domain="sanaly.test")
    response = come_back(replay, callback)          # the same state, verifier and code once more
    assert response.status_code == 400 and signed_in_id(replay) is None


def test_an_expired_code_is_refused(make_app, app, make_user):
    make_user("ann.aliyeva@uni.test")
    short_lived = LoopbackProvider([CALLBACK], code_ttl=1)
    try:
        client = make_app(**short_lived.settings()).test_client()
        callback = sign_in_at_provider(start(client), "ann", CALLBACK)
        time.sleep(2.5)                              # the provider's own clock: nothing to inject
        response = come_back(client, callback)
        assert response.status_code == 400 and signed_in_id(client) is None
    finally:
        short_lived.stop()


def test_a_person_who_cancels_at_the_provider_is_told_so(sso_client):
    client = sso_client()
    state = parse_qs(urlsplit(start(client)).query)["state"][0]
    response = come_back(client, f"{CALLBACK}?error=access_denied&state={state}")
    assert response.status_code == 403 and "was cancelled" in response.text


def test_refused_answers_count_as_failed_sign_ins(sso_client):
    client = sso_client(LOGIN_LIMIT_PER_ADDRESS="2 per minute")
    for _attempt in range(2):
        assert come_back(client, f"{CALLBACK}?code=guess&state=guess").status_code == 400
    response = come_back(client, f"{CALLBACK}?code=guess&state=guess")
    assert response.status_code == 429 and "Too many failed attempts" in response.text
    assert client.get("/login/sso").status_code == 429


# --- a provider that is down ----------------------------------------------------------------

def test_when_the_provider_is_down_the_password_form_still_works(make_app, app, make_user):
    make_user("ann.aliyeva@uni.test")
    nobody = f"http://127.0.0.1:{free_port()}"      # nothing listens there
    client = make_app(OIDC_ISSUER=nobody, OIDC_CLIENT_ID="x", OIDC_CLIENT_SECRET="y").test_client()
    page = client.get("/login").text
    assert "University account: unavailable" in page and "disabled" in page
    assert 'href="/login/sso' not in page
    response = client.get("/login/sso")
    assert response.status_code == 503 and "unavailable right now" in response.text
    assert 'action="/login"' in response.text
    assert 'action="/login?next=/courses/"' in client.get("/login?next=/courses/").text
    response = client.post("/login", data={"email": "ann.aliyeva@uni.test", "password": PASSWORD})
    assert response.status_code == 302 and signed_in_id(client) is not None


def test_a_provider_that_comes_back_is_offered_again(make_app, app):
    port = free_port()
    client = make_app(OIDC_ISSUER=f"http://127.0.0.1:{port}", OIDC_CLIENT_ID="x", OIDC_CLIENT_SECRET="y",
                      OIDC_RETRY_AFTER=0).test_client()
    assert "University account: unavailable" in client.get("/login").text
    back = LoopbackProvider([CALLBACK], port=port)
    try:
        assert 'id="sso-button" rel="nofollow"' in client.get("/login").text
    finally:
        back.stop()


# --- the rules, called directly --------------------------------------------------------------

def test_rules_refuse_what_cannot_be_matched_or_created(app, make_user):
    by_email = SsoSettings(create_students=True)
    by_student_id = SsoSettings(match_claim="student_id", create_students=True)
    assert account_for_claims({"sub": "x"}, by_email).problem       # no e-mail at all
    assert account_for_claims(dict(ACCOUNTS["cat"], sub="cat"), by_email).problem   # unverified
    outcome = account_for_claims(dict(ACCOUNTS["dan"], sub="dan"), by_student_id)
    assert outcome.user is None and "e-mail" in outcome.problem                      # nothing to create with
    make_user("ben.bekov@uni.test")                 # the e-mail is taken by an account without this student id
    outcome = account_for_claims(dict(ACCOUNTS["ben"], sub="ben"), by_student_id)
    assert outcome.user is None and "another student id" in outcome.problem
    created = account_for_claims(dict(ACCOUNTS["ann"], sub="ann"), by_student_id)
    assert created.created and created.user.student_id == "S-1001" and created.user.email == "ann.aliyeva@uni.test"
    assert json.loads(db.session.scalar(select(AuditEvent.payload).where(AuditEvent.action == "account.created")))[
        "source"] == "single sign-on"


def test_settings_refuse_unknown_managed_roles(app):
    with pytest.raises(ValueError):
        SsoSettings.from_config({**app.config, "OIDC_MANAGED_ROLES": "student,emperor"})


def test_two_first_sign_ins_at_the_same_moment_make_one_account(app):
    settings = SsoSettings(create_students=True)

    def arrive(ready, login):
        ready()
        outcome = account_for_claims(dict(ACCOUNTS[login], sub=login), settings)
        return outcome.user.id if outcome.user else outcome.problem

    results = run_together(app, arrive, [("ben",), ("ben",)])
    db.session.expire_all()
    accounts = db.session.execute(select(User.id).where(User.email == "ben.bekov@uni.test")).scalars().all()
    assert len(accounts) == 1
    assert results.count(accounts[0]) >= 1 and all(r == accounts[0] or isinstance(r, str) for r in results)
    assert audit_actions().count("account.created") == 1


def test_only_the_latest_sign_in_started_in_a_browser_can_finish(sso_client, make_user):
    ann = make_user("ann.aliyeva@uni.test")
    client = sso_client()
    first = sign_in_at_provider(start(client), "ann", CALLBACK)
    second = start(client)                           # clicked again (another tab): the first is forgotten
    with client.session_transaction() as session:
        assert sum(key.startswith("_state_university_") for key in session) == 1
    assert come_back(client, first).status_code == 400
    assert come_back(client, sign_in_at_provider(second, "ann", CALLBACK)).status_code == 302
    assert signed_in_id(client) == ann.id


def test_a_sign_in_started_more_than_an_hour_ago_is_refused(sso_client, make_user):
    make_user("ann.aliyeva@uni.test")
    client = sso_client()
    callback = sign_in_at_provider(start(client), "ann", CALLBACK)
    with client.session_transaction() as session:
        for key in [k for k in session if k.startswith("_state_university_")]:
            session[key] = {**session[key], "exp": time.time() - 1}
    assert come_back(client, callback).status_code == 400 and signed_in_id(client) is None


@pytest.mark.parametrize("kept", ["nonce", "code_verifier"])
def test_an_answer_that_does_not_fit_the_kept_nonce_or_pkce_verifier_is_refused(sso_client, make_user, kept):
    make_user("ann.aliyeva@uni.test")
    client = sso_client()
    callback = sign_in_at_provider(start(client), "ann", CALLBACK)
    with client.session_transaction() as session:
        key = next(k for k in session if k.startswith("_state_university_"))
        data = dict(session[key]["data"])
        data[kept] = data[kept][::-1]               # what an attacker's own sign-in would have kept
        session[key] = {**session[key], "data": data}
    assert come_back(client, callback).status_code == 400 and signed_in_id(client) is None


def test_a_provider_that_goes_down_during_a_sign_in_is_reported_as_unavailable(make_app, app, make_user):
    make_user("ann.aliyeva@uni.test")
    fleeting = LoopbackProvider([CALLBACK])
    try:
        client = make_app(**fleeting.settings(OIDC_RETRY_AFTER=0)).test_client()
        callback = sign_in_at_provider(start(client), "ann", CALLBACK)
    finally:
        fleeting.stop()
    response = come_back(client, callback)
    assert response.status_code == 503 and "unavailable right now" in response.text
    assert signed_in_id(client) is None


def test_an_issuer_without_client_credentials_or_https_stops_the_start(monkeypatch):
    from app.config import oidc_from_environment

    monkeypatch.setenv("OIDC_ISSUER", "https://sso.university.test/realms/students")
    with pytest.raises(ValueError, match="OIDC_CLIENT_ID"):
        oidc_from_environment()
    monkeypatch.setenv("OIDC_CLIENT_ID", "sanaly")
    monkeypatch.setenv("OIDC_CLIENT_SECRET", "secret")
    monkeypatch.setenv("OIDC_CREATE_STUDENTS", "1")
    settings = oidc_from_environment()
    assert settings["OIDC_CREATE_STUDENTS"] is True and settings["OIDC_ROLES_CLAIM"] is None
    assert settings["OIDC_MATCH_CLAIM"] == "email"
    monkeypatch.setenv("OIDC_ISSUER", "http://sso.university.test")
    with pytest.raises(ValueError, match="https"):
        oidc_from_environment()
    monkeypatch.delenv("OIDC_ISSUER")
    assert oidc_from_environment()["OIDC_ISSUER"] is None
