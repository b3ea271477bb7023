"""The quiz editor: settings (title, description in every language, windows, time limit, attempts, grading,
pass mark, feedback, paging, shuffling), draw rules and questions, kept as a draft and published as one new
version of the quiz through the quiz loader's checks (`read_quiz`).

A change of settings only makes no new question version; attempts keep the version they were given.
The window (`opens`, `closes`) is typed and shown in the university's time and written to the quiz file
in UTC, the file's own convention.
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
from app.authoring.languages import TRANSLATIONS, name
from app.authoring.models import BROWSER, ContentDraft, ContentRevision
from app.authoring.service import drop_draft, keep_draft, record_revision
from app.core.content import DUPLICATE, ContentError
from app.core.localize import from_local_input, local_input
from app.extensions import db
from app.people.models import User
from app.quizzes.loader import FEEDBACK, GRADING, apply_quiz, read_quiz
from app.quizzes.models import Quiz

INTEGERS = ("time_limit_minutes", "attempts", "xp", "questions_per_page")
MOMENTS = ("opens", "closes")
SWITCHES = ("shuffle_questions", "shuffle_options")


def quiz_by_slug(slug: str) -> Quiz | None:
    return db.session.execute(select(Quiz).options(selectinload(Quiz.current)).where(
        Quiz.slug == slug, Quiz.retired.is_(False))).scalar()


def settings_of(quiz: Quiz) -> dict[str, str]:
    """The editor's fields for a quiz as published."""
    fields = {"title": quiz.title, "description": quiz.description, "grading": quiz.grading,
              "feedback": quiz.feedback, "pass_percent": f"{quiz.pass_percent:g}",
              "time_limit_minutes": str(quiz.time_limit_minutes), "attempts": str(quiz.attempts_allowed),
              "xp": str(quiz.xp), "questions_per_page": str(quiz.per_page),
              "opens": local_input(quiz.opens_at), "closes": local_input(quiz.closes_at)}
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
                top[name] = from_local_input(fields[name])
            except ValueError:
                problems[name] = _l("Write a date and time such as 2025-09-01T09:00.")
    for name in SWITCHES:
        top[name] = fields[name] == "on"
    return top


@dataclass
class Outcome:
    revision: ContentRevision | None = None
    problems: dict[str, str] = field(default_factory=dict)
    part: str | None = None           # the draft part the problems belong to (see "Drafts" below)


def _settings_into(files: dict[str, str], slug: str, fields: dict[str, str]) -> dict[str, str]:
    """Write the settings into the quiz's files; return what cannot be written, by field."""
    main = f"quizzes/{slug}.toml"
    problems: dict[str, str] = {}
    files[main] = tomli_w.dumps(_table(fields, tomllib.loads(files[main]), problems))
    for language in TRANSLATIONS:
        name = f"quizzes/{slug}.{language}.toml"
        title, description = fields.get(f"title-{language}", ""), fields.get(f"description-{language}", "")
        table = tomllib.loads(files[name]) if name in files else {}
        if not (title or description or table.get("questions")):
            files.pop(name, None)
            continue
        table.update({"title": title, "description": description})
        files[name] = tomli_w.dumps(table)
    return problems


def _settings_problem(error: ContentError, fields: dict[str, str]) -> dict[str, str]:
    language = next((lang for lang in TRANSLATIONS if error.path.endswith(f".{lang}.toml")), "")
    key = error.key if error.key in fields else "title"
    return {name(key, language): error.problem}


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
        name = "key" if error.code == DUPLICATE else "text"
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


def _question_into(files: dict[str, str], slug: str, key: str | None, fields: dict[str, str]) -> dict[str, str]:
    """Add a question to the bank's files or change one (its key stays); return what cannot be written."""
    main = f"quizzes/{slug}.toml"
    top = tomllib.loads(files[main])
    problems: dict[str, str] = {}
    if key is not None:
        fields = {**fields, "key": key}
    entry = _entry(fields, problems)
    if problems:
        return problems
    questions = top["questions"]
    index = next((i for i, q in enumerate(questions) if q["key"] == key), None) if key else None
    if index is None:
        questions.append(entry)
    else:
        questions[index] = entry
    files[main] = tomli_w.dumps(top)
    for language in TRANSLATIONS:
        name = f"quizzes/{slug}.{language}.toml"
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
    return problems


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


def _draw_rules(fields: dict[str, str]) -> tuple[list[tuple[int, dict]], list[int], dict[str, str]]:
    """The draw rules the rows say (with their row numbers), the rows, and what cannot be read, by field."""
    problems: dict[str, str] = {}
    rules, rows = [], sorted({int(name.rsplit("-", 1)[1]) for name in fields if name.rsplit("-", 1)[1].isdigit()})
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
    return rules, rows, problems


