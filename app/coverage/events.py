"""Offline events: codes, check-in inside the time window, attendance import. Each check-in counts once."""
import hashlib
import logging
import secrets
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.audit import service as audit
from app.core import events as domain_events
from app.core.db_helpers import insert_ignoring_duplicates
from app.coverage.models import ApiToken, CheckIn, Event
from app.extensions import db
from app.people.models import User
from app.people.service import ImportReport, normalise_email, read_csv
from app.plan import service as plan_service
from app.plan.models import STUDENTS, Activity

logger = logging.getLogger(__name__)
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
EVENT_XP = 15


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


EVENT_SECTION = 2   # "Anti-corruption training and education of the students"


def activities_for_events(plan, *, everything: bool) -> list:
    """The plan activities a person may hold an event for: every one for the ACS, else the
    student activities of section 2 (what curators and coordinators run)."""
    query = select(Activity).where(Activity.plan_id == plan.id, Activity.retired.is_(False))
    if not everything:
        query = query.where(Activity.section == EVENT_SECTION, Activity.population == STUDENTS)
    return db.session.execute(query.order_by(Activity.position)).scalars().all()


def create_event(activity, title: str, location: str, starts_at: datetime, ends_at: datetime, actor: User) -> Event:
    event = Event(activity_id=activity.id, title=title.strip(), location=location.strip(), starts_at=starts_at,
                  ends_at=ends_at, code=new_code(), created_by_id=actor.id)
    db.session.add(event)
    db.session.commit()
    logger.info("event %s created by %s", event.id, actor.id)
    return event


def rotate_code(event: Event, actor: User) -> str:
    """Give the event a new code; the old one stops working at once."""
    event.code = new_code()
    db.session.commit()
    logger.info("check-in code of event %s rotated by %s", event.id, actor.id)
    return event.code


def event_by_code(code: str) -> Event | None:
    cleaned = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    return db.session.execute(select(Event).where(Event.code == cleaned)).scalar_one_or_none() if cleaned else None


def _record(event: Event, user: User, when: datetime, source: str) -> bool:
    new_id = db.session.execute(insert_ignoring_duplicates(CheckIn, dict(
        event_id=event.id, user_id=user.id, checked_in_at=when, source=source))).scalar_one_or_none()
    if new_id is None:
        return False
    if plan_service.belongs_to_population(user, event.activity.population):
        plan_service.record_participation(user.id, event.activity, source="checkin" if source == "code" else "import",
                                          source_ref=f"event:{event.id}", when=when)
    domain_events.announce(domain_events.checkin_recorded, "coverage", user_id=user.id, event_id=event.id,
                           activity_id=event.activity_id, source=source, at=when)
    domain_events.announce(domain_events.xp_earned, "coverage", user_id=user.id, amount=EVENT_XP,
                           reason=f"Attended: {event.title}", source_type="event", source_ref=str(event.id), at=when)
    return True


def check_in(code: str, user: User, now: datetime) -> tuple[str, Event | None]:
    """Check a person in with an event code: ("ok" | "again" | "unknown" | "closed", event)."""
    event = event_by_code(code)
    if event is None:
        return "unknown", None
    if not event.starts_at <= now <= event.ends_at:
        return "closed", event
    result = "ok" if _record(event, user, now, "code") else "again"
    db.session.commit()
    return result, event


def attendance(event: Event, group_ids: set[int] | None = None) -> tuple[list[tuple[User, CheckIn]], int]:
    """Who checked in, by name, among the people of `group_ids` (None: everyone), and how many others did."""
    query = (select(User, CheckIn).join(CheckIn, CheckIn.user_id == User.id)
             .where(CheckIn.event_id == event.id).order_by(User.full_name))
    if group_ids is None:
        return db.session.execute(query).all(), 0
    shown = db.session.execute(query.where(User.group_id.in_(group_ids))).all()
    total = db.session.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.event_id == event.id))
    return shown, total - len(shown)


def import_attendance(event: Event, text: str, actor: User, dry_run: bool = False,
                      group_ids: set[int] | None = None) -> ImportReport:
    """Record attendance from CSV with an `email` or `student_id` column; bad rows are reported by line.

    With `group_ids` (a curator's groups) only people of those groups are recorded; anyone else is
    rejected with the same words as an unknown person, so the import reveals nothing about them."""
    report = ImportReport(dry_run=dry_run)
    rows, problem = read_csv(text, set())
    if problem:
        report.rejected.append((1, problem))
        return report
    if rows and not ({"email", "student_id"} & set(rows[0])):
        report.rejected.append((1, _("Missing column(s): %(cols)s.", cols="email or student_id")))
        return report
    emails = {normalise_email(r.get("email", "")) for r in rows if r.get("email")}
    ids = {r.get("student_id", "") for r in rows if r.get("student_id")}
    query = select(User).where((User.email.in_(emails)) | (User.student_id.in_(ids)))
    if group_ids is not None:
        query = query.where(User.group_id.in_(group_ids))
    people = db.session.execute(query).scalars().all()
    by_email = {u.email: u for u in people}
    by_id = {u.student_id: u for u in people if u.student_id}
    for line, row in enumerate(rows, start=2):
        user = by_email.get(normalise_email(row.get("email", ""))) if row.get("email") else by_id.get(row.get("student_id", ""))
        if user is None:
            report.rejected.append((line, _("nobody with this e-mail or student id")) if group_ids is None else
                                   (line, _("nobody in your groups with this e-mail or student id")))
            continue
        if dry_run:
            exists = db.session.execute(select(CheckIn.id).where(CheckIn.event_id == event.id, CheckIn.user_id == user.id)).first()
            report.unchanged += 1 if exists else 0
            report.created += 0 if exists else 1
            continue
        if _record(event, user, event.starts_at, "import"):
            report.created += 1
        else:
            report.unchanged += 1
    if not dry_run:
        audit.record("attendance.imported", actor=actor, subject=f"event:{event.id}",
                     payload={"created": report.created, "rejected": len(report.rejected)})
        db.session.commit()
    return report


# --- API tokens ----------------------------------------------------------------------------

def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(name: str, actor: User | None) -> str:
    """Create an API token; the token itself is returned once and only its hash is kept."""
    token = "su_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(name=name.strip()[:120], token_hash=token_digest(token),
                            created_by_id=getattr(actor, "id", None)))
    audit.record("api_token.created", actor=actor, subject=f"api-token:{name.strip()[:60]}")
    db.session.commit()
    return token


def revoke_token(token: ApiToken, actor: User, now: datetime) -> None:
    token.revoked_at = now
    audit.record("api_token.revoked", actor=actor, subject=f"api-token:{token.name}")
    db.session.commit()


def token_for(raw: str, now: datetime) -> ApiToken | None:
    token = db.session.execute(select(ApiToken).where(ApiToken.token_hash == token_digest(raw))).scalar_one_or_none()
    if token is None or token.revoked_at is not None:
        return None
    token.last_used_at = now
    db.session.commit()
    return token
