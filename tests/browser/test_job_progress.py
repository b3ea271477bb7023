"""A bulk job's progress bar in the browser: the ACS invites a group and watches the bar reach 100%."""
import threading

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from app.people.models import Faculty, Group, User
from browser.conftest import check_accessibility
from tests.conftest import _empty_tables, base_config
from tests.mail_server import MailServer

STUDENTS = 60


@pytest.fixture(scope="module")
def mail_server():
    with MailServer() as server:
        yield server


@pytest.fixture(scope="module")
def jobs_server(schema, tmp_path_factory, mail_server):
    """The platform on loopback with jobs in a thread of the server (no Redis) and a real SMTP server."""
    folder = tmp_path_factory.mktemp("jobs-live")
    app = create_app({**base_config(schema, folder), **mail_server.settings, "WTF_CSRF_ENABLED": True,
                      "SERVER_NAME": None, "TESTING": False, "JOBS_MODE": "thread"})
    with app.app_context():
        _empty_tables()
        group = Group(code="ЭЭ-24-1", faculty=Faculty(name="Faculty of Energy"))
        officer = User(email="officer@uni.test", full_name="Officer")
        officer.set_roles({"admin"})
        officer.set_password("demo-password")
        db.session.add_all([group, officer] + [
            User(email=f"new{n}@uni.test", full_name=f"Student {n}", group=group, language=("kk", "ru", "")[n % 3])
            for n in range(STUDENTS)])
        db.session.commit()
        group_id = group.id
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}", group_id
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


def test_the_invitation_jobs_progress_bar_reaches_100_percent(browser, jobs_server, mail_server):
    _app, base, group_id = jobs_server
    context = browser.new_context(base_url=base, viewport={"width": 390, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(30000)
    try:
        page.goto("/login")
        page.fill("#email", "officer@uni.test")
        page.fill("#password", "demo-password")
        page.click("main button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
        page.goto(f"/admin/groups/{group_id}")
        page.click("text=Invite the group by e-mail")
        page.wait_for_url("**/jobs/*")
        page.wait_for_function("document.getElementById('job-progress').value === 100", timeout=60000)
        page.wait_for_selector("text=Finished")
        assert page.locator("#job-percent").inner_text() == "100"
        assert len(mail_server.inbox.messages) == STUDENTS
        assert check_accessibility(page) == []
    finally:
        context.close()
