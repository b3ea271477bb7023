"""Rules of quizzes: drawing a fair attempt, saving, the server-side deadline, grading and statistics.

Time is always passed in (`now`), so tests use a fixed clock instead of sleeping. An
attempt's deadline is the earliest of its time limit and the quiz's closing time, each
extended by the person's granted extra time; answers arrive until the deadline plus
GRACE (network slack) and are refused after it, and an overdue attempt is graded on
what was saved.
"""
import base64
import hmac
import json
import logging
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, case, func, or_, select, update
from sqlalchemy.orm import joinedload, load_only, make_transient_to_detached

from app.core import events
from app.core.cache import immutables
from app.core.clock import now as clock_now
from app.core.db_helpers import commit_without_waiting_for_the_disk, dialect_insert, insert_ignoring_duplicates
from app.core.localize import language, localized_question, translation
from app.extensions import db
from app.people.models import STUDENT, User, UserRole
from app.people.service import group_headcount
from app.plan import service as plan_service
from app.plan.models import Activity
from app.quizzes import events as _announcements  # noqa: F401  (announces every grade written)
from app.quizzes.models import (EXPIRED, OPEN, SUBMITTED, AttemptAnswer, Quiz, QuizAccommodation, QuizAttempt,
                                QuizVersion)
from app.quizzes.scoring import score

logger = logging.getLogger(__name__)
GRACE = timedelta(seconds=30)
CLOSED = (SUBMITTED, EXPIRED)


class QuizUnavailable(Exception):
    """The person cannot start an attempt now; the message says why."""

class AttemptClosed(Exception):
    """The attempt no longer takes answers (submitted, or its time ran out)."""

# --- looking things up ----------------------------------------------------------

def quiz_by_slug(slug: str) -> Quiz | None:
    return db.session.execute(select(Quiz).where(Quiz.slug == slug, Quiz.retired.is_(False))).scalar_one_or_none()


@cache
def _attempt_with_quiz():
    # Built at the first use, once every model is mapped; reused, SQLAlchemy keeps its cache key and compiled form.
    return select(QuizAttempt).options(joinedload(QuizAttempt.quiz)).where(QuizAttempt.id == bindparam("attempt_id"))


@cache
def _activity_with_plan():
    # With its plan and periods in one statement, which recording the participation reads; built once (every submit).
    return (select(Activity).options(joinedload(Activity.plan), joinedload(Activity.periods))
            .where(Activity.id == bindparam("activity_id")))


def attempt_with_quiz(attempt_id: int) -> QuizAttempt | None:
    """An attempt and its quiz in one statement (built once: the attempt page and others run it)."""
    return db.session.execute(_attempt_with_quiz(), {"attempt_id": attempt_id}).scalar_one_or_none()


@cache
def _attempt_for_saving():
    # Only what an answer save reads: the quiz's texts in every language (its largest column) are not decoded.
    return select(QuizAttempt).options(
        load_only(QuizAttempt.user_id, QuizAttempt.quiz_id, QuizAttempt.version_id, QuizAttempt.status,
                  QuizAttempt.started_at, QuizAttempt.deadline, QuizAttempt.layout),
        joinedload(QuizAttempt.quiz).load_only(Quiz.per_page),
    ).where(QuizAttempt.id == bindparam("attempt_id"))


def attempt_for_saving(attempt_id: int) -> QuizAttempt | None:
    """An attempt with what saving answers to it needs, and its quiz's page size, in one light statement (every
    autosave runs it). Anything else of the attempt or quiz is loaded when first used (a save past the deadline
    grades the attempt)."""
    return db.session.execute(_attempt_for_saving(), {"attempt_id": attempt_id}).scalar_one_or_none()


def version_questions(version_id: int) -> dict[str, dict]:
    """A quiz version's questions by key, as loaded (answers included: never sent as is).

    Versions never change once written (a changed quiz gets a new version), so they are decoded
    once per process and shared read-only by every request.
    """
    def load():
        questions = db.session.scalar(select(QuizVersion.questions).where(QuizVersion.id == version_id))
        return {question["key"]: question for question in questions or []}

    return immutables().get(("quiz-version", version_id), load)


def version_draw(version_id: int) -> list[dict]:
    """A quiz version's draw rules (N questions per category; none: every question), kept like its questions."""
    return immutables().get(("quiz-version-draw", version_id), lambda: db.session.scalar(
        select(QuizVersion.draw).where(QuizVersion.id == version_id)) or [])


def questions_per_attempt(quiz: Quiz) -> int:
    """How many questions an attempt at the quiz's current version is given."""
    if quiz.current_version_id is None:
        return 0
    draw = version_draw(quiz.current_version_id)
    return sum(rule["count"] for rule in draw) if draw else len(version_questions(quiz.current_version_id))


