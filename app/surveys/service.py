"""Rules of the survey: who may answer, storing an answer anonymously, and results with small-cell suppression."""
import base64
import hashlib
import json
import logging
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.orm import contains_eager

from app.audit import service as audit
from app.core.cache import cache
from app.core.db_helpers import dialect_insert
from app.extensions import db
from app.people.models import STUDENT, Faculty, User
from app.plan import service as plan_service
from app.surveys.models import (PENDING, RELEASED, WITHHELD, Survey, SurveyPending, SurveyResponse, SurveyTaker, SurveyText,
                                SurveyWave)

logger = logging.getLogger(__name__)

MIN_CELL = 5          # no figure is shown for fewer respondents than this
BATCH = 5             # responses reach the response tables in shuffled groups of at least this many (or at publication)
TEXT_LIMIT = 2000


class SurveyError(Exception):
    """The response was refused; the message says why, for the person."""


def _takes_responses(today: date) -> tuple:
    """A wave takes responses while it is open today and not yet published (published waves take none)."""
    return SurveyWave.published_at.is_(None), SurveyWave.opens_on <= today, SurveyWave.closes_on >= today


def open_wave(survey: Survey, today: date) -> SurveyWave | None:
    """The survey's wave that takes responses today: the first, if waves overlap."""
    return db.session.execute(select(SurveyWave).where(SurveyWave.survey_id == survey.id, *_takes_responses(today))
                              .order_by(SurveyWave.opens_on).limit(1)).scalar_one_or_none()


def open_waves(today: date) -> list[tuple[Survey, SurveyWave]]:
    """Each survey in use with the wave that takes responses today (as `open_wave`), in one statement; the surveys'
    questions are read only if asked for."""
    waves = db.session.execute(
        select(SurveyWave).join(Survey, Survey.id == SurveyWave.survey_id)
        .where(Survey.retired.is_(False), *_takes_responses(today))
        .order_by(Survey.id, SurveyWave.opens_on)
        .options(contains_eager(SurveyWave.survey).defer(Survey.questions))).scalars()
    first: dict[int, SurveyWave] = {}
    for wave in waves:
        first.setdefault(wave.survey_id, wave)
    return [(wave.survey, wave) for wave in first.values()]


def has_answered(wave: SurveyWave, user_id: int) -> bool:
    return db.session.get(SurveyTaker, (wave.id, user_id)) is not None


def may_answer(user: User) -> bool:
    return user.has_role(STUDENT)


def parse_answers(survey: Survey, form) -> tuple[dict, dict[str, str], dict[str, str]]:
    """Read a submitted form: (answers by question key, free texts by key, problems by key)."""
    answers, texts, problems = {}, {}, {}
    for question in survey.questions:
        name, kind = f"q-{question['key']}", question["type"]
        value = None
        if kind == "single":
            raw = form.get(name, "")
            if raw.isdigit() and int(raw) < len(question["options"]):
                value = int(raw)
        elif kind == "multiple":
            picked = sorted({int(v) for v in form.getlist(name) if v.isdigit() and int(v) < len(question["options"])})
            value = picked or None
        elif kind == "scale":
            raw = form.get(name, "")
            if raw.isdigit() and 1 <= int(raw) <= question["points"]:
                value = int(raw)
        else:
            text = form.get(name, "").strip()
            if len(text) > TEXT_LIMIT:
                problems[question["key"]] = _("Keep it under %(n)d characters.", n=TEXT_LIMIT)
            elif text:
                texts[question["key"]] = text
            continue
        if value is None and question["required"]:
            problems[question["key"]] = _("Please answer this question.")
        elif value is not None:
            answers[question["key"]] = value
    return answers, texts, problems


def respond(user: User, wave: SurveyWave, answers: dict, texts: dict[str, str], today: date) -> None:
    """Record that the person answered, then pool the answers, sealed, in a transaction of their own.

    The first commit holds only who answered (survey_takers, which refuses a second try, and the
    day-only participation row); the second holds only the sealed answers, or, when it completes a
    batch, the whole batch written in random order. See app/surveys/models.py for the guarantees.
    """
    if not may_answer(user):
        raise SurveyError(_("This survey is for students."))
    if wave.published_at is not None or not wave.is_open(today):
        raise SurveyError(_("This survey is not taking answers now."))
    taken = db.session.execute(dialect_insert(SurveyTaker).values(wave_id=wave.id, user_id=user.id)
                               .on_conflict_do_nothing().returning(SurveyTaker.wave_id)).scalar_one_or_none()
    if taken is None:
        db.session.rollback()
        raise SurveyError(_("You have already answered this survey. Thank you!"))
    content = {"faculty": user.faculty.id if user.faculty else None, "answers": answers, "texts": texts}
    plan = plan_service.current_plan(today) if wave.survey.activity_code else None
    activity = plan_service.activity_by_code(plan, wave.survey.activity_code) if plan else None
    if activity is not None:
        plan_service.record_participation(user.id, activity, source="survey", source_ref=f"survey:{wave.id}",
                                          when=datetime.combine(today, time()), day_only=True)
    db.session.commit()
    _pool(wave.id, content)


