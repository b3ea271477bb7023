"""Write a filing as a document: PDF (fpdf2, PT Sans embedded, vector bars) or DOCX (python-docx, a chart picture).

Both carry the same text, in the filing's language: a reader can select, copy and search every word.
python-docx (with lxml) and Pillow are imported in the functions that write a document: most workers
never write one, and these libraries cost each worker megabytes at start (see README, Performance).
"""
import io

from flask_babel import force_locale, gettext as _, pgettext

from app.core.documents import FONT, font_file, new_pdf, pdf_bytes
from app.core.localize import format_day, format_moment
from app.filings.service import Bar, Filing, Line, percent_text

INK, BRAND, MUTED, TRACK, TARGET = (27, 36, 48), (11, 110, 79), (90, 100, 114), (226, 232, 236), (192, 57, 43)
DOCX_FONT = "Times New Roman"


def _generated(filing: Filing) -> str:
    return _("Generated on %(when)s by %(who)s with Sanaly Urpaq.", when=format_moment(filing.generated_at, zone=True),
             who=filing.generated_by)


def _checkpoint_text(filing: Filing) -> str:
    if filing.checkpoint is None:
        return _("No audit log checkpoint could be signed for this report: the log is empty or does not verify.")
    return _("The audit log as it stood when this report was generated, signed (%(n)d events). Anyone can check later "
             "that the log still holds every one of them, unchanged: %(url)s", n=filing.checkpoint[0], url=filing.audit_url)


def _facts(line: Line) -> list[tuple[str, str]]:
    facts = [(_("Measured as"), f"{line.kind_label} — {line.measure}"), (_("Target"), line.target)]
    if line.term:
        facts.append((pgettext("deadline or period of a plan activity", "Term"), line.term))
    if line.responsible:
        facts.append((_("Responsible"), line.responsible))
    if line.form_of_completion:
        facts.append((_("Form of completion"), line.form_of_completion))
    return facts


def _bar_note(bar: Bar) -> str:
    return f"{percent_text(bar.percent)} ({bar.participants} / {bar.headcount})"


# --- PDF ----------------------------------------------------------------------------------------

def _pdf_chart(pdf, bars: list[Bar], target: float | None) -> None:
    """Horizontal vector bars: each scope's coverage on a 0–100% track, the target as a red line."""
    label_width, track_width, row = 62.0, 78.0, 6.0
    height = row * len(bars) + 12
    if pdf.get_y() + height > pdf.page_break_trigger:
        pdf.add_page()
    left = pdf.l_margin
    track = left + label_width
    top = pdf.get_y() + 6
    pdf.set_font(FONT, size=7)
    pdf.set_text_color(*MUTED)
    pdf.set_xy(track - 1, top - 5)
    pdf.cell(10, 4, "0%")
    pdf.set_xy(track + track_width - 10, top - 5)
    pdf.cell(11, 4, "100%", align="R")
    y = top
    for bar in bars:
        pdf.set_font(FONT, size=8)
        pdf.set_text_color(*INK)
        label = bar.label
        while pdf.get_string_width(label) > label_width - 3 and len(label) > 4:
            label = label[:-2].rstrip() + "…" if not label.endswith("…") else label[:-2].rstrip() + "…"
        pdf.set_xy(left, y)
        pdf.cell(label_width - 2, row, label, align="R")
        pdf.set_fill_color(*TRACK)
        pdf.rect(track, y + 1, track_width, row - 2, style="F")
        share = max(0.0, min(float(bar.percent or 0), 100.0))
        if share:
            pdf.set_fill_color(*BRAND)
            pdf.rect(track, y + 1, track_width * share / 100, row - 2, style="F")
        pdf.set_xy(track + track_width + 2, y)
        pdf.cell(0, row, _bar_note(bar))
        y += row
    if target is not None:
        x = track + track_width * min(float(target), 100.0) / 100
        pdf.set_draw_color(*TARGET)
        pdf.set_line_width(0.5)
        pdf.line(x, top - 0.5, x, y + 0.5)
        pdf.set_font(FONT, size=7)
        pdf.set_text_color(*TARGET)
        pdf.set_xy(x - 20, y + 0.5)
        pdf.cell(40, 4, _("target %(target)s", target=percent_text(target)), align="C")
        y += 4
    pdf.set_text_color(*INK)
    pdf.set_y(y + 3)


def _pdf_heading(pdf, text: str, size: float, colour=INK, before: float = 3) -> None:
    pdf.ln(before)
    pdf.set_font(FONT, "B", size)
    pdf.set_text_color(*colour)
    pdf.multi_cell(0, size * 0.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)


def _pdf_text(pdf, text: str, size: float = 10, style: str = "", colour=INK) -> None:
    pdf.set_font(FONT, style, size)
    pdf.set_text_color(*colour)
    pdf.multi_cell(0, size * 0.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)