def shown_questions(version_id: int) -> dict[str, dict]:
    """A quiz version's questions by key with their texts in the reader's language (kept per language)."""
    return immutables().get(("quiz-version", version_id, language()), lambda: {
        key: localized_question(question) for key, question in version_questions(version_id).items()})


def activity_for(quiz: Quiz, now: datetime) -> Activity | None:
    """The plan activity (of the academic year at `now`) that this quiz's attempts count for."""
    return plan_service.activity_at(now, quiz.activity_code) if quiz.activity_code else None


def _scope(query, activity_id: int | None):
    return query.where(QuizAttempt.activity_id == activity_id if activity_id else QuizAttempt.activity_id.is_(None))


def attempts_for(user_id: int, quiz: Quiz, activity_id: int | None) -> list[QuizAttempt]:
    """The person's attempts at this quiz in this academic year's scope, in order."""
    return db.session.execute(_scope(select(QuizAttempt).where(
        QuizAttempt.user_id == user_id, QuizAttempt.quiz_id == quiz.id), activity_id)
        .order_by(QuizAttempt.number)).scalars().all()


def open_attempt(user_id: int, quiz: Quiz) -> QuizAttempt | None:
    return db.session.execute(select(QuizAttempt).where(
        QuizAttempt.user_id == user_id, QuizAttempt.quiz_id == quiz.id, QuizAttempt.status == OPEN)).scalar_one_or_none()


def attempts_at(user_id: int, quiz: Quiz, now: datetime) -> list[QuizAttempt]:
    """All the person's attempts at this quiz (every year's), in order, in one statement; an open one whose
    time ran out is closed and graded first."""
    mine = db.session.execute(select(QuizAttempt).where(
        QuizAttempt.user_id == user_id, QuizAttempt.quiz_id == quiz.id).order_by(QuizAttempt.number)).scalars().all()
    for attempt in mine:
        if overdue(attempt, now):
            submit(attempt, now)
    return mine


def in_scope(attempts: list[QuizAttempt], activity_id: int | None) -> list[QuizAttempt]:
    """The attempts that count in this academic year's scope (see attempts_for)."""
    return [attempt for attempt in attempts if attempt.activity_id == activity_id]


def open_one(attempts: list[QuizAttempt]) -> QuizAttempt | None:
    return next((attempt for attempt in attempts if attempt.status == OPEN), None)


def extra_minutes(user_id: int, quiz_id: int) -> int:
    """The extra time granted to a person for this quiz (a quiz-specific grant or one for all quizzes)."""
    grants = db.session.execute(select(QuizAccommodation.extra_minutes).where(
        QuizAccommodation.user_id == user_id,
        or_(QuizAccommodation.quiz_id == quiz_id, QuizAccommodation.quiz_id.is_(None)))).scalars().all()
    return max(grants, default=0)


def grant_extra_time(user: User, quiz: Quiz | None, minutes: int, granted_by: User) -> None:
    """Record (or replace) a person's extra time for one quiz or, with quiz None, for all."""
    row = db.session.execute(select(QuizAccommodation).where(
        QuizAccommodation.user_id == user.id,
        QuizAccommodation.quiz_id == quiz.id if quiz else QuizAccommodation.quiz_id.is_(None))).scalar_one_or_none()
    if row is None:
        row = QuizAccommodation(user_id=user.id, quiz_id=quiz.id if quiz else None, extra_minutes=minutes)
        db.session.add(row)
    row.extra_minutes, row.granted_by_id = minutes, granted_by.id
    db.session.commit()
    logger.info("extra time %s min for user %s on quiz %s granted by %s", minutes, user.id,
                quiz.id if quiz else "all", granted_by.id)


def deadline_for(quiz: Quiz, started_at: datetime, extra: int) -> datetime | None:
    """The earliest of the time limit and the closing time, both extended by `extra` minutes."""
    bonus = timedelta(minutes=extra)
    candidates = []
    if quiz.time_limit_minutes:
        candidates.append(started_at + timedelta(minutes=quiz.time_limit_minutes) + bonus)
    if quiz.closes_at:
        candidates.append(quiz.closes_at + bonus)
    return min(candidates) if candidates else None


# --- starting an attempt ---------------------------------------------------------

def _least_seen(pool: list[dict], count: int, seen: Counter, rng: random.Random) -> list[dict]:
    """Pick `count` questions of the pool, those shown least often in earlier attempts first (random among equals)."""
    if not any(seen[q["key"]] for q in pool):
        return rng.sample(pool, count)
    shuffled = rng.sample(pool, len(pool))
    return sorted(shuffled, key=lambda q: seen[q["key"]])[:count]   # a stable sort keeps the random order of equals


