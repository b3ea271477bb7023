"""Read contests/<slug>.toml and write contests into the database (idempotent)."""
import hashlib
import re
from datetime import datetime
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.contests.models import KINDS, MAX_FILE_MB, Contest
from app.core import markdown
from app.core.clock import now, utcnow
from app.core.content import read_translation_files, ContentError, TomlReader, load_files, parse_toml
from app.extensions import db

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _moment(path, data, key) -> datetime:
    value = data.get(key)
    if isinstance(value, datetime) and value.tzinfo is None:
        return value
    raise ContentError(path, key, _l("must be a local date and time such as %(example)s (UTC)",
                                     example="2024-10-01T09:00:00"))


def read_contest(path: Path) -> dict:
    """Parse and validate one contest file; raise ContentError on the first problem."""
    raw = path.read_bytes()
    data = parse_toml(path, raw)
    if not SLUG.match(path.stem):
        raise ContentError(path, "", _l("a contest file name must be lower-case words joined by hyphens"))
    reader = TomlReader(path, data)
    kind = reader.text("kind")
    if kind not in KINDS:
        raise ContentError(path, "kind", _l("must be one of %(options)s", options=", ".join(KINDS)))
    spec = {
        "slug": path.stem, "title": reader.text("title"), "kind": kind,
        "activity_code": reader.text("activity", required=False),
        "brief": reader.text("brief"), "brief_html": markdown.render(reader.text("brief"))[0],
        "submissions_open": _moment(path, data, "submissions_open"),
        "submissions_close": _moment(path, data, "submissions_close"),
        "judging_close": _moment(path, data, "judging_close"),
        "results_on": reader.day("results_on", required=False),
        "eligibility": reader.text("eligibility", required=False, default="students"),
        "entries_per_person": reader.integer("entries_per_person", required=False, default=1, minimum=1),
        "language": reader.text("language", required=False, default="any"),
        "min_words": reader.integer("min_words", required=False, default=0, minimum=0),
        "max_words": reader.integer("max_words", required=False, default=0, minimum=0),
        "max_file_mb": reader.integer("max_file_mb", required=False, default=MAX_FILE_MB, minimum=1),
        "jurors_per_entry": reader.integer("jurors_per_entry", required=False, default=3, minimum=1),
        "normalisation": reader.text("normalisation", required=False, default="none"),
        "xp": reader.integer("xp", required=False, default=0, minimum=0),
        "digest": hashlib.sha256(raw).hexdigest(),
    }
    if not spec["submissions_open"] < spec["submissions_close"] <= spec["judging_close"]:
        raise ContentError(path, "submissions_close", _l("the windows must run: %(order)s",
                                                      order="submissions_open < submissions_close ≤ judging_close"))
    if spec["results_on"] is not None and spec["results_on"] < spec["judging_close"].date():
        raise ContentError(path, "results_on", _l("must not be before %(key)s", key="judging_close"))
    if spec["eligibility"] not in ("students", "everyone"):
        raise ContentError(path, "eligibility", _l("must be %(first)s or %(second)s",
                                                   first="students", second="everyone"))
    if spec["normalisation"] not in ("none", "zscore"):
        raise ContentError(path, "normalisation", _l("must be %(first)s or %(second)s", first="none", second="zscore"))
    if spec["max_file_mb"] > MAX_FILE_MB:
        raise ContentError(path, "max_file_mb", _l("must be at most %(maximum)s (the platform's upload limit)",
                                                  maximum=MAX_FILE_MB))
    if spec["max_words"] and spec["max_words"] < spec["min_words"]:
        raise ContentError(path, "max_words", _l("must not be below %(key)s", key="min_words"))
    criteria, keys = [], set()
    for index, item in enumerate(data.get("criteria", [])):
        c = TomlReader(path, item, f"criteria[{index}].")
        key = c.text("key")
        if key in keys or not SLUG.match(key):
            raise ContentError(path, c.key_name("key"), _l("must be unique lower-case words joined by hyphens"))
        keys.add(key)
        weight = item.get("weight", 1)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight <= 0:
            raise ContentError(path, c.key_name("weight"), _l("must be a positive number"))
        criteria.append({"key": key, "title": c.text("title"), "description": c.text("description", required=False),
                         "weight": weight, "scale": c.integer("scale", minimum=1)})
    if not criteria:
        raise ContentError(path, "criteria", _l("the rubric needs at least one %(table)s entry", table="[[criteria]]"))
    places = []
    for index, item in enumerate(data.get("places", [])):
        p = TomlReader(path, item, f"places[{index}].")
        places.append({"place": p.integer("place", minimum=1), "prize": p.text("prize", required=False)})
    if [p["place"] for p in places] != list(range(1, len(places) + 1)):
        raise ContentError(path, "places", _l("must list places 1, 2, 3 … in order"))
    spec["criteria"], spec["places"] = criteria, places
    tables, translated_raw = read_translation_files(path)
    spec["translations"] = {language: _translation(path, language, table, criteria, places)
                            for language, table in tables.items()}
    if translated_raw:
        spec["digest"] = hashlib.sha256(raw + translated_raw).hexdigest()
    return spec


