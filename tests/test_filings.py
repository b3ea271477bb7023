"""The reports the ACS files (Board 1.8, authorised bodies 1.10, any range) as DOCX and PDF, read back as text."""
import io
import re
from datetime import date, datetime
from pathlib import Path

import docx
import pytest
from flask_babel import force_locale
from pypdf import PdfReader
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.certificates import service as certificates
from app.core.localize import tr
from app.extensions import db
from app.filings import service
from app.filings.documents import render_docx, render_pdf
from app.filings.models import ANNUAL, Narrative
from app.people.models import User
from app.people.service import record_headcount
from app.plan import deliverables
from app.plan.deliverable_models import IN_PROGRESS, NOTE, Deliverable
from app.plan.service import activity_by_code, current_plan, record_participation

AS_OF = date(2025, 3, 1)
KAZAKH = "ӘҒҚҢӨҰҮҺІ әғқңөұүһі"
ADMIN = "acs@uni.test"


@pytest.fixture
def plan(app, setup_cli):
    assert setup_cli("load-content").exit_code == 0
    app.config["NOW_FUNCTION"] = lambda: datetime.combine(AS_OF, datetime.min.time())
    return current_plan(AS_OF)


@pytest.fixture
def figures(plan, make_group, make_user):
    """Forty students on the books of one group; three took part in the forum (2.11), two of them in December."""
    make_user(ADMIN, roles=("admin",), name="Гүлнар Әбенова")
    group = make_group()
    record_headcount(group, 40, date(2024, 9, 1), None)
    forum = activity_by_code(plan, "2.11")
    for day in (datetime(2024, 12, 9, 10), datetime(2024, 12, 10, 10), datetime(2025, 2, 3, 10)):
        record_participation(make_user(group=group).id, forum, source="manual", when=day)
    db.session.commit()
    return group


def pdf_text(body: bytes) -> str:
    reader = PdfReader(io.BytesIO(body))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def docx_text(body: bytes) -> str:
    document = docx.Document(io.BytesIO(body))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return re.sub(r"\s+", " ", " ".join(parts))


def name_in(plan, code, language):
    with force_locale(language):
        return tr(activity_by_code(plan, code), "name")


def admin():
    return db.session.execute(select(User).where(User.email == ADMIN)).scalar_one()


def line_of(filing, code):
    return next(line for _title, lines in filing.sections for line in lines if line.code == code)


# --- what the documents say ---------------------------------------------------------------------

@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_the_board_report_carries_titles_figures_and_narrative_in_each_language(plan, figures, client, auth, language):
    forum = activity_by_code(plan, "2.11")
    service.save_narrative(forum, ANNUAL, language, f"Форум өтті / forum held: {KAZAKH}", admin())
    db.session.commit()
    auth.login(ADMIN)
    for fmt, read in (("pdf", pdf_text), ("docx", docx_text)):
        response = client.get(f"/admin/filings/board.{fmt}?lang={language}")
        assert response.status_code == 200, fmt
        assert f'board-report-2024-2025-{language}.{fmt}' in response.headers["Content-Disposition"]
        text = read(response.data)
        for code in ("2.11", "1.8", "3.1"):
            assert name_in(plan, code, language)[:40] in text, (fmt, code)
        assert ("3 / 40" if fmt == "pdf" else "University 3 40" if language == "en" else " 3 40 ") in text
        assert KAZAKH in text                        # every Kazakh letter survives the round trip
        assert "Гүлнар Әбенова" in text              # who generated it
        assert "sanaly.test/audit" in text          # the signed checkpoint of the audit log it carries, and where to check it


def test_pdf_embeds_its_font_and_draws_charts_as_vectors(plan, figures):
    filing = service.build_filing(plan, service.BOARD, "kk", generated_by="ACS", today=AS_OF)
    body = render_pdf(filing)
    reader = PdfReader(io.BytesIO(body))
    fonts = [font.get_object() for page in reader.pages for font in page["/Resources"]["/Font"].values()]
    assert fonts and all("/FontFile2" in f["/DescendantFonts"][0].get_object()["/FontDescriptor"] for f in fonts)
    # Only the styles the report writes in are in the file (each one a subset): not the bold italic it never uses.
    assert {str(f["/BaseFont"]).split("+")[-1] for f in fonts} == {"PTSans", "PTSansBold", "PTSansItalic"}
    assert b"PTSansBoldItalic" not in body
    assert all(not page.images for page in reader.pages)             # no picture of text, no picture of a chart
    streams = b"".join(page.get_contents().get_data() for page in reader.pages)
    assert streams.count(b" re f") + streams.count(b" re\nf") + streams.count(b"re f") > 3   # filled rectangles: bars


