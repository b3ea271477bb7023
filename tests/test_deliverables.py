"""Deliverables: responsible units from the plan, status per period (overdue derived), evidence, and who may touch what."""
import csv
import io
import json
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.coverage import service as coverage
from app.home import overview
from app.plan import deliverables as service
from app.plan.deliverable_models import ACCEPTED, IN_PROGRESS, OVERDUE, PLANNED, SUBMITTED, Deliverable, Evidence
from app.plan.service import activity_by_code, current_plan

AS_OF = date(2025, 3, 1)


@pytest.fixture
def clock(app):
    """Set the application's clock: clock(date(…)) moves today."""
    def move(day: date):
        app.config["NOW_FUNCTION"] = lambda: datetime.combine(day, datetime.min.time().replace(hour=6))
    move(AS_OF)
    return move


@pytest.fixture
def plan(app, setup_cli, clock):
    assert setup_cli("load-content").exit_code == 0
    plan = current_plan(AS_OF)
    service.sync_plan(plan)
    db.session.commit()
    return plan


def unit(plan, label):
    return next(u for u in service.plan_units(plan) if u.label == label)


def deliverable(plan, code, number=1) -> Deliverable:
    activity = activity_by_code(plan, code)
    return db.session.execute(select(Deliverable).where(Deliverable.activity_id == activity.id,
                                                        Deliverable.period_number == number)).scalar_one()


@pytest.fixture
def people(plan, make_user):
    """The ACS, a reporter for "Chief of staff" (4.1) and one for the Board for Ethics (1.9), and a student."""
    acs = make_user("acs@uni.test", roles=("admin",), name="Aigerim ACS")
    chief = make_user("chief@uni.test", roles=("staff",), name="Chief Reporter")
    ethics = make_user("ethics@uni.test", roles=("staff",), name="Ethics Reporter")
    student = make_user("student@uni.test", roles=("student",))
    service.name_reporters(unit(plan, "Chief of staff"), [chief], acs, datetime(2025, 3, 1, 6))
    service.name_reporters(unit(plan, "Board for Ethics"), [ethics], acs, datetime(2025, 3, 1, 6))
    db.session.commit()
    return {"acs": acs, "chief": chief, "ethics": ethics, "student": student}


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, "PNG")
    return out.getvalue()


