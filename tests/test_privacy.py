"""Personal data: who looked at whom, consent to the notice, a person's own copy, erasure that keeps the
figures, retention and the register of processing."""
import io
import json
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import ForeignKey, func, select

from app.extensions import db
from app.people.models import Group, User
from app.privacy import notice, providers
from app.privacy.models import AccessLogEntry, Consent, Erasure
from app.reports.models import Report

NOW = datetime(2026, 12, 4, 9, 0)


@pytest.fixture
def clock(app):
    moment = {"now": NOW}
    app.config["NOW_FUNCTION"] = lambda: moment["now"]
    return moment


def make_report(reporter=None, *, status="received", closed_on=None, what="Someone asked for money") -> Report:
    report = Report(code=f"R-{Report.query.count() + 1:04d}", passphrase_hash="x", category="bribe", what=what,
                    anonymous=reporter is None, reporter_id=getattr(reporter, "id", None),
                    contact="+7 700 000 0000" if reporter else "", status=status, received_on=date(2026, 11, 1),
                    due_on=date(2026, 11, 11), closed_on=closed_on)
    db.session.add(report)
    db.session.commit()
    return report


# --- every place that names a person is declared --------------------------------------------------------

def test_every_column_pointing_at_a_person_belongs_to_a_declaration(app):
    declared = {(h.table, column) for _f, _l, h in providers.holdings() for column in h.columns}
    missing = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column.table.name == "users" for fk in column.foreign_keys):
                if (table.name, column.name) not in declared:
                    missing.append(f"{table.name}.{column.name}")
    assert ("users", "id") in declared
    assert missing == [], "declare these in the feature's personal_data.HOLDINGS"


def test_every_feature_answers_for_a_person_it_does_not_know(app):
    data = providers.personal_data_of(123456)
    assert set(data) == {feature for feature, _label in providers.FEATURES}
    json.dumps(data)


# --- who looked at whom -----------------------------------------------------------------------------------

def test_the_dpo_reads_who_opened_a_person_a_case_and_an_export(app, client, auth, make_user, make_group):
    group = make_group()
    student = make_user(group=group, name="Aruzhan Bekova")
    admin = make_user(roles=("admin",), name="Gulnara Abenova")
    dpo = make_user(roles=("dpo",), name="Data Officer")
    report = make_report()
    auth.login(admin.email)
    assert client.get(f"/admin/people/{student.id}").status_code == 200
    assert client.get(f"/admin/reports/{report.id}").status_code == 200
    assert client.get(f"/coverage/groups/{group.id}.csv").status_code == 200
    assert client.get(f"/admin/people/{student.id + 1000}").status_code == 404      # nothing shown: nothing logged
    assert client.get("/admin/people").status_code == 200                            # a list is not a person's page
    entries = db.session.execute(select(AccessLogEntry).order_by(AccessLogEntry.id)).scalars().all()
    assert [(e.viewer_id, e.kind, e.subject) for e in entries] == [
        (admin.id, "person", f"user:{student.id}"), (admin.id, "report", f"report:{report.id}"),
        (admin.id, "export", f"group:{group.id}")]
    assert entries[0].subject_user_id == student.id
    assert client.get("/privacy/access-log").status_code == 403                      # the ACS does not read it
    auth.logout()

    auth.login(dpo.email)
    page = client.get("/privacy/access-log").get_data(as_text=True)
    assert "Gulnara Abenova" in page and f"<code>user:{student.id}</code>" in page and f"report:{report.id}" in page
    filtered = client.get("/privacy/access-log?kind=report").get_data(as_text=True)
    assert f"report:{report.id}" in filtered and f"<code>user:{student.id}</code>" not in filtered
    assert "<code>user:" not in client.get("/privacy/access-log?viewer=nobody").get_data(as_text=True)
    assert "<code>user:" not in client.get("/privacy/access-log?from=2000-01-01&to=2000-01-02").get_data(as_text=True)
    assert "<code>user:" in client.get("/privacy/access-log?viewer=abenova").get_data(as_text=True)
    assert client.get("/privacy/access-log?from=nonsense").status_code == 200
    for page in (f"/admin/people/{student.id}", "/admin/people", f"/admin/reports/{report.id}", "/admin/",
                 f"/coverage/groups/{group.id}", f"/admin/privacy/people/{student.id}", "/admin/privacy/"):
        assert client.get(page).status_code == 403, page                              # the log and nothing else
    auth.logout()
    auth.login(student.email)
    assert client.get("/privacy/access-log").status_code == 403