def draw_layout(questions: list[dict], draw: list[dict], quiz: Quiz, rng: random.Random,
                seen: Counter | None = None) -> list[dict]:
    """Draw the attempt's questions (N per category when the quiz says so) and option orders.

    `seen` counts how often each question key was drawn in the person's earlier attempts: a
    review after an attempt shows its right answers, so a later attempt draws the questions not
    yet shown first and repeats one only when its category has run out of fresh ones.
    """
    seen = seen or Counter()
    if draw:
        chosen = []
        for rule in draw:
            pool = [q for q in questions if q["category"] == rule["category"]]
            chosen.extend(_least_seen(pool, rule["count"], seen, rng))
    else:
        chosen = list(questions)
    if quiz.shuffle_questions:
        rng.shuffle(chosen)
    layout = []
    for question in chosen:
        size = {"single": len(question.get("options", [])), "multiple": len(question.get("options", [])),
                "matching": len(question.get("pairs", [])), "ordering": len(question.get("items", []))}.get(question["type"], 0)
        order = list(range(size))
        # Matching and ordering are always shuffled: in file order they would give the answer away.
        if question["type"] in ("matching", "ordering") or quiz.shuffle_options:
            rng.shuffle(order)
        layout.append({"key": question["key"], "order": order})
    return layout


def start_attempt(user: User, quiz: Quiz, now: datetime, rng: random.Random | None = None) -> QuizAttempt:
    """Resume the person's open attempt, or start a new one if the quiz and their attempts allow."""
    user_id, quiz_id = user.id, quiz.id   # read once: the commit below expires both rows
    mine = attempts_at(user_id, quiz, now)
    current = open_one(mine)
    if current is not None:
        return current
    if not quiz.is_open(now):
        raise QuizUnavailable("closed")
    activity = activity_for(quiz, now)
    previous = in_scope(mine, activity.id if activity else None)
    if quiz.attempts_allowed and len(previous) >= quiz.attempts_allowed:
        raise QuizUnavailable("no attempts left")
    # The version's questions and rules as kept in memory: the bank (380 KB of JSON) is not read for every start.
    version_id = quiz.current_version_id
    seen = Counter(entry["key"] for attempt in previous for entry in attempt.layout)
    layout = draw_layout(list(version_questions(version_id).values()), version_draw(version_id), quiz,
                         rng or random.SystemRandom(), seen)
    values = dict(quiz_id=quiz_id, version_id=version_id, user_id=user_id,
                  activity_id=activity.id if activity else None, number=len(previous) + 1, status=OPEN, started_at=now,
                  deadline=deadline_for(quiz, now, extra_minutes(user_id, quiz_id)), layout=layout)
    new_id = db.session.execute(insert_ignoring_duplicates(QuizAttempt, values)).scalar_one_or_none()
    db.session.commit()
    if new_id is None:  # started at the same moment in another request: use that one
        return open_attempt(user_id, quiz)
    logger.info("user %s started attempt %s at quiz %s", user_id, new_id, quiz_id)
    return _as_inserted(QuizAttempt(id=new_id, submitted_at=None, score=None, max_score=None, percent=None,
                                    passed=None, **values))


def _as_inserted(attempt: QuizAttempt) -> QuizAttempt:
    """The attempt just inserted, in the session as if it had been read back (without reading it back)."""
    make_transient_to_detached(attempt)
    db.session.add(attempt)
    return attempt


# --- answering ----------------------------------------------------------------------

def pages(attempt: QuizAttempt) -> list[list[dict]]:
    size = max(attempt.quiz.per_page, 1)
    return [attempt.layout[i:i + size] for i in range(0, len(attempt.layout), size)] or [[]]


def saved_responses(attempt: QuizAttempt) -> dict[str, object]:
    rows = db.session.execute(select(AttemptAnswer.question_key, AttemptAnswer.response).where(
        AttemptAnswer.attempt_id == attempt.id)).all()
    return {key: json.loads(raw) for key, raw in rows if raw is not None}


# --- what an open attempt's page shows: opaque names and values -----------------------

LEGACY_PREFIX = "q-"   # how inputs were named before they became opaque (pages open at the upgrade)


class StalePage(Exception):
    """The form was rendered before inputs became opaque; reading it would blank saved answers."""

