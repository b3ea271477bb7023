"""Write the audit log, verify it, and sign checkpoints an outsider can hold it to.

Each event is a link of a hash chain and a leaf of an RFC 9162 Merkle tree. What is hashed, how
the tree is built and what a checkpoint looks like are defined once, in `verify_audit.py` — the
very file an outsider downloads and runs:

    entry  = canonical JSON of every field (seq, occurred_at to the microsecond, actor_id, action,
             subject, payload, prev_hash, encoding version)
    hash_n = hex(SHA-256(0x00 || entry_n))           (encoding 2; prev_hash_n = hash_{n-1})
    root   = Merkle tree hash over the leaves of the first `size` events

A checkpoint is a C2SP signed note of (origin, size, root), signed with an Ed25519 key that lives
outside the database (`keys.py`). One is signed at every results publication, every quarterly
report, every `audit-checkpoint` command and at the first write of each day (UTC), covering the
day before. Rewriting the database can make the chain agree with itself again, but never with a
checkpoint signed before: `verify_chain()` checks every stored one, and outsiders keep copies.
"""
import base64
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, select, update

from app.audit import keys, verify_audit
from app.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from app.core.clock import utcnow
from app.extensions import db

GENESIS = verify_audit.GENESIS
ENCODING = verify_audit.LATEST_ENCODING
logger = logging.getLogger(__name__)


class AuditLogBroken(Exception):
    """The log does not verify; `seq` names the event to blame when one can be named."""

    def __init__(self, reason: str, seq: int | None = None):
        super().__init__(reason)
        self.reason, self.seq = reason, seq


def canonical_json(value) -> str:
    """Serialise an event's details the one way they are stored and hashed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def moment(value: datetime) -> str:
    """Write a stored time the way entries hash it: UTC to the microsecond."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _utc(value: datetime) -> datetime:
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def entry_fields(event: AuditEvent) -> dict:
    """Return an event as the plain fields verify_audit.py hashes and an export carries."""
    return {"seq": event.seq, "encoding": event.encoding, "occurred_at": moment(event.occurred_at),
            "actor_id": event.actor_id, "action": event.action, "subject": event.subject,
            "payload": event.payload, "prev_hash": event.prev_hash, "hash": event.hash}


def record(action: str, *, actor=None, subject: str = "", payload: dict | None = None,
           now: datetime | None = None) -> AuditEvent:
    """Append an event to the log inside the caller's transaction."""
    occurred_at = _utc(now or utcnow())
    actor_id = getattr(actor, "id", actor)
    payload_text = canonical_json(payload or {})
    # Bumping the head first takes the write lock (SQLite) or the row lock (PostgreSQL),
    # so two writers can never chain from the same previous hash.
    _lock_head(bump=True)
    head = _head()
    _daily_checkpoint(head.seq - 1, head.hash, occurred_at)
    event = AuditEvent(seq=head.seq, occurred_at=occurred_at, actor_id=actor_id, action=action,
                       subject=subject, payload=payload_text, encoding=ENCODING, prev_hash=head.hash)
    event.hash = verify_audit.leaf_hash(verify_audit.canonical_entry(entry_fields(event))).hex()
    head.hash = event.hash
    db.session.add(event)
    db.session.flush()
    logger.info("audit %s %s by %s", action, subject, actor_id)
    return event


def _lock_head(bump: bool = False) -> None:
    values = {"seq": AuditHead.seq + 1} if bump else {"seq": AuditHead.seq}
    changed = db.session.execute(update(AuditHead).where(AuditHead.id == 1).values(**values))
    if changed.rowcount == 0:
        db.session.add(AuditHead(id=1, seq=1 if bump else 0, hash=GENESIS))
        db.session.flush()


def _head() -> AuditHead:
    return db.session.execute(
        select(AuditHead).where(AuditHead.id == 1).execution_options(populate_existing=True)).scalar_one()


def _daily_checkpoint(size: int, last_hash: str, occurred_at: datetime) -> None:
    """At the first event of a new day (UTC), sign the log as it stood at the end of the last one."""
    if size == 0:
        return
    previous = db.session.scalar(select(AuditEvent.occurred_at).where(AuditEvent.seq == size))
    if previous is None or previous.date() >= occurred_at.date():
        return
    try:
        _checkpoint_at(size, last_hash, "daily", "", occurred_at)
    except AuditLogBroken as broken:
        # The write itself goes ahead: refusing it would lose the event, not protect the log.
        logger.error("no daily audit checkpoint: the log does not verify (%s)", broken.reason)


# --- reading and verifying ---------------------------------------------------------------------

