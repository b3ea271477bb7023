"""The hash-chained audit log: it verifies, and any edited, removed or reordered row is caught."""

from sqlalchemy import select, text

from app.audit import service as audit
from app.audit.models import AuditEvent
from app.extensions import db
from tests.conftest import run_together


def write_events(n=5, actor=None):
    for i in range(n):
        audit.record("test.event", actor=actor, subject=f"thing:{i}", payload={"i": i, "name": "Әлия"})
    db.session.commit()


def test_an_untouched_chain_verifies(app):
    write_events()
    report = audit.verify_chain()
    assert report.ok and report.events == 5
    last = db.session.execute(select(AuditEvent).order_by(AuditEvent.seq.desc())).scalars().first()
    assert report.head == last.hash


def test_each_hash_chains_the_previous_one(app):
    write_events(3)
    events = db.session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars().all()
    assert events[0].prev_hash == audit.GENESIS
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]


def test_editing_a_row_in_the_database_is_detected(app):
    write_events()
    db.session.execute(text("UPDATE audit_events SET payload = :p WHERE seq = 3"), {"p": '{"i":99}'})
    db.session.commit()
    report = audit.verify_chain()
    assert not report.ok and report.broken_seq == 3


def test_rehashing_an_edited_row_still_breaks_the_next_link(app):
    write_events()
    row = db.session.execute(select(AuditEvent).where(AuditEvent.seq == 2)).scalar_one()
    forged = audit.event_hash(row.prev_hash, 2, row.occurred_at, row.actor_id, row.action, row.subject, '{"i":7}')
    db.session.execute(text("UPDATE audit_events SET payload = :p, hash = :h WHERE seq = 2"),
                       {"p": '{"i":7}', "h": forged})
    db.session.commit()
    report = audit.verify_chain()
    assert not report.ok and report.broken_seq == 3


def test_deleting_rows_is_detected(app):
    write_events()
    db.session.execute(text("DELETE FROM audit_events WHERE seq = 5"))
    db.session.commit()
    assert not audit.verify_chain().ok
    db.session.execute(text("DELETE FROM audit_events WHERE seq = 2"))
    db.session.commit()
    report = audit.verify_chain()
    assert not report.ok and report.broken_seq == 3


def test_cli_audit_verify_exit_status(app, runner):
    write_events()
    ok = runner.invoke(args=["audit-verify"])
    assert ok.exit_code == 0 and "verifies: 5 events" in ok.output
    db.session.execute(text("UPDATE audit_events SET action = 'other' WHERE seq = 4"))
    db.session.commit()
    broken = runner.invoke(args=["audit-verify"])
    assert broken.exit_code == 1 and "BROKEN at event 4" in broken.output


def test_concurrent_writers_keep_one_unbroken_chain(app):
    def write(ready, n):
        ready()
        for i in range(5):
            audit.record("test.concurrent", subject=f"w{n}:{i}")
            db.session.commit()

    run_together(app, write, [(n,) for n in range(4)])
    report = audit.verify_chain()
    assert report.ok and report.events == 20


def test_admin_audit_page_shows_the_verification(client, make_user, auth):
    boss = make_user("boss@uni.test", roles=("admin",))
    write_events(2, actor=boss)
    auth.login("boss@uni.test")
    page = client.get("/admin/audit/").get_data(as_text=True)
    assert "The chain verifies: 2 events" in page and "test.event" in page
