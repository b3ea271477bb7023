"""Personal data: who looked at whom, consent to the notice, a person's own copy, erasure that keeps the
figures, retention and the register of processing."""
import io
import json
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.people.models import User
from app.privacy import notice, providers
from app.privacy.models import AccessLogEntry, Consent, Erasure
from app.reports.models import Report
from test_query_counts import Statements

NOW = datetime(2026, 12, 4, 9, 0)


@pytest.fixture
def clock(app):
    moment = {"now": NOW}
    app.config["NOW_FUNCTION"] = lambda: moment["now"]
    return moment


def make_report(reporter=None, *, status="received", closed_on=None, what="Someone asked for money") -> Report:
    report = Report(code=f"R-{Report.query.count() + 1:04d}", passphrase_hash="x", category="bribe", what=what,
                    anonymous=reporter is None, reporter_id=getattr(reporter, "id", None),
                    contact="+7 700 000 0000" if reporter else "", status=status, received_on=date(2026, 11, 1),
                    due_on=date(2026, 11, 11), closed_on=closed_on)
    db.session.add(report)
    db.session.commit()
    return report


# --- every place that names a person is declared --------------------------------------------------------

def test_every_column_pointing_at_a_person_belongs_to_a_declaration(app):
    declared = {(h.table, column) for _f, _l, h in providers.holdings() for column in h.columns}
    missing = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column.table.name == "users" for fk in column.foreign_keys):
                if (table.name, column.name) not in declared:
                    missing.append(f"{table.name}.{column.name}")
    assert ("users", "id") in declared
    assert missing == [], "declare these in the feature's personal_data.HOLDINGS"


def test_every_feature_answers_for_a_person_it_does_not_know(app):
    data = providers.personal_data_of(123456)
    assert set(data) == {feature for feature, _label in providers.FEATURES}
    json.dumps(data)


# --- who looked at whom -----------------------------------------------------------------------------------

def test_the_dpo_reads_who_opened_a_person_a_case_and_an_export(app, client, auth, make_user, make_group):
    group = make_group()
    student = make_user(group=group, name="Aruzhan Bekova")
    admin = make_user(roles=("admin",), name="Gulnara Abenova")
    dpo = make_user(roles=("dpo",), name="Data Officer")
    report = make_report()
    auth.login(admin.email)
    assert client.get(f"/admin/people/{student.id}").status_code == 200
    assert client.get(f"/admin/reports/{report.id}").status_code == 200
    assert client.get(f"/coverage/groups/{group.id}.csv").status_code == 200
    assert client.get(f"/admin/people/{student.id + 1000}").status_code == 404      # nothing shown: nothing logged
    assert client.get("/admin/people").status_code == 200                            # a list is not a person's page
    entries = db.session.execute(select(AccessLogEntry).order_by(AccessLogEntry.id)).scalars().all()
    assert [(e.viewer_id, e.kind, e.subject) for e in entries] == [
        (admin.id, "person", f"user:{student.id}"), (admin.id, "report", f"report:{report.id}"),
        (admin.id, "export", f"group:{group.id}")]
    assert entries[0].subject_user_id == student.id
    assert client.get("/privacy/access-log").status_code == 403                      # the ACS does not read it
    auth.logout()

    auth.login(dpo.email)
    page = client.get("/privacy/access-log").get_data(as_text=True)
    assert "Gulnara Abenova" in page and f"<code>user:{student.id}</code>" in page and f"report:{report.id}" in page
    filtered = client.get("/privacy/access-log?kind=report").get_data(as_text=True)
    assert f"report:{report.id}" in filtered and f"<code>user:{student.id}</code>" not in filtered
    assert "<code>user:" not in client.get("/privacy/access-log?viewer=nobody").get_data(as_text=True)
    assert "<code>user:" not in client.get("/privacy/access-log?from=2000-01-01&to=2000-01-02").get_data(as_text=True)
    assert "<code>user:" in client.get("/privacy/access-log?viewer=abenova").get_data(as_text=True)
    assert client.get("/privacy/access-log?from=nonsense").status_code == 200
    for page in (f"/admin/people/{student.id}", "/admin/people", f"/admin/reports/{report.id}", "/admin/",
                 f"/coverage/groups/{group.id}", f"/admin/privacy/people/{student.id}", "/admin/privacy/"):
        assert client.get(page).status_code == 403, page                              # the log and nothing else
    auth.logout()
    auth.login(student.email)
    assert client.get("/privacy/access-log").status_code == 403