def test_the_access_log_pages_through_its_entries(app, client, auth, make_user, clock):
    from app.privacy.access_log import record_access, search_log

    viewer = make_user(roles=("admin",))
    for number in range(120):
        record_access(viewer.id, "person", f"user:{number}", at=NOW - timedelta(minutes=number))
    db.session.commit()
    first = search_log(page=1, per_page=50)
    last = search_log(page=3, per_page=50)
    assert (first.total, first.pages, len(first.entries), len(last.entries)) == (120, 3, 50, 20)
    assert first.entries[0].subject == "user:0" and last.entries[-1].subject == "user:119"
    assert search_log(page=99, per_page=50).page == 3


# --- consent to the notice ---------------------------------------------------------------------------------

def test_without_a_notice_nobody_is_stopped(app, client, auth, make_user):
    student = make_user()
    auth.login(student.email)
    assert client.get("/profile").status_code == 200


def test_a_notice_is_asked_at_first_sign_in_and_again_for_each_new_version(app, client, auth, make_user, clock):
    admin = make_user(roles=("admin",))
    student = make_user()
    notice.publish_notice({"en": "We keep your name.", "kk": "Атыңызды сақтаймыз.", "ru": "Мы храним имя."},
                          admin.id, NOW)
    db.session.commit()
    auth.login(student.email)
    response = client.get("/profile")
    assert response.status_code == 302 and "/privacy/consent" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "We keep your name." in page
    assert client.post("/language/ru").status_code == 302                        # the language switch still works
    assert "Мы храним имя." in client.get("/privacy/consent").get_data(as_text=True)
    clock["now"] = NOW + timedelta(minutes=5)
    done = client.post("/privacy/consent", data={"next": "/profile"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/profile")
    assert client.get("/profile").status_code == 200
    consent = db.session.execute(select(Consent).where(Consent.user_id == student.id)).scalar_one()
    assert (consent.version, consent.given_at) == (1, NOW + timedelta(minutes=5))

    notice.publish_notice({"en": "We also keep your XP."}, admin.id, NOW + timedelta(days=1))
    db.session.commit()
    assert "/privacy/consent" in client.get("/").headers["Location"]
    client.post("/language/en")
    page = client.get("/privacy/consent").get_data(as_text=True)
    assert "We also keep your XP." in page and "has changed" in page
    client.post("/privacy/consent", data={"next": "/"})
    assert [c.version for c in notice.consents_of(student.id)] == [1, 2]
    assert client.get("/").status_code == 200


def test_the_acs_publishes_a_notice_in_three_languages(app, client, auth, make_user, clock):
    admin = make_user(roles=("admin",))
    auth.login(admin.email)
    refused = client.post("/admin/privacy/notice", data={"text_en": "", "text_kk": "Қазақша мәтін", "text_ru": ""})
    assert refused.status_code == 200 and "Қазақша мәтін" in refused.get_data(as_text=True)
    assert notice.current_notice() is None
    asked = client.post("/admin/privacy/notice", data={"text_en": "English", "text_kk": "Қазақша", "text_ru": "Русский"})
    assert "confirmed" in asked.get_data(as_text=True) and notice.current_notice() is None
    client.post("/admin/privacy/notice", data={"text_en": "English", "text_kk": "Қазақша", "text_ru": "Русский",
                                               "confirmed": "yes"})
    current = notice.current_notice()
    assert (current.version, current.text_kk, current.published_by_id) == (1, "Қазақша", admin.id)
    # the ACS, too, is asked before anything else
    assert "/privacy/consent" in client.get("/admin/").headers["Location"]


def test_the_demo_has_a_notice_its_accounts_agreed_to(app, runner, client, auth):
    assert runner.invoke(args=["demo"]).exit_code == 0
    current = notice.current_notice()
    assert current.version == 1 and current.text_kk and current.text_ru
    assert auth.login("student1@sanaly.test", "demo-password").status_code == 302
    assert client.get("/").status_code == 200
    assert runner.invoke(args=["demo"]).exit_code == 0                          # twice is safe
    assert notice.current_notice().version == 1