def _events(limit: int | None = None):
    query = select(AuditEvent.seq, AuditEvent.encoding, AuditEvent.occurred_at, AuditEvent.actor_id,
                   AuditEvent.action, AuditEvent.subject, AuditEvent.payload, AuditEvent.prev_hash,
                   AuditEvent.hash).order_by(AuditEvent.seq)
    if limit is not None:
        query = query.where(AuditEvent.seq <= limit)
    for row in db.session.execute(query.execution_options(yield_per=2000)):
        yield {"seq": row.seq, "encoding": row.encoding, "occurred_at": moment(row.occurred_at),
               "actor_id": row.actor_id, "action": row.action, "subject": row.subject, "payload": row.payload,
               "prev_hash": row.prev_hash, "hash": row.hash}


def _replay(limit: int | None = None) -> tuple[list[bytes], str]:
    """Recompute every event's hash from its content, in order; return (leaves, last hash)."""
    last = [GENESIS]

    def remembering():
        for event in _events(limit):
            yield event
            last[0] = event["hash"]

    try:
        leaves = verify_audit.replay(remembering())
    except verify_audit.Problem as problem:
        raise AuditLogBroken(str(problem).split(": ", 1)[-1], problem.seq) from None
    return leaves, last[0]


def _check_checkpoints(leaves: list[bytes]) -> int:
    """Check every stored checkpoint's signature and that the log still holds what it signed."""
    rows = db.session.execute(select(AuditCheckpoint.size, AuditCheckpoint.note).order_by(AuditCheckpoint.size)).all()
    if not rows:
        return 0
    key = keys.verifier_key()
    roots = verify_audit.roots_at(leaves, {size for size, _note in rows if size <= len(leaves)})
    for size, note in rows:
        try:
            checkpoint = verify_audit.verify_checkpoint(note, key)
        except verify_audit.Problem as problem:
            raise AuditLogBroken(f"the checkpoint of {size} events: {problem}") from None
        if checkpoint.size != size:
            raise AuditLogBroken(f"the checkpoint filed under {size} events says {checkpoint.size}")
        if size > len(leaves):
            raise AuditLogBroken(f"a signed checkpoint covers {size} events but the log has only {len(leaves)}: "
                                 "events were removed", len(leaves) + 1)
        if roots[size] != checkpoint.root:
            raise AuditLogBroken(f"the first {size} events are not the ones their signed checkpoint covers: "
                                 "the history was rewritten")
    return len(rows)


@dataclass
class ChainReport:
    ok: bool
    events: int
    head: str
    broken_seq: int | None = None
    reason: str = ""
    root: str = ""
    checkpoints: int = 0


def verify_chain() -> ChainReport:
    """Recompute every hash from the content, and check the head and every signed checkpoint."""
    try:
        leaves, last = _replay()
    except AuditLogBroken as broken:
        verified = (broken.seq or 1) - 1
        return ChainReport(False, verified, "", broken.seq, broken.reason)
    head = db.session.get(AuditHead, 1)
    if head is not None and (head.seq != len(leaves) or head.hash != last):
        return ChainReport(False, len(leaves), last, len(leaves) + 1 if head.seq > len(leaves) else len(leaves),
                           "the chain head does not match the last event (rows removed?)")
    try:
        checked = _check_checkpoints(leaves)
    except AuditLogBroken as broken:
        return ChainReport(False, len(leaves), last, broken.seq, broken.reason)
    root = verify_audit.tree_hash(leaves)
    return ChainReport(True, len(leaves), last, root=root.hex(), checkpoints=checked)


def check_saved_checkpoint(note: str) -> verify_audit.Checkpoint:
    """Check a checkpoint kept outside (its signature by this log's key) against the log as it is now."""
    try:
        checkpoint = verify_audit.verify_checkpoint(note, keys.verifier_key())
    except verify_audit.Problem as problem:
        raise AuditLogBroken(f"the saved checkpoint: {problem}") from None
    leaves, _last = _replay()
    if checkpoint.size > len(leaves):
        raise AuditLogBroken(f"the saved checkpoint covers {checkpoint.size} events but the log has only "
                             f"{len(leaves)}: events were removed", len(leaves) + 1)
    if verify_audit.roots_at(leaves, [checkpoint.size])[checkpoint.size] != checkpoint.root:
        raise AuditLogBroken(f"the first {checkpoint.size} events are not the ones the saved checkpoint covers: "
                             "the history was rewritten")
    return checkpoint


# --- checkpoints -------------------------------------------------------------------------------