def test_the_access_log_pages_through_its_entries(app, client, auth, make_user, clock):
    from app.privacy.access_log import record_access, search_log

    viewer = make_user(roles=("admin",))
    for number in range(120):
        record_access(viewer.id, "person", f"user:{number}", at=NOW - timedelta(minutes=number))
    db.session.commit()
    first = search_log(page=1, per_page=50)
    last = search_log(page=3, per_page=50)
    assert (first.total, first.pages, len(first.entries), len(last.entries)) == (120, 3, 50, 20)
    assert first.entries[0].subject == "user:0" and last.entries[-1].subject == "user:119"
    assert search_log(page=99, per_page=50).page == 3


# --- consent to the notice ---------------------------------------------------------------------------------

def test_without_a_notice_nobody_is_stopped(app, client, auth, make_user):
    student = make_user()
    auth.login(student.email)
    assert client.get("/profile").status_code == 200


def test_a_notice_is_asked_at_first_sign_in_and_again_for_each_new_version(app, client, auth, make_user, clock):
    admin = make_user(roles=("admin",))
    student = make_user()
    notice.publish_notice({"en": "We keep your name.", "kk": "Атыңызды сақтаймыз.", "ru": "Мы храним имя."},
                          admin.id, NOW)
    db.session.commit()
    auth.login(student.email)
    response = client.get("/profile")
    assert response.status_code == 302 and "/privacy/consent" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "We keep your name." in page
    assert client.post("/language/ru").status_code == 302                        # the language switch still works
    assert "Мы храним имя." in client.get("/privacy/consent").get_data(as_text=True)
    clock["now"] = NOW + timedelta(minutes=5)
    done = client.post("/privacy/consent", data={"next": "/profile"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/profile")
    assert client.get("/profile").status_code == 200
    consent = db.session.execute(select(Consent).where(Consent.user_id == student.id)).scalar_one()
    assert (consent.version, consent.given_at) == (1, NOW + timedelta(minutes=5))

    notice.publish_notice({"en": "We also keep your XP."}, admin.id, NOW + timedelta(days=1))
    db.session.commit()
    assert "/privacy/consent" in client.get("/").headers["Location"]
    client.post("/language/en")
    page = client.get("/privacy/consent").get_data(as_text=True)
    assert "We also keep your XP." in page and "has changed" in page
    client.post("/privacy/consent", data={"next": "/"})
    assert [c.version for c in notice.consents_of(student.id)] == [1, 2]
    assert client.get("/").status_code == 200


def test_the_consent_check_rides_on_the_statement_that_loads_the_person(app, client, auth, make_user):
    """A page costs the same statements with a notice in force (and consented to) as without one."""
    admin, student = make_user(roles=("admin",)), make_user()
    auth.login(student.email)
    client.get("/profile")
    with Statements() as without:
        assert client.get("/profile").status_code == 200
    notice.give_consent(student.id, notice.publish_notice({"en": "We keep your name."}, admin.id, NOW).version, NOW)
    db.session.commit()
    with Statements() as consented:
        assert client.get("/profile").status_code == 200
    assert len(consented.seen) == len(without.seen)
    assert not any("privacy_notices" in s and "users" not in s for s in consented.seen)
    notice.publish_notice({"en": "We also keep your XP."}, admin.id, NOW)
    db.session.commit()
    assert "/privacy/consent" in client.get("/profile").headers["Location"]


def test_a_consent_is_recorded_once_however_often_it_is_given(app, make_user):
    admin, student = make_user(roles=("admin",)), make_user()
    version = notice.publish_notice({"en": "We keep your name."}, admin.id, NOW).version
    assert notice.give_consent(student.id, version, NOW) is True
    assert notice.give_consent(student.id, version, NOW + timedelta(minutes=1)) is False   # a second tab, a click
    db.session.commit()
    given = db.session.execute(select(Consent.given_at).where(Consent.user_id == student.id)).scalars().all()
    assert given == [NOW] and notice.owed_version(student.id) is None


def test_the_acs_publishes_a_notice_in_three_languages(app, client, auth, make_user, clock):
    admin = make_user(roles=("admin",))
    auth.login(admin.email)
    refused = client.post("/admin/privacy/notice", data={"text_en": "", "text_kk": "Қазақша мәтін", "text_ru": ""})
    assert refused.status_code == 200 and "Қазақша мәтін" in refused.get_data(as_text=True)
    assert notice.current_notice() is None
    asked = client.post("/admin/privacy/notice", data={"text_en": "English", "text_kk": "Қазақша", "text_ru": "Русский"})
    assert "confirmed" in asked.get_data(as_text=True) and notice.current_notice() is None
    client.post("/admin/privacy/notice", data={"text_en": "English", "text_kk": "Қазақша", "text_ru": "Русский",
                                               "confirmed": "yes"})
    current = notice.current_notice()
    assert (current.version, current.text_kk, current.published_by_id) == (1, "Қазақша", admin.id)
    # the ACS, too, is asked before anything else
    assert "/privacy/consent" in client.get("/admin/").headers["Location"]


def test_the_demo_has_a_notice_its_accounts_agreed_to(app, runner, setup_cli, client, auth):
    assert setup_cli("demo").exit_code == 0
    current = notice.current_notice()
    assert current.version == 1 and current.text_kk and current.text_ru
    assert auth.login("student1@sanaly.test", "demo-password").status_code == 302
    assert client.get("/").status_code == 200
    assert runner.invoke(args=["demo"]).exit_code == 0                          # twice is safe
    assert notice.current_notice().version == 1


# --- a student with data in every feature --------------------------------------------------------------------

def give_everything(student: User, now: datetime, uploads: Path) -> None:
    """Add to the demo's student2 what the demo does not give them: course progress, a quiz attempt with a
    written answer, a brain-ring game, a named report and an extra notification."""
    from app.brainring.models import Game, Player, RingAnswer, RingSet, Team
    from app.courses.models import CourseProgress, Lesson, LessonCompletion
    from app.gamification.models import Notification
    from app.quizzes.models import AttemptAnswer, Quiz, QuizAttempt, QuizVersion

    lesson = db.session.execute(select(Lesson).order_by(Lesson.id)).scalars().first()
    db.session.add(LessonCompletion(user_id=student.id, lesson_id=lesson.id, completed_at=now))
    db.session.add(CourseProgress(user_id=student.id, course_id=lesson.course_id, last_lesson_id=lesson.id,
                                  last_seen_at=now))
    quiz = db.session.execute(select(Quiz).order_by(Quiz.id)).scalars().first()
    version = db.session.execute(select(QuizVersion).where(QuizVersion.quiz_id == quiz.id)).scalars().first()
    attempt = QuizAttempt(quiz_id=quiz.id, version_id=version.id, user_id=student.id, status="submitted",
                          started_at=now - timedelta(minutes=20), submitted_at=now - timedelta(minutes=5), score=3,
                          max_score=4, percent=75, passed=True, layout=[])
    db.session.add(attempt)
    db.session.flush()
    db.session.add(AttemptAnswer(attempt_id=attempt.id, question_key="q1", response='"my own words about honesty"',
                                 points=1, points_possible=1, saved_at=now))
    ring_set = db.session.execute(select(RingSet)).scalars().first()
    game = Game(code="PRIV01", set_id=ring_set.id, title="Brain ring", questions=[], status="closed")
    db.session.add(game)
    db.session.flush()
    team = Team(game_id=game.id, name="Honest Owls")
    db.session.add(team)
    db.session.flush()
    player = Player(game_id=game.id, user_id=student.id, team_id=team.id, joined_at=now)
    db.session.add(player)
    db.session.flush()
    db.session.add(RingAnswer(game_id=game.id, player_id=player.id, team_id=team.id, question=0, option=1,
                              received_at=now, points=1))
    db.session.add(Notification(user_id=student.id, kind="info", text="Your named report was answered", link=""))
    from app.contests.models import Entry

    entry = db.session.execute(select(Entry).where(Entry.author_id == student.id)).scalars().first()
    (uploads / "covers").mkdir(parents=True, exist_ok=True)
    (uploads / "covers" / "privacy-test-cover.jpg").write_bytes(b"\xff\xd8 a cover")
    entry.cover_file = "privacy-test-cover.jpg"
    db.session.commit()
    make_report(student, what="My named report about a bribe")


@pytest.fixture
def demo(app, runner, clock, setup_cli):
    """The demo instance, with student2 holding data in every feature."""
    result = setup_cli("demo")
    assert result.exit_code == 0, result.output
    users = {u.email: u for u in db.session.execute(select(User)).scalars()}
    give_everything(users["student2@sanaly.test"], NOW, Path(app.config["UPLOAD_FOLDER"]))
    return users


def read_zip(content: bytes) -> tuple[dict, str, list[str]]:
    archive = zipfile.ZipFile(io.BytesIO(content))
    names = archive.namelist()
    return json.loads(archive.read("data.json")), archive.read("summary.html").decode(), names


def test_a_students_copy_holds_everything_about_them_and_nothing_of_anyone_else(demo, client, auth, app):
    student = demo["student2@sanaly.test"]
    auth.login(student.email, "demo-password")
    assert "/privacy/mine" in client.get("/profile").get_data(as_text=True)
    response = client.get("/privacy/mine.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    document, summary, names = read_zip(response.data)
    data = document["data"]
    assert data["people"]["profile"]["email"] == student.email and data["people"]["group"]["code"] == student.group.code
    assert "password_hash" not in data["people"]["profile"] and "session_token" not in data["people"]["profile"]
    for feature, key in [("plan", "participation"), ("courses", "courses"), ("courses", "lessons_completed"),
                         ("quizzes", "attempts"), ("contests", "entries"), ("coverage", "check_ins"),
                         ("gamification", "xp"), ("gamification", "badges"), ("gamification", "notifications"),
                         ("certificates", "certificates"), ("surveys", "waves_answered"), ("reports", "named_reports"),
                         ("club", "membership"), ("club", "ideas"), ("club", "idea_votes"), ("club", "volunteering"),
                         ("club", "clips"), ("brainring", "games"), ("audit", "audit_events"), ("privacy", "consents")]:
        assert data[feature][key], f"{feature}.{key} is empty"
    assert data["quizzes"]["attempts"][0]["answers"][0]["response"] == '"my own words about honesty"'
    assert data["brainring"]["games"][0]["team"] == "Honest Owls"
    covers = [e["cover_file"] for e in data["contests"]["entries"] if e["cover_file"]]
    assert covers and all(f"files/covers/{name}" in names for name in covers)
    clips = [c["cover_file"] for c in data["club"]["clips"] if c["cover_file"]]
    assert all(f"files/clips/{name}" in names for name in clips)
    assert "cannot be found" in summary and "not linked" in data["surveys"]["answers"]
    assert student.full_name in summary
    # nothing of anybody else: no other person's name or e-mail anywhere in the copy
    text = json.dumps(document, ensure_ascii=False) + summary
    others = [u for u in demo.values() if u.id != student.id]
    assert [u.email for u in others if u.email in text or u.full_name in text] == []
    # and the download is in the access log, as the person's own look
    entry = db.session.execute(select(AccessLogEntry).where(AccessLogEntry.kind == "data_copy")).scalar_one()
    assert (entry.viewer_id, entry.subject_user_id) == (student.id, student.id)


def test_a_jurors_copy_names_entries_by_code_only(demo, client, auth):
    juror = demo["jury2@sanaly.test"]
    auth.login(juror.email, "demo-password")
    document, summary, _names = read_zip(client.get("/privacy/mine.zip").data)
    given = document["data"]["contests"]["scores_given_as_juror"]
    assert given and all(row["entry"] for row in given)
    text = json.dumps(document, ensure_ascii=False) + summary
    assert [u.email for u in demo.values() if u.id != juror.id and (u.email in text or u.full_name in text)] == []


def test_the_acs_downloads_a_persons_copy_and_it_is_logged(demo, client, auth):
    admin, student = demo["admin@sanaly.test"], demo["student3@sanaly.test"]
    auth.login(admin.email, "demo-password")
    assert student.full_name in client.get(f"/admin/privacy/people/{student.id}").get_data(as_text=True)
    document, _summary, _names = read_zip(client.get(f"/admin/privacy/people/{student.id}.zip").data)
    assert document["user_id"] == student.id
    looks = db.session.execute(select(AccessLogEntry.viewer_id, AccessLogEntry.kind, AccessLogEntry.subject_user_id)
                               .order_by(AccessLogEntry.id)).all()
    assert looks == [(admin.id, "data_copy", student.id)] * 2


# --- erasure that keeps the figures -----------------------------------------------------------------------

def figures(today: date) -> dict:
    """Every coverage figure, every contest ranking, everyone's XP and the audit log, as plain values."""
    from app.audit.models import AuditEvent
    from app.audit.service import verify_chain
    from app.contests import service as contests
    from app.contests.models import Contest
    from app.coverage.service import clear_coverage, coverage
    from app.gamification.models import XpEvent
    from app.plan.models import Participation
    from app.plan.service import current_plan

    clear_coverage()
    data = coverage(current_plan(today), today)
    cells = {(row.key, activity_id): (figure.participants, figure.headcount, figure.percent)
             for row in [data.university] + data.faculties + data.groups + data.units
             for activity_id, figure in row.figures.items()}
    rankings = {contest.slug: (contests.results_document(contest), contests.preview(contest))
                for contest in db.session.execute(select(Contest)).scalars()}
    xp = dict(db.session.execute(select(XpEvent.user_id, func.sum(XpEvent.amount)).group_by(XpEvent.user_id)).all())
    report = verify_chain()
    return {"coverage": cells, "rankings": rankings, "xp": xp, "audit_ok": report.ok,
            "participations": db.session.scalar(select(func.count()).select_from(Participation)),
            "audit": db.session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq)).all()}


def texts_naming(needles: list[str]) -> list[str]:
    """Every table.column whose text holds one of `needles`."""
    from sqlalchemy import JSON, String, Text, cast

    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, (String, Text, JSON)):
                value = cast(column, Text) if isinstance(column.type, JSON) else column
                for needle in needles:
                    if db.session.scalar(select(func.count()).select_from(table).where(value.contains(needle))):
                        found.append(f"{table.name}.{column.name}")
    return found


