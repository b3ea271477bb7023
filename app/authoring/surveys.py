"""The survey editor's rules: a survey's fields, its files, and publishing them through the survey loader.

A survey is edited as a flat set of fields (`title`, `title-kk`, `wave-0-opens`, `q-2-options-ru`…).
Publishing writes the survey as its content files in a scratch folder and reads them back with
`read_survey`, then stores them with `apply_survey` — the file door's own checks, including the
rule that a question that already has answers keeps its type and options. A problem comes back as
a ContentError that `field_for` puts at its field.
"""
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import tomli_w
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.audit import service as audit
from app.authoring import files as content_files
from app.authoring.languages import TRANSLATIONS, name
from app.authoring.models import BROWSER, ContentDraft, ContentRevision
from app.authoring.service import drop_draft, find_draft, keep_draft, record_revision
from app.core.content import ANSWERED, ContentError
from app.extensions import db
from app.people.models import User
from app.surveys.loader import SLUG, answers_would_change, apply_survey, read_survey
from app.surveys.models import Survey, SurveyTaker, SurveyWave

TOP_TEXTS = ("title", "description")
QUESTION_TEXTS = ("text", "help", "options", "labels")       # translated, side by side
QUESTION_PARTS = ("key", "type", "required", "points", *QUESTION_TEXTS)
WAVE_PARTS = ("key", "title", "opens", "closes")
FIELD = re.compile(r"^(slug|activity|(title|description)(-(kk|ru))?|wave-\d{1,2}-(key|opens|closes|title(-(kk|ru))?)"
                   r"|q-\d{1,2}-(key|type|required|points|(text|help|options|labels)(-(kk|ru))?))$")
LOCKED = _l("This question already has answers, which are stored by option number: its type, options and "
            "points cannot change. Add a new question instead.")


def survey_by_slug(slug: str) -> Survey | None:
    return db.session.execute(select(Survey).options(selectinload(Survey.waves)).where(
        Survey.slug == slug, Survey.retired.is_(False))).scalar()


def has_answers(survey: Survey | None) -> bool:
    """Whether anyone has answered any wave of the survey (its questions' options are then fixed)."""
    if survey is None or survey.id is None:
        return False
    return bool(db.session.scalar(select(func.count()).select_from(SurveyTaker).join(SurveyWave).where(
        SurveyWave.survey_id == survey.id)))


def locked_keys(survey: Survey | None) -> set[str]:
    """The keys of the questions whose type and options cannot change any more."""
    return {q["key"] for q in survey.questions} if has_answers(survey) else set()


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def fields_of(survey: Survey) -> dict[str, str]:
    """The editor's fields for a survey as published."""
    fields = {"slug": survey.slug, "title": survey.title, "description": survey.description,
              "activity": survey.activity_code}
    translations = survey.translations or {}
    for language, text in translations.items():
        for part in TOP_TEXTS:
            fields[name(part, language)] = text.get(part, "")
    for index, wave in enumerate(sorted(survey.waves, key=lambda w: (w.opens_on, w.key))):
        fields.update({f"wave-{index}-key": wave.key, f"wave-{index}-title": wave.title,
                       f"wave-{index}-opens": wave.opens_on.isoformat(), f"wave-{index}-closes": wave.closes_on.isoformat()})
        for language, text in translations.items():
            title = (text.get("waves") or {}).get(wave.key)
            if title:
                fields[f"wave-{index}-title-{language}"] = title
    for index, question in enumerate(survey.questions):
        prefix = f"q-{index}-"
        fields.update({prefix + "key": question["key"], prefix + "type": question["type"], prefix + "text": question["text"],
                       prefix + "required": "on" if question.get("required") else "",
                       prefix + "help": question.get("help", ""),
                       prefix + "options": "\n".join(question.get("options", [])),
                       prefix + "labels": "\n".join(question.get("labels", [])),
                       prefix + "points": str(question.get("points", "")) if question["type"] == "scale" else ""})
        for language, text in (question.get("translations") or {}).items():
            for part in QUESTION_TEXTS:
                value = text.get(part)
                if value:
                    fields[name(prefix + part, language)] = "\n".join(value) if isinstance(value, list) else value
    return fields


