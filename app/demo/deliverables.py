"""Demo data for deliverables: reporters named for some units, periods in each status, evidence files and photos.

Everything goes through the same rules as the pages (app.plan.deliverables), so the audit log tells the
story: a reporter starts and submits with evidence, the ACS accepts. A period whose end has passed and that
nobody submitted shows as overdue. Running the demo again changes nothing already there.
"""
import io
from datetime import timedelta

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.coverage.models import Event
from app.extensions import db
from app.plan import deliverables as service
from app.plan.deliverable_models import ACCEPTED, IN_PROGRESS, PLANNED, SUBMITTED, Deliverable, Evidence
from app.plan.models import Activity
from app.plan.service import activity_by_code

# unit label → the demo staff account who reports for it
REPORTERS = {"ACS": "jury3@sanaly.test", "Board for Ethics": "jury1@sanaly.test",
             "Chief of staff": "jury2@sanaly.test", "ALD": "jury2@sanaly.test"}
GALLERY_CODES = ("2.11", "2.12", "2.6")


def pdf_document(lines: list[str]) -> bytes:
    """A small, valid one-page PDF with `lines` of ASCII text (Helvetica)."""
    text = " T* ".join(f"({line.replace('(', '[').replace(')', ']')}) Tj" for line in lines)
    stream = f"BT /F1 12 Tf 16 TL 60 780 Td {text} ET".encode("ascii", "replace")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    start = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, start))
    return out.getvalue()


def xlsx_document(rows: list[list]) -> bytes:
    from openpyxl import Workbook   # the demo alone needs it: not loaded by every worker

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def photo(caption: str, colour: str) -> bytes:
    """A drawn picture standing in for a photo of the event."""
    from PIL import Image, ImageDraw   # the demo alone draws: not loaded by every worker

    image = Image.new("RGB", (960, 640), colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle((80, 380, 880, 600), fill="#f4f1ea")
    for x in range(140, 860, 120):
        draw.ellipse((x, 250, x + 70, 320), fill="#3b4a5a")
        draw.rectangle((x + 5, 320, x + 65, 420), fill="#3b4a5a")
    draw.text((100, 60), caption, fill="white")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _file(raw: bytes, name: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(raw), filename=name)


def _period(plan, code: str, number: int = 1) -> Deliverable | None:
    activity = activity_by_code(plan, code)
    if activity is None:
        return None
    return db.session.execute(select(Deliverable).where(
        Deliverable.activity_id == activity.id, Deliverable.period_number == number)).scalar_one_or_none()


def build(calendar, users: dict, admin, uploads) -> tuple[list[str], list[str]]:
    """Name reporters and move a few periods on with evidence, once; photos for a held event's gallery."""
    plan, moment = calendar.plan, calendar.now
    folder = uploads / service.EVIDENCE_FOLDER
    service.sync_plan(plan)
    units = {u.label: u for u in service.plan_units(plan)}
    for label, email in REPORTERS.items():
        if label in units and not units[label].reporters:
            service.name_reporters(units[label], [users[email]], admin, moment)
    db.session.commit()

    def work(item, reporter, evidence, to):
        """Take one period from planned to `to`, adding its evidence first (once)."""
        if item is None or item.status != PLANNED or item.evidence:
            return
        service.change_status(item, IN_PROGRESS, reporter, moment - timedelta(days=12))
        for kind, fields in evidence:
            service.add_evidence(reporter, moment - timedelta(days=10), folder, activity_id=item.activity_id,
                                 deliverable=item, kind=kind, **fields)
        db.session.refresh(item)
        if to in (SUBMITTED, ACCEPTED):
            service.change_status(item, SUBMITTED, reporter, moment - timedelta(days=7))
        if to == ACCEPTED:
            service.change_status(item, ACCEPTED, admin, moment - timedelta(days=5))

    year = plan.academic_year
    work(_period(plan, "1.2"), users["jury3@sanaly.test"], [
        ("file", {"title": "Anti-corruption plan, approved by the Rector", "upload": _file(pdf_document([
            f"Anti-corruption plan {year}", "Approved by order of the Rector.", "Sections 1-4, 29 activities."]),
            "plan-approved.pdf")}),
        ("text", {"title": "Where it was discussed", "body": "Discussed at the rectorate meeting and sent to every "
                                                             "structural division by the document system."})], ACCEPTED)
    work(_period(plan, "1.9"), users["jury1@sanaly.test"], [
        ("file", {"title": "Analysis of ethics violations, first draft", "upload": _file(xlsx_document([
            ["Quarter", "Appeals", "Considered by the Board", "Confirmed"], ["I", 4, 4, 1], ["II", 2, 2, 0]]),
            "ethics-analysis.xlsx")})], SUBMITTED)
    work(_period(plan, "4.2"), users["jury2@sanaly.test"], [
        ("link", {"title": "Draft regulation on conflicts of interest (document system)",
                  "url": "https://docs.ktu.example.kz/regulations/conflict-of-interest"})], IN_PROGRESS)
    db.session.commit()

    photos = 0
    held = db.session.execute(select(Event).join(Activity).where(
        Activity.plan_id == plan.id, Activity.code.in_(GALLERY_CODES), Event.starts_at <= moment)
        .order_by(Event.starts_at)).scalars().first()
    if held is not None and not db.session.execute(select(Evidence.id).where(Evidence.event_id == held.id)).first():
        for caption, colour, name in (("Opening", "#2f6f8f", "opening.png"), ("Discussion", "#8f5a2f", "discussion.png"),
                                      ("Students' questions", "#4f7f3f", "questions.png")):
            service.add_evidence(admin, moment, folder, activity_id=held.activity_id, event_id=held.id, kind="file",
                                 title=caption, upload=_file(photo(caption, colour), name))
            photos += 1
        service.add_evidence(admin, moment, folder, activity_id=held.activity_id, event_id=held.id, kind="text",
                             title="Minutes", body="Three speakers of the ACS; questions from students on gifts to "
                                                   "teachers and on reporting anonymously.")
        db.session.commit()
    rows = service.board(plan, calendar.today)
    counts = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    return ([f"deliverables: {', '.join(f'{n} {s}' for s, n in sorted(counts.items()))}; {photos} event photos"],
            [f"Deliverables: {len(rows)} periods — " + ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in sorted(counts.items()))])
