"""Issue certificates and draw them as PNG pictures and vector PDFs with real text, with a QR code to the public verification page."""
import io
import logging
import secrets
import textwrap
from datetime import date, datetime, time
from functools import lru_cache
from typing import TYPE_CHECKING, Callable

from flask_babel import gettext as _, pgettext
from fontpkg_pt_sans import ROOT as FONT_ROOT
from sqlalchemy import select

from app.certificates.models import Certificate
from app.core import events
from app.core.db_helpers import insert_ignoring_duplicates
from app.core.documents import FONT, new_pdf, pdf_bytes
from app.core.localize import format_day
from app.extensions import db
from app.people.models import User

if TYPE_CHECKING:
    from PIL import Image

logger = logging.getLogger(__name__)
# Pillow and qrcode are imported where a certificate is drawn: most workers never draw one, and they
# cost each worker megabytes at start (see README, Performance).

# Crockford's base32 without look-alikes (no I, L, O, U): easy to read aloud and type.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
WIDTH, HEIGHT = 2000, 1414  # A4 landscape at about 170 dpi
INK, BRAND, MUTED = (27, 36, 48), (11, 110, 79), (90, 100, 114)


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise_code(text: str) -> str:
    """Accept a code typed in lower case, with spaces, or with O for 0 and I/L for 1."""
    cleaned = (text or "").upper().replace(" ", "").replace("-", "")
    cleaned = cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    return f"{cleaned[:4]}-{cleaned[4:8]}-{cleaned[8:]}" if len(cleaned) == 12 else ""


def issue(user: User, *, kind: str, subject_ref: str, title: str, issued_on: date) -> Certificate:
    """Issue a certificate once per (person, kind, subject); return the existing one if issued before."""
    for _attempt in range(5):
        new_id = db.session.execute(insert_ignoring_duplicates(Certificate, dict(
            code=new_code(), user_id=user.id, kind=kind, subject_ref=subject_ref, title=title,
            holder_name=user.full_name, issued_on=issued_on,
        ))).scalar_one_or_none()
        existing = db.session.execute(select(Certificate).where(
            Certificate.user_id == user.id, Certificate.kind == kind, Certificate.subject_ref == subject_ref,
        )).scalar_one_or_none()
        if existing is not None:
            if new_id:
                logger.info("certificate %s issued to user %s for %s", existing.code, user.id, subject_ref)
                events.announce(events.certificate_issued, "certificates", user_id=user.id, code=existing.code, kind=kind,
                                subject_ref=subject_ref, at=datetime.combine(issued_on, time.min))
            return existing
    raise RuntimeError("could not draw a unique certificate code")  # pragma: no cover


def display_title(certificate: Certificate) -> str:
    """What was achieved, in the reader's language when the course or contest has a translation."""
    kind, _colon, rest = certificate.subject_ref.partition(":")
    if kind in _subject_titles and rest.isdigit() and certificate.kind in ("course", "participation"):
        return _subject_titles[kind](int(rest)) or certificate.title
    return certificate.title


_subject_titles: dict[str, Callable[[int], str | None]] = {}


def subject_title(kind: str):
    """Register how a feature names the subjects of its certificates ("course:7", "contest:3"), in the reader's
    language: the decorated function takes the subject's id and returns its title (None when it is gone)."""
    def register(title_of: Callable[[int], str | None]):
        _subject_titles[kind] = title_of
        return title_of
    return register


def find(code: str) -> Certificate | None:
    normalised = normalise_code(code)
    if not normalised:
        return None
    return db.session.execute(select(Certificate).where(Certificate.code == normalised)).scalar_one_or_none()


def held(user_id: int, *, kind: str, subject_ref: str) -> Certificate | None:
    """The person's certificate of this kind for this subject (a course, a contest), if issued."""
    return db.session.execute(select(Certificate).where(
        Certificate.user_id == user_id, Certificate.kind == kind, Certificate.subject_ref == subject_ref)).scalars().first()


def for_user(user_id: int) -> list[Certificate]:
    return db.session.execute(select(Certificate).where(Certificate.user_id == user_id)
                              .order_by(Certificate.issued_on.desc(), Certificate.id.desc())).scalars().all()


@lru_cache(maxsize=8)
def _font(bold: bool, size: int):
    from PIL import ImageFont

    name = "PT_Sans-Web-Bold.ttf" if bold else "PT_Sans-Web-Regular.ttf"
    return ImageFont.truetype(str(FONT_ROOT / "files" / name), size)


def _centred(draw, y: int, text: str, font, fill, width_chars: int = 60) -> int:
    for line in textwrap.wrap(text, width_chars) or [""]:
        box = draw.textbbox((0, 0), line, font=font)
        draw.text(((WIDTH - (box[2] - box[0])) / 2, y), line, font=font, fill=fill)
        y += int((box[3] - box[1]) * 1.35) + 8
    return y


def _wording(certificate: Certificate) -> tuple[str, str, str]:
    """(heading, the words before the name, the words after it) for the certificate's kind."""
    return {
        "course": (_("Certificate of completion"), _("This certifies that"), _("has completed the course")),
        "diploma": (_("Diploma"), _("is awarded to"), pgettext("a diploma is awarded for a work", "for")),
        "participation": (_("Certificate of participation"), _("This certifies that"), _("took part in the contest")),
        "volunteering": (_("Statement of volunteering"), _("This certifies that"),
                         _("has volunteered in anti-corruption activities, as confirmed by the club coordinator:")),
    }.get(certificate.kind, (_("Certificate"), _("This certifies that"), ""))


