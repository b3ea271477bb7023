"""Rules of the club and the youth movement.

What counts for the plan (one participation row per person, activity and period):
- 2.3 (the club; its form of completion is "collection of proposals and ideas from young
  people"): being accepted as a member, and proposing an idea;
- 2.4 (the clubs' meeting): checking in at a meeting, an event with check-in like any other;
- 2.14 (anti-corruption volunteering): volunteering confirmed by a coordinator;
- 2.8 (video and audio clips): a student's clip published in the showcase.
"""
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from app.audit import service as audit
from app.certificates import service as certificates
from app.club.models import (ACCEPTED, CONFIRMED, DECLINED, DECLINED_IDEA, IDEA_CATEGORIES, IDEA_STATUSES, LEFT,
                             PENDING, REJECTED, Clip, Idea, IdeaVote, Membership, VolunteerLog)
from app.core import events
from app.core.db_helpers import dialect_insert
from app.core.uploads import UploadError, store_image
from app.extensions import db
from app.people.models import ADMIN, COORDINATOR, STUDENT, Faculty, Group, User
from app.plan import service as plan_service

IDEA_CATEGORY_LABELS = {
    "enrolment": _l("Enrolment"), "dormitory": _l("Dormitory places"), "grants": _l("Grants"),
    "exams": _l("Exams"), "scholarships": _l("Scholarships"), "procurement": _l("Procurement"), "other": _l("Other"),
}
IDEA_STATUS_LABELS = {
    "new": _l("waiting for an answer"), "under consideration": _l("under consideration"),
    "accepted and planned": _l("accepted and planned"), "implemented": _l("implemented"), "declined": _l("declined"),
}
VOLUNTEER_XP = 15


class ClubError(ValueError):
    """The request was refused; the message says why, for the person."""


def _participate(user_id: int, code: str, source: str, ref: str, when: datetime) -> None:
    activity = plan_service.activity_at(when, code)
    if activity is not None:
        plan_service.record_participation(user_id, activity, source=source, source_ref=ref, when=when)


def may_coordinate(user: User) -> bool:
    return user.has_role(COORDINATOR, ADMIN)


# --- membership -----------------------------------------------------------------------------------

def membership_of(user_id: int) -> Membership | None:
    return db.session.execute(select(Membership).where(Membership.user_id == user_id)).scalar_one_or_none()


def is_member(user_id: int) -> bool:
    found = membership_of(user_id)
    return found is not None and found.status == ACCEPTED


def apply(user: User, motivation: str, now: datetime) -> Membership:
    if not user.has_role(STUDENT):
        raise ClubError(_("The club is for students."))
    motivation = motivation.strip()
    if not 20 <= len(motivation) <= 1500:
        raise ClubError(_("Tell the coordinator in a few sentences why you want to join (20 to 1,500 characters)."))
    found = membership_of(user.id)
    if found is not None and found.status == PENDING:
        raise ClubError(_("Your application is waiting for the coordinator's decision."))
    if found is not None and found.status == ACCEPTED:
        raise ClubError(_("You are already a member of the club."))
    found = found or Membership(user_id=user.id)
    found.motivation, found.status, found.applied_at = motivation, PENDING, now
    found.decided_at, found.decided_by_id, found.reason = None, None, ""
    db.session.add(found)
    db.session.commit()
    return found


def decide(membership: Membership, coordinator: User, accept: bool, reason: str, now: datetime) -> None:
    """Accept or decline a pending application; a decline needs a reason, which the student sees."""
    if not may_coordinate(coordinator):
        raise ClubError(_("Only a club coordinator decides applications."))
    if membership.status != PENDING:
        raise ClubError(_("This application has already been decided."))
    reason = reason.strip()
    if not accept and len(reason) < 5:
        raise ClubError(_("Give the student a reason for declining."))
    membership.status = ACCEPTED if accept else DECLINED
    membership.decided_at, membership.decided_by_id, membership.reason = now, coordinator.id, reason
    if accept:
        _participate(membership.user_id, "2.3", "club", f"member:{membership.id}", now)
    audit.record("club.accept" if accept else "club.decline", actor=coordinator, subject=f"user:{membership.user_id}",
                 payload={"reason": reason} if not accept else {}, now=now)
    db.session.commit()


def leave(user: User, now: datetime) -> None:
    found = membership_of(user.id)
    if found is None or found.status != ACCEPTED:
        raise ClubError(_("You are not a member of the club."))
    found.status, found.decided_at = LEFT, now
    db.session.commit()