def render_pdf(filing: Filing) -> bytes:
    """The filing as an A4 PDF with selectable text and vector charts."""
    with force_locale(filing.language):
        name = filing.title
        pdf = new_pdf(title=name, author=filing.generated_by, language=filing.language,
                      footer=lambda page: _("%(name)s · page %(page)s of %(pages)s", name=filing.university,
                                            page=page, pages="{nb}"))
        pdf.set_margins(18, 16, 18)
        pdf.set_auto_page_break(True, margin=18)
        pdf.add_page()
        if filing.addressee:
            _pdf_text(pdf, filing.addressee, 10, "B", MUTED)
        _pdf_text(pdf, filing.university, 10, "", MUTED)
        _pdf_heading(pdf, name, 15, BRAND)
        _pdf_text(pdf, filing.plan_title, 9, "I", MUTED)
        pdf.ln(1)
        _pdf_text(pdf, filing.period_text + " " + _("Coverage is counted against the official headcount in force on "
                                                      "%(date)s.", date=format_day(filing.as_of)), 10)
        for title, lines in filing.sections:
            _pdf_heading(pdf, title, 13, BRAND, before=5)
            for line in lines:
                # Keep an activity's heading, facts, figures and chart together where a page can hold them.
                needed = 48 + (6 * len(line.bars) + 16 if line.bars else 0)
                if pdf.get_y() + needed > pdf.page_break_trigger:
                    pdf.add_page()
                _pdf_heading(pdf, f"{line.code}  {line.name}", 11, INK, before=4)
                for label, value in _facts(line):
                    pdf.set_font(FONT, "B", 8.5)
                    pdf.set_text_color(*MUTED)
                    pdf.write(4.2, label + ": ")
                    pdf.set_font(FONT, "", 8.5)
                    pdf.write(4.2, value)
                    pdf.ln(4.6)
                pdf.set_text_color(*INK)
                pdf.ln(1)
                pdf.set_font(FONT, "B", 10)
                pdf.write(5, _("What was done") + ": ")
                pdf.set_font(FONT, "", 10)
                pdf.write(5, line.done)
                pdf.ln(6)
                if line.bars:
                    _pdf_chart(pdf, line.bars, line.target_percent)
                _pdf_text(pdf, _("Narrative of the responsible unit"), 10, "B")
                if line.narratives:
                    for period, text in line.narratives:
                        if len(line.narratives) > 1:
                            _pdf_text(pdf, period, 9, "I", MUTED)
                        _pdf_text(pdf, text, 10)
                else:
                    _pdf_text(pdf, _("Not written yet."), 10, "I", MUTED)
                _pdf_text(pdf, _("Evidence"), 10, "B")
                if line.evidence:
                    for item in line.evidence:
                        _pdf_text(pdf, "• " + _evidence_text(item), 9.5)
                else:
                    _pdf_text(pdf, _("None recorded."), 10, "I", MUTED)
        pdf.ln(4)
        _pdf_text(pdf, _generated(filing), 8.5, "", MUTED)
        if filing.audit_url:
            _pdf_text(pdf, _checkpoint_text(filing), 8.5, "", MUTED)
            if filing.checkpoint:
                pdf.set_font(FONT, size=6.5)
                pdf.multi_cell(0, 3, filing.checkpoint[1], align="L", new_x="LMARGIN", new_y="NEXT")
        return pdf_bytes(pdf)


def _evidence_text(item) -> str:
    return f"{item.title} ({format_day(item.added_on)})" if item.added_on else item.title


# --- DOCX ---------------------------------------------------------------------------------------

def chart_png(bars: list[Bar], target: float | None) -> bytes:
    """The same bars as the PDF's, as a picture for the DOCX (the figures stand beside it as text)."""
    from PIL import Image, ImageDraw, ImageFont

    row, label_width, track_width = 44, 420, 720
    width, height = label_width + track_width + 300, row * len(bars) + 80
    image = Image.new("RGB", (width, height), "white")
    pen = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(font_file()), 24)
    small = ImageFont.truetype(str(font_file()), 20)
    top = 30
    pen.text((label_width, 4), "0%", font=small, fill=MUTED)
    pen.text((label_width + track_width - 50, 4), "100%", font=small, fill=MUTED)
    for index, bar in enumerate(bars):
        y = top + index * row
        label = bar.label if len(bar.label) <= 34 else bar.label[:33] + "…"
        box = pen.textbbox((0, 0), label, font=font)
        pen.text((label_width - 12 - (box[2] - box[0]), y + 6), label, font=font, fill=INK)
        pen.rectangle((label_width, y + 6, label_width + track_width, y + row - 6), fill=TRACK)
        share = max(0.0, min(float(bar.percent or 0), 100.0))
        if share:
            pen.rectangle((label_width, y + 6, label_width + track_width * share / 100, y + row - 6), fill=BRAND)
        pen.text((label_width + track_width + 12, y + 6), _bar_note(bar), font=font, fill=INK)
    bottom = top + len(bars) * row
    if target is not None:
        x = label_width + track_width * min(float(target), 100.0) / 100
        pen.line((x, top, x, bottom), fill=TARGET, width=4)
        pen.text((x - 60, bottom + 4), _("target %(target)s", target=percent_text(target)), font=small, fill=TARGET)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _field(paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word fills in when it lays the pages out."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _docx_fonts(document) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3"):
        style = document.styles[name]
        style.font.name = DOCX_FONT
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        for attribute in ("w:cs", "w:eastAsia"):
            fonts.set(qn(attribute), DOCX_FONT)
        if name != "Normal":
            style.font.color.rgb = RGBColor(*BRAND)
    document.styles["Normal"].font.size = Pt(11)


