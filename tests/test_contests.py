"""Contests end to end: entering, upload hardening, blind jury work, sealing, publication and proof."""
import hashlib
import io
import json
import re
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.audit import keys as audit_keys
from app.audit import verify_audit
from app.audit.models import AuditEvent
from app.audit.service import verify_chain
from app.certificates.models import Certificate
from app.contests import aggregate, service
from app.contests.models import Contest, Entry, JuryAssignment
from app.extensions import db
from app.gamification.models import XpEvent
from app.plan.models import Participation

ROOT = Path(__file__).resolve().parent.parent
DURING_ENTRIES = datetime(2024, 11, 1, 12, 0)
DURING_JUDGING = datetime(2024, 11, 25, 12, 0)
ESSAY = " ".join(["Honest decisions need open rules and many eyes."] * 60)   # 480 words


class Clock:
    def __init__(self, moment):
        self.moment = moment

    def __call__(self):
        return self.moment


@pytest.fixture
def clock(app):
    clock = Clock(DURING_ENTRIES)
    app.config["NOW_FUNCTION"] = clock
    return clock


@pytest.fixture
def content(app, tmp_path, runner, clock, setup_cli):
    for folder in ("plans", "contests"):
        (tmp_path / folder).mkdir()
    (tmp_path / "plans" / "ktu-2024-2025.toml").write_bytes((ROOT / "plans" / "ktu-2024-2025.toml").read_bytes())
    for name in ("essay-2024-2025.toml", "tiktok-2024-2025.toml"):
        (tmp_path / "contests" / name).write_bytes((ROOT / "contests" / name).read_bytes())
    app.config["CONTENT_FOLDER"] = str(tmp_path)
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    result = setup_cli("load-content")
    assert result.exit_code == 0, result.output
    return tmp_path


@pytest.fixture
def people(app, make_user, make_group):
    energy_a, energy_b = make_group("ЭЭ-24-1", "Faculty of Energy"), make_group("ЭЭ-24-2", "Faculty of Energy")
    mining = make_group("ГД-24-1", "Faculty of Mining")
    students = {
        "aruzhan": make_user("aruzhan@uni.test", name="Aruzhan Bekova", group=energy_a),
        "timur": make_user("timur@uni.test", name="Timur Akhmetov", group=energy_b),
        "dinara": make_user("dinara@uni.test", name="Dinara Zhumabekova", group=mining),
        "kamila": make_user("kamila@uni.test", name="Kamila Ismailova", group=mining),
    }
    jurors = [make_user(f"jury{i}@uni.test", name=f"Juror Number{i}", roles=("jury", "staff")) for i in range(1, 5)]
    admin = make_user("boss@uni.test", roles=("admin",))
    return students, jurors, admin


def essay():
    return service.contest_by_slug("essay-2024-2025")


def submit_essay(client, text=ESSAY, title="Open rules", **extra):
    return client.post("/contests/essay-2024-2025/enter", data={"title": title, "body": text, "action": "submit", **extra})


def login(client, email):
    client.post("/logout")
    return client.post("/login", data={"email": email, "password": "correct horse battery"})


def image_bytes(fmt="JPEG", size=(64, 48), exif=None):
    buffer = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


# --- entering --------------------------------------------------------------------------------

def test_a_text_entry_is_submitted_with_a_receipt(content, people, client, clock):
    students, _, _ = people
    login(client, "aruzhan@uni.test")
    response = submit_essay(client)
    assert response.status_code == 302 and "/receipt" in response.location
    entry = db.session.execute(select(Entry)).scalar_one()
    receipt = client.get(response.location).get_data(as_text=True)
    assert entry.code in receipt and entry.content_hash in receipt
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "entry.submitted")).scalar_one()
    assert entry.content_hash in event.payload
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 1
    assert db.session.scalar(select(func.sum(XpEvent.amount))) == 40


def test_word_limits_are_checked_on_the_server_and_the_text_is_kept(content, people, client):
    login(client, "aruzhan@uni.test")
    short = submit_essay(client, text="Too short to count.")
    page = short.get_data(as_text=True)
    assert short.status_code == 422 and "the contest asks for at least 400" in page and "Too short to count." in page
    long = submit_essay(client, text=" ".join(["word"] * 1600))
    assert "at most 1500" in long.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 0


