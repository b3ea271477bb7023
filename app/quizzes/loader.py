"""Read quizzes/<slug>.toml and write quizzes into the database, versioned by content.

A changed file makes a new version; attempts keep the version they were given, so a
changed question never changes how a finished attempt was graded.
"""
import hashlib
import logging
import re
from datetime import datetime
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core import events
from app.core.clock import utcnow
from app.core.content import (DUPLICATE, ContentError, TomlReader, attach_translations, content_files, load_files,
                              parse_toml, read_audience, read_translation_files)
from app.core.localize import N_, titles_in_every_language
from app.extensions import db
from app.people.models import STUDENT, User, UserRole
from app.quizzes.models import Quiz, QuizVersion
from app.quizzes.scoring import TYPES

logger = logging.getLogger(__name__)
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
GRADING = ("highest", "last", "first", "average")
FEEDBACK = ("after_attempt", "after_close", "never")
# Part of a translated quiz's digest: changed when translations are stored differently (2: each
# language's own accepted short-text answers), so the next load makes a version that has them.
TRANSLATIONS_FORMAT = b"\0translations-2"


def _datetime(path, reader: TomlReader, key: str) -> datetime | None:
    value = reader.table.get(key)
    if value is None:
        return None
    if not isinstance(value, datetime) or value.tzinfo is not None:
        raise ContentError(path, key, _l("must be a local date and time such as %(example)s (UTC)",
                                         example="2024-09-01T09:00:00"))
    return value


def _question(path, index: int, raw: dict, categories: set) -> dict:
    reader = TomlReader(path, raw, f"questions[{index}].")
    key = reader.text("key")
    if not SLUG.match(key):
        raise ContentError(path, reader.key_name("key"), _l("must be lower-case words joined by hyphens"))
    reader.prefix = f"questions[{index}] ({key})."
    kind = reader.text("type")
    if kind not in TYPES:
        raise ContentError(path, reader.key_name("type"), _l("must be one of %(options)s", options=", ".join(TYPES)))
    question = {"key": key, "type": kind, "text": reader.text("text"),
                "category": reader.text("category", required=False, default=""),
                "explanation": reader.text("explanation", required=False),
                "points": raw.get("points", 1)}
    if isinstance(question["points"], bool) or not isinstance(question["points"], (int, float)) or question["points"] <= 0:
        raise ContentError(path, reader.key_name("points"), _l("must be a positive number"))
    categories.add(question["category"])
    answer = raw.get("answer")

    def options(minimum=2):
        values = raw.get("options")
        if not isinstance(values, list) or len(values) < minimum or not all(isinstance(v, str) and v.strip() for v in values):
            raise ContentError(path, reader.key_name("options"), _l("must list at least %(minimum)s options as text",
                                                                    minimum=minimum))
        if len({v.strip() for v in values}) != len(values):
            raise ContentError(path, reader.key_name("options"), _l("must not repeat an option"))
        return [v.strip() for v in values]

    def fail(problem):
        raise ContentError(path, reader.key_name("answer"), problem)

    if kind == "single":
        question["options"] = options()
        if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer < len(question["options"]):
            fail(_l("must be the zero-based index of the right option"))
        question["answer"] = answer
    elif kind == "multiple":
        question["options"] = options(3)
        if (not isinstance(answer, list) or not answer or len(set(answer)) != len(answer)
                or not all(isinstance(a, int) and not isinstance(a, bool) and 0 <= a < len(question["options"]) for a in answer)):
            fail(_l("must list the zero-based indices of the right options"))
        question["answer"] = sorted(answer)
    elif kind == "true_false":
        if not isinstance(answer, bool):
            fail(_l("must be %(first)s or %(second)s", first="true", second="false"))
        question["answer"] = answer
    elif kind == "numeric":
        tolerance = raw.get("tolerance", 0)
        if isinstance(answer, bool) or not isinstance(answer, (int, float)):
            fail(_l("must be a number"))
        if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or tolerance < 0:
            raise ContentError(path, reader.key_name("tolerance"), _l("must be a number ≥ 0"))
        question["answer"], question["tolerance"] = answer, tolerance
    elif kind == "short_text":
        accepted = raw.get("accepted")
        if not isinstance(accepted, list) or not accepted or not all(isinstance(a, str) and a.strip() for a in accepted):
            raise ContentError(path, reader.key_name("accepted"), _l("must list the accepted answers as text"))
        question["accepted"] = [a.strip() for a in accepted]
    elif kind == "matching":
        pairs = raw.get("pairs")
        if (not isinstance(pairs, list) or not 2 <= len(pairs) <= 8
                or not all(isinstance(p, list) and len(p) == 2 and all(isinstance(s, str) and s.strip() for s in p) for p in pairs)):
            raise ContentError(path, reader.key_name("pairs"), _l("must list 2 to 8 %(pair)s pairs of text",
                                                                  pair="[left, right]"))
        if len({p[1].strip() for p in pairs}) != len(pairs):
            raise ContentError(path, reader.key_name("pairs"), _l("right-hand texts must all differ"))
        question["pairs"] = [[p[0].strip(), p[1].strip()] for p in pairs]
    elif kind == "ordering":
        items = raw.get("items")
        if (not isinstance(items, list) or not 2 <= len(items) <= 8
                or not all(isinstance(i, str) and i.strip() for i in items) or len(set(items)) != len(items)):
            raise ContentError(path, reader.key_name("items"),
                               _l("must list 2 to 8 different items in the right order"))
        question["items"] = [i.strip() for i in items]
    return question


