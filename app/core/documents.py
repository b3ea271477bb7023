"""Documents with real text: PDF pages with PT Sans embedded (it has every Kazakh letter), for certificates and reports.

fpdf2 (and the fontTools it brings) is imported when the first PDF is made, not when the app starts:
most workers never make one, and the library costs each of them several megabytes (see README, Performance).
"""
from datetime import timezone
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from fontpkg_pt_sans import ROOT as FONT_ROOT

from app.core.clock import utcnow

if TYPE_CHECKING:
    from fpdf import FPDF

FONT = "PTSans"
_FILES = {"": "PT_Sans-Web-Regular.ttf", "B": "PT_Sans-Web-Bold.ttf", "I": "PT_Sans-Web-Italic.ttf",
          "BI": "PT_Sans-Web-BoldItalic.ttf"}


def font_file(style: str = "") -> Path:
    """The PT Sans file for a style ("", "B", "I", "BI")."""
    return FONT_ROOT / "files" / _FILES[style]


@cache
def _document_class() -> type:
    """FPDF with a foot line on every page (the class is made when the first PDF is)."""
    from fpdf import FPDF

    class Document(FPDF):
        """A PDF whose every page ends with a line of small grey text (page numbers, the document's name), and which
        holds only the PT Sans styles its text uses: a style is read from its file when it is first set (fpdf2
        subsets and embeds every font it was given, used or not)."""

        footer_text: Callable[[int], str] | None = None

        def set_font(self, family=None, style="", size=0):
            if (family or self.font_family).lower() == FONT.lower():
                letters = "".join(sorted(str(getattr(style, "style", style)).upper().replace("U", "").replace("S", "")))
                if FONT.lower() + letters not in self.fonts:
                    self.add_font(FONT, letters, str(font_file(letters)))
            super().set_font(family, style, size)

        def footer(self):
            if self.footer_text is None:
                return
            self.set_y(-12)
            self.set_font(FONT, size=8)
            self.set_text_color(90, 100, 114)
            self.cell(0, 5, self.footer_text(self.page_no()), align="C")

    return Document


def new_pdf(orientation: str = "portrait", *, title: str = "", author: str = "", language: str = "",
            footer: Callable[[int], str] | None = None) -> "FPDF":
    """An A4 PDF in millimetres with PT Sans embedded (subset) in the styles its text uses, text selectable.

    `footer(page number)` gives each page's foot line; "{nb}" in it becomes the number of pages."""
    pdf = _document_class()(orientation=orientation, unit="mm", format="A4")
    pdf.footer_text = footer
    pdf.set_font(FONT, size=11)
    pdf.set_creation_date(utcnow().replace(tzinfo=timezone.utc))
    pdf.set_creator("Sanaly Urpaq")
    if title:
        pdf.set_title(title)
    if author:
        pdf.set_author(author)
    if language:
        pdf.set_lang(language)
    return pdf


def pdf_bytes(pdf: "FPDF") -> bytes:
    return bytes(pdf.output())
