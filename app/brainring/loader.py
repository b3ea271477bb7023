"""Read quizzes/<slug>.toml files with kind = "brainring": question sets for the live team quiz.

    kind = "brainring"
    title = "…"
    activity = "2.13"          # the plan activity a game counts for (optional)
    seconds = 20               # time per question unless a question sets its own (5 to 120)
    questions_per_game = 10    # optional: a game draws this many, those least played in the set's earlier games
    [[questions]]
    key = "what-is-a-bribe"
    text = "…"
    options = ["…", "…", "…", "…"]   # 2 to 4, shown as A–D on the phones
    answer = 1                 # zero-based
    seconds = 30               # optional
    image = "images/brain-ring/receipt.png"   # optional, a PNG/JPEG/WebP file under quizzes/

Translations sit beside the set as for quizzes: `<slug>.kk.toml` / `<slug>.ru.toml` with `title`,
`description` and `[questions.<key>]` tables (`text`, `options` of the original's number and order).
"""
import hashlib
import re
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.brainring.models import RingSet
from app.core.clock import utcnow
from app.core.content import (ContentError, TomlReader, attach_translations, load_files, parse_toml,
                              read_translation_files)
from app.extensions import db

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
IMAGE = re.compile(r"^images/[a-z0-9][a-z0-9/_-]*\.(png|jpe?g|webp)$")


def _seconds(path, reader: TomlReader, default: int) -> int:
    value = reader.integer("seconds", required=False, default=default, minimum=5)
    if value > 120:
        raise ContentError(path, reader.key_name("seconds"), _l("must be at most %(maximum)s", maximum=120))
    return value


def read_ring_set(path: Path) -> dict:
    """Parse and validate one brain ring set with its translations; raise ContentError on the first problem."""
    raw = path.read_bytes()
    data = parse_toml(path, raw)
    if not SLUG.match(path.stem):
        raise ContentError(path, "", _l("a file name must be lower-case words joined by hyphens"))
    if data.get("kind") != "brainring":
        raise ContentError(path, "kind", _l('must be "brainring"'))
    reader = TomlReader(path, data)
    default = _seconds(path, reader, 20)
    items = data.get("questions")
    if not isinstance(items, list) or not items:
        raise ContentError(path, "questions", _l("must list at least one question"))
    questions = []
    for index, item in enumerate(items):
        q = TomlReader(path, item if isinstance(item, dict) else {}, f"questions[{index}].")
        key = q.text("key")
        if not SLUG.match(key) or key in {x["key"] for x in questions}:
            raise ContentError(path, q.key_name("key"), _l("must be lower-case words joined by hyphens, once per file"))
        q.prefix = f"questions[{index}] ({key})."
        options = item.get("options")
        if (not isinstance(options, list) or not 2 <= len(options) <= 4
                or not all(isinstance(o, str) and o.strip() for o in options)):
            raise ContentError(path, q.key_name("options"), _l("must list 2 to 4 options as text"))
        answer = item.get("answer")
        if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer < len(options):
            raise ContentError(path, q.key_name("answer"), _l("must be the zero-based index of the right option"))
        image = q.text("image", required=False)
        if image and (not IMAGE.match(image) or not (path.parent / image).is_file()):
            raise ContentError(path, q.key_name("image"), _l("must name a PNG, JPEG or WebP file under %(folder)s",
                                                             folder="quizzes/images/"))
        questions.append({"key": key, "text": q.text("text"), "options": [o.strip() for o in options],
                          "answer": answer, "seconds": _seconds(path, q, default), "image": image})
    per_game = reader.integer("questions_per_game", required=False, default=0, minimum=1)
    if per_game > len(questions):
        raise ContentError(path, "questions_per_game", _l("asks for %(wanted)s questions but the set has %(count)s",
                                                         wanted=per_game, count=len(questions)))
    tables, translated_raw = read_translation_files(path)
    translations = attach_translations(path, questions, tables, ("title", "description"))
    return {"slug": path.stem, "title": reader.text("title"), "description": reader.text("description", required=False),
            "activity_code": reader.text("activity", required=False), "questions": questions, "per_game": per_game,
            "translations": translations, "digest": hashlib.sha256(raw + translated_raw).hexdigest()}


def apply_ring_set(spec: dict) -> str:
    """Create or update one set (in the caller's transaction); games already opened keep their copy."""
    item = db.session.execute(select(RingSet).where(RingSet.slug == spec["slug"])).scalar_one_or_none()
    if item is not None and item.source_digest == spec["digest"] and not item.retired:
        return "unchanged"
    created = item is None
    item = item or RingSet(slug=spec["slug"])
    item.title, item.description, item.activity_code = spec["title"], spec["description"], spec["activity_code"]
    item.questions, item.source_digest, item.retired, item.loaded_at = spec["questions"], spec["digest"], False, utcnow()
    item.per_game, item.translations = spec["per_game"], spec["translations"]
    db.session.add(item)
    return "created" if created else "updated"


def load_ring_sets(folder: Path, guard=None) -> tuple[list[str], list[ContentError]]:
    """Load every brain ring set in quizzes/; a broken file is reported and loads nothing."""
    return load_files(folder, read_ring_set, lambda spec: f"{apply_ring_set(spec)} ({len(spec['questions'])} questions)",
                      RingSet, "brain ring", only="brainring", kind="brainring", guard=guard)
