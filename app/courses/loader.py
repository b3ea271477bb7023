"""Read courses/<slug>/course.toml and NN-lesson.md files, and write them into the database.

Loading is idempotent: an unchanged lesson is left alone, a changed one gets a new
version (rendered once), a lesson removed from disk is retired with its progress kept.
Each course loads whole or not at all.
"""
import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.core import markdown
from app.core.clock import utcnow
from app.core.content import TRANSLATION_LANGUAGES, ContentError, TomlReader, parse_toml, read_audience
from app.courses.models import Course, Lesson, LessonVersion
from app.extensions import db

logger = logging.getLogger(__name__)

LESSON_FILE = re.compile(r"^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$")
TRANSLATED_LESSON_FILE = re.compile(r"^\d{2}-[a-z0-9-]+\.[a-z]{2}\.md$")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass
class LessonSpec:
    number: int
    slug: str
    title: str
    summary: str
    markdown: str
    checks: list[dict]
    digest: str
    translations: dict = field(default_factory=dict)   # language -> {title, summary, markdown, checks}


@dataclass
class CourseSpec:
    slug: str
    title: str
    summary: str
    activity_code: str
    audience: str
    language: str
    order: int
    xp_per_lesson: int
    final_quiz: str
    digest: str
    lessons: list[LessonSpec] = field(default_factory=list)
    translations: dict = field(default_factory=dict)   # language -> {title, summary}


def _split_front_matter(path: Path, text: str) -> tuple[dict, str]:
    """The front matter between the first line and the next line that is +++ alone, and the Markdown after it.

    Only a whole line closes the front matter: "+++" inside a title, a check's text or an explanation is text.
    """
    lines = text.split("\n")
    if lines[0].strip() != "+++":
        raise ContentError(path, "", _l("must start with TOML front matter between %(marker)s lines", marker="+++"))
    closing = next((number for number, line in enumerate(lines[1:], 1) if line.strip() == "+++"), None)
    if closing is None:
        raise ContentError(path, "", _l("the front matter is not closed with a %(marker)s line", marker="+++"))
    return parse_toml(path, "\n".join(lines[1:closing])), "\n".join(lines[closing + 1:]).strip()


def _read_checks(path: Path, raw) -> list[dict]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ContentError(path, "check", _l("must be a list of %(table)s tables", table="[[check]]"))
    checks = []
    for index, item in enumerate(raw):
        reader = TomlReader(path, item, f"check[{index}].")
        options = item.get("options")
        if (not isinstance(options, list) or len(options) < 2
                or not all(isinstance(o, str) and o.strip() for o in options)):
            raise ContentError(path, reader.key_name("options"), _l("must list at least two options as text"))
        answer = reader.integer("answer")
        if not 0 <= answer < len(options):
            raise ContentError(path, reader.key_name("answer"),
                               _l("must be the zero-based index of an option (0 to %(last)s)", last=len(options) - 1))
        checks.append({"question": reader.text("question"), "options": [o.strip() for o in options],
                       "answer": answer, "explanation": reader.text("explanation", required=False)})
    return checks


def read_lesson(path: Path, number: int, slug: str) -> LessonSpec:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ContentError(path, "", _l("is not UTF-8 text")) from None
    meta, body = _split_front_matter(path, text)
    reader = TomlReader(path, meta)
    if not body:
        raise ContentError(path, "", _l("the lesson has no text after the front matter"))
    _check_pictures(path, body)
    return LessonSpec(number=number, slug=slug, title=reader.text("title"),
                      summary=reader.text("summary", required=False), markdown=body,
                      checks=_read_checks(path, meta.get("check")), digest=hashlib.sha256(raw).hexdigest())


def _check_pictures(path: Path, body: str) -> None:
    """A lesson shows only its own pictures, images/<name>.jpg in its course's images/ folder: an image from any
    other address would be removed from the page, and one that is not there would show nothing."""
    for address in markdown.image_addresses(body):
        if not markdown.LESSON_IMAGE.match(address):
            raise ContentError(path, "",
                               _l("the image %(address)s would not be shown: a lesson shows only its own pictures, "
                                            "written %(example)s (upload it into the lesson)",
                                            address=address or _l("(no address)"), example="images/<name>.jpg"))
        if not (path.parent / address).is_file():
            raise ContentError(path, "", _l("the image %(address)s is not among the course's pictures (upload it into "
                                            "the lesson, or put it in the course's %(folder)s folder)",
                                            address=address, folder="images/"))


