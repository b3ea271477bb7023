"""Compile the translation catalogs (.po → .mo) so Flask-Babel can use them.

The .mo files are build products (not in git): the application compiles any that are missing or
older than their .po when it starts, writing each atomically so that workers starting together
never read half a file.
"""
import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def compile_catalogs(folder: Path = TRANSLATIONS) -> list[str]:
    """Write a fresh .mo beside every .po that is newer than its .mo; return the languages compiled."""
    compiled = []
    for po_path in sorted(folder.glob("*/LC_MESSAGES/messages.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=po_path.parent.parent.name)
        handle, temporary = tempfile.mkstemp(dir=mo_path.parent, suffix=".mo.tmp")
        with os.fdopen(handle, "wb") as out:
            write_mo(out, catalog)
        os.replace(temporary, mo_path)
        compiled.append(po_path.parent.parent.name)
    return compiled
