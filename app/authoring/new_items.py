"""New courses and new quizzes written in the browser, published through the loaders' own readers.

The content-file layout has no course without a lesson and no quiz without a question (`read_course`
and `read_quiz` refuse both), so a new course is published together with its first lesson and a new
quiz with its first question. Until then the new item is its writer's draft, which students never see.
Publishing writes the item's files exactly as `export-content` lays them out into a scratch folder,
reads them back with the file door's reader and stores what it returns with the loader's `apply_*`:
one validation path, and a ContentError comes back at the field it is about. Further lessons and
questions are then added with the existing editors.

A new course's fields are `slug`, `title`, `title-kk`, `summary-ru`, `activity`, `audience`, `order`,
`xp_per_lesson`, `final_quiz`, and its first lesson's are the lesson editor's with a `lesson-` prefix
(`lesson-slug`, `lesson-title-kk`, `lesson-markdown`, `lesson-check-0-answer`…). A new quiz's fields
are the quiz settings editor's (`title`, `pass_percent`, `opens`…) with `slug`, `activity` and
`audience`, and its first question's are the question editor's (`key`, `type`, `text-ru`, `options`…).
"""
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import tomli_w
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.audit import service as audit
from app.authoring import files as content_files
from app.authoring import lessons
from app.authoring import quizzes
from app.authoring.languages import TRANSLATIONS, name
from app.authoring.models import BROWSER, ContentDraft, ContentRevision
from app.authoring.service import drop_draft, find_draft, keep_draft, record_revision
from app.brainring.models import RingSet
from app.core.content import AUDIENCES, EVERYONE, ContentError
from app.courses.loader import SLUG, apply_course, read_course
from app.courses.models import Course
from app.extensions import db
from app.people.models import User
from app.quizzes.loader import apply_quiz, read_quiz
from app.quizzes.models import Quiz
from app.surveys.models import Survey

logger = logging.getLogger(__name__)

LESSON = "lesson-"
COURSE_TEXTS = ("title", "summary")
COURSE_SETTINGS = ("slug", "activity", "audience", "order", "xp_per_lesson", "final_quiz")
COURSE_FIELD = re.compile(r"^((title|summary)(-(kk|ru))?|" + "|".join(COURSE_SETTINGS) + ")$")
QUIZ_SETTINGS = ("slug", "activity", "audience")


@dataclass
class Outcome:
    revision: ContentRevision | None = None
    problems: dict[str, str] = field(default_factory=dict)
    slug: str = ""


def _draft_key(author: User) -> str:
    """A new item's draft is its writer's own (there is no slug to share it by yet)."""
    return f"(new)/{author.id}"


def _draft_kind(kind: str) -> str:
    """Drafts of new items are a kind of their own (`new-course`), apart from the drafts of existing items."""
    return f"new-{kind}"


def load_draft(kind: str, author: User) -> ContentDraft | None:
    """The writer's draft of a new course or quiz, if they kept one."""
    return find_draft(_draft_kind(kind), _draft_key(author))


def save_draft(kind: str, fields: dict[str, str], *, author: User, now: datetime) -> ContentDraft:
    """Keep what is being written, valid or not, until it is published or discarded."""
    return keep_draft(_draft_kind(kind), _draft_key(author), fields, author=author, now=now)


def discard_draft(kind: str, author: User) -> None:
    """Drop the writer's draft of a new course or quiz (once published, or when they discard it)."""
    drop_draft(_draft_kind(kind), _draft_key(author))


def _whole(fields: dict[str, str], key: str, problems: dict[str, str], default: int = 0) -> int:
    """A whole number from a field (its default when empty); anything else is a problem at the field."""
    try:
        return int(fields.get(key, "").strip() or default)
    except ValueError:
        problems[key] = _l("Write a whole number.")
        return default


# Courses ------------------------------------------------------------------------------------------

def new_course_fields() -> dict[str, str]:
    """A new course's starting fields: for everyone, after the courses there are, no points per lesson."""
    last = db.session.execute(select(Course.position).order_by(Course.position.desc()).limit(1)).scalar()
    return {"audience": EVERYONE, "order": str((last or 0) + 1), "xp_per_lesson": "0"}


def course_fields_from(form) -> dict[str, str]:
    """The new-course form's fields: the course's own and its first lesson's (prefixed `lesson-`)."""
    fields = {key: form.get(key, "").replace("\r\n", "\n") for key in form if COURSE_FIELD.match(key)}
    lesson = lessons.fields_from({key[len(LESSON):]: form.get(key, "") for key in form if key.startswith(LESSON)})
    fields.update({LESSON + key: value for key, value in lesson.items()})
    return fields