def test_erasing_a_student_keeps_every_figure_ranking_and_the_audit_log(demo, app, client, auth, clock):
    from app.certificates.models import Certificate
    from app.club.models import Clip, Idea, Membership, VolunteerLog
    from app.contests.models import Entry
    from app.gamification.models import Notification
    from app.privacy.erasure import erase_person
    from app.quizzes.models import AttemptAnswer, QuizAttempt

    student, admin = demo["student2@sanaly.test"], demo["admin@sanaly.test"]
    uploads = Path(app.config["UPLOAD_FOLDER"])
    name, email = student.full_name, student.email
    entry_texts = [t for e in db.session.execute(select(Entry).where(Entry.author_id == student.id)).scalars()
                   for t in (e.body, e.title) if len(t) > 20]
    files = [uploads / "covers" / n for e in db.session.execute(select(Entry).where(Entry.author_id == student.id))
             .scalars() for n in (e.cover_file, e.thumb_file) if n]
    files += [uploads / "clips" / n for c in db.session.execute(select(Clip).where(Clip.author_id == student.id))
              .scalars() for n in (c.cover_file, c.thumb_file) if n]
    certificate = db.session.execute(select(Certificate).where(Certificate.user_id == student.id)).scalars().first()
    assert entry_texts and files and all(f.is_file() for f in files) and certificate is not None
    assert texts_naming([name, email])                               # the name is there before
    before = figures(NOW.date())
    assert before["audit_ok"] and before["coverage"] and before["rankings"]

    erase_person(student, admin, NOW, uploads)
    db.session.commit()
    after = figures(NOW.date())

    assert after["coverage"] == before["coverage"]
    assert after["rankings"] == before["rankings"]
    assert after["xp"] == before["xp"] and after["participations"] == before["participations"]
    assert after["audit_ok"] and after["audit"][:len(before["audit"])] == before["audit"]
    from app.audit.models import AuditEvent
    last = db.session.execute(select(AuditEvent).order_by(AuditEvent.seq.desc())).scalars().first()
    assert (last.action, last.subject, last.actor_id) == ("person.erased", f"user:{student.id}", admin.id)

    # the person's identity, texts and files are gone, from the database and the disk
    assert texts_naming([name, email]) == []
    # (the demo gives several authors the same sample texts: look at this author's entries)
    assert {(e.title, e.body, e.body_html, e.description, e.video_url, e.cover_file) for e in db.session.execute(
        select(Entry).where(Entry.author_id == student.id)).scalars()} == {("", "", "", "", "", "")}
    assert texts_naming(["my own words about honesty", "My named report about a bribe"]) == ["reports.what"]
    assert not any(f.exists() for f in files)
    assert db.session.scalar(select(func.count()).select_from(AttemptAnswer).join(QuizAttempt)
                             .where(QuizAttempt.user_id == student.id)) == 0
    assert db.session.scalar(select(func.count()).select_from(Notification).where(Notification.user_id == student.id)) == 0
    assert db.session.scalar(select(func.count()).select_from(Idea).where(Idea.author_id == student.id)) == 0
    assert db.session.execute(select(Membership.motivation).where(Membership.user_id == student.id)).scalar_one() == ""
    assert set(db.session.scalars(select(VolunteerLog.description).where(VolunteerLog.user_id == student.id))) <= {""}
    report = db.session.execute(select(Report).where(Report.what == "My named report about a bribe")).scalar_one()
    assert (report.reporter_id, report.contact, report.anonymous) == (None, "", True)
    assert db.session.get(Erasure, student.id).erased_by_id == admin.id

    # sign-in is impossible, the certificate still verifies, the figures name nobody
    assert auth.login(email, "demo-password").status_code == 200
    page = client.get(f"/verify/{certificate.code}")
    assert page.status_code == 200 and "Issued; the holder's data has been erased" in page.get_data(as_text=True)
    # a second erasure changes nothing
    erase_person(student, admin, NOW, uploads)
    db.session.commit()
    assert figures(NOW.date())["audit"] == after["audit"]


