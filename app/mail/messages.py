"""The account messages: an invitation with the one-time set-password link, and a password reset."""
import logging
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.mail import service
from app.people.models import User
from app.people.service import make_password_token

logger = logging.getLogger(__name__)


def _link_days() -> int:
    return max(1, current_app.config["PASSWORD_LINK_MAX_AGE"] // 86400)


def _invitation(user: User, job_id: int | None) -> dict:
    """What compose() needs for the invitation of one person (key: one per job and person)."""
    link = service.external_url("auth.set_password",
                                token=make_password_token(user, current_app.config["SECRET_KEY"]))
    return dict(key=f"invite:{job_id}:{user.id}", category=service.ACCOUNT, template="invitation",
                subject=lambda: _("Your account on Sanaly Urpaq"), job_id=job_id, link=link, days=_link_days())


def invitations(people, job_id: int | None) -> list[dict]:
    """The outbox rows inviting these people to choose a password."""
    return service.compose_all(people, lambda person: _invitation(person, job_id))


def password_reset(user: User, now: datetime, job_id: int | None = None) -> dict:
    """The outbox row with a link to choose a new password."""
    link = service.external_url("auth.set_password",
                                token=make_password_token(user, current_app.config["SECRET_KEY"]))
    return service.compose(user, key=f"reset:{user.id}:{now.isoformat()}", category=service.ACCOUNT,
                           template="password_reset", subject=lambda: _("Choosing a new password"),
                           job_id=job_id, link=link, days=_link_days())


def people_to_invite(*, group_id: int | None = None, user_ids=None) -> list[int]:
    """Active people of a group (or of a list) who have not chosen a password yet, by id."""
    query = select(User.id).where(User.active.is_(True), User.password_hash.is_(None)).order_by(User.id)
    if group_id is not None:
        query = query.where(User.group_id == group_id)
    if user_ids is not None:
        ids = list(user_ids)
        found = []
        for start in range(0, len(ids), 1000):
            found += db.session.execute(query.where(User.id.in_(ids[start:start + 1000]))).scalars().all()
        return sorted(found)
    return db.session.execute(query).scalars().all()


def queue_invitations(user_ids: list[int], job_id: int, progress=None, offset: int = 0, total: int | None = None) -> int:
    """Write the invitations of these people to the outbox, skipping those already written; return how many."""
    added = 0
    for start in range(0, len(user_ids), 500):
        chunk = user_ids[start:start + 500]
        done = service.existing_keys(f"invite:{job_id}:{uid}" for uid in chunk)
        people = db.session.execute(select(User).where(User.id.in_(
            [uid for uid in chunk if f"invite:{job_id}:{uid}" not in done]))).scalars().all()
        added += service.add_to_outbox(invitations(people, job_id))
        db.session.commit()
        if progress:
            progress(offset + start + len(chunk), total)
    return added
