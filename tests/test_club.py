"""The club and the youth movement: membership, ideas, volunteering, clips, and what they count for the plan."""
import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.certificates.models import Certificate
from app.club import service
from app.club.models import ACCEPTED, CONFIRMED, DECLINED, IMPLEMENTED, Idea, IdeaVote
from app.coverage import events
from app.extensions import db
from app.gamification.models import XpEvent
from app.plan.models import Activity, Participation

NOW = datetime(2025, 3, 3, 10, 0)


@pytest.fixture
def world(app, runner, make_user, make_group, setup_cli):
    assert setup_cli("load-content").exit_code == 0
    app.config["NOW_FUNCTION"] = lambda: NOW
    group = make_group()
    return {
        "students": [make_user(f"s{i}@uni.test", group=group, name=f"Student Number{i}") for i in range(4)],
        "coordinator": make_user("coord@uni.test", roles=("coordinator", "staff")),
        "admin": make_user("acs@uni.test", roles=("admin", "staff")),
    }


def rows_for(code: str) -> list[Participation]:
    return db.session.execute(select(Participation).join(Activity).where(Activity.code == code)).scalars().all()


def test_application_is_decided_by_the_coordinator_and_counts_once_for_2_3(world, client, auth):
    ann, bob = world["students"][:2]
    auth.login("s0@uni.test")
    client.post("/club/", data={"motivation": "I want to help make exams at our faculty fair and open."})
    page = client.get("/club/").get_data(as_text=True)
    assert "waiting for the coordinator" in page
    assert client.post("/club/", data={"motivation": "Again and again and again, please."}).status_code == 422
    service.apply(bob, "I would like to make clips about honest exams.", NOW)
    auth.logout()
    auth.login("coord@uni.test")
    mine = service.membership_of(ann.id)
    assert "Student Number0" in client.get("/club/manage").get_data(as_text=True)
    client.post(f"/club/applications/{mine.id}", data={"action": "accept"})
    theirs = service.membership_of(bob.id)
    client.post(f"/club/applications/{theirs.id}", data={"action": "decline", "reason": ""})
    db.session.expire_all()
    assert service.membership_of(bob.id).status == "pending"        # a decline needs a reason
    client.post(f"/club/applications/{theirs.id}", data={"action": "decline", "reason": "Apply after the session, please."})
    db.session.expire_all()
    assert service.membership_of(ann.id).status == ACCEPTED and service.membership_of(bob.id).status == DECLINED
    service.propose(ann, "exams", "Publish exam questions pools", "Publish the pools of exam questions a month before.", NOW)
    assert len(rows_for("2.3")) == 1                                    # member and author: counted once
    assert {e.action for e in db.session.execute(select(AuditEvent)).scalars()} >= {"club.accept", "club.decline"}
    auth.logout()
    auth.login("s1@uni.test")
    assert "Apply after the session" in client.get("/club/").get_data(as_text=True)


def test_only_coordinators_and_the_acs_decide(world, client, auth):
    ann = world["students"][0]
    membership = service.apply(ann, "I want to help make exams at our faculty fair.", NOW)
    with pytest.raises(service.ClubError):
        service.decide(membership, world["students"][1], True, "", NOW)
    auth.login("s1@uni.test")
    assert client.post(f"/club/applications/{membership.id}", data={"action": "accept"}).status_code == 403


def test_one_vote_per_person_and_the_board_never_shows_who(world, client, auth):
    ann, bob, cem = world["students"][:3]
    idea = service.propose(ann, "dormitory", "Open dormitory waiting list", "Publish the waiting list and the rules.", NOW)
    for person in (bob, bob, cem):
        service.support(person, idea, True)
    db.session.refresh(idea)
    assert idea.supporters == 2 and db.session.scalar(select(func.count()).select_from(IdeaVote)) == 2
    service.support(bob, idea, False)
    service.support(bob, idea, False)
    db.session.refresh(idea)
    assert idea.supporters == 1
    auth.login("s3@uni.test")
    client.post(f"/ideas/{idea.id}/support")
    client.post(f"/ideas/{idea.id}/support")
    for url in ("/ideas/", f"/ideas/{idea.id}"):
        page = client.get(url).get_data(as_text=True)
        assert "Student Number" not in page and "s2@uni.test" not in page
    db.session.refresh(idea)
    assert idea.supporters == 2


def test_the_acs_answer_changes_the_public_status(world, client, auth):
    idea = service.propose(world["students"][0], "exams", "Anonymous exam papers", "Exam papers carry a code, not a name.", NOW)
    auth.login("acs@uni.test")
    refused = client.post(f"/ideas/{idea.id}/answer", data={"status": "declined", "answer": "No"})
    assert refused.status_code == 422 and ">No</textarea>" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).status == "new"               # declining needs reasons
    client.post(f"/ideas/{idea.id}/answer", data={"status": IMPLEMENTED, "answer": "Done for all winter exams."})
    auth.logout()
    page = client.get("/ideas/").get_data(as_text=True)
    assert "implemented" in page and "Done for all winter exams." in page


def test_a_hidden_idea_leaves_the_board_and_stays_in_the_audit_log(world, client, auth):
    idea = service.propose(world["students"][0], "other", "Something rude here", "An abusive text about a named teacher.", NOW)
    auth.login("acs@uni.test")
    client.post(f"/ideas/{idea.id}/hide", data={"reason": "Names and insults a teacher.", "confirmed": "yes"})
    auth.logout()
    assert "Something rude" not in client.get("/ideas/").get_data(as_text=True)
    assert client.get(f"/ideas/{idea.id}").status_code == 404
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "idea.hide")).scalar_one()
    assert "Names and insults" in event.payload and "Something rude" in event.payload


