"""Read quizzes/<slug>.toml files with kind = "survey" and write surveys and their waves.

A survey file names its plan activity, its waves (each with an opening and a closing date) and
its questions: `single` and `multiple` choice, `scale` (a Likert scale of 3 to 7 points with
labels for its ends) and `text` (free text, public only once a moderator releases it). A question
may carry `seed`: the figures of an earlier survey to compare with, per option.
Once a wave has responses, the options of its questions can no longer change (the answers are
stored by option number); add a question with a new key instead.
"""
import hashlib
import re
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.core.clock import utcnow
from app.core.content import (ANSWERED, ContentError, TomlReader, attach_translations, load_files, parse_toml,
                              read_translation_files)
from app.extensions import db
from app.surveys.models import Survey, SurveyTaker, SurveyWave

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TYPES = ("single", "multiple", "scale", "text")


def _question(path, index: int, raw: dict) -> dict:
    if not isinstance(raw, dict):
        raise ContentError(path, f"questions[{index}]", _l("must be a table"))
    reader = TomlReader(path, raw, f"questions[{index}].")
    key = reader.text("key")
    if not SLUG.match(key):
        raise ContentError(path, reader.key_name("key"), _l("must be lower-case words joined by hyphens"))
    reader.prefix = f"questions[{index}] ({key})."
    kind = reader.text("type")
    if kind not in TYPES:
        raise ContentError(path, reader.key_name("type"), _l("must be one of %(options)s", options=", ".join(TYPES)))
    required = raw.get("required", kind != "text")
    if not isinstance(required, bool):
        raise ContentError(path, reader.key_name("required"), _l("must be %(first)s or %(second)s",
                                                                 first="true", second="false"))
    question = {"key": key, "type": kind, "text": reader.text("text"), "required": required,
                "help": reader.text("help", required=False)}
    if kind in ("single", "multiple"):
        options = raw.get("options")
        if (not isinstance(options, list) or len(options) < 2
                or not all(isinstance(o, str) and o.strip() for o in options)):
            raise ContentError(path, reader.key_name("options"), _l("must list at least %(minimum)s options as text",
                                                                    minimum=2))
        if len({o.strip() for o in options}) != len(options):
            raise ContentError(path, reader.key_name("options"), _l("must not repeat an option"))
        question["options"] = [o.strip() for o in options]
    elif kind == "scale":
        points = reader.integer("points", required=False, default=5, minimum=3)
        if points > 7:
            raise ContentError(path, reader.key_name("points"), _l("must be at most %(maximum)s", maximum=7))
        labels = raw.get("labels")
        if not isinstance(labels, list) or len(labels) != 2 or not all(isinstance(x, str) and x.strip() for x in labels):
            raise ContentError(path, reader.key_name("labels"),
                               _l("must give two labels: the lowest and the highest point"))
        question["points"], question["labels"] = points, [x.strip() for x in labels]
    seed = raw.get("seed")
    if seed is not None:
        seed_reader = TomlReader(path, seed if isinstance(seed, dict) else {}, f"{reader.prefix}seed.")
        if kind not in ("single", "multiple") or not isinstance(seed, dict):
            raise ContentError(path, reader.key_name("seed"),
                               _l("is a table, for single and multiple choice questions"))
        figures = seed.get("percent")
        if (not isinstance(figures, list) or len(figures) != len(question["options"])
                or not all(f is False or (isinstance(f, (int, float)) and not isinstance(f, bool) and 0 <= f <= 100)
                           for f in figures)):
            raise ContentError(path, seed_reader.key_name("percent"),
                               _l("must give one percentage (0-100) per option, or false where the source has none"))
        question["seed"] = {"source": seed_reader.text("source"),
                            "percent": [None if f is False else float(f) for f in figures]}
    return question


def answers_would_change(old: dict, new: dict) -> bool:
    """Whether `new` changes what the stored answers of question `old` mean (its type, options or scale)."""
    return (old["type"] != new["type"] or old.get("options", []) != new.get("options", [])
            or old.get("points") != new.get("points"))


