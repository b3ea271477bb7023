"""Shared pieces for loading content files: errors that name file and key, typed TOML access."""
import tomllib
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape
from sqlalchemy import select

from app.extensions import db


# What kind of problem a ContentError is, for code that acts on it (the words of `problem` are translated).
DUPLICATE = "duplicate"     # a key or code given twice in one file
ANSWERED = "answered"       # a question that has answers cannot change its type or options


class ProblemText(LazyString):
    """A loader's lazy message as plain text. Its values come from files and forms, so a page escapes it like
    any text (a bare lazy message declares itself markup and would be put in the page as it is)."""

    def __init__(self, message):
        super().__init__(str, message)

    def __html__(self) -> Markup:
        return escape(str(self))


class ContentError(Exception):
    """A content file that cannot be loaded: says which file, which key, and what is wrong.

    `problem` is a lazy message: it reads in the language of the request it is shown in (an editor), and in
    English where there is none (the command line, logs). `code` names the kind of problem where code needs it.
    """

    def __init__(self, path, key: str, problem, code: str = ""):
        self.path, self.key, self.code = str(path), key, code
        self.problem = problem if isinstance(problem, str) else ProblemText(problem)
        super().__init__(self.path, key, problem, code)

    def __str__(self) -> str:
        return f"{self.path}: {self.key}: {self.problem}" if self.key else f"{self.path}: {self.problem}"


def parse_toml(path, raw: bytes | str) -> dict:
    """Parse TOML text, turning decoding and syntax errors into ContentError."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        return tomllib.loads(text)
    except UnicodeDecodeError:
        raise ContentError(path, "", _l("is not UTF-8 text")) from None
    except tomllib.TOMLDecodeError as error:
        raise ContentError(path, "", _l("is not valid TOML (%(error)s)", error=str(error))) from None


class TomlReader:
    """Typed access to a TOML table that raises ContentError naming the key."""

    def __init__(self, path, table: dict, prefix: str = ""):
        self.path, self.table, self.prefix = path, table, prefix

    def key_name(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def text(self, key, *, required=True, default=""):
        value = self.table.get(key, None)
        if value is None:
            if required:
                raise ContentError(self.path, self.key_name(key), _l("is missing"))
            return default
        if not isinstance(value, str):
            raise ContentError(self.path, self.key_name(key), _l("must be text"))
        if required and not value.strip():
            raise ContentError(self.path, self.key_name(key), _l("must not be empty"))
        return value.strip()

    def day(self, key, *, required=True):
        value = self.table.get(key)
        if value is None and not required:
            return None
        if isinstance(value, datetime) or not isinstance(value, date):
            raise ContentError(self.path, self.key_name(key), _l("must be a date such as %(example)s",
                                                                 example="2024-09-01"))
        return value

    def integer(self, key, *, required=True, default=0, minimum=None):
        value = self.table.get(key)
        if value is None and not required:
            return default
        if not isinstance(value, int) or isinstance(value, bool):
            raise ContentError(self.path, self.key_name(key), _l("must be a whole number"))
        if minimum is not None and value < minimum:
            raise ContentError(self.path, self.key_name(key), _l("must be at least %(minimum)s", minimum=minimum))
        return value


def file_kind(path) -> str:
    """The `kind` a content file declares ("quiz" when it says none, "" when it cannot be read)."""
    try:
        kind = tomllib.loads(path.read_text(encoding="utf-8")).get("kind", "quiz")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return ""
    return kind if isinstance(kind, str) else ""


TRANSLATION_LANGUAGES = ("kk", "ru")

# Who a course or quiz is for (its file's `audience`): listed and opened only by them.
STAFF_AUDIENCE = "staff"            # employees and teaching staff
STUDENTS_AUDIENCE = "students"
EVERYONE = "everyone"
AUDIENCES = (STAFF_AUDIENCE, STUDENTS_AUDIENCE, EVERYONE)


def read_audience(path, reader) -> str:
    """The file's `audience`, one of AUDIENCES (everyone when not given)."""
    audience = reader.text("audience", required=False, default=EVERYONE)
    if audience not in AUDIENCES:
        raise ContentError(path, "audience", _l("must be one of %(options)s", options=", ".join(AUDIENCES)))
    return audience


def is_translation_file(path) -> bool:
    """`<slug>.kk.toml`: the translations of `<slug>.toml`, read with it, never on its own."""
    stem, _dot, language = path.stem.rpartition(".")
    return bool(stem) and len(language) == 2 and language.isalpha()


