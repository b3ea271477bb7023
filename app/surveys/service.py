"""Rules of the survey: who may answer, storing an answer anonymously, and results with small-cell suppression."""
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from app.audit import service as audit
from app.core.db_helpers import dialect_insert
from app.extensions import db
from app.people.models import STUDENT, Faculty, User
from app.plan import service as plan_service
from app.surveys.models import PENDING, RELEASED, WITHHELD, Survey, SurveyResponse, SurveyTaker, SurveyText, SurveyWave

MIN_CELL = 5          # no figure is shown for fewer respondents than this
TEXT_LIMIT = 2000


class SurveyError(Exception):
    """The response was refused; the message says why, for the person."""


def open_wave(survey: Survey, today: date) -> SurveyWave | None:
    """The wave that takes responses today (published waves take none)."""
    return next((w for w in survey.waves if w.is_open(today) and w.published_at is None), None)


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
    """Store one response with nothing that says whose it is, and count the person once for coverage.

    The person is recorded as having answered (survey_takers, and the participation row) in the
    same transaction as the response, so a second try is refused; see app/surveys/models.py for
    why the rows cannot be joined.
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
    db.session.add(SurveyResponse(id=secrets.token_hex(16), wave_id=wave.id, faculty_id=user.faculty.id if user.faculty else None,
                                  answers=answers))
    for key, body in texts.items():
        db.session.add(SurveyText(id=secrets.token_hex(16), wave_id=wave.id, question_key=key, body=body))
    plan = plan_service.current_plan(today) if wave.survey.activity_code else None
    activity = plan_service.activity_by_code(plan, wave.survey.activity_code) if plan else None
    if activity is not None:
        # The day only, never the time: nothing in it can be matched against anything of the response.
        plan_service.record_participation(user.id, activity, source="survey", source_ref=f"survey:{wave.id}",
                                          when=datetime.combine(today, time()))
    db.session.commit()
    from app.core.cache import cache

    cache().bump("surveys")


def respondents(wave: SurveyWave) -> int:
    return db.session.scalar(select(func.count()).select_from(SurveyResponse).where(SurveyResponse.wave_id == wave.id))


def publish(wave: SurveyWave, actor: User, now: datetime) -> None:
    """Publish a wave's results (this also closes it to further answers); audited."""
    if wave.published_at is not None:
        return
    wave.published_at, wave.published_by_id = now, actor.id
    audit.record("survey.publish", actor=actor, subject=f"survey-wave:{wave.id}",
                 payload={"survey": wave.survey.slug, "wave": wave.key, "respondents": respondents(wave)}, now=now)
    db.session.commit()
    _shuffle_storage()
    from app.core.cache import cache

    cache().bump("surveys")


def _shuffle_storage() -> None:
    """On PostgreSQL, rewrite the response tables in random-id order, erasing the order of arrival.

    (SQLite keeps them WITHOUT ROWID, ordered by their random ids, from the start.)
    """
    if db.session.get_bind().dialect.name == "postgresql":
        for table in ("survey_responses", "survey_texts", "survey_takers"):
            db.session.execute(db.text(f"CLUSTER {table} USING pk_{table}"))
        db.session.commit()


def moderate(wave: SurveyWave, text_ids: list[str], state: str, actor: User, now: datetime) -> int:
    """Release or withhold free-text answers; audited (the count, never the texts)."""
    if state not in (RELEASED, WITHHELD, PENDING) or not text_ids:
        return 0
    changed = db.session.execute(update(SurveyText).where(SurveyText.wave_id == wave.id, SurveyText.id.in_(text_ids))
                                 .values(state=state)).rowcount
    audit.record("survey.moderate", actor=actor, subject=f"survey-wave:{wave.id}",
                 payload={"state": state, "texts": changed}, now=now)
    db.session.commit()
    from app.core.cache import cache

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
        return WaveResults(wave, total, True, [], 0, previous_wave, pending)
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
    return WaveResults(wave, total, False, list(overall.values()), hidden, previous_wave, pending)


def cached_results(wave: SurveyWave) -> WaveResults:
    """wave_results, computed once per change (a new response, publication, moderation)."""
    from app.core.cache import cache

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
    return WaveResults(wave, raw["respondents"], raw["suppressed"], questions, raw["hidden"], previous, raw["pending"])


def texts_to_moderate(wave: SurveyWave, state: str = PENDING) -> list[SurveyText]:
    return db.session.execute(select(SurveyText).where(SurveyText.wave_id == wave.id, SurveyText.state == state)
                              .order_by(SurveyText.id)).scalars().all()
