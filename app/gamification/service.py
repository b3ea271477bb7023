"""XP: the one entry point through which features report what a person earned."""
import logging

from app.core.db_helpers import insert_ignoring_duplicates
from app.extensions import db
from app.gamification.models import XpEvent
from app.people.models import utcnow

logger = logging.getLogger(__name__)


def record_xp(user_id: int, *, amount: int, reason: str, source_type: str, source_ref: str, when=None) -> bool:
    """Append an XP event once per (person, source); return True when it was new."""
    if amount <= 0:
        return False
    new_id = db.session.execute(insert_ignoring_duplicates(XpEvent, dict(
        user_id=user_id, amount=amount, reason=reason[:200], source_type=source_type,
        source_ref=str(source_ref)[:80], created_at=when or utcnow(),
    ))).scalar_one_or_none()
    if new_id:
        logger.info("xp +%s for user %s (%s %s)", amount, user_id, source_type, source_ref)
    return new_id is not None


def reverse_xp(user_id: int, *, source_type: str, source_ref: str, when=None) -> bool:
    """Take back XP paid for a source (e.g. a withdrawn entry), once; return True if anything was taken."""
    from sqlalchemy import select

    paid = db.session.execute(select(XpEvent.amount).where(
        XpEvent.user_id == user_id, XpEvent.source_type == source_type, XpEvent.source_ref == str(source_ref))).scalar_one_or_none()
    if not paid:
        return False
    new_id = db.session.execute(insert_ignoring_duplicates(XpEvent, dict(
        user_id=user_id, amount=-paid, reason=f"Taken back: {source_type} {source_ref}"[:200],
        source_type=f"{source_type}-reversal", source_ref=str(source_ref)[:80], created_at=when or utcnow(),
    ))).scalar_one_or_none()
    return new_id is not None