def applications(status: str = PENDING) -> list[Membership]:
    return db.session.execute(select(Membership).where(Membership.status == status).order_by(Membership.applied_at)
                              .options(db.joinedload(Membership.user))).scalars().all()


def members_by_faculty() -> list[tuple[str, list[User]]]:
    rows = db.session.execute(select(User, Faculty.name).join(Membership, Membership.user_id == User.id)
                              .outerjoin(Group, Group.id == User.group_id).outerjoin(Faculty, Faculty.id == Group.faculty_id)
                              .where(Membership.status == ACCEPTED).order_by(Faculty.name, User.full_name)).all()
    grouped: dict[str, list[User]] = {}
    for user, faculty in rows:
        grouped.setdefault(faculty or _("No faculty"), []).append(user)
    return list(grouped.items())


def member_counts() -> tuple[int, list[tuple[str, int]]]:
    rows = db.session.execute(select(Faculty.name, func.count()).select_from(Membership)
                              .join(User, User.id == Membership.user_id).outerjoin(Group, Group.id == User.group_id)
                              .outerjoin(Faculty, Faculty.id == Group.faculty_id)
                              .where(Membership.status == ACCEPTED).group_by(Faculty.name).order_by(Faculty.name)).all()
    return sum(n for _name, n in rows), [(name or _("No faculty"), n) for name, n in rows]


# --- ideas ----------------------------------------------------------------------------------------

def propose(user: User, category: str, title: str, body: str, now: datetime) -> Idea:
    if not user.has_role(STUDENT):
        raise ClubError(_("Ideas come from students."))
    if category not in IDEA_CATEGORIES:
        raise ClubError(_("Choose what the idea is about."))
    title, body = title.strip(), body.strip()
    if not 5 <= len(title) <= 200:
        raise ClubError(_("Give the idea a short title (5 to 200 characters)."))
    if not 20 <= len(body) <= 3000:
        raise ClubError(_("Explain the idea in a few sentences (20 to 3,000 characters)."))
    idea = Idea(author_id=user.id, category=category, title=title, body=body, created_at=now)
    db.session.add(idea)
    db.session.flush()
    _participate(user.id, "2.3", "club", f"idea:{idea.id}", now)
    db.session.commit()
    return idea


def visible_idea(idea_id: int) -> Idea | None:
    idea = db.session.get(Idea, idea_id)
    return idea if idea is not None and not idea.hidden else None


def support(user: User, idea: Idea, on: bool) -> None:
    """Add or withdraw one person's support; the count moves only when a vote row really changes."""
    if idea.hidden:
        raise ClubError(_("This idea is not open for support."))
    if on:
        added = db.session.execute(dialect_insert(IdeaVote).values(idea_id=idea.id, user_id=user.id)
                                   .on_conflict_do_nothing().returning(IdeaVote.idea_id)).scalar_one_or_none()
        if added is not None:
            db.session.execute(update(Idea).where(Idea.id == idea.id).values(supporters=Idea.supporters + 1))
    else:
        removed = db.session.execute(delete(IdeaVote).where(IdeaVote.idea_id == idea.id, IdeaVote.user_id == user.id)).rowcount
        if removed:
            db.session.execute(update(Idea).where(Idea.id == idea.id).values(supporters=Idea.supporters - 1))
    db.session.commit()


def supported_by(user_id: int, idea_ids: list[int]) -> set[int]:
    if not idea_ids:
        return set()
    return set(db.session.execute(select(IdeaVote.idea_id).where(IdeaVote.user_id == user_id,
                                                                 IdeaVote.idea_id.in_(idea_ids))).scalars())


def answer(idea: Idea, officer: User, status: str, text: str, today: date) -> None:
    """The ACS's public answer: a status and, for a decline, its reasons."""
    if status not in IDEA_STATUSES or status == "new":
        raise ClubError(_("Choose the idea's status."))
    text = text.strip()
    if status == DECLINED_IDEA and len(text) < 10:
        raise ClubError(_("A declined idea needs its reasons."))
    if len(text) > 3000:
        raise ClubError(_("Keep the answer under 3,000 characters."))
    before = idea.status
    idea.status, idea.answer, idea.answered_on, idea.answered_by_id = status, text, today, officer.id
    audit.record("idea.answer", actor=officer, subject=f"idea:{idea.id}", payload={"from": before, "to": status})
    db.session.commit()