def _seal(content: dict) -> str:
    """Encrypt one pending response with the pool's key (AES-GCM; a token carries no time, unlike Fernet)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM   # when a survey is answered, not at start

    nonce = secrets.token_bytes(12)
    return base64.b64encode(nonce + AESGCM(_pool_key()).encrypt(nonce, json.dumps(content).encode("utf-8"), None)).decode()


def _unseal(sealed: str) -> dict:
    """Decrypt one pending response."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    raw = base64.b64decode(sealed)
    return json.loads(AESGCM(_pool_key()).decrypt(raw[:12], raw[12:], None))


def _pool_key() -> bytes:
    """Derive the pool's key from SECRET_KEY, which lives outside the database and its backups."""
    secret = current_app.config["SECRET_KEY"]
    return hashlib.sha256(b"sanaly survey pending pool\0" + (secret.encode() if isinstance(secret, str) else secret)).digest()


def _pool(wave_id: int, content: dict) -> None:
    """Add one response to the wave's sealed pool, or write the pool out once it holds a batch.

    The pool is taken whole (DELETE … RETURNING hands each pending row to exactly one writer) and
    either written, when it makes a batch, or sealed back under fresh ids, so that answers sent
    at the same moment never produce a batch smaller than BATCH.
    """
    taken = _take_pool(wave_id) + [content]
    if len(taken) >= BATCH:
        _write_responses(wave_id, taken)
    else:
        db.session.add_all([SurveyPending(id=secrets.token_hex(16), wave_id=wave_id, sealed=_seal(c)) for c in taken])
    db.session.commit()
    if len(taken) >= BATCH:
        cache().bump("surveys")


def _take_pool(wave_id: int) -> list[dict]:
    """Delete the wave's pending rows and return them opened; the caller commits."""
    from cryptography.exceptions import InvalidTag

    sqlite = db.session.get_bind().dialect.name == "sqlite"
    if sqlite:
        # Overwrite the sealed rows in place instead of leaving them on free pages; then the connection's
        # setting as it was (a build may have it on for every delete).
        before = db.session.execute(text("PRAGMA secure_delete")).scalar()
        db.session.execute(text("PRAGMA secure_delete=ON"))
    sealed = db.session.execute(delete(SurveyPending).where(SurveyPending.wave_id == wave_id)
                                .returning(SurveyPending.sealed)).scalars().all()
    if sqlite:
        db.session.execute(text(f"PRAGMA secure_delete={int(before)}"))
    opened = []
    for token in sealed:
        try:
            opened.append(_unseal(token))
        except InvalidTag:
            # Sealed under an earlier SECRET_KEY: unreadable for good; dropping it keeps the survey answering.
            logger.error("survey wave %s: a pending answer sealed under another SECRET_KEY was dropped", wave_id)
    return opened


def _write_responses(wave_id: int, contents: list[dict]) -> None:
    """Write responses and their free texts in random order with fresh random ids; the caller commits."""
    if not contents:
        return
    shuffle = secrets.SystemRandom().shuffle
    contents = list(contents)
    shuffle(contents)
    faculties = set(db.session.execute(select(Faculty.id).where(
        Faculty.id.in_({c["faculty"] for c in contents if c["faculty"] is not None}))).scalars())
    responses = [{"id": secrets.token_hex(16), "wave_id": wave_id, "answers": c["answers"],
                  "faculty_id": c["faculty"] if c["faculty"] in faculties else None} for c in contents]
    free_texts = [{"id": secrets.token_hex(16), "wave_id": wave_id, "question_key": key, "body": body, "state": PENDING}
                  for c in contents for key, body in c["texts"].items()]
    shuffle(free_texts)
    db.session.execute(insert(SurveyResponse), responses)
    if free_texts:
        db.session.execute(insert(SurveyText), free_texts)


