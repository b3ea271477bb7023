"""The reporting channel: filing, following with code and passphrase, handling, auditing, public statistics."""
import io
import logging
import re
from datetime import date, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.reports import service
from app.reports.models import CLOSED, REFERRED, UNDER_REVIEW, Report, ReportAttachment

TODAY = date(2025, 3, 3)
STORY = "The dean's secretary asked for 20,000 tenge to put my transfer application on top of the pile."


def file(category="bribe", what=STORY, **extra):
    values = {"category": category, "what": what, "place": "", "happened": "", "anonymous": True, "contact": "",
              "user": None, "files": [], "folder": None, "today": TODAY, **extra}
    return service.file_report(**values)


def jpeg_with_gps() -> io.BytesIO:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"          # camera make
    exif[0x8825] = {2: (51.0, 10.0, 0.0)}  # GPS latitude
    data = io.BytesIO()
    image.save(data, "JPEG", exif=exif)
    data.seek(0)
    return data


def test_anyone_can_file_and_gets_a_code_and_a_passphrase_shown_once(app, client):
    page = client.post("/report", data={"category": "exam", "what": STORY, "anonymous": "1"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "no-store" in page.headers["Cache-Control"]
    code = re.search(r'<code class="big">([A-Z0-9]{4}-[A-Z0-9]{4})</code>', html).group(1)
    passphrase = re.findall(r'<code class="big">([A-Z0-9-]+)</code>', html)[1]
    report = db.session.execute(select(Report)).scalar_one()
    assert report.code == code and report.anonymous and report.reporter_id is None
    assert passphrase not in report.passphrase_hash and report.passphrase_hash.startswith("$argon2id$")
    assert report.due_on == report.received_on + timedelta(days=service.DEFAULT_ANSWER_DAYS)


def test_bad_input_is_explained_and_the_text_is_kept(app, client):
    html = client.post("/report", data={"category": "exam", "what": "too short", "place": "Block C"}).get_data(as_text=True)
    assert "at least 20 characters" in html and "too short" in html and "Block C" in html
    assert db.session.execute(select(Report)).first() is None


def test_a_signed_in_person_may_give_their_name_or_stay_anonymous(app, client, auth, make_user):
    person = make_user("ann@uni.test")
    auth.login("ann@uni.test")
    client.post("/report", data={"category": "exam", "what": STORY, "anonymous": "1", "contact": "+7 700"})
    client.post("/report", data={"category": "exam", "what": STORY + " Again.", "anonymous": "0", "contact": "+7 700"})
    anonymous, named = db.session.execute(select(Report).order_by(Report.id)).scalars().all()
    assert anonymous.reporter_id is None and anonymous.contact == ""
    assert named.reporter_id == person.id and named.contact == "+7 700" and not named.anonymous


def test_the_case_opens_only_with_code_and_passphrase_and_both_mistakes_look_the_same(app, client):
    filed = file()
    code = filed.report.code
    wrong_code = client.post("/report/follow", data={"code": "ZZZZ-ZZZZ", "passphrase": filed.passphrase})
    wrong_pass = client.post("/report/follow", data={"code": code, "passphrase": "AAAA-BBBB-CCCC-DDDD"})
    assert wrong_code.status_code == wrong_pass.status_code == 200
    assert wrong_code.get_data(as_text=True) == wrong_pass.get_data(as_text=True).replace(f'value="{code}"', 'value="ZZZZ-ZZZZ"')
    assert client.get("/report/case").status_code == 302
    opened = client.post("/report/follow", data={"code": code.lower().replace("-", " "),
                                                 "passphrase": filed.passphrase.lower()})
    assert opened.status_code == 302
    page = client.get("/report/case").get_data(as_text=True)
    assert STORY.replace("'", "&#39;") in page and code in page


def test_the_reporter_reads_answers_but_never_internal_notes(app, client, make_user):
    officer = make_user("acs@uni.test", roles=("admin",))
    filed = file()
    service.officer_message(filed.report, officer, "We have opened a review.", internal=False, today=TODAY)
    service.officer_message(filed.report, officer, "Internal: the secretary is Ms X.", internal=True, today=TODAY)
    client.post("/report/follow", data={"code": filed.report.code, "passphrase": filed.passphrase})
    page = client.get("/report/case").get_data(as_text=True)
    assert "We have opened a review." in page and "Ms X" not in page
    client.post("/report/case", data={"body": "There was a witness: my group mate."})
    assert [m.author for m in db.session.get(Report, filed.report.id).messages] == ["acs", "acs", "reporter"]
    assert db.session.get(Report, filed.report.id).first_answer_on == TODAY


def test_status_changes_assignment_and_answers_are_audited_and_closing_needs_an_outcome(app, make_user):
    officer = make_user("acs@uni.test", roles=("admin",))
    other = make_user("acs2@uni.test", roles=("admin",))
    report = file().report
    service.change_status(report, officer, UNDER_REVIEW, "", TODAY)
    service.assign(report, officer, other)
    with pytest.raises(service.ReportError):
        service.change_status(report, officer, CLOSED, "", TODAY)
    with pytest.raises(service.ReportError):
        service.assign(report, officer, make_user("student@uni.test"))
    service.change_status(report, officer, REFERRED, "", TODAY)
    service.change_status(report, officer, CLOSED, "not confirmed", TODAY + timedelta(days=3))
    events = db.session.execute(select(AuditEvent).where(AuditEvent.subject == f"report:{report.id}")
                                .order_by(AuditEvent.id)).scalars().all()
    assert [e.action for e in events] == ["report.status", "report.assign", "report.status", "report.status"]
    assert all(STORY not in e.payload for e in events)
    assert report.closed_on == TODAY + timedelta(days=3) and report.outcome == "not confirmed"


def three_cases(officer):
    """One report answered in time, one answered late, one not answered yet; the first two are returned."""
    answered = file("exam", STORY).report
    service.officer_message(answered, officer, "Reviewing it now.", internal=False, today=TODAY + timedelta(days=4))
    late = file("dormitory", "Places in dormitory 2 go to those who pay the warden, others wait for months.").report
    service.officer_message(late, officer, "Looking into it.", internal=False, today=TODAY + timedelta(days=15))
    file("other", "A contractor was chosen without any tender for the new library furniture, at twice the price.")
    return answered, late


def test_the_public_statistics_count_and_time_but_never_show_a_case(app, client, make_user):
    officer = make_user("acs@uni.test", roles=("admin",))
    answered, late = three_cases(officer)
    stats = service.public_statistics(TODAY + timedelta(days=30))
    assert stats.total == 3 and stats.answered == 2 and stats.answered_in_time == 1 and stats.waiting_overdue == 1
    assert stats.median_days == 9.5 and stats.in_time_percent == pytest.approx(33.3)
    page = client.get("/reports/statistics").get_data(as_text=True)
    for secret in ("tenge", "warden", "tender", "Reviewing it now", answered.code, late.code):
        assert secret not in page


def test_attachments_lose_their_metadata_and_are_served_only_to_the_case(app, client, make_user, auth):
    response = client.post("/report", data={"category": "bribe", "what": STORY, "anonymous": "1",
                                            "attachments": [(jpeg_with_gps(), "IMG_0001.jpg")]},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    attachment = db.session.execute(select(ReportAttachment)).scalar_one()
    stored = app.config["UPLOAD_FOLDER"] + "/reports/" + attachment.stored_name
    with Image.open(stored) as image:
        assert not image.getexif()
    assert "IMG_0001" not in attachment.stored_name
    url = f"/report/case/files/{attachment.id}.jpg"
    assert client.get(url).status_code == 404            # no case open on this device
    make_user("acs@uni.test", roles=("admin",))
    auth.login("acs@uni.test")
    assert client.get(f"/admin/reports/files/{attachment.id}.jpg").status_code == 200


def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_saved(app, client):
    page = client.post("/report", data={"category": "bribe", "what": STORY,
                                        "attachments": [(io.BytesIO(b"%PDF-1.4 not an image"), "scan.pdf")]},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "not an image" in page and STORY.split(",")[0].replace("'", "&#39;") in page
    assert db.session.execute(select(Report)).first() is None


def test_filing_is_rate_limited_and_no_log_line_holds_the_address(app, client, caplog):
    caplog.set_level(logging.DEBUG)
    statuses = [client.post("/report", data={"category": "bribe", "what": f"{STORY} ({n})"},
                            environ_base={"REMOTE_ADDR": "203.0.113.77"}).status_code for n in range(7)]
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429, 429]
    assert "203.0.113.77" not in caplog.text


def test_following_is_rate_limited_against_guessing(app, client):
    statuses = [client.post("/report/follow", data={"code": f"AAAA-BBB{n}", "passphrase": "x"}).status_code
                for n in range(12)]
    assert statuses[:10] == [200] * 10 and 429 in statuses[10:]


def test_the_queue_puts_overdue_cases_first_and_the_admin_sets_the_time_limit(app, client, auth, make_user):
    make_user("acs@uni.test", roles=("admin",))
    old = file(today=TODAY - timedelta(days=30)).report
    file(today=TODAY)
    auth.login("acs@uni.test")
    client.post("/admin/reports/", data={"days": "5"})
    assert service.answer_days() == 5
    assert file().report.due_on == TODAY + timedelta(days=5)
    html = client.get("/admin/reports/?overdue=1").get_data(as_text=True)
    assert old.code in html and "overdue" in html
    assert "days" in client.post("/admin/reports/", data={"days": "0"}, follow_redirects=True).get_data(as_text=True)
    assert service.answer_days() == 5


def test_the_plans_register_of_reports_counts_those_received_and_answered_in_time(app, runner, client, make_user, auth):
    """4.3, the reporting channel, is measured by its reports — never as a share of employees."""
    from app.coverage import service as coverage
    from app.plan.service import activity_by_code, current_plan

    assert runner.invoke(args=["load-content"]).exit_code == 0
    plan = current_plan(TODAY)
    channel = activity_by_code(plan, "4.3")
    assert (channel.kind, channel.fed_by) == ("register", "reports")
    officer = make_user("acs@uni.test", roles=("admin",))
    three_cases(officer)
    before_the_year = file("other", "An old story from before the plan's year began, filed in the summer.").report
    before_the_year.received_on = before_the_year.due_on = plan.starts_on - timedelta(days=30)
    db.session.commit()
    figure = coverage.coverage(plan, TODAY + timedelta(days=30), with_groups=False).university.figures[channel.id]
    assert (figure.kind, figure.percent, figure.status) == ("register", None, coverage.NO_TARGET)
    assert (figure.measure.done, figure.measure.total) == (1, 3)
    assert figure.measure.text == "3 reports received, 1 answered within the time limit"
    app.config["NOW_FUNCTION"] = lambda: datetime(2025, 4, 2, 6)          # thirty days on, as above
    auth.login("acs@uni.test")
    page = client.get("/admin/coverage/").get_data(as_text=True)
    assert "reports received" in re.search(r"<tr[^>]*>\s*<td>(?:<a [^>]*>)?4\.3(?:</a>)?</td>.*?</tr>", page, re.S).group(0)
    assert client.get(f"/admin/registers/4.3?plan={plan.slug}").status_code == 404    # not a list Section 1 keeps