def read_translation(path: Path, original: LessonSpec) -> dict:
    """A lesson's version in another language: the same checks with the same answers, translated."""
    spec = read_lesson(path, original.number, original.slug)
    if len(spec.checks) != len(original.checks):
        raise ContentError(path, "check", _l("has %(count)s checks; the original has %(original)s",
                                                  count=len(spec.checks), original=len(original.checks)))
    for index, (mine, theirs) in enumerate(zip(spec.checks, original.checks)):
        if mine["answer"] != theirs["answer"] or len(mine["options"]) != len(theirs["options"]):
            raise ContentError(path, f"check[{index}]", _l("must keep the original's options in order and its answer"))
    return {"title": spec.title, "summary": spec.summary, "markdown": spec.markdown, "digest": spec.digest,
            "checks": [{k: c[k] for k in ("question", "options", "explanation")} for c in spec.checks]}


def _course_translations(path: Path, data: dict) -> dict:
    raw = data.get("translations", {})
    if not isinstance(raw, dict):
        raise ContentError(path, "translations", _l("must be tables such as %(example)s with title and summary",
                                                    example="[translations.ru]"))
    result = {}
    for language, table in raw.items():
        if language not in TRANSLATION_LANGUAGES or not isinstance(table, dict):
            raise ContentError(path, f"translations.{language}",
                               _l("the language must be one of %(options)s", options=", ".join(TRANSLATION_LANGUAGES)))
        reader = TomlReader(path, table, f"translations.{language}.")
        result[language] = {"title": reader.text("title"), "summary": reader.text("summary", required=False)}
    return result


def read_course(folder: Path) -> CourseSpec:
    """Parse and validate one course folder; raise ContentError on the first problem."""
    toml_path = folder / "course.toml"
    if not SLUG.match(folder.name):
        raise ContentError(folder, "", _l("a course folder name must be lower-case words joined by hyphens"))
    if not toml_path.exists():
        raise ContentError(toml_path, "", _l("is missing"))
    raw = toml_path.read_bytes()
    data = parse_toml(toml_path, raw)
    reader = TomlReader(toml_path, data)
    audience = read_audience(toml_path, reader)
    final_quiz = reader.text("final_quiz", required=False)
    if final_quiz and not (folder.parent.parent / "quizzes" / f"{final_quiz}.toml").exists():
        raise ContentError(toml_path, "final_quiz", _l("there is no %(file)s", file=f"quizzes/{final_quiz}.toml"))
    lessons, numbers = [], {}
    for path in sorted(folder.glob("*.md")):
        if TRANSLATED_LESSON_FILE.match(path.name):
            continue  # per-language versions: read below, beside their lesson
        match = LESSON_FILE.match(path.name)
        if not match:
            raise ContentError(path, "", _l("a lesson file must be named %(pattern)s, e.g. %(example)s",
                                                 pattern="NN-lesson-slug.md", example="01-what-is-corruption.md"))
        number = int(match[1])
        if number in numbers:
            raise ContentError(path, "", _l("lesson number %(number)s is also used by %(file)s",
                                                 number=f"{number:02d}", file=numbers[number]))
        numbers[number] = path.name
        lesson = read_lesson(path, number, match[2])
        for language in TRANSLATION_LANGUAGES:
            translated = path.with_name(f"{path.stem}.{language}.md")
            if translated.exists():
                lesson.translations[language] = read_translation(translated, lesson)
        if lesson.translations:
            lesson.digest = hashlib.sha256((lesson.digest + "".join(
                t["digest"] for _language, t in sorted(lesson.translations.items()))).encode()).hexdigest()
        lessons.append(lesson)
    for path in sorted(folder.glob("*.md")):
        if TRANSLATED_LESSON_FILE.match(path.name) and not path.with_name(path.name[:-6] + ".md").exists():
            raise ContentError(path, "", _l("a translation needs its lesson: there is no %(file)s",
                                                 file=path.name[:-6] + ".md"))
    if not lessons:
        raise ContentError(folder, "", _l("the course has no lessons (%(pattern)s files)", pattern="NN-lesson-slug.md"))
    digest = hashlib.sha256(raw + b"".join(l.digest.encode() for l in lessons)).hexdigest()
    return CourseSpec(
        slug=folder.name, title=reader.text("title"), summary=reader.text("summary", required=False),
        activity_code=reader.text("activity", required=False), audience=audience, language=reader.text("language", required=False, default="en"),
        order=reader.integer("order", required=False, default=0),
        xp_per_lesson=reader.integer("xp_per_lesson", required=False, default=0, minimum=0),
        final_quiz=final_quiz, digest=digest, lessons=lessons, translations=_course_translations(toml_path, data),
    )


@dataclass
class CourseLoad:
    slug: str
    created: bool = False
    unchanged: bool = False
    lessons_added: int = 0
    lessons_changed: int = 0
    lessons_retired: int = 0
    held: str = ""      # why the folder was not loaded (an item last changed in the browser)