def test_docx_puts_a_chart_beside_the_numbers_given_as_text(plan, figures):
    filing = service.build_filing(plan, service.BOARD, "ru", generated_by="ACS", today=AS_OF)
    document = docx.Document(io.BytesIO(render_docx(filing)))
    assert document.inline_shapes                     # the chart picture
    rows = [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]
    assert ["Университет", "3", "40", "7,5%"] in rows and ["Faculty of Energy", "3", "40", "7,5%"] in rows


def test_activities_not_measured_in_people_are_never_a_percentage(plan, figures):
    filing = service.build_filing(plan, service.BOARD, "en", generated_by="ACS", today=AS_OF)
    for code in ("1.8", "1.10", "1.5", "1.7"):
        line = line_of(filing, code)
        assert line.figure is None and line.bars == [] and "distinct people" not in line.done
        assert line.target == (activity_by_code(plan, code).target_text or "—")   # the plan's own words, as written
    for code in ("1.8", "1.10"):                                                  # documents: no percentage at all
        assert "%" not in line_of(filing, code).done
    assert "divisions heard" in line_of(filing, "1.7").done                       # in its own terms
    assert "declarations submitted" in line_of(filing, "1.5").done
    forum = line_of(filing, "2.11")
    assert forum.figure.participants == 3 and forum.target == "10%" and forum.bars[0].percent == 7.5
    assert "Took part: 3 distinct people out of a headcount of 40 (7.5%)." in forum.done
    assert "Still needed to reach the target of 10%: 1." in forum.done


def test_a_quarter_counts_only_its_own_days(plan, figures):
    keys = [q.key for q in service.quarters(plan)]
    assert keys[0] == "2024Q3" and keys[-1] == "2025Q3" and len(keys) == 5
    autumn = service.build_filing(plan, service.QUARTERLY, "en", generated_by="ACS", today=AS_OF,
                                  period=service.period_by_key(plan, "2024Q4"))
    winter = service.build_filing(plan, service.QUARTERLY, "en", generated_by="ACS", today=AS_OF,
                                  period=service.period_by_key(plan, "2025Q1"))
    assert line_of(autumn, "2.11").figure.participants == 2
    assert line_of(winter, "2.11").figure.participants == 1
    assert (autumn.date_from, autumn.date_to) == (date(2024, 10, 1), date(2024, 12, 31))
    assert "Quarter 4 of 2024" in autumn.title


def test_the_quarterly_information_and_the_range_report_download(plan, figures, client, auth):
    auth.login(ADMIN)
    quarterly = client.get("/admin/filings/quarterly.pdf?quarter=2024Q4&lang=ru")
    assert quarterly.status_code == 200 and quarterly.mimetype == "application/pdf"
    text = pdf_text(quarterly.data)
    assert "2 / 40" in text and "01.10.2024 – 31.12.2024" in text
    assert client.get("/admin/filings/quarterly.pdf?quarter=1999Q1").status_code == 404
    ranged = client.get("/admin/filings/range.docx?from=2024-12-01&to=2024-12-09&lang=kk")
    assert ranged.status_code == 200 and " 1 40 2,5%" in docx_text(ranged.data)
    assert "analytical-report-2024-12-01_2024-12-09-kk.docx" in ranged.headers["Content-Disposition"]
    assert client.get("/admin/filings/range.pdf?from=2024-12-09&to=2024-12-01").status_code == 400
    page = client.get("/admin/coverage/report?from=2024-12-01&to=2024-12-31").get_data(as_text=True)
    assert 'formaction="/admin/filings/range.docx"' in page and 'formaction="/admin/filings/range.pdf"' in page
    assert 'name="from" value="2024-12-01"' in page



