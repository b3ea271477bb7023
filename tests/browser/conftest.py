"""Browser tests: the demo instance served on loopback, driven by Debian's Chromium through Playwright."""
import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from tests.conftest import FreshUserClient, _empty_tables, base_config, shares_compiled_templates  # noqa: F401

# Debian's headless build of Chromium (package chromium-headless-shell): the same Blink, V8 and network
# stack as /usr/bin/chromium without the desktop browser's layers, which a test never shows; the browser
# process, which spent more CPU than the pages themselves, is a fraction of it. .ci/run installs it.
CHROMIUM = "/usr/lib/chromium/chromium-headless-shell"
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
AXE = Path(__file__).resolve().parent.parent.parent / "node_modules" / "axe-core" / "axe.min.js"


def _missing(what: str):
    message = f"{what} is not installed here; .ci/run installs it"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def live_server(schema, tmp_path_factory, snapshots):
    """The demo instance on a free loopback port, for the whole module."""
    folder = tmp_path_factory.mktemp("live")
    app = shares_compiled_templates(create_app({
        **base_config(schema, folder), "WTF_CSRF_ENABLED": True, "SERVER_NAME": None, "TESTING": False,
        "LOGIN_LIMIT_PER_ADDRESS": "1000 per minute"}))
    with app.app_context():
        _empty_tables()
        demo = snapshots.run(app, app.test_cli_runner(), ("demo",))
        assert demo.exit_code == 0, demo.output
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


def _settling(action):
    """`action` (a click or a key press), then the wait for the page it may have opened to finish loading.

    Playwright returns from a click that submits a form or follows a link once the new page is committed, before
    its body is parsed; a check made straight after could read the old page or half of the new one. A click that
    opens no page finds its page loaded already and goes on at once.
    """
    def act_and_settle(self, *args, **kwargs):
        frame = self.owner_frame() if hasattr(self, "owner_frame") else (self if hasattr(self, "goto") else self.page)
        result = action(self, *args, **kwargs)
        frame.wait_for_load_state()
        return result
    return act_and_settle


@pytest.fixture(scope="session", autouse=True)
def _actions_wait_for_the_page_they_open():
    try:
        from playwright.sync_api import ElementHandle, Locator, Page
    except ImportError:         # the browser fixture says what is missing
        yield
        return
    with pytest.MonkeyPatch.context() as patch:
        for kind in (Page, Locator, ElementHandle):
            for name in ("click", "press"):
                patch.setattr(kind, name, _settling(getattr(kind, name)))
        yield


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        _missing("Debian's Chromium headless shell (apt-get install chromium-headless-shell)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
            "--disable-component-update", "--no-first-run"])
        yield browser
        browser.close()


@pytest.fixture
def page_for(browser, live_server, request):
    """Open a signed-in page (or an anonymous one with email None); screenshot it if the test fails."""
    _app, base = live_server
    contexts = []

    def open_page(email=None, *, width=390):
        context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True, base_url=base,
                                      bypass_csp=True)  # only so that axe-core can be injected
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10000)
        if email:
            page.goto("/login")
            page.fill("#email", email)
            page.fill("#password", "demo-password")
            page.click("main button[type=submit]")
            page.wait_for_url(lambda url: "/login" not in url)
        return page

    yield open_page
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for index, context in enumerate(contexts):
        if failed:
            ARTIFACTS.mkdir(exist_ok=True)
            for number, page in enumerate(context.pages):
                page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{index}-{number}.png"), full_page=True)
        context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def check_accessibility(page) -> list:
    """Run axe-core on the page; return the serious and critical violations."""
    if not AXE.exists():
        _missing("axe-core (npm install axe-core)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in result["violations"] if v["impact"] in ("serious", "critical")]
