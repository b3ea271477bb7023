"""XP, levels, badges, streaks, leaderboards and competitions — all derived from the ledger and the plan.

XP is only ever appended (one row per source). Totals, levels, standings are computed from it and
cached behind `standings()` / `competition()`, with one invalidation point: `clear_standings()`,
called whenever XP is recorded.
"""
import logging
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, literal, select, union_all
from sqlalchemy.orm import contains_eager, load_only

from app.core.cache import cache
from app.core.clock import utcnow
from app.core.db_helpers import insert_ignoring_duplicates
from app.core.localize import N_, titles_in_every_language  # noqa: F401  (notifications name content with it)
from app.coverage.service import coverage, group_met_current_targets
from app.extensions import db
from app.gamification.models import (ACTIVITY, CHECKIN, COURSE, DIPLOMA, ENTRY, FULL_MARKS, LESSON, GameFact,
                                     Notification, UserBadge, XpEvent)
from app.people.models import STUDENT, Group, User, UserRole, display_name
from app.plan.models import STUDENTS
from app.plan.service import current_plan
from app.plan.terms import academic_year_of

logger = logging.getLogger(__name__)
LEARNING_SOURCES = ("lesson", "course", "quiz")
DAILY_EVENT_XP_CAP = 2          # events per day that pay XP


# --- the game's data ---------------------------------------------------------------------------------

@lru_cache(maxsize=4)
def _load_game(path: str) -> dict:
    with open(path, "rb") as handle:
        data = tomllib.load(handle)
    data["levels"] = sorted(data.get("levels", []), key=lambda level: level["xp"])
    return data


GAME_FILE = Path(__file__).with_name("game.toml")


def game() -> dict:
    return _load_game(current_app.config.get("GAME_FILE", str(GAME_FILE)))


# --- the ledger ---------------------------------------------------------------------------------------

def clear_standings() -> None:
    """The one invalidation point for everything derived from XP."""
    cache().bump("standings")


def record_xp(user_id: int, *, amount: int, reason: str, source_type: str, source_ref: str, when=None) -> bool:
    """Append an XP event once per (person, source); return True when it was new."""
    if amount <= 0:
        return False
    when = when or utcnow()
    if source_type == "event":
        day = when.date()
        today = db.session.scalar(select(func.count()).select_from(XpEvent).where(
            XpEvent.user_id == user_id, XpEvent.source_type == "event",
            XpEvent.created_at >= datetime.combine(day, datetime.min.time()),
            XpEvent.created_at < datetime.combine(day + timedelta(days=1), datetime.min.time())))
        if today >= DAILY_EVENT_XP_CAP:
            return False
    new_id = db.session.execute(insert_ignoring_duplicates(XpEvent, dict(
        user_id=user_id, amount=amount, reason=reason[:200], source_type=source_type,
        source_ref=str(source_ref)[:80], created_at=when,
    ))).scalar_one_or_none()
    if new_id:
        logger.info("xp +%s for user %s (%s %s)", amount, user_id, source_type, source_ref)
        clear_standings()
        evaluate_badges(db.session.get(User, user_id), when)
    return new_id is not None


def improvement_xp(xp: int, percent: float, earlier_best: float) -> int:
    """XP for the best improvement only: the share of `xp` by which `percent` beats every earlier attempt.

        amount = round(xp × (percent − earlier best) / 100), and nothing unless percent > earlier best
    """
    if percent <= earlier_best:
        return 0
    return round(xp * (percent - earlier_best) / 100)


def reverse_xp(user_id: int, *, source_type: str, source_ref: str, when=None) -> bool:
    """Take back XP paid for a source (e.g. a withdrawn entry), once; return True if anything was taken."""
    source_ref = str(source_ref)[:80]     # as record_xp kept it
    paid = db.session.execute(select(XpEvent.amount).where(
        XpEvent.user_id == user_id, XpEvent.source_type == source_type, XpEvent.source_ref == source_ref)).scalar_one_or_none()
    if not paid:
        return False
    new_id = db.session.execute(insert_ignoring_duplicates(XpEvent, dict(
        user_id=user_id, amount=-paid, reason=f"Taken back: {source_type} {source_ref}"[:200],
        source_type=f"{source_type}-reversal", source_ref=str(source_ref)[:80], created_at=when or utcnow(),
    ))).scalar_one_or_none()
    clear_standings()
    return new_id is not None


