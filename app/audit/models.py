"""Audit events, the single row that holds the chain's head, and the signed checkpoints."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class AuditEvent(db.Model):
    """One fairness-relevant change. Rows are only ever added."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)
    occurred_at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    subject: Mapped[str] = mapped_column(String(120), default="")
    payload: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON, hashed as stored
    # Which canonical encoding `hash` was computed with (app/audit/verify_audit.py): rows written
    # before checkpoints existed are 1 and keep verifying as they were published.
    encoding: Mapped[int] = mapped_column(default=2, server_default=text("1"))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(db.Model):
    """The chain's last sequence number and hash; updating it first serialises writers."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(db.Model):
    """A signed statement of the log's size and Merkle root, as published (a C2SP signed note).

    The signature, not this row, is what an outsider trusts: the key never enters the database.
    """

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    size: Mapped[int] = mapped_column(unique=True)
    root_hash: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    taken_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(20))     # results, report, daily, command
    subject: Mapped[str] = mapped_column(String(120), default="")
