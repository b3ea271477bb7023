"""Write and verify the audit chain.

Each event's hash is SHA-256 over the previous hash and the canonical JSON of the
event (sorted keys, no spaces, UTF-8):

    hash_n = sha256(hash_{n-1} + canonical({seq, occurred_at, actor_id, action, subject, payload}))

The first event chains from GENESIS. Editing, deleting or reordering any row changes
a recomputed hash, so `verify_chain()` names the first row that no longer fits.
"""
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from app.audit.models import AuditEvent, AuditHead
from app.extensions import db
from app.people.models import utcnow

GENESIS = "0" * 64
logger = logging.getLogger(__name__)


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_hash(prev_hash: str, seq: int, occurred_at: datetime, actor_id, action, subject, payload: str) -> str:
    body = canonical_json(
        {
            "seq": seq,
            "occurred_at": occurred_at.isoformat(timespec="seconds"),
            "actor_id": actor_id,
            "action": action,
            "subject": subject,
            "payload": payload,
        }
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def record(action: str, *, actor=None, subject: str = "", payload: dict | None = None,
           now: datetime | None = None) -> AuditEvent:
    """Append an event to the chain inside the caller's transaction."""
    occurred_at = (now or utcnow()).replace(microsecond=0)
    actor_id = getattr(actor, "id", actor)
    payload_text = canonical_json(payload or {})
    # Bumping the head first takes the write lock (SQLite) or the row lock (PostgreSQL),
    # so two writers can never chain from the same previous hash.
    bumped = db.session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1))
    if bumped.rowcount == 0:
        db.session.add(AuditHead(id=1, seq=1, hash=GENESIS))
        db.session.flush()
    head = db.session.execute(
        select(AuditHead).where(AuditHead.id == 1).execution_options(populate_existing=True)
    ).scalar_one()
    prev_hash = head.hash
    digest = event_hash(prev_hash, head.seq, occurred_at, actor_id, action, subject, payload_text)
    event = AuditEvent(
        seq=head.seq, occurred_at=occurred_at, actor_id=actor_id, action=action,
        subject=subject, payload=payload_text, prev_hash=prev_hash, hash=digest,
    )
    head.hash = digest
    db.session.add(event)
    db.session.flush()
    logger.info("audit %s %s by %s", action, subject, actor_id)
    return event


@dataclass
class ChainReport:
    ok: bool
    events: int
    head: str
    broken_seq: int | None = None
    reason: str = ""


def verify_chain() -> ChainReport:
    """Recompute every hash in order and compare with what is stored."""
    expected_prev = GENESIS
    expected_seq = 1
    count = 0
    rows = db.session.execute(select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=1000))
    for event in rows.scalars():
        count += 1
        if event.seq != expected_seq:
            return ChainReport(False, count, expected_prev, event.seq,
                               f"sequence jumps from {expected_seq - 1} to {event.seq}")
        if event.prev_hash != expected_prev:
            return ChainReport(False, count, expected_prev, event.seq, "previous hash does not match")
        digest = event_hash(expected_prev, event.seq, event.occurred_at, event.actor_id,
                            event.action, event.subject, event.payload)
        if digest != event.hash:
            return ChainReport(False, count, expected_prev, event.seq, "content does not match its hash")
        expected_prev = digest
        expected_seq += 1
    head = db.session.get(AuditHead, 1)
    if head is not None and (head.seq != count or head.hash != expected_prev):
        return ChainReport(False, count, expected_prev, count + 1 if head.seq > count else count,
                           "the chain head does not match the last event (rows removed?)")
    return ChainReport(True, count, expected_prev)