def test_an_entry_naming_its_author_is_flagged_before_submitting(content, people, client):
    login(client, "aruzhan@uni.test")
    flagged = submit_essay(client, text=ESSAY + " Written by Aruzhan from the energy faculty.")
    assert flagged.status_code == 422 and "seems to contain your name" in flagged.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 0
    confirmed = submit_essay(client, text=ESSAY + " Written by Aruzhan from the energy faculty.", confirm_identity="y")
    assert confirmed.status_code == 302


def test_one_entry_per_person_and_drafts(content, people, client):
    login(client, "aruzhan@uni.test")
    draft = client.post("/contests/essay-2024-2025/enter", data={"title": "Draft", "body": "start", "action": "draft"})
    code = draft.location.split("/entries/")[1].split("/")[0]
    assert db.session.execute(select(Entry)).scalar_one().status == "draft"
    assert client.get("/contests/essay-2024-2025/enter").status_code == 302       # already entered
    done = client.post(f"/contests/entries/{code}/edit", data={"title": "Final", "body": ESSAY, "action": "submit"})
    assert done.status_code == 302 and db.session.execute(select(Entry)).scalar_one().status == "submitted"


def test_deadlines(content, people, client, clock):
    login(client, "aruzhan@uni.test")
    submit_essay(client)
    code = db.session.execute(select(Entry.code)).scalar_one()
    clock.moment = DURING_JUDGING
    late = client.post(f"/contests/entries/{code}/edit", data={"title": "Changed", "body": ESSAY, "action": "submit"})
    assert late.status_code == 422 and "can no longer be changed" in late.get_data(as_text=True)
    assert client.post(f"/contests/entries/{code}/withdraw").status_code == 302
    assert db.session.execute(select(Entry)).scalar_one().status == "submitted"
    login(client, "timur@uni.test")
    assert "Entries are not being accepted now." in submit_essay(client).get_data(as_text=True)
    clock.moment = datetime(2024, 10, 1)
    assert "Entries are not being accepted now." in submit_essay(client).get_data(as_text=True)


def test_withdrawal_takes_the_xp_back(content, people, client):
    login(client, "aruzhan@uni.test")
    submit_essay(client)
    code = db.session.execute(select(Entry.code)).scalar_one()
    client.post(f"/contests/entries/{code}/withdraw", data={"confirmed": "yes"})
    assert db.session.execute(select(Entry)).scalar_one().status == "withdrawn"
    assert db.session.scalar(select(func.sum(XpEvent.amount))) == 0
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "entry.withdrawn")).scalar_one()


# --- video entries and uploads ---------------------------------------------------------------

@pytest.mark.parametrize("raw, canonical", [
    ("https://www.tiktok.com/@clean.hands/video/7312345678901234567", "https://www.tiktok.com/@clean.hands/video/7312345678901234567"),
    ("https://tiktok.com/@a_b/video/7312345678901234567?is_from_webapp=1&lang=ru", "https://www.tiktok.com/@a_b/video/7312345678901234567"),
    ("https://vm.tiktok.com/ZMabc123/", "https://vm.tiktok.com/ZMabc123/"),
    ("https://vm.tiktok.com/ZMabc123", "https://vm.tiktok.com/ZMabc123/"),
    ("https://www.youtube.com/watch?v=x", None),
    ("https://tiktok.com.evil.example/@a/video/7312345678901234567", None),
    ("javascript:alert(1)", None),
])
def test_tiktok_links(raw, canonical):
    assert service.canonical_tiktok(raw) == canonical


def post_video(client, cover, url="https://vm.tiktok.com/ZMabc123/"):
    return client.post("/contests/tiktok-2024-2025/enter", data={
        "title": "The gift", "video_url": url, "description": "A minute about a gift.", "action": "submit",
        "cover": (io.BytesIO(cover), "cover.png")}, content_type="multipart/form-data")


