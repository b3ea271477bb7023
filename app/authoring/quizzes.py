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
# What a translation file may say about a question (lists keep the original's length and order).
TRANSLATED_FIELDS = ("text", "options", "explanation", "accepted", "pairs", "items")


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
    for language, text in (question.get("translations") or {}).items():
        fields[f"text-{language}"] = text.get("text", "")
        fields[f"explanation-{language}"] = text.get("explanation", "")
        fields[f"accepted-{language}"] = "\n".join(text.get("accepted", []))
        fields[f"options-{language}"] = "\n".join(text.get("options", []))
        fields[f"items-{language}"] = "\n".join(text.get("items", []))
        fields[f"pairs-{language}"] = "\n".join(f"{left} = {right}" for left, right in text.get("pairs", []))
    return fields


def duplicate_fields(question: dict, taken: set[str]) -> dict[str, str]:
    """A new question's fields copied from `question` (translations too), under the first free key."""
    fields = question_fields(question)
    number = 2
    while f"{question['key']}-{number}" in taken:
        number += 1
    fields["key"] = f"{question['key']}-{number}"
    return fields


def untranslated(fields: dict[str, str]) -> list[str]:
    """The languages in which the question has no text yet."""
    return [language for language in TRANSLATIONS if not fields.get(f"text-{language}")]


def question_from(form) -> dict[str, str]:
    names = (*QUESTION_FIELDS, *(f"{name}-{language}" for name in TRANSLATED_FIELDS for language in TRANSLATIONS))
    return {name: form.get(name, "").replace("\r\n", "\n").strip() for name in names}


def _pairs(text: str) -> list[list[str]]:
    return [[part.strip() for part in line.split("=", 1)] if "=" in line else [line] for line in _lines(text)]


def _translation_entry(fields: dict[str, str], language: str, kind: str) -> dict:
    """The question's [questions.<key>] table in a translation file; empty when nothing is translated."""
    given = {name: fields.get(f"{name}-{language}", "") for name in TRANSLATED_FIELDS}
    if not any(given.values()):
        return {}
    entry = {"text": given["text"]}
    if given["explanation"]:
        entry["explanation"] = given["explanation"]
    if given["options"] and kind in ("single", "multiple"):
        entry["options"] = _lines(given["options"])
    if given["accepted"] and kind == "short_text":
        entry["accepted"] = _lines(given["accepted"])
    if given["pairs"] and kind == "matching":
        entry["pairs"] = _pairs(given["pairs"])
    if given["items"] and kind == "ordering":
        entry["items"] = _lines(given["items"])
    return entry


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
            entry["pairs"] = _pairs(fields["pairs"])
        elif kind == "ordering":
            entry["items"] = _lines(fields["items"])
    except ValueError:
        problems["answer"] = _l("Write the number (or numbers) of the right options, counting from 1.") \
            if kind in ("single", "multiple") else _l("Write a number.")
    return entry


def _question_problem(error: ContentError) -> dict[str, str]:
    """The loader's complaint about a question, at the editor's field it concerns."""
    name = error.key.rsplit(".", 1)[-1] if "." in error.key else "text"
    if error.key.startswith("draw"):
        name = "category"
    if name not in QUESTION_FIELDS:
        name = "key" if "appears twice" in error.problem else "text"
    language = next((lang for lang in TRANSLATIONS if error.path.endswith(f".{lang}.toml")), "")
    if not language:
        return {name: error.problem}
    field_name = f"{name}-{language}" if name in TRANSLATED_FIELDS else f"text-{language}"
    problems = {field_name: error.problem}
    if name in ("options", "pairs", "items"):
        # The original may be what changed: say so at its field too.
        problems[name] = _l("Each translation keeps the same number of entries in the same order: change the "
                            "translations below as well.")
    return problems


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
    for language in TRANSLATIONS:
        name = f"quizzes/{quiz.slug}.{language}.toml"
        translated = _translation_entry(fields, language, entry["type"])
        table = tomllib.loads(files[name]) if name in files else None
        if table is None:
            if translated:
                problems[f"text-{language}"] = _l("Translate the quiz's title into this language first (in the "
                                                  "quiz settings); then its questions.")
            continue
        given = table.setdefault("questions", {})
        given.pop(key or entry["key"], None)
        if translated:
            given[entry["key"]] = translated
        files[name] = tomli_w.dumps(table)
    if problems:
        return Outcome(problems=problems)
    with content_files.scratch_folder() as scratch:
        content_files.write_files(Path(scratch), files)
        try:
            spec = read_quiz(Path(scratch) / main)
        except ContentError as error:
            return Outcome(problems=_question_problem(error))
    apply_quiz(spec)
    db.session.flush()
    revision = record_revision("quiz", quiz.slug, origin=BROWSER, author=author, now=now)
    if revision is not None:
        audit.record("content.published", actor=author, subject=f"quiz:{quiz.slug}",
                     payload={"revision": revision.number, "change": f"question {entry['key']}"}, now=now)
    return Outcome(revision=revision)