class InputTokens:
    """The names and values of one attempt's inputs: opaque, stable, and mapped back only here.

    token = "a" + base32(first 80 bits of HMAC-SHA256(secret, attempt id|start|question key|role|index))
    The same on every request of the attempt (reload, autosave, posting without JavaScript), different
    in every attempt, and neither guessable nor invertible without the application's secret key, so
    nothing a student receives carries a bank index. Derived, not stored: attempts that were open
    when this arrived work unchanged.
    """

    def __init__(self, attempt: QuizAttempt, secret: str | bytes):
        self._secret = secret.encode() if isinstance(secret, str) else secret
        self._attempt = f"{attempt.id}\x1f{attempt.started_at:%Y-%m-%dT%H:%M:%S}"

    def token(self, key: str, role: str, index: object = "") -> str:
        """Name the input (or value) `role` #`index` of question `key` in this attempt."""
        message = f"quiz-input\x1f{self._attempt}\x1f{key}\x1f{role}\x1f{index}".encode()
        digest = hmac.digest(self._secret, message, "sha256")   # one call into OpenSSL: a page asks for dozens
        return "a" + base64.b32encode(digest[:10]).decode().lower()

    def ref(self, key: str) -> str:
        """Name the question: its fieldset, and the input of a one-input question."""
        return self.token(key, "question")

    def values(self, question: dict) -> dict[str, object]:
        """Map each value token of the question to what it means in the bank.

        single/multiple: option index; true/false: True or False; matching: index of the
        right-hand text; ordering: the 1-based place.
        """
        key, kind = question["key"], question["type"]
        if kind in ("single", "multiple"):
            return {self.token(key, "option", i): i for i in range(len(question["options"]))}
        if kind == "true_false":
            return {self.token(key, "option", "true"): True, self.token(key, "option", "false"): False}
        if kind == "matching":
            return {self.token(key, "right", j): j for j in range(len(question["pairs"]))}
        if kind == "ordering":
            return {self.token(key, "place", p): p for p in range(1, len(question["items"]) + 1)}
        return {}

    def slots(self, question: dict) -> list[str]:
        """Name the select of each left-hand item (matching) or item (ordering), by bank index."""
        if question["type"] == "matching":
            return [self.token(question["key"], "left", i) for i in range(len(question["pairs"]))]
        return [self.token(question["key"], "item", i) for i in range(len(question["items"]))]


@dataclass
class Choice:
    """One option as rendered: its token, its text, and whether the saved answer has it."""

    value: str
    label: str
    chosen: bool


@dataclass
class Slot:
    """One select of a matching or ordering question: its token name, its label and its options."""

    name: str
    label: str
    choices: list[Choice]


@dataclass
class SheetQuestion:
    """One question as the open attempt shows it: texts in the attempt's order, every name and value a token."""

    ref: str
    type: str
    text: str
    problem: bool
    choices: list[Choice] = field(default_factory=list)   # single, multiple, true/false
    slots: list[Slot] = field(default_factory=list)       # matching (per left item), ordering (per item)
    typed: str = ""                                       # numeric, short text


def answer_sheet(attempt: QuizAttempt, number: int, secret: str | bytes, problems=()) -> list[SheetQuestion]:
    """Lay out one page of an open attempt for the student, with the saved answers filled in."""
    tokens, saved = InputTokens(attempt, secret), saved_responses(attempt)
    originals, localized = version_questions(attempt.version_id), shown_questions(attempt.version_id)
    sheet = []
    for entry in pages(attempt)[number - 1]:
        question = originals[entry["key"]]
        shown, key, kind = localized[entry["key"]], question["key"], question["type"]
        response = saved.get(key)
        item = SheetQuestion(tokens.ref(key), kind, shown["text"], key in problems)
        token_of = {meaning: token for token, meaning in tokens.values(question).items()}
        if kind in ("single", "multiple"):
            picked = response if isinstance(response, list) else [response]
            item.choices = [Choice(token_of[i], shown["options"][i], i in picked) for i in entry["order"]]
        elif kind == "true_false":
            item.choices = [Choice(token_of[True], _("True"), response is True),
                            Choice(token_of[False], _("False"), response is False)]
        elif kind == "numeric":
            item.typed = f"{response:g}" if response is not None else ""
        elif kind == "short_text":
            item.typed = response or ""
        elif kind == "matching":
            given = response or {}
            item.slots = [Slot(name, shown["pairs"][i][0], [
                Choice(token_of[j], shown["pairs"][j][1], given.get(str(i)) == j) for j in entry["order"]])
                for i, name in enumerate(tokens.slots(question))]
        else:
            given, names = response or {}, tokens.slots(question)
            places = range(1, len(question["items"]) + 1)
            item.slots = [Slot(names[i], shown["items"][i], [
                Choice(token_of[p], str(p), given.get(str(i)) == p) for p in places]) for i in entry["order"]]
        sheet.append(item)
    return sheet


def preview_question(question: dict, language: str = "") -> SheetQuestion:
    """One question of the bank laid out as a student sees it, in `language` (the original where untranslated).

    For the editor's preview only: inputs are named plainly, options keep the bank's order, nothing is saved.
    """
    shown = {**question, **((question.get("translations") or {}).get(language) or {})}
    key, kind = question["key"], question["type"]
    item = SheetQuestion(f"preview-{key}", kind, shown["text"], False)
    if kind in ("single", "multiple"):
        item.choices = [Choice(str(i), option, False) for i, option in enumerate(shown["options"])]
    elif kind == "true_false":
        item.choices = [Choice("true", _("True"), False), Choice("false", _("False"), False)]
    elif kind == "matching":
        item.slots = [Slot(f"preview-{key}-{i}", left, [Choice(str(j), pair[1], False)
                                                          for j, pair in enumerate(shown["pairs"])])
                      for i, (left, _right) in enumerate(shown["pairs"])]
    elif kind == "ordering":
        places = range(1, len(shown["items"]) + 1)
        item.slots = [Slot(f"preview-{key}-{i}", text, [Choice(str(p), str(p), False) for p in places])
                      for i, text in enumerate(shown["items"])]
    return item