def respondents(wave: SurveyWave) -> int:
    """Count the people who have answered the wave (their answers may still wait in the pool)."""
    return db.session.scalar(select(func.count()).select_from(SurveyTaker).where(SurveyTaker.wave_id == wave.id))


def waiting(wave: SurveyWave) -> int:
    """Count the sealed responses not yet written: they join the results with the next batch or at publication."""
    return db.session.scalar(select(func.count()).select_from(SurveyPending).where(SurveyPending.wave_id == wave.id))


def publish(wave: SurveyWave, actor: User, now: datetime) -> None:
    """Publish a wave's results (this also closes it to further answers) and erase the order of arrival; audited."""
    if wave.published_at is not None:
        return
    _write_responses(wave.id, _take_pool(wave.id))       # the last batch, whatever its size: VACUUM follows
    wave.published_at, wave.published_by_id = now, actor.id
    audit.record("survey.publish", actor=actor, subject=f"survey-wave:{wave.id}",
                 payload={"survey": wave.survey.slug, "wave": wave.key, "respondents": respondents(wave)}, now=now)
    db.session.commit()
    erase_arrival_order()
    cache().bump("surveys")


ORDER_SENSITIVE = ("survey_responses", "survey_texts", "survey_pending", "survey_takers")


def erase_arrival_order() -> None:
    """Rewrite the storage so that no row, page or log frame keeps the order in which responses arrived.

    SQLite: VACUUM writes every table anew in key order (random ids) with no free pages, then
    wal_checkpoint(TRUNCATE) empties the write-ahead log. PostgreSQL: CLUSTER rewrites the survey
    tables in primary-key order, VACUUM clears what the pool left behind.
    """
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("VACUUM")
            busy, _frames, _copied = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
            if busy:
                logger.warning("survey publication: a reader kept the write-ahead log from being truncated")
        elif connection.dialect.name == "postgresql":
            for table in ORDER_SENSITIVE:
                connection.exec_driver_sql(f"CLUSTER {table} USING pk_{table}")
            connection.exec_driver_sql(f"VACUUM {', '.join(ORDER_SENSITIVE)}")


def moderate(wave: SurveyWave, text_ids: list[str], state: str, actor: User, now: datetime) -> int:
    """Release or withhold free-text answers; audited (the count, never the texts)."""
    if state not in (RELEASED, WITHHELD, PENDING) or not text_ids:
        return 0
    changed = db.session.execute(update(SurveyText).where(SurveyText.wave_id == wave.id, SurveyText.id.in_(text_ids))
                                 .values(state=state)).rowcount
    audit.record("survey.moderate", actor=actor, subject=f"survey-wave:{wave.id}",
                 payload={"state": state, "texts": changed}, now=now)
    db.session.commit()
    cache().bump("surveys")
    return changed


# --- results --------------------------------------------------------------------------------------

@dataclass
class QuestionResult:
    question: dict
    answered: int = 0
    counts: list[int] = field(default_factory=list)        # per option, or per scale point
    mean: float | None = None
    previous: list[float | None] | None = None             # percent per option in the previous published wave
    by_faculty: list[tuple[str, int, list[float]]] = field(default_factory=list)   # (name, respondents, percents)
    texts: list[str] = field(default_factory=list)

    @property
    def percents(self) -> list[float]:
        return [round(100 * c / self.answered, 1) if self.answered else 0.0 for c in self.counts]


@dataclass
class WaveResults:
    wave: SurveyWave
    respondents: int
    suppressed: bool                 # fewer than MIN_CELL respondents in all: nothing is shown
    questions: list[QuestionResult]
    hidden_faculties: int            # faculties left out of the breakdown for having fewer than MIN_CELL
    previous_wave: SurveyWave | None
    pending_texts: int
    waiting: int = 0                 # sealed responses not yet written (the next batch, or publication, adds them)