def test_video_entry_with_a_clean_cover(content, people, client, app):
    login(client, "aruzhan@uni.test")
    gps = Image.Exif()
    gps[0x010F] = "PhoneMaker"          # camera make
    gps[0x8825] = {1: "N", 2: (43.0, 15.0, 0.0)}  # GPS info
    response = post_video(client, image_bytes("JPEG", exif=gps))
    assert response.status_code == 302, response.get_data(as_text=True)
    entry = db.session.execute(select(Entry)).scalar_one()
    assert entry.video_url == "https://vm.tiktok.com/ZMabc123/"
    assert re.fullmatch(r"[0-9a-f]{32}\.jpg", entry.cover_file)
    with Image.open(Path(app.config["UPLOAD_FOLDER"]) / "covers" / entry.cover_file) as stored:
        assert stored.format == "JPEG" and not stored.getexif() and "exif" not in stored.info
    served = client.get(f"/contests/entries/{entry.code}/cover.jpg")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.headers["Content-Disposition"] == f'inline; filename="{entry.code}.jpg"'
    assert served.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("payload, message", [
    (b"this is just text pretending to be a picture", "not an image we can read"),
    (b"", "The file is empty."),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "not an image we can read"),
])
def test_uploads_that_are_not_images_are_refused(content, people, client, payload, message):
    login(client, "aruzhan@uni.test")
    response = post_video(client, payload)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 0


def test_a_decompression_bomb_is_refused(content, people, client):
    login(client, "aruzhan@uni.test")
    bomb = io.BytesIO()
    Image.new("1", (12000, 12000)).save(bomb, "PNG")          # 144 megapixels in a few kilobytes
    assert len(bomb.getvalue()) < 100_000
    response = post_video(client, bomb.getvalue())
    assert response.status_code == 422 and "too many pixels" in response.get_data(as_text=True)


def test_an_oversized_upload_is_refused(content, people, client):
    login(client, "aruzhan@uni.test")
    response = post_video(client, b"\xff\xd8" + b"0" * (5 * 1024 * 1024 + 10))
    assert response.status_code == 422 and "larger than 5 MB" in response.get_data(as_text=True)


def test_a_contest_may_set_a_lower_limit_on_the_cover(content, people, client):
    video = db.session.execute(select(Contest).where(Contest.kind == "video")).scalar_one()
    video.max_file_mb = 1
    db.session.commit()
    login(client, "aruzhan@uni.test")
    response = post_video(client, b"\xff\xd8" + b"0" * (1024 * 1024 + 10))
    assert response.status_code == 422 and "larger than 1 MB, this contest" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 0
    assert post_video(client, image_bytes("PNG")).status_code == 302


def test_a_video_link_of_the_wrong_form_is_refused(content, people, client):
    login(client, "aruzhan@uni.test")
    response = post_video(client, image_bytes("PNG"), url="https://www.youtube.com/watch?v=abc")
    assert response.status_code == 422 and "Paste a TikTok video link" in response.get_data(as_text=True)


def test_cover_images_are_not_public_before_results(content, people, client):
    login(client, "aruzhan@uni.test")
    post_video(client, image_bytes("PNG"))
    code = db.session.execute(select(Entry.code)).scalar_one()
    login(client, "timur@uni.test")
    assert client.get(f"/contests/entries/{code}/cover.jpg").status_code == 404
    client.post("/logout")
    assert client.get(f"/contests/entries/{code}/thumb.jpg").status_code == 404


# --- the jury -----------------------------------------------------------------------------------

@pytest.fixture
def judged(content, people, client, clock):
    """Four essays submitted, the jury assigned, judging open."""
    students, jurors, admin = people
    for key, letter in (("aruzhan", "A"), ("timur", "T"), ("dinara", "D"), ("kamila", "K")):
        login(client, f"{key}@uni.test")
        assert submit_essay(client, title=f"Essay {letter}", show_name="y" if key == "dinara" else "").status_code == 302
    clock.moment = DURING_JUDGING
    warnings = service.assign_jury(essay(), admin, clock())
    return students, jurors, admin, warnings


def test_assignment_gives_three_jurors_and_is_audited(judged):
    students, jurors, admin, warnings = judged
    assignments = db.session.execute(select(JuryAssignment)).scalars().all()
    per_entry = {}
    for a in assignments:
        per_entry.setdefault(a.entry_id, set()).add(a.juror_id)
    assert len(per_entry) == 4 and all(len(j) == 3 for j in per_entry.values())
    loads = [sum(1 for a in assignments if a.juror_id == j.id) for j in jurors]
    assert max(loads) - min(loads) <= 1
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "jury.assigned")).scalar_one()


