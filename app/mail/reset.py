"""Password reset by e-mail: the same answer and the same work whether or not the address is known.

Known or not, a request looks the address up, renders the message (for a stand-in person when
nobody has that address), and starts one delivery job; only a known, active person's message is
written to the outbox. Requests are throttled per address and per client, and a throttled request
gets the same answer too.
"""
import hashlib
import hmac
import logging
from datetime import datetime

from flask import current_app
from limits import parse

from app.extensions import db, limiter
from app.jobs import service as jobs
from app.mail import messages, service
from app.people.models import User
from app.people.service import find_user_by_email, normalise_email

logger = logging.getLogger(__name__)


def _throttled(email: str, address_key: str | None) -> bool:
    """Count this request; True when the e-mail or the client has asked too often."""
    config = current_app.config
    secret = config["SECRET_KEY"].encode()
    keys = {"account": hmac.new(secret, email.encode(), hashlib.sha256).hexdigest()[:32], "address": address_key}
    limits = {"account": parse(config.get("RESET_LIMIT_PER_ACCOUNT", "3 per hour")),
              "address": parse(config.get("RESET_LIMIT_PER_ADDRESS", "20 per hour"))}
    allowed = True
    for kind, key in keys.items():
        if key and not limiter.limiter.hit(limits[kind], config["RATELIMIT_KEY_PREFIX"], "reset", kind, key):
            allowed = False
    return not allowed


def request_password_reset(raw_email: str, address_key: str | None, now: datetime) -> None:
    """Send a set-password link to the address if it belongs to an active person; say nothing either way."""
    email = normalise_email(raw_email)
    if _throttled(email, address_key):
        logger.warning("password reset throttled")
        return
    user = find_user_by_email(email)
    known = user is not None and user.active
    person = user if known else User(id=0, email=email or "nobody@localhost", full_name="", language="",
                                     session_token="-")
    row = messages.password_reset(person, now)
    if known:
        service.add_to_outbox([row])
        logger.info("password reset link written for user %s", user.id)
    db.session.commit()
    jobs.start("deliver", started_by=None)
