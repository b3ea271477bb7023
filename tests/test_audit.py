"""The audit log an outsider can hold to account.

Every field of an event is hashed in one canonical encoding; the events are the leaves of an
RFC 9162 Merkle tree; checkpoints of it are signed with a key the database does not hold; and a
standalone verifier proves that the log as it is now still holds what a saved checkpoint covered.
Someone with the database can make the chain agree with itself again — never with a checkpoint.
"""
import base64
import hashlib
import json
import logging
import os
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import func, select, text
from werkzeug.serving import make_server

from app.audit import keys
from app.audit import service as audit
from app.audit import verify_audit
from app.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from app.extensions import db
from tests.conftest import TEST_AUDIT_KEY, run_together

VERIFIER = Path(verify_audit.__file__)
DAY = datetime(2025, 3, 14, 9, 30, 0, 250000)


def write_events(n=5, actor=None, now=DAY, action="test.event"):
    for i in range(n):
        audit.record(action, actor=actor, subject=f"thing:{i}", payload={"i": i, "name": "Әлия"},
                     now=now + timedelta(microseconds=137 * i))
    db.session.commit()


def event(seq) -> AuditEvent:
    return db.session.execute(select(AuditEvent).where(AuditEvent.seq == seq)).scalar_one()


def checkpoint_now(reason="command") -> AuditCheckpoint:
    checkpoint = audit.take_checkpoint(reason, now=DAY + timedelta(hours=1))
    db.session.commit()
    return checkpoint


def forge_every_hash():
    """Do what an attacker with the database and the published algorithm does: rehash everything, fix the head."""
    db.session.expire_all()
    previous = audit.GENESIS
    events = db.session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars().all()
    for row in events:
        row.prev_hash = previous
        row.hash = verify_audit.leaf_hash(verify_audit.canonical_entry(audit.entry_fields(row))).hex()
        previous = row.hash
    head = db.session.get(AuditHead, 1)
    head.seq, head.hash = (events[-1].seq if events else 0), previous
    db.session.commit()


def delete_last_events_and_fix_the_head(count):
    last = db.session.scalar(select(func.max(AuditEvent.seq)))
    db.session.execute(text("DELETE FROM audit_events WHERE seq > :s"), {"s": last - count})
    kept = event(last - count)
    db.session.execute(text("UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1"), {"s": kept.seq, "h": kept.hash})
    db.session.commit()


def delete_stored_checkpoints():
    db.session.execute(text("DELETE FROM audit_checkpoints"))
    db.session.commit()


# --- the chain -------------------------------------------------------------------------------------

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
    row = event(2)
    forged = verify_audit.leaf_hash(verify_audit.canonical_entry({**audit.entry_fields(row), "payload": '{"i":7}'})).hex()
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


# --- every field, in one canonical encoding ---------------------------------------------------------

@pytest.mark.parametrize("column, value", [
    ("occurred_at", datetime(2025, 3, 14, 9, 30, 1)), ("actor_id", None), ("action", "score.sealed"),
    ("subject", "thing:9"), ("payload", '{"i":9,"name":"Әлия"}'), ("encoding", 1),
])
def test_changing_any_field_of_an_event_is_detected(app, make_user, column, value):
    write_events(4, actor=make_user())
    db.session.execute(text(f"UPDATE audit_events SET {column} = :value WHERE seq = 3"), {"value": value})
    db.session.commit()
    report = audit.verify_chain()
    assert not report.ok and report.broken_seq == 3


def test_moving_an_event_by_one_microsecond_is_detected(app):
    write_events()
    moved = event(3).occurred_at + timedelta(microseconds=1)
    db.session.execute(text("UPDATE audit_events SET occurred_at = :t WHERE seq = 3"), {"t": moved})
    db.session.commit()
    report = audit.verify_chain()
    assert not report.ok and report.broken_seq == 3


def test_an_event_keeps_its_time_to_the_microsecond(app):
    audit.record("test.event", now=datetime(2025, 3, 14, 9, 30, 0, 123456))
    db.session.commit()
    db.session.expire_all()
    assert event(1).occurred_at == datetime(2025, 3, 14, 9, 30, 0, 123456)


def test_the_entry_is_canonical_json_of_every_typed_field(app, make_user):
    juror = make_user()
    audit.record("score.sealed", actor=juror, subject="entry:E-42", payload={"values": {"b": 2, "a": 1}},
                 now=datetime(2025, 3, 14, 9, 30, 0, 5))
    db.session.commit()
    entry = verify_audit.canonical_entry(audit.entry_fields(event(1)))
    assert entry == ('{"action":"score.sealed","actor_id":' + str(juror.id) + ',"occurred_at":"2025-03-14T09:30:00.000005Z",'
                     '"payload":"{\\"values\\":{\\"a\\":1,\\"b\\":2}}","prev_hash":"' + "0" * 64 + '",'
                     '"seq":1,"subject":"entry:E-42","v":2}').encode()
    assert event(1).hash == hashlib.sha256(b"\x00" + entry).hexdigest()
    with pytest.raises(verify_audit.Problem):     # a number where a string belongs is not the same entry
        verify_audit.canonical_entry({**audit.entry_fields(event(1)), "subject": 42})


def _chained_events(count: int) -> list[dict]:
    """Events as an export carries them, chained and hashed the way the platform writes them."""
    events, previous = [], verify_audit.GENESIS
    for seq in range(1, count + 1):
        fields = {"seq": seq, "encoding": 2, "occurred_at": f"2025-03-14T09:30:0{seq}.000123Z", "actor_id": 7,
                  "action": "score.sealed", "subject": f"entry:{seq}", "payload": '{"a":1}', "prev_hash": previous}
        fields["hash"] = previous = verify_audit.leaf_hash(verify_audit.canonical_entry(fields)).hex()
        events.append(fields)
    return events


def _problem(check, *args) -> verify_audit.Problem:
    with pytest.raises(verify_audit.Problem) as raised:
        check(*args)
    return raised.value


def test_every_wrongly_typed_or_written_field_of_an_entry_is_named():
    good = _chained_events(2)[1]          # its prev_hash has letters, unlike the genesis hash
    wrong = {
        "encoding": ("2", "event field v must be an integer"),
        "seq": (True, "event field seq must be an integer"),      # a boolean is no sequence number
        "actor_id": ("7", "event field actor_id must be an integer or null"),
        "occurred_at": (None, "event field occurred_at must be a string"),
        "action": (1, "event field action must be a string"),
        "subject": (42, "event field subject must be a string"),
        "payload": ({"a": 1}, "event field payload must be a string"),
        "prev_hash": (0, "event field prev_hash must be a string"),
    }
    for name, (value, message) in wrong.items():
        assert str(_problem(verify_audit.canonical_entry, {**good, name: value})) == message, name
    moment = "occurred_at must be UTC with microseconds, like 2025-01-31T09:15:02.123456Z"
    for value in ("2025-03-14T09:30:01Z", "2025-03-14T09:30:01.000123", "2025-03-14 09:30:01.000123Z"):
        assert str(_problem(verify_audit.canonical_entry, {**good, "occurred_at": value})) == moment
    for value in (good["prev_hash"].upper(), good["prev_hash"][:-1], good["prev_hash"] + "0"):
        assert str(_problem(verify_audit.canonical_entry, {**good, "prev_hash": value})) == (
            "prev_hash must be 64 lowercase hexadecimal digits")
    assert verify_audit.canonical_entry({**good, "actor_id": None}).startswith(b'{"action":"score.sealed","actor_id":null,')