def read_page(attempt: QuizAttempt, number: int, form, secret: str | bytes) -> tuple[dict[str, object], list[str]]:
    """Read one page's answers from the posted form; return (responses by question key, keys not understood)."""
    if any(name.startswith(LEGACY_PREFIX) for name in form):
        raise StalePage()
    tokens = InputTokens(attempt, secret)
    responses, problems = {}, []
    questions = version_questions(attempt.version_id)
    for entry in pages(attempt)[number - 1]:
        question = questions[entry["key"]]
        response, understood = parse_response(question, tokens, form)
        responses[entry["key"]] = response
        if not understood:
            problems.append(entry["key"])
    return responses, problems


def parse_response(question: dict, tokens: InputTokens, form) -> tuple[object, bool]:
    """Read one question's answer from submitted form fields; return (response, was it understood)."""
    # The value tokens (an HMAC each) are worked out only for a question that has an answer on the page: an
    # autosave sends the whole page, most of it still unanswered early in an attempt.
    name = tokens.ref(question["key"])
    kind = question["type"]
    if kind in ("single", "true_false"):
        raw = form.get(name, "")
        if not raw:
            return None, True
        meaning = tokens.values(question)
        return (meaning[raw], True) if raw in meaning else (None, False)
    if kind == "multiple":
        ticked = form.getlist(name)
        if not ticked:
            return None, True
        meaning = tokens.values(question)
        picked = sorted({meaning[v] for v in ticked if v in meaning})
        return (picked or None), True
    if kind == "numeric":
        raw = form.get(name, "").strip().replace(",", ".").replace(" ", "")
        if not raw:
            return None, True
        try:
            value = float(raw)
        except ValueError:
            return None, False
        return (value, True) if math.isfinite(value) else (None, False)
    if kind == "short_text":
        raw = form.get(name, "").strip()[:200]
        return (raw or None), True
    given = [form.get(slot, "") for slot in tokens.slots(question)]
    if not any(given):
        return None, True
    meaning = tokens.values(question)
    chosen = {str(index): meaning[raw] for index, raw in enumerate(given) if raw in meaning}
    return (chosen or None), True


def save_answers(attempt: QuizAttempt, responses: dict[str, object], now: datetime) -> None:
    """Store answers to questions of this attempt; refuse them once the time is up."""
    if attempt.status != OPEN:
        raise AttemptClosed(attempt.status)
    if attempt.deadline is not None and now > attempt.deadline + GRACE:
        submit(attempt, now)
        raise AttemptClosed(EXPIRED)
    drawn = {entry["key"] for entry in attempt.layout}
    rows = [{"attempt_id": attempt.id, "question_key": key, "saved_at": now,
             "response": json.dumps(response, sort_keys=True) if response is not None else None}
            for key, response in responses.items() if key in drawn]
    if rows:   # one statement for the whole page: insert new answers, overwrite saved ones
        db.session.execute(_upsert_answer(), rows)
    commit_without_waiting_for_the_disk()   # the page holds the answers until submitted (db_helpers)


_UPSERTS: dict[str, object] = {}


def _upsert_answer():
    """INSERT … ON CONFLICT DO UPDATE of one saved answer, built once per database dialect.

    Every answer save runs it (executed with the page's rows at once); built once, SQLAlchemy also keeps its
    cache key and compiled form instead of working them out again for every save."""
    dialect = db.session.get_bind().dialect.name
    statement = _UPSERTS.get(dialect)
    if statement is None:
        insert = dialect_insert(AttemptAnswer.__table__)
        statement = _UPSERTS[dialect] = insert.on_conflict_do_update(
            index_elements=[AttemptAnswer.attempt_id, AttemptAnswer.question_key],
            set_={"response": insert.excluded.response, "saved_at": insert.excluded.saved_at})
    return statement


# --- closing and grading ------------------------------------------------------------

