"""The confidential reporting channel: cases, their messages and attachments, and the answer time limit.

A case is followed by its reporter with a random code and a passphrase (only its hash is kept),
never with an account. Dates are kept to the day: enough for time limits and statistics, too
coarse to match a report against who was where at what minute. No table has a column for an
address, and an anonymous case keeps no person at all.
"""
from datetime import date

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.people.models import User

CATEGORIES = ("bribe", "exam", "dormitory", "admission", "procurement", "conflict", "other")
RECEIVED, UNDER_REVIEW, REFERRED, CLOSED = "received", "under review", "referred", "closed"
STATUSES = (RECEIVED, UNDER_REVIEW, REFERRED, CLOSED)
OUTCOMES = ("confirmed, measures taken", "not confirmed", "referred to the authorised body",
            "not enough information")
REPORTER, ACS = "reporter", "acs"


class Report(db.Model):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    passphrase_hash: Mapped[str] = mapped_column(String(256))
    category: Mapped[str] = mapped_column(String(20), index=True)
    what: Mapped[str] = mapped_column(Text)
    place: Mapped[str] = mapped_column(String(300), default="")
    happened: Mapped[str] = mapped_column(String(200), default="")      # when, in the reporter's words
    anonymous: Mapped[bool] = mapped_column(default=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))   # only if named
    contact: Mapped[str] = mapped_column(String(200), default="")       # only if named
    status: Mapped[str] = mapped_column(String(20), default=RECEIVED, index=True)
    received_on: Mapped[date] = mapped_column(index=True)
    due_on: Mapped[date]
    first_answer_on: Mapped[date | None]
    closed_on: Mapped[date | None]
    outcome: Mapped[str] = mapped_column(String(60), default="")
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)

    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])
    messages: Mapped[list["ReportMessage"]] = relationship(back_populates="report", order_by="ReportMessage.id")
    attachments: Mapped[list["ReportAttachment"]] = relationship(back_populates="report",
                                                                 order_by="ReportAttachment.id")


class ReportMessage(db.Model):
    """A message between reporter and ACS, or an internal note that the reporter never sees."""

    __tablename__ = "report_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(10))          # reporter | acs
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    internal: Mapped[bool] = mapped_column(default=False)
    body: Mapped[str] = mapped_column(Text)
    created_on: Mapped[date]

    report: Mapped[Report] = relationship(back_populates="messages")
    officer: Mapped[User | None] = relationship()


class ReportAttachment(db.Model):
    """An image attached by the reporter: re-encoded without its metadata, stored under a random name."""

    __tablename__ = "report_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    mimetype: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]
    created_on: Mapped[date]

    report: Mapped[Report] = relationship(back_populates="attachments")


class Setting(db.Model):
    """A value the ACS sets in the interface (for example the time limit for a first answer)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
