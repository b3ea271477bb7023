"""Content in the reader's language: a translated field when the content has one, else the original.

Content (courses, lessons, quizzes, surveys) carries its translations in a `translations` mapping
(language -> fields), loaded from files beside the original (`01-lesson.kk.md`,
`quizzes/<slug>.ru.toml`). Progress, attempts and answers always belong to the original: a
translation changes only what is shown.
"""
from flask_babel import get_locale


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
    """A date the reader's way: 2024-12-09 in English, 09.12.2024 in Kazakh and Russian."""
    if value is None:
        return ""
    return value.isoformat()[:10] if language() == "en" else value.strftime("%d.%m.%Y")


def format_moment(value) -> str:
    """A date and time the reader's way (UTC, to the minute)."""
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d %H:%M" if language() == "en" else "%d.%m.%Y %H:%M")