def _qr_matrix(verify_url: str) -> list[list[bool]]:
    import qrcode

    qr = qrcode.QRCode(border=2)
    qr.add_data(verify_url)
    qr.make(fit=True)
    return qr.get_matrix()


def draw(certificate: Certificate, verify_url: str, issuer: str) -> "Image.Image":
    """Draw the certificate: holder, achievement, date, code, and a QR code to `verify_url`."""
    import qrcode
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    pen = ImageDraw.Draw(image)
    pen.rectangle((40, 40, WIDTH - 40, HEIGHT - 40), outline=BRAND, width=10)
    pen.rectangle((70, 70, WIDTH - 70, HEIGHT - 70), outline=BRAND, width=2)
    y = _centred(pen, 150, issuer, _font(False, 40), MUTED, 80)
    heading, lead, line = _wording(certificate)
    y = _centred(pen, y + 40, heading.upper(), _font(True, 84), BRAND)
    y = _centred(pen, y + 40, lead, _font(False, 44), INK)
    y = _centred(pen, y + 20, certificate.holder_name, _font(True, 96), INK, 36)
    y = _centred(pen, y + 20, line, _font(False, 44), INK)
    _centred(pen, y + 10, f"«{display_title(certificate)}»", _font(True, 60), INK, 48)

    qr = qrcode.QRCode(border=2, box_size=10)
    qr.add_data(verify_url)
    qr.make(fit=True)
    code_image = qr.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    code_image = code_image.resize((300, 300), Image.NEAREST)
    image.paste(code_image, (WIDTH - 420, HEIGHT - 430))
    small = _font(False, 36)
    pen.text((150, HEIGHT - 330), _("Date: %(date)s", date=format_day(certificate.issued_on)), font=small, fill=INK)
    pen.text((150, HEIGHT - 270), _("Verification code: %(code)s", code=certificate.code), font=_font(True, 36), fill=INK)
    pen.text((150, HEIGHT - 210), _("Check it at %(url)s", url=verify_url), font=_font(False, 30), fill=MUTED)
    pen.text((150, HEIGHT - 160), _("Sanaly Urpaq — Anti-corruption Compliance Service"), font=_font(False, 30), fill=MUTED)
    return image


def draw_pdf(certificate: Certificate, verify_url: str, issuer: str) -> bytes:
    """The certificate as a one-page A4 landscape PDF: real text in PT Sans (embedded), borders and QR code as vectors."""
    heading, lead, line = _wording(certificate)
    pdf = new_pdf("landscape", title=f"{heading}: {certificate.holder_name}", author=issuer)
    pdf.set_auto_page_break(False)
    pdf.set_margins(30, 20, 30)
    pdf.add_page()
    page_width, page_height = pdf.w, pdf.h
    pdf.set_draw_color(*BRAND)
    pdf.set_line_width(1.5)
    pdf.rect(6, 6, page_width - 12, page_height - 12)
    pdf.set_line_width(0.3)
    pdf.rect(10.5, 10.5, page_width - 21, page_height - 21)

    def centred(text: str, size: float, style: str = "", colour=INK, gap: float = 2) -> None:
        pdf.set_font(FONT, style, size)
        pdf.set_text_color(*colour)
        pdf.multi_cell(0, size * 0.45, text, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    pdf.set_y(30)
    centred(issuer, 13, colour=MUTED, gap=9)
    centred(heading.upper(), 28, "B", BRAND, 8)
    centred(lead, 15, gap=3)
    centred(certificate.holder_name, 30, "B", gap=3)
    if line:
        centred(line, 15, gap=2)
    centred(f"«{display_title(certificate)}»", 19, "B")

    matrix = _qr_matrix(verify_url)
    size = 42.0
    cell = size / len(matrix)
    left, top = page_width - 30 - size, page_height - 24 - size
    pdf.set_fill_color(0, 0, 0)
    for row_index, row in enumerate(matrix):
        for column, dark in enumerate(row):
            if dark:
                pdf.rect(left + column * cell, top + row_index * cell, cell + 0.01, cell + 0.01, style="F")
    pdf.set_xy(30, page_height - 56)
    pdf.set_font(FONT, "", 12)
    pdf.set_text_color(*INK)
    pdf.cell(0, 7, _("Date: %(date)s", date=format_day(certificate.issued_on)), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "B", 12)
    pdf.cell(0, 7, _("Verification code: %(code)s", code=certificate.code), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 10)
    pdf.set_text_color(*MUTED)
    pdf.cell(page_width - 60 - size - 10, 6, _("Check it at %(url)s", url=verify_url), new_x="LMARGIN", new_y="NEXT",
             link=verify_url)
    pdf.cell(0, 6, _("Sanaly Urpaq — Anti-corruption Compliance Service"))
    return pdf_bytes(pdf)


def render(certificate: Certificate, fmt: str, verify_url: str, issuer: str) -> bytes:
    """Return the certificate as PNG (a picture, for sharing) or PDF (vector, with its text selectable) bytes."""
    if fmt == "pdf":
        return draw_pdf(certificate, verify_url, issuer)
    buffer = io.BytesIO()
    draw(certificate, verify_url, issuer).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()