def _translation(path: Path, language: str, table: dict, criteria: list[dict], places: list[dict]) -> dict:
    """A contest's texts in another language (`<slug>.<language>.toml`); rules and weights stay in the original."""
    name = f"{path.stem}.{language}.toml"
    reader = TomlReader(name, table)
    given_criteria, given_places = table.get("criteria", {}), table.get("places", {})
    if not isinstance(given_criteria, dict) or not isinstance(given_places, dict):
        raise ContentError(name, "criteria", _l("criteria and places are tables: %(example)s",
                                                example="[criteria.<key>], [places.<n>]"))
    keys = {c["key"] for c in criteria}
    for key in given_criteria:
        if key not in keys:
            raise ContentError(name, f"criteria.{key}", _l("there is no criterion %(key)s in %(file)s",
                                                           key=repr(key), file=path.name))
    texts = {}
    for key, value in given_criteria.items():
        r = TomlReader(name, value if isinstance(value, dict) else {}, f"criteria.{key}.")
        texts[key] = {"title": r.text("title"), "description": r.text("description", required=False)}
    prizes = {}
    for number, value in given_places.items():
        if not number.isdigit() or int(number) not in {p["place"] for p in places}:
            raise ContentError(name, f"places.{number}", _l("there is no place %(number)s in %(file)s", number=number,
                                                                     file=path.name))
        prizes[number] = TomlReader(name, value if isinstance(value, dict) else {}, f"places.{number}.").text("prize")
    brief = reader.text("brief", required=False)
    return {"title": reader.text("title"), "brief": brief, "brief_html": markdown.render(brief)[0] if brief else "",
            "criteria": texts, "places": prizes}


def scoring(criteria: list[dict], normalisation: str) -> tuple:
    """What of a rubric a score depends on: each criterion's key, weight and scale, and the normalisation.

    A juror's total is T = 100 · Σ w_c·v_c/S_c / Σ w_c (see aggregate.py); titles and descriptions
    do not enter it.
    """
    return sorted((c["key"], c["weight"], c["scale"]) for c in criteria), normalisation


def apply_contest(spec: dict) -> str:
    contest = db.session.execute(select(Contest).where(Contest.slug == spec["slug"])).scalar_one_or_none()
    if contest is not None and contest.source_digest == spec["digest"] and not contest.retired:
        if not contest.brief:   # loaded before the brief's Markdown was kept: keep it now (the same text)
            contest.brief = spec["brief"]
            contest.translations = {language: {**text, "brief": spec["translations"].get(language, {}).get("brief", "")}
                                    for language, text in (contest.translations or {}).items()}
        return "unchanged"
    created = contest is None
    if created:
        contest = Contest(slug=spec["slug"])
        db.session.add(contest)
    elif contest.published_at is not None and (contest.criteria != spec["criteria"]):
        raise ContentError(spec["slug"] + ".toml", "criteria",
                           _l("the rubric of a contest with published results cannot change"))
    elif now() >= contest.submissions_open and scoring(contest.criteria, contest.normalisation) != scoring(
            spec["criteria"], spec["normalisation"]):
        raise ContentError(spec["slug"] + ".toml", "criteria",
                           _l("entries have opened: the criteria's keys, weights and scales and the normalisation "
                              "can no longer change, since the jurors' scores would change with them"))
    for name, value in spec.items():
        if name != "digest" and name != "slug":
            setattr(contest, name, value)
    contest.source_digest, contest.retired, contest.loaded_at = spec["digest"], False, utcnow()
    return "created" if created else "updated"


def load_contests(folder: Path, guard=None) -> tuple[list[str], list[ContentError]]:
    """Load every contests/*.toml; a broken file is reported and loads nothing, the others load."""
    return load_files(folder, read_contest, apply_contest, Contest, "contest", kind="contest", guard=guard)
