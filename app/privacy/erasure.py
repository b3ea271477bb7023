"""Erasure that keeps the figures: a person's identity, free texts and files go; what the plan's figures,
contest results and the audit log rest on stays, under the person's id as a pseudonym."""
import logging
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from app.audit import service as audit
from app.extensions import db
from app.people.models import User
from app.privacy import providers
from app.privacy.models import DECLINED, DONE, PENDING, Erasure, ErasureRequest

logger = logging.getLogger(__name__)


class ErasureError(ValueError):
    """The erasure cannot be done (the reason is a message for the person who asked)."""


def is_erased(user_id: int) -> bool:
    """Whether the person's data has been erased."""
    return db.session.get(Erasure, user_id) is not None


def request_erasure(user: User, reason: str, at: datetime) -> ErasureRequest:
    """Record a person's request to erase their data (one pending request at a time; the caller commits)."""
    pending = db.session.execute(select(ErasureRequest).where(
        ErasureRequest.user_id == user.id, ErasureRequest.status == PENDING)).scalar_one_or_none()
    if pending is not None:
        return pending
    request = ErasureRequest(user_id=user.id, reason=reason.strip()[:2000], requested_at=at)
    db.session.add(request)
    db.session.flush()
    logger.info("user %s asked to erase their data", user.id)
    return request


def pending_requests() -> list[ErasureRequest]:
    """Requests waiting for the ACS, oldest first, with their people."""
    from sqlalchemy.orm import joinedload

    return db.session.execute(select(ErasureRequest).options(joinedload(ErasureRequest.user))
                              .where(ErasureRequest.status == PENDING).order_by(ErasureRequest.requested_at)
                              ).scalars().all()


def decline_request(request: ErasureRequest, actor: User, at: datetime) -> None:
    """Decline a request (the law may require keeping the data); the person sees the status."""
    request.status, request.decided_at, request.decided_by_id = DECLINED, at, actor.id
    logger.info("erasure request %s declined by user %s", request.id, actor.id)


def erase_person(user: User, actor: User | None, at: datetime, uploads: Path, trigger: str = "request") -> Erasure:
    """Erase a person's data in every feature, make sign-in impossible, and write it to the audit log.

    The caller commits. Running it twice changes nothing the second time.
    """
    if actor is not None and actor.id == user.id:
        raise ErasureError("self")
    existing = db.session.get(Erasure, user.id)
    if existing is not None:
        return existing
    providers.erase_everywhere(user.id, uploads)
    erasure = Erasure(user_id=user.id, erased_at=at, erased_by_id=getattr(actor, "id", None), trigger=trigger)
    db.session.add(erasure)
    for request in db.session.execute(select(ErasureRequest).where(
            ErasureRequest.user_id == user.id, ErasureRequest.status == PENDING)).scalars():
        request.status, request.decided_at, request.decided_by_id = DONE, at, getattr(actor, "id", None)
    audit.record("person.erased", actor=actor, subject=f"user:{user.id}", payload={"trigger": trigger}, now=at)
    db.session.flush()
    logger.info("personal data of user %s erased (%s) by user %s", user.id, trigger, getattr(actor, "id", None))
    return erasure
