"""E-mail's personal data: the messages written to a person (address, subject, body) and their opt-outs."""
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from app.core.personal import WHILE_ACCOUNT, Holding, rows_of
from app.extensions import db
from app.mail.models import MailOptOut, OutboxMessage

HOLDINGS = (
    Holding("mail_outbox", ("user_id",), _l("E-mail written to a person: address, subject, text, when it was sent"),
            _l("Invitations, password links, reminders and the digest; sending each message once"), "notifications",
            ("admin",)),
    Holding("mail_opt_outs", ("user_id",), _l("The e-mail categories a person turned off"),
            _l("Sending only the messages a person wants"), WHILE_ACCOUNT, ("self",)),
)


def personal_data_of(user_id: int) -> dict:
    """Return the messages written to the person and the categories they turned off."""
    return {
        "messages": rows_of(select(OutboxMessage).where(OutboxMessage.user_id == user_id).order_by(OutboxMessage.id)),
        "opted_out_of": sorted(db.session.scalars(select(MailOptOut.category).where(MailOptOut.user_id == user_id))),
    }


def _forget_contents(condition) -> None:
    """Keep a sent message's key and time (so it is never sent again) but not its address or text."""
    db.session.execute(update(OutboxMessage).where(condition, OutboxMessage.sent_at.is_not(None))
                       .values(to_address="", subject="", text_body="", html_body="", last_error=""))
    db.session.execute(delete(OutboxMessage).where(condition, OutboxMessage.sent_at.is_(None)))


def erase_personal_data(user_id: int, uploads: Path) -> None:
    """Drop messages not yet sent, empty the sent ones, and forget the person's opt-outs."""
    _forget_contents(OutboxMessage.user_id == user_id)
    db.session.execute(delete(MailOptOut).where(MailOptOut.user_id == user_id))


def remove_expired(kind: str, cutoff, uploads: Path) -> int:
    """Empty the messages written before the cutoff (with the notifications' period)."""
    if kind != "notifications":
        return 0
    condition = (OutboxMessage.created_at < cutoff) & (OutboxMessage.to_address != "")
    count = db.session.scalar(select(db.func.count()).select_from(OutboxMessage).where(condition)) or 0
    _forget_contents(condition)
    return count
