"""Gamification's personal data: the XP ledger, badges and notifications."""
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from app.core.personal import FOR_FIGURES, WHILE_ACCOUNT, Holding, rows_of
from app.extensions import db
from app.gamification.models import GameFact, Notification, UserBadge, XpEvent
from app.gamification.service import clear_standings

HOLDINGS = (
    Holding("xp_events", ("user_id",), _l("XP earned, for what and when"), _l("Levels, streaks and leaderboards"),
            FOR_FIGURES, ("self",)),
    Holding("user_badges", ("user_id",), _l("Badges earned"), _l("Recognition on the profile"), WHILE_ACCOUNT,
            ("self",)),
    Holding("game_facts", ("user_id",), _l("What a person did that badges are earned for"),
            _l("Awarding badges"), WHILE_ACCOUNT, ("self",)),
    Holding("notifications", ("user_id",), _l("Notifications sent to a person"),
            _l("Telling a person about results, deadlines and answers"), "notifications", ("self",)),
)


def personal_data_of(user_id: int) -> dict:
    """Return the person's XP ledger, badges and notifications."""
    return {
        "xp": rows_of(select(XpEvent).where(XpEvent.user_id == user_id).order_by(XpEvent.id)),
        "badges": rows_of(select(UserBadge).where(UserBadge.user_id == user_id).order_by(UserBadge.id)),
        "facts": rows_of(select(GameFact).where(GameFact.user_id == user_id).order_by(GameFact.id)),
        "notifications": rows_of(select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)),
    }


def erase_personal_data(user_id: int, uploads: Path) -> None:
    """Delete the person's notifications; the XP ledger stays so rankings do not shift."""
    db.session.execute(delete(Notification).where(Notification.user_id == user_id))

    clear_standings()


def remove_expired(kind: str, cutoff, uploads: Path) -> int:
    """Delete notifications older than the cutoff."""
    if kind != "notifications":
        return 0
    return db.session.execute(delete(Notification).where(Notification.created_at < cutoff)).rowcount or 0
