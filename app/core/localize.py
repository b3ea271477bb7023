"""Content in the reader's language: a translated field when the content has one, else the original.

Content (courses, lessons, quizzes, surveys) carries its translations in a `translations` mapping
(language -> fields), loaded from files beside the original (`01-lesson.kk.md`,
`quizzes/<slug>.ru.toml`). Progress, attempts and answers always belong to the original: a
translation changes only what is shown.
"""
from datetime import datetime

from babel.dates import get_timezone_location
from flask_babel import get_locale

from app.core.clock import to_local, to_utc, utcnow, zone as university_zone


def N_(message: str) -> str:
    """Mark a message for the catalogs without translating it now (it is translated when shown)."""
    return message


def titles_in_every_language(key: str, item) -> dict:
    """Notification parameters naming content: its original title under `key`, each translation's under
    `key.<language>` ({"title": "Integrity hour", "title.kk": "Адалдық сағаты", …})."""
    params = {key: item.title}
    for language, texts in sorted((getattr(item, "translations", None) or {}).items()):
        if (texts or {}).get("title"):
            params[f"{key}.{language}"] = texts["title"]
    return params


def language() -> str:
    return str(get_locale() or "en")


def translation(item) -> dict | None:
    """The item's fields in the reader's language, or None when it has none (or is in it already)."""
    translations = item.get("translations") if isinstance(item, dict) else getattr(item, "translations", None)
    if not translations:
        return None
    return translations.get(language())


def tr(item, field: str, default=None):
    """The field in the reader's language when translated, else the original's."""
    found = translation(item)
    if found and found.get(field):
        return found[field]
    if isinstance(item, dict):
        return item.get(field, default)
    return getattr(item, field, default)


def is_translated(item) -> bool:
    """True when the reader sees the item in their language (an original in English counts for English)."""
    original = item.get("language", "en") if isinstance(item, dict) else getattr(item, "language", "en")
    return language() == (original or "en") or translation(item) is not None


def localized_question(question: dict) -> dict:
    """A quiz or survey question with its text fields in the reader's language (keys and answers untouched)."""
    found = translation(question)
    if not found:
        return question
    merged = dict(question)
    for field in ("text", "options", "explanation", "pairs", "items", "help", "labels"):
        if found.get(field):
            merged[field] = found[field]
    return merged


def localized_checks(version) -> list[dict]:
    """A lesson's check questions in the reader's language, each with its original answer kept out of sight."""
    found = translation(version)
    if not found or len(found.get("checks", [])) != len(version.checks):
        return version.checks
    return [{**original, **{k: v for k, v in text.items() if v}} for original, text in zip(version.checks, found["checks"])]


def wave_title(wave) -> str:
    """A survey wave's title in the reader's language."""
    found = translation(wave.survey)
    return (found or {}).get("waves", {}).get(wave.key) or wave.title


def localized_criteria(contest) -> list[dict]:
    """A contest's rubric with titles and descriptions in the reader's language (keys, weights, scales kept)."""
    found = translation(contest)
    if not found:
        return contest.criteria
    texts = found.get("criteria", {})
    return [{**c, **{k: v for k, v in texts.get(c["key"], {}).items() if v}} for c in contest.criteria]


def localized_places(contest) -> list[dict]:
    found = translation(contest)
    if not found:
        return contest.places
    return [{**p, "prize": found.get("places", {}).get(str(p["place"])) or p["prize"]} for p in contest.places]


def format_day(value) -> str:
    """A date the reader's way: 2024-12-09 in English, 09.12.2024 in Kazakh and Russian.

    A stored moment (a UTC datetime) is first turned into the university's calendar day."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value).date()
    return value.isoformat()[:10] if language() == "en" else value.strftime("%d.%m.%Y")


def zone_offset(moment: datetime | None = None) -> str:
    """The university's offset from UTC at a moment (now by default): 'UTC+5', 'UTC+5:30', 'UTC'."""
    offset = to_local(moment or utcnow()).utcoffset()
    minutes = round(offset.total_seconds() / 60) if offset else 0
    if not minutes:
        return "UTC"
    sign, minutes = ("+" if minutes > 0 else "-"), abs(minutes)
    return f"UTC{sign}{minutes // 60}" + (f":{minutes % 60:02d}" if minutes % 60 else "")


def zone_label() -> str:
    """The time zone that forms take and pages show times in: 'Asia/Almaty, UTC+5'."""
    return f"{university_zone().key}, {zone_offset()}"


def zone_city() -> str:
    """The place the university's time is named after, in the reader's language, for a form's labels:
    'Almaty' ('Алматы' in Kazakh and Russian) for Asia/Almaty — whatever zone TIME_ZONE configures."""
    return get_timezone_location(university_zone().key, locale=language(), return_city=True)


def format_moment(value, zone: bool = False) -> str:
    """A stored UTC moment as the university's wall-clock time, the reader's way, to the minute;
    with `zone`, followed by the offset ('2024-12-09 10:00 (UTC+5)') where a reader elsewhere
    could mistake it."""
    if value is None:
        return ""
    local = to_local(value)
    text = local.strftime("%Y-%m-%d %H:%M" if language() == "en" else "%d.%m.%Y %H:%M")
    return f"{text} ({zone_offset(value)})" if zone else text


def format_clock(value) -> str:
    """Only the university's wall-clock time of a stored UTC moment: '13:00'."""
    return "" if value is None else to_local(value).strftime("%H:%M")


# The one conversion of every form in which a person types a date and time (a datetime-local input):
# the field shows the stored UTC moment on the university's clock and what is typed is read on it.

def local_input(value) -> str:
    """A stored UTC moment as the value of a datetime-local input, in the university's time."""
    return "" if value is None else to_local(value).strftime("%Y-%m-%dT%H:%M")


def from_local_input(text: str) -> datetime:
    """A datetime-local value typed in the university's time, as the naive UTC moment we store (to the minute).

    Raises ValueError when the text is not a date and time (or one so far off that UTC has no such moment)."""
    typed = datetime.fromisoformat(text.strip()).replace(second=0, microsecond=0)
    try:
        return to_utc(typed)
    except OverflowError:                       # 0001-01-01T00:00 east of Greenwich
        raise ValueError(f"{text!r} is out of range") from None