def test_a_person_asks_from_the_profile_and_the_acs_erases(app, client, auth, make_user, clock):
    from app.privacy.models import ErasureRequest

    student = make_user(name="Madina Ospanova")
    admin = make_user(roles=("admin",))
    auth.login(student.email)
    assert "Ask the ACS" in client.get("/privacy/mine").get_data(as_text=True)
    asked = client.post("/privacy/mine/erase", data={"reason": "I graduated"})
    assert "confirmed" in asked.get_data(as_text=True) and ErasureRequest.query.count() == 0
    client.post("/privacy/mine/erase", data={"reason": "I graduated", "confirmed": "yes"})
    client.post("/privacy/mine/erase", data={"reason": "again", "confirmed": "yes"})
    request = db.session.execute(select(ErasureRequest)).scalar_one()
    assert (request.user_id, request.reason, request.status) == (student.id, "I graduated", "pending")
    assert "waiting for the ACS" in client.get("/privacy/mine").get_data(as_text=True)
    auth.logout()

    auth.login(admin.email)
    assert "Madina Ospanova" in client.get("/admin/privacy/").get_data(as_text=True)
    assert client.post(f"/admin/privacy/people/{admin.id}/erase", data={"confirmed": "yes"}).status_code == 302
    assert db.session.get(Erasure, admin.id) is None                       # never oneself
    question = client.post(f"/admin/privacy/people/{student.id}/erase")
    assert "Madina Ospanova" in question.get_data(as_text=True) and db.session.get(Erasure, student.id) is None
    client.post(f"/admin/privacy/people/{student.id}/erase", data={"confirmed": "yes"})
    db.session.expire_all()
    assert db.session.get(Erasure, student.id) is not None
    assert db.session.get(ErasureRequest, request.id).status == "done"
    assert db.session.get(User, student.id).full_name == f"Erased person #{student.id}"
    assert "Madina Ospanova" not in client.get("/admin/privacy/").get_data(as_text=True)
    # The pseudonym cannot be brought back to life: no activation, no sign-in link.
    page = client.post(f"/admin/people/{student.id}", data={"full_name": "Someone", "roles": ["student"],
                                                             "group_id": "0", "active": "y"})
    assert "cannot be used again" in page.get_data(as_text=True)
    client.post(f"/admin/people/{student.id}/password-link")
    db.session.expire_all()
    erased = db.session.get(User, student.id)
    assert not erased.active and erased.full_name == f"Erased person #{student.id}"
    assert "/set-password/" not in client.get(f"/admin/people/{student.id}").get_data(as_text=True)


