"""The quiz settings editor: title, description (in every language), windows, time limit, attempts, grading,
pass mark, feedback, paging and shuffling — written into the quiz's file and read back by `read_quiz`.

The questions and draw rules are kept as they are; an edit that changes settings only makes no new
question version, so attempts keep theirs.
"""
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import tomli_w
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.audit import service as audit
from app.authoring import files as content_files
from app.authoring.models import BROWSER, ContentRevision
from app.authoring.service import record_revision
from app.core.content import ContentError
from app.extensions import db
from app.people.models import User
from app.quizzes.loader import FEEDBACK, GRADING, apply_quiz, read_quiz
from app.quizzes.models import Quiz

INTEGERS = ("time_limit_minutes", "attempts", "xp", "questions_per_page")
MOMENTS = ("opens", "closes")
SWITCHES = ("shuffle_questions", "shuffle_options")
TRANSLATIONS = ("kk", "ru")


def quiz_by_slug(slug: str) -> Quiz | None:
    return db.session.execute(select(Quiz).options(selectinload(Quiz.current)).where(
        Quiz.slug == slug, Quiz.retired.is_(False))).scalar()


def settings_of(quiz: Quiz) -> dict[str, str]:
    """The editor's fields for a quiz as published."""
    fields = {"title": quiz.title, "description": quiz.description, "grading": quiz.grading,
              "feedback": quiz.feedback, "pass_percent": f"{quiz.pass_percent:g}",
              "time_limit_minutes": str(quiz.time_limit_minutes), "attempts": str(quiz.attempts_allowed),
              "xp": str(quiz.xp), "questions_per_page": str(quiz.per_page),
              "opens": quiz.opens_at.strftime("%Y-%m-%dT%H:%M") if quiz.opens_at else "",
              "closes": quiz.closes_at.strftime("%Y-%m-%dT%H:%M") if quiz.closes_at else ""}
    for name in SWITCHES:
        fields[name] = "on" if getattr(quiz, name) else ""
    for language, text in (quiz.translations or {}).items():
        fields[f"title-{language}"] = text.get("title", "")
        fields[f"description-{language}"] = text.get("description", "")
    return fields


def settings_from(form) -> dict[str, str]:
    """The editor's fields from a submitted form."""
    names = ("title", "description", "grading", "feedback", "pass_percent", *INTEGERS, *MOMENTS, *SWITCHES,
             *(f"{n}-{language}" for n in ("title", "description") for language in TRANSLATIONS))
    return {name: form.get(name, "").strip() for name in names}


def _table(fields: dict[str, str], top: dict, problems: dict[str, str]) -> dict:
    top = {**top, "title": fields["title"], "description": fields["description"],
           "grading": fields["grading"], "feedback": fields["feedback"]}
    for name in INTEGERS:
        try:
            top[name] = int(fields[name] or "0")
        except ValueError:
            problems[name] = _l("Write a whole number.")
    try:
        top["pass_percent"] = float(fields["pass_percent"])
    except ValueError:
        problems["pass_percent"] = _l("Write a number from 0 to 100.")
    for name in MOMENTS:
        top.pop(name, None)
        if fields[name]:
            try:
                top[name] = datetime.fromisoformat(fields[name]).replace(second=0, microsecond=0, tzinfo=None)
            except ValueError:
                problems[name] = _l("Write a date and time such as 2025-09-01T09:00.")
    for name in SWITCHES:
        top[name] = fields[name] == "on"
    return top


@dataclass
class Outcome:
    revision: ContentRevision | None = None
    problems: dict[str, str] = field(default_factory=dict)


def publish_settings(quiz: Quiz, fields: dict[str, str], *, author: User, now: datetime) -> Outcome:
    """Write the settings into the quiz's files, read them with the quiz loader's checks, and store them."""
    files = content_files.quiz_files(quiz)
    main = f"quizzes/{quiz.slug}.toml"
    problems: dict[str, str] = {}
    files[main] = tomli_w.dumps(_table(fields, tomllib.loads(files[main]), problems))
    for language in TRANSLATIONS:
        name = f"quizzes/{quiz.slug}.{language}.toml"
        title, description = fields.get(f"title-{language}", ""), fields.get(f"description-{language}", "")
        table = tomllib.loads(files[name]) if name in files else {}
        if not (title or description or table.get("questions")):
            files.pop(name, None)
            continue
        table.update({"title": title, "description": description})
        files[name] = tomli_w.dumps(table)
    if problems:
        return Outcome(problems=problems)
    with content_files.scratch_folder() as scratch:
        content_files.write_files(Path(scratch), files)
        try:
            spec = read_quiz(Path(scratch) / main)
        except ContentError as error:
            language = next((lang for lang in TRANSLATIONS if error.path.endswith(f".{lang}.toml")), "")
            key = error.key if error.key in fields else "title"
            return Outcome(problems={f"{key}-{language}" if language else key: error.problem})
    apply_quiz(spec)
    db.session.flush()
    revision = record_revision("quiz", quiz.slug, origin=BROWSER, author=author, now=now)
    if revision is not None:
        audit.record("content.published", actor=author, subject=f"quiz:{quiz.slug}",
                     payload={"revision": revision.number, "change": "settings"}, now=now)
    return Outcome(revision=revision)


CHOICES = {"grading": GRADING, "feedback": FEEDBACK}