def xp_total(user_id: int) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(XpEvent.amount), 0)).where(XpEvent.user_id == user_id))


@dataclass
class Level:
    number: int
    name: str
    xp: int
    next_xp: int | None
    progress: int        # percent of the way to the next level


def level_for(xp: int) -> Level:
    """The level reached with `xp` points: the last threshold not above it."""
    levels = game()["levels"]
    index = max(i for i, level in enumerate(levels) if level["xp"] <= max(xp, 0))
    current, following = levels[index], levels[index + 1] if index + 1 < len(levels) else None
    progress = 100 if following is None else int(100 * (xp - current["xp"]) / (following["xp"] - current["xp"]))
    return Level(index + 1, current["name"], xp, following["xp"] if following else None, progress)


def streak_weeks(user_id: int, today: date) -> int:
    """Consecutive ISO weeks with learning (a lesson, a course or a quiz), ending this week or last week."""
    days = db.session.execute(select(func.date(XpEvent.created_at)).where(
        XpEvent.user_id == user_id, XpEvent.source_type.in_(LEARNING_SOURCES),
        XpEvent.created_at >= datetime.combine(today - timedelta(weeks=60), datetime.min.time())).distinct()).scalars().all()
    weeks = {(d if isinstance(d, date) else date.fromisoformat(str(d)[:10])).isocalendar()[:2] for d in days}
    monday = today - timedelta(days=today.weekday())
    if monday.isocalendar()[:2] not in weeks:
        monday -= timedelta(weeks=1)     # this week may simply not have started yet
    count = 0
    while monday.isocalendar()[:2] in weeks:
        count += 1
        monday -= timedelta(weeks=1)
    return count


# --- badges ---------------------------------------------------------------------------------------------

def _badge_conditions(user: User, today: date, skip: set[str], facts: set[tuple[str, str]]) -> dict[str, bool]:
    """Which badges the person has earned, read from gamification's own facts and ledger only (`facts`: the
    person's (kind, ref) facts, read with the badges they hold, see `_badges_and_facts`)."""

    def exists(kind: str, ref: str | None = None):
        return (kind, ref) in facts if ref is not None else any(have == kind for have, _ref in facts)

    streak = None
    results = {}
    for badge in game().get("badges", []):
        if badge["key"] in skip:      # held already: no need to look again
            continue
        rule = badge["rule"]
        if rule == "first_lesson":
            ok = exists(LESSON)
        elif rule == "course_completed":
            ok = exists(COURSE)
        elif rule == "quiz_full_marks":
            ok = exists(FULL_MARKS, badge["quiz"])
        elif rule == "contest_entrant":
            ok = exists(ENTRY)
        elif rule == "contest_winner":
            ok = exists(DIPLOMA)
        elif rule == "event_attendee":
            ok = exists(CHECKIN)
        elif rule == "learning_streak":
            streak = streak_weeks(user.id, today) if streak is None else streak
            ok = streak >= badge["weeks"]
        elif rule == "group_target":
            ok = _helped_group_reach_target(user, today, facts)
        else:
            ok = False
        results[badge["key"]] = ok
    return results


def _helped_group_reach_target(user: User, today: date, facts) -> bool:
    """The person took part in an activity whose target their group has met (`facts`: the person's facts, as the
    other badges read them). Nothing more is read for someone who has taken part in nothing."""
    if user.group_id is None:
        return False
    mine = {int(ref) for kind, ref in facts if kind == ACTIVITY}
    return bool(mine) and bool(group_met_current_targets(user.group_id, today, mine))


_HELD = "badge"   # the kind (no fact's) under which _badges_and_facts hands over a badge held