def docx_bytes(extra: dict | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        for name, body in (extra or {}).items():
            archive.writestr(name, body)
    return out.getvalue()


def upload(client, item, name, raw, **fields):
    return client.post(f"/deliverables/{item.id}/evidence", data={"kind": "file", "file": (io.BytesIO(raw), name),
                                                                 **fields}, content_type="multipart/form-data")


def evidence_folder(app) -> Path:
    return Path(app.config["UPLOAD_FOLDER"]) / "evidence"


# --- responsible units -------------------------------------------------------------------------------------

def test_responsible_column_is_split_into_the_plans_abbreviations():
    abbreviations = {"ALD": "administration-legal department", "ACS": "Anti-corruption Compliance Service"}
    assert service.parse_units(["ALD ACS"], abbreviations) == [
        ("ALD", "administration-legal department"), ("ACS", "Anti-corruption Compliance Service")]
    assert [label for label, _ in service.parse_units(
        ["Chief of staff", "ALD", "ACCS", "the University working group", "The university working group"],
        abbreviations)] == ["Chief of staff", "ALD", "ACS", "the University working group"]
    assert [label for label, _ in service.parse_units(["deans of faculties. Library"], {})] == [
        "deans of faculties", "Library"]


def test_the_shipped_plan_gets_a_row_per_deliverable_period_and_its_units(plan):
    rows = db.session.execute(select(Deliverable)).scalars().all()
    codes = {d.activity.code for d in rows}
    assert codes == {"1.2", "1.3", "1.4", "1.8", "1.9", "1.10", "1.11", "4.1", "4.2"}
    assert len([d for d in rows if d.activity.code == "1.10"]) == 4          # quarterly
    assert len([d for d in rows if d.activity.code == "1.11"]) == 12         # monthly: the media monitoring report
    assert {u.label for u in service.units_of([activity_by_code(plan, "1.6").id])[activity_by_code(plan, "1.6").id]} \
        == {"ALD", "ACS"}
    assert deliverable(plan, "4.1").unit.label == "Chief of staff"
    service.sync_plan(plan)                                                  # idempotent
    db.session.commit()
    assert len(db.session.execute(select(Deliverable)).scalars().all()) == len(rows)


# --- status rules ------------------------------------------------------------------------------------------

def test_a_period_is_overdue_only_after_its_end_and_only_until_submitted(plan, people):
    item = deliverable(plan, "4.1")                              # May 2025
    end = item.period.ends_on
    assert service.effective_status(item, end) == PLANNED
    after = date.fromordinal(end.toordinal() + 1)
    assert service.effective_status(item, after) == OVERDUE
    item.status = IN_PROGRESS
    assert service.effective_status(item, after) == OVERDUE
    item.status = SUBMITTED
    assert service.effective_status(item, after) == SUBMITTED
    item.status = ACCEPTED
    assert service.effective_status(item, after) == ACCEPTED


def test_submitting_needs_evidence_and_only_the_acs_accepts_or_returns_with_a_reason(plan, people, app):
    item, chief, acs = deliverable(plan, "4.1"), people["chief"], people["acs"]
    moment = datetime(2025, 3, 2, 6)
    service.change_status(item, IN_PROGRESS, chief, moment)
    with pytest.raises(service.DeliverableError, match="evidence"):
        service.change_status(item, SUBMITTED, chief, moment)
    service.add_evidence(chief, moment, evidence_folder(app), activity_id=item.activity_id, deliverable=item,
                         kind="text", body="The plan was discussed at the rectorate on 2 March.")
    db.session.refresh(item)
    service.change_status(item, SUBMITTED, chief, moment)
    assert item.person_id == chief.id and item.submitted_at == moment
    with pytest.raises(service.DeliverableError):
        service.change_status(item, ACCEPTED, chief, moment)       # a reporter never accepts their own work
    with pytest.raises(service.DeliverableError) as caught:
        service.change_status(item, IN_PROGRESS, acs, moment)      # returned without a reason
    assert caught.value.field == "note"
    service.change_status(item, ACCEPTED, acs, moment)
    assert item.status == ACCEPTED and item.accepted_at == moment
    service.change_status(item, IN_PROGRESS, acs, moment, note="The annex is missing.")
    assert item.status == IN_PROGRESS and item.accepted_at is None and item.note == "The annex is missing."
    db.session.commit()
    moves = [json.loads(e.payload) for e in db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "deliverable.status").order_by(AuditEvent.seq)).scalars()]
    assert [(m["from"], m["to"]) for m in moves] == [
        (PLANNED, IN_PROGRESS), (IN_PROGRESS, SUBMITTED), (SUBMITTED, ACCEPTED), (ACCEPTED, IN_PROGRESS)]
    assert [c.action for c in service.history(item)][:2] == ["deliverable.status", "deliverable.status"]


def test_the_board_filters_by_status_section_and_unit(plan, people, clock):
    clock(date(2025, 6, 5))                                      # 4.1 (May 2025) is overdue now
    rows = service.board(plan, date(2025, 6, 5), status=OVERDUE)
    assert "4.1" in {r.deliverable.activity.code for r in rows}
    assert all(r.status == OVERDUE for r in rows)
    assert {r.deliverable.activity.section for r in service.board(plan, date(2025, 6, 5), section=4)} == {4}
    chief_unit = unit(plan, "Chief of staff")
    assert {r.deliverable.activity.code for r in service.board(plan, date(2025, 6, 5), unit_id=chief_unit.id)} \
        == {"4.1", "4.2"}
    mine = service.board(plan, date(2025, 6, 5), user=people["ethics"])
    assert {r.deliverable.activity.code for r in mine} == {"1.9"}


def test_status_for_and_evidence_for_serve_the_reports(plan, people, app):
    item = deliverable(plan, "1.9")
    service.add_evidence(people["ethics"], datetime(2025, 3, 2), evidence_folder(app), activity_id=item.activity_id,
                         deliverable=item, kind="link", url="https://ktu.example.kz/ethics/analysis-2025")
    db.session.commit()
    activity_id = item.activity_id
    statuses = service.status_for([activity_id], AS_OF)
    assert [(row.period.number, row.status) for row in statuses[activity_id]] == [(1, PLANNED)]
    found = service.evidence_for([activity_id, 0])
    assert [e.url for e in found[activity_id]] == ["https://ktu.example.kz/ethics/analysis-2025"]