@pytest.mark.parametrize("language", ["kk", "ru", "en"])
@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_the_quarterly_information_reads_back_with_its_titles_figures_and_narrative(plan, figures, client, auth,
                                                                                     fmt, language):
    forum = activity_by_code(plan, "2.11")
    service.save_narrative(forum, "2024Q4", language, f"Тоқсан / quarter: {KAZAKH}", admin())
    db.session.commit()
    auth.login(ADMIN)
    response = client.get(f"/admin/filings/quarterly.{fmt}?quarter=2024Q4&lang={language}")
    assert response.status_code == 200
    assert f"quarterly-information-2024Q4-{language}.{fmt}" in response.headers["Content-Disposition"]
    text = pdf_text(response.data) if fmt == "pdf" else docx_text(response.data)
    for code in ("1.10", "2.11", "3.1", "4.2"):
        assert name_in(plan, code, language)[:40] in text, code
    assert ("2 / 40" if fmt == "pdf" else " 2 40 ") in text       # the forum's two in the quarter, of forty
    assert KAZAKH in text and "Гүлнар Әбенова" in text


# --- who may file and write ---------------------------------------------------------------------

@pytest.mark.parametrize("roles", [("student",), ("curator",), ("staff",), ("jury",), ("coordinator",)])
def test_only_the_acs_downloads_the_reports_or_writes_narratives(plan, figures, client, auth, make_user, roles):
    make_user("someone@uni.test", roles=roles)
    forum = activity_by_code(plan, "2.11")
    auth.login("someone@uni.test")
    for url in ("/admin/filings/", "/admin/filings/board.pdf", "/admin/filings/board.docx",
                "/admin/filings/quarterly.pdf?quarter=2024Q4", "/admin/filings/range.docx",
                f"/admin/filings/narratives/{forum.id}/year"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/admin/filings/narratives/{forum.id}/year",
                       data={"language": "ru", "text": "Чужой текст"}).status_code == 403
    assert db.session.scalar(select(Narrative.id)) is None


def test_a_visitor_is_sent_to_sign_in(plan, client):
    assert client.get("/admin/filings/board.pdf").status_code == 302


# --- narratives ---------------------------------------------------------------------------------

def test_the_acs_writes_a_narrative_that_the_report_prints_and_the_audit_log_keeps(plan, figures, client, auth):
    forum = activity_by_code(plan, "2.11")
    auth.login(ADMIN)
    page = client.get(f"/admin/filings/narratives/{forum.id}/2024Q4?lang=kk")
    assert page.status_code == 200 and 'selected value="kk"' in page.get_data(as_text=True)
    text = f"Форум 9 желтоқсанда өтті. {KAZAKH}"
    response = client.post(f"/admin/filings/narratives/{forum.id}/2024Q4", data={"language": "kk", "text": text})
    assert response.status_code == 302
    saved = db.session.execute(select(Narrative)).scalar_one()
    assert (saved.period, saved.language, saved.text) == ("2024Q4", "kk", text)
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "filing.narrative_saved")).scalar_one()
    assert event.subject == f"activity:{forum.id}" and '"period":"2024Q4"' in event.payload
    index = client.get("/admin/filings/?period=2024Q4").get_data(as_text=True)
    assert "kk" in index and f"/admin/filings/narratives/{forum.id}/2024Q4" in index
    # The quarter's report prints it (a report in another language falls back to the one written).
    for language in ("kk", "ru"):
        body = client.get(f"/admin/filings/quarterly.docx?quarter=2024Q4&lang={language}").data
        assert text in docx_text(body)
    # A report for any dates prints the narratives of the quarters it touches.
    assert text in docx_text(client.get("/admin/filings/range.docx?from=2024-12-01&to=2024-12-31&lang=kk").data)
    # The Board's report is about the year: a quarter's narrative is not the year's.
    assert text not in docx_text(client.get("/admin/filings/board.docx?lang=kk").data)


def test_a_too_long_narrative_is_refused_at_the_field_and_keeps_what_was_typed(plan, figures, client, auth):
    forum = activity_by_code(plan, "2.11")
    auth.login(ADMIN)
    typed = "Абзац " + "ә" * service.MAX_NARRATIVE
    response = client.post(f"/admin/filings/narratives/{forum.id}/year", data={"language": "ru", "text": typed})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'class="error"' in page and typed in page
    assert db.session.scalar(select(Narrative.id)) is None
    assert client.get(f"/admin/filings/narratives/{forum.id}/1999Q1").status_code == 404