def read_survey(path: Path) -> dict:
    """Parse and validate one survey file; raise ContentError on the first problem."""
    raw = path.read_bytes()
    data = parse_toml(path, raw)
    if not SLUG.match(path.stem):
        raise ContentError(path, "", _l("a survey file name must be lower-case words joined by hyphens"))
    reader = TomlReader(path, data)
    if data.get("kind") != "survey":
        raise ContentError(path, "kind", _l('must be "survey"'))
    waves, questions = data.get("waves"), data.get("questions")
    if not isinstance(waves, list) or not waves:
        raise ContentError(path, "waves", _l("must list at least one wave (%(example)s)",
                                             example="[[waves]] with key, title, opens, closes"))
    if not isinstance(questions, list) or not questions:
        raise ContentError(path, "questions", _l("must list at least one question"))
    spec = {"slug": path.stem, "title": reader.text("title"), "description": reader.text("description", required=False),
            "activity_code": reader.text("activity", required=False), "digest": hashlib.sha256(raw).hexdigest(),
            "waves": [], "questions": [_question(path, i, q) for i, q in enumerate(questions)]}
    keys = [q["key"] for q in spec["questions"]]
    if len(set(keys)) != len(keys):
        raise ContentError(path, "questions", _l("two questions share a key"))
    for index, wave in enumerate(waves):
        wave_reader = TomlReader(path, wave if isinstance(wave, dict) else {}, f"waves[{index}].")
        key = wave_reader.text("key")
        if not SLUG.match(key):
            raise ContentError(path, wave_reader.key_name("key"), _l("must be lower-case words joined by hyphens"))
        opens, closes = wave_reader.day("opens"), wave_reader.day("closes")
        if closes < opens:
            raise ContentError(path, wave_reader.key_name("closes"), _l("must not be before %(key)s", key="opens"))
        spec["waves"].append({"key": key, "title": wave_reader.text("title"), "opens_on": opens, "closes_on": closes})
    if len({w["key"] for w in spec["waves"]}) != len(spec["waves"]):
        raise ContentError(path, "waves", _l("two waves share a key"))
    tables, translated_raw = read_translation_files(path)
    spec["translations"] = attach_translations(path, spec["questions"], tables, ("title", "description"))
    for language, table in tables.items():
        spec["translations"][language]["waves"] = {
            key: value["title"] for key, value in (table.get("waves") or {}).items()
            if isinstance(value, dict) and isinstance(value.get("title"), str)}
    if translated_raw:
        spec["digest"] = hashlib.sha256(raw + translated_raw).hexdigest()
    return spec


def apply_survey(spec: dict) -> str:
    """Create or update the survey and its waves in the current transaction."""
    path = f"quizzes/{spec['slug']}.toml"
    survey = db.session.execute(select(Survey).where(Survey.slug == spec["slug"])).scalar_one_or_none()
    created = survey is None
    if created:
        survey = Survey(slug=spec["slug"])
        db.session.add(survey)
    elif survey.source_digest == spec["digest"] and not survey.retired:
        return "unchanged"
    else:
        # Takers, not written responses: answers still sealed in the pool are stored by option number too.
        answered = db.session.scalar(select(func.count()).select_from(SurveyTaker).join(SurveyWave).where(
            SurveyWave.survey_id == survey.id))
        if answered:
            before = {q["key"]: q for q in survey.questions}
            for question in spec["questions"]:
                old = before.get(question["key"])
                if old and answers_would_change(old, question):
                    raise ContentError(path, f"questions ({question['key']})",
                                       _l("already has answers: its type and options cannot change; "
                                          "add a new question"),
                                       code=ANSWERED)
    survey.title, survey.description = spec["title"], spec["description"]
    survey.activity_code, survey.questions = spec["activity_code"], spec["questions"]
    survey.source_digest, survey.retired, survey.loaded_at = spec["digest"], False, utcnow()
    survey.translations = spec.get("translations", {})
    db.session.flush()
    existing = {w.key: w for w in db.session.execute(select(SurveyWave).where(SurveyWave.survey_id == survey.id)).scalars()}
    for wave in spec["waves"]:
        row = existing.get(wave["key"]) or SurveyWave(survey_id=survey.id, key=wave["key"])
        row.title, row.opens_on, row.closes_on = wave["title"], wave["opens_on"], wave["closes_on"]
        db.session.add(row)
    return "created" if created else "updated"


def load_surveys(folder: Path, guard=None) -> tuple[list[str], list[ContentError]]:
    """Load every survey file in quizzes/; a broken file is reported and loads nothing."""
    return load_files(folder, read_survey, lambda spec: f"{apply_survey(spec)} ({len(spec['questions'])} questions, "
                      f"{len(spec['waves'])} waves)", Survey, "survey", only="survey", kind="survey", guard=guard)
