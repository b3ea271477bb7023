"""E-mail against a real SMTP server on loopback: invitations, password reset, reminders once, opt-out."""
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.gamification.service import N_, notify
from app.jobs import service as jobs
from app.jobs.models import Job
from app.mail import reminders
from app.mail.models import MailOptOut, OutboxMessage
from app.people.models import User
from app.plan.models import Participation
from app.plan.service import activity_by_code, load_plans, record_participation
from tests.mail_server import MailServer, html_of, link_in, text_of

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def mail_server(app):
    with MailServer() as server:
        app.config.update(server.settings)
        yield server


@pytest.fixture
def admin(make_user, auth):
    person = make_user("officer@uni.test", roles=("admin",))
    auth.login("officer@uni.test")
    return person


def test_invitations_of_a_group_arrive_and_the_link_sets_a_password(app, client, admin, make_group, make_user,
                                                                    mail_server):
    group = make_group("ЭЭ-24-1")
    newcomers = [make_user(f"s{n}@uni.test", group=group, password=None) for n in range(3)]
    newcomers[1].language = "kk"
    newcomers[2].language = "ru"
    make_user("already@uni.test", group=group)   # has a password: not invited
    db.session.commit()

    page = client.post(f"/admin/groups/{group.id}/invite", follow_redirects=True)
    assert page.status_code == 200
    job = db.session.execute(select(Job)).scalar_one()
    assert (job.state, job.percent, job.result["sent"]) == ("done", 100, 3)
    assert "100" in page.get_data(as_text=True)
    assert sorted(mail_server.inbox.recipients) == ["s0@uni.test", "s1@uni.test", "s2@uni.test"]
    kazakh = mail_server.inbox.to("s1@uni.test")[0]
    russian = mail_server.inbox.to("s2@uni.test")[0]
    assert kazakh["Content-Language"] == "kk" and russian["Content-Language"] == "ru"
    assert kazakh["Subject"] != russian["Subject"] != mail_server.inbox.to("s0@uni.test")[0]["Subject"]
    assert "<a href=" in html_of(kazakh) and "/set-password/" in text_of(kazakh)

    client.post("/logout")
    path = link_in(kazakh, "/set-password/")
    assert client.get(path).status_code == 200
    answer = client.post(path, data={"password": "a long new passphrase", "confirm": "a long new passphrase"})
    assert answer.status_code == 302
    client.post("/logout")
    assert client.post("/login", data={"email": "s1@uni.test", "password": "a long new passphrase"}).status_code == 302
    assert client.get(path).status_code == 404   # the link worked once


def test_an_invitation_job_run_again_sends_nothing_twice(app, admin, make_group, make_user, mail_server):
    group = make_group()
    for n in range(5):
        make_user(f"p{n}@uni.test", group=group, password=None)
    job = jobs.start("invitations", started_by=admin, params={"group_id": group.id})
    assert len(mail_server.inbox.messages) == 5
    db.session.execute(Job.__table__.update().values(state="failed"))
    db.session.commit()
    assert jobs.retry(db.session.get(Job, job.id), admin, datetime.utcnow())
    assert len(mail_server.inbox.messages) == 5
    assert db.session.get(Job, job.id).state == "done"


def test_without_smtp_nothing_is_sent_and_the_pages_say_so(app, client, admin, make_group, make_user):
    group = make_group()
    make_user("waiting@uni.test", group=group, password=None)
    client.post(f"/admin/groups/{group.id}/invite")
    job = db.session.execute(select(Job)).scalar_one()
    assert job.result["not_sent"] == 1 and job.result["sent"] == 0
    assert "not set up" in client.get("/admin/mail").get_data(as_text=True)
    client.post("/logout")
    page = client.get("/password/forgot").get_data(as_text=True)
    assert 'id="mail-off"' in page and 'name="email"' not in page


def test_password_reset_answers_the_same_and_mails_only_a_known_address(app, client, make_user, mail_server):
    make_user("known@uni.test")
    known = client.post("/password/forgot", data={"email": "Known@uni.test"})
    unknown = client.post("/password/forgot", data={"email": "nobody@uni.test"})
    assert known.status_code == unknown.status_code == 200
    assert known.get_data(as_text=True) == unknown.get_data(as_text=True)
    assert mail_server.inbox.recipients == ["known@uni.test"]
    path = link_in(mail_server.inbox.messages[0], "/set-password/")
    assert client.post(path, data={"password": "another long secret", "confirm": "another long secret"}).status_code == 302