# --- retention ----------------------------------------------------------------------------------------------

def test_the_retention_job_removes_what_has_expired_and_nothing_else(app, runner, make_user, make_group, clock):
    from app.contests.models import Contest, Entry
    from app.core.uploads import store_image
    from app.gamification.models import Notification
    from app.privacy import retention
    from app.privacy.access_log import record_access
    from app.privacy.models import RetentionRun
    from app.quizzes.models import AttemptAnswer, Quiz, QuizAttempt, QuizVersion
    from app.reports.models import ReportAttachment

    uploads = Path(app.config["UPLOAD_FOLDER"])
    admin = make_user(roles=("admin",))
    student = make_user(group=make_group())
    graduate = make_user(active=False, name="Old Graduate")
    recent_leaver = make_user(active=False, name="Recent Leaver")
    graduate.last_login_at = NOW - timedelta(days=1200)
    recent_leaver.last_login_at = NOW - timedelta(days=30)
    retention.set_period("notifications", 30, admin.id, NOW)
    # notifications: one old, one recent
    db.session.add_all([Notification(user_id=student.id, kind="info", text="old", created_at=NOW - timedelta(days=31)),
                        Notification(user_id=student.id, kind="info", text="new", created_at=NOW - timedelta(days=29))])
    # reports: closed long ago (with an image on disk), closed lately, still open from long ago
    old_case = make_report(status="closed", closed_on=date(2023, 1, 1), what="old closed case")
    make_report(status="closed", closed_on=date(2026, 6, 1), what="recently closed case")
    make_report(status="received", what="open old case")
    folder = uploads / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    image = io.BytesIO()
    from PIL import Image
    Image.new("RGB", (20, 20), (1, 2, 3)).save(image, "PNG")
    image.seek(0)
    stored = store_image(image, folder, thumbnail=False)
    db.session.add(ReportAttachment(report_id=old_case.id, stored_name=stored.name, mimetype="image/jpeg", size=10,
                                    created_on=date(2022, 12, 1)))
    # quiz answers: an attempt closed long ago, one closed lately
    quiz = Quiz(slug="q", title="Q")
    db.session.add(quiz)
    db.session.flush()
    version = QuizVersion(quiz_id=quiz.id, number=1, digest="d", questions=[])
    db.session.add(version)
    db.session.flush()
    for age, key in ((400, "old"), (10, "new")):
        attempt = QuizAttempt(quiz_id=quiz.id, version_id=version.id, user_id=student.id, number=age,
                              status="submitted", started_at=NOW - timedelta(days=age),
                              submitted_at=NOW - timedelta(days=age), score=1, layout=[])
        db.session.add(attempt)
        db.session.flush()
        db.session.add(AttemptAnswer(attempt_id=attempt.id, question_key=key, response='"x"'))
    # withdrawn entries: one long ago (with a cover on disk), one lately
    contest = Contest(slug="c", title="C", kind="essay", criteria=[], places=[], submissions_open=NOW,
                      submissions_close=NOW, judging_close=NOW, results_on=NOW.date())
    db.session.add(contest)
    db.session.flush()
    (uploads / "covers").mkdir(parents=True, exist_ok=True)
    (uploads / "covers" / "old-cover.jpg").write_bytes(b"cover")
    for age, code, cover in ((100, "OLD-1", "old-cover.jpg"), (10, "NEW-1", "")):
        db.session.add(Entry(contest_id=contest.id, author_id=student.id, code=code, status="withdrawn",
                             body=f"withdrawn text {code}", cover_file=cover, withdrawn_at=NOW - timedelta(days=age)))
    record_access(admin.id, "person", "user:1", at=NOW - timedelta(days=2000))
    record_access(admin.id, "person", "user:2", at=NOW - timedelta(days=1))
    db.session.commit()

    result = runner.invoke(args=["retention"])
    assert result.exit_code == 0, result.output
    assert "notifications: 1 removed" in result.output and "reports: 1 removed" in result.output
    db.session.expire_all()
    assert [n.text for n in db.session.execute(select(Notification)).scalars()] == ["new"]
    assert sorted(r.what for r in db.session.execute(select(Report)).scalars()) == ["open old case",
                                                                                     "recently closed case"]
    assert not (folder / stored.name).exists()
    assert [a.question_key for a in db.session.execute(select(AttemptAnswer)).scalars()] == ["new"]
    assert db.session.scalar(select(func.count()).select_from(QuizAttempt)) == 2       # scores stay
    entries = {e.code: (e.body, e.cover_file) for e in db.session.execute(select(Entry)).scalars()}
    assert entries == {"OLD-1": ("", ""), "NEW-1": ("withdrawn text NEW-1", "")}
    assert not (uploads / "covers" / "old-cover.jpg").exists()
    assert db.session.get(Erasure, graduate.id) is not None and db.session.get(Erasure, recent_leaver.id) is None
    assert db.session.get(User, graduate.id).full_name != "Old Graduate"
    assert db.session.get(User, student.id).active and db.session.get(Erasure, student.id) is None
    assert [e.subject for e in db.session.execute(select(AccessLogEntry)).scalars()] == ["user:2"]
    run = db.session.execute(select(RetentionRun)).scalar_one()
    assert json.loads(run.removed) == {"access_log": 1, "graduate_accounts": 1, "notifications": 1, "quiz_answers": 1,
                                       "reports": 1, "withdrawn_uploads": 1}
    # a second run finds nothing more
    again = runner.invoke(args=["retention"])
    assert all(line.endswith(": 0 removed") for line in again.output.strip().splitlines())