def _docx_label(paragraph, label: str, value: str, size: float = 9) -> None:
    from docx.shared import Pt

    run = paragraph.add_run(label + ": ")
    run.bold = True
    run.font.size = Pt(size)
    run = paragraph.add_run(value)
    run.font.size = Pt(size)


def _docx_muted(document, text: str, italic: bool = False, size: float = 10):
    from docx.shared import Pt, RGBColor

    paragraph = document.add_paragraph()
    run = paragraph.add_run(text)
    run.italic = italic
    run.font.size = Pt(size)
    run.font.color.rgb = RGBColor(*MUTED)
    return paragraph


def render_docx(filing: Filing) -> bytes:
    """The filing as a Word document: headings, the figures as text and a table, a chart picture per activity."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    with force_locale(filing.language):
        document = Document()
        _docx_fonts(document)
        properties = document.core_properties
        properties.title, properties.author, properties.language = filing.title, filing.generated_by, filing.language
        for section in document.sections:
            section.left_margin = section.right_margin = Cm(2)
            section.top_margin = section.bottom_margin = Cm(1.8)
            footer = section.footer.paragraphs[0]
            footer.text = f"{filing.university} · "
            footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _field(footer, "PAGE")
            footer.add_run(" / ")
            _field(footer, "NUMPAGES")
            for run in footer.runs:
                run.font.size = Pt(8)
        if filing.addressee:
            paragraph = document.add_paragraph()
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            paragraph.add_run(filing.addressee).bold = True
        _docx_muted(document, filing.university)
        document.add_heading(filing.title, level=1)
        _docx_muted(document, filing.plan_title, italic=True, size=9)
        document.add_paragraph(filing.period_text + " " + _(
            "Coverage is counted against the official headcount in force on %(date)s.", date=format_day(filing.as_of)))
        for title, lines in filing.sections:
            document.add_heading(title, level=2)
            for line in lines:
                document.add_heading(f"{line.code}  {line.name}", level=3)
                for label, value in _facts(line):
                    paragraph = document.add_paragraph()
                    paragraph.paragraph_format.space_after = Pt(0)
                    _docx_label(paragraph, label, value)
                paragraph = document.add_paragraph()
                paragraph.paragraph_format.space_before = Pt(6)
                _docx_label(paragraph, _("What was done"), line.done, 11)
                if line.bars:
                    table = document.add_table(rows=1, cols=4)
                    table.style = "Light Grid Accent 1"
                    for cell, text in zip(table.rows[0].cells, (pgettext("the university, a faculty or a staff unit", "Scope"), _("Took part"), _("Headcount"),
                                                                _("Coverage"))):
                        cell.text = text
                    for bar in line.bars:
                        cells = table.add_row().cells
                        for cell, text in zip(cells, (bar.label, str(bar.participants), str(bar.headcount),
                                                      percent_text(bar.percent))):
                            cell.text = text
                    document.add_picture(io.BytesIO(chart_png(line.bars, line.target_percent)), width=Cm(15))
                document.add_paragraph().add_run(_("Narrative of the responsible unit")).bold = True
                if line.narratives:
                    for period, text in line.narratives:
                        if len(line.narratives) > 1:
                            _docx_muted(document, period, italic=True, size=9)
                        for chunk in text.splitlines():
                            if chunk.strip():
                                document.add_paragraph(chunk.strip())
                else:
                    _docx_muted(document, _("Not written yet."), italic=True)
                document.add_paragraph().add_run(_("Evidence")).bold = True
                if line.evidence:
                    for item in line.evidence:
                        document.add_paragraph(_evidence_text(item), style="List Bullet")
                else:
                    _docx_muted(document, _("None recorded."), italic=True)
        _docx_muted(document, _generated(filing), size=8)
        if filing.audit_url:
            _docx_muted(document, _checkpoint_text(filing), size=8)
            if filing.checkpoint:
                run = document.add_paragraph().add_run(filing.checkpoint[1])
                run.font.name, run.font.size = "Courier New", Pt(7)
        buffer = io.BytesIO()
        document.save(buffer)
        return buffer.getvalue()