def test_jury_pages_never_show_the_author(judged, client):
    students, jurors, _admin, _ = judged
    login(client, "jury1@uni.test")
    pages = [client.get("/jury/").get_data(as_text=True)]
    for assignment in db.session.execute(select(JuryAssignment).where(JuryAssignment.juror_id == jurors[0].id)).scalars():
        pages.append(client.get(f"/jury/assignments/{assignment.id}").get_data(as_text=True))
    html = "\n".join(pages)
    assert "Essay" in html and "E-" in html
    for student in students.values():
        for secret in (student.full_name, student.email, student.group.code, student.group.faculty.name,
                       student.full_name.split()[1]):
            assert secret not in html


def test_a_juror_cannot_open_an_entry_not_assigned(judged, client):
    _s, jurors, _a, _ = judged
    theirs = db.session.execute(select(JuryAssignment).where(JuryAssignment.juror_id != jurors[0].id)).scalars().first()
    login(client, "jury1@uni.test")
    assert client.get(f"/jury/assignments/{theirs.id}").status_code == 404
    assert client.post(f"/jury/assignments/{theirs.id}", data={"c-argument": "9", "action": "seal", "confirmed": "yes"}).status_code == 404
    login(client, "aruzhan@uni.test")
    assert client.get("/jury/").status_code == 403


def score_all(client, juror_email, values):
    login(client, juror_email)
    from app.people.models import User
    juror = db.session.execute(select(User).where(User.email == juror_email)).scalar_one()
    for assignment in db.session.execute(select(JuryAssignment).where(
            JuryAssignment.juror_id == juror.id, JuryAssignment.status == "active")).scalars().all():
        points = values(assignment.entry)
        client.post(f"/jury/assignments/{assignment.id}", data={**{f"c-{k}": str(v) for k, v in points.items()},
                                                                 "comment": f"Comment on {assignment.entry.title}", "action": "seal", "confirmed": "yes"})


def test_scores_are_revisable_until_sealed_and_others_hidden_until_then(judged, client):
    _s, jurors, _a, _ = judged
    mine = db.session.execute(select(JuryAssignment).where(JuryAssignment.juror_id == jurors[0].id)).scalars().first()
    other = db.session.execute(select(JuryAssignment).where(JuryAssignment.entry_id == mine.entry_id,
                                                            JuryAssignment.juror_id != jurors[0].id)).scalars().first()
    login(client, other.juror.email)
    client.post(f"/jury/assignments/{other.id}", data={"c-argument": "7", "c-evidence": "7", "c-originality": "7", "c-language": "7", "action": "seal", "confirmed": "yes"})
    login(client, "jury1@uni.test")
    bad = client.post(f"/jury/assignments/{mine.id}", data={"c-argument": "11", "action": "save"})
    assert bad.status_code == 422 and "from 0 to 10" in bad.get_data(as_text=True)
    client.post(f"/jury/assignments/{mine.id}", data={"c-argument": "4", "action": "save"})
    page = client.get(f"/jury/assignments/{mine.id}").get_data(as_text=True)
    assert "Other jurors' sealed scores" not in page and "Juror A" not in page and 'value="4"' in page
    incomplete = client.post(f"/jury/assignments/{mine.id}", data={"c-argument": "5", "action": "seal", "confirmed": "yes"})
    assert "Score every criterion before sealing" in incomplete.get_data(as_text=True)
    client.post(f"/jury/assignments/{mine.id}", data={"c-argument": "5", "c-evidence": "6", "c-originality": "7", "c-language": "8", "action": "seal", "confirmed": "yes"})
    sealed = client.get(f"/jury/assignments/{mine.id}").get_data(as_text=True)
    assert "You sealed this score" in sealed and "Juror A" in sealed
    again = client.post(f"/jury/assignments/{mine.id}", data={"c-argument": "10", "c-evidence": "10", "c-originality": "10", "c-language": "10", "action": "seal", "confirmed": "yes"})
    assert "sealed and can no longer change" in again.get_data(as_text=True)
    assert db.session.get(JuryAssignment, mine.id).score.values["argument"] == 5
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "score.sealed")) == 2


