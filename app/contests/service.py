"""Rules of contests: entering, blind jury assignment, scoring and sealing, results and their proof."""
import hashlib
import hmac
import io
import json
import logging
import random
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from app.audit import service as audit
from app.audit import verify_audit
from app.certificates import service as certificates
from app.core.clock import local_date
from app.core.localize import N_, titles_in_every_language, tr
from app.contests import aggregate
from app.contests.assignment import EntryInfo, JurorInfo, allowed, plan_assignment, same_faculty
from app.contests import events as _announcements  # noqa: F401  (announces submissions and withdrawals)
from app.contests.models import (ACTIVE, CONFLICT, REMOVED, SUBMITTED, WITHDRAWN, Contest, Entry,
                                 JuryAssignment, JuryScore, PendingCover)
from app.core import events, markdown
from app.core.uploads import StoredImage, UploadError, remove_stored, store_image
from app.extensions import db
from app.people.models import JURY, STUDENT, User, UserRole
from app.plan import service as plan_service

logger = logging.getLogger(__name__)
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
TIKTOK_LONG = re.compile(r"^https?://(?:www\.|m\.)?tiktok\.com/@([A-Za-z0-9_.]{2,24})/video/(\d{8,25})(?:[/?#].*)?$")
TIKTOK_SHORT = re.compile(r"^https?://vm\.tiktok\.com/([A-Za-z0-9]{5,16})/?(?:[?#].*)?$")
PENDING_COVER_HOURS = 24


# --- phases -------------------------------------------------------------------------

def phase(contest: Contest, now: datetime) -> str:
    """upcoming → submissions → judging → awaiting results → published."""
    if contest.published_at is not None:
        return "published"
    if now < contest.submissions_open:
        return "upcoming"
    if now < contest.submissions_close:
        return "submissions"
    if now < contest.judging_close:
        return "judging"
    return "awaiting results"


def contest_by_slug(slug: str) -> Contest | None:
    return db.session.execute(select(Contest).where(Contest.slug == slug, Contest.retired.is_(False))).scalar_one_or_none()


def entry_by_code(code: str) -> Entry | None:
    return db.session.execute(select(Entry).where(Entry.code == code.upper())).scalar_one_or_none()


def live_entries(user_id: int, contest: Contest) -> list[Entry]:
    return db.session.execute(select(Entry).where(
        Entry.contest_id == contest.id, Entry.author_id == user_id, Entry.status != WITHDRAWN)
        .order_by(Entry.created_at)).scalars().all()


def may_enter(user: User, contest: Contest, now: datetime) -> str | None:
    """None when the person may start a new entry, else the reason they may not."""
    if phase(contest, now) != "submissions":
        return _("Entries are not being accepted now.")
    if contest.eligibility == "students" and not user.has_role(STUDENT):
        return _("This contest is for students.")
    if len(live_entries(user.id, contest)) >= contest.entries_per_person:
        return _("You have already entered this contest.")
    return None


# --- entries --------------------------------------------------------------------------

def canonical_tiktok(url: str) -> str | None:
    """Return the canonical form of a TikTok video link, or None if it is not one (never fetched)."""
    url = (url or "").strip()
    match = TIKTOK_LONG.match(url)
    if match:
        return f"https://www.tiktok.com/@{match[1]}/video/{match[2]}"
    match = TIKTOK_SHORT.match(url)
    if match:
        return f"https://vm.tiktok.com/{match[1]}/"
    return None


def identity_hints(user: User, *texts: str) -> list[str]:
    """Parts of the author's name or e-mail that appear in the entry's text (it should be anonymous)."""
    haystack = unicodedata.normalize("NFKC", " ".join(texts)).casefold()
    words = set(re.findall(r"\w+", haystack))
    found = []
    for part in unicodedata.normalize("NFKC", user.full_name).casefold().split():
        if len(part) >= 3 and part in words:
            found.append(part)
    local = user.email.split("@")[0]
    if user.email in haystack or (len(local) >= 4 and local in haystack):
        found.append(user.email)
    return found


@dataclass
class EntryDraft:
    title: str = ""
    body: str = ""
    video_url: str = ""
    description: str = ""
    show_name: bool = False


@dataclass
class SaveOutcome:
    entry: Entry | None
    problems: dict[str, str] = field(default_factory=dict)
    identity: list[str] = field(default_factory=list)
    pending: PendingCover | None = None      # the cover kept for the next try when the entry was not saved


def _new_code() -> str:
    return "E-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


