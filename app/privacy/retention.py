"""Retention: how long each kind of data is kept (set by the ACS), the job that removes what has expired,
and the register of processing — built from the same periods and the features' declarations."""
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core.personal import FOR_FIGURES, PERMANENT, WHILE_ACCOUNT
from app.extensions import db
from app.people.models import User
from app.privacy import providers
from app.privacy.erasure import erase_person
from app.privacy.models import Erasure, RetentionPeriod, RetentionRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kind:
    key: str
    default_days: int
    label: object       # what is removed
    counted_from: object  # from when the period runs


KINDS = (
    Kind("reports", 1095, _l("Closed reports, their messages and images"), _l("the day the case was closed")),
    Kind("quiz_answers", 365, _l("Answers of closed quiz attempts (scores stay)"), _l("the attempt's submission")),
    Kind("notifications", 180, _l("Notifications"), _l("the day they were sent")),
    Kind("withdrawn_uploads", 90, _l("Texts and files of withdrawn contest entries"), _l("the withdrawal")),
    Kind("graduate_accounts", 1095, _l("Deactivated accounts (graduates, staff who left): erased, figures kept"),
         _l("the last sign-in")),
    Kind("access_log", 1095, _l("The access log"), _l("the look")),
)
BY_KEY = {kind.key: kind for kind in KINDS}
MIN_DAYS, MAX_DAYS = 1, 36500
FIXED = {WHILE_ACCOUNT: _l("While the account exists"), FOR_FIGURES: _l("Kept without identity after erasure"),
         PERMANENT: _l("Permanently (names only an id)")}


def periods() -> dict[str, int]:
    """Return the retention period in days of every kind: the ACS's setting or the default."""
    configured = {row.kind: row.days for row in db.session.execute(select(RetentionPeriod)).scalars()}
    return {kind.key: configured.get(kind.key, kind.default_days) for kind in KINDS}


def set_period(kind: str, days: int, actor_id: int | None, at: datetime) -> None:
    """Set how many days one kind of data is kept (the caller commits)."""
    if kind not in BY_KEY or not MIN_DAYS <= days <= MAX_DAYS:
        raise ValueError(kind)
    row = db.session.get(RetentionPeriod, kind)
    if row is None:
        db.session.add(RetentionPeriod(kind=kind, days=days, changed_at=at, changed_by_id=actor_id))
    elif row.days != days:
        row.days, row.changed_at, row.changed_by_id = days, at, actor_id
    logger.info("retention of %s set to %s days by user %s", kind, days, actor_id)


def _expired_accounts(cutoff: datetime) -> list[User]:
    """Deactivated, not yet erased accounts whose last sign-in (or creation) is older than the cutoff."""
    erased = select(Erasure.user_id)
    return db.session.execute(select(User).where(
        User.active.is_(False), User.id.not_in(erased),
        ((User.last_login_at.is_not(None)) & (User.last_login_at < cutoff))
        | ((User.last_login_at.is_(None)) & (User.created_at < cutoff)))).scalars().all()


def apply_retention(now: datetime, uploads: Path) -> dict[str, int]:
    """Remove every kind of data older than its period; log and return what was removed (the caller commits)."""
    removed = {}
    for kind, days in periods().items():
        cutoff = now - timedelta(days=days)
        if kind == "graduate_accounts":
            accounts = _expired_accounts(cutoff)
            for user in accounts:
                erase_person(user, None, now, uploads, trigger="retention")
            removed[kind] = len(accounts)
        else:
            removed[kind] = providers.remove_expired(kind, cutoff, uploads)
    db.session.add(RetentionRun(ran_at=now, removed=json.dumps(removed, sort_keys=True)))
    logger.info("retention removed %s", ", ".join(f"{k}: {v}" for k, v in removed.items()))
    return removed


def recent_runs(limit: int = 10) -> list[tuple[RetentionRun, dict]]:
    """The latest runs of the job, newest first, with what each removed."""
    runs = db.session.execute(select(RetentionRun).order_by(RetentionRun.ran_at.desc()).limit(limit)).scalars()
    return [(run, json.loads(run.removed)) for run in runs]


@dataclass
class RegisterRow:
    feature: object
    table: str
    what: object
    purpose: object
    kept: str
    seen_by: tuple[str, ...]


def retention_text(retention: str, days: dict[str, int]) -> str:
    """Say how long data of one retention kind is kept."""
    from flask_babel import gettext as _

    if retention in BY_KEY:
        return _("%(days)d days from %(start)s", days=days[retention], start=BY_KEY[retention].counted_from)
    return str(FIXED[retention])


def register() -> list[RegisterRow]:
    """The register of processing: every holding of every feature, with its period as configured now."""
    days = periods()
    return [RegisterRow(label, holding.table, holding.what, holding.purpose, retention_text(holding.retention, days),
                        holding.seen_by) for _feature, label, holding in providers.holdings()]
