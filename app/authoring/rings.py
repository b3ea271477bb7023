"""The brain-ring set editor's rules: a set's fields, its files, pictures, and publishing through the set loader.

A set is edited as a flat set of fields (`title`, `q-0-options-kk`, `q-0-answer`, `q-0-image`…).
Publishing writes the set as its content files in a scratch folder (with the pictures its
questions name) and reads them back with `read_ring_set` — the file door's own checks, such as
2 to 4 options, 5 to 120 seconds and translations with the original's number of options — then
stores them with `apply_ring_set`. Games already opened keep their own copy of the questions.
Pictures are uploaded through app.core.uploads (rebuilt from their pixels, random names) into the
upload folder's ring-images/ and named `images/ring/<name>.jpg` in the set, as under quizzes/.
"""
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import tomli_w
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.audit import service as audit
from app.authoring import files as content_files
from app.authoring.languages import TRANSLATIONS, name
from app.authoring.models import BROWSER, ContentDraft, ContentRevision
from app.authoring.service import drop_draft, find_draft, keep_draft, record_revision
from app.brainring.loader import SLUG, apply_ring_set, read_ring_set
from app.brainring.models import RingSet
from app.brainring.service import picture_file
from app.core.content import ContentError
from app.core.uploads import RING_IMAGE_FOLDER, RING_IMAGE_PREFIX, store_image
from app.extensions import db
from app.people.models import User

TOP_TEXTS = ("title", "description")
QUESTION_TEXTS = ("text", "options")
QUESTION_PARTS = ("key", "answer", "seconds", "image", *QUESTION_TEXTS)
DEFAULT_SECONDS = 20
FIELD = re.compile(r"^(slug|activity|per_game|(title|description)(-(kk|ru))?"
                   r"|q-\d{1,2}-(key|answer|seconds|image|(text|options)(-(kk|ru))?))$")


def ring_by_slug(slug: str) -> RingSet | None:
    return db.session.execute(select(RingSet).where(RingSet.slug == slug, RingSet.retired.is_(False))).scalar()


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def sets_showing(image: str) -> list[str]:
    """The slugs of the sets (published or retired) with a question showing this picture."""
    rows = db.session.execute(select(RingSet.slug, RingSet.questions)).all()
    return [slug for slug, questions in rows if any(q.get("image") == image for q in questions)]


def fields_of(ring: RingSet) -> dict[str, str]:
    """The editor's fields for a set as published (the right option counted from 1)."""
    fields = {"slug": ring.slug, "title": ring.title, "description": ring.description, "activity": ring.activity_code,
              "per_game": str(ring.per_game) if ring.per_game else ""}
    for language, text in (ring.translations or {}).items():
        for part in TOP_TEXTS:
            fields[name(part, language)] = text.get(part, "")
    for index, question in enumerate(ring.questions):
        prefix = f"q-{index}-"
        fields.update({prefix + "key": question["key"], prefix + "text": question["text"],
                       prefix + "options": "\n".join(question["options"]), prefix + "answer": str(question["answer"] + 1),
                       prefix + "seconds": str(question["seconds"]), prefix + "image": question.get("image", "")})
        for language, text in (question.get("translations") or {}).items():
            for part in QUESTION_TEXTS:
                value = text.get(part)
                if value:
                    fields[name(prefix + part, language)] = "\n".join(value) if isinstance(value, list) else value
    return fields


def fields_from(form) -> dict[str, str]:
    """The editor's fields from a submitted form (anything else in it is ignored)."""
    return {key: form.get(key, "").replace("\r\n", "\n") for key in form if FIELD.match(key)}


def question_count(fields: dict[str, str]) -> int:
    """How many questions the fields hold (the seconds alone, filled in for a new one, do not make one)."""
    used = [int(key.split("-")[1]) for key, value in fields.items()
            if key.startswith("q-") and value.strip() and key.split("-")[2] != "seconds"]
    return max(used) + 1 if used else 0


def _blank(fields: dict[str, str], prefix: str) -> bool:
    return not any(value.strip() for key, value in fields.items()
                   if key.startswith(prefix) and key[len(prefix):].split("-")[0] not in ("seconds",))