def submit(attempt: QuizAttempt, now: datetime) -> bool:
    """Close and grade the attempt exactly once; return True if this call graded it.

    The status changes from open in one conditional UPDATE, so a double click or two
    simultaneous requests grade once. An attempt past its deadline (plus grace) is
    closed as expired and graded on the answers saved in time.
    """
    expired = attempt.deadline is not None and now > attempt.deadline + GRACE
    changed = db.session.execute(update(QuizAttempt).where(
        QuizAttempt.id == attempt.id, QuizAttempt.status == OPEN,
    ).values(status=EXPIRED if expired else SUBMITTED,
             submitted_at=min(now, attempt.deadline + GRACE) if expired else now)).rowcount
    if changed != 1:
        db.session.rollback()
        db.session.refresh(attempt)
        return False
    # The session applied the new status and time to `attempt` itself (the ORM's UPDATE): nothing to read back.
    _grade(attempt)
    _after_grading(attempt, now)
    events.announce(events.news_resolved, "quizzes", subject=f"quiz:{attempt.quiz.slug}", kind="quiz", at=now,
                    user_ids=[attempt.user_id])
    closed = (attempt.id, attempt.status, attempt.percent)   # read before the commit, which expires the row
    db.session.commit()
    logger.info("attempt %s closed (%s): %.1f%%", *closed)
    return True


def _grade(attempt: QuizAttempt) -> None:
    questions = version_questions(attempt.version_id)
    saved = saved_responses(attempt)
    total = possible = 0.0
    rows = []
    for entry in attempt.layout:
        question = questions[entry["key"]]
        points_possible = float(question.get("points", 1))
        points = round(score(question, saved.get(entry["key"])) * points_possible, 6)
        total, possible = total + points, possible + points_possible
        rows.append({"attempt_id": attempt.id, "question_key": entry["key"], "response": None,
                     "saved_at": attempt.submitted_at, "points": points, "points_possible": points_possible})
    if rows:   # one statement: every drawn question gets its points, an unanswered one a row of its own
        insert = dialect_insert(AttemptAnswer)
        db.session.execute(insert.on_conflict_do_update(
            index_elements=[AttemptAnswer.attempt_id, AttemptAnswer.question_key],
            set_={"points": insert.excluded.points, "points_possible": insert.excluded.points_possible}), rows)
    attempt.score, attempt.max_score = total, possible
    attempt.percent = round(100 * total / possible, 2) if possible else 0.0
    attempt.passed = attempt.percent >= attempt.quiz.pass_percent


def _after_grading(attempt: QuizAttempt, now: datetime) -> None:
    """Write what a closed attempt earns: participation (sitting counts), XP for improvement only."""
    quiz, user = attempt.quiz, db.session.get(User, attempt.user_id)
    if attempt.activity_id:
        activity = db.session.execute(_activity_with_plan(), {"activity_id": attempt.activity_id}).unique().scalar_one()
        if plan_service.belongs_to_population(user, activity.population):
            plan_service.record_participation(user.id, activity, source="quiz",
                                              source_ref=f"attempt:{attempt.id}", when=now)
    earlier_best = max((a.percent for a in attempts_for(user.id, quiz, attempt.activity_id)
                        if a.id != attempt.id and a.status in CLOSED and a.percent is not None), default=0.0)
    events.announce(events.attempt_closed, "quizzes", user_id=user.id, attempt_id=attempt.id, quiz_slug=quiz.slug,
                    title=quiz.title, xp=quiz.xp, percent=attempt.percent, earlier_best=earlier_best, at=now)
    if attempt.passed:
        events.announce(events.quiz_passed, "quizzes", user_id=user.id, quiz_slug=quiz.slug, attempt_id=attempt.id, at=now)


def overdue(attempt: QuizAttempt, now: datetime) -> bool:
    """An open attempt whose time (plus grace) has run out."""
    return attempt.status == OPEN and attempt.deadline is not None and attempt.deadline < now - GRACE


def close_overdue(now: datetime, *, user_id: int | None = None, quiz_id: int | None = None) -> int:
    """Grade every open attempt whose time (plus grace) has run out; return how many."""
    query = select(QuizAttempt).where(QuizAttempt.status == OPEN, QuizAttempt.deadline.is_not(None),
                                      QuizAttempt.deadline < now - GRACE)
    if user_id:
        query = query.where(QuizAttempt.user_id == user_id)
    if quiz_id:
        query = query.where(QuizAttempt.quiz_id == quiz_id)
    overdue = db.session.execute(query).scalars().all()
    return sum(1 for attempt in overdue if submit(attempt, now))


def final_grade(attempts: list[QuizAttempt], method: str) -> float | None:
    """The person's grade over closed attempts: highest, last, first or average (in percent)."""
    graded = [a.percent for a in sorted(attempts, key=lambda a: a.number) if a.status in CLOSED and a.percent is not None]
    if not graded:
        return None
    return {"highest": max(graded), "last": graded[-1], "first": graded[0],
            "average": round(sum(graded) / len(graded), 2)}[method]