def hide(idea: Idea, officer: User, reason: str, hidden: bool = True) -> None:
    """Take an abusive idea off the public board (or put it back); the reason stays in the audit log."""
    reason = reason.strip()
    if hidden and len(reason) < 5:
        raise ClubError(_("Say why the idea is hidden."))
    idea.hidden = hidden
    audit.record("idea.hide" if hidden else "idea.restore", actor=officer, subject=f"idea:{idea.id}",
                 payload={"reason": reason, "title": idea.title})
    db.session.commit()


def board(status: str | None, category: str | None, order: str, include_hidden: bool = False) -> list[Idea]:
    query = select(Idea)
    if not include_hidden:
        query = query.where(Idea.hidden.is_(False))
    if status in IDEA_STATUSES:
        query = query.where(Idea.status == status)
    if category in IDEA_CATEGORIES:
        query = query.where(Idea.category == category)
    query = query.order_by(Idea.created_at.desc()) if order == "new" else query.order_by(Idea.supporters.desc(), Idea.id)
    return db.session.execute(query).scalars().all()


# --- volunteering ---------------------------------------------------------------------------------

def parse_hours(raw: str) -> Decimal | None:
    try:
        hours = Decimal(raw.strip().replace(",", "."))
    except (InvalidOperation, AttributeError):
        return None
    return hours if hours.is_finite() and Decimal("0.5") <= hours <= 12 and hours * 2 == int(hours * 2) else None


def log_volunteering(user: User, done_on: date | None, hours: Decimal | None, activity: str, description: str,
                     today: date) -> VolunteerLog:
    if not user.has_role(STUDENT):
        raise ClubError(_("Volunteering is logged by students."))
    if done_on is None or done_on > today or done_on < today - timedelta(days=365):
        raise ClubError(_("Give the date you volunteered: within the last year, not in the future."))
    if hours is None:
        raise ClubError(_("Hours must be between 0.5 and 12, in half hours (for example 2 or 3.5)."))
    activity, description = activity.strip(), description.strip()
    if not 3 <= len(activity) <= 200:
        raise ClubError(_("Name the activity you volunteered at."))
    if not 10 <= len(description) <= 2000:
        raise ClubError(_("Say what you did (10 to 2,000 characters)."))
    entry = VolunteerLog(user_id=user.id, done_on=done_on, hours=hours, activity=activity, description=description)
    db.session.add(entry)
    db.session.commit()
    return entry


def decide_volunteering(entry: VolunteerLog, coordinator: User, confirm: bool, reason: str, now: datetime) -> None:
    if not may_coordinate(coordinator):
        raise ClubError(_("Only a club coordinator confirms volunteering."))
    if entry.status != PENDING:
        raise ClubError(_("This entry has already been decided."))
    if entry.user_id == coordinator.id:
        raise ClubError(_("Nobody confirms their own volunteering."))
    reason = reason.strip()
    if not confirm and len(reason) < 5:
        raise ClubError(_("Give the student a reason for rejecting."))
    entry.status = CONFIRMED if confirm else REJECTED
    entry.decided_at, entry.decided_by_id, entry.reason = now, coordinator.id, reason
    if confirm:
        when = datetime.combine(entry.done_on, time(12, 0))
        _participate(entry.user_id, "2.14", "volunteering", f"volunteering:{entry.id}", when)
        events.announce(events.xp_earned, "club", user_id=entry.user_id, amount=VOLUNTEER_XP,
                        reason=f"Volunteering: {entry.activity}"[:200], source_type="volunteering",
                        source_ref=str(entry.id), at=now)
    audit.record("volunteering.confirm" if confirm else "volunteering.reject", actor=coordinator,
                 subject=f"volunteering:{entry.id}", payload={"hours": str(entry.hours), "reason": reason}, now=now)
    db.session.commit()


def volunteering_of(user_id: int) -> list[VolunteerLog]:
    return db.session.execute(select(VolunteerLog).where(VolunteerLog.user_id == user_id)
                              .order_by(VolunteerLog.done_on.desc(), VolunteerLog.id.desc())).scalars().all()


def confirmed_hours(user_id: int) -> Decimal:
    return db.session.scalar(select(func.coalesce(func.sum(VolunteerLog.hours), 0)).where(
        VolunteerLog.user_id == user_id, VolunteerLog.status == CONFIRMED)) or Decimal(0)


def pending_volunteering() -> list[VolunteerLog]:
    return db.session.execute(select(VolunteerLog).where(VolunteerLog.status == PENDING).order_by(VolunteerLog.logged_at)
                              .options(db.joinedload(VolunteerLog.user))).scalars().all()


