"""The privacy notice (versioned, in English, Kazakh and Russian) and each person's consent to it."""
import logging
from datetime import datetime

from sqlalchemy import and_, case, func, select

from app.core.db_helpers import insert_ignoring_duplicates
from app.extensions import db
from app.people.models import User
from app.privacy.models import Consent, PrivacyNotice

logger = logging.getLogger(__name__)
LANGUAGES = ("en", "kk", "ru")


class NoticeError(ValueError):
    """The notice cannot be published as typed."""


def current_notice() -> PrivacyNotice | None:
    """Return the newest version of the notice, or None when none has been published."""
    return db.session.execute(select(PrivacyNotice).order_by(PrivacyNotice.version.desc()).limit(1)).scalar_one_or_none()


def owed_version(user_id: int) -> int | None:
    """Return the notice version the person has yet to consent to, or None (no notice, or consent given)."""
    row = db.session.execute(
        select(PrivacyNotice.version, Consent.id)
        .outerjoin(Consent, and_(Consent.version == PrivacyNotice.version, Consent.user_id == user_id))
        .order_by(PrivacyNotice.version.desc()).limit(1)).first()
    if row is None or row[1] is not None:
        return None
    return row[0]


def owed_version_expression():
    """`owed_version` as a scalar expression correlated to `User`, for the statement that loads the signed-in person."""
    latest = select(func.max(PrivacyNotice.version)).scalar_subquery()
    consented = (select(Consent.id).where(Consent.user_id == User.id, Consent.version == latest)
                 .correlate(User).exists())
    return case((consented, None), else_=latest)


def notice_text(notice: PrivacyNotice, language: str) -> str:
    """The notice in the reader's language, falling back to English where a translation is missing."""
    return getattr(notice, f"text_{language}", "") if language in LANGUAGES and getattr(
        notice, f"text_{language}", "").strip() else notice.text_en


def publish_notice(texts: dict[str, str], actor_id: int | None, at: datetime) -> PrivacyNotice:
    """Publish a new version of the notice; everyone is asked to consent again (the caller commits)."""
    cleaned = {language: (texts.get(language) or "").strip() for language in LANGUAGES}
    if not cleaned["en"]:
        raise NoticeError("english")
    latest = db.session.scalar(select(func.max(PrivacyNotice.version))) or 0
    notice = PrivacyNotice(version=latest + 1, text_en=cleaned["en"], text_kk=cleaned["kk"], text_ru=cleaned["ru"],
                           published_at=at, published_by_id=actor_id)
    db.session.add(notice)
    db.session.flush()
    logger.info("privacy notice version %s published by user %s", notice.version, actor_id)
    return notice


def give_consent(user_id: int, version: int, at: datetime) -> bool:
    """Record the person's consent to `version`, once: one INSERT that a consent already given leaves alone.

    Return whether this call recorded it (a second click, or a second tab, finds it recorded)."""
    new_id = db.session.execute(insert_ignoring_duplicates(Consent, dict(
        user_id=user_id, version=version, given_at=at))).scalar_one_or_none()
    if new_id is not None:
        logger.info("user %s consented to privacy notice version %s", user_id, version)
    return new_id is not None


def consents_of(user_id: int) -> list[Consent]:
    """The person's consents, oldest first."""
    return db.session.execute(select(Consent).where(Consent.user_id == user_id).order_by(Consent.version)).scalars().all()