def _draw_into(files: dict[str, str], slug: str, fields: dict[str, str]) -> dict[str, str]:
    """Replace the quiz's draw rules (no rule: every question, in the quiz's order) in its files."""
    main = f"quizzes/{slug}.toml"
    rules, _rows, problems = _draw_rules(fields)
    if problems:
        return problems
    top = tomllib.loads(files[main])
    top.pop("draw", None)
    if rules:
        top["draw"] = [rule for _index, rule in rules]
    files[main] = tomli_w.dumps(top)
    return problems


def _draw_problem(error: ContentError, fields: dict[str, str]) -> dict[str, str]:
    rules, rows, _problems = _draw_rules(fields)
    position = int(error.key.split("[", 1)[1].split("]", 1)[0]) if error.key.startswith("draw[") else 0
    part = "count" if error.key.endswith("count") else "category"
    row = rules[position][0] if position < len(rules) else (rows[0] if rows else 0)
    return {f"draw-{part}-{row}": error.problem}


# Drafts -------------------------------------------------------------------------------------------
#
# A quiz is edited as one draft made of parts — its settings, its draw rules, each question changed and
# each new question — each part kept in the shared draft store (kind "quiz", key "<slug>/<part>") with
# who saved it and when. Students see the published version until the draft is published; publishing
# writes every part into the quiz's files, reads them with the quiz loader's checks (the file door's
# code) and makes one new version of the quiz, so several questions drafted together arrive together.

SETTINGS, DRAW = "settings", "draw"


def question_part(key: str) -> str:
    return f"questions/{key}"


def new_part(number: int) -> str:
    return f"new/{number}"


@dataclass
class DraftPart:
    part: str
    fields: dict[str, str]
    author: str
    saved_at: datetime

    @property
    def label(self) -> str:
        if self.part == SETTINGS:
            return _l("Settings")
        if self.part == DRAW:
            return _l("Draw rules")
        if self.part.startswith("questions/"):
            return _l("Question %(key)s", key=self.part.split("/", 1)[1])
        return _l("New question %(key)s", key=self.fields.get("key") or "#" + self.part.split("/", 1)[1])


def _store_key(quiz: Quiz, part: str) -> str:
    return f"{quiz.slug}/{part}"


def _order(part: str) -> tuple:
    """Settings first (they may add a translation file), then the draw rules, the changed questions, the new ones."""
    if part.startswith("new/"):
        return (3, int(part.split("/", 1)[1]) if part.split("/", 1)[1].isdigit() else 0, part)
    return ({SETTINGS: 0, DRAW: 1}.get(part, 2), 0, part)


def draft_parts(quiz: Quiz) -> dict[str, DraftPart]:
    """The parts of the quiz's draft, in the order they are written into its files."""
    rows = db.session.execute(select(ContentDraft, User.full_name).outerjoin(User, User.id == ContentDraft.author_id)
                              .where(ContentDraft.kind == "quiz",
                                     ContentDraft.slug.startswith(f"{quiz.slug}/", autoescape=True))).all()
    parts = [DraftPart(draft.slug.split("/", 1)[1], dict(draft.fields), name or "", draft.updated_at)
             for draft, name in rows]
    return {part.part: part for part in sorted(parts, key=lambda p: _order(p.part))}


def next_new_part(quiz: Quiz) -> str:
    numbers = [int(part.split("/", 1)[1]) for part in draft_parts(quiz) if part.startswith("new/")]
    return new_part(max(numbers, default=0) + 1)


def save_part(quiz: Quiz, part: str, fields: dict[str, str], *, author: User, now: datetime) -> None:
    """Keep one part of the draft as written, valid or not; the published quiz does not change."""
    keep_draft("quiz", _store_key(quiz, part), fields, author=author, now=now)


def discard_part(quiz: Quiz, part: str) -> None:
    drop_draft("quiz", _store_key(quiz, part))


def discard_draft(quiz: Quiz) -> None:
    """Drop every part of the quiz's draft (the published quiz stays as it is)."""
    for part in draft_parts(quiz):
        discard_part(quiz, part)


@dataclass
class Built:
    spec: dict | None = None
    problems: dict[str, str] = field(default_factory=dict)
    part: str | None = None


