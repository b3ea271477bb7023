"""Every user-facing string goes through gettext, and the catalogs translate all of them."""
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.snapshots import held, shared_folder

APP = Path(__file__).resolve().parent.parent / "app"
# What may stand in a template outside gettext: abbreviations, codes and examples of file formats.
ALLOWED = {
    "UTC", "XP", "PDF", "PNG", "XXXX-XXXX-XXXX", "ABCD-EF23", "https://www.tiktok.com/@account/video/…",
    "https://www.tiktok.com/@name/video/1234567890", "–   UTC", "· quizzes/ .toml",
    "email,full_name,faculty,group,roles", "a.sadykova@university.kz,Aigerim Sadykova,Faculty of Energy,ЭЭ-24-1,student",
    "b.omarov@university.kz,Bolat Omarov,Faculty of Energy,,staff;curator", "faculty,group,staff_unit,headcount,as_of",
    "Faculty of Energy,ЭЭ-24-1,,25,2024-09-01", ",,Library,14,2024-09-01",
}


ATTRIBUTES_ONLY = re.compile(r'\s*(?:[a-z-]+="[^"]*"\s*)+')


def untranslated_template_text() -> list[tuple[str, str]]:
    """Text and readable attributes of every template, with Jinja expressions, tags and comments removed."""
    found = []
    for path in sorted(APP.rglob("templates/**/*.html")):
        text = path.read_text(encoding="utf-8")
        for pattern in (r"{#.*?#}", r"{%.*?%}", r"{{.*?}}", r"<(script|style)\b.*?</\1>"):
            text = re.sub(pattern, " ", text, flags=re.S)
        for value in re.findall(r'\b(?:title|alt|placeholder|aria-label)="([^"]*)"', text):
            if re.search(r"[A-Za-z]{2,}", value) and value.strip() not in ALLOWED:
                found.append((str(path.relative_to(APP)), value.strip()))
        for line in re.sub(r"<[^>]+>", "\n", text).splitlines():
            if ATTRIBUTES_ONLY.fullmatch(line):     # a macro that writes a control's attributes, not text
                continue
            if re.search(r"[A-Za-z]{2,}", line) and line.strip() not in ALLOWED:
                found.append((str(path.relative_to(APP)), line.strip()))
    return found


def test_templates_have_no_user_facing_text_outside_gettext():
    assert untranslated_template_text() == []


def test_the_checker_finds_a_bare_string(tmp_path, monkeypatch):
    folder = tmp_path / "templates" / "x"
    folder.mkdir(parents=True)
    (folder / "page.html").write_text('<p>{{ _("Fine") }}</p><p>Not translated</p><img alt="A picture">'
                                      '{% macro a(key) %} aria-invalid="true" aria-describedby="{{ key }}-error"'
                                      '{% endmacro %}{% macro b() %} title="Bare title" lang="kk"{% endmacro %}')
    monkeypatch.setattr(sys.modules[__name__], "APP", tmp_path)
    assert [text for _path, text in untranslated_template_text()] == ["A picture", "Bare title", "Not translated"]


PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdf]|%%")


@pytest.fixture
def extracted_messages(tmp_path_factory) -> set:
    """The (context, string) pairs the code and templates hand to gettext today (a fresh extraction).

    The context is None for plain gettext, and pgettext's first argument otherwise. Extracted once a run (about
    4 s of CPU: every module and template read) into the run's shared folder, by the first worker that asks,
    while it holds the folder's lock; the tests that read it come after."""
    import subprocess

    from babel.messages.pofile import read_po

    target = shared_folder(tmp_path_factory) / "fresh.pot"
    with held(target.with_suffix(".lock")):
        if not target.exists():
            extracting = target.with_suffix(".partial")
            subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l",
                            "-k", "lazy_gettext", "-k", "N_", "-k", "lazy_pgettext:1c,2", "--no-location",
                            "-o", str(extracting), "."], cwd=APP.parent, check=True, capture_output=True)
            extracting.rename(target)
    with target.open("rb") as handle:
        return {(message.context, message.id) for message in read_po(handle) if message.id}


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_every_string_is_translated_with_its_placeholders(language, extracted_messages):
    from babel.messages.pofile import read_po

    with (APP / "translations" / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    problems = []
    for context, message_id in sorted(extracted_messages, key=str):
        message = catalog.get(message_id, context=context)
        strings = () if message is None else (message.string if isinstance(message.string, tuple) else (message.string,))
        if message is None or not strings or not all(strings):
            problems.append(f"untranslated: {message_id}")
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {message_id}")
        wanted = set(PLACEHOLDER.findall(message_id[-1] if isinstance(message_id, tuple) else message_id))
        most = max(Counter(PLACEHOLDER.findall(form)) for form in (message_id if isinstance(message_id, tuple)
                                                                  else (message_id,)))
        for text in strings:
            if not set(PLACEHOLDER.findall(text)) <= wanted or (not isinstance(message_id, tuple)
                                                                  and set(PLACEHOLDER.findall(text)) != wanted):
                problems.append(f"placeholders differ: {message_id} -> {text}")
            # A placeholder more often than in the original: two entries run together (a broken merge of catalogs).
            if any(count > most[name] for name, count in Counter(PLACEHOLDER.findall(text)).items()):
                problems.append(f"placeholder repeated: {message_id} -> {text}")
    assert problems == [], f"{len(problems)} problems; update the catalogs (see README, Languages): {problems[:5]}"


PGETTEXT_CALL = re.compile(r"""pgettext\(\s*["']([^"']+)["']\s*,\s*["']([^"']+)["']""")


def test_every_message_context_in_the_code_is_extracted_and_translated(extracted_messages):
    """A word with two meanings goes through pgettext, and each of its contexts is in both catalogs."""
    from babel.messages.pofile import read_po

    contexts = {pair for pair in extracted_messages if pair[0]}
    used = set()
    for path in APP.rglob("*"):
        if path.suffix in (".py", ".html"):
            used |= set(PGETTEXT_CALL.findall(path.read_text(encoding="utf-8")))
    assert used and used == contexts
    for language in ("kk", "ru"):
        with (APP / "translations" / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            catalog = read_po(handle, locale=language)
        missing = [pair for pair in contexts if not getattr(catalog.get(pair[1], context=pair[0]), "string", "")]
        assert missing == [], f"{language}: {missing}"


# Words that were once translated in the wrong sense: (context, English, language, wrong translation).
WRONG_SENSES = [
    ("end of a date range", "To", "ru", "Кому"), ("end of a date range", "To", "kk", "Кімге"),
    ("deadline or period of a plan activity", "Term", "kk", "Семестр"),
    ("whom a plan activity targets: students or employees", "Population", "kk", "Жиынтық"),
    ("which quizzes extra time applies to", "For", "ru", "Кому"),
    ("coverage report", "Report", "kk", "Хабарлама"),
]


@pytest.mark.parametrize("context, english, language, wrong", WRONG_SENSES)
def test_short_words_are_translated_in_the_sense_the_page_uses(context, english, language, wrong):
    from babel.messages.pofile import read_po

    with (APP / "translations" / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        message = read_po(handle, locale=language).get(english, context=context)
    assert message is not None and message.string and message.string != wrong