def test_volunteering_is_confirmed_counted_totalled_and_printed(world, client, auth):
    ann = world["students"][0]
    auth.login("s0@uni.test")
    assert client.post("/volunteering/", data={"done_on": "2025-03-01", "hours": "25", "activity": "Forum",
                                               "description": "Helped to register guests."}).status_code == 422
    client.post("/volunteering/", data={"done_on": "2025-03-01", "hours": "3,5", "activity": "Anti-corruption forum",
                                        "description": "Registered guests and handed out leaflets."})
    client.post("/volunteering/", data={"done_on": "2025-03-02", "hours": "2", "activity": "Clean Session",
                                        "description": "Explained the reporting channel to first-years."})
    first, second = sorted(service.volunteering_of(ann.id), key=lambda e: e.done_on)
    service.decide_volunteering(first, world["coordinator"], True, "", NOW)
    service.decide_volunteering(second, world["coordinator"], True, "", NOW)
    with pytest.raises(service.ClubError):
        service.decide_volunteering(first, world["coordinator"], False, "Changed my mind", NOW)
    assert service.confirmed_hours(ann.id) == Decimal("5.5") and first.status == CONFIRMED
    assert len(rows_for("2.14")) == 1
    assert db.session.scalar(select(func.count()).select_from(XpEvent).where(XpEvent.source_type == "volunteering")) == 2
    ann.full_name = "Әйгерім Құрманғазықызы"                          # the statement keeps Kazakh letters as text
    db.session.commit()
    response = client.post("/volunteering/statement")
    assert response.status_code == 302 and response.location.endswith(".pdf")
    certificate = db.session.execute(select(Certificate).where(Certificate.kind == "volunteering")).scalar_one()
    assert "5.5 hours" in certificate.title
    statement = client.get(response.location).data
    assert statement[:4] == b"%PDF"
    reader = PdfReader(io.BytesIO(statement))
    assert not any(page.images for page in reader.pages)                # text and vectors, not a picture of text
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert ann.full_name in text and "5.5 hours" in text and certificate.code in text
    assert "5.5 hours" in client.get(f"/verify/{certificate.code}").get_data(as_text=True)


def test_nobody_confirms_their_own_volunteering(world):
    coordinator_student = world["students"][1]
    coordinator_student.set_roles(("student", "coordinator"))
    db.session.commit()
    entry = service.log_volunteering(coordinator_student, date(2025, 3, 1), Decimal(2), "Forum", "Helped at the forum.",
                                     date(2025, 3, 3))
    with pytest.raises(service.ClubError):
        service.decide_volunteering(entry, coordinator_student, True, "", NOW)


@pytest.mark.parametrize("url, platform", [
    ("https://www.tiktok.com/@sanaly.urpaq/video/7301234567890123456", "tiktok"),
    ("https://vm.tiktok.com/ZMabc123/", "tiktok"),
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "youtube"),
    ("https://youtu.be/dQw4w9WgXcQ", "youtube"),
    ("https://www.youtube.com/shorts/dQw4w9WgXcQ", "youtube"),
    ("https://www.instagram.com/reel/C1a2B3c4D5e/", "instagram"),
    ("http://www.youtube.com/watch?v=dQw4w9WgXcQ", None),
    ("https://youtube.com.evil.test/watch?v=dQw4w9WgXcQ", None),
    ("https://www.tiktok.com/@user/video/123", None),
    ("javascript:alert(1)", None),
    ("https://www.instagram.com/sanaly/", None),
])
def test_clip_links_are_recognised_by_form_only(url, platform):
    assert service.platform_of(url) == platform


def test_members_publish_clips_wrong_links_are_refused_and_the_digest_lists_them(world, client, auth):
    ann = world["students"][0]
    service.decide(service.apply(ann, "I want to make clips about honest exams.", NOW), world["coordinator"], True, "", NOW)
    auth.login("s0@uni.test")
    bad = client.post("/media/new", data={"title": "My clip", "url": "https://example.com/video.mp4"})
    assert bad.status_code == 422 and "TikTok" in bad.get_data(as_text=True) and "My clip" in bad.get_data(as_text=True)
    cover = io.BytesIO()
    Image.new("RGB", (64, 64), (0, 100, 50)).save(cover, "PNG")
    cover.seek(0)
    client.post("/media/new", data={"title": "Exams without bribes", "url": "https://youtu.be/dQw4w9WgXcQ",
                                    "credits": "Ann and friends", "cover": (cover, "cover.png")},
                content_type="multipart/form-data")
    auth.logout()
    assert "Exams without bribes" in client.get("/media/").get_data(as_text=True)
    assert "Exams without bribes" in client.get("/media/digest/2025-03").get_data(as_text=True)
    assert "Exams without bribes" not in client.get("/media/digest/2025-02").get_data(as_text=True)
    assert len(rows_for("2.8")) == 1
    auth.login("s1@uni.test")                                        # not a member
    assert client.get("/media/new").status_code == 403


def test_a_club_meeting_counts_once_for_2_4(world):
    activity = db.session.execute(select(Activity).where(Activity.code == "2.4")).scalars().first()
    meeting = events.create_event(activity, "Club meeting", "Room 101", NOW - timedelta(hours=1), NOW + timedelta(hours=1),
                                  world["coordinator"])
    ann = world["students"][0]
    events.check_in(meeting.code, ann, NOW)
    events.check_in(meeting.code, ann, NOW + timedelta(minutes=5))
    assert len(rows_for("2.4")) == 1