def _badges_and_facts(user_id: int) -> tuple[set[str], set[tuple[str, str]]]:
    """The badges the person holds and their facts, in one statement."""
    rows = db.session.execute(union_all(
        select(literal(_HELD).label("kind"), UserBadge.badge.label("ref")).where(UserBadge.user_id == user_id),
        select(GameFact.kind, GameFact.ref).where(GameFact.user_id == user_id))).all()
    return {ref for kind, ref in rows if kind == _HELD}, {(kind, ref) for kind, ref in rows if kind != _HELD}


def evaluate_badges(user: User | None, now: datetime) -> list[str]:
    """Award every badge whose rule the person now meets (once each); return the new ones."""
    if user is None:
        return []
    held, facts = _badges_and_facts(user.id)
    new = []
    for key, earned in _badge_conditions(user, now.date(), skip=held, facts=facts).items():
        if earned:
            if db.session.execute(insert_ignoring_duplicates(UserBadge, dict(
                    user_id=user.id, badge=key, earned_at=now))).scalar_one_or_none():
                new.append(key)
                notify([user.id], "badge", N_("You earned the badge “%(badge)s”."), {"badge": key}, "/profile", now)
    return new


def badges_of(user_id: int) -> tuple[list[dict], list[dict]]:
    """(earned badges with dates, locked badges with how to earn them)."""
    earned = dict(db.session.execute(select(UserBadge.badge, UserBadge.earned_at).where(UserBadge.user_id == user_id)).all())
    have, locked = [], []
    for badge in game().get("badges", []):
        (have if badge["key"] in earned else locked).append({**badge, "earned_at": earned.get(badge["key"])})
    return have, locked


# --- notifications -------------------------------------------------------------------------------------

def notify(user_ids, kind: str, message: str, params: dict | None = None, link: str = "",
           when: datetime | None = None, subject: str = "") -> None:
    """Add a notification for each person (in the caller's transaction).

    `message` is an untranslated gettext message marked with N_; each person reads it in their own
    language (see notification_text). `params` fill its placeholders; a "badge" parameter is a badge
    key, shown as the badge's title.
    """
    params = params or {}
    rows = [dict(user_id=uid, kind=kind, text=message % _english(params), message=message, params=params, link=link,
                 subject=subject, created_at=when or utcnow()) for uid in user_ids]
    if rows:
        db.session.execute(Notification.__table__.insert(), rows)


def _english(params: dict) -> dict:
    titles = {b["key"]: b["title"] for b in game().get("badges", [])}
    return {k: titles.get(v, v) if k == "badge" else v for k, v in params.items()}


def resolve_notifications(subject: str, kind: str, when: datetime, user_ids=None) -> None:
    """Mark done (and read) the notifications about `subject` that a later event made untrue."""
    query = Notification.__table__.update().where(
        Notification.subject == subject, Notification.kind == kind, Notification.done_at.is_(None))
    if user_ids is not None:
        query = query.where(Notification.user_id.in_(list(user_ids)))
    db.session.execute(query.values(done_at=when, read_at=func.coalesce(Notification.read_at, when)))


# Quotation marks inside a quoted title take the nested pair: “Poem: ‘Clean hands’”, «Эссе: „Чистые руки“».
_NESTED_QUOTES = {"en": str.maketrans({"“": "‘", "”": "’", "«": "‘", "»": "’", '"': "’"}),
                  "ru": str.maketrans({"«": "„", "»": "“", "“": "„", "”": "“", '"': "“"}),
                  "kk": str.maketrans({"«": "„", "»": "“", "“": "„", "”": "“", '"': "“"})}