def test_password_reset_is_throttled_per_address(app, client, make_user, mail_server):
    make_user("known@uni.test")
    for _attempt in range(5):
        assert client.post("/password/forgot", data={"email": "known@uni.test"}).status_code == 200
    assert len(mail_server.inbox.messages) == 3


@pytest.fixture
def integrity_period(app):
    load_plans(ROOT / "plans")
    db.session.commit()
    plan = db.session.execute(select(func.min(Participation.id))).scalar()  # noqa: F841 (warm the session)
    from app.plan.models import Plan

    plan = db.session.execute(select(Plan)).scalars().first()
    activity = activity_by_code(plan, "2.2")
    period = activity.periods[0]
    moment = datetime.combine(period.ends_on - timedelta(days=3), datetime.min.time()) + timedelta(hours=6)
    app.config["NOW_FUNCTION"] = lambda: moment
    return plan, activity, period, moment


def test_integrity_hour_reminders_go_out_once_to_exactly_those_who_owe(app, make_group, make_user, mail_server,
                                                                       integrity_period):
    plan, activity, period, moment = integrity_period
    group = make_group()
    owes = make_user("owes@uni.test", group=group)
    done = make_user("done@uni.test", group=group)
    make_user("no-password@uni.test", group=group, password=None)   # gets an invitation, not a reminder
    make_user("curator@uni.test", roles=("curator",))
    record_participation(done.id, activity, source="manual", when=moment - timedelta(days=1))
    db.session.commit()

    jobs.start("reminders", started_by=None)
    assert mail_server.inbox.recipients == ["owes@uni.test"]
    assert "/quizzes/" in text_of(mail_server.inbox.messages[0])
    jobs.start("reminders", started_by=None)
    assert mail_server.inbox.recipients == ["owes@uni.test"]   # once

    later = moment + timedelta(days=1)
    app.config["NOW_FUNCTION"] = lambda: later
    late = make_user("late@uni.test", group=group)
    jobs.start("reminders", started_by=None)
    assert sorted(mail_server.inbox.recipients) == ["late@uni.test", "owes@uni.test"]
    assert owes.id != late.id


def test_no_reminder_long_before_the_deadline(app, make_group, make_user, mail_server, integrity_period):
    plan, activity, period, moment = integrity_period
    make_user("owes@uni.test", group=make_group())
    early = datetime.combine(period.ends_on - timedelta(days=30), datetime.min.time())
    app.config["NOW_FUNCTION"] = lambda: early
    assert reminders.integrity_hour(early) == 0


def test_the_one_click_link_stops_that_category_only(app, client, make_group, make_user, mail_server,
                                                     integrity_period):
    plan, activity, period, moment = integrity_period
    person = make_user("owes@uni.test", group=make_group())
    jobs.start("reminders", started_by=None)
    message = mail_server.inbox.messages[0]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = link_in(message, "/mail/unsubscribe/")
    assert path in message["List-Unsubscribe"]
    assert client.get(path).status_code == 200
    assert db.session.execute(select(MailOptOut)).first() is None   # a GET (a link scanner) changes nothing
    assert client.post(path).status_code == 200
    assert db.session.execute(select(MailOptOut.category)).scalars().all() == ["integrity"]
    assert client.get("/mail/unsubscribe/forged-token").status_code == 404

    # Another period's reminder is not sent; the weekly digest (another category) still is.
    notify([person.id], "badge", N_("You earned a badge"), when=moment)
    db.session.commit()
    assert reminders.integrity_hour(moment) == 0
    jobs.start("reminders", started_by=None)
    assert [m["Subject"] for m in mail_server.inbox.messages][1:] == ["Your week on Sanaly Urpaq"]
    assert "You earned a badge" in text_of(mail_server.inbox.messages[1])


def test_the_weekly_digest_goes_once_a_week(app, make_user, mail_server):
    monday = datetime(2025, 3, 3, 3, 0)
    app.config["NOW_FUNCTION"] = lambda: monday
    person = make_user("reader@uni.test")
    notify([person.id], "badge", N_("You earned a badge"), when=monday - timedelta(days=1))
    db.session.commit()
    assert reminders.weekly_digest(monday) == 1
    assert reminders.weekly_digest(monday + timedelta(days=2)) == 0
    assert reminders.weekly_digest(monday + timedelta(days=7)) == 0   # nothing unread from that week
    notify([person.id], "badge", N_("You earned a badge"), when=monday + timedelta(days=6))
    db.session.commit()
    assert reminders.weekly_digest(monday + timedelta(days=7)) == 1