def has_passed(user_id: int, quiz_slug: str, now: datetime | None = None) -> bool:
    """True when the person's final grade at the quiz (this academic year) reaches its pass mark."""
    quiz = quiz_by_slug(quiz_slug)
    if quiz is None:
        return False
    activity = activity_for(quiz, now or clock_now())   # the test clock too: which year's attempts count
    grade = final_grade(attempts_for(user_id, quiz, activity.id if activity else None), quiz.grading)
    return grade is not None and grade >= quiz.pass_percent


def review_visible(attempt: QuizAttempt, now: datetime) -> bool:
    """Whether the attempt's answers and explanations may be shown, as the quiz's feedback mode says."""
    if attempt.status == OPEN:
        return False
    mode = attempt.quiz.feedback
    if mode == "after_attempt":
        return True
    if mode == "after_close":
        return attempt.quiz.closes_at is not None and now >= attempt.quiz.closes_at
    return False


# --- statistics ---------------------------------------------------------------------

@dataclass
class StudentResult:
    student: User
    attempts: int
    grade: float | None
    passed: bool
    counted: bool = False    # done the quiz's plan activity this period, by the quiz or otherwise (an event, an import)


@dataclass
class GroupResults:
    rows: list[StudentResult]
    sat: int
    passed: int
    distribution: list[int] = field(default_factory=lambda: [0] * 10)  # grades in 0-9, 10-19, … 90-100
    owing: int = 0               # students with an account who still owe it (the plan activity, when there is one)
    without_account: int = 0     # of the group's official headcount, how many have no account yet