def volunteering_statement(user: User, today: date):
    """A signed statement of the confirmed hours (a certificate, verifiable at /verify/<code>)."""
    entries = [e for e in volunteering_of(user.id) if e.status == CONFIRMED]
    if not entries:
        raise ClubError(_("You have no confirmed volunteering yet."))
    total = sum((e.hours for e in entries), Decimal(0))
    hours = f"{total.normalize():f}"
    title = _("%(hours)s hours of anti-corruption volunteering (%(first)s – %(last)s)", hours=hours,
              first=min(e.done_on for e in entries).isoformat(), last=max(e.done_on for e in entries).isoformat())
    certificate = certificates.issue(user, kind="volunteering", subject_ref=f"volunteering:{hours}:{max(e.id for e in entries)}",
                                     title=title, issued_on=today)
    db.session.commit()
    return certificate


# --- the media showcase ---------------------------------------------------------------------------

PLATFORMS = {
    "tiktok": re.compile(r"^https://(www\.|m\.)?tiktok\.com/@[A-Za-z0-9_.]{2,24}/video/\d{8,25}/?(\?[^\s#]*)?$"
                         r"|^https://vm\.tiktok\.com/[A-Za-z0-9]{5,20}/?$"),
    "youtube": re.compile(r"^https://(www\.|m\.)?youtube\.com/(watch\?v=[A-Za-z0-9_-]{11}(&[^\s#]*)?|shorts/[A-Za-z0-9_-]{11})/?$"
                          r"|^https://youtu\.be/[A-Za-z0-9_-]{11}(\?[^\s#]*)?$"),
    "instagram": re.compile(r"^https://(www\.)?instagram\.com/(reel|reels|p)/[A-Za-z0-9_-]{5,40}/?(\?[^\s#]*)?$"),
}
PLATFORM_LABELS = {"tiktok": "TikTok", "youtube": "YouTube", "instagram": "Instagram"}


def platform_of(url: str) -> str | None:
    """Which platform a link belongs to, by its form alone (the link is never fetched)."""
    url = url.strip()
    return next((name for name, pattern in PLATFORMS.items() if pattern.match(url)), None)


def may_publish_clips(user: User) -> bool:
    return may_coordinate(user) or is_member(user.id)


@dataclass
class ClipInput:
    title: str
    description: str
    credits: str
    url: str


def publish_clip(user: User, data: ClipInput, cover, folder, today: date) -> Clip:
    if not may_publish_clips(user):
        raise ClubError(_("Clips are published by club members and the ACS."))
    title, url = data.title.strip(), data.url.strip()
    if not 3 <= len(title) <= 200:
        raise ClubError(_("Give the clip a title (3 to 200 characters)."))
    platform = platform_of(url)
    if platform is None:
        raise ClubError(_("Paste the link of a TikTok, YouTube or Instagram video, such as https://www.tiktok.com/@account/video/123…, https://youtu.be/… or https://www.instagram.com/reel/…"))
    if db.session.execute(select(Clip.id).where(Clip.url == url)).first():
        raise ClubError(_("This clip is already in the showcase."))
    clip = Clip(author_id=user.id, title=title, description=data.description.strip()[:2000],
                credits=data.credits.strip()[:300], platform=platform, url=url, published_on=today)
    if cover is not None and cover.filename:
        try:
            stored = store_image(cover.stream, folder)
        except UploadError as error:
            raise ClubError(str(error)) from None
        clip.cover_file, clip.thumb_file = stored.name, stored.thumb_name
    db.session.add(clip)
    db.session.flush()
    if user.has_role(STUDENT):
        _participate(user.id, "2.8", "media", f"clip:{clip.id}", datetime.combine(today, time(12, 0)))
    db.session.commit()
    return clip


def hide_clip(clip: Clip, officer: User, reason: str) -> None:
    if not may_coordinate(officer):
        raise ClubError(_("Only a coordinator or the ACS can hide a clip."))
    if len(reason.strip()) < 5:
        raise ClubError(_("Say why the clip is hidden."))
    clip.hidden = True
    audit.record("clip.hide", actor=officer, subject=f"clip:{clip.id}", payload={"reason": reason.strip(), "url": clip.url})
    db.session.commit()


def gallery(month: date | None = None) -> list[Clip]:
    query = select(Clip).where(Clip.hidden.is_(False))
    if month is not None:
        following = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
        query = query.where(Clip.published_on >= month, Clip.published_on < following)
    return db.session.execute(query.order_by(Clip.published_on.desc(), Clip.id.desc())).scalars().all()


def digest_months() -> list[date]:
    days = db.session.execute(select(Clip.published_on).where(Clip.hidden.is_(False))).scalars().all()
    return sorted({d.replace(day=1) for d in days}, reverse=True)