def _content_hash(entry: Entry) -> str:
    return hashlib.sha256(json.dumps({
        "title": entry.title, "body": entry.body, "video_url": entry.video_url,
        "description": entry.description, "cover": entry.cover_digest,
    }, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def pending_cover(user: User, token: str, now: datetime) -> PendingCover | None:
    """The person's own cover kept from a refused save under `token`, if it has not expired."""
    if not token:
        return None
    return db.session.execute(select(PendingCover).where(
        PendingCover.token == token, PendingCover.user_id == user.id,
        PendingCover.created_at > now - timedelta(hours=PENDING_COVER_HOURS))).scalar_one_or_none()


def _drop_pending(*pending: PendingCover) -> list[str]:
    """Delete kept covers' rows; return their file names, for the caller to remove once committed."""
    names = [name for p in pending for name in (p.cover_file, p.thumb_file)]
    # A statement, not session.delete(): two requests dropping the same row must not fail the second.
    db.session.execute(delete(PendingCover).where(PendingCover.id.in_([p.id for p in pending])))
    return names


def _drop_expired_pending(now: datetime) -> list[str]:
    expired = db.session.execute(select(PendingCover).where(
        PendingCover.created_at <= now - timedelta(hours=PENDING_COVER_HOURS))).scalars().all()
    return _drop_pending(*expired) if expired else []


def _stream_size(stream) -> int:
    """The bytes left in an uploaded file's stream (it is read from where it stands)."""
    start = stream.tell()
    stream.seek(0, 2)
    size = stream.tell() - start
    stream.seek(start)
    return size


def save_entry(user: User, contest: Contest, entry: Entry | None, draft: EntryDraft, cover, now: datetime,
               *, submit: bool, confirm_identity: bool, upload_folder: Path, pending_token: str = "") -> SaveOutcome:
    """Create or update an entry as a draft, or submit it; when a check fails only the uploaded cover is kept."""
    covers = Path(upload_folder) / "covers"
    orphans = _drop_expired_pending(now)              # files leave the disk only after the commit
    pending = pending_cover(user, pending_token, now)
    problems: dict[str, str] = {}
    if entry is None:
        reason = may_enter(user, contest, now)
        if reason:
            return SaveOutcome(None, {"form": reason}, pending=pending)
    elif phase(contest, now) != "submissions" or entry.status == WITHDRAWN:
        return SaveOutcome(entry, {"form": _("The entry can no longer be changed.")}, pending=pending)
    title = " ".join(draft.title.split())
    if not title:
        problems["title"] = _("Give your entry a title.")
    elif len(title) > 200:
        problems["title"] = _("Keep the title under 200 characters.")
    words = markdown.word_count(draft.body)
    canonical = ""
    if contest.is_text:
        if submit and contest.min_words and words < contest.min_words:
            problems["body"] = _("The text has %(n)d words; the contest asks for at least %(min)d.", n=words, min=contest.min_words)
        if contest.max_words and words > contest.max_words:
            problems["body"] = _("The text has %(n)d words; the contest allows at most %(max)d.", n=words, max=contest.max_words)
        if submit and not draft.body.strip():
            problems["body"] = _("Write your text before submitting.")
    else:
        canonical = canonical_tiktok(draft.video_url) or ""
        if draft.video_url.strip() and not canonical:
            problems["video_url"] = _("Paste a TikTok video link, like https://www.tiktok.com/@name/video/1234567890 or https://vm.tiktok.com/AbCdEf/.")
        elif submit and not canonical:
            problems["video_url"] = _("Paste the link to your TikTok video.")
        if len(draft.description) > 1000:
            problems["description"] = _("Keep the description under 1000 characters.")
    stored = None
    if cover is not None and getattr(cover, "filename", "") and not contest.is_text:
        if _stream_size(cover.stream) > contest.max_file_mb * 1024 * 1024:
            problems["cover"] = _("The image is larger than %(mb)d MB, this contest's limit.", mb=contest.max_file_mb)
        else:
            try:
                stored = store_image(cover.stream, covers)
            except UploadError as error:
                problems["cover"] = str(error)
    if submit and not contest.is_text and stored is None and pending is None and not (entry and entry.cover_file):
        problems.setdefault("cover", _("Add a cover image for your video."))
    identity = identity_hints(user, title, draft.body, draft.description) if submit else []
    if identity and not confirm_identity:
        problems["identity"] = _("Your entry seems to contain your name or e-mail. Jurors must not know who wrote it: remove it, or confirm that it is not about you.")
    if problems:
        if stored:  # kept for the next try, so that the person need not choose the file again
            if pending is not None:
                orphans += _drop_pending(pending)
            pending = PendingCover(token=secrets.token_urlsafe(32), user_id=user.id, cover_file=stored.name,
                                   thumb_file=stored.thumb_name, cover_digest=stored.digest, created_at=now)
            db.session.add(pending)
        db.session.commit()
        remove_stored(covers, *orphans)
        return SaveOutcome(entry, problems, identity, pending)

    created = entry is None
    if created:
        entry = Entry(contest_id=contest.id, author_id=user.id, code=_new_code(), created_at=now)
        db.session.add(entry)
    entry.title, entry.body, entry.description, entry.show_name = title, draft.body, draft.description.strip(), draft.show_name
    entry.body_html = markdown.render(draft.body)[0] if contest.is_text else ""
    entry.word_count, entry.video_url, entry.updated_at = words, canonical, now
    if stored is None and pending is not None:
        stored = StoredImage(pending.cover_file, pending.thumb_file, pending.cover_digest)
        _drop_pending(pending)                          # its files now belong to the entry
    elif pending is not None:
        orphans += _drop_pending(pending)               # a newer file was chosen
    if stored is not None:
        orphans += [entry.cover_file, entry.thumb_file]   # the cover an edit replaces leaves the disk too
        entry.cover_file, entry.thumb_file, entry.cover_digest = stored.name, stored.thumb_name, stored.digest
    if submit:
        first = entry.status != SUBMITTED
        entry.status, entry.content_hash = SUBMITTED, _content_hash(entry)
        entry.submitted_at = now if first or entry.submitted_at is None else entry.submitted_at
        db.session.flush()
        audit.record("entry.submitted" if first else "entry.resubmitted", actor=user,
                     subject=f"entry:{entry.code}", payload={"contest": contest.slug, "hash": entry.content_hash}, now=now)
        if first:
            _count_participation(user, contest, entry, now)
    db.session.commit()
    remove_stored(covers, *orphans)
    logger.info("entry %s %s by user %s", entry.code, "submitted" if submit else "saved", user.id)
    return SaveOutcome(entry, {}, identity)


@certificates.subject_title("contest")
def _contest_title(contest_id: int) -> str | None:
    contest = db.session.get(Contest, contest_id)
    return tr(contest, "title") if contest is not None else None


def _count_participation(user: User, contest: Contest, entry: Entry, now: datetime) -> None:
    activity = plan_service.activity_at(now, contest.activity_code) if contest.activity_code else None
    if activity is not None:
        if plan_service.belongs_to_population(user, activity.population):
            plan_service.record_participation(user.id, activity, source="contest", source_ref=f"entry:{entry.code}", when=now)
    events.announce(events.xp_earned, "contests", user_id=user.id, amount=contest.xp,
                    reason=f"Contest entry: {contest.title}", source_type="entry", source_ref=entry.code, at=now)


def may_withdraw(entry: Entry, now: datetime) -> bool:
    """An entry can be withdrawn once, while the contest takes entries."""
    return entry.status != WITHDRAWN and phase(entry.contest, now) == "submissions"


def withdraw(entry: Entry, user: User, now: datetime) -> bool:
    """Withdraw an entry before the deadline; its XP is taken back."""
    if not may_withdraw(entry, now):
        return False
    entry.status, entry.withdrawn_at = WITHDRAWN, now
    audit.record("entry.withdrawn", actor=user, subject=f"entry:{entry.code}", payload={"contest": entry.contest.slug}, now=now)
    events.announce(events.xp_taken_back, "contests", user_id=user.id, source_type="entry", source_ref=entry.code, at=now)
    db.session.commit()
    return True


def can_see_entry_files(user: User, entry: Entry) -> bool:
    """Author, assigned jurors and admins see an entry's images; everyone once the results are published."""
    if entry.contest.published_at is not None and entry.status == SUBMITTED:
        return True
    if not user.is_authenticated:
        return False
    if user.id == entry.author_id or user.is_admin:
        return True
    return db.session.execute(select(JuryAssignment.id).where(
        JuryAssignment.entry_id == entry.id, JuryAssignment.juror_id == user.id,
        JuryAssignment.status == ACTIVE)).first() is not None


# --- jury assignment -------------------------------------------------------------------------

def _entry_info(entry: Entry) -> EntryInfo:
    author = entry.author
    faculty = author.faculty
    return EntryInfo(entry.id, author.id, author.group_id, faculty.id if faculty else None)


def _juror_info(user: User) -> JurorInfo:
    faculty = user.faculty
    return JurorInfo(user.id, user.group_id, faculty.id if faculty else None)


def jury_pool() -> list[User]:
    return db.session.execute(select(User).join(UserRole).where(UserRole.role == JURY, User.active.is_(True))
                              .order_by(User.id)).scalars().all()


def submitted_entries(contest: Contest) -> list[Entry]:
    return db.session.execute(select(Entry).where(Entry.contest_id == contest.id, Entry.status == SUBMITTED)
                              .order_by(Entry.code).options(db.joinedload(Entry.author))).scalars().all()


def assign_jury(contest: Contest, actor: User, now: datetime, rng: random.Random | None = None) -> list[str]:
    """Give every submitted entry k jurors (balanced, blind-safe); return the warnings.

    Allowed until the first score is saved; running it again replaces the assignments.
    """
    entries = submitted_entries(contest)
    ids = [e.id for e in entries]
    scored = db.session.scalar(select(func.count()).select_from(JuryScore).join(JuryAssignment).where(
        JuryAssignment.entry_id.in_(ids))) if ids else 0
    if scored:
        raise ValueError(_("Scores have been saved already; use reassignment for single entries."))
    existing = db.session.execute(select(JuryAssignment).where(JuryAssignment.entry_id.in_(ids))).scalars().all() if ids else []
    conflicts = {(a.juror_id, a.entry_id) for a in existing if a.status == CONFLICT}
    for assignment in existing:
        if assignment.status != CONFLICT:
            db.session.delete(assignment)
    db.session.flush()
    pool = jury_pool()
    plan = plan_assignment([_entry_info(e) for e in entries], [_juror_info(u) for u in pool],
                           contest.jurors_per_entry, conflicts, rng)
    code_of = {e.id: e.code for e in entries}
    for entry_id, juror_ids in plan.jurors_of.items():
        for juror_id in juror_ids:
            db.session.add(JuryAssignment(entry_id=entry_id, juror_id=juror_id, assigned_at=now))
    warnings = [_warning_with_code(w, code_of) for w in plan.warnings]
    for juror_id in {j for jurors in plan.jurors_of.values() for j in jurors}:
        count = sum(juror_id in jurors for jurors in plan.jurors_of.values())
        events.announce(events.news, "contests", user_ids=[juror_id], kind="jury",
                        message=N_("%(n)d entries of “%(title)s” are waiting for your scores."),
                        params={"n": count, **titles_in_every_language("title", contest)}, link="/jury/", at=now, subject=f"contest:{contest.slug}")
    audit.record("jury.assigned", actor=actor, subject=f"contest:{contest.slug}", now=now, payload={
        "assignments": {code_of[e]: sorted(j) for e, j in plan.jurors_of.items()}, "warnings": warnings})
    db.session.commit()
    logger.info("jury assigned for contest %s by %s: %d entries", contest.slug, actor.id, len(entries))
    return warnings


def _warning_with_code(text: str, code_of: dict) -> str:
    match = re.match(r"entry (\d+):", text)
    return f"{code_of[int(match[1])]}:{text[match.end():]}" if match else text


def replacement_for(entry: Entry, exclude: set[int]) -> User | None:
    """The least-loaded juror who may judge this entry, preferring another faculty."""
    info = _entry_info(entry)
    conflicts = {(a.juror_id, a.entry_id) for a in db.session.execute(select(JuryAssignment).where(
        JuryAssignment.entry_id == entry.id, JuryAssignment.status == CONFLICT)).scalars()}
    loads = dict(db.session.execute(select(JuryAssignment.juror_id, func.count()).join(Entry).where(
        Entry.contest_id == entry.contest_id, JuryAssignment.status == ACTIVE).group_by(JuryAssignment.juror_id)).all())
    candidates = [u for u in jury_pool() if u.id not in exclude and allowed(info, _juror_info(u), conflicts)]
    candidates.sort(key=lambda u: (same_faculty(info, _juror_info(u)), loads.get(u.id, 0), u.id))
    return candidates[0] if candidates else None


def declare_conflict(assignment: JuryAssignment, juror: User, reason: str, now: datetime) -> User | None:
    """A juror steps aside from an entry; a replacement is assigned when the pool allows."""
    if assignment.juror_id != juror.id or assignment.status != ACTIVE:
        raise ValueError("not an active assignment of this juror")
    if assignment.score is not None and assignment.score.sealed_at is not None:
        raise ValueError(_("You have sealed your score for this entry already."))
    assignment.status, assignment.conflict_reason = CONFLICT, reason.strip()[:500]
    if assignment.score is not None:
        db.session.delete(assignment.score)
    entry = assignment.entry
    audit.record("jury.conflict_declared", actor=juror, subject=f"entry:{entry.code}", now=now, payload={})
    taken = {a.juror_id for a in db.session.execute(select(JuryAssignment).where(JuryAssignment.entry_id == entry.id)).scalars()}
    replacement = replacement_for(entry, taken)
    if replacement is not None:
        db.session.add(JuryAssignment(entry_id=entry.id, juror_id=replacement.id, assigned_at=now))
        audit.record("jury.reassigned", actor=juror, subject=f"entry:{entry.code}", now=now,
                     payload={"new_juror": replacement.id, "reason": "conflict of interest"})
    db.session.commit()
    return replacement


def reassign(assignment: JuryAssignment, new_juror: User, actor: User, now: datetime) -> None:
    """An admin moves an entry from one juror to another (checked against the rules, audited)."""
    entry = assignment.entry
    taken = {a.juror_id for a in db.session.execute(select(JuryAssignment).where(
        JuryAssignment.entry_id == entry.id, JuryAssignment.status == ACTIVE)).scalars()}
    conflicts = {(a.juror_id, a.entry_id) for a in db.session.execute(select(JuryAssignment).where(
        JuryAssignment.entry_id == entry.id, JuryAssignment.status == CONFLICT)).scalars()}
    if new_juror.id in taken or not new_juror.has_role(JURY) or not allowed(_entry_info(entry), _juror_info(new_juror), conflicts):
        raise ValueError(_("This juror may not judge this entry."))
    if assignment.score is not None and assignment.score.sealed_at is not None:
        raise ValueError(_("A sealed score cannot be reassigned."))
    if assignment.score is not None:
        db.session.delete(assignment.score)
    assignment.status = REMOVED
    previous = db.session.execute(select(JuryAssignment).where(
        JuryAssignment.entry_id == entry.id, JuryAssignment.juror_id == new_juror.id)).scalar_one_or_none()
    if previous is None:
        db.session.add(JuryAssignment(entry_id=entry.id, juror_id=new_juror.id, assigned_at=now))
    else:
        previous.status, previous.assigned_at = ACTIVE, now
    audit.record("jury.override", actor=actor, subject=f"entry:{entry.code}", now=now,
                 payload={"removed_juror": assignment.juror_id, "new_juror": new_juror.id})
    db.session.commit()


# --- scoring -------------------------------------------------------------------------------

def queue(juror: User) -> list[tuple[Contest, list[JuryAssignment]]]:
    """The juror's active assignments grouped by contest, with their scores loaded."""
    assignments = db.session.execute(
        select(JuryAssignment).join(Entry).join(Contest).where(
            JuryAssignment.juror_id == juror.id, JuryAssignment.status == ACTIVE, Entry.status == SUBMITTED,
            Contest.published_at.is_(None))
        .order_by(Contest.judging_close, Entry.code)
        .options(db.joinedload(JuryAssignment.entry).joinedload(Entry.contest), db.joinedload(JuryAssignment.score))
    ).scalars().unique().all()
    grouped: dict[int, tuple[Contest, list]] = {}
    for assignment in assignments:
        contest = assignment.entry.contest
        grouped.setdefault(contest.id, (contest, []))[1].append(assignment)
    return list(grouped.values())


def parse_values(contest: Contest, form) -> tuple[dict, dict]:
    """Read rubric points from a form: every criterion a whole number from 0 to its scale."""
    values, problems = {}, {}
    for criterion in contest.criteria:
        raw = (form.get(f"c-{criterion['key']}") or "").strip()
        if raw.isdigit() and 0 <= int(raw) <= criterion["scale"]:
            values[criterion["key"]] = int(raw)
        elif raw:
            problems[criterion["key"]] = _("Give a whole number from 0 to %(max)d.", max=criterion["scale"])
    return values, problems


def score_refusal(assignment: JuryAssignment, values: dict, *, seal: bool, now: datetime) -> dict:
    """Why these scores may not be saved (or sealed) now: {"form": reason}, or {} when they may."""
    contest = assignment.entry.contest
    if phase(contest, now) not in ("judging",):
        return {"form": _("Scoring is open only during the judging window.")}
    if assignment.score is not None and assignment.score.sealed_at is not None:
        return {"form": _("This score is sealed and can no longer change.")}
    if seal:
        missing = [c["title"] for c in contest.criteria if c["key"] not in values]
        if missing:
            return {"form": _("Score every criterion before sealing: %(missing)s.", missing=", ".join(missing))}
    return {}


def save_score(assignment: JuryAssignment, juror: User, values: dict, comment: str, note: str,
               *, seal: bool, now: datetime) -> dict:
    """Save a juror's scores (revisable), or seal them (final); return problems, if any."""
    contest = assignment.entry.contest
    if assignment.juror_id != juror.id or assignment.status != ACTIVE:
        raise PermissionError("not this juror's entry")
    problems = score_refusal(assignment, values, seal=seal, now=now)
    if problems:
        return problems
    score = assignment.score
    if score is None:
        score = JuryScore(assignment_id=assignment.id)
        db.session.add(score)
    score.values, score.comment, score.private_note, score.updated_at = values, comment.strip(), note.strip(), now
    if seal:
        score.sealed_at = now
        audit.record("score.sealed", actor=juror, subject=f"entry:{assignment.entry.code}", now=now,
                     payload={"contest": contest.slug, "values": values})
        db.session.flush()
        if not _has_unsealed_work(juror, contest):
            events.announce(events.news_resolved, "contests", subject=f"contest:{contest.slug}", kind="jury", at=now,
                            user_ids=[juror.id])
    db.session.commit()
    return {}


def _has_unsealed_work(juror: User, contest: Contest) -> bool:
    """True while the juror has an active assignment in the contest without a sealed score."""
    return db.session.scalar(select(func.count()).select_from(JuryAssignment).join(Entry)
                             .outerjoin(JuryScore, JuryScore.assignment_id == JuryAssignment.id)
                             .where(Entry.contest_id == contest.id, JuryAssignment.juror_id == juror.id,
                                    JuryAssignment.status == ACTIVE, JuryScore.sealed_at.is_(None))) > 0


def sealed_scores_of_others(assignment: JuryAssignment) -> list[dict]:
    """Other jurors' sealed scores for the same entry — shown only after this juror has sealed."""
    rows = db.session.execute(select(JuryScore).join(JuryAssignment).where(
        JuryAssignment.entry_id == assignment.entry_id, JuryAssignment.id != assignment.id,
        JuryAssignment.status == ACTIVE, JuryScore.sealed_at.is_not(None)).order_by(JuryAssignment.id)).scalars().all()
    return [{"label": juror_label(i), "values": r.values} for i, r in enumerate(rows)]


def juror_label(index: int) -> str:
    """How a juror is named to other jurors and to authors: Juror A, Juror B … never by name."""
    return _("Juror %(letter)s", letter=chr(65 + index))


def judging_progress(contest: Contest) -> tuple[list, dict]:
    """(entries with their active assignments and scores, {entry id: sealed count})."""
    entries = submitted_entries(contest)
    assignments = db.session.execute(select(JuryAssignment).join(Entry).where(
        Entry.contest_id == contest.id, JuryAssignment.status == ACTIVE)
        .options(db.joinedload(JuryAssignment.score), db.joinedload(JuryAssignment.juror))).scalars().unique().all()
    by_entry: dict[int, list] = {}
    for a in assignments:
        by_entry.setdefault(a.entry_id, []).append(a)
    return [(e, by_entry.get(e.id, [])) for e in entries], {
        e.id: sum(1 for a in by_entry.get(e.id, []) if a.score and a.score.sealed_at) for e in entries}


def short_of_jurors(contests: list[Contest]) -> dict[int, list[str]]:
    """{contest id: codes of submitted entries with fewer active jurors than the contest asks for}, in one query.

    An entry falls short when a juror declared a conflict and nobody in the pool could take it; the
    ACS has to find a juror (or accept fewer) before publishing."""
    if not contests:
        return {}
    wanted = {c.id: c.jurors_per_entry for c in contests}
    active = (select(JuryAssignment.entry_id, func.count().label("jurors")).where(JuryAssignment.status == ACTIVE)
              .group_by(JuryAssignment.entry_id).subquery())
    rows = db.session.execute(
        select(Entry.contest_id, Entry.code, func.coalesce(active.c.jurors, 0))
        .outerjoin(active, active.c.entry_id == Entry.id)
        .where(Entry.contest_id.in_(wanted), Entry.status == SUBMITTED)
        .where(Entry.id.in_(select(JuryAssignment.entry_id)))   # only once jurors have been assigned
        .order_by(Entry.code)).all()
    short: dict[int, list[str]] = {}
    for contest_id, code, jurors in rows:
        if jurors < wanted[contest_id]:
            short.setdefault(contest_id, []).append(code)
    return short


def same_faculty_assignments(rows) -> set[int]:
    """Ids of assignments where the juror comes from the author's faculty (shown as a warning)."""
    flagged = set()
    for entry, assignments in rows:
        info = _entry_info(entry)
        flagged.update(a.id for a in assignments if same_faculty(info, _juror_info(a.juror)))
    return flagged


# --- results --------------------------------------------------------------------------------

def results_document(contest: Contest) -> dict:
    """The anonymised input of the ranking: rubric, method and every sealed score (jurors as J1, J2 …)."""
    rows = db.session.execute(
        select(Entry.code, JuryAssignment.juror_id, JuryScore.values).select_from(JuryScore)
        .join(JuryAssignment, JuryAssignment.id == JuryScore.assignment_id)
        .join(Entry, Entry.id == JuryAssignment.entry_id)
        .where(Entry.contest_id == contest.id, Entry.status == SUBMITTED, JuryAssignment.status == ACTIVE,
               JuryScore.sealed_at.is_not(None))
        .order_by(Entry.code, JuryAssignment.juror_id)).all()
    pseudonym = juror_pseudonyms(contest, [r[1] for r in rows])
    return {
        "contest": contest.slug, "title": contest.title,
        "criteria": [{k: c[k] for k in ("key", "title", "weight", "scale")} for c in contest.criteria],
        "normalisation": contest.normalisation, "places": len(contest.places) or 3,
        "scores": [{"juror": pseudonym[j], "entry": code, "values": values} for code, j, values in rows],
    }


def juror_pseudonyms(contest: Contest, juror_ids) -> dict[int, str]:
    """Name a contest's jurors J1, J2 … in an order drawn for this contest alone.

    The draw sorts the jurors by HMAC-SHA-256(instance secret key, contest and juror): the same
    between the preview and the publication, different from contest to contest, and unpredictable
    without the key — so J1 is not the juror with the oldest account.
    """
    secret = current_app.config["SECRET_KEY"].encode("utf-8")

    def draw(juror_id: int) -> bytes:
        return hmac.new(secret, f"juror-label:{contest.slug}:{juror_id}".encode(), hashlib.sha256).digest()

    return {juror: f"J{i}" for i, juror in enumerate(sorted(set(juror_ids), key=draw), start=1)}


def document_bytes(document: dict) -> bytes:
    """The results document exactly as the bundle ships it: its SHA-256 is the published data hash."""
    return json.dumps(document, sort_keys=True, ensure_ascii=False).encode("utf-8")


def preview(contest: Contest) -> dict:
    return aggregate.compute(results_document(contest))


def publish(contest: Contest, actor: User, now: datetime) -> dict:
    """Freeze the ranking, name consenting winners, issue diplomas and certificates, and audit it all."""
    if contest.published_at is not None:
        raise ValueError(_("The results are published already."))
    if phase(contest, now) not in ("judging", "awaiting results"):
        raise ValueError(_("Results can be published once the submissions have closed."))
    rows, sealed = judging_progress(contest)
    unfinished = [entry.code for entry, assignments in rows if not assignments or sealed[entry.id] < len(assignments)]
    if unfinished:
        raise ValueError(_("These entries still lack sealed scores: %(codes)s.", codes=", ".join(unfinished)))
    document = results_document(contest)
    computed = aggregate.compute(document)
    entries = {e.code: e for e in submitted_entries(contest)}
    prizes = {p["place"]: p["prize"] for p in contest.places}
    ranking = []
    for row in computed["ranking"]:
        entry = entries[row["entry"]]
        placed = row["place"] <= len(contest.places)
        ranking.append({**row, "title": entry.title, "prize": prizes.get(row["place"], "") if placed else "",
                        "name": entry.author.full_name if placed and entry.show_name else None})
    results_hash = hashlib.sha256(document_bytes(document)).hexdigest()
    event = audit.record("results.published", actor=actor, subject=f"contest:{contest.slug}", now=now, payload={
        "results_hash": results_hash, "winners": [(r["entry"], r["place"]) for r in ranking if r["prize"] or r["place"] <= len(contest.places)],
        "robust": computed["robust"]})
    try:
        # Published results always carry a signed checkpoint of an intact log that includes them.
        checkpoint = audit.take_checkpoint("results", f"contest:{contest.slug}", now)
    except audit.AuditLogBroken as broken:
        db.session.rollback()
        logger.error("results of contest %s not published: the audit log does not verify (%s)", contest.slug, broken)
        raise ValueError(_("The audit log does not verify (%(reason)s). Results are published only with a signed "
                           "checkpoint of an intact log: run `flask --app wsgi audit-verify`.",
                           reason=broken.reason)) from None
    contest.results = {"document": document, "ranking": ranking, "robust": computed["robust"],
                       "checks": computed["checks"], "results_hash": results_hash,
                       "audit_seq": event.seq, "audit_hash": event.hash,
                       "checkpoint": checkpoint.note, "checkpoint_size": checkpoint.size,
                       "checkpoint_key": audit.verifier_key()}
    contest.published_at, contest.published_by_id = now, actor.id
    for row in ranking:
        entry = entries[row["entry"]]
        if row["place"] <= len(contest.places):
            certificates.issue(entry.author, kind="diploma", subject_ref=f"contest:{contest.id}:place",
                               title=_("%(place)s place — %(contest)s", place=_ordinal(row["place"]), contest=contest.title),
                               issued_on=local_date(now))
        certificates.issue(entry.author, kind="participation", subject_ref=f"contest:{contest.id}",
                           title=contest.title, issued_on=local_date(now))
    events.announce(events.results_published, "contests", contest_id=contest.id, contest_slug=contest.slug,
                    titles=titles_in_every_language("title", contest), author_ids=sorted({e.author_id for e in entries.values()}), at=now)
    db.session.commit()
    logger.info("results of contest %s published by %s", contest.slug, actor.id)
    return contest.results


def _ordinal(place: int) -> str:
    return {1: _("1st"), 2: _("2nd"), 3: _("3rd")}.get(place, _("%(n)dth", n=place))


def author_feedback(entry: Entry) -> list[dict]:
    """After publication: the author's scores and the jurors' comments (jurors unnamed)."""
    if entry.contest.published_at is None:
        return []
    rows = db.session.execute(select(JuryScore).join(JuryAssignment).where(
        JuryAssignment.entry_id == entry.id, JuryAssignment.status == ACTIVE, JuryScore.sealed_at.is_not(None))
        .order_by(JuryAssignment.id)).scalars().all()
    return [{"label": juror_label(i), "values": r.values, "comment": r.comment,
             "total": aggregate.weighted_total(r.values, entry.contest.criteria)} for i, r in enumerate(rows)]


def results_bundle(contest: Contest, site_url: str = "") -> bytes:
    """A ZIP anyone can recompute the ranking from: the scores, the rubric, the method, its code and the audit checkpoint."""
    results = contest.results
    data = document_bytes(results["document"])
    checkpoint = results.get("checkpoint")
    site = site_url.rstrip("/") or "https://<this site>"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("results.json", data)
        bundle.writestr("ranking.json", json.dumps({"ranking": [{k: r[k] for k in ("entry", "place", "score", "median", "first_votes", "totals")} for r in results["ranking"]],
                                                   "robust": results["robust"], "checks": results["checks"]}, indent=2, ensure_ascii=False))
        bundle.writestr("aggregate.py", Path(aggregate.__file__).read_text(encoding="utf-8"))
        bundle.writestr("verify_audit.py", Path(verify_audit.__file__).read_text(encoding="utf-8"))
        if checkpoint:
            bundle.writestr("checkpoint.txt", checkpoint)
        lines = [
            f"{contest.title}: published results", "",
            "results.json     the sealed scores (entries by code, jurors as J1, J2 ... drawn for this contest),",
            "                 the rubric and the method; its SHA-256 is the data hash below",
            "ranking.json     the ranking as published",
            "aggregate.py     the code that computed it (Python 3, standard library only)",
            "verify_audit.py  the audit log's verifier (Python 3, standard library)",
        ]
        if checkpoint:
            lines.append(f"checkpoint.txt   the audit log's checkpoint signed at publication "
                         f"({results['checkpoint_size']} events, the publication among them)")
        lines += [
            "",
            "Recompute:        python aggregate.py results.json",
            f"Data hash:        sha256sum results.json  gives  {results['results_hash']}",
            f"Audit log:        event {results['audit_seq']}, hash {results['audit_hash']}",
        ]
        if checkpoint:
            lines.append(f"Check the log:    python verify_audit.py --url {site} --saved checkpoint.txt \\")
            lines.append(f"                      --key {results['checkpoint_key']}")
            lines.append(f"                  (compare the key with the one on {site}/audit and in other bundles)")
        bundle.writestr("README.txt", "\n".join(lines) + "\n")
    return buffer.getvalue()