# Draw rules ---------------------------------------------------------------------------------------

def categories_of(quiz: Quiz) -> dict[str, int]:
    """Each category of the bank with its number of questions (for the draw rules' hint)."""
    counts: dict[str, int] = {}
    for question in quiz.current.questions:
        if question.get("category"):
            counts[question["category"]] = counts.get(question["category"], 0) + 1
    return dict(sorted(counts.items()))


def draw_fields(quiz: Quiz) -> dict[str, str]:
    """The draw rules as editor rows (one empty row more, for a new rule)."""
    fields = {}
    for index, rule in enumerate([*quiz.current.draw, {"category": "", "count": ""}]):
        fields[f"draw-category-{index}"], fields[f"draw-count-{index}"] = rule["category"], str(rule["count"])
    return fields


def draw_from(form) -> dict[str, str]:
    rows = sum(1 for name in form if name.startswith("draw-category-"))
    return {f"draw-{part}-{index}": form.get(f"draw-{part}-{index}", "").strip()
            for index in range(rows) for part in ("category", "count")}


def publish_draw(quiz: Quiz, fields: dict[str, str], *, author: User, now: datetime) -> Outcome:
    """Replace the quiz's draw rules (no rule: every question, in the quiz's order), through the loader's checks.

    A change makes a new question version: attempts already started keep the one they drew from.
    """
    files = content_files.quiz_files(quiz)
    main = f"quizzes/{quiz.slug}.toml"
    top = tomllib.loads(files[main])
    problems: dict[str, str] = {}
    rules, rows = [], sorted({int(name.rsplit("-", 1)[1]) for name in fields})
    for index in rows:
        category, count = fields.get(f"draw-category-{index}", ""), fields.get(f"draw-count-{index}", "")
        if not category and not count:
            continue
        if not category:
            problems[f"draw-category-{index}"] = _l("Name the category to draw from.")
            continue
        try:
            rules.append((index, {"category": category, "count": int(count)}))
        except ValueError:
            problems[f"draw-count-{index}"] = _l("Write a whole number.")
    if problems:
        return Outcome(problems=problems)
    top.pop("draw", None)
    if rules:
        top["draw"] = [rule for _index, rule in rules]
    files[main] = tomli_w.dumps(top)
    with content_files.scratch_folder() as scratch:
        content_files.write_files(Path(scratch), files)
        try:
            spec = read_quiz(Path(scratch) / main)
        except ContentError as error:
            position = int(error.key.split("[", 1)[1].split("]", 1)[0]) if error.key.startswith("draw[") else 0
            part = "count" if error.key.endswith("count") else "category"
            row = rules[position][0] if position < len(rules) else rows[0]
            return Outcome(problems={f"draw-{part}-{row}": error.problem})
    apply_quiz(spec)
    db.session.flush()
    revision = record_revision("quiz", quiz.slug, origin=BROWSER, author=author, now=now)
    if revision is not None:
        audit.record("content.published", actor=author, subject=f"quiz:{quiz.slug}",
                     payload={"revision": revision.number, "change": "draw rules"}, now=now)
    return Outcome(revision=revision)
