"""E-mail's personal data: the messages written to a person, and the kinds of mail they turned off."""
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from app.core.personal import WHILE_ACCOUNT, Holding
from app.extensions import db
from app.mail.models import MailOptOut, OutboxMessage

HOLDINGS = (
    Holding("mail_outbox", ("user_id",), _l("E-mail messages to a person: address, subject, text, when sent"),
            _l("Invitations, password resets, reminders and digests, each sent once"), WHILE_ACCOUNT, ("self", "admin")),
    Holding("mail_opt_outs", ("user_id",), _l("Kinds of e-mail a person turned off"),
            _l("Sending nobody mail they declined"), WHILE_ACCOUNT, ("self",)),
)


def personal_data_of(user_id: int) -> dict:
    """Return the messages written to the person (without their bodies' layout) and their opt-outs."""
    messages = db.session.execute(select(OutboxMessage).where(OutboxMessage.user_id == user_id)
                                  .order_by(OutboxMessage.id)).scalars()
    return {
        "messages": [{"to": m.to_address, "category": m.category, "subject": m.subject, "text": m.text_body,
                      "created_at": m.created_at.isoformat(), "sent_at": m.sent_at.isoformat() if m.sent_at else None}
                     for m in messages],
        "opted_out_of": list(db.session.scalars(select(MailOptOut.category).where(MailOptOut.user_id == user_id)
                                                .order_by(MailOptOut.category))),
    }


def erase_personal_data(user_id: int, uploads: Path) -> None:
    """Delete every message written to the person (they hold the name and address) and their opt-outs."""
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.user_id == user_id))
    db.session.execute(delete(MailOptOut).where(MailOptOut.user_id == user_id))