def test_each_broken_link_of_a_chain_is_named_with_the_event_it_breaks():
    events = _chained_events(3)
    assert len(verify_audit.replay(events)) == 3
    assert str(_problem(verify_audit.check_event, events[2], 2, events[0]["hash"])) == "sequence jumps from 1 to 3"
    assert str(_problem(verify_audit.check_event, events[0], 5, verify_audit.GENESIS)) == "sequence jumps from 4 to 1"
    assert str(_problem(verify_audit.check_event, {**events[1], "hash": "0" * 64}, 2, events[0]["hash"])) == (
        "content does not match its hash")
    legacy = {**events[0], "encoding": 1, "occurred_at": "2025-03-14T09:30:01.000000Z"}
    assert str(_problem(verify_audit.check_event, legacy, 1, verify_audit.GENESIS)) == "content does not match its hash"
    legacy["hash"] = verify_audit.legacy_hash(legacy)
    assert verify_audit.check_event(legacy, 1, verify_audit.GENESIS) == verify_audit.leaf_hash(
        verify_audit.canonical_entry(legacy))
    assert str(_problem(verify_audit.check_event, {**events[0], "encoding": 3}, 1, verify_audit.GENESIS)) == (
        "unknown encoding 3")
    # replay names the event: by its own number when it has one, else by the place it stands in.
    cases = [
        ([{**events[0], "encoding": 3}], "event 1: unknown encoding 3", 1),
        ([events[0], {k: v for k, v in events[1].items() if k != "payload"}], "event 2: field 'payload' is missing", 2),
        ([events[0], {k: v for k, v in events[1].items() if k != "seq"}], "event 2: sequence jumps from 1 to None", 2),
        ([events[0], {**events[1], "seq": "2"}], "event 2: sequence jumps from 1 to 2", 2),
        ([events[0], events[2]], "event 3: sequence jumps from 1 to 3", 3),
    ]
    for chain, message, seq in cases:
        problem = _problem(verify_audit.replay, chain)
        assert (str(problem), problem.seq) == (message, seq)
        assert type(problem.seq) is int


def _legacy_event(seq, prev, when, action="score.sealed", payload='{"values":{"a":5}}'):
    """An event as the log wrote it before checkpoints: encoding 1, to the second."""
    fields = {"seq": seq, "encoding": 1, "occurred_at": audit.moment(when), "actor_id": None, "action": action,
              "subject": f"entry:{seq}", "payload": payload, "prev_hash": prev}
    digest = verify_audit.legacy_hash(fields)
    db.session.execute(text(
        "INSERT INTO audit_events (seq, occurred_at, actor_id, action, subject, payload, encoding, prev_hash, hash)"
        " VALUES (:seq, :at, NULL, :action, :subject, :payload, 1, :prev, :hash)"),
        {"seq": seq, "at": when, "action": action, "subject": fields["subject"], "payload": payload,
         "prev": prev, "hash": digest})
    return digest


def test_events_written_before_checkpoints_keep_their_hashes_and_the_log_chains_on(app):
    previous = audit.GENESIS
    for seq in (1, 2, 3):
        previous = _legacy_event(seq, previous, datetime(2024, 11, 25, 12, 0, seq))
    db.session.execute(text("UPDATE audit_head SET seq = 3, hash = :h WHERE id = 1"), {"h": previous})
    db.session.commit()
    published = event(3).hash
    write_events(2, now=datetime(2024, 11, 25, 13, 0))
    assert audit.verify_chain().ok and event(3).hash == published and event(4).prev_hash == published
    assert checkpoint_now().size == 5
    # Encoding 1 hashed the time to the second, but its writer never kept a fraction: adding one is caught.
    db.session.execute(text("UPDATE audit_events SET occurred_at = :t WHERE seq = 2"),
                       {"t": datetime(2024, 11, 25, 12, 0, 2, 1)})
    db.session.commit()
    report = audit.verify_chain()
    assert not report.ok and report.broken_seq == 2