def fields_from(form) -> dict[str, str]:
    """The editor's fields from a submitted form (anything else in it is ignored)."""
    return {key: form.get(key, "").replace("\r\n", "\n") for key in form if FIELD.match(key)}


def _count(fields: dict[str, str], prefix: str, ignore: tuple[str, ...] = ()) -> int:
    used = [int(key.split("-")[1]) for key, value in fields.items()
            if key.startswith(prefix) and value.strip() and key.split("-")[2] not in ignore]
    return max(used) + 1 if used else 0


def question_count(fields: dict[str, str]) -> int:
    """How many questions the fields hold (a question's type and "required" alone do not make one)."""
    return _count(fields, "q-", ("type", "required"))


def wave_count(fields: dict[str, str]) -> int:
    return _count(fields, "wave-")


def _blank(fields: dict[str, str], prefix: str, parts: tuple[str, ...]) -> bool:
    return not any(value.strip() for key, value in fields.items()
                   if key.startswith(prefix) and key[len(prefix):].split("-")[0] in parts)


def _unique_key(base: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-")[:40].strip("-") or "question"
    key, number = base, 2
    while key in taken:
        key, number = f"{base}-{number}", number + 1
    return key


def survey_files(fields: dict[str, str], seeds: dict[str, dict], problems: dict[str, str]) -> dict[str, str]:
    """The survey's files (quizzes/<slug>.toml and a .kk / .ru file for each language written)."""
    slug = fields.get("slug", "").strip()
    if not SLUG.match(slug):
        problems["slug"] = _l("Use lower-case words joined by hyphens, such as perception-survey-2025-2026.")
    top = {"kind": "survey", "title": fields.get("title", "").strip()}
    for key, source in (("description", "description"), ("activity", "activity")):
        if fields.get(source, "").strip():
            top[key] = fields[source].strip()
    waves, wave_keys = [], []
    for index in range(wave_count(fields)):
        prefix = f"wave-{index}-"
        if _blank(fields, prefix, WAVE_PARTS):
            wave_keys.append("")
            continue
        key = fields.get(prefix + "key", "").strip() or _unique_key(f"wave-{index + 1}", set(wave_keys))
        fields[prefix + "key"] = key
        wave = {"key": key, "title": fields.get(prefix + "title", "").strip()}
        for part in ("opens", "closes"):
            try:
                wave[part] = date.fromisoformat(fields.get(prefix + part, "").strip())
            except ValueError:
                problems[prefix + part] = _l("Write a date such as 2025-10-01.")
        waves.append(wave)
        wave_keys.append(key)
    top["waves"] = waves
    questions, keys = [], []
    for index in range(question_count(fields)):
        prefix = f"q-{index}-"
        if _blank(fields, prefix, ("key", *QUESTION_TEXTS)):
            keys.append("")
            continue
        kind = fields.get(prefix + "type", "single")
        key = fields.get(prefix + "key", "").strip() or _unique_key(fields.get(prefix + "text", ""), set(keys))
        fields[prefix + "key"] = key
        entry = {"key": key, "type": kind, "text": fields.get(prefix + "text", "").strip(),
                 "required": fields.get(prefix + "required") == "on"}
        if fields.get(prefix + "help", "").strip():
            entry["help"] = fields[prefix + "help"].strip()
        if kind in ("single", "multiple"):
            entry["options"] = _lines(fields.get(prefix + "options", ""))
            seed = seeds.get(key)
            if seed and len(seed["percent"]) == len(entry["options"]):
                entry["seed"] = {"source": seed["source"], "percent": [False if p is None else p for p in seed["percent"]]}
        elif kind == "scale":
            entry["labels"] = _lines(fields.get(prefix + "labels", ""))
            try:
                entry["points"] = int(fields.get(prefix + "points", "").strip() or "5")
            except ValueError:
                problems[prefix + "points"] = _l("Write a whole number from 3 to 7.")
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
            prefix = f"q-{index}-"
            entry = {}
            for part in QUESTION_TEXTS:
                value = fields.get(name(prefix + part, language), "")
                if value.strip():
                    entry[part] = _lines(value) if part in ("options", "labels") else value.strip()
            if key and entry:
                given[key] = entry
        if given:
            table["questions"] = given
        titles = {key: {"title": fields[f"wave-{index}-title-{language}"].strip()} for index, key in enumerate(wave_keys)
                  if key and fields.get(f"wave-{index}-title-{language}", "").strip()}
        if titles:
            table["waves"] = titles
        files[f"quizzes/{slug}.{language}.toml"] = tomli_w.dumps(table)
    return files


def field_for(error: ContentError, fields: dict[str, str]) -> str:
    """The editor field a survey loader's ContentError is about."""
    match = re.search(r"\.(kk|ru)\.toml$", error.path)
    language = match[1] if match else ""
    index_of = {fields.get(f"q-{i}-key"): i for i in range(question_count(fields))}
    found = re.match(r"^questions\[(\d+)\](?: \([^)]*\))?\.(\w+)", error.key)
    if found:
        part = found[2] if found[2] in QUESTION_PARTS else "options"
        return f"q-{found[1]}-{part}"
    found = re.match(r"^questions \(([^)]+)\)$", error.key)           # the rule of answered questions
    if found and found[1] in index_of:
        return f"q-{index_of[found[1]]}-options"
    found = re.match(r"^questions\.([a-z0-9-]+)\.(\w+)", error.key)    # a translation's question
    if found and found[1] in index_of:
        part = found[2] if found[2] in QUESTION_TEXTS else "text"
        return name(f"q-{index_of[found[1]]}-{part}", language)
    found = re.match(r"^waves\[(\d+)\]\.(\w+)", error.key)
    if found:
        part = found[2] if found[2] in WAVE_PARTS else "title"
        return f"wave-{found[1]}-{part}"
    if error.key == "waves":
        return "wave-0-opens"
    if error.key == "questions":
        return "q-0-text"
    if error.key in TOP_TEXTS:
        return name(error.key, language)
    return "slug" if not error.key else name("title", language)


def _entry_of(fields: dict[str, str], index: int) -> dict:
    """The type, options and scale points a question's fields give (what its stored answers depend on)."""
    prefix = f"q-{index}-"
    entry = {"type": fields.get(prefix + "type", "single")}
    if entry["type"] in ("single", "multiple"):
        entry["options"] = _lines(fields.get(prefix + "options", ""))
    if entry["type"] == "scale":
        points = fields.get(prefix + "points", "").strip() or "5"
        entry["points"] = int(points) if points.isdigit() else points
    return entry


@dataclass
class Outcome:
    revision: ContentRevision | None = None
    problems: dict[str, str] = field(default_factory=dict)
    spec: dict | None = None


def _seeds(survey: Survey | None) -> dict[str, dict]:
    return {q["key"]: q["seed"] for q in (survey.questions if survey else []) if q.get("seed")}


def check(fields: dict[str, str], survey: Survey | None) -> Outcome:
    """Read the fields with the survey loader's checks, storing nothing: the spec, or the problems by field."""
    problems: dict[str, str] = {}
    if survey is not None:
        fields["slug"] = survey.slug
    files = survey_files(fields, _seeds(survey), problems)
    locked = locked_keys(survey)
    for index in range(question_count(fields)):
        key = fields.get(f"q-{index}-key", "")
        if key in locked and not _blank(fields, f"q-{index}-", ("key", *QUESTION_TEXTS)) \
                and answers_would_change(survey.question(key), _entry_of(fields, index)):
            problems[f"q-{index}-options"] = LOCKED
    if problems:
        return Outcome(problems=problems)
    with content_files.scratch_folder() as scratch:
        content_files.write_files(Path(scratch), files)
        try:
            spec = read_survey(Path(scratch) / f"quizzes/{fields['slug'].strip()}.toml")
        except ContentError as error:
            return Outcome(problems={field_for(error, fields): error.problem})
    return Outcome(spec=spec)


def publish(survey: Survey | None, fields: dict[str, str], *, author: User, now: datetime) -> Outcome:
    """Publish a new or edited survey; on bad input return the problems by field and change nothing."""
    if survey is None and db.session.execute(select(Survey.id).where(Survey.slug == fields.get("slug", "").strip())).first():
        return Outcome(problems={"slug": _l("Another survey already has this name.")})
    outcome = check(fields, survey)
    if outcome.problems:
        return outcome
    slug = outcome.spec["slug"]
    try:
        with db.session.begin_nested():
            apply_survey(outcome.spec)
            db.session.flush()
    except ContentError as error:
        return Outcome(problems={field_for(error, fields): LOCKED if error.code == ANSWERED
                                 else error.problem})
    stored = db.session.execute(select(Survey).where(Survey.slug == slug)).scalar_one()
    db.session.expire(stored, ["waves"])
    revision = record_revision("survey", slug, origin=BROWSER, author=author, now=now)
    if revision is not None:
        audit.record("content.published", actor=author, subject=f"survey:{slug}",
                     payload={"revision": revision.number, "origin": BROWSER}, now=now)
    discard_draft(slug if survey else "")
    return Outcome(revision=revision, spec=outcome.spec)


def add_question_from(fields: dict[str, str], index: int, survey: Survey | None) -> dict[str, str]:
    """Offer "add a new question" for an answered one: a copy with a new key takes the changed options,
    and the answered question gets its published options back."""
    fields = dict(fields)
    prefix, target = f"q-{index}-", f"q-{question_count(fields)}-"
    taken = {fields.get(f"q-{i}-key", "") for i in range(question_count(fields))}
    for key, value in list(fields.items()):
        if key.startswith(prefix):
            fields[target + key[len(prefix):]] = value
    fields[target + "key"] = _unique_key(f"{fields.get(prefix + 'key', 'question')}-new", taken)
    for language in TRANSLATIONS:      # translated options that no longer match are left to translate again
        for part in ("options", "labels"):
            if len(_lines(fields.get(name(target + part, language), ""))) != len(_lines(fields.get(target + part, ""))):
                fields[name(target + part, language)] = ""
    published = survey.question(fields.get(prefix + "key", "")) if survey else None
    if published:
        for key, value in fields_of_question(published, index).items():
            fields[key] = value
    return fields


def fields_of_question(question: dict, index: int) -> dict[str, str]:
    prefix = f"q-{index}-"
    values = {prefix + "type": question["type"], prefix + "options": "\n".join(question.get("options", [])),
              prefix + "labels": "\n".join(question.get("labels", [])),
              prefix + "points": str(question.get("points", "")) if question["type"] == "scale" else ""}
    for language, text in (question.get("translations") or {}).items():
        for part in ("options", "labels"):
            values[name(prefix + part, language)] = "\n".join(text.get(part, []))
    return values


def untranslated(fields: dict[str, str]) -> dict[str, list[str]]:
    """Per translation language, the texts written in the original but empty in it."""
    texts = [key for key, value in fields.items() if value.strip() and not key.endswith(("-kk", "-ru"))
             and (key in TOP_TEXTS or re.match(r"^(wave-\d+-title|q-\d+-(text|help|options|labels))$", key))]
    return {language: [key for key in texts if not fields.get(name(key, language), "").strip()]
            for language in TRANSLATIONS}


# Drafts ------------------------------------------------------------------------------------------

def draft_key(slug: str) -> str:
    return slug or "(new)"


def load_draft(slug: str) -> ContentDraft | None:
    return find_draft("survey", draft_key(slug))


def save_draft(slug: str, fields: dict[str, str], *, author: User, now: datetime) -> ContentDraft:
    """Keep what is being written, valid or not, until it is published or discarded."""
    return keep_draft("survey", draft_key(slug), fields, author=author, now=now)


def discard_draft(slug: str) -> None:
    drop_draft("survey", draft_key(slug))


@dataclass
class Preview:
    """What a student sees: the survey's title, description, its open wave and its questions."""

    language: str
    title: str
    description: str
    translations: dict
    questions: list[dict]
    wave: dict | None


def preview(spec: dict, language: str, today: date) -> Preview:
    """The survey as a student will see it in `language` (the wave open today, else the next or the last)."""
    waves = sorted(spec["waves"], key=lambda w: w["opens_on"])
    wave = next((w for w in waves if w["opens_on"] <= today <= w["closes_on"]), None) \
        or next((w for w in waves if w["opens_on"] > today), None) or (waves[-1] if waves else None)
    if wave is not None:
        title = (spec["translations"].get(language, {}).get("waves") or {}).get(wave["key"]) or wave["title"]
        wave = {**wave, "shown_title": title}
    return Preview(language, spec["title"], spec["description"], spec.get("translations", {}), spec["questions"], wave)