def test_declaring_a_conflict_passes_the_entry_on(judged, client):
    _s, jurors, _a, _ = judged
    mine = db.session.execute(select(JuryAssignment).where(JuryAssignment.juror_id == jurors[0].id)).scalars().first()
    login(client, "jury1@uni.test")
    client.post(f"/jury/assignments/{mine.id}/conflict", data={"reason": "My niece's group", "confirmed": "yes"})
    assert db.session.get(JuryAssignment, mine.id).status == "conflict"
    active = db.session.execute(select(JuryAssignment).where(JuryAssignment.entry_id == mine.entry_id,
                                                             JuryAssignment.status == "active")).scalars().all()
    assert len(active) == 3 and jurors[0].id not in {a.juror_id for a in active}
    assert client.get(f"/jury/assignments/{mine.id}").status_code == 404
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "jury.conflict_declared")).scalar_one()


def test_a_conflict_nobody_can_take_over_is_said_and_shown_to_the_acs(judged, client):
    _s, jurors, admin, _ = judged
    entry_id = db.session.execute(select(JuryAssignment.entry_id)).scalars().first()

    def step_aside():
        active = db.session.execute(select(JuryAssignment).where(JuryAssignment.entry_id == entry_id,
                                                                 JuryAssignment.status == "active")).scalars().all()
        juror = next(j for j in jurors if j.id in {a.juror_id for a in active})
        assignment = next(a for a in active if a.juror_id == juror.id)
        client.post("/logout")
        login(client, juror.email)
        return client.post(f"/jury/assignments/{assignment.id}/conflict", data={"reason": "A relative", "confirmed": "yes"},
                           follow_redirects=True).get_data(as_text=True)

    first = step_aside()
    assert "The entry has been passed to another juror" in first
    second = step_aside()     # the pool (four jurors) has nobody left who may judge it
    assert "The entry has been passed to another juror" not in second and "No other juror in the pool could take it" in second
    code = db.session.get(Entry, entry_id).code
    client.post("/logout")
    login(client, admin.email)
    page = client.get("/admin/contests/essay-2024-2025/").get_data(as_text=True)
    assert "fewer jurors than the contest asks for" in page and code in page
    assert "1 short of jurors" in client.get("/admin/contests/").get_data(as_text=True)


def test_admin_reassigns_manually_within_the_rules(judged, client):
    students, jurors, admin, _ = judged
    assignment = db.session.execute(select(JuryAssignment)).scalars().first()
    idle = next(j for j in jurors if not db.session.execute(select(JuryAssignment).where(
        JuryAssignment.entry_id == assignment.entry_id, JuryAssignment.juror_id == j.id)).first())
    login(client, "boss@uni.test")
    client.post("/admin/contests/essay-2024-2025/reassign", data={"assignment": assignment.id, "juror": idle.id})
    assert db.session.get(JuryAssignment, assignment.id).status == "removed"
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "jury.override")).scalar_one()
    author = db.session.get(Entry, assignment.entry_id).author
    with pytest.raises(ValueError):
        service.reassign(db.session.execute(select(JuryAssignment).where(JuryAssignment.status == "active")).scalars().first(),
                         author, admin, DURING_JUDGING)


# --- results ---------------------------------------------------------------------------------------

