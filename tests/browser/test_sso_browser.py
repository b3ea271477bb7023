"""A student signs in through the university's OpenID provider in a real browser.

The platform and a real provider (`oidc-provider`, tests/oidc/provider.mjs) both listen on loopback;
Chromium follows the button, signs in on the provider's page, consents, and comes back signed in.
"""
import threading

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from app.people.models import Faculty, Group, User
from browser.conftest import check_accessibility
from tests.conftest import PASSWORD, _empty_tables, base_config
from tests.oidc.loopback import LoopbackProvider, free_port


@pytest.fixture(scope="module")
def sso_site(schema, tmp_path_factory):
    """The platform linked to a loopback provider, with one student whose university account is "ann"."""
    provider_port = free_port()
    settings = {"OIDC_ISSUER": f"http://127.0.0.1:{provider_port}", "OIDC_CLIENT_ID": "sanaly-platform",
                "OIDC_CLIENT_SECRET": "loopback-client-secret-for-tests-only", "OIDC_RETRY_AFTER": 0,
                "OIDC_SCOPES": "openid email profile university"}
    app = create_app({**base_config(schema, tmp_path_factory.mktemp("sso")), "WTF_CSRF_ENABLED": True,
                      "SERVER_NAME": None, "TESTING": False, **settings})
    with app.app_context():
        _empty_tables()
        group = Group(code="ЭЭ-24-1", faculty=Faculty(name="Faculty of Energy"))
        ann = User(email="ann.aliyeva@uni.test", full_name="Ann Aliyeva", group=group)
        ann.set_roles({"student"})
        ann.set_password(PASSWORD)
        db.session.add(ann)
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    provider = LoopbackProvider([f"{base}/login/sso/callback"], port=provider_port)
    yield app, base, provider
    provider.stop()
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def page(browser, sso_site):
    _app, base, _provider = sso_site
    context = browser.new_context(viewport={"width": 390, "height": 900}, base_url=base, bypass_csp=True)
    # Only loopback: the provider's development pages ask for a web font the campus network may not reach.
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("http://127.0.0.1")
                  else route.abort())
    page = context.new_page()
    page.set_default_timeout(10000)
    yield page
    context.close()


def test_a_student_signs_in_through_the_university_provider(page, sso_site):
    _app, base, provider = sso_site
    page.goto("/login?next=/courses/")
    assert check_accessibility(page) == []
    page.click("#sso-button")
    page.wait_for_url(f"{provider.issuer}/**")
    page.fill("input[name=login]", "ann")
    page.fill("input[name=password]", "anything")
    page.click("button[type=submit]")
    page.click("button:has-text('Continue')")                       # consent
    page.wait_for_url(f"{base}/courses/")
    assert page.locator("main h1").count() >= 1
    assert page.locator("form[action='/logout']").count() >= 1         # signed in
    page.goto("/profile")
    assert "Ann Aliyeva" in page.locator("main").inner_text()          # as the student the provider named


def test_when_the_provider_is_down_the_button_says_so_and_passwords_still_work(page, sso_site):
    _app, _base, provider = sso_site
    provider.stop()
    try:
        page.goto("/login")
        button = page.locator("#sso-button")
        assert button.is_disabled() and "unavailable" in button.inner_text()
        page.fill("#email", "ann.aliyeva@uni.test")
        page.fill("#password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
        assert page.locator("form[action='/logout']").count() >= 1
    finally:
        provider.start()