def lesson_part(fields: dict[str, str]) -> dict[str, str]:
    """The first lesson's fields as the lesson editor names them."""
    return {key[len(LESSON):]: value for key, value in fields.items() if key.startswith(LESSON)}


TRANSLATABLE = re.compile(r"^(title|summary|lesson-(title|summary|markdown|check-\d+-(question|options|explanation)))$")


def course_untranslated(fields: dict[str, str]) -> dict[str, list[str]]:
    """Per translation language, the course's and its first lesson's texts written in the original but not in it."""
    return {language: sorted(key for key, value in fields.items() if TRANSLATABLE.match(key) and value.strip()
                             and not fields.get(name(key, language), "").strip()) for language in TRANSLATIONS}


def quizzes_to_end_with() -> list[str]:
    """The quizzes a course may name as its final quiz."""
    return list(db.session.execute(select(Quiz.slug).where(Quiz.retired.is_(False)).order_by(Quiz.slug)).scalars())


def course_table(fields: dict[str, str], problems: dict[str, str]) -> dict:
    """courses/<slug>/course.toml as the exporter writes it; unreadable numbers go to `problems`."""
    top = {"title": fields.get("title", "").strip()}
    for key, value in (("summary", fields.get("summary", "")), ("activity", fields.get("activity", ""))):
        if value.strip():
            top[key] = value.strip()
    top["language"] = "en"
    top["order"] = _whole(fields, "order", problems)
    top["xp_per_lesson"] = _whole(fields, "xp_per_lesson", problems)
    if fields.get("final_quiz", "").strip():
        top["final_quiz"] = fields["final_quiz"].strip()
    audience = fields.get("audience", "").strip() or EVERYONE
    if audience != EVERYONE:
        top["audience"] = audience
    translations = {}
    for language in TRANSLATIONS:
        title, summary = (fields.get(name(part, language), "").strip() for part in COURSE_TEXTS)
        if title or summary:
            translations[language] = {"title": title, **({"summary": summary} if summary else {})}
    if translations:
        top["translations"] = translations
    return top


def course_field_for(error: ContentError) -> str:
    """The new-course form's field a course loader's ContentError is about."""
    if not error.path.endswith("course.toml"):
        if error.path.endswith(".md"):
            return LESSON + lessons.field_for(error)
        return "slug"                                  # the folder itself: its name
    found = re.match(r"^translations\.(\w+)(?:\.(\w+))?$", error.key)
    if found:
        language = found[1] if found[1] in TRANSLATIONS else TRANSLATIONS[0]
        return name(found[2] if found[2] in COURSE_TEXTS else "title", language)
    return error.key if error.key in COURSE_SETTINGS else "title"


def _course_slug_problem(slug: str) -> str | None:
    """Why `slug` cannot name a new course (its folder), or None: well formed, and no course has it, retired or not."""
    if not SLUG.match(slug):
        return _l("Use lower-case words joined by hyphens, such as integrity-for-tutors.")
    course = db.session.execute(select(Course).where(Course.slug == slug)).scalar()
    if course is not None:
        return (_l("A retired course has this name; choose another one.") if course.retired
                else _l("Another course already has this name."))
    return None


def check_course(fields: dict[str, str]):
    """Read the new course and its first lesson as the course loader does (storing nothing).

    Returns (spec, problems by field); spec is None when there are problems.
    """
    slug = fields.get("slug", "").strip()
    problems: dict[str, str] = {}
    if slug_problem := _course_slug_problem(slug):
        problems["slug"] = slug_problem
    audience = fields.get("audience", "").strip()
    if audience and audience not in AUDIENCES:
        problems["audience"] = _l("Choose who the course is for.")
    top = course_table(fields, problems)
    folder = f"courses/{slug or 'new-course'}"
    lesson = lesson_part(fields)
    if not any(value.strip() for key, value in lesson.items() if key != "slug"):
        problems[LESSON + "markdown"] = _l("A course is published with its first lesson: write it here. "
                                           "Students see the course once it has a lesson.")
    try:
        files = lessons.lesson_files(lesson, 1, folder)
    except lessons.LessonProblem as problem:
        problems.update({LESSON + key: message for key, message in problem.problems.items()
                         if LESSON + key not in problems})
        files = {}
    if problems:
        return None, problems
    files[f"{folder}/course.toml"] = tomli_w.dumps(top)
    with content_files.scratch_folder() as scratch:
        root = Path(scratch)
        content_files.write_files(root, files)
        lessons.copy_pictures(root, files)
        if top.get("final_quiz") in quizzes_to_end_with():
            # read_course checks that the final quiz has its file; the quiz itself lives in the database.
            (root / "quizzes").mkdir(exist_ok=True)
            (root / "quizzes" / f"{top['final_quiz']}.toml").touch()
        try:
            return read_course(root / folder), {}
        except ContentError as error:
            return None, {course_field_for(error): error.problem}