def test_the_acs_sets_retention_periods_and_the_register_follows(app, client, auth, make_user, clock):
    from app.privacy import retention

    admin = make_user(roles=("admin",))
    auth.login(admin.email)
    page = client.get("/admin/privacy/").get_data(as_text=True)
    assert 'name="days-notifications"' in page and 'value="180"' in page
    form = {f"days-{kind.key}": str(kind.default_days) for kind in retention.KINDS}
    refused = client.post("/admin/privacy/", data={**form, "days-notifications": "0"})
    assert refused.status_code == 400 and "whole number of days" in refused.get_data(as_text=True)
    assert retention.periods()["notifications"] == 180
    client.post("/admin/privacy/", data={**form, "days-notifications": "45"})
    assert retention.periods()["notifications"] == 45
    register = client.get("/privacy/register").get_data(as_text=True)
    assert "45 days from the day they were sent" in register
    assert "1095 days from the day the case was closed" in register
    for _feature, _label, holding in __import__("app.privacy.providers", fromlist=["x"]).holdings():
        assert f"<code>{holding.table}</code>" in register
    auth.logout()
    assert client.get("/privacy/register").status_code == 200                 # anyone may read it
    assert client.get("/privacy").status_code == 200


def test_a_large_account_gets_its_copy_from_a_background_job(demo, client, auth):
    from app.jobs.models import Job

    student, other = demo["student2@sanaly.test"], demo["student3@sanaly.test"]
    auth.login(student.email, "demo-password")
    started = client.post("/privacy/mine/job")
    job = db.session.execute(select(Job).where(Job.kind == "data_copy")).scalar_one()
    assert started.status_code == 302 and started.headers["Location"].endswith(f"/jobs/{job.id}")
    assert (job.state, job.params) == ("done", {"user_id": student.id})
    download = client.get(f"/jobs/{job.id}/file")
    document, summary, names = read_zip(download.data)
    assert document["user_id"] == student.id and student.full_name in summary
    assert data_names(document, summary, [u for u in demo.values() if u.id != student.id]) == []
    auth.logout()
    auth.login(other.email, "demo-password")
    assert client.get(f"/jobs/{job.id}/file").status_code in (403, 404)     # never another person's copy


def data_names(document, summary, people) -> list[str]:
    text = json.dumps(document, ensure_ascii=False) + summary
    return [u.email for u in people if u.email in text or u.full_name in text]


def test_tick_applies_retention(app, runner, make_user, clock):
    from app.gamification.models import Notification
    from app.privacy.models import RetentionRun

    student = make_user()
    db.session.add(Notification(user_id=student.id, kind="info", text="old", created_at=NOW - timedelta(days=400)))
    db.session.commit()
    result = runner.invoke(args=["tick"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0
    assert db.session.scalar(select(func.count()).select_from(RetentionRun)) == 1
    assert "skipped" in runner.invoke(args=["tick"]).output                # once a day is enough
    clock["now"] = NOW + timedelta(days=1)
    runner.invoke(args=["tick"])
    assert db.session.scalar(select(func.count()).select_from(RetentionRun)) == 2