def _located(error: ContentError, parts: dict[str, dict], index_parts: dict[int, str], page: str | None) -> Built:
    """The loader's complaint at the draft part and field it concerns."""
    questions = [part for part in parts if part not in (SETTINGS, DRAW)]
    fallback = page if page in parts else next(iter(parts))
    if error.key.startswith("questions["):
        part = index_parts.get(int(error.key.split("[", 1)[1].split("]", 1)[0]), fallback)
    elif error.key.startswith("questions."):
        key = error.key.split(".")[1]
        part = next((p for p in questions if parts[p].get("key") == key or p == question_part(key)), fallback)
    elif error.key.startswith("draw"):
        # Without drafted draw rules, a changed category is what broke a published rule.
        part = DRAW if DRAW in parts else (page if page in questions else next(iter(questions), fallback))
    else:
        part = SETTINGS if SETTINGS in parts else fallback
    if part == SETTINGS:
        return Built(problems=_settings_problem(error, parts[part]), part=part)
    if part == DRAW:
        return Built(problems=_draw_problem(error, parts[part]), part=part)
    return Built(problems=_question_problem(error), part=part)


def _build(quiz: Quiz, parts: dict[str, dict], page: str | None = None) -> Built:
    """The quiz as the draft makes it, read by the quiz loader (one code path with `load-content`)."""
    files = content_files.quiz_files(quiz)
    main = f"quizzes/{quiz.slug}.toml"
    for part in sorted(parts, key=_order):
        fields = parts[part]
        if part == SETTINGS:
            problems = _settings_into(files, quiz.slug, fields)
        elif part == DRAW:
            problems = _draw_into(files, quiz.slug, fields)
        else:
            key = part.split("/", 1)[1] if part.startswith("questions/") else None
            problems = _question_into(files, quiz.slug, key, fields)
        if problems:
            return Built(problems=problems, part=part)
    keys = [q["key"] for q in tomllib.loads(files[main])["questions"]]
    index_parts: dict[int, str] = {}
    for part, fields in parts.items():
        key = part.split("/", 1)[1] if part.startswith("questions/") else \
            fields.get("key") if part.startswith("new/") else None
        if key in keys:
            # A new question whose key is taken is the second one of that key.
            index_parts[len(keys) - 1 - keys[::-1].index(key) if part.startswith("new/") else keys.index(key)] = part
    with content_files.scratch_folder() as scratch:
        content_files.write_files(Path(scratch), files)
        try:
            return Built(spec=read_quiz(Path(scratch) / main))
        except ContentError as error:
            return _located(error, parts, index_parts, page)


def check_draft(quiz: Quiz) -> Built:
    """Whether the quiz's draft would publish; if not, its first problem's part and fields."""
    parts = {name: part.fields for name, part in draft_parts(quiz).items()}
    return _build(quiz, parts) if parts else Built()


def publish_draft(quiz: Quiz, *, author: User, now: datetime, page: str | None = None,
                  fields: dict[str, str] | None = None) -> Outcome:
    """Publish the whole draft — with `fields` as the `page` part — as one new version of the quiz.

    Nothing changes when a part is refused: the outcome names that part and its fields' problems.
    Attempts already started keep the version they drew from.
    """
    parts = {name: part.fields for name, part in draft_parts(quiz).items()}
    if page is not None:
        parts[page] = fields or {}
    if not parts:
        return Outcome()
    built = _build(quiz, parts, page)
    if built.problems:
        return Outcome(problems=built.problems, part=built.part)
    apply_quiz(built.spec)
    db.session.flush()
    db.session.expire(quiz, ["current"])       # the revision's files are written from the new version
    revision = record_revision("quiz", quiz.slug, origin=BROWSER, author=author, now=now)
    if revision is not None:
        audit.record("content.published", actor=author, subject=f"quiz:{quiz.slug}",
                     payload={"revision": revision.number, "change": ", ".join(sorted(parts, key=_order))}, now=now)
    discard_draft(quiz)
    return Outcome(revision=revision)


def draft_question(quiz: Quiz, part: str, fields: dict[str, str]) -> Built:
    """The question as the draft writes it, read by the quiz loader (for the preview), or its problems."""
    built = _build(quiz, {part: fields}, part)
    if built.spec is None:
        return built
    key = part.split("/", 1)[1] if part.startswith("questions/") else fields.get("key")
    return Built(spec=next(q for q in built.spec["questions"] if q["key"] == key))


# The earlier one-step doors: the page's part published together with the rest of the draft.

def publish_settings(quiz: Quiz, fields: dict[str, str], *, author: User, now: datetime) -> Outcome:
    return publish_draft(quiz, author=author, now=now, page=SETTINGS, fields=fields)


def publish_draw(quiz: Quiz, fields: dict[str, str], *, author: User, now: datetime) -> Outcome:
    return publish_draft(quiz, author=author, now=now, page=DRAW, fields=fields)


def publish_question(quiz: Quiz, key: str | None, fields: dict[str, str], *, author: User, now: datetime) -> Outcome:
    part = question_part(key) if key else next_new_part(quiz)
    return publish_draft(quiz, author=author, now=now, page=part, fields=fields)