# --- who may touch what -----------------------------------------------------------------------------------

def test_a_units_reporter_cannot_touch_another_units_item(plan, people, client, auth, app):
    theirs = deliverable(plan, "1.9")                            # the Board for Ethics'
    auth.login("chief@uni.test")
    assert client.get(f"/deliverables/{theirs.id}").status_code == 403
    assert client.post(f"/deliverables/{theirs.id}/status", data={"to": IN_PROGRESS}).status_code == 403
    assert upload(client, theirs, "minutes.pdf", pdf_bytes()).status_code == 403
    assert client.get(f"/deliverables/activity/{theirs.activity_id}").status_code == 403
    db.session.refresh(theirs)
    assert theirs.status == PLANNED and theirs.evidence == []
    mine = deliverable(plan, "4.1")
    assert client.get(f"/deliverables/{mine.id}").status_code == 200
    assert client.post(f"/deliverables/{mine.id}/status", data={"to": IN_PROGRESS}).status_code == 302
    db.session.refresh(mine)
    assert mine.status == IN_PROGRESS


def test_a_student_cannot_fetch_evidence_nor_open_the_board(plan, people, client, auth, app):
    item = deliverable(plan, "4.1")
    auth.login("chief@uni.test")
    assert upload(client, item, "order.pdf", pdf_bytes(), title="Order No. 12").status_code == 302
    evidence = db.session.execute(select(Evidence)).scalar_one()
    assert client.get(f"/deliverables/evidence/{evidence.id}/file").data == pdf_bytes()
    auth.logout()
    auth.login("student@uni.test")
    assert client.get(f"/deliverables/evidence/{evidence.id}/file").status_code == 403
    assert client.get("/deliverables/").status_code == 403
    assert client.get(f"/deliverables/{item.id}").status_code == 403
    auth.logout()
    assert client.get(f"/deliverables/evidence/{evidence.id}/file").status_code == 302      # to the sign-in page
    auth.login("ethics@uni.test")
    assert client.get(f"/deliverables/evidence/{evidence.id}/file").status_code == 403


def test_only_the_acs_accepts_through_the_page(plan, people, client, auth, app):
    item = deliverable(plan, "4.1")
    auth.login("chief@uni.test")
    upload(client, item, "order.pdf", pdf_bytes())
    client.post(f"/deliverables/{item.id}/status", data={"to": SUBMITTED})
    assert client.post(f"/deliverables/{item.id}/status", data={"to": ACCEPTED}).status_code == 422
    auth.logout()
    auth.login("acs@uni.test")
    assert client.post(f"/deliverables/{item.id}/status", data={"to": ACCEPTED}).status_code == 302
    db.session.refresh(item)
    assert item.status == ACCEPTED


# --- upload checks -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, raw, message", [
    ("report.pdf", b"<html><script>alert(1)</script></html>", "Upload a PDF"),          # a web page named .pdf
    ("report.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, "Upload a PDF"),                   # a program named .pdf
    ("minutes.docx", png_bytes(), "does not match its name"),                            # a picture named .docx
    ("photo.jpg", pdf_bytes(), "does not match its name"),                               # a PDF named .jpg
    ("plan.docx", docx_bytes({"word/vbaProject.bin": "macro"}), "macros"),
    ("plan.docx", b"PK\x03\x04 not really a zip", "damaged"),
])
def test_a_disguised_file_is_refused_at_the_field_and_nothing_is_kept(plan, people, client, auth, app, name, raw,
                                                                      message):
    item = deliverable(plan, "4.1")
    auth.login("chief@uni.test")
    response = upload(client, item, name, raw, title="Kept title")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page and 'id="evidence-file-error"' in page
    assert 'value="Kept title"' in page                                  # what was typed is kept
    assert db.session.execute(select(Evidence)).first() is None
    assert not evidence_folder(app).exists() or not any(evidence_folder(app).iterdir())