def _checkpoint_at(size: int, last_hash: str, reason: str, subject: str, now: datetime) -> AuditCheckpoint:
    """Sign the first `size` events once they verify and extend every earlier checkpoint."""
    leaves, last = _replay(limit=size)
    if len(leaves) != size or last != last_hash:
        raise AuditLogBroken("the chain head does not match the last event (rows removed?)", len(leaves) + 1)
    _check_checkpoints(leaves)
    existing = db.session.execute(select(AuditCheckpoint).where(AuditCheckpoint.size == size)).scalar_one_or_none()
    if existing is not None:
        return existing
    root = verify_audit.tree_hash(leaves)
    checkpoint = AuditCheckpoint(size=size, root_hash=root.hex(), note=keys.sign_checkpoint(size, root),
                                 taken_at=_utc(now), reason=reason, subject=subject[:120])
    db.session.add(checkpoint)
    db.session.flush()
    logger.info("audit checkpoint of %d events signed (%s %s)", size, reason, subject)
    return checkpoint


def take_checkpoint(reason: str, subject: str = "", now: datetime | None = None) -> AuditCheckpoint | None:
    """Sign a checkpoint of the whole log inside the caller's transaction (None while the log is empty).

    An existing checkpoint of the same size is returned instead of a new one. Raises
    AuditLogBroken, and signs nothing, when the log does not verify.
    """
    _lock_head()
    head = _head()
    if head.seq == 0:
        return None
    return _checkpoint_at(head.seq, head.hash, reason, subject, now or utcnow())


def report_checkpoint(now: datetime) -> AuditCheckpoint | None:
    """Sign (or reuse) the checkpoint a quarterly report carries; None when the log is empty or broken."""
    try:
        checkpoint = take_checkpoint("report", "", now)
    except AuditLogBroken as broken:
        logger.error("the quarterly report carries no audit checkpoint: %s", broken.reason)
        checkpoint = None
    db.session.commit()
    return checkpoint


def latest_checkpoint() -> AuditCheckpoint | None:
    """Return the checkpoint of the largest size."""
    return db.session.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.size.desc()).limit(1)).scalar_one_or_none()


def checkpoint_of_size(size: int) -> AuditCheckpoint | None:
    """Return the checkpoint of exactly `size` events, if one was signed."""
    return db.session.execute(select(AuditCheckpoint).where(AuditCheckpoint.size == size)).scalar_one_or_none()


def checkpoints(page: int | None = None, per_page: int = 50) -> tuple[list[AuditCheckpoint], int]:
    """Return (checkpoints newest first, total), one page of them or all when page is None."""
    query = select(AuditCheckpoint).order_by(AuditCheckpoint.size.desc())
    if page is not None:
        query = query.limit(per_page).offset((page - 1) * per_page)
    total = db.session.scalar(select(func.count()).select_from(AuditCheckpoint))
    return db.session.execute(query).scalars().all(), total


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def consistency(first: int, second: int | None = None) -> dict:
    """Return the proof that the log's first `second` events (default: all) extend its first `first`.

    The leaves are recomputed from the events' content, so a rewritten event fails the proof
    against any checkpoint signed before the rewrite. Raises ValueError for sizes the log does not
    have and AuditLogBroken when the chain itself does not verify.
    """
    size = _head().seq
    second = size if second is None else second
    if max(first, second) > size:
        raise ValueError(f"the log has {size} events, fewer than the {max(first, second)} asked about")
    if first < 0 or second < first:
        raise ValueError("the first size must be between 0 and the second")
    leaves, _last = _replay(limit=second)
    if len(leaves) != second:
        raise AuditLogBroken(f"the log's head says {size} events but only {len(leaves)} are there: "
                             "events were removed", len(leaves) + 1)
    roots = verify_audit.roots_at(leaves, {first, second})
    return {"origin": keys.origin(), "from": first, "to": second, "from_root": _b64(roots[first]),
            "to_root": _b64(roots[second]),
            "proof": [_b64(item) for item in verify_audit.consistency_proof(leaves, first, second)]}


def export_log() -> dict:
    """Return the whole log with every event's content and every checkpoint, for an auditor's replay."""
    events = db.session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars().all()
    rows, _total = checkpoints()
    return {"format": "sanaly-audit-export/1", "origin": keys.origin(), "key": keys.verifier_key(),
            "events": [entry_fields(event) for event in events],
            "checkpoints": [row.note for row in reversed(rows)]}


def verifier_key() -> str:
    """Return the public key that verifies this log's checkpoints (name+id+base64)."""
    return keys.verifier_key()


@dataclass
class PublicView:
    report: ChainReport
    latest: AuditCheckpoint | None
    history: list
    total: int
    key: str


def public_view(page: int, per_page: int) -> PublicView:
    """What the public /audit page shows: the verification, the latest checkpoint, the history, the key."""
    history, total = checkpoints(page, per_page)
    return PublicView(verify_chain(), latest_checkpoint(), history, total, keys.verifier_key())