def create_course(fields: dict[str, str], *, author: User, now: datetime) -> Outcome:
    """Publish a new course with its first lesson through the course loader; problems come back by field."""
    spec, problems = check_course(fields)
    if problems:
        return Outcome(problems=problems)
    apply_course(spec)
    db.session.flush()
    revision = record_revision("course", spec.slug, origin=BROWSER, author=author, now=now)
    if revision is not None:
        audit.record("content.published", actor=author, subject=f"course:{spec.slug}",
                     payload={"revision": revision.number, "change": "new course"}, now=now)
    discard_draft("course", author)
    logger.info("course %s created in the browser by %s", spec.slug, author.id)
    return Outcome(revision=revision, slug=spec.slug)


def course_settings_fields(course: Course) -> dict[str, str]:
    """A published course's own fields (not its lessons'), as the course form names them."""
    fields = {"title": course.title, "summary": course.summary, "audience": course.audience,
              "activity": course.activity_code, "order": str(course.position),
              "xp_per_lesson": str(course.xp_per_lesson), "final_quiz": course.final_quiz}
    for language, text in (course.translations or {}).items():
        if language in TRANSLATIONS:
            fields.update({name(part, language): text.get(part, "") for part in COURSE_TEXTS})
    return fields


def course_settings_from(form) -> dict[str, str]:
    """The course-settings form's fields (the course's own; its name in the address cannot change)."""
    return {key: form.get(key, "").replace("\r\n", "\n") for key in form if COURSE_FIELD.match(key) and key != "slug"}


def settings_untranslated(fields: dict[str, str]) -> dict[str, list[str]]:
    return {language: [part for part in COURSE_TEXTS if fields.get(part, "").strip()
                       and not fields.get(name(part, language), "").strip()] for language in TRANSLATIONS}


def _settings_draft_kind() -> str:
    return "course-settings"


def load_settings_draft(course: Course) -> ContentDraft | None:
    return find_draft(_settings_draft_kind(), course.slug)


def save_settings_draft(course: Course, fields: dict[str, str], *, author: User, now: datetime) -> ContentDraft:
    """Keep the course's settings as typed, valid or not, until they are published or discarded."""
    return keep_draft(_settings_draft_kind(), course.slug, fields, author=author, now=now)


def discard_settings_draft(course: Course) -> None:
    drop_draft(_settings_draft_kind(), course.slug)


def publish_course_settings(course: Course, fields: dict[str, str], *, author: User, now: datetime) -> Outcome:
    """Publish a course's title, summary, audience, activity, order, XP and final quiz, in every language.

    The course file is written as the exporter writes it, with the lessons as they are, and read back with the
    course loader's checks (one code path); problems come back by field and nothing changes.
    """
    problems: dict[str, str] = {}
    audience = fields.get("audience", "").strip()
    if audience and audience not in AUDIENCES:
        problems["audience"] = _l("Choose who the course is for.")
    top = {**course_table(fields, problems), "language": course.language}
    if problems:
        return Outcome(problems=problems)
    files = content_files.course_files(course, lessons.course_lessons(course))
    files[f"courses/{course.slug}/course.toml"] = tomli_w.dumps(top)
    try:
        with db.session.begin_nested():
            revision = lessons.publish_course(course, files, author=author, now=now, what="course settings edited")
    except ContentError as error:
        field_name = course_field_for(error)
        return Outcome(problems={"title" if field_name == "slug" else field_name: error.problem})
    discard_settings_draft(course)
    return Outcome(revision=revision, slug=course.slug)


# Quizzes ------------------------------------------------------------------------------------------

def new_quiz_fields() -> dict[str, str]:
    """A new quiz's starting fields: the quiz loader's defaults, and a single-choice first question."""
    return {"audience": EVERYONE, "grading": "highest", "feedback": "after_attempt", "pass_percent": "60",
            "time_limit_minutes": "0", "attempts": "0", "xp": "0", "questions_per_page": "5",
            "shuffle_questions": "on", "shuffle_options": "on", "type": "single", "points": "1"}


def quiz_fields_from(form) -> dict[str, str]:
    """The new-quiz form's fields: its settings (as the settings editor names them) and its first question."""
    fields = {key: form.get(key, "").strip() for key in QUIZ_SETTINGS}
    fields.update(quizzes.settings_from(form))
    fields.update(quizzes.question_from(form))
    return fields