def test_accepted_files_are_stored_under_random_names_and_images_are_rebuilt(plan, people, client, auth, app):
    item = deliverable(plan, "4.1")
    auth.login("chief@uni.test")
    exif = Image.Exif()
    exif[0x010F] = "SecretCamera"
    photo = io.BytesIO()
    Image.new("RGB", (50, 40), "blue").save(photo, "JPEG", exif=exif)
    for name, raw in (("Приказ.pdf", pdf_bytes()), ("minutes.docx", docx_bytes()), ("round-table.jpg", photo.getvalue())):
        assert upload(client, item, name, raw).status_code == 302
    stored = db.session.execute(select(Evidence).order_by(Evidence.id)).scalars().all()
    assert [e.file_kind for e in stored] == ["pdf", "docx", "image"]
    assert stored[0].original_name == "Приказ.pdf" and stored[0].stored_name.endswith(".pdf")
    assert "Приказ" not in stored[0].stored_name and len(stored[0].stored_name) == 36
    kept = (evidence_folder(app) / stored[2].stored_name).read_bytes()
    assert b"SecretCamera" not in kept and (evidence_folder(app) / stored[2].thumb_name).is_file()
    response = client.get(f"/deliverables/evidence/{stored[1].id}/file")
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in response.headers["Content-Security-Policy"]
    added = db.session.execute(select(AuditEvent).where(AuditEvent.action == "evidence.added")).scalars().all()
    assert len(added) == 3 and all(e.actor_id == people["chief"].id for e in added)


def test_the_adder_removes_evidence_before_submission_and_never_after(plan, people, client, auth, app):
    item = deliverable(plan, "4.1")
    auth.login("chief@uni.test")
    upload(client, item, "a.pdf", pdf_bytes())
    upload(client, item, "b.pdf", pdf_bytes())
    first, second = db.session.execute(select(Evidence).order_by(Evidence.id)).scalars().all()
    stored = evidence_folder(app) / first.stored_name
    assert client.post(f"/deliverables/evidence/{first.id}/remove").status_code == 200      # asks first
    assert stored.exists()
    assert client.post(f"/deliverables/evidence/{first.id}/remove", data={"confirmed": "yes"}).status_code == 302
    assert not stored.exists()
    client.post(f"/deliverables/{item.id}/status", data={"to": SUBMITTED})
    assert client.post(f"/deliverables/evidence/{second.id}/remove").status_code == 403     # refused before asking
    assert client.post(f"/deliverables/evidence/{second.id}/remove", data={"confirmed": "yes"}).status_code == 403
    assert db.session.get(Evidence, second.id) is not None
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "evidence.removed")).scalar_one()


# --- home pages ---------------------------------------------------------------------------------------------

def test_reporters_see_their_due_items_and_overdue_is_flagged_to_them_and_the_acs(plan, people, client, auth, clock):
    clock(date(2025, 6, 5))
    due = service.due_for(people["chief"], date(2025, 6, 5))
    assert [(r.deliverable.activity.code, r.status) for r in due][0] == ("4.1", OVERDUE)
    auth.login("chief@uni.test")
    page = client.get("/").get_data(as_text=True)
    assert "Your deliverables" in page and "4.1" in page and "overdue" in page
    assert "1.9" not in page
    auth.logout()
    auth.login("acs@uni.test")
    page = client.get("/").get_data(as_text=True)
    assert "deliverable periods overdue" in page or "deliverable period overdue" in page
    panel = overview.acs_panel(datetime(2025, 6, 5, 6))
    assert "4.1" in {r.deliverable.activity.code for r in panel.overdue_deliverables}


# --- evidence of events: the gallery ------------------------------------------------------------------------

@pytest.fixture
def forum(plan, people):
    from app.coverage.events import create_event

    event = create_event(activity_by_code(plan, "2.11"), "Forum of 9 December", "Main hall",
                         datetime(2024, 12, 9, 4), datetime(2024, 12, 9, 8), people["acs"])
    db.session.commit()
    return event