def test_upgrading_keeps_every_published_hash_and_the_log_chains_on(tmp_path, make_app):
    from flask_migrate import upgrade

    path = tmp_path / "old.db"
    old = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    with old.app_context():
        upgrade(revision="0013_notification_messages")
        previous = audit.GENESIS
        with db.engine.begin() as connection:
            for seq in (1, 2, 3):
                at = datetime(2024, 11, 25, 12, 0, seq)
                # Exactly what the log computed before checkpoints existed.
                body = json.dumps({"seq": seq, "occurred_at": at.isoformat(timespec="seconds"), "actor_id": None,
                                   "action": "score.sealed", "subject": f"entry:{seq}", "payload": "{}"},
                                  sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                digest = hashlib.sha256((previous + body).encode()).hexdigest()
                connection.execute(text(
                    "INSERT INTO audit_events (seq, occurred_at, action, subject, payload, prev_hash, hash)"
                    " VALUES (:seq, :at, 'score.sealed', :subject, '{}', :prev, :hash)"),
                    {"seq": seq, "at": at, "subject": f"entry:{seq}", "prev": previous, "hash": digest})
                previous = digest
            connection.execute(text("UPDATE audit_head SET seq = 3, hash = :h"), {"h": previous})
        upgrade()
        assert audit.verify_chain().ok and event(3).hash == previous and event(3).encoding == 1
        audit.record("test.event", now=datetime(2024, 11, 25, 13, 0, 0, 42))
        db.session.commit()
        assert (event(4).encoding, event(4).prev_hash) == (2, previous) and audit.verify_chain().ok
        db.session.remove()
        db.engine.dispose()


# --- the Merkle tree -------------------------------------------------------------------------------

RFC_6962_LEAVES = [b"", b"\x00", b"\x10", b"\x20\x21", b"\x30\x31", b"\x40\x41\x42\x43",
                   bytes(range(0x50, 0x58)), bytes(range(0x60, 0x70))]
RFC_6962_ROOTS = {   # the Certificate Transparency reference implementation's test vectors
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}


def test_merkle_roots_match_the_certificate_transparency_test_vectors():
    leaves = [verify_audit.leaf_hash(data) for data in RFC_6962_LEAVES]
    assert {n: verify_audit.tree_hash(leaves[:n]).hex() for n in RFC_6962_ROOTS} == RFC_6962_ROOTS
    assert verify_audit.roots_at(leaves, RFC_6962_ROOTS)[8].hex() == RFC_6962_ROOTS[8]
    assert [p.hex()[:8] for p in verify_audit.consistency_proof(leaves, 6, 8)] == ["0ebc5d34", "ca854ea1", "d37ee418"]


def test_consistency_proofs_hold_for_every_pair_of_sizes_and_fail_for_a_changed_prefix():
    leaves = [verify_audit.leaf_hash(str(i).encode()) for i in range(40)]
    roots = verify_audit.roots_at(leaves, range(41))
    for second in range(41):
        assert roots[second] == verify_audit.tree_hash(leaves[:second])
        for first in range(second + 1):
            proof = verify_audit.consistency_proof(leaves, first, second)
            assert verify_audit.verify_consistency(first, second, roots[first], roots[second], proof), (first, second)
            if 0 < first < second:
                rewritten = leaves[:first - 1] + [verify_audit.leaf_hash(b"forged")] + leaves[first:]
                forged = verify_audit.consistency_proof(rewritten, first, second)
                assert not verify_audit.verify_consistency(first, second, roots[first],
                                                           verify_audit.tree_hash(rewritten[:second]), forged)
                assert not verify_audit.verify_consistency(first, second, roots[first], roots[second], proof[:-1])


# --- signed checkpoints ----------------------------------------------------------------------------

def test_a_checkpoint_is_a_c2sp_signed_note_that_the_public_key_verifies(app):
    write_events()
    note = checkpoint_now().note
    origin, size, root, blank, signature_line, end = note.split("\n")
    assert (size, blank, end) == ("5", "", "")
    leaves = [bytes.fromhex(e.hash) for e in db.session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars()]
    assert base64.b64decode(root) == verify_audit.tree_hash(leaves)
    dash, name, signature = signature_line.split(" ")
    assert (dash, name) == ("\u2014", origin)
    public = Ed25519PrivateKey.from_private_bytes(base64.b64decode(TEST_AUDIT_KEY)).public_key()
    raw = public.public_bytes_raw()
    signature = base64.b64decode(signature)
    assert signature[:4] == hashlib.sha256(origin.encode() + b"\n\x01" + raw).digest()[:4]
    public.verify(signature[4:], f"{origin}\n{size}\n{root}\n".encode())       # raises if it does not verify
    encoded = base64.b64encode(b"\x01" + raw).decode()
    assert keys.verifier_key() == f"{origin}+{signature[:4].hex()}+{encoded}"


def test_the_signing_key_is_created_once_outside_the_database_with_mode_0600(make_app, tmp_path):
    path = tmp_path / "keys" / "audit_signing_key"
    other = make_app(AUDIT_SIGNING_KEY=None, AUDIT_SIGNING_KEY_FILE=str(path))
    with other.app_context():
        first = keys.verifier_key()
        assert path.stat().st_mode & 0o777 == 0o600
        other.extensions.pop("audit_signing_key")
        assert keys.verifier_key() == first
        seed = path.read_text().strip()
        stored = [str(row) for table in db.metadata.sorted_tables for row in db.session.execute(table.select())]
        assert not any(seed in row for row in stored)
        other.extensions.pop("audit_signing_key")
        assert keys.ensure_signing_key() is None                 # already there: nothing to announce
        db.session.remove()


def test_a_command_that_creates_the_key_is_told_where_it_is(make_app, tmp_path):
    path = tmp_path / "audit_signing_key"
    other = make_app(AUDIT_SIGNING_KEY=None, AUDIT_SIGNING_KEY_FILE=str(path))
    with other.app_context():
        assert keys.ensure_signing_key() == path and path.exists()
        assert keys.ensure_signing_key() is None
        db.session.remove()


def test_pure_python_signature_check_agrees_with_cryptography():
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    for message in (b"", b"sanaly\n5\nAAAA\n", os.urandom(300)):
        signature = key.sign(message)
        assert verify_audit._ed25519_verify_reference(public, message, signature)
        assert not verify_audit._ed25519_verify_reference(public, message + b"!", signature)
        assert not verify_audit._ed25519_verify_reference(public, message, signature[:-1] + bytes([signature[-1] ^ 1]))


def _signed_note(body: str, key: Ed25519PrivateKey, name: str = "sanaly-test") -> str:
    public = key.public_key().public_bytes_raw()
    return body + "\n" + verify_audit.signature_line(name, public, key.sign(body.encode()))


def test_a_verifier_key_is_read_exactly_and_every_malformed_one_is_named():
    key = Ed25519PrivateKey.generate()
    # A key whose base64 holds '+': only the first two '+' separate the parts.
    while "+" not in base64.b64encode(b"\x01" + key.public_key().public_bytes_raw()).decode():
        key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    text = verify_audit.verifier_key("sanaly-test", public)
    name, hex_id, encoded = text.split("+", 2)
    assert verify_audit.parse_verifier_key(f"  {text}\n") == ("sanaly-test", bytes.fromhex(hex_id), public)
    assert verify_audit.parse_verifier_key(f"{name}+{hex_id.upper()}+{encoded}")[1] == bytes.fromhex(hex_id)
    malformed = {
        "sanaly-test+abcd": "a key looks like name\\+1234abcd\\+base64",
        f"{name}+{hex_id}+not base64!": "the key's last part is not base64",
        f"{name}+{hex_id}+{encoded[:4]}!{encoded[4:]}": "the key's last part is not base64",   # strictly base64
        f"{name}+{hex_id}+" + base64.b64encode(public).decode(): "not an Ed25519 key",
        f"{name}+{hex_id}+" + base64.b64encode(b"\x02" + public).decode(): "not an Ed25519 key",
        f"{name}+{hex_id}+" + base64.b64encode(b"\x01" + public + b"\x00").decode(): "not an Ed25519 key",
        f"other+{hex_id}+{encoded}": "the key's id does not match its name and key",
        f"{name}+{hex_id[:-1]}0+{encoded}" if hex_id[-1] != "0" else f"{name}+{hex_id[:-1]}1+{encoded}":
            "the key's id does not match its name and key",
    }
    for bad, message in malformed.items():
        with pytest.raises(verify_audit.Problem, match=f"^{message}$"):
            verify_audit.parse_verifier_key(bad)


def test_a_checkpoint_note_is_read_exactly_and_every_malformed_one_is_named():
    key = Ed25519PrivateKey.generate()
    root = hashlib.sha256(b"root").digest()
    body = verify_audit.note_body("sanaly-test", 12, root)
    assert body == f"sanaly-test\n12\n{base64.b64encode(root).decode()}\n"
    note = _signed_note(body, key)
    origin, size, parsed_root, parsed_body, signatures = verify_audit.parse_checkpoint(note)
    public = key.public_key().public_bytes_raw()
    assert (origin, size, parsed_root, parsed_body) == ("sanaly-test", 12, root, body)
    assert [(s, k) for s, k, _sig in signatures] == [("sanaly-test", verify_audit.key_id("sanaly-test", public))]
    assert len(signatures[0][2]) == 64
    other = _signed_note(body, Ed25519PrivateKey.generate(), "witness")
    assert len(verify_audit.parse_checkpoint(note + other.split("\n\n")[1])[4]) == 2   # more than one signature
    checkpoint = verify_audit.verify_checkpoint(note, verify_audit.verifier_key("sanaly-test", public))
    assert (checkpoint.origin, checkpoint.size, checkpoint.root, checkpoint.note) == ("sanaly-test", 12, root, note)
    encoded = base64.b64encode(root).decode()
    malformed = {
        note[:-1]: "a note ends with a newline and has no control characters",
        note.replace("12", "1\t2"): "a note ends with a newline and has no control characters",
        body: "a note has a blank line before its signatures",
        body + "\nsigned by me\n": "not a signature line: 'signed by me'",
        body + "\n\u2014 sanaly-test ***\n": "a signature is not base64",
        body + "\n\u2014 sanaly-test " + base64.b64encode(b"1234").decode() + "\n": "a signature is too short",
        body + "\n": "the note has no signature",
        _signed_note("sanaly-test\n12\n", key): "a checkpoint has an origin, a size and a root hash line",
        _signed_note(f"\n12\n{encoded}\n", key): "a checkpoint has an origin, a size and a root hash line",
        _signed_note(f"sanaly-test\n012\n{encoded}\n", key): "the size line is not a decimal number",
        _signed_note(f"sanaly-test\n-1\n{encoded}\n", key): "the size line is not a decimal number",
        _signed_note(f"sanaly-test\n12\n{encoded[:-4]}\n", key): "the root hash line is not base64 of 32 bytes",
        _signed_note(f"sanaly-test\n12\n{encoded[:-2]}\n", key): "the root hash line is not base64 of 32 bytes",
        _signed_note(f"sanaly-test\n12\n*{encoded[1:]}\n", key): "the root hash line is not base64 of 32 bytes",
    }
    for bad, message in malformed.items():
        with pytest.raises(verify_audit.Problem, match=f"^{message}$"):
            verify_audit.parse_checkpoint(bad)
    with pytest.raises(verify_audit.Problem, match="^not a signature line: '" + "x" * 60 + "'$"):
        verify_audit.parse_checkpoint(body + "\n" + "x" * 100 + "\n")
    with pytest.raises(verify_audit.Problem, match="^a checkpoint has an origin, a size and a root hash line$"):
        verify_audit.parse_checkpoint("\n\n" + note.split("\n\n")[1])
    shortest = body + "\n\u2014 sanaly-test " + base64.b64encode(b"\x01\x02\x03\x04\x05").decode() + "\n"
    assert verify_audit.parse_checkpoint(shortest)[4] == [("sanaly-test", b"\x01\x02\x03\x04", b"\x05")]
    # The signatures are the lines after the last blank line; what is before it is the signed text.
    doubled = body + "\n" + note[len(body):]
    assert verify_audit.parse_checkpoint(doubled)[3] == body + "\n"
    assert verify_audit.parse_checkpoint(_signed_note(f"sanaly-test\n0\n{encoded}\n", key))[1] == 0
    assert verify_audit.parse_checkpoint(_signed_note(f"sanaly-test\n12\n{encoded}\nextension\n", key))[1] == 12


def test_a_checkpoint_verifies_only_under_its_own_log_name_and_key():
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    body = verify_audit.note_body("sanaly-test", 3, hashlib.sha256(b"r").digest())
    note = _signed_note(body, key)
    wanted = verify_audit.verifier_key("sanaly-test", public)
    assert verify_audit.verify_checkpoint(note, wanted).size == 3
    with pytest.raises(verify_audit.Problem, match="^the checkpoint is of log 'sanaly-test', the key is 'other''s$"):
        verify_audit.verify_checkpoint(note, verify_audit.verifier_key("other", public))
    stranger = _signed_note(body, Ed25519PrivateKey.generate())
    with pytest.raises(verify_audit.Problem, match="^the checkpoint carries no signature by this key$"):
        verify_audit.verify_checkpoint(stranger, wanted)
    altered = note.replace("\n3\n", "\n4\n")
    with pytest.raises(verify_audit.Problem, match="^the checkpoint's signature does not verify: it was altered"):
        verify_audit.verify_checkpoint(altered, wanted)
    witnessed = note + _signed_note(body, Ed25519PrivateKey.generate(), "witness").split("\n\n")[1]
    assert verify_audit.verify_checkpoint(witnessed, wanted).size == 3      # another signer's line is ignored


def test_consistency_checks_refuse_impossible_sizes_and_proofs():
    leaves = [verify_audit.leaf_hash(str(i).encode()) for i in range(8)]
    roots = verify_audit.roots_at(leaves, range(9))
    empty = verify_audit.EMPTY_ROOT
    assert empty == hashlib.sha256(b"").digest() and roots[0] == empty
    assert not verify_audit.verify_consistency(-1, 4, roots[4], roots[4], [])
    assert not verify_audit.verify_consistency(5, 4, roots[5], roots[4], [])
    assert not verify_audit.verify_consistency(4, 3, roots[4], roots[4], [])     # would pass the proof's arithmetic
    assert verify_audit.verify_consistency(0, 4, empty, roots[4], [])
    assert not verify_audit.verify_consistency(0, 4, empty, roots[4], [roots[1]])
    assert not verify_audit.verify_consistency(0, 4, roots[1], roots[4], [])
    assert verify_audit.verify_consistency(4, 4, roots[4], roots[4], [])
    assert not verify_audit.verify_consistency(4, 4, roots[4], roots[4], [roots[1]])
    assert not verify_audit.verify_consistency(4, 4, roots[3], roots[4], [])
    assert not verify_audit.verify_consistency(3, 6, roots[3], roots[6], [])
    proof = verify_audit.consistency_proof(leaves, 3, 7)
    assert verify_audit.verify_consistency(3, 7, roots[3], roots[7], proof)
    assert not verify_audit.verify_consistency(3, 7, roots[3], roots[7], proof + [roots[1]])
    assert not verify_audit.verify_consistency(3, 7, roots[3], roots[6], proof)
    assert not verify_audit.verify_consistency(3, 7, roots[2], roots[7], proof)
    for first, second in ((-1, 4), (5, 4), (0, 9)):
        with pytest.raises(ValueError, match="^sizes out of range$"):
            verify_audit.consistency_proof(leaves, first, second)
    assert verify_audit.consistency_proof(leaves, 0, 8) == [] and verify_audit.consistency_proof(leaves, 8, 8) == []
    assert [verify_audit._split(n) for n in (2, 3, 4, 5, 8, 9)] == [1, 2, 2, 4, 4, 8]
    assert verify_audit.tree_hash(leaves, 2, 2) == empty and verify_audit.tree_hash(leaves, 2, 3) == leaves[2]
    assert verify_audit.node_hash(leaves[0], leaves[1]) == hashlib.sha256(b"\x01" + leaves[0] + leaves[1]).digest()
    assert verify_audit.leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()


def test_the_first_event_of_a_day_signs_the_day_before(app):
    write_events(3, now=datetime(2025, 3, 14, 22, 0))
    assert db.session.scalar(select(func.count()).select_from(AuditCheckpoint)) == 0
    write_events(2, now=datetime(2025, 3, 15, 0, 5))
    daily = db.session.execute(select(AuditCheckpoint)).scalars().all()
    assert [(c.size, c.reason) for c in daily] == [(3, "daily")]
    assert audit.verify_chain().ok and audit.verify_chain().checkpoints == 1


def test_cli_audit_checkpoint_signs_the_log_and_refuses_a_broken_one(app, runner):
    write_events()
    result = runner.invoke(args=["audit-checkpoint"])
    assert result.exit_code == 0 and result.output.split("\n")[1] == "5"
    assert runner.invoke(args=["audit-checkpoint"]).output == result.output       # nothing new: the same one
    db.session.execute(text("UPDATE audit_events SET subject = 'x' WHERE seq = 2"))
    db.session.commit()
    write_events(1, now=DAY + timedelta(minutes=5))
    refused = runner.invoke(args=["audit-checkpoint"])
    assert refused.exit_code == 1 and "does not verify" in refused.output
    assert db.session.scalar(select(func.max(AuditCheckpoint.size))) == 5


# --- the attacks of the audit finding ----------------------------------------------------------------

def test_deleting_the_last_events_and_fixing_the_head_is_caught_by_a_saved_checkpoint(app, runner, client, tmp_path):
    write_events(6)
    checkpoint_now()
    saved = tmp_path / "saved.txt"
    saved.write_text(client.get("/audit/checkpoint").get_data(as_text=True))
    delete_last_events_and_fix_the_head(2)
    assert not audit.verify_chain().ok                   # the stored checkpoint says 6 events
    delete_stored_checkpoints()
    assert audit.verify_chain().ok                       # now the database agrees with itself …
    result = runner.invoke(args=["audit-verify", "--saved", str(saved)])
    assert result.exit_code == 1 and "events were removed" in result.output      # … but not with the saved one


def test_rewriting_a_sealed_score_and_recomputing_every_hash_is_caught_by_a_saved_checkpoint(app, runner, client, tmp_path):
    write_events(3)
    audit.record("score.sealed", actor=None, subject="entry:E-7", payload={"contest": "essay", "values": {"argument": 3}},
                 now=DAY + timedelta(seconds=1))
    db.session.commit()
    write_events(3, now=DAY + timedelta(seconds=2))
    checkpoint_now()
    saved = tmp_path / "saved.txt"
    saved.write_text(client.get("/audit/checkpoint").get_data(as_text=True))
    db.session.execute(text("UPDATE audit_events SET payload = :p WHERE seq = 4"),
                       {"p": '{"contest":"essay","values":{"argument":10}}'})
    db.session.commit()
    forge_every_hash()
    report = audit.verify_chain()
    assert not report.ok and "rewritten" in report.reason     # the signed checkpoint in the database sees it
    delete_stored_checkpoints()
    assert audit.verify_chain().ok                            # without it, the chain agrees with itself again …
    result = runner.invoke(args=["audit-verify", "--saved", str(saved)])
    assert result.exit_code == 1 and "rewritten" in result.output             # … but not with the saved checkpoint


def test_moving_an_event_by_microseconds_and_rehashing_is_caught_by_a_saved_checkpoint(app, runner, client, tmp_path):
    write_events()
    checkpoint_now()
    saved = tmp_path / "saved.txt"
    saved.write_text(client.get("/audit/checkpoint").get_data(as_text=True))
    db.session.execute(text("UPDATE audit_events SET occurred_at = :t WHERE seq = 2"),
                       {"t": event(2).occurred_at - timedelta(microseconds=3)})
    db.session.commit()
    forge_every_hash()
    delete_stored_checkpoints()
    assert runner.invoke(args=["audit-verify", "--saved", str(saved)]).exit_code == 1


def test_a_stored_checkpoint_altered_to_match_a_rewrite_fails_its_signature(app):
    write_events()
    stored = checkpoint_now()
    db.session.execute(text("UPDATE audit_events SET subject = 'thing:forged' WHERE seq = 1"))
    db.session.commit()
    forge_every_hash()
    leaves = [bytes.fromhex(e.hash) for e in db.session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars()]
    lines = stored.note.split("\n")
    lines[2] = base64.b64encode(verify_audit.tree_hash(leaves)).decode()
    db.session.execute(text("UPDATE audit_checkpoints SET note = :n"), {"n": "\n".join(lines)})
    db.session.commit()
    report = audit.verify_chain()
    assert not report.ok and "signature does not verify" in report.reason


def test_a_broken_log_gets_no_checkpoint_and_no_results_are_published_on_it(app):
    write_events()
    db.session.execute(text("UPDATE audit_events SET payload = '{}' WHERE seq = 2"))
    db.session.commit()
    with pytest.raises(audit.AuditLogBroken):
        audit.take_checkpoint("command")
    db.session.rollback()
    assert audit.report_checkpoint(DAY) is None


# --- what everyone can see and download -------------------------------------------------------------

def test_the_public_page_shows_checkpoints_and_key_but_no_event_content(app, client):
    write_events()
    first = checkpoint_now()
    write_events(2, now=DAY + timedelta(hours=2))
    latest = audit.take_checkpoint("report", now=DAY + timedelta(hours=3))
    db.session.commit()
    page = client.get("/audit").get_data(as_text=True)
    assert "The log verifies end to end." in page and latest.note.split("\n")[2] in page
    assert keys.verifier_key() in page and "quarterly report" in page and "on request (command line)" in page
    assert "Әлия" not in page and "thing:" not in page and "test.event" not in page
    assert client.get(f"/audit/checkpoints/{first.size}.txt").get_data(as_text=True) == first.note
    assert client.get("/audit/checkpoint").get_data(as_text=True) == latest.note
    history = client.get("/audit/checkpoints.txt").get_data(as_text=True)
    assert history.index(first.note) < history.index(latest.note)
    assert client.get("/audit/key").get_data(as_text=True) == keys.verifier_key() + "\n"
    download = client.get("/audit/verify_audit.py")
    assert download.data == VERIFIER.read_bytes() and "attachment" in download.headers["Content-Disposition"]


def test_the_proof_endpoint_proves_growth_and_refuses_sizes_the_log_does_not_have(app, client):
    write_events(5)
    old = checkpoint_now()
    write_events(6, now=DAY + timedelta(hours=2))
    answer = client.get(f"/audit/proof?from={old.size}").get_json()
    assert (answer["from"], answer["to"]) == (5, 11) and answer["from_root"] == old.note.split("\n")[2]
    assert verify_audit.verify_consistency(5, 11, bytes.fromhex(old.root_hash), base64.b64decode(answer["to_root"]),
                                           [base64.b64decode(p) for p in answer["proof"]])
    assert "Әлия" not in json.dumps(answer, ensure_ascii=False)
    refused = client.get("/audit/proof?from=12")
    assert refused.status_code == 409 and "11 events" in refused.get_json()["error"]
    assert client.get("/audit/proof").status_code == 400


def test_the_export_is_for_the_acs_only_and_replays(app, client, make_user, auth):
    make_user("boss@uni.test", roles=("admin",))
    make_user("someone@uni.test")
    write_events()
    checkpoint_now()
    auth.login("someone@uni.test")
    assert client.get("/admin/audit/export.json").status_code == 403
    auth.logout()
    auth.login("boss@uni.test")
    export = client.get("/admin/audit/export.json").get_json()
    assert len(export["events"]) == 5 and export["key"] == keys.verifier_key()
    assert len(verify_audit.replay(export["events"])) == 5


def test_the_quarterly_report_carries_a_signed_checkpoint(app, client, runner, make_user, auth, setup_cli):
    assert setup_cli("load-content").exit_code == 0
    make_user("boss@uni.test", roles=("admin",))
    write_events()
    auth.login("boss@uni.test")
    page = client.get("/admin/coverage/report?plan=ktu-2024-2025&from=2024-12-01&to=2024-12-31").get_data(as_text=True)
    latest = audit.latest_checkpoint()
    assert latest.reason == "report" and latest.size == 5 and latest.note.split("\n")[2] in page


# --- the standalone verifier, run the way an outsider runs it ---------------------------------------

@pytest.fixture
def live(app, make_app):
    """The same instance served on a loopback port, for the verifier to ask over HTTP."""
    served = make_app(SERVER_NAME=None, TESTING=False)
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def verifier(*args):
    result = subprocess.run([sys.executable, str(VERIFIER), *args], capture_output=True, text=True, timeout=120)
    return result.returncode, result.stdout + result.stderr


def saved_from(live, tmp_path, name="saved.txt"):
    path = tmp_path / name
    code, output = verifier("--url", live, "--key", keys.verifier_key(), "--save-latest", str(path))
    assert code == 0, output
    return path


def test_the_verifier_passes_an_honest_log_that_grew(app, live, tmp_path):
    write_events()
    checkpoint_now()
    saved = saved_from(live, tmp_path)
    write_events(4, now=DAY + timedelta(hours=2))
    audit.take_checkpoint("report", now=DAY + timedelta(hours=3))
    db.session.commit()
    write_events(2, now=DAY + timedelta(hours=4))       # and a tail not yet in any checkpoint
    code, output = verifier("--url", live, "--saved", str(saved), "--key", keys.verifier_key(),
                            "--save-latest", str(tmp_path / "new.txt"))
    assert code == 0, output
    assert "extends your saved checkpoint of 5 events" in output and "holds 11 events" in output
    assert (tmp_path / "new.txt").read_text().split("\n")[1] == "9"
    assert verifier("--url", live, "--saved", str(saved), "--key", keys.verifier_key(), "--pure-python")[0] == 0


def _sign_anew():
    """The instance goes on: new events, and a checkpoint signed over whatever the database now holds."""
    write_events(3, now=DAY + timedelta(hours=5))
    audit.take_checkpoint("command", now=DAY + timedelta(hours=6))
    db.session.commit()


def cut_the_last_two():
    delete_last_events_and_fix_the_head(2)


def cut_the_last_two_and_sign_anew():
    delete_last_events_and_fix_the_head(2)
    delete_stored_checkpoints()
    _sign_anew()


def rewrite_a_score():
    db.session.execute(text("UPDATE audit_events SET payload = :p WHERE seq = 2"), {"p": '{"values":{"argument":10}}'})
    db.session.commit()
    forge_every_hash()


def rewrite_a_score_and_sign_anew():
    rewrite_a_score()
    delete_stored_checkpoints()
    _sign_anew()


def move_by_a_microsecond():
    db.session.execute(text("UPDATE audit_events SET occurred_at = :t WHERE seq = 3"),
                       {"t": event(3).occurred_at + timedelta(microseconds=1)})
    db.session.commit()


def move_by_a_microsecond_rehash_and_sign_anew():
    move_by_a_microsecond()
    forge_every_hash()
    delete_stored_checkpoints()
    _sign_anew()


@pytest.mark.parametrize("tamper", [cut_the_last_two, cut_the_last_two_and_sign_anew, rewrite_a_score, rewrite_a_score_and_sign_anew,
                                    move_by_a_microsecond, move_by_a_microsecond_rehash_and_sign_anew,
                                    delete_stored_checkpoints])
def test_the_verifier_fails_on_every_tampering(app, live, tmp_path, tamper):
    write_events(6)
    checkpoint_now()
    saved = saved_from(live, tmp_path)
    tamper()
    code, output = verifier("--url", live, "--saved", str(saved), "--key", keys.verifier_key())
    assert code == 1 and "FAIL" in output, output


def test_the_verifier_replays_an_export_and_catches_an_edit(app, tmp_path):
    write_events()
    checkpoint = checkpoint_now()
    (tmp_path / "saved.txt").write_text(checkpoint.note)
    export = tmp_path / "export.json"
    export.write_text(json.dumps(audit.export_log(), ensure_ascii=False))
    args = ("--log", str(export), "--saved", str(tmp_path / "saved.txt"), "--key", keys.verifier_key())
    code, output = verifier(*args)
    assert code == 0 and "5 events replayed" in output, output
    data = json.loads(export.read_text())
    data["events"][1]["occurred_at"] = data["events"][1]["occurred_at"].replace("Z", "").rstrip("0") + "1Z"
    export.write_text(json.dumps(data, ensure_ascii=False))
    code, output = verifier(*args)
    assert code == 1 and "event 2" in output, output


def test_the_verifier_refuses_a_checkpoint_not_signed_by_the_pinned_key(app, live, tmp_path):
    write_events()
    checkpoint_now()
    stranger = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    code, output = verifier("--url", live, "--key", verify_audit.verifier_key(keys.origin(), stranger))
    assert code == 1 and "no signature by this key" in output
    Ed25519PublicKey.from_public_bytes(stranger)    # a well-formed key, only not the log's


# --- the chain's and the checkpoints' answers, exactly -----------------------------------------------

def test_the_first_write_creates_the_head_when_there_is_none(app, make_user):
    actor = make_user().id
    db.session.execute(text("DELETE FROM audit_head"))
    db.session.commit()
    assert audit.take_checkpoint("command") is None                 # an empty log has nothing to sign …
    assert (db.session.get(AuditHead, 1).seq, db.session.get(AuditHead, 1).hash) == (0, audit.GENESIS)
    db.session.execute(text("DELETE FROM audit_head"))
    db.session.commit()
    first = audit.record("test.event", actor=actor, subject="thing", now=DAY)     # … and a write starts it at 1
    db.session.commit()
    assert (first.seq, first.prev_hash, first.actor_id, first.payload) == (1, audit.GENESIS, actor, "{}")
    assert first.occurred_at == DAY and first.encoding == verify_audit.LATEST_ENCODING
    head = db.session.get(AuditHead, 1)
    assert (head.seq, head.hash) == (1, first.hash)
    write_events(2, now=DAY + timedelta(seconds=1))
    report = audit.verify_chain()
    assert (report.ok, report.events, report.head, report.broken_seq, report.reason) == (True, 3, event(3).hash, None, "")


def test_an_event_is_stored_in_utc_with_its_actor_and_canonical_payload(app, make_user):
    person = make_user()
    almaty = timezone(timedelta(hours=5))
    stored = audit.record("test.event", actor=person, subject="s", payload={"b": 1, "a": "Ә"},
                          now=datetime(2025, 3, 14, 14, 30, 0, 5, tzinfo=almaty))
    db.session.commit()
    assert stored.actor_id == person.id and stored.payload == '{"a":"Ә","b":1}'
    assert event(1).occurred_at == datetime(2025, 3, 14, 9, 30, 0, 5)


def test_an_event_recorded_with_no_details_has_no_actor_and_an_empty_subject_and_payload(app):
    bare = audit.record("test.event", now=DAY)
    db.session.commit()
    assert (bare.actor_id, bare.subject, bare.payload) == (None, "", "{}")
    assert audit.verify_chain().ok


def test_a_write_on_a_new_day_over_a_broken_log_goes_ahead_without_a_checkpoint(app, caplog):
    write_events(3, now=datetime(2025, 3, 14, 22, 0))
    db.session.execute(text("UPDATE audit_events SET subject = 'x' WHERE seq = 2"))
    db.session.commit()
    write_events(1, now=datetime(2025, 3, 15, 0, 5))
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 4
    assert db.session.scalar(select(func.count()).select_from(AuditCheckpoint)) == 0
    assert [(r.levelname, r.getMessage()) for r in caplog.records if r.name == audit.logger.name] == [
        ("ERROR", "no daily audit checkpoint: the log does not verify (content does not match its hash)")]


def test_a_one_event_log_is_signed_at_the_next_days_first_write_and_every_write_and_signature_is_logged(
        app, make_user, caplog):
    caplog.set_level(logging.INFO, logger=audit.logger.name)
    actor = make_user()
    audit.record("test.event", actor=actor, subject="first", now=datetime(2025, 3, 14, 23, 59))
    audit.record("test.event", actor=actor.id, subject="second", now=datetime(2025, 3, 15, 0, 1))
    db.session.commit()
    daily = db.session.execute(select(AuditCheckpoint)).scalars().all()
    assert [(c.size, c.reason, c.subject) for c in daily] == [(1, "daily", "")]
    checkpoint_now("publication")
    assert [(r.levelname, r.getMessage()) for r in caplog.records if r.name == audit.logger.name] == [
        ("INFO", f"audit test.event first by {actor.id}"),
        ("INFO", "audit checkpoint of 1 events signed (daily )"),
        ("INFO", f"audit test.event second by {actor.id}"),
        ("INFO", "audit checkpoint of 2 events signed (publication )"),
    ]


def test_events_of_the_same_day_sign_nothing_and_the_next_day_signs_once(app):
    write_events(2, now=datetime(2025, 3, 14, 0, 0))
    write_events(2, now=datetime(2025, 3, 14, 23, 59))
    assert db.session.scalar(select(func.count()).select_from(AuditCheckpoint)) == 0
    write_events(2, now=datetime(2025, 3, 15, 0, 0))
    daily = db.session.execute(select(AuditCheckpoint)).scalars().all()
    assert [(c.size, c.reason, c.subject, c.taken_at) for c in daily] == [(4, "daily", "", datetime(2025, 3, 15, 0, 0))]


def test_a_broken_chain_names_its_first_bad_event_and_what_holds_before_it(app):
    write_events(5)
    db.session.execute(text("UPDATE audit_events SET prev_hash = :h WHERE seq = 3"), {"h": "1" * 64})
    db.session.commit()
    report = audit.verify_chain()
    assert (report.ok, report.events, report.broken_seq, report.reason, report.head) == (
        False, 2, 3, "previous hash does not match", "")
    with pytest.raises(audit.AuditLogBroken) as broken:
        audit.take_checkpoint("command")
    assert (broken.value.seq, broken.value.reason) == (3, "previous hash does not match")


def test_a_head_that_disagrees_with_the_events_is_reported(app):
    write_events(4)
    db.session.execute(text("UPDATE audit_head SET seq = 6"))
    db.session.commit()
    report = audit.verify_chain()
    assert (report.ok, report.events, report.broken_seq, report.head) == (False, 4, 5, event(4).hash)
    assert report.reason == "the chain head does not match the last event (rows removed?)"
    db.session.execute(text("UPDATE audit_head SET seq = 4, hash = :h"), {"h": event(3).hash})
    db.session.commit()
    report = audit.verify_chain()
    assert (report.ok, report.events, report.broken_seq) == (False, 4, 4)
    with pytest.raises(audit.AuditLogBroken) as broken:
        audit.take_checkpoint("command")
    assert (broken.value.seq, broken.value.reason) == (5, "the chain head does not match the last event (rows removed?)")


def test_a_checkpoint_covers_the_events_up_to_the_head_and_no_further(app):
    write_events(5)
    db.session.execute(text("UPDATE audit_head SET seq = 3, hash = :h"), {"h": event(3).hash})
    db.session.commit()
    checkpoint = checkpoint_now()
    leaves = [bytes.fromhex(event(n).hash) for n in (1, 2, 3)]
    assert (checkpoint.size, checkpoint.root_hash) == (3, verify_audit.tree_hash(leaves).hex())


def test_every_stored_checkpoint_is_held_to_its_signature_size_and_root(app):
    write_events(4)
    checkpoint = checkpoint_now()
    report = audit.verify_chain()
    assert (report.ok, report.checkpoints, report.root) == (True, 1, checkpoint.root_hash)
    note = checkpoint.note

    def stored(size, text_of_note):
        db.session.execute(text("UPDATE audit_checkpoints SET size = :s, note = :n"), {"s": size, "n": text_of_note})
        db.session.commit()
        return audit.verify_chain()

    altered = stored(4, note.replace("\n4\n", "\n3\n"))
    assert not altered.ok and altered.reason == ("the checkpoint of 4 events: the checkpoint's signature does not verify: "
                                                 "it was altered or not signed by this key")
    assert (altered.events, altered.head, altered.broken_seq) == (4, event(4).hash, None)     # the chain itself holds
    misfiled = stored(3, note)
    assert not misfiled.ok and misfiled.reason == "the checkpoint filed under 3 events says 4"
    stored(4, note)
    delete_last_events_and_fix_the_head(1)
    cut = audit.verify_chain()
    assert (cut.ok, cut.broken_seq, cut.events) == (False, 4, 3)
    assert cut.reason == "a signed checkpoint covers 4 events but the log has only 3: events were removed"
    write_events(1, now=DAY + timedelta(minutes=1))          # a different fourth event
    rewritten = audit.verify_chain()
    assert not rewritten.ok and rewritten.reason == ("the first 4 events are not the ones their signed checkpoint "
                                                     "covers: the history was rewritten")
    with pytest.raises(audit.AuditLogBroken, match="history was rewritten"):
        audit.take_checkpoint("command")


def test_a_checkpoint_is_signed_once_per_size_with_its_reason_and_subject(app):
    write_events(3)
    first = audit.take_checkpoint("publication", "contest:" + "x" * 200, now=DAY + timedelta(hours=1))
    db.session.commit()
    assert (first.size, first.reason, first.subject, first.taken_at) == (3, "publication", "contest:" + "x" * 112,
                                                                        DAY + timedelta(hours=1))
    assert audit.take_checkpoint("command", now=DAY + timedelta(hours=2)).id == first.id
    assert first.root_hash == verify_audit.tree_hash([bytes.fromhex(event(n).hash) for n in (1, 2, 3)]).hex()
    assert audit.checkpoint_of_size(3).id == first.id and audit.checkpoint_of_size(2) is None
    write_events(2, now=DAY + timedelta(hours=3))
    second = checkpoint_now()
    assert second.size == 5 and audit.latest_checkpoint().id == second.id


def test_a_saved_checkpoint_is_checked_against_the_log_as_it_is_now(app):
    write_events(4)
    note = checkpoint_now().note
    assert audit.check_saved_checkpoint(note).size == 4
    write_events(2, now=DAY + timedelta(minutes=1))
    assert audit.check_saved_checkpoint(note).size == 4               # a log that grew still holds it
    with pytest.raises(audit.AuditLogBroken) as forged:
        audit.check_saved_checkpoint(note.replace("\n4\n", "\n3\n"))
    assert forged.value.reason.startswith("the saved checkpoint: the checkpoint's signature does not verify")
    delete_last_events_and_fix_the_head(3)
    with pytest.raises(audit.AuditLogBroken) as cut:
        audit.check_saved_checkpoint(note)
    assert (cut.value.seq, cut.value.reason) == (4, "the saved checkpoint covers 4 events but the log has only 3: "
                                                    "events were removed")
    write_events(1, now=DAY + timedelta(minutes=2))
    with pytest.raises(audit.AuditLogBroken) as rewritten:
        audit.check_saved_checkpoint(note)
    assert rewritten.value.reason == "the first 4 events are not the ones the saved checkpoint covers: the history was rewritten"


def test_consistency_answers_for_the_sizes_the_log_has(app):
    write_events(6)
    leaves = [bytes.fromhex(event(n).hash) for n in range(1, 7)]
    proof = audit.consistency(3)
    assert (proof["from"], proof["to"], proof["origin"]) == (3, 6, keys.origin())
    assert proof["from_root"] == base64.b64encode(verify_audit.tree_hash(leaves[:3])).decode()
    assert proof["to_root"] == base64.b64encode(verify_audit.tree_hash(leaves)).decode()
    assert proof["proof"] == [base64.b64encode(p).decode() for p in verify_audit.consistency_proof(leaves, 3, 6)]
    assert audit.consistency(2, 4)["to"] == 4 and audit.consistency(0)["proof"] == []
    assert audit.consistency(6, 6)["from_root"] == audit.consistency(6)["to_root"]
    with pytest.raises(ValueError, match="^the log has 6 events, fewer than the 7 asked about$"):
        audit.consistency(7)
    with pytest.raises(ValueError, match="^the log has 6 events, fewer than the 7 asked about$"):
        audit.consistency(1, 7)
    for first, second in ((-1, 3), (4, 3)):
        with pytest.raises(ValueError, match="^the first size must be between 0 and the second$"):
            audit.consistency(first, second)
    db.session.execute(text("DELETE FROM audit_events WHERE seq = 6"))
    db.session.commit()
    with pytest.raises(audit.AuditLogBroken) as removed:
        audit.consistency(2)
    assert (removed.value.seq, removed.value.reason) == (
        6, "the log's head says 6 events but only 5 are there: events were removed")


def test_a_row_numbered_before_the_first_event_leaves_nothing_verified(app):
    write_events(2)
    db.session.execute(text("UPDATE audit_events SET seq = 0 WHERE seq = 1"))
    db.session.commit()
    report = audit.verify_chain()
    assert (report.ok, report.events, report.broken_seq, report.reason) == (False, 0, 0, "sequence jumps from 0 to 0")


def test_a_missing_event_is_named_by_the_sequence_it_breaks(app):
    write_events(5)
    db.session.execute(text("DELETE FROM audit_events WHERE seq = 3"))
    db.session.commit()
    report = audit.verify_chain()
    assert (report.ok, report.broken_seq, report.reason) == (False, 4, "sequence jumps from 2 to 4")
    events = audit.export_log()["events"]
    with pytest.raises(verify_audit.Problem, match="^event 4: sequence jumps from 2 to 4$"):
        verify_audit.replay(events)


def test_a_log_with_no_checkpoint_yet_verifies_with_none_counted(app):
    write_events(3)
    report = audit.verify_chain()
    assert (report.ok, report.events, report.checkpoints) == (True, 3, 0)


def test_a_rewrite_is_reported_against_the_smallest_checkpoint_it_breaks(app):
    write_events(2)
    checkpoint_now()
    write_events(2, now=DAY + timedelta(minutes=1))
    checkpoint_now()
    # The smaller checkpoint stored again, after the larger one (as a restore from a backup would).
    smaller = db.session.execute(select(AuditCheckpoint).where(AuditCheckpoint.size == 2)).scalar_one()
    copy = {c.name: getattr(smaller, c.name) for c in AuditCheckpoint.__table__.columns if c.name != "id"}
    db.session.delete(smaller)
    db.session.flush()
    db.session.add(AuditCheckpoint(**copy))
    db.session.commit()
    db.session.execute(text("UPDATE audit_events SET payload = :p WHERE seq = 1"), {"p": '{"i":99}'})
    db.session.commit()
    forge_every_hash()
    report = audit.verify_chain()
    assert (report.ok, report.reason) == (
        False, "the first 2 events are not the ones their signed checkpoint covers: the history was rewritten")


def test_a_sequence_number_overwritten_with_text_is_named_as_it_stands(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL refuses text in an integer column")
    write_events(3)
    db.session.execute(text("UPDATE audit_events SET seq = '3: three' WHERE seq = 3"))
    db.session.commit()
    report = audit.verify_chain()
    assert (report.ok, report.broken_seq, report.reason) == (False, 3, "sequence jumps from 2 to 3: three")
