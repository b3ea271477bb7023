"""The languages every editor writes a text in, side by side, and how a field is named in each.

An item's own text is English (language "", field `title`); its Kazakh and Russian translations are the content
files' translation languages (`title-kk`, `title-ru`).
"""
from app.core.content import TRANSLATION_LANGUAGES

TRANSLATIONS = TRANSLATION_LANGUAGES
LANGUAGES = ("", *TRANSLATIONS)       # "": the item's own text (English)
LANGUAGE_NAMES = {"": "English", "kk": "Қазақша", "ru": "Русский"}


def template_languages() -> dict:
    """The languages as the editors' pages name them (a context processor of the authoring and plan-year pages)."""
    return {"editor_languages": LANGUAGES, "translation_languages": TRANSLATIONS, "language_names": LANGUAGE_NAMES}


def name(base: str, language: str) -> str:
    """The form field of `base` in `language` (`title`, `title-kk`)."""
    return f"{base}-{language}" if language else base