def test_photos_of_an_event_form_its_gallery_and_only_staff_of_events_see_them(forum, people, client, auth, make_user,
                                                                              app):
    auth.login("acs@uni.test")
    response = client.post(f"/events/{forum.id}/evidence", data={
        "kind": "file", "title": "Opening of the forum", "file": (io.BytesIO(png_bytes()), "opening.png")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    client.post(f"/events/{forum.id}/evidence", data={"kind": "link", "url": "https://ktu.example.kz/news/forum"})
    photo, link = db.session.execute(select(Evidence).order_by(Evidence.id)).scalars().all()
    assert photo.event_id == forum.id and photo.activity_id == forum.activity_id and photo.deliverable_id is None
    page = client.get(f"/events/{forum.id}").get_data(as_text=True)
    gallery = page.split('class="gallery"', 1)[1].split("</ul>", 1)[0]
    assert f"/deliverables/evidence/{photo.id}/thumb" in gallery and "Opening of the forum" in gallery
    assert "https://ktu.example.kz/news/forum" in page.split('class="gallery"', 1)[1]
    assert [e.id for e in service.evidence_for([forum.activity_id])[forum.activity_id]] == [photo.id, link.id]
    auth.logout()
    curator = make_user("curator@uni.test", roles=("curator",))
    auth.login(curator.email)
    assert client.get(f"/deliverables/evidence/{photo.id}/thumb").status_code == 200
    assert client.post(f"/events/{forum.id}/evidence", data={"kind": "text", "body": "x"}).status_code == 403
    auth.logout()
    auth.login("student@uni.test")
    assert client.get(f"/deliverables/evidence/{photo.id}/file").status_code == 403
    assert client.get(f"/deliverables/evidence/{photo.id}/thumb").status_code == 403


def test_a_disguised_file_on_an_event_is_refused_and_the_title_kept(forum, people, client, auth):
    auth.login("acs@uni.test")
    response = client.post(f"/events/{forum.id}/evidence", data={
        "kind": "file", "title": "Round table", "file": (io.BytesIO(b"GIF89a<script>"), "photo.gif")},
        content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="evidence-file-error"' in page and 'value="Round table"' in page
    assert db.session.execute(select(Evidence)).first() is None


def test_an_overdue_period_is_mailed_once_to_its_units_reporters(plan, people, clock):
    from app.mail import reminders
    from app.mail.models import OutboxMessage

    moment = datetime(2025, 6, 5, 6)
    clock(moment.date())
    assert reminders.deliverables_overdue(datetime(2025, 3, 1, 6)) == 0           # nothing overdue yet
    first = reminders.deliverables_overdue(moment)
    again = reminders.deliverables_overdue(moment)
    messages = db.session.execute(select(OutboxMessage).where(OutboxMessage.category == "deliverable")).scalars().all()
    assert first == len(messages) and again == 0
    assert {m.to_address for m in messages} == {"chief@uni.test"}                  # 1.9 is not due before September
    assert any("4.1" in m.subject for m in messages) and "was due on" in messages[0].text_body


def test_the_acs_names_reporters_for_a_unit_and_only_staff_can_be_named(plan, people, client, auth, make_user):
    ald = unit(plan, "ALD")
    outsider = make_user("outsider@uni.test", roles=("student",))
    auth.login("chief@uni.test")
    assert client.get("/deliverables/units").status_code == 403
    assert client.post("/deliverables/units", data={"unit": ald.id, "reporters": [people["chief"].id]}).status_code == 403
    auth.logout()
    auth.login("acs@uni.test")
    page = client.get("/deliverables/units").get_data(as_text=True)
    owing = page.split("other units named in the plan", 1)[0]
    assert 'id="unit-%d"' % ald.id in owing                           # ALD owes 4.1 and 4.2
    response = client.post("/deliverables/units", data={"unit": ald.id,
                                                        "reporters": [people["ethics"].id, outsider.id]})
    assert response.status_code == 302
    db.session.expire_all()
    assert [u.email for u in unit(plan, "ALD").reporters] == ["ethics@uni.test"]
    named = db.session.execute(select(AuditEvent).where(AuditEvent.action == "deliverable.reporters")
                               .order_by(AuditEvent.seq.desc())).scalars().first()
    assert json.loads(named.payload)["added"] == [people["ethics"].id] and named.actor_id == people["acs"].id


def test_an_activitys_page_lists_its_periods_for_the_acs_and_its_units_reporters(plan, people, client, auth):
    quarterly = activity_by_code(plan, "1.10")
    auth.login("acs@uni.test")
    page = client.get(f"/admin/plan/{plan.slug}/1.10").get_data(as_text=True)
    assert f"/deliverables/activity/{quarterly.id}" in page
    page = client.get(f"/deliverables/activity/{quarterly.id}").get_data(as_text=True)
    assert page.count('class="deliverable-row"') == 4 and "Period 4" in page
    auth.logout()
    auth.login("chief@uni.test")
    assert client.get(f"/deliverables/activity/{activity_by_code(plan, '4.1').id}").status_code == 200
    assert client.get(f"/deliverables/activity/{quarterly.id}").status_code == 403


def test_a_file_over_ten_megabytes_is_refused_before_it_is_looked_at(tmp_path):
    from app.core.uploads import MAX_DOCUMENT_BYTES, UploadError, store_document

    big = pdf_bytes()[:-6] + b"\0" * MAX_DOCUMENT_BYTES + b"%%EOF\n"
    with pytest.raises(UploadError, match="larger than 10 MB"):
        store_document(io.BytesIO(big), "big.pdf", tmp_path / "evidence")
    assert not (tmp_path / "evidence").exists()
    kept = store_document(io.BytesIO(pdf_bytes()), "small.PDF", tmp_path / "evidence")
    assert kept.kind == "pdf" and (tmp_path / "evidence" / kept.name).read_bytes() == pdf_bytes()


def test_reloading_a_plan_whose_term_changed_keeps_each_periods_status_and_evidence(plan, people, app, tmp_path):
    import shutil

    from app.plan.service import load_plans

    item = deliverable(plan, "4.1")
    service.add_evidence(people["chief"], datetime(2025, 3, 2), evidence_folder(app), activity_id=item.activity_id,
                         deliverable=item, kind="text", body="Checked 42 documents.")
    service.change_status(item, SUBMITTED, people["chief"], datetime(2025, 3, 2))
    db.session.commit()
    folder = tmp_path / "plans"
    folder.mkdir()
    shipped = Path(app.config["CONTENT_FOLDER"]) / "plans" / "ktu-2024-2025.toml"
    for path in shipped.parent.glob("ktu-2024-2025*.toml"):
        shutil.copy(path, folder / path.name)
    head, tail = (folder / shipped.name).read_text(encoding="utf-8").split('code = "4.1"', 1)
    text = head + 'code = "4.1"' + tail.replace('term = "May 2025"', 'term = "June 2025"', 1)
    (folder / shipped.name).write_text(text, encoding="utf-8")
    load_plans(folder)
    db.session.expire_all()
    again = deliverable(plan, "4.1")
    assert again.id == item.id and again.status == SUBMITTED and [e.body for e in again.evidence] == [
        "Checked 42 documents."]
    assert again.period.ends_on == date(2025, 6, 30)


def test_coverage_measures_a_deliverable_by_its_periods_accepted_and_drops_its_cache_on_a_move(plan, people, app):
    item, chief, acs = deliverable(plan, "4.1"), people["chief"], people["acs"]
    periods = len(item.activity.periods)
    figure = coverage.coverage(plan, AS_OF, with_groups=False).university.figures[item.activity_id]
    assert figure.measure.text.startswith(f"0 of {periods} period") and "%" not in figure.measure.text
    moment = datetime(2025, 3, 2, 6)
    service.add_evidence(chief, moment, evidence_folder(app), activity_id=item.activity_id, deliverable=item,
                         kind="text", body="Done.")
    db.session.refresh(item)
    service.change_status(item, IN_PROGRESS, chief, moment)
    service.change_status(item, SUBMITTED, chief, moment)
    service.change_status(item, ACCEPTED, acs, moment)
    db.session.commit()
    figure = coverage.coverage(plan, AS_OF, with_groups=False).university.figures[item.activity_id]
    assert figure.measure.done == 1 and figure.measure.text.startswith(f"1 of {periods} period")
    overdue = deliverable(plan, "1.10")                    # its first quarter ended before AS_OF unsubmitted
    text = coverage.coverage(plan, AS_OF, with_groups=False).university.figures[overdue.activity_id].measure.text
    assert "overdue" in text


def test_a_deliverable_with_an_overdue_period_is_behind_on_the_dashboard_not_not_started(plan, people, client, auth):
    overdue = deliverable(plan, "1.10")                    # its first quarter ended before AS_OF unsubmitted
    figure = coverage.coverage(plan, AS_OF, with_groups=False).university.figures[overdue.activity_id]
    assert figure.measure.late >= 1 and figure.status == coverage.BEHIND
    on_time = coverage.coverage(plan, AS_OF, with_groups=False).university.figures[deliverable(plan, "4.1").activity_id]
    assert on_time.measure.late == 0 and on_time.status != coverage.BEHIND
    auth.login(people["acs"].email)
    rows = client.get("/admin/coverage.csv").get_data(as_text=True).splitlines()
    assert any(row.startswith("university,") and ",1.10," in row and ",behind," in row for row in rows)


def test_a_deliverable_under_way_says_so_and_is_not_not_started(plan, people, app):
    item, acs = deliverable(plan, "4.2"), people["acs"]                   # within the year: begun, not yet due
    figure = coverage.coverage(plan, AS_OF, with_groups=False).university.figures[item.activity_id]
    assert figure.status == coverage.NOT_STARTED and figure.measure.text == "0 of 1 period accepted"
    moment = datetime(2025, 2, 20, 6)
    service.change_status(item, IN_PROGRESS, acs, moment)
    db.session.commit()
    figure = coverage.coverage(plan, AS_OF, with_groups=False).university.figures[item.activity_id]
    assert figure.status == coverage.ON_TRACK and figure.measure.text == "0 of 1 period accepted, 1 in progress"
    service.add_evidence(acs, moment, evidence_folder(app), activity_id=item.activity_id, deliverable=item,
                         kind="text", body="Job descriptions checked.")
    db.session.refresh(item)
    service.change_status(item, SUBMITTED, acs, moment)
    db.session.commit()
    figure = coverage.coverage(plan, AS_OF, with_groups=False).university.figures[item.activity_id]
    assert figure.status == coverage.ON_TRACK and figure.measure.text == "0 of 1 period accepted, 1 submitted"


def test_a_monthly_deliverable_with_nothing_overdue_is_not_behind_however_few_months_are_accepted(plan, people, app):
    acs = people["acs"]
    moment = datetime(2025, 2, 28, 6)
    for number in range(1, 7):                                          # September to February: all ended by AS_OF
        item = deliverable(plan, "1.11", number)
        service.add_evidence(acs, moment, evidence_folder(app), activity_id=item.activity_id, deliverable=item,
                             kind="text", body="The month's summary.")
        db.session.refresh(item)
        service.change_status(item, IN_PROGRESS, acs, moment)
        service.change_status(item, SUBMITTED, acs, moment)
        if number == 1:
            service.change_status(item, ACCEPTED, acs, moment)
    db.session.commit()
    late_in_march = date(2025, 3, 20)                                  # March's period under way, not yet due
    figure = coverage.coverage(plan, late_in_march, with_groups=False).university.figures[item.activity_id]
    assert figure.measure.text == "1 of 12 periods accepted, 5 submitted" and figure.measure.late == 0
    assert figure.status == coverage.ON_TRACK                          # half the year gone, one accepted: not late


def test_the_coverage_export_gives_each_activity_not_counted_in_people_in_its_own_terms(plan, people, client, auth):
    auth.login(people["acs"].email)
    table = list(csv.DictReader(io.StringIO(client.get("/admin/coverage.csv").get_data(as_text=True).lstrip("\ufeff"))))
    university = {row["activity"]: row for row in table if row["scope"] == "university"}
    late = university["1.10"]
    assert late["kind"] == "deliverable" and late["coverage_percent"] == ""
    assert late["measure_done"] == "0" and late["measure_total"] == "4"
    assert late["measure"].startswith("0 of 4 periods accepted") and "overdue" in late["measure"]
    assert university["1.1"]["kind"] == "reach" and university["1.1"]["measure"] == ""
    workbook = load_workbook(io.BytesIO(client.get("/admin/coverage.xlsx").data))
    header, *rows = list(workbook.active.values)
    assert header[-3:] == ("measure_done", "measure_total", "measure")
    assert any(row[0] == "university" and row[2] == "1.10" and str(row[-1]).startswith("0 of 4 periods") for row in rows)