def apply_course(spec: CourseSpec) -> CourseLoad:
    """Write one course into the database (in the caller's transaction)."""
    result = CourseLoad(spec.slug)
    course = db.session.execute(select(Course).where(Course.slug == spec.slug)).scalar_one_or_none()
    if course is not None and course.source_digest == spec.digest and not course.retired:
        _keep_translation_sources(course, spec)
        result.unchanged = True
        return result
    if course is None:
        course = Course(slug=spec.slug)
        db.session.add(course)
        result.created = True
    course.title, course.summary, course.activity_code = spec.title, spec.summary, spec.activity_code
    course.audience = spec.audience
    course.language, course.position, course.xp_per_lesson = spec.language, spec.order, spec.xp_per_lesson
    course.final_quiz, course.source_digest, course.retired, course.loaded_at = (
        spec.final_quiz, spec.digest, False, utcnow())
    course.translations = spec.translations
    db.session.flush()

    existing = {lesson.slug: lesson for lesson in db.session.execute(
        select(Lesson).where(Lesson.course_id == course.id)).scalars()}
    for item in spec.lessons:
        lesson = existing.pop(item.slug, None)
        if lesson is None:
            lesson = Lesson(course_id=course.id, slug=item.slug)
            db.session.add(lesson)
            db.session.flush()
            result.lessons_added += 1
        lesson.position, lesson.retired = item.number, False
        current = lesson.current
        if current is not None and current.source_digest == item.digest:
            _keep_translation_source(current, item)
            continue
        html, toc = markdown.render(item.markdown)
        translations = {}
        for language, text in item.translations.items():
            t_html, t_toc = markdown.render(text["markdown"])
            translations[language] = {"title": text["title"], "summary": text["summary"], "html": t_html,
                                      "toc_html": t_toc, "checks": text["checks"], "markdown": text["markdown"]}
        if current is not None and (current.title, current.summary, current.markdown, current.checks,
                                    current.translations) == (item.title, item.summary, item.markdown, item.checks,
                                                              translations):
            continue   # the same lesson written differently (an exported or browser-written file): no new version
        version = LessonVersion(
            lesson_id=lesson.id, number=(current.number + 1) if current else 1, source_digest=item.digest,
            title=item.title, summary=item.summary, markdown=item.markdown, html=html, toc_html=toc,
            word_count=markdown.word_count(item.markdown), checks=item.checks, translations=translations,
        )
        db.session.add(version)
        db.session.flush()
        lesson.current_version_id = version.id
        if current is not None:
            result.lessons_changed += 1
    for lesson in existing.values():
        if not lesson.retired:
            lesson.retired = True
            result.lessons_retired += 1
    return result


def _keep_translation_source(version: LessonVersion, item: LessonSpec) -> None:
    """Give a version loaded before translations kept their Markdown the Markdown it was rendered from."""
    translations = version.translations or {}
    if all("markdown" in text for text in translations.values()):
        return
    version.translations = {language: {**text, "markdown": item.translations[language]["markdown"]}
                            if language in item.translations else text for language, text in translations.items()}


def _keep_translation_sources(course: Course, spec: CourseSpec) -> None:
    by_slug = {item.slug: item for item in spec.lessons}
    lessons = db.session.execute(select(Lesson).options(selectinload(Lesson.current)).where(
        Lesson.course_id == course.id, Lesson.retired.is_(False))).scalars()
    for lesson in lessons:
        if lesson.current is not None and lesson.slug in by_slug and lesson.current.source_digest == by_slug[lesson.slug].digest:
            _keep_translation_source(lesson.current, by_slug[lesson.slug])


def course_folders(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def load_courses(root: Path, guard=None) -> tuple[list[CourseLoad], list[ContentError]]:
    """Load every course folder; a broken course is reported and loads nothing, the others load.

    A `guard` (app.core.content.LoadGuard) may hold a course back or keep one that has no folder.
    """
    results, problems = [], []
    for folder in course_folders(root):
        held = guard.holds("course", folder.name) if guard else None
        if held:
            results.append(CourseLoad(folder.name, unchanged=True, held=held))
            continue
        try:
            spec = read_course(folder)
        except ContentError as error:
            problems.append(error)
            continue
        try:
            results.append(apply_course(spec))
            if guard:
                guard.loaded("course", spec.slug, changed=not results[-1].unchanged)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
    on_disk = {folder.name for folder in course_folders(root)}
    for course in db.session.execute(select(Course).where(Course.retired.is_(False))).scalars():
        if course.slug not in on_disk and not (guard and guard.keeps("course", course.slug)):
            course.retired = True
    db.session.commit()
    for result in results:
        logger.info("course %s loaded: %s", result.slug, result)
    return results, problems


def content_problems(root: Path) -> list[ContentError]:
    """Check the course files on disk without loading them."""
    problems = []
    for folder in course_folders(root):
        try:
            read_course(folder)
        except ContentError as error:
            problems.append(error)
    return problems
