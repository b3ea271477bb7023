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