def group_results(quiz: Quiz, group_id: int, activity: Activity | None, today: date) -> GroupResults:
    """Who in a group has sat and passed (this year), who still owes it, and how grades spread.

    For a quiz that counts for a plan activity (the integrity hour, 2.2), "still owes it" means not
    counted for that activity in its current period — the same definition as the coverage pages
    (`plan.service.counts_for`), so a student who attended a 2.2 event owes nothing here either."""
    students = db.session.execute(select(User).join(UserRole, UserRole.user_id == User.id).where(
        User.group_id == group_id, User.active.is_(True), UserRole.role == STUDENT)
        .order_by(User.full_name)).scalars().all()
    by_user: dict[int, list[QuizAttempt]] = {}
    for attempt in db.session.execute(_scope(select(QuizAttempt).join(User, User.id == QuizAttempt.user_id).where(
            QuizAttempt.quiz_id == quiz.id, User.group_id == group_id), activity.id if activity else None)).scalars():
        by_user.setdefault(attempt.user_id, []).append(attempt)
    counted = (plan_service.took_part(activity.plan, activity, min(today, activity.plan.ends_on),
                                      [s.id for s in students]) if activity else set())
    result = GroupResults(rows=[], sat=0, passed=0)
    for student in students:
        attempts = by_user.get(student.id, [])
        grade = final_grade(attempts, quiz.grading)
        passed = grade is not None and grade >= quiz.pass_percent
        result.rows.append(StudentResult(student, sum(1 for a in attempts if a.status in CLOSED), grade, passed,
                                         student.id in counted))
        if grade is not None:
            result.sat += 1
            result.passed += passed
            result.distribution[min(int(grade // 10), 9)] += 1
    result.owing = len(students) - (len(counted) if activity else result.sat)
    official = group_headcount(group_id, today)
    result.without_account = max(0, official - len(students)) if official else 0
    return result


@dataclass
class ItemStatistics:
    key: str
    text: str
    type: str
    category: str
    given: int
    facility: float | None
    discrimination: float | None
    options: list[tuple[str, int]]


def item_statistics(quiz: Quiz) -> list[ItemStatistics]:
    """Per question, over the closed attempts that were given it: facility, discrimination, option counts.

    facility = mean share of the question's points earned.
    discrimination = point-biserial (Pearson) correlation between the question's share x and the
    share y of the rest of the attempt: y = (attempt score - question points) / (attempt max - question max),
        r = (nΣxy - ΣxΣy) / sqrt((nΣx² - (Σx)²)(nΣy² - (Σy)²)),
    left empty when either varies not at all. All sums come from one GROUP BY query.
    """
    x = AttemptAnswer.points / AttemptAnswer.points_possible
    rest_max = QuizAttempt.max_score - AttemptAnswer.points_possible
    y = case((rest_max > 0, (QuizAttempt.score - AttemptAnswer.points) / rest_max), else_=0.0)
    closed = and_(QuizAttempt.quiz_id == quiz.id, QuizAttempt.status.in_(CLOSED),
                  AttemptAnswer.points_possible.is_not(None))
    sums = db.session.execute(
        select(AttemptAnswer.question_key, func.count(), func.sum(x), func.sum(x * x), func.sum(y),
               func.sum(y * y), func.sum(x * y))
        .join(QuizAttempt, QuizAttempt.id == AttemptAnswer.attempt_id).where(closed)
        .group_by(AttemptAnswer.question_key)).all()
    choices: dict[str, dict[str, int]] = {}
    for key, response, count in db.session.execute(
        select(AttemptAnswer.question_key, AttemptAnswer.response, func.count())
        .join(QuizAttempt, QuizAttempt.id == AttemptAnswer.attempt_id).where(closed)
        .group_by(AttemptAnswer.question_key, AttemptAnswer.response)):
        choices.setdefault(key, {})[response or "null"] = count

    questions = {}
    for version in db.session.execute(select(QuizVersion).where(QuizVersion.quiz_id == quiz.id)
                                      .order_by(QuizVersion.number)).scalars():
        questions.update({q["key"]: q for q in version.questions})
    result = []
    for key, n, sx, sxx, sy, syy, sxy in sums:
        question = questions.get(key, {"text": key, "type": "?", "category": ""})
        denominator = (n * sxx - sx * sx) * (n * syy - sy * sy)
        r = (n * sxy - sx * sy) / math.sqrt(denominator) if denominator > 1e-12 else None
        result.append(ItemStatistics(key, question["text"], question["type"], question.get("category", ""), n,
                                     sx / n if n else None, round(r, 3) if r is not None else None,
                                     _option_counts(question, choices.get(key, {}))))
    return sorted(result, key=lambda item: (item.facility if item.facility is not None else 2, item.key))


def _option_counts(question: dict, responses: dict[str, int]) -> list[tuple[str, int]]:
    """How often each option was chosen (single, multiple, true/false), plus the unanswered."""
    kind = question.get("type")
    counts: dict[str, int] = {}
    if kind in ("single", "multiple"):
        counts = {option: 0 for option in question["options"]}
    elif kind == "true_false":
        counts = {"true": 0, "false": 0}
    unanswered = responses.get("null", 0)
    for raw, count in responses.items():
        if raw == "null" or not counts:
            continue
        value = json.loads(raw)
        for item in (value if isinstance(value, list) else [value]):
            if kind == "true_false":
                counts["true" if item else "false"] += count
            elif isinstance(item, int) and 0 <= item < len(question["options"]):
                counts[question["options"][item]] += count
    return list(counts.items()) + [("(no answer)", unanswered)]


# --- describing answers for the review ------------------------------------------------

def answer_text(question: dict) -> str:
    """The right answer, in words."""
    kind = question["type"]
    if kind == "single":
        return question["options"][question["answer"]]
    if kind == "multiple":
        return "; ".join(question["options"][i] for i in question["answer"])
    if kind == "true_false":
        return _("True") if question["answer"] else _("False")
    if kind == "numeric":
        tolerance = question.get("tolerance", 0)
        return f"{question['answer']:g}" + (f" (± {tolerance:g})" if tolerance else "")
    if kind == "short_text":
        # Scoring accepts every language's answers; the review names one, in the reader's language.
        return ((translation(question) or {}).get("accepted") or question["accepted"])[0]
    if kind == "matching":
        return "; ".join(f"{left} → {right}" for left, right in question["pairs"])
    return " → ".join(question["items"])


def response_text(question: dict, response) -> str:
    """What the person answered, in words ('' when nothing)."""
    if response is None:
        return ""
    kind = question["type"]
    try:
        if kind == "single":
            return question["options"][response]
        if kind == "multiple":
            return "; ".join(question["options"][i] for i in response)
        if kind == "true_false":
            return _("True") if response else _("False")
        if kind == "numeric":
            return f"{response:g}"
        if kind == "short_text":
            return response
        if kind == "matching":
            return "; ".join(f"{question['pairs'][int(i)][0]} → {question['pairs'][j][1]}"
                             for i, j in sorted(response.items(), key=lambda kv: int(kv[0])))
        placed = sorted(response.items(), key=lambda kv: kv[1])
        return " → ".join(question["items"][int(i)] for i, _position in placed)
    except (IndexError, KeyError, TypeError, ValueError):
        return "?"


@dataclass
class ReviewItem:
    question: dict
    response: str
    answer: str
    points: float
    possible: float


def review(attempt: QuizAttempt) -> list[ReviewItem]:
    """Each drawn question with the person's answer, the right answer and the points earned."""
    rows = {key: (response, points, possible) for key, response, points, possible in db.session.execute(
        select(AttemptAnswer.question_key, AttemptAnswer.response, AttemptAnswer.points,
               AttemptAnswer.points_possible).where(AttemptAnswer.attempt_id == attempt.id))}
    items = []
    questions = shown_questions(attempt.version_id)
    for entry in attempt.layout:
        question = questions[entry["key"]]
        raw, points, possible = rows.get(entry["key"], (None, 0.0, float(question.get("points", 1))))
        items.append(ReviewItem(question, response_text(question, json.loads(raw) if raw else None),
                                answer_text(question), points or 0.0, possible or 0.0))
    return items
