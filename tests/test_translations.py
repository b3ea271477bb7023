"""Every user-facing string goes through gettext, and the catalogs translate all of them."""
import re
import sys
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"
# What may stand in a template outside gettext: abbreviations, codes and examples of file formats.
ALLOWED = {
    "UTC", "XP", "PDF", "PNG", "XXXX-XXXX-XXXX", "ABCD-EF23", "https://www.tiktok.com/@account/video/…",
    "https://www.tiktok.com/@name/video/1234567890", "–   UTC", "· quizzes/ .toml",
    "email,full_name,faculty,group,roles", "a.sadykova@university.kz,Aigerim Sadykova,Faculty of Energy,ЭЭ-24-1,student",
    "b.omarov@university.kz,Bolat Omarov,Faculty of Energy,,staff;curator", "faculty,group,staff_unit,headcount,as_of",
    "Faculty of Energy,ЭЭ-24-1,,25,2024-09-01", ",,Library,14,2024-09-01",
}


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
            if re.search(r"[A-Za-z]{2,}", line) and line.strip() not in ALLOWED:
                found.append((str(path.relative_to(APP)), line.strip()))
    return found


def test_templates_have_no_user_facing_text_outside_gettext():
    assert untranslated_template_text() == []


def test_the_checker_finds_a_bare_string(tmp_path, monkeypatch):
    folder = tmp_path / "templates" / "x"
    folder.mkdir(parents=True)
    (folder / "page.html").write_text('<p>{{ _("Fine") }}</p><p>Not translated</p><img alt="A picture">')
    monkeypatch.setattr(sys.modules[__name__], "APP", tmp_path)
    assert [text for _path, text in untranslated_template_text()] == ["A picture", "Not translated"]


PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdf]|%%")


def extracted_messages(tmp_path) -> set:
    """The strings the code and templates hand to gettext today (a fresh extraction)."""
    import subprocess

    from babel.messages.pofile import read_po

    target = tmp_path / "fresh.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l",
                    "-k", "lazy_gettext", "-k", "N_", "--no-location", "-o", str(target), "."], cwd=APP.parent, check=True,
                   capture_output=True)
    with target.open("rb") as handle:
        return {(message.id, message.context) for message in read_po(handle) if message.id}


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_every_string_is_translated_with_its_placeholders(language, tmp_path):
    from babel.messages.pofile import read_po

    with (APP / "translations" / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    problems = []
    for message_id, context in sorted(extracted_messages(tmp_path), key=str):
        message = catalog.get(message_id, context=context)
        strings = () if message is None else (message.string if isinstance(message.string, tuple) else (message.string,))
        if message is None or not strings or not all(strings):
            problems.append(f"untranslated: {message_id}")
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {message_id}")
        wanted = set(PLACEHOLDER.findall(message_id[-1] if isinstance(message_id, tuple) else message_id))
        for text in strings:
            if not set(PLACEHOLDER.findall(text)) <= wanted or (not isinstance(message_id, tuple)
                                                                  and set(PLACEHOLDER.findall(text)) != wanted):
                problems.append(f"placeholders differ: {message_id} -> {text}")
    assert problems == [], f"{len(problems)} problems; update the catalogs (see README, Languages): {problems[:5]}"
