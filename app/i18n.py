"""Compile the translation catalogs (.po → .mo) so Flask-Babel can use them; translate templates' messages.

The .mo files are build products (not in git): the application compiles any that are missing or
older than their .po when it starts, writing each atomically so that workers starting together
never read half a file.
"""
import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask_babel import get_translations
from jinja2 import pass_context
from markupsafe import Markup

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


# --- templates' _(), gettext, ngettext, pgettext, npgettext -----------------------------------------------
#
# What Jinja's i18n extension installs for Flask-Babel (new-style: the result is escaped when autoescaping is
# on, then always %-formatted with the keyword arguments), without its cost: a page has 40 to 80 messages, and
# each went through two of Jinja's context calls and Flask-Babel's look-up of the request's translations
# (about a fifth of a page's time). The translations are looked up once per render and kept in the template's
# context; a macro imported without context looks them up as before.

KEPT = "_kept_translations"


def _translations(context):
    kept = context.get(KEPT)
    return kept if kept is not None else get_translations()


def _finish(context, text: str, variables: dict) -> str:
    if context.eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


@pass_context
def template_gettext(__context, __string: str, **variables) -> str:
    return _finish(__context, _translations(__context).ugettext(__string), variables)


@pass_context
def template_ngettext(__context, __singular: str, __plural: str, __num: int, **variables) -> str:
    variables.setdefault("num", __num)
    return _finish(__context, _translations(__context).ungettext(__singular, __plural, __num), variables)


@pass_context
def template_pgettext(__context, __string_ctx: str, __string: str, **variables) -> str:
    variables.setdefault("context", __string_ctx)
    return _finish(__context, _translations(__context).upgettext(__string_ctx, __string), variables)


@pass_context
def template_npgettext(__context, __string_ctx: str, __singular: str, __plural: str, __num: int, **variables) -> str:
    variables.setdefault("context", __string_ctx)
    variables.setdefault("num", __num)
    return _finish(__context, _translations(__context).unpgettext(__string_ctx, __singular, __plural, __num),
                   variables)


def install_template_gettext(app) -> None:
    """Give the app's templates the messages functions above (after Flask-Babel has installed its own)."""
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext, ngettext=template_ngettext,
                                 pgettext=template_pgettext, npgettext=template_npgettext)

    @app.context_processor
    def keep_translations():
        return {KEPT: get_translations()}