def notification_text(notification: Notification) -> str:
    """The notification in the reader's language (older ones, stored as text only, as written)."""
    if not notification.message:
        return notification.text
    language = str(get_locale())
    nested = _NESTED_QUOTES.get(language, _NESTED_QUOTES["en"])
    stored = notification.params or {}
    # A title stored with its translations ("title.kk", "title.ru": see titles_in_every_language) is
    # shown in the reader's language.
    plain = {k: stored.get(f"{k}.{language}") or v for k, v in stored.items() if "." not in k}
    params = {k: _(v) if k == "badge" else (v.translate(nested) if isinstance(v, str) else v)
              for k, v in _english(plain).items()}
    try:
        return _(notification.message, **params)
    except (KeyError, ValueError, TypeError):
        return notification.text


def notifications_for(user_id: int, limit: int = 50) -> list[Notification]:
    return db.session.execute(select(Notification).where(Notification.user_id == user_id)
                              .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)).scalars().all()


def unread_count(user_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)))


def mark_all_read(user_id: int, now: datetime) -> None:
    db.session.execute(Notification.__table__.update().where(
        Notification.user_id == user_id, Notification.read_at.is_(None)).values(read_at=now))
    db.session.commit()


# --- individual leaderboards ------------------------------------------------------------------------------

def leaderboard(scope: str, scope_id: int) -> list[dict]:
    """XP standings within a group or a faculty: highest first; a tie goes to whoever got there earlier.

    People who chose "hidden" are left out altogether. Cached until the next XP event.
    """
    def compute():
        totals = (select(XpEvent.user_id, func.sum(XpEvent.amount).label("xp"),
                         func.max(XpEvent.created_at).label("reached"))
                  .group_by(XpEvent.user_id)).subquery()
        query = (select(User.id, User.full_name, User.leaderboard_display, totals.c.xp, totals.c.reached)
                 .join(totals, totals.c.user_id == User.id)
                 .join(UserRole, UserRole.user_id == User.id)
                 .where(UserRole.role == STUDENT, User.active.is_(True), User.leaderboard_display != "hidden",
                        totals.c.xp > 0))
        if scope == "group":
            query = query.where(User.group_id == scope_id)
        else:
            query = query.join(Group, Group.id == User.group_id).where(Group.faculty_id == scope_id)
        rows = db.session.execute(query.order_by(totals.c.xp.desc(), totals.c.reached, User.id)).all()
        return [{"user_id": uid, "name": display_name(name, mode), "xp": int(xp), "rank": position}
                for position, (uid, name, mode, xp, _reached) in enumerate(rows, start=1)]
    return cache().get_or_compute("standings", f"xp:{scope}:{scope_id}", compute)


# --- competitions between groups and faculties --------------------------------------------------------------

def _on(month_day: str, year_start: date) -> date:
    """The day of an "MM-DD" within the academic year that begins on `year_start`."""
    month, day = (int(part) for part in month_day.split("-"))
    return date(year_start.year + (month < year_start.month), month, day)


def seasons(today: date) -> list[dict]:
    """The seasons of the academic year that holds `today` and of the year before, in order.

    game.toml gives each season as month-days; here they become the dates of a given year, keyed
    like "autumn-2026" and titled with the year their season starts in."""
    this_year, _end = academic_year_of(today)
    listed = []
    for year_start in (this_year.replace(year=this_year.year - 1), this_year):
        for season in game().get("seasons", []):
            starts = _on(season["starts"], year_start)
            listed.append({"key": f"{season['key']}-{starts.year}", "title": season["title"], "year": starts.year,
                           "starts_on": starts, "ends_on": _on(season["ends"], year_start),
                           "freeze": _on(season["freeze"], year_start) if season.get("freeze") else None})
    return listed


def season_for(today: date) -> dict | None:
    """The season that holds `today`, else the last one that ended before it."""
    listed = seasons(today)
    for season in listed:
        if season["starts_on"] <= today <= season["ends_on"]:
            return season
    past = [s for s in listed if s["ends_on"] < today]
    return past[-1] if past else (listed[0] if listed else None)