def read_quiz(path: Path) -> dict:
    """Parse and validate one quiz file into a plain dict; raise ContentError on the first problem."""
    raw = path.read_bytes()
    data = parse_toml(path, raw)
    if not SLUG.match(path.stem):
        raise ContentError(path, "", _l("a quiz file name must be lower-case words joined by hyphens"))
    reader = TomlReader(path, data)
    if data.get("kind", "quiz") != "quiz":
        raise ContentError(path, "kind", _l('must be "quiz", "survey" or "brainring"'))
    spec = {
        "slug": path.stem, "title": reader.text("title"), "description": reader.text("description", required=False),
        "activity_code": reader.text("activity", required=False), "audience": read_audience(path, reader),
        "opens_at": _datetime(path, reader, "opens"), "closes_at": _datetime(path, reader, "closes"),
        "time_limit_minutes": reader.integer("time_limit_minutes", required=False, default=0, minimum=0),
        "attempts_allowed": reader.integer("attempts", required=False, default=0, minimum=0),
        "grading": reader.text("grading", required=False, default="highest"),
        "pass_percent": data.get("pass_percent", 60),
        "shuffle_questions": data.get("shuffle_questions", True),
        "shuffle_options": data.get("shuffle_options", True),
        "feedback": reader.text("feedback", required=False, default="after_attempt"),
        "xp": reader.integer("xp", required=False, default=0, minimum=0),
        "per_page": reader.integer("questions_per_page", required=False, default=5, minimum=1),
        "digest": hashlib.sha256(raw).hexdigest(),
    }
    if spec["grading"] not in GRADING:
        raise ContentError(path, "grading", _l("must be one of %(options)s", options=", ".join(GRADING)))
    if spec["feedback"] not in FEEDBACK:
        raise ContentError(path, "feedback", _l("must be one of %(options)s", options=", ".join(FEEDBACK)))
    if isinstance(spec["pass_percent"], bool) or not isinstance(spec["pass_percent"], (int, float)) or not 0 <= spec["pass_percent"] <= 100:
        raise ContentError(path, "pass_percent", _l("must be a number from 0 to 100"))
    for key in ("shuffle_questions", "shuffle_options"):
        if not isinstance(spec[key], bool):
            raise ContentError(path, key, _l("must be %(first)s or %(second)s", first="true", second="false"))
    if spec["opens_at"] and spec["closes_at"] and spec["closes_at"] <= spec["opens_at"]:
        raise ContentError(path, "closes", _l("must be after %(key)s", key="opens"))

    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        raise ContentError(path, "questions", _l("must list at least one %(table)s entry", table="[[questions]]"))
    categories: set = set()
    questions, keys = [], set()
    for index, item in enumerate(raw_questions):
        question = _question(path, index, item, categories)
        if question["key"] in keys:
            raise ContentError(path, f"questions[{index}].key", _l("%(key)s appears twice", key=repr(question["key"])),
                               code=DUPLICATE)
        keys.add(question["key"])
        questions.append(question)
    draw = []
    for index, rule in enumerate(data.get("draw", [])):
        rule_reader = TomlReader(path, rule, f"draw[{index}].")
        category = rule_reader.text("category")
        count = rule_reader.integer("count", minimum=1)
        available = sum(1 for q in questions if q["category"] == category)
        if count > available:
            raise ContentError(path, rule_reader.key_name("count"),
                               _l("asks for %(count)s questions but category %(category)s has %(available)s",
                                  count=count, category=repr(category), available=available))
        draw.append({"category": category, "count": count})
    tables, translated_raw = read_translation_files(path)
    spec["translations"] = attach_translations(path, questions, tables, ("title", "description"))
    if translated_raw:
        spec["digest"] = hashlib.sha256(raw + translated_raw + TRANSLATIONS_FORMAT).hexdigest()
    spec["questions"], spec["draw"] = questions, draw
    return spec