def _tally(survey: Survey, rows: list[tuple[int | None, dict]]) -> dict[str, QuestionResult]:
    results = {}
    for question in survey.questions:
        size = len(question["options"]) if question["type"] in ("single", "multiple") else question.get("points", 0)
        results[question["key"]] = QuestionResult(question, counts=[0] * size)
    for _faculty, answers in rows:
        for key, value in answers.items():
            result = results.get(key)
            if result is None or result.question["type"] == "text":
                continue
            picked = value if isinstance(value, list) else [value]
            valid = [v for v in picked if isinstance(v, int) and 0 <= (v - 1 if result.question["type"] == "scale" else v)
                     < len(result.counts)]
            if not valid:
                continue
            result.answered += 1
            for v in valid:
                result.counts[v - 1 if result.question["type"] == "scale" else v] += 1
    for result in results.values():
        if result.question["type"] == "scale" and result.answered:
            result.mean = round(sum((i + 1) * c for i, c in enumerate(result.counts)) / result.answered, 2)
    return results


def wave_results(wave: SurveyWave) -> WaveResults:
    """Aggregate a wave: per question, per faculty (from MIN_CELL respondents), and against the previous wave."""
    survey = wave.survey
    rows = db.session.execute(select(SurveyResponse.faculty_id, SurveyResponse.answers)
                              .where(SurveyResponse.wave_id == wave.id)).all()
    total = len(rows)
    previous_wave = next((w for w in reversed(survey.waves)
                          if w.opens_on < wave.opens_on and w.published_at is not None), None)
    pending = db.session.scalar(select(func.count()).select_from(SurveyText).where(
        SurveyText.wave_id == wave.id, SurveyText.state == PENDING))
    if total < MIN_CELL:
        return WaveResults(wave, total, True, [], 0, previous_wave, pending, waiting(wave))
    overall = _tally(survey, rows)
    if previous_wave is not None:
        before = _tally(survey, db.session.execute(select(SurveyResponse.faculty_id, SurveyResponse.answers)
                                                   .where(SurveyResponse.wave_id == previous_wave.id)).all())
        for key, result in overall.items():
            old = before[key]
            if old.answered >= MIN_CELL and result.question["type"] != "text":
                result.previous = old.percents
    by_faculty: dict[int | None, list] = {}
    for faculty_id, answers in rows:
        by_faculty.setdefault(faculty_id, []).append((faculty_id, answers))
    names = dict(db.session.execute(select(Faculty.id, Faculty.name)).all())
    hidden = 0
    for faculty_id in sorted(by_faculty, key=lambda f: names.get(f, "")):
        group = by_faculty[faculty_id]
        if len(group) < MIN_CELL or faculty_id is None:
            hidden += faculty_id is not None
            continue
        for key, result in _tally(survey, group).items():
            if result.question["type"] in ("single", "scale") and result.answered >= MIN_CELL:
                overall[key].by_faculty.append((names.get(faculty_id, "?"), result.answered, result.percents))
    for key, body in db.session.execute(select(SurveyText.question_key, SurveyText.body).where(
            SurveyText.wave_id == wave.id, SurveyText.state == RELEASED).order_by(SurveyText.id)).all():
        if key in overall:
            overall[key].texts.append(body)
    return WaveResults(wave, total, False, list(overall.values()), hidden, previous_wave, pending, waiting(wave))


def cached_results(wave: SurveyWave) -> WaveResults:
    """wave_results, computed once per change (a batch written, publication, moderation); the pool's size is live."""
    def compute():
        r = wave_results(wave)
        return {"respondents": r.respondents, "suppressed": r.suppressed, "hidden": r.hidden_faculties,
                "previous": r.previous_wave.id if r.previous_wave else None, "pending": r.pending_texts,
                "questions": [{"key": q.question["key"], "answered": q.answered, "counts": q.counts, "mean": q.mean,
                               "previous": q.previous, "by_faculty": q.by_faculty, "texts": q.texts}
                              for q in r.questions]}
    raw = cache().get_or_compute("surveys", f"results:{wave.id}", compute, ttl=600)
    survey = wave.survey
    questions = [QuestionResult(survey.question(q["key"]) or {"key": q["key"], "type": "text", "text": q["key"]},
                                q["answered"], q["counts"], q["mean"], q["previous"],
                                [tuple(row) for row in q["by_faculty"]], q["texts"]) for q in raw["questions"]]
    previous = db.session.get(SurveyWave, raw["previous"]) if raw["previous"] else None
    return WaveResults(wave, raw["respondents"], raw["suppressed"], questions, raw["hidden"], previous, raw["pending"],
                       waiting(wave))


def texts_to_moderate(wave: SurveyWave, state: str = PENDING) -> list[SurveyText]:
    return db.session.execute(select(SurveyText).where(SurveyText.wave_id == wave.id, SurveyText.state == state)
                              .order_by(SurveyText.id)).scalars().all()