def test_publication_results_bundle_and_certificates(judged, client, runner, app):
    students, jurors, admin, _ = judged
    quality = {"Essay A": 9, "Essay T": 6, "Essay D": 8, "Essay K": 4}
    for juror in jurors:
        score_all(client, juror.email, lambda entry: {k: quality[entry.title] for k in ("argument", "evidence", "originality", "language")})
    login(client, "boss@uni.test")
    admin_page = client.get("/admin/contests/essay-2024-2025/").get_data(as_text=True)
    assert "Preview of the results" in admin_page
    response = client.post("/admin/contests/essay-2024-2025/publish", data={"confirmed": "yes"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "robust" in page
    aruzhan_code = db.session.execute(select(Entry.code).where(Entry.title == "Essay A")).scalar_one()
    assert aruzhan_code in page and "Aruzhan Bekova" not in page        # did not consent to be named
    assert "Dinara Zhumabekova" in page                                   # consented, placed second
    assert client.post("/admin/contests/essay-2024-2025/publish", data={"confirmed": "yes"}, follow_redirects=True).status_code == 200
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "results.published")) == 1

    client.post("/logout")
    assert client.get("/contests/essay-2024-2025/results").status_code == 200
    bundle = zipfile.ZipFile(io.BytesIO(client.get("/contests/essay-2024-2025/results.zip").data))
    document = json.loads(bundle.read("results.json"))
    published = json.loads(bundle.read("ranking.json"))
    recomputed = aggregate.compute(document)
    assert [(r["entry"], r["place"], r["score"]) for r in recomputed["ranking"]] == \
        [(r["entry"], r["place"], r["score"]) for r in published["ranking"]]
    assert "Aruzhan" not in bundle.read("results.json").decode() and "jury1" not in bundle.read("results.json").decode()
    assert recomputed["ranking"][0]["entry"] == aruzhan_code

    kinds = dict(db.session.execute(select(Certificate.kind, func.count()).group_by(Certificate.kind)).all())
    assert kinds == {"diploma": 3, "participation": 4}
    assert runner.invoke(args=["audit-verify"]).exit_code == 0 and verify_chain().ok

    login(client, "aruzhan@uni.test")
    own = client.get(f"/contests/entries/{aruzhan_code}/edit").get_data(as_text=True)
    assert "What the jury said" in own and "Comment on Essay A" in own
    assert "Juror A" in own and "jury1" not in own


def test_a_jurors_reminder_is_done_once_everything_is_sealed_and_all_are_done_at_publication(judged, client):
    from app.gamification.models import Notification

    _students, jurors, admin, _ = judged

    def reminders():
        return {n.user_id: n for n in db.session.execute(select(Notification).where(Notification.kind == "jury")).scalars()}

    assert len(reminders()) == len(jurors) and not any(n.done_at for n in reminders().values())
    score_all(client, jurors[0].email, lambda entry: {k: 7 for k in ("argument", "evidence", "originality", "language")})
    db.session.expire_all()
    assert reminders()[jurors[0].id].done_at is not None and reminders()[jurors[0].id].read_at is not None
    assert all(reminders()[j.id].done_at is None for j in jurors[1:])
    page = client.get("/notifications").get_data(as_text=True)
    assert '<span class="tag">done</span>' in page and '<a href="/jury/">' not in page
    for juror in jurors[1:]:
        score_all(client, juror.email, lambda entry: {k: 6 for k in ("argument", "evidence", "originality", "language")})
    service.publish(essay(), admin, DURING_JUDGING)
    db.session.expire_all()
    assert all(n.done_at is not None for n in reminders().values())


def test_a_quoted_title_inside_a_notification_takes_the_nested_quotation_marks(app):
    from app.gamification.models import Notification
    from app.gamification.service import N_, notification_text

    note = Notification(user_id=1, kind="jury", text="", message=N_("%(n)d entries of “%(title)s” are waiting for your scores."),
                        params={"n": 4, "title": "Poem: “Clean hands”"})
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert notification_text(note) == "4 entries of “Poem: ‘Clean hands’” are waiting for your scores."


def test_publication_waits_for_every_sealed_score(judged, client):
    _s, _j, admin, _ = judged
    with pytest.raises(ValueError, match="still lack sealed scores"):
        service.publish(essay(), admin, DURING_JUDGING)
    assert essay().published_at is None


def test_results_are_not_public_before_publication(judged, client):
    assert client.get("/contests/essay-2024-2025/results").status_code == 404
    assert client.get("/contests/essay-2024-2025/results.zip").status_code == 404


def test_public_audit_page(judged, client):
    page = client.get("/audit").get_data(as_text=True)
    assert "The log verifies end to end." in page


def publish_with_scores(client, judged):
    _students, jurors, _admin, _ = judged
    quality = {"Essay A": 9, "Essay T": 6, "Essay D": 8, "Essay K": 4}
    for juror in jurors:
        score_all(client, juror.email, lambda entry: {k: quality[entry.title] for k in ("argument", "evidence", "originality", "language")})
    login(client, "boss@uni.test")
    assert client.post("/admin/contests/essay-2024-2025/publish", data={"confirmed": "yes"}).status_code == 302
    client.post("/logout")
    return zipfile.ZipFile(io.BytesIO(client.get("/contests/essay-2024-2025/results.zip").data))