def apply_quiz(spec: dict) -> str:
    """Create or update one quiz (in the caller's transaction); return what happened."""
    quiz = db.session.execute(select(Quiz).where(Quiz.slug == spec["slug"])).scalar_one_or_none()
    if quiz is not None and quiz.source_digest == spec["digest"] and not quiz.retired:
        return "unchanged"
    created = quiz is None
    if created:
        quiz = Quiz(slug=spec["slug"])
        db.session.add(quiz)
    for name in ("title", "description", "activity_code", "audience", "opens_at", "closes_at", "time_limit_minutes",
                 "attempts_allowed", "grading", "pass_percent", "shuffle_questions", "shuffle_options",
                 "feedback", "xp", "per_page"):
        setattr(quiz, name, spec[name])
    quiz.source_digest, quiz.retired, quiz.loaded_at = spec["digest"], False, utcnow()
    quiz.translations = spec.get("translations", {})
    db.session.flush()
    current = quiz.current
    if current is None or current.questions != spec["questions"] or current.draw != spec["draw"]:
        version = QuizVersion(quiz_id=quiz.id, number=(current.number + 1) if current else 1,
                              digest=spec["digest"], questions=spec["questions"], draw=spec["draw"])
        db.session.add(version)
        db.session.flush()
        quiz.current_version_id = version.id
        if created and quiz.activity_code:
            _announce(quiz)
        return "created" if created else "new version"
    return "updated settings"


def _announce(quiz: Quiz) -> None:
    """Tell every active student that a plan quiz has opened (one bulk insert)."""

    students = db.session.execute(select(User.id).join(UserRole, UserRole.user_id == User.id)
                                  .where(UserRole.role == STUDENT, User.active.is_(True))).scalars().all()
    events.announce(events.news, "quizzes", user_ids=students, kind="quiz", message=N_("A new quiz is open: “%(title)s”."),
                    params=titles_in_every_language("title", quiz), link=f"/quizzes/{quiz.slug}/", subject=f"quiz:{quiz.slug}")


def load_quizzes(folder: Path, guard=None) -> tuple[list[str], list[ContentError]]:
    """Load every quizzes/*.toml; a broken file is reported and loads nothing, the others load."""
    return load_files(folder, read_quiz, lambda spec: f"{apply_quiz(spec)} ({len(spec['questions'])} questions)",
                      Quiz, "quiz", skip=("survey", "brainring"), kind="quiz", guard=guard)


def quiz_problems(folder: Path) -> list[ContentError]:
    problems = []
    for path in content_files(folder, skip=("survey", "brainring")):
        try:
            read_quiz(path)
        except ContentError as error:
            problems.append(error)
    return problems