def competition(season: dict, today: date) -> dict:
    """Groups and faculties ranked by how far they have come on the plan's student targets this season.

    A scope's score is the mean, over the student activities that have a target, of
    min(100, 100 × coverage ÷ target) — so the game rewards exactly what the plan measures, and
    XP plays no part. Standings freeze on the season's `freeze` date until it ends.
    """
    frozen = season.get("freeze") is not None and today >= season["freeze"]
    cutoff = min(season["freeze"] if frozen else today, season["ends_on"])

    def compute():
        plan = current_plan(season["starts_on"])
        if plan is None:
            return {"groups": [], "faculties": []}
        data = coverage(plan, min(cutoff, plan.ends_on), date_from=season["starts_on"], date_to=cutoff)
        targeted = [a for a in data.activities if a.population == STUDENTS and a.measured_by_reach and a.target_percent]

        def score(row):
            shares = [min(100.0, 100 * (row.figures[a.id].percent or 0) / a.target_percent) for a in targeted]
            return round(sum(shares) / len(shares), 1) if shares else 0.0

        def ranked(rows, kind):
            scored = sorted(({"id": r.key[1], "name": r.name, "score": score(r)} for r in rows),
                            key=lambda r: (-r["score"], r["name"]))
            place, previous = 0, None
            for index, row in enumerate(scored, start=1):
                if row["score"] != previous:
                    place, previous = index, row["score"]
                row["rank"] = place
            return scored
        return {"groups": ranked(data.groups, "group"), "faculties": ranked(data.faculties, "faculty")}

    result = cache().get_or_compute("standings", f"competition:{season['key']}:{cutoff.isoformat()}", compute)
    started = any(row["score"] for row in result["groups"])   # all at 0: nobody leads yet
    return {**result, "frozen": frozen, "cutoff": cutoff.isoformat(), "started": started}


def neighbours(board: list[dict], scope_id: int) -> dict | None:
    """Where a scope stands and how far it is behind the one above: 'you are 4th; 2 points behind 3rd'."""
    for index, row in enumerate(board):
        if row["id"] == scope_id:
            above = board[index - 1] if index > 0 else None
            return {"rank": row["rank"], "score": row["score"], "of": len(board),
                    "above": above, "gap": round(above["score"] - row["score"], 1) if above else None}
    return None

# The columns every signed-in page needs; the others (the password hash among them) load when asked for.
SIGNED_IN_COLUMNS = (User.email, User.full_name, User.student_id, User.active, User.language,
                     User.leaderboard_display, User.group_id, User.staff_unit_id, User.session_token)


@dataclass(frozen=True)
class SignedInStatement:
    """The statement `signed_in_person` runs, and the names of the extra figures it selects after the count."""

    select: object
    names: tuple[str, ...]


def signed_in_statement(**extra) -> SignedInStatement:
    """Build the statement of `signed_in_person` (see there for `extra`).

    Every request runs it: built once and reused, SQLAlchemy keeps its cache key and compiled form too,
    instead of building the statement, its subqueries and options again for every request."""
    unread = (select(func.count()).select_from(Notification)
              .where(Notification.user_id == User.id, Notification.read_at.is_(None))
              .correlate(User).scalar_subquery())
    statement = (select(User, unread, *extra.values()).outerjoin(User.role_rows)
                 .options(load_only(*SIGNED_IN_COLUMNS), contains_eager(User.role_rows))
                 .where(User.id == bindparam("signed_in_id")))
    return SignedInStatement(statement, tuple(extra))


def signed_in_person(user_id: int, statement: SignedInStatement | None = None, **extra) -> User | None:
    """The person of a session with their roles and unread notifications counted, in one light statement.

    The count is kept on the object as `unread` for the page's header; each of `extra` (name → a scalar
    expression correlated to `User`, given by a layer above, e.g. the privacy notice owed) is kept under its name.
    A caller that asks on every request passes the statement built once by `signed_in_statement(**extra)`.
    """
    prepared = statement or signed_in_statement(**extra)
    row = db.session.execute(prepared.select, {"signed_in_id": user_id}).unique().first()
    if row is None:
        return None
    user, user.unread = row[0], row[1]
    for name, value in zip(prepared.names, row[2:]):
        setattr(user, name, value)
    return user
