"""The lesson editor's rules: a lesson's fields, its files, and publishing them through the course loader.

A lesson is edited as a flat set of fields (`title`, `title-kk`, `markdown-ru`, `check-0-options-kk`…).
Publishing writes the whole course as content files in a scratch folder and reads it back with
`read_course` — the file door's own checks — before `apply_course` stores it: there is one
validation path, and a problem comes back as a ContentError that `field_for` puts at its field.
"""
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.audit import service as audit
from app.authoring import files as content_files
from app.authoring.languages import LANGUAGES, TRANSLATIONS, name
from app.authoring.models import BROWSER, ContentDraft, ContentRevision
from app.authoring.service import drop_draft, find_draft, keep_draft, record_revision
from app.core import markdown
from app.core.content import ContentError
from app.core.uploads import LESSON_IMAGE_FOLDER, store_image
from app.courses.loader import SLUG, apply_course, read_course
from app.courses.models import Course, Lesson
from app.extensions import db
from app.people.models import User

TEXT_FIELDS = ("title", "summary", "markdown")
CHECK_TEXTS = ("question", "options", "explanation")
CHECK_KEY = re.compile(r"^check\[(\d+)\](?:\.(\w+))?$")


def check_name(index: int, part: str, language: str = "") -> str:
    return name(f"check-{index}-{part}", language)


class LessonProblem(Exception):
    """Input the editor cannot publish: {field name: message}."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))


def fields_of(lesson: Lesson) -> dict[str, str]:
    """The editor's fields for a lesson's current version."""
    version = lesson.current
    fields = {"slug": lesson.slug, "title": version.title, "summary": version.summary, "markdown": version.markdown}
    for index, check in enumerate(version.checks):
        fields[check_name(index, "answer")] = str(check["answer"] + 1)
        fields[check_name(index, "question")] = check["question"]
        fields[check_name(index, "options")] = "\n".join(check["options"])
        fields[check_name(index, "explanation")] = check.get("explanation", "")
    for language, text in (version.translations or {}).items():
        for part in TEXT_FIELDS:
            fields[name(part, language)] = text.get(part, "")
        for index, check in enumerate(text.get("checks", [])):
            fields[check_name(index, "question", language)] = check["question"]
            fields[check_name(index, "options", language)] = "\n".join(check["options"])
            fields[check_name(index, "explanation", language)] = check.get("explanation", "")
    return fields


def fields_from(form) -> dict[str, str]:
    """The editor's fields from a submitted form (anything else in it is ignored)."""
    wanted = re.compile(r"^(slug|(title|summary|markdown)(-(kk|ru))?|check-\d{1,2}-(answer|(question|options|explanation)(-(kk|ru))?))$")
    return {key: form.get(key, "").replace("\r\n", "\n") for key in form if wanted.match(key)}


def check_count(fields: dict[str, str]) -> int:
    """How many checks the fields hold: every index up to the last one with any text."""
    used = [int(key.split("-")[1]) for key, value in fields.items() if key.startswith("check-") and value.strip()]
    return max(used) + 1 if used else 0