def read_translation_files(path) -> tuple[dict, bytes]:
    """The translation tables beside a content file: ({language: table}, their bytes for the digest)."""
    found, raw = {}, b""
    for language in TRANSLATION_LANGUAGES:
        other = path.with_name(f"{path.stem}.{language}.toml")
        if other.exists():
            data = other.read_bytes()
            found[language], raw = parse_toml(other, data), raw + data
    return found, raw


def content_files(folder, *, only: str | None = None, skip: tuple[str, ...] = ()) -> list:
    """`folder/*.toml` in name order (translations aside): only files of kind `only`, or all but kinds in `skip`."""
    paths = [p for p in sorted(folder.glob("*.toml")) if not is_translation_file(p)] if folder.is_dir() else []
    if only is not None:
        return [p for p in paths if file_kind(p) == only]
    return [p for p in paths if not skip or file_kind(p) not in skip]


def load_files(folder, read, apply, model, label: str, *, only: str | None = None, skip: tuple[str, ...] = (),
               kind: str = "", guard=None) -> tuple[list[str], list[ContentError]]:
    """Load every `folder/*.toml` (see content_files) with `read(path)` and `apply(spec)`, one transaction per file.

    A broken file is reported and loads nothing (the others load); a row whose file is gone
    from disk is retired, never deleted, so what people did with it is kept. A `guard` (see
    LoadGuard) may hold an item back, keep it from retirement, and hear of each item loaded.
    """
    lines, problems, on_disk = [], [], set()
    for path in content_files(folder, only=only, skip=skip):
        on_disk.add(path.stem)
        held = guard.holds(kind, path.stem) if guard else None
        if held:
            lines.append(f"{label} {path.stem}: {held}")
            continue
        try:
            outcome = apply(read(path))
            if guard:
                guard.loaded(kind, path.stem, changed=not outcome.startswith("unchanged"))
            db.session.commit()
        except ContentError as error:
            db.session.rollback()
            problems.append(error)
            continue
        lines.append(f"{label} {path.stem}: {outcome}")
    for row in db.session.execute(select(model).where(model.retired.is_(False))).scalars():
        if row.slug not in on_disk and not (guard and guard.keeps(kind, row.slug)):
            row.retired = True
            lines.append(f"{label} {row.slug}: retired (file removed)")
    db.session.commit()
    return lines, problems


class LoadGuard:
    """What a loader asks before and after writing an item; this one lets every file through.

    `holds` returns why an item's file must not be loaded now (or None), `keeps` whether an item
    without a file must stay published, and `loaded` hears of each item written, in its transaction.
    """

    def holds(self, kind: str, slug: str) -> str | None:
        return None

    def keeps(self, kind: str, slug: str) -> bool:
        return False

    def loaded(self, kind: str, slug: str, *, changed: bool) -> None:
        return None


def attach_translations(path, questions: list[dict], tables: dict, top_fields: tuple[str, ...]) -> dict:
    """Check translation tables against the questions and put each question's into question["translations"].

    Lists (options, pairs, items, labels) must keep the original's length: answers are stored by
    position, so a translation may reword an option but never add, drop or reorder one. Returns the
    translations of the top-level fields ({language: {field: text}}).
    """
    top = {}
    for language, table in tables.items():
        name = f"{path.stem}.{language}.toml"
        reader = TomlReader(name, table)
        top[language] = {field: reader.text(field, required=field == "title") for field in top_fields}
        given = table.get("questions", {})
        if not isinstance(given, dict):
            raise ContentError(name, "questions", _l("must be tables such as %(example)s", example="[questions.<key>]"))
        keys = {q["key"] for q in questions}
        for key in given:
            if key not in keys:
                raise ContentError(name, f"questions.{key}", _l("there is no question %(key)s in %(file)s",
                                                                key=repr(key), file=path.name))
        for question in questions:
            text = given.get(question["key"])
            if text is None:
                continue
            entry = {"text": TomlReader(name, text, f"questions.{question['key']}.").text("text")}
            for field in ("options", "pairs", "items", "labels"):
                if field in text:
                    if field not in question or not isinstance(text[field], list) or len(text[field]) != len(question[field]):
                        raise ContentError(name, f"questions.{question['key']}.{field}",
                                           _l("must have the original's %(count)s entries, in its order",
                                              count=len(question.get(field, []))))
                    entry[field] = text[field]
            for field in ("explanation", "help"):
                if isinstance(text.get(field), str) and text[field].strip():
                    entry[field] = text[field].strip()
            if question.get("type") == "short_text" and isinstance(text.get("accepted"), list):
                entry["accepted"] = [a.strip() for a in text["accepted"] if isinstance(a, str) and a.strip()]
                question["accepted"] = question["accepted"] + entry["accepted"]
            question.setdefault("translations", {})[language] = entry
    return top