# Questions ---------------------------------------------------------------------------------------

QUESTION_TYPES = ("single", "multiple", "true_false", "numeric", "short_text", "matching", "ordering")
QUESTION_FIELDS = ("key", "type", "text", "category", "points", "explanation", "options", "answer", "tolerance",
                   "accepted", "pairs", "items")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def question_fields(question: dict) -> dict[str, str]:
    """The editor's fields for one question of the bank (answers as people write them: numbers from 1)."""
    fields = {name: str(question.get(name, "")) for name in ("key", "type", "text", "category", "explanation")}
    fields["points"] = f"{question.get('points', 1):g}"
    kind = question["type"]
    fields["options"] = "\n".join(question.get("options", []))
    if kind == "single":
        fields["answer"] = str(question["answer"] + 1)
    elif kind == "multiple":
        fields["answer"] = ", ".join(str(a + 1) for a in question["answer"])
    elif kind == "true_false":
        fields["answer"] = "true" if question["answer"] else "false"
    elif kind == "numeric":
        fields["answer"], fields["tolerance"] = f"{question['answer']:g}", f"{question.get('tolerance', 0):g}"
    elif kind == "short_text":
        added = sum(len(t.get("accepted", [])) for t in question.get("translations", {}).values())
        fields["accepted"] = "\n".join(question["accepted"][:len(question["accepted"]) - added])
    elif kind == "matching":
        fields["pairs"] = "\n".join(f"{left} = {right}" for left, right in question["pairs"])
    elif kind == "ordering":
        fields["items"] = "\n".join(question["items"])
    return fields


def question_from(form) -> dict[str, str]:
    return {name: form.get(name, "").replace("\r\n", "\n").strip() for name in QUESTION_FIELDS}


def _number(text: str):
    value = float(text.replace(",", "."))
    return int(value) if value.is_integer() else value


def _entry(fields: dict[str, str], problems: dict[str, str]) -> dict:
    """The question's [[questions]] table as the quiz file writes it; unreadable input goes to `problems`."""
    entry = {"key": fields["key"], "type": fields["type"], "text": fields["text"]}
    if fields["category"]:
        entry["category"] = fields["category"]
    if fields["explanation"]:
        entry["explanation"] = fields["explanation"]
    try:
        entry["points"] = _number(fields["points"] or "1")
    except ValueError:
        problems["points"] = _l("Write a number.")
    kind = fields["type"]
    try:
        if kind in ("single", "multiple"):
            entry["options"] = _lines(fields["options"])
            numbers = [int(n) - 1 for n in fields["answer"].replace(",", " ").split()]
            entry["answer"] = numbers[0] if kind == "single" and len(numbers) == 1 else numbers
        elif kind == "true_false":
            entry["answer"] = {"true": True, "false": False}.get(fields["answer"], fields["answer"])
        elif kind == "numeric":
            entry["answer"] = _number(fields["answer"])
            entry["tolerance"] = _number(fields["tolerance"] or "0")
        elif kind == "short_text":
            entry["accepted"] = _lines(fields["accepted"])
        elif kind == "matching":
            entry["pairs"] = [[part.strip() for part in line.split("=", 1)] if "=" in line else [line]
                              for line in _lines(fields["pairs"])]
        elif kind == "ordering":
            entry["items"] = _lines(fields["items"])
    except ValueError:
        problems["answer"] = _l("Write the number (or numbers) of the right options, counting from 1.") \
            if kind in ("single", "multiple") else _l("Write a number.")
    return entry


def publish_question(quiz: Quiz, key: str | None, fields: dict[str, str], *, author: User, now: datetime) -> Outcome:
    """Add a question to the bank or change one (its key stays), through the quiz loader's checks."""
    files = content_files.quiz_files(quiz)
    main = f"quizzes/{quiz.slug}.toml"
    top = tomllib.loads(files[main])
    problems: dict[str, str] = {}
    if key is not None:
        fields = {**fields, "key": key}
    entry = _entry(fields, problems)
    if problems:
        return Outcome(problems=problems)
    questions = top["questions"]
    index = next((i for i, q in enumerate(questions) if q["key"] == key), None) if key else None
    if index is None:
        questions.append(entry)
        index = len(questions) - 1
    else:
        questions[index] = entry
    files[main] = tomli_w.dumps(top)
    with content_files.scratch_folder() as scratch:
        content_files.write_files(Path(scratch), files)
        try:
            spec = read_quiz(Path(scratch) / main)
        except ContentError as error:
            name = error.key.rsplit(".", 1)[-1] if "." in error.key else "text"
            if error.key.startswith("draw"):
                name = "category"
            if name not in QUESTION_FIELDS:
                name = "key" if "appears twice" in error.problem else "text"
            language = next((lang for lang in TRANSLATIONS if error.path.endswith(f".{lang}.toml")), "")
            problem = error.problem if not language else f"{error.path}: {error.problem}"
            return Outcome(problems={name: problem})
    apply_quiz(spec)
    db.session.flush()
    revision = record_revision("quiz", quiz.slug, origin=BROWSER, author=author, now=now)
    if revision is not None:
        audit.record("content.published", actor=author, subject=f"quiz:{quiz.slug}",
                     payload={"revision": revision.number, "change": f"question {entry['key']}"}, now=now)
    return Outcome(revision=revision)