def _options(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _checks(fields: dict[str, str], language: str, problems: dict[str, str]) -> list[dict]:
    checks = []
    for index in range(check_count(fields)):
        answer_text = fields.get(check_name(index, "answer"), "").strip()
        options = _options(fields.get(check_name(index, "options", language), ""))
        try:
            answer = int(answer_text) - 1
        except ValueError:
            answer = -1
        if not language and not 0 <= answer < max(len(options), 1):
            problems[check_name(index, "answer")] = _l("Give the number of the right option (1 for the first line).")
        checks.append({"question": fields.get(check_name(index, "question", language), "").strip(),
                       "options": options, "answer": max(answer, 0),
                       "explanation": fields.get(check_name(index, "explanation", language), "").strip()})
    return checks


def translated(fields: dict[str, str], language: str) -> bool:
    """Whether the fields hold any text in `language` (an empty language is simply not written)."""
    return any(value.strip() for key, value in fields.items() if key.endswith(f"-{language}"))


def untranslated(fields: dict[str, str]) -> dict[str, list[str]]:
    """Per translation language, the fields written in the original but empty in it."""
    missing = {}
    for language in TRANSLATIONS:
        missing[language] = [key for key, value in fields.items()
                             if value.strip() and not key.startswith("slug") and not key.endswith("-answer")
                             and not key.endswith(("-kk", "-ru")) and not fields.get(name(key, language), "").strip()]
    return missing


def lesson_files(fields: dict[str, str], position: int, folder: str) -> dict[str, str]:
    """The lesson's files (NN-slug.md and a .kk.md / .ru.md for each language written)."""
    problems: dict[str, str] = {}
    slug = fields.get("slug", "").strip()
    if not SLUG.match(slug):
        problems["slug"] = _l("Use lower-case words joined by hyphens, such as what-is-a-bribe.")
    files = {}
    for language in LANGUAGES:
        if language and not translated(fields, language):
            continue
        meta = content_files.lesson_meta(fields.get(name("title", language), "").strip(),
                                         fields.get(name("summary", language), "").strip(),
                                         _checks(fields, language, problems))
        suffix = f".{language}.md" if language else ".md"
        files[f"{folder}/{position:02d}-{slug}{suffix}"] = content_files.lesson_text(
            meta, fields.get(name("markdown", language), ""))
    if problems:
        raise LessonProblem(problems)
    return files


def field_for(error: ContentError) -> str:
    """The editor field a loader's ContentError is about."""
    match = re.search(r"\.(kk|ru)\.md$", error.path)
    language = match[1] if match else ""
    if error.path.endswith("course.toml"):
        return "course"
    found = CHECK_KEY.match(error.key)
    if found:
        part = found[2] or "options"
        return check_name(int(found[1]), part, "" if part == "answer" else language)
    if error.key == "check":
        return check_name(0, "question", language)
    if error.key in ("title", "summary"):
        return name(error.key, language)
    return name("markdown", language)


def course_lessons(course: Course) -> list[Lesson]:
    return db.session.execute(select(Lesson).options(selectinload(Lesson.current)).where(
        Lesson.course_id == course.id, Lesson.retired.is_(False)).order_by(Lesson.position)).scalars().all()


def copy_pictures(root: Path, files: dict[str, str]) -> None:
    """Put the pictures the lessons in `files` show into their course's images/ folder under `root`, where the
    course loader looks for them (uploaded pictures live in the uploads; one that is not there stays missing)."""
    uploaded = Path(current_app.config["UPLOAD_FOLDER"]) / LESSON_IMAGE_FOLDER
    for name, text in files.items():
        if name.startswith("courses/") and name.endswith(".md"):
            for picture in markdown.lesson_images(text):
                target = root / name.rsplit("/", 1)[0] / "images" / picture
                if (uploaded / picture).is_file() and not target.exists():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(uploaded / picture, target)


def _scratch_root(root: Path, course: Course, files: dict[str, str]) -> Path:
    content_files.write_files(root, files)
    copy_pictures(root, files)
    if course.final_quiz:
        # read_course checks that the final quiz has its file; the quiz itself lives in the database.
        (root / "quizzes").mkdir(exist_ok=True)
        (root / "quizzes" / f"{course.final_quiz}.toml").touch()
    return root / "courses" / course.slug


def publish_course(course: Course, files: dict[str, str], *, author: User, now: datetime, what: str) -> ContentRevision:
    """Read `files` with the course loader's checks, store them, and record the revision and its audit event."""
    with content_files.scratch_folder() as scratch:
        spec = read_course(_scratch_root(Path(scratch), course, files))
    apply_course(spec)
    db.session.flush()
    revision = record_revision("course", course.slug, origin=BROWSER, author=author, now=now)
    if revision is None:
        revision = db.session.execute(select(ContentRevision).where(
            ContentRevision.kind == "course", ContentRevision.slug == course.slug).order_by(
            ContentRevision.number.desc())).scalar()
    else:
        audit.record("content.published", actor=author, subject=f"course:{course.slug}",
                     payload={"revision": revision.number, "change": what}, now=now)
    return revision


def _others(course: Course, lessons: list[Lesson], skip_slug: str | None) -> dict[str, str]:
    kept = [lesson for lesson in lessons if lesson.slug != skip_slug]
    return content_files.course_files(course, kept)


@dataclass
class Outcome:
    revision: ContentRevision | None = None
    problems: dict[str, str] = field(default_factory=dict)


def publish_lesson(course: Course, lesson: Lesson | None, fields: dict[str, str], *, author: User,
                   now: datetime) -> Outcome:
    """Publish a new or edited lesson; on bad input return the problems by field and change nothing."""
    lessons = course_lessons(course)
    slug = fields.get("slug", "").strip()
    if lesson is None and any(other.slug == slug for other in course.lessons):
        return Outcome(problems={"slug": _l("Another lesson of this course already has this name.")})
    position = lesson.position if lesson else max((other.position for other in lessons), default=0) + 1
    if lesson is not None:
        fields = {**fields, "slug": lesson.slug}
    try:
        files = _others(course, lessons, lesson.slug if lesson else None)
        files.update(lesson_files(fields, position, f"courses/{course.slug}"))
        with db.session.begin_nested():
            revision = publish_course(course, files, author=author, now=now,
                                      what=f"lesson {slug} {'edited' if lesson else 'added'}")
    except LessonProblem as problem:
        return Outcome(problems=problem.problems)
    except ContentError as error:
        return Outcome(problems={field_for(error): error.problem})
    discard_draft(course, slug)
    if lesson is None:
        discard_draft(course, "")          # a new lesson's draft is kept under no name until it has one
    return Outcome(revision=revision)


def retire_lesson(course: Course, lesson: Lesson, *, author: User, now: datetime) -> ContentRevision:
    """Take a lesson out of its course (its versions and everyone's progress are kept)."""
    lessons = course_lessons(course)
    revision = publish_course(course, _others(course, lessons, lesson.slug), author=author, now=now,
                              what=f"lesson {lesson.slug} retired")
    audit.record("content.retired", actor=author, subject=f"course:{course.slug}/{lesson.slug}",
                 payload={"revision": revision.number}, now=now)
    return revision


def move_lesson(course: Course, lesson: Lesson, step: int, *, author: User, now: datetime) -> ContentRevision | None:
    """Move a lesson one place up (-1) or down (+1) in its course, renumbering the lessons 1, 2, 3…"""
    lessons = course_lessons(course)
    index = next(i for i, other in enumerate(lessons) if other.id == lesson.id)
    target = index + step
    if not 0 <= target < len(lessons):
        return None
    lessons[index], lessons[target] = lessons[target], lessons[index]
    files = content_files.course_files(course, lessons, numbers={other.id: i + 1 for i, other in enumerate(lessons)})
    return publish_course(course, files, author=author, now=now, what=f"lesson {lesson.slug} moved")


def draft_key(course: Course, slug: str) -> str:
    return f"{course.slug}/{slug or '(new)'}"


def load_draft(course: Course, slug: str) -> ContentDraft | None:
    return find_draft("lesson", draft_key(course, slug))


def save_draft(course: Course, slug: str, fields: dict[str, str], *, author: User, now: datetime) -> ContentDraft:
    """Keep what is being written, valid or not, until it is published or discarded."""
    return keep_draft("lesson", draft_key(course, slug), fields, author=author, now=now)


def discard_draft(course: Course, slug: str) -> None:
    drop_draft("lesson", draft_key(course, slug))


def add_image(fields: dict[str, str], stream, alt: str, folder: Path) -> dict[str, str]:
    """Store an uploaded picture re-encoded (see app.core.uploads) and show it at the end of the lesson text.

    Raises UploadError (its message is for the person) when the file is not an image or too large.
    """
    stored = store_image(stream, folder, thumbnail=False)
    alt = " ".join(alt.replace("[", "").replace("]", "").split()) or "image"
    text = fields.get("markdown", "").rstrip()
    return {**fields, "markdown": f"{text}\n\n![{alt}](images/{stored.name})\n"}


@dataclass
class Preview:
    language: str
    title: str
    html: str
    toc_html: str
    checks: list[dict]
    words: int


def unseen_pictures(fields: dict[str, str], folder: Path) -> dict[str, str]:
    """The lesson texts (per language) that ask for a picture students would not see — another address than
    images/<name>.jpg, or a lesson picture not in `folder` — with why: the preview shows them at the field, as
    publishing would (the course loader refuses such a lesson)."""
    problems = {}
    for language in LANGUAGES:
        for address in markdown.image_addresses(fields.get(name("markdown", language), "")):
            match = markdown.LESSON_IMAGE.match(address)
            if match is None:
                problems[name("markdown", language)] = _l(
                    "The image %(address)s would not be shown: a lesson shows only the pictures uploaded into it "
                    "(images/<name>.jpg).", address=address or "()")
            elif not (folder / match[1]).is_file():
                problems[name("markdown", language)] = _l(
                    "The image %(address)s is not among the lesson pictures: upload it into the lesson.",
                    address=address)
    return problems


def preview(fields: dict[str, str], language: str) -> Preview:
    """The lesson in one language as a student will see it: the lesson page's renderer, sanitised."""
    language = language if language in TRANSLATIONS and translated(fields, language) else ""
    html, toc = markdown.render(fields.get(name("markdown", language), ""))
    checks = [{"question": c["question"], "options": c["options"]} for c in _checks(fields, language, {})]
    return Preview(language, fields.get(name("title", language), ""), html, toc, checks,
                   markdown.word_count(fields.get(name("markdown", language), "")))