def _unique_key(base: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-")[:40].strip("-") or "question"
    key, number = base, 2
    while key in taken:
        key, number = f"{base}-{number}", number + 1
    return key


def ring_files(fields: dict[str, str], problems: dict[str, str]) -> dict[str, str]:
    """The set's files (quizzes/<slug>.toml and a .kk / .ru file for each language written)."""
    slug = fields.get("slug", "").strip()
    if not SLUG.match(slug):
        problems["slug"] = _l("Use lower-case words joined by hyphens, such as brain-ring-2025.")
    top = {"kind": "brainring", "title": fields.get("title", "").strip()}
    for key in ("description", "activity"):
        if fields.get(key, "").strip():
            top[key] = fields[key].strip()
    if fields.get("per_game", "").strip():
        try:
            top["questions_per_game"] = int(fields["per_game"])
        except ValueError:
            problems["per_game"] = _l("Write a whole number, or leave it empty to play every question.")
    questions, keys = [], []
    for index in range(question_count(fields)):
        prefix = f"q-{index}-"
        if _blank(fields, prefix):
            keys.append("")
            continue
        key = fields.get(prefix + "key", "").strip() or _unique_key(fields.get(prefix + "text", ""), set(keys))
        fields[prefix + "key"] = key
        entry = {"key": key, "text": fields.get(prefix + "text", "").strip(),
                 "options": _lines(fields.get(prefix + "options", ""))}
        try:
            entry["answer"] = int(fields.get(prefix + "answer", "").strip()) - 1
        except ValueError:
            problems[prefix + "answer"] = _l("Give the number of the right option (1 for the first line).")
        try:
            entry["seconds"] = int(fields.get(prefix + "seconds", "").strip() or DEFAULT_SECONDS)
        except ValueError:
            problems[prefix + "seconds"] = _l("Write a whole number of seconds from 5 to 120.")
        if fields.get(prefix + "image", "").strip():
            entry["image"] = fields[prefix + "image"].strip()
        questions.append(entry)
        keys.append(key)
    top["questions"] = questions
    files = {f"quizzes/{slug}.toml": tomli_w.dumps(top)}
    for language in TRANSLATIONS:
        if not any(value.strip() for key, value in fields.items() if key.endswith(f"-{language}")):
            continue
        table = {"title": fields.get(name("title", language), "").strip()}
        if fields.get(name("description", language), "").strip():
            table["description"] = fields[name("description", language)].strip()
        given = {}
        for index, key in enumerate(keys):
            entry = {}
            for part in QUESTION_TEXTS:
                value = fields.get(name(f"q-{index}-{part}", language), "")
                if value.strip():
                    entry[part] = _lines(value) if part == "options" else value.strip()
            if key and entry:
                given[key] = entry
        if given:
            table["questions"] = given
        files[f"quizzes/{slug}.{language}.toml"] = tomli_w.dumps(table)
    return files


def field_for(error: ContentError, fields: dict[str, str]) -> str:
    """The editor field a brain-ring loader's ContentError is about."""
    match = re.search(r"\.(kk|ru)\.toml$", error.path)
    language = match[1] if match else ""
    index_of = {fields.get(f"q-{i}-key"): i for i in range(question_count(fields))}
    found = re.match(r"^questions\[(\d+)\](?: \([^)]*\))?\.(\w+)", error.key)
    if found:
        return f"q-{found[1]}-{found[2] if found[2] in QUESTION_PARTS else 'text'}"
    found = re.match(r"^questions\.([a-z0-9-]+)\.(\w+)", error.key)
    if found and found[1] in index_of:
        return name(f"q-{index_of[found[1]]}-{found[2] if found[2] in QUESTION_TEXTS else 'text'}", language)
    if error.key == "questions":
        return "q-0-text"
    if error.key == "questions_per_game":
        return "per_game"
    if error.key in TOP_TEXTS:
        return name(error.key, language)
    return "slug" if not error.key else name("title", language)


@dataclass
class Outcome:
    revision: ContentRevision | None = None
    problems: dict[str, str] = field(default_factory=dict)
    spec: dict | None = None


def _copy_pictures(fields: dict[str, str], quizzes: Path, content_folder: Path, upload_folder: Path) -> None:
    """Put the pictures the questions name beside the scratch files, where the loader looks for them."""
    for key, image in fields.items():
        if not key.endswith("-image") or not image.strip():
            continue
        source = picture_file(image.strip(), content_folder, upload_folder)
        target = (quizzes / image.strip()).resolve()
        if source is not None and quizzes.resolve() in target.parents:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


def check(fields: dict[str, str], ring: RingSet | None, *, content_folder: Path, upload_folder: Path) -> Outcome:
    """Read the fields with the brain-ring loader's checks, storing nothing: the spec, or the problems by field."""
    problems: dict[str, str] = {}
    if ring is not None:
        fields["slug"] = ring.slug
    files = ring_files(fields, problems)
    if problems:
        return Outcome(problems=problems)
    with content_files.scratch_folder() as scratch:
        content_files.write_files(Path(scratch), files)
        _copy_pictures(fields, Path(scratch) / "quizzes", content_folder, upload_folder)
        try:
            spec = read_ring_set(Path(scratch) / f"quizzes/{fields['slug'].strip()}.toml")
        except ContentError as error:
            where = field_for(error, fields)
            # The file counts options from 0; the editor, like the person, from 1.
            problem = _l("Give the number of the right option (1 for the first line).") if where.endswith("-answer") \
                else error.problem
            return Outcome(problems={where: problem})
    return Outcome(spec=spec)


def publish(ring: RingSet | None, fields: dict[str, str], *, author: User, now: datetime, content_folder: Path,
            upload_folder: Path) -> Outcome:
    """Publish a new or edited set; on bad input return the problems by field and change nothing."""
    if ring is None and db.session.execute(select(RingSet.id).where(RingSet.slug == fields.get("slug", "").strip())).first():
        return Outcome(problems={"slug": _l("Another brain-ring set already has this name.")})
    outcome = check(fields, ring, content_folder=content_folder, upload_folder=upload_folder)
    if outcome.problems:
        return outcome
    slug = outcome.spec["slug"]
    apply_ring_set(outcome.spec)
    db.session.flush()
    revision = record_revision("brainring", slug, origin=BROWSER, author=author, now=now)
    if revision is not None:
        audit.record("content.published", actor=author, subject=f"brainring:{slug}",
                     payload={"revision": revision.number, "origin": BROWSER}, now=now)
    discard_draft(slug if ring else "")
    return Outcome(revision=revision, spec=outcome.spec)


def add_picture(fields: dict[str, str], index: int, stream, upload_folder: Path) -> dict[str, str]:
    """Store an uploaded picture rebuilt from its pixels (app.core.uploads) and give it to question `index`.

    Raises UploadError (its message is for the person) when the file is not an image or too large.
    """
    stored = store_image(stream, upload_folder / RING_IMAGE_FOLDER, thumbnail=False)
    return {**fields, f"q-{index}-image": f"{RING_IMAGE_PREFIX}{stored.name}"}


def untranslated(fields: dict[str, str]) -> dict[str, list[str]]:
    """Per translation language, the texts written in the original but empty in it."""
    texts = [key for key, value in fields.items() if value.strip() and not key.endswith(("-kk", "-ru"))
             and (key in TOP_TEXTS or re.match(r"^q-\d+-(text|options)$", key))]
    return {language: [key for key in texts if not fields.get(name(key, language), "").strip()]
            for language in TRANSLATIONS}


# Drafts ------------------------------------------------------------------------------------------

def draft_key(slug: str) -> str:
    return slug or "(new)"


def load_draft(slug: str) -> ContentDraft | None:
    return find_draft("brainring", draft_key(slug))


def save_draft(slug: str, fields: dict[str, str], *, author: User, now: datetime) -> ContentDraft:
    """Keep what is being written, valid or not, until it is published or discarded."""
    return keep_draft("brainring", draft_key(slug), fields, author=author, now=now)


def discard_draft(slug: str) -> None:
    drop_draft("brainring", draft_key(slug))


def preview_questions(spec: dict, language: str) -> list[dict]:
    """The set's questions as the projector shows them in `language` (text, options, picture, seconds)."""
    shown = []
    for question in spec["questions"]:
        text = (question.get("translations") or {}).get(language, {})
        shown.append({**question, "text": text.get("text") or question["text"],
                      "options": text.get("options") or question["options"]})
    return shown