def test_tick_sends_what_is_due(app, runner, make_group, make_user, mail_server, integrity_period):
    make_user("owes@uni.test", group=make_group())
    result = runner.invoke(args=["tick"])
    assert result.exit_code == 0, result.output
    assert mail_server.inbox.recipients == ["owes@uni.test"]
    assert runner.invoke(args=["tick"]).exit_code == 0
    assert mail_server.inbox.recipients == ["owes@uni.test"]


def test_a_roster_import_job_invites_the_new_people(app, client, admin, mail_server):
    rows = "\n".join(f"student{n}@uni.test,Student {n},Faculty of Energy,ЭЭ-24-1" for n in range(30))
    csv_text = "email,full_name,faculty,group\n" + rows + "\nbad-address,Nobody,Faculty of Energy,ЭЭ-24-1\n"
    from io import BytesIO

    answer = client.post("/admin/roster", data={"file": (BytesIO(csv_text.encode()), "roster.csv"), "invite": "y"},
                         content_type="multipart/form-data")
    assert answer.status_code == 302
    job = db.session.execute(select(Job)).scalar_one()
    assert (job.state, job.percent) == ("done", 100)
    assert (job.result["created"], job.result["rejected"], job.result["sent"]) == (30, 1, 30)
    assert len(mail_server.inbox.messages) == 30
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert 'value="100"' in page and "http-equiv" not in page
    # Run again (after a crash, say): the people exist, the invitations were sent — nothing twice.
    db.session.execute(Job.__table__.update().values(state="queued", result={}))
    db.session.commit()
    jobs.run(job.id)
    assert len(mail_server.inbox.messages) == 30
    assert db.session.scalar(select(func.count()).select_from(User)) == 31


def test_only_whoever_started_a_job_follows_it(app, client, auth, make_user, admin):
    job = jobs.start("reminders", started_by=admin)
    other = make_user("other@uni.test", roles=("curator",))
    client.post("/logout")
    auth.login(other.email)
    assert client.get(f"/jobs/{job.id}").status_code == 403
    assert client.get(f"/jobs/{job.id}/status.json").status_code == 403
    assert client.post(f"/jobs/{job.id}/retry").status_code == 403


def test_messages_are_stored_once_per_key(app, make_user):
    from app.mail import service

    person = make_user("k@uni.test")
    row = service.compose(person, key="test:1", category="digest", template="digest", subject=lambda: "Digest",
                          notifications=[], more=0, link="http://sanaly.test/")
    assert service.add_to_outbox([row, dict(row)]) == 1
    assert service.add_to_outbox([row]) == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_password_reset_does_the_same_work_for_an_unknown_address(app, client, make_user, mail_server, monkeypatch):
    from app.mail import reset, service

    work = []
    compose_all, create = service.compose_all, jobs.create
    monkeypatch.setattr(service, "compose_all", lambda *args: work.append("message rendered") or compose_all(*args))
    monkeypatch.setattr(reset.jobs, "create", lambda *args, **kwargs: work.append("job recorded") or create(*args, **kwargs))
    make_user("known@uni.test")
    client.post("/password/forgot", data={"email": "known@uni.test"})
    for_known = list(work)
    work.clear()
    client.post("/password/forgot", data={"email": "unknown@uni.test"})
    assert work == for_known == ["job recorded", "message rendered"]
    assert mail_server.inbox.recipients == ["known@uni.test"]


def test_a_delivery_leaves_alone_the_messages_of_a_job_still_running(app, make_user, mail_server):
    from app.mail import service

    person = make_user("k@uni.test")
    running = Job(kind="invitations", state="running")
    db.session.add(running)
    db.session.commit()
    service.add_to_outbox([service.compose(person, key="test:1", category="digest", template="digest",
                                           subject=lambda: "Digest", job_id=running.id, notifications=[], more=0,
                                           link="http://sanaly.test/")])
    db.session.commit()
    jobs.start("deliver", started_by=None)
    assert mail_server.inbox.messages == []          # its own job sends it; two senders never share one
    running.state = "failed"
    db.session.commit()
    jobs.start("deliver", started_by=None)
    assert mail_server.inbox.recipients == ["k@uni.test"]