def test_the_bundle_data_hash_is_the_sha256_of_the_shipped_results_json(judged, client):
    bundle = publish_with_scores(client, judged)
    shipped = hashlib.sha256(bundle.read("results.json")).hexdigest()
    readme = bundle.read("README.txt").decode()
    published = db.session.execute(select(AuditEvent).where(AuditEvent.action == "results.published")).scalar_one()
    assert json.loads(published.payload)["results_hash"] == shipped == essay().results["results_hash"]
    assert f"sha256sum results.json  gives  {shipped}" in readme
    assert shipped in client.get("/contests/essay-2024-2025/results").get_data(as_text=True)


def test_the_bundle_carries_the_checkpoint_signed_at_publication_and_the_verifier(judged, client):
    bundle = publish_with_scores(client, judged)
    published = db.session.execute(select(AuditEvent).where(AuditEvent.action == "results.published")).scalar_one()
    checkpoint = verify_audit.verify_checkpoint(bundle.read("checkpoint.txt").decode(), audit_keys.verifier_key())
    assert checkpoint.size == published.seq                  # signed right after the publication, covering it
    leaves = [bytes.fromhex(e.hash) for e in db.session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars()]
    assert verify_audit.tree_hash(leaves[:checkpoint.size]) == checkpoint.root
    assert bundle.read("verify_audit.py") == Path(verify_audit.__file__).read_bytes()
    assert audit_keys.verifier_key() in bundle.read("README.txt").decode()
    page = client.get("/contests/essay-2024-2025/results").get_data(as_text=True)
    assert checkpoint.note.split("\n")[2] in page and "rounded to 4 decimal places" in page
    assert "gives no first-rank vote" in page


def test_juror_labels_are_drawn_per_contest_not_in_account_order(judged):
    _students, jurors, _admin, _ = judged
    ids = sorted(j.id for j in jurors)
    orders = {slug: service.juror_pseudonyms(Contest(slug=slug), ids) for slug in (f"contest-{n}" for n in range(12))}
    in_account_order = {juror: f"J{i}" for i, juror in enumerate(ids, start=1)}
    assert len({tuple(sorted(o.items())) for o in orders.values()}) > 1          # a fresh draw per contest
    assert any(order != in_account_order for order in orders.values())
    assert service.juror_pseudonyms(Contest(slug="contest-3"), ids) == orders["contest-3"]  # stable within one
    assert sorted(orders["contest-0"].values()) == ["J1", "J2", "J3", "J4"]


def test_the_published_document_names_jurors_by_the_contests_draw(judged, client):
    _students, jurors, _admin, _ = judged
    publish_with_scores(client, judged)
    scored = {}
    for row in essay().results["document"]["scores"]:
        scored.setdefault(row["juror"], set()).add(row["entry"])
    # Each of the four jurors judged a different three of the four essays: that tells who is who.
    entries_of = {j.id: {a.entry.code for a in db.session.execute(select(JuryAssignment).where(
        JuryAssignment.juror_id == j.id, JuryAssignment.status == "active")).scalars()} for j in jurors}
    who = {label: next(j for j, codes in entries_of.items() if codes == entries) for label, entries in scored.items()}
    assert [who[f"J{i}"] for i in range(1, 5)] != sorted(entries_of)                # not in account order
    assert {juror: label for label, juror in who.items()} == service.juror_pseudonyms(essay(), list(entries_of))


def test_published_results_are_drawn_once_per_language_and_shown_in_each(judged, client):
    """The results' body is a snapshot: drawn at the first reading in a language, then taken from memory."""
    from app.core.cache import immutables

    publish_with_scores(client, judged)
    url = "/contests/essay-2024-2025/results"
    kept = immutables()
    client.get(url)   # shows the flash of the sign-out that publish_with_scores ends with
    english = client.get(url).get_data(as_text=True)
    drawn = kept.misses
    assert client.get(url).get_data(as_text=True) == english and kept.misses == drawn
    client.set_cookie("language", "ru", domain="sanaly.test")
    russian = client.get(url).get_data(as_text=True)
    assert kept.misses == drawn + 1
    assert "Результаты:" in russian and "устойчиво" in russian
    assert "Results:" not in russian and "Results:" in english
    assert client.get(url).get_data(as_text=True) == russian and kept.misses == drawn + 1