# --- certificates -------------------------------------------------------------------------------

def test_a_certificate_pdf_is_vector_with_the_name_as_text_and_a_qr_code(app, client, auth, make_user):
    holder = make_user("holder@uni.test", name="Әйгерім Құрманғазықызы")
    certificate = certificates.issue(holder, kind="participation", subject_ref="contest:99",
                                     title="Адал ұрпақ — эссе", issued_on=date(2024, 12, 9))
    db.session.commit()
    auth.login("holder@uni.test")
    response = client.get(f"/certificates/{certificate.code}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 1 and not reader.pages[0].images     # text and vectors, not a picture
    text = pdf_text(response.data)
    assert "Әйгерім Құрманғазықызы" in text and certificate.code in text and "Адал ұрпақ — эссе" in text
    assert f"/verify/{certificate.code}" in text
    stream = reader.pages[0].get_contents().get_data()
    assert stream.count(b" re") > 50                                  # the QR code's modules, drawn as squares
    assert client.get(f"/certificates/{certificate.code}.png").mimetype == "image/png"   # the picture stays


def test_a_deliverables_status_and_evidence_are_in_the_filed_report(plan, figures):
    acs = db.session.execute(select(User).where(User.email == ADMIN)).scalar_one()
    activity = activity_by_code(plan, "1.8")
    period = db.session.execute(select(Deliverable).where(Deliverable.activity_id == activity.id)).scalars().first()
    moment = datetime(2025, 2, 20, 9)
    deliverables.add_evidence(acs, moment, Path("."),
                              activity_id=activity.id, deliverable=period, kind=NOTE, title="Проект отчёта Совету",
                              body="Разослан членам Совета 20 февраля.")
    deliverables.change_status(period, IN_PROGRESS, acs, moment)
    db.session.commit()
    filing = service.build_filing(plan, service.BOARD, "ru", generated_by="ACS", today=AS_OF)
    line = line_of(filing, "1.8")
    assert [item.title for item in line.evidence] == ["Проект отчёта Совету"]
    assert "в процессе" in line.done and "%" not in line.done
    text = docx_text(render_docx(filing))
    assert "Проект отчёта Совету" in text and "в процессе" in text
    assert "Проект отчёта Совету" in pdf_text(render_pdf(filing))


def test_a_responsible_units_reporter_writes_their_own_activitys_narrative_only(plan, figures, client, auth,
                                                                                 make_user):
    acs = db.session.execute(select(User).where(User.email == ADMIN)).scalar_one()
    board = activity_by_code(plan, "1.8")
    unit = deliverables.units_of([board.id])[board.id][0]
    reporter = make_user("reporter@uni.test", roles=("staff",))
    deliverables.name_reporters(unit, [reporter], acs, datetime(2025, 2, 1, 9))
    db.session.commit()
    other = next(a for a in plan.activities
                 if unit.id not in {u.id for u in deliverables.units_of([a.id]).get(a.id, [])})
    auth.login("reporter@uni.test")
    assert client.get(f"/admin/filings/narratives/{other.id}/year").status_code == 403
    assert client.get("/admin/filings/board.pdf").status_code == 403                  # writing is not filing
    response = client.post(f"/admin/filings/narratives/{board.id}/year", data={"language": "ru", "text": "Отчёт подготовлен."})
    assert response.status_code == 302 and f"/admin/filings/narratives/{board.id}/year" in response.headers["Location"]
    assert db.session.execute(select(Narrative)).scalar_one().text == "Отчёт подготовлен."
def test_a_certificate_in_kazakh_names_the_university_in_kazakh(plan, client, auth, make_user):
    holder = make_user("holder@uni.test", name="Нұрлан Әбдіров")
    certificate = certificates.issue(holder, kind="course", subject_ref="course:999", title="Адалдық негіздері",
                                     issued_on=date(2025, 2, 1))
    db.session.commit()
    auth.login("holder@uni.test")
    client.get("/language/kk")
    text = pdf_text(client.get(f"/certificates/{certificate.code}.pdf").data)
    assert "Әбілқас Сағынов атындағы Қарағанды техникалық университеті" in text and "Нұрлан Әбдіров" in text