def _quiz_slug_problem(slug: str) -> str | None:
    """Why `slug` cannot name a new quiz, or None: quizzes, surveys and brain-ring sets share quizzes/<slug>.toml."""
    if not SLUG.match(slug):
        return _l("Use lower-case words joined by hyphens, such as integrity-quiz-2025.")
    quiz = db.session.execute(select(Quiz).where(Quiz.slug == slug)).scalar()
    if quiz is not None:
        return (_l("A retired quiz has this name; choose another one.") if quiz.retired
                else _l("Another quiz already has this name."))
    for model in (Survey, RingSet):
        if db.session.execute(select(model.id).where(model.slug == slug)).first():
            return _l("A survey or brain-ring set has this name (their files share the quizzes folder); "
                      "choose another one.")
    return None


def quiz_files(fields: dict[str, str], problems: dict[str, str]) -> dict[str, str]:
    """quizzes/<slug>.toml and a .kk.toml / .ru.toml for each language written, as the exporter writes them."""
    slug = fields.get("slug", "").strip()
    top = {}
    if fields.get("activity"):
        top["activity"] = fields["activity"]
    if fields.get("audience") and fields["audience"] != EVERYONE:
        top["audience"] = fields["audience"]
    top = quizzes._table(fields, top, problems)
    if not top.get("description"):
        top.pop("description", None)
    entry = quizzes._entry(fields, problems)
    top["questions"] = [entry]
    files = {f"quizzes/{slug}.toml": tomli_w.dumps(top)}
    for language in TRANSLATIONS:
        title, description = fields.get(f"title-{language}", ""), fields.get(f"description-{language}", "")
        translated = quizzes._translation_entry(fields, language, entry["type"])
        if not (title or description or translated):
            continue
        table = {"title": title, **({"description": description} if description else {})}
        if translated:
            table["questions"] = {entry["key"]: translated}
        files[f"quizzes/{slug}.{language}.toml"] = tomli_w.dumps(table)
    return files


def quiz_field_for(error: ContentError, fields: dict[str, str]) -> dict[str, str]:
    """The new-quiz form's field (or fields) a quiz loader's ContentError is about."""
    language = next((lang for lang in TRANSLATIONS if error.path.endswith(f".{lang}.toml")), "")
    if error.key.startswith(("questions", "draw")):
        return quizzes._question_problem(error)
    if error.key in ("title", "description"):
        return {name(error.key, language): error.problem}
    if not language and (error.key in fields or error.key in ("attempts", "audience")):
        return {error.key: error.problem}
    return {name("title", language): error.problem}


def check_quiz(fields: dict[str, str]):
    """Read the new quiz and its first question as the quiz loader does (storing nothing).

    Returns (spec, problems by field); spec is None when there are problems.
    """
    fields = {**quizzes.settings_from({}), **quizzes.question_from({}), **fields}
    problems: dict[str, str] = {}
    slug = fields.get("slug", "").strip()
    if slug_problem := _quiz_slug_problem(slug):
        problems["slug"] = slug_problem
    if fields.get("audience") and fields["audience"] not in AUDIENCES:
        problems["audience"] = _l("Choose who the quiz is for.")
    question = [key for key in quizzes.QUESTION_FIELDS if key not in ("type", "points") and fields.get(key)]
    if not question:
        problems["text"] = _l("A quiz is published with at least one question: write its first question here. "
                              "Students see the quiz once it has one; add more questions after publishing.")
    files = quiz_files({**fields, "slug": slug or "new-quiz"}, problems)
    if problems:
        return None, problems
    with content_files.scratch_folder() as scratch:
        content_files.write_files(Path(scratch), files)
        try:
            return read_quiz(Path(scratch) / "quizzes" / f"{slug}.toml"), {}
        except ContentError as error:
            return None, quiz_field_for(error, fields)


def create_quiz(fields: dict[str, str], *, author: User, now: datetime) -> Outcome:
    """Publish a new quiz with its first question through the quiz loader; problems come back by field."""
    spec, problems = check_quiz(fields)
    if problems:
        return Outcome(problems=problems)
    apply_quiz(spec)
    db.session.flush()
    revision = record_revision("quiz", spec["slug"], origin=BROWSER, author=author, now=now)
    if revision is not None:
        audit.record("content.published", actor=author, subject=f"quiz:{spec['slug']}",
                     payload={"revision": revision.number, "change": "new quiz"}, now=now)
    discard_draft("quiz", author)
    logger.info("quiz %s created in the browser by %s", spec["slug"], author.id)
    return Outcome(revision=revision, slug=spec["slug"])
