"""Every page × every kind of person, against a declared policy. A new page without a policy fails here."""
import io
from pathlib import Path

import pytest
from flask import current_app
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.audit import service as audit
from app.certificates.models import Certificate
from app.contests import service as contests
from app.contests.models import Entry, JuryAssignment
from app.core.clock import utcnow
from app.coverage.models import ApiToken, Event
from app.extensions import db
from app.people.models import Faculty, Group, User
from app.quizzes import service as quizzes
from app.reports.models import Report
from app.club.models import Clip, Idea, Membership, VolunteerLog
from app.brainring import service as ring_service
from app.brainring.models import RingSet
from app.surveys import service as surveys
from app.surveys.models import Survey
from app.jobs.models import Job
from app.plan.deliverable_models import Deliverable, Evidence
from app.plan.models import Activity, Plan
from app.risks.models import DeclarationDuty, EquatedPosition, Hearing, MediaItem, Risk

WHO = ("anonymous", "student", "curator", "jury", "admin")
ACCOUNTS = {"student": "student1@sanaly.test", "curator": "curator@sanaly.test", "jury": "jury1@sanaly.test",
            "admin": "admin@sanaly.test"}


SURVEY = "perception-survey-2024-2025"


def expect(anonymous, student, curator, jury, admin):
    return dict(zip(WHO, (anonymous, student, curator, jury, admin)))


PUBLIC = expect(200, 200, 200, 200, 200)
SIGNED_IN = expect(302, 200, 200, 200, 200)
ADMIN = expect(302, 403, 403, 403, 200)
STAFF = expect(302, 403, 200, 403, 200)       # curators and the ACS
JURY = expect(302, 403, 403, 200, 403)
REDIRECT = expect(302, 302, 302, 302, 302)
COORDINATORS = expect(302, 403, 200, 403, 200)  # the demo curator is also the club coordinator
EMPLOYEES = expect(302, 403, 200, 200, 200)
REPORTER = expect(302, 403, 403, 200, 200)    # the demo's jury1 reports for the Board for Ethics; the ACS sees all   # the demo's curator, jurors and admin are staff; students are not
STAFF_COURSE = "/courses/anti-corruption-for-university-staff"


@pytest.fixture
def demo(app, runner, setup_cli):
    result = setup_cli("demo")
    assert result.exit_code == 0, result.output
    users = {u.email: u for u in db.session.execute(select(User)).scalars()}
    own_group = db.session.execute(select(Group).where(Group.code == "ЭЭ-24-1")).scalar_one()
    other_group = db.session.execute(select(Group).where(Group.code == "ГД-24-1")).scalar_one()
    attempt = quizzes.start_attempt(users["student1@sanaly.test"], quizzes.quiz_by_slug("integrity-hour"), utcnow())
    video = db.session.execute(select(Entry).where(Entry.title.like("The exam%"))).scalar_one()
    assignment = db.session.execute(select(JuryAssignment).where(
        JuryAssignment.juror_id == users["jury1@sanaly.test"].id, JuryAssignment.status == "active")).scalars().first()
    certificate = db.session.execute(select(Certificate).where(
        Certificate.user_id == users["student2@sanaly.test"].id)).scalars().first()
    event = db.session.execute(select(Event)).scalars().first()
    faculty = db.session.execute(select(Faculty)).scalars().first()
    report = db.session.execute(select(Report)).scalars().first()
    club = {"idea": db.session.execute(select(Idea)).scalars().first(),
            "application": db.session.execute(select(Membership).where(Membership.status == "pending")).scalars().first(),
            "volunteering": db.session.execute(select(VolunteerLog).where(VolunteerLog.status == "pending")).scalars().first(),
            "clip": db.session.execute(select(Clip)).scalars().first()}
    ring_set = db.session.execute(select(RingSet)).scalars().first()
    game = ring_service.open_game(users["curator@sanaly.test"], ring_set, "", utcnow())
    # The demo's survey waves follow the calendar: make sure one is published and one is not.
    waves = sorted(db.session.execute(select(Survey).where(Survey.slug == SURVEY)).scalar_one().waves,
                   key=lambda w: w.opens_on)
    if not any(w.published_at for w in waves):
        surveys.publish(waves[0], users["admin@sanaly.test"], utcnow())
    published = next(w.key for w in waves if w.published_at)
    unpublished = next(w.key for w in waves if not w.published_at)
    risks = {"risk": db.session.execute(select(Risk.id)).scalars().first(),
             "hearing": db.session.execute(select(Hearing.id)).scalars().first(),
             "media": db.session.execute(select(MediaItem.id)).scalars().first(),
             "duty": db.session.execute(select(DeclarationDuty.id)).scalars().first(),
             "position": db.session.execute(select(EquatedPosition.id)).scalars().first()}
    # jury1 reports for the Board for Ethics (1.9): its period and a file of evidence on it; nobody else's but the ACS's
    ethics = db.session.execute(select(Deliverable).join(Activity, Activity.id == Deliverable.activity_id)
                                .where(Activity.code == "1.9").order_by(Deliverable.id.desc())).scalars().first()
    kept = {"deliverable": ethics.id, "activity": ethics.activity_id,
            "evidence": db.session.execute(select(Evidence.id).where(Evidence.deliverable_id == ethics.id,
                                                                     Evidence.kind == "file")).scalars().first()}
    job = Job(kind="backup", state="done", started_by_id=users["admin@sanaly.test"].id, result={})
    db.session.add(job)
    db.session.commit()
    return dict(job=job.id, users=users, own_group=own_group, other_group=other_group, attempt=attempt, video=video,
                assignment=assignment, certificate=certificate, event=event, faculty=faculty, report=report, club=club,
                game=game.code, checkpoint=audit.latest_checkpoint(), published=published, risks=risks, kept=kept,
                unpublished=unpublished, activity=db.session.execute(select(Activity.id).join(Plan).where(
                    Activity.code == "2.11").order_by(Plan.starts_on.desc())).scalars().first())


def kept_cover(d) -> str:
    """The token of a cover kept from student1's refused video entry."""
    image = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(image, "PNG")
    image.seek(0)
    outcome = contests.save_entry(
        d["users"]["student1@sanaly.test"], d["video"].contest, None, contests.EntryDraft(title="Kept", video_url="no"),
        FileStorage(image, filename="cover.png"), utcnow(), submit=True, confirm_identity=True,
        upload_folder=Path(current_app.config["UPLOAD_FOLDER"]))
    return outcome.pending.token


def policy(d):
    """endpoint → [(url, expected statuses by who)]. Object pages list the owner's and others' objects."""
    g, o, a, v = d["own_group"].id, d["other_group"].id, d["attempt"].id, d["video"].code
    return {
        "static": [("/static/css/app.css", PUBLIC)],
        "home.home": [("/", PUBLIC)],
        "core.health": [("/healthz", PUBLIC)],
        "core.language": [("/language/kk", REDIRECT)],
        "home.admin_home": [("/admin/", ADMIN)],
        "home.staff_home": [("/staff/", EMPLOYEES)],
        "auth.login": [("/login", expect(200, 302, 302, 302, 302))],
        "auth.account": [("/account", REDIRECT)],
        "auth.set_password": [("/set-password/forged", expect(404, 404, 404, 404, 404))],
        # Single sign-on is not configured here (tests/test_sso.py covers it): nothing at these addresses.
        "auth.sso_start": [("/login/sso", expect(404, 404, 404, 404, 404))],
        "auth.sso_callback": [("/login/sso/callback?code=x&state=y", expect(404, 404, 404, 404, 404))],
        "people_admin.people": [("/admin/people", ADMIN)],
        "people_admin.person": [(f"/admin/people/{d['users']['student1@sanaly.test'].id}", ADMIN)],
        "people_admin.roster": [("/admin/roster", ADMIN)],
        "people_admin.headcounts": [("/admin/headcounts", ADMIN)],
        "people_admin.groups": [("/admin/groups", ADMIN)],
        "people_admin.group": [(f"/admin/groups/{g}", ADMIN)],
        "plan.index": [("/admin/plan/", ADMIN)],
        "plan.show": [("/admin/plan/ktu-2024-2025", ADMIN)],
        "plan.activity": [("/admin/plan/ktu-2024-2025/2.2", ADMIN)],
        "audit.index": [("/admin/audit/", ADMIN)],
        "courses.catalogue": [("/courses/", SIGNED_IN)],
        "courses.course": [("/courses/academic-honesty/", SIGNED_IN), (f"{STAFF_COURSE}/", EMPLOYEES)],
        "courses.lesson": [("/courses/academic-honesty/why-honesty-matters", SIGNED_IN),
                           (f"{STAFF_COURSE}/conflicts-of-interest", EMPLOYEES)],
        "courses.groups": [("/courses/groups/", STAFF)],
        "courses.group_progress": [(f"/courses/groups/{g}", STAFF), (f"/courses/groups/{o}", ADMIN)],
        "courses.content_status": [("/admin/content", ADMIN)],
        "certificates.download": [(f"/certificates/{d['certificate'].code}.pdf", expect(302, 403, 403, 403, 200))],
        "certificates.verify": [(f"/verify/{d['certificate'].code}", PUBLIC), ("/verify/AAAA-BBBB-CCCC", expect(404, 404, 404, 404, 404))],
        "certificates.verify_form": [("/verify/", PUBLIC)],
        "quizzes.index": [("/quizzes/", SIGNED_IN)],
        "quizzes.show": [("/quizzes/integrity-hour/", SIGNED_IN)],
        "quizzes.attempt": [(f"/quizzes/attempts/{a}", expect(302, 200, 404, 404, 404))],
        "quizzes.finish": [(f"/quizzes/attempts/{a}/finish", expect(302, 200, 404, 404, 404))],
        "quizzes.result": [(f"/quizzes/attempts/{a}/result", expect(302, 302, 404, 404, 404))],
        "quizzes.group_results": [(f"/quizzes/groups/{g}", STAFF), (f"/quizzes/groups/{o}", ADMIN)],
        "quizzes.admin_index": [("/admin/quizzes", ADMIN)],
        "quizzes.items": [("/admin/quizzes/integrity-hour/items", ADMIN)],
        "quizzes.items_csv": [("/admin/quizzes/integrity-hour/items.csv", ADMIN), ("/admin/quizzes/integrity-hour/items.xlsx", ADMIN)],
        "contests.index": [("/contests/", PUBLIC)],
        "contests.show": [("/contests/tiktok-2024-2025/", PUBLIC)],
        "contests.enter": [("/contests/tiktok-2024-2025/enter", expect(302, 200, 302, 302, 302))],
        "contests.edit": [(f"/contests/entries/{v}/edit", expect(302, 404, 404, 404, 404))],
        "contests.receipt": [(f"/contests/entries/{v}/receipt", expect(302, 404, 404, 404, 404))],
        "contests.image": [(f"/contests/entries/{v}/cover.jpg", expect(404, 404, 404, 404, 200))],
        "contests.pending_cover": [(f"/contests/covers/kept/{kept_cover(d)}.jpg", expect(302, 200, 404, 404, 404))],
        "contests.results": [("/contests/poem-2024-2025/results", PUBLIC), ("/contests/essay-2024-2025/results", expect(404, 404, 404, 404, 404))],
        "contests.bundle": [("/contests/poem-2024-2025/results.zip", PUBLIC)],
        "contests.jury_queue": [("/jury/", JURY)],
        "contests.score": [(f"/jury/assignments/{d['assignment'].id}", JURY)],
        "contests.admin_index": [("/admin/contests/", ADMIN)],
        "contests.admin_show": [("/admin/contests/essay-2024-2025/", ADMIN)],
        "audit.public": [("/audit", PUBLIC)],
        "audit.checkpoint": [("/audit/checkpoint", PUBLIC)],
        "audit.checkpoint_text": [(f"/audit/checkpoints/{d['checkpoint'].size}.txt", PUBLIC),
                                  ("/audit/checkpoints/999999.txt", expect(404, 404, 404, 404, 404))],
        "audit.history_text": [("/audit/checkpoints.txt", PUBLIC)],
        "audit.key": [("/audit/key", PUBLIC)],
        "audit.proof": [("/audit/proof?from=1", PUBLIC)],
        "audit.verifier": [("/audit/verify_audit.py", PUBLIC)],
        "audit.export": [("/admin/audit/export.json", ADMIN)],
        "coverage.mine": [("/coverage/", expect(302, 403, 200, 403, 302))],
        "coverage.group": [(f"/coverage/groups/{g}", STAFF), (f"/coverage/groups/{o}", ADMIN)],
        "coverage.group_csv": [(f"/coverage/groups/{g}.csv", STAFF), (f"/coverage/groups/{o}.csv", ADMIN),
                               (f"/coverage/groups/{g}.xlsx", STAFF), (f"/coverage/groups/{o}.xlsx", ADMIN)],
        "coverage.university": [("/admin/coverage/", ADMIN)],
        "coverage.faculty": [(f"/admin/coverage/faculties/{d['faculty'].id}", ADMIN)],
        "coverage.university_csv": [("/admin/coverage.csv", ADMIN), ("/admin/coverage.xlsx", ADMIN)],
        "coverage.report": [("/admin/coverage/report", ADMIN)],
        "coverage.event_list": [("/events/", STAFF)],
        "coverage.event": [(f"/events/{d['event'].id}", STAFF)],
        "coverage.qr": [(f"/events/{d['event'].id}/qr.svg", STAFF)],
        "coverage.check_in": [("/check-in", SIGNED_IN)],
        "coverage.check_in_code": [("/check-in/ABCDEF", REDIRECT)],
        "coverage.api_tokens": [("/admin/api-tokens", ADMIN)],
        "api.plan_json": [("/api/v1/plan", expect(401, 401, 401, 401, 401))],      # cookies never open the API
        "api.coverage_json": [("/api/v1/coverage", expect(401, 401, 401, 401, 401))],
        "api.openapi": [("/api/v1/openapi.json", PUBLIC)],
        "game.profile": [("/profile", SIGNED_IN)],
        "game.leaderboard": [("/leaderboard", SIGNED_IN)],
        "game.notifications": [("/notifications", SIGNED_IN)],
        "game.badge_image": [("/badges/first-lesson.svg", PUBLIC)],
        "surveys.index": [("/surveys/", PUBLIC)],
        "surveys.answer": [(f"/surveys/{SURVEY}/", SIGNED_IN)],
        "surveys.results": [(f"/surveys/{SURVEY}/results/{d['published']}", PUBLIC),
                            (f"/surveys/{SURVEY}/results/{d['unpublished']}", expect(404, 404, 404, 404, 200))],
        "surveys.admin_index": [("/admin/surveys/", ADMIN)],
        "surveys.texts": [(f"/admin/surveys/{SURVEY}/{d['unpublished']}/texts", ADMIN)],
        "reports.new": [("/report", PUBLIC)],
        "reports.follow": [("/report/follow", PUBLIC)],
        "reports.case": [("/report/case", REDIRECT)],            # only with a code and passphrase
        "reports.case_file": [("/report/case/files/1.jpg", expect(404, 404, 404, 404, 404))],
        "reports.statistics": [("/reports/statistics", PUBLIC)],
        "reports.queue": [("/admin/reports/", ADMIN)],
        "reports.handle": [(f"/admin/reports/{d['report'].id}", ADMIN)],
        "reports.admin_file": [("/admin/reports/files/999999.jpg", expect(302, 403, 403, 403, 404))],
        "club.index": [("/club/", PUBLIC)],
        "club.manage": [("/club/manage", COORDINATORS)],
        "club.volunteering": [("/volunteering/", SIGNED_IN)],
        "club.ideas": [("/ideas/", PUBLIC)],
        "club.propose": [("/ideas/new", SIGNED_IN)],
        "club.idea": [(f"/ideas/{d['club']['idea'].id}", PUBLIC)],
        "club.media": [("/media/", PUBLIC)],
        "club.new_clip": [("/media/new", COORDINATORS)],          # and club members; student1 is not one
        "club.clip_image": [(f"/media/{d['club']['clip'].id}/cover.jpg", expect(404, 404, 404, 404, 404))],
        "club.digest": [("/media/digest/2025-01", PUBLIC)],
        "ring.index": [("/ring/", SIGNED_IN)],
        "ring.host": [(f"/ring/{d['game']}/host", STAFF)],      # the demo curator hosts it; the ACS may look in
        "ring.board": [(f"/ring/{d['game']}/board", STAFF)],
        "ring.qr": [(f"/ring/{d['game']}/qr.svg", STAFF)],
        "ring.image": [(f"/ring/{d['game']}/images/0", expect(302, 403, 404, 403, 404))],
        "ring.play": [(f"/ring/{d['game']}", SIGNED_IN)],         # the join page: a GET never joins
        "ring.pad": [(f"/ring/{d['game']}/pad", expect(302, 404, 404, 404, 404))],   # only a player's
        "ring.results": [(f"/ring/{d['game']}/results", expect(302, 404, 404, 404, 404))],   # not closed yet
        "jobs.index": [("/jobs/", SIGNED_IN)],
        "jobs.show": [(f"/jobs/{d['job']}", expect(302, 403, 403, 403, 200))],     # whoever started it (the ACS)
        "jobs.status": [(f"/jobs/{d['job']}/status.json", expect(302, 403, 403, 403, 200))],
        "jobs.download": [(f"/jobs/{d['job']}/file", expect(302, 403, 403, 403, 404))],   # it made no file
        "mail.forgot_password": [("/password/forgot", PUBLIC)],
        "mail.unsubscribe": [("/mail/unsubscribe/forged", expect(404, 404, 404, 404, 404))],
        "mail.preferences": [("/mail/preferences", SIGNED_IN)],
        "mail.admin": [("/admin/mail", ADMIN)],
        "privacy.notice_page": [("/privacy", PUBLIC)],
        "privacy.register": [("/privacy/register", PUBLIC)],
        "privacy.consent": [("/privacy/consent", SIGNED_IN)],
        "privacy.mine": [("/privacy/mine", SIGNED_IN)],
        "privacy.my_copy": [("/privacy/mine.zip", SIGNED_IN)],
        "privacy.access_log_page": [("/privacy/access-log", expect(302, 403, 403, 403, 403))],   # the DPO's alone
        "privacy.admin_index": [("/admin/privacy/", ADMIN)],
        "privacy.edit_notice": [("/admin/privacy/notice", ADMIN)],
        "privacy.person": [(f"/admin/privacy/people/{d['users']['student1@sanaly.test'].id}", ADMIN)],
        "privacy.person_copy": [(f"/admin/privacy/people/{d['users']['student1@sanaly.test'].id}.zip", ADMIN)],
        "courses.lesson_image": [("/courses/lesson-images/nonexistent.jpg", expect(302, 404, 404, 404, 404))],
        "filings.index": [("/admin/filings/", ADMIN)],
        "deliverables.board": [("/deliverables/", EMPLOYEES)],
        "deliverables.units": [("/deliverables/units", ADMIN)],
        "deliverables.show": [(f"/deliverables/{d['kept']['deliverable']}", REPORTER)],
        "deliverables.activity": [(f"/deliverables/activity/{d['kept']['activity']}", REPORTER)],
        "deliverables.evidence_file": [(f"/deliverables/evidence/{d['kept']['evidence']}/file", REPORTER)],
        "filings.download": [("/admin/filings/board.pdf", ADMIN), ("/admin/filings/board.docx?lang=kk", ADMIN),
                             ("/admin/filings/quarterly.pdf?plan=ktu-2024-2025&quarter=2025Q1", ADMIN),
                             ("/admin/filings/range.docx?plan=ktu-2024-2025&from=2024-12-01&to=2024-12-31", ADMIN)],
        "filings.narrative": [(f"/admin/filings/narratives/{d['activity']}/year", ADMIN)],
        "risks.register": [("/admin/risks/", ADMIN)],
        "risks.edit": [("/admin/risks/new", ADMIN), (f"/admin/risks/{d['risks']['risk']}/edit", ADMIN)],
        "risks.risk_map": [("/admin/risks/map", ADMIN)],
        "risks.approve": [("/admin/risks/approve", ADMIN)],
        "risks.export": [("/admin/risks/register.xlsx", ADMIN)],
        "risks.media": [("/admin/media/", ADMIN)],
        "risks.edit_media": [(f"/admin/media/{d['risks']['media']}/edit", ADMIN)],
        "risks.hearings": [("/admin/hearings/1.7", ADMIN)],
        "risks.minutes_file": [(f"/admin/hearings/minutes/{d['risks']['hearing']}", expect(302, 403, 403, 403, 404))],  # no file
        "risks.register_list": [("/admin/registers/1.5", ADMIN), ("/admin/registers/1.6", ADMIN)],
        "authoring.index": [("/authoring/", ADMIN)],
        "authoring.course": [("/authoring/courses/fundamentals-of-anti-corruption-culture/", ADMIN)],
        "authoring.edit_lesson": [("/authoring/courses/fundamentals-of-anti-corruption-culture/lessons/new", ADMIN), ("/authoring/courses/fundamentals-of-anti-corruption-culture/lessons/what-is-corruption/edit", ADMIN)],
        "authoring.history": [("/authoring/course/fundamentals-of-anti-corruption-culture/history", ADMIN)],
        "authoring.quiz_settings": [("/authoring/quizzes/integrity-hour/settings", ADMIN)],
        "authoring.edit_contest": [("/authoring/contests/new", ADMIN), ("/authoring/contests/essay-2024-2025/edit", ADMIN)],
        "authoring.quiz_question": [("/authoring/quizzes/integrity-hour/questions/new", ADMIN), ("/authoring/quizzes/integrity-hour/questions/recognise-book-before-exam/edit", ADMIN)],
        # The plan year is the ACS's alone: an editor may not edit the plan.
        "planyear.prepare": [("/admin/plan-year/ktu-2024-2025/next", ADMIN)],
        "planyear.upload": [("/admin/plan-year/upload", ADMIN)],
        "planyear.edit_activity": [("/admin/plan-year/ktu-2024-2025/activities/new", ADMIN), ("/admin/plan-year/ktu-2024-2025/activities/2.2", ADMIN)],
        "planyear.headcounts": [("/admin/plan-year/ktu-2024-2025/headcounts", ADMIN)],
        "planyear.edit_texts": [("/admin/plan-year/ktu-2024-2025/texts", ADMIN)],
        "authoring.edit_survey": [("/authoring/surveys/new", ADMIN), ("/authoring/surveys/clean-session-survey/edit", ADMIN)],
        "authoring.edit_ring": [("/authoring/brainring/new", ADMIN), ("/authoring/brainring/brain-ring-anticorruption/edit", ADMIN)],
        "authoring.ring_picture": [("/authoring/brainring/pictures/images/uploaded/nonexistent.jpg", expect(302, 403, 403, 403, 404))],
        "authoring.course_settings": [("/authoring/courses/fundamentals-of-anti-corruption-culture/settings", ADMIN)],
        "authoring.new_course": [("/authoring/courses/new", ADMIN)],     # ACS admins only: an editor edits what it is given
        "authoring.new_quiz": [("/authoring/quizzes/new", ADMIN)],
    }


def test_every_get_route_has_a_policy(app, demo):
    declared = set(policy(demo))
    routes = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    assert routes - declared == set(), "declare who may open these new pages"
    assert declared - routes == set()


SHARED = {"static", "game.badge_image", "api.openapi", "audit.verifier"}   # the same answer for everyone: may be kept


@pytest.mark.parametrize("who", WHO)
def test_each_person_gets_what_the_policy_says_and_no_personal_answer_may_be_stored(app, demo, client, who):
    """Every GET route answers each kind of person as the policy says; and every answer to a signed-in person,
    whatever its status, carries `Cache-Control: no-store` unless the page is declared the same for everyone
    (a personal page kept in a browser's or a proxy's cache outlives the sign-out). One request per page and
    person answers both."""
    if who != "anonymous":
        response = client.post("/login", data={"email": ACCOUNTS[who], "password": "demo-password"})
        assert response.status_code == 302
    mismatches, storable = [], []
    for endpoint, cases in policy(demo).items():
        for url, expected in cases:
            response = client.get(url)
            if response.status_code != expected[who]:
                mismatches.append((endpoint, url, response.status_code, expected[who]))
            if (who != "anonymous" and endpoint not in SHARED
                    and "no-store" not in response.headers.get("Cache-Control", "")):
                storable.append((endpoint, url, response.status_code))
    assert mismatches == []
    assert storable == [], "personal answers without Cache-Control: no-store"
    if who != "anonymous":
        assert "no-store" not in client.get("/static/css/app.css").headers.get("Cache-Control", "")


def post_expect(anonymous, student, curator, jury, admin):
    return dict(zip(WHO, (anonymous, student, curator, jury, admin)))


P_ADMIN = post_expect("login", "forbidden", "forbidden", "forbidden", "ok")
P_STAFF = post_expect("login", "forbidden", "ok", "forbidden", "ok")
P_SIGNED_IN = post_expect("login", "ok", "ok", "ok", "ok")
P_COORDINATORS = post_expect("login", "forbidden", "ok", "forbidden", "ok")
P_REPORTER = post_expect("login", "forbidden", "forbidden", "ok", "ok")


def post_policy(d, token_id):
    g, o, a, v = d["own_group"].id, d["other_group"].id, d["attempt"].id, d["video"].code
    event = d["event"].id
    return {
        "auth.login": ("/login", post_expect("ok", "ok", "ok", "ok", "ok")),
        "auth.set_password": ("/set-password/forged", post_expect("missing", "missing", "missing", "missing", "missing")),
        "core.language": ("/language/ru", post_expect("ok", "ok", "ok", "ok", "ok")),
        "people_admin.person": (f"/admin/people/{d['users']['student3@sanaly.test'].id}", P_ADMIN),
        "people_admin.password_link": (f"/admin/people/{d['users']['student3@sanaly.test'].id}/password-link", P_ADMIN),
        "people_admin.roster": ("/admin/roster", P_ADMIN),
        "people_admin.headcounts": ("/admin/headcounts", P_ADMIN),
        "people_admin.group": (f"/admin/groups/{g}", P_ADMIN),
        "courses.check": ("/courses/academic-honesty/why-honesty-matters/check", P_SIGNED_IN),
        "courses.complete": ("/courses/academic-honesty/why-honesty-matters/complete", P_SIGNED_IN),
        "quizzes.start": ("/quizzes/academic-honesty-final/start", P_SIGNED_IN),
        "quizzes.save": (f"/quizzes/attempts/{a}/save", post_expect("login", "ok", "missing", "missing", "missing")),
        "quizzes.autosave": (f"/quizzes/attempts/{a}/autosave", post_expect("login", "ok", "missing", "missing", "missing")),
        "quizzes.submit": (f"/quizzes/attempts/{a}/submit", post_expect("login", "ok", "missing", "missing", "missing")),
        "quizzes.group_results": (f"/quizzes/groups/{o}", post_expect("login", "forbidden", "forbidden", "forbidden", "ok")),
        "contests.enter": ("/contests/tiktok-2024-2025/enter", P_SIGNED_IN),
        "contests.edit": (f"/contests/entries/{v}/edit", post_expect("login", "missing", "missing", "missing", "missing")),
        "contests.withdraw": (f"/contests/entries/{v}/withdraw", post_expect("login", "missing", "missing", "missing", "missing")),
        "contests.score": (f"/jury/assignments/{d['assignment'].id}", post_expect("login", "forbidden", "forbidden", "ok", "forbidden")),
        "contests.conflict": (f"/jury/assignments/{d['assignment'].id + 100000}/conflict", post_expect("login", "forbidden", "forbidden", "missing", "forbidden")),
        "contests.assign": ("/admin/contests/essay-2024-2025/assign", P_ADMIN),
        "contests.reassign": ("/admin/contests/essay-2024-2025/reassign", post_expect("login", "forbidden", "forbidden", "forbidden", "missing")),
        "contests.publish": ("/admin/contests/essay-2024-2025/publish", P_ADMIN),
        "coverage.check_in": ("/check-in", P_SIGNED_IN),
        "coverage.event_evidence": (f"/events/{event}/evidence", P_ADMIN),   # not one of the curator's events
        "deliverables.change_status": (f"/deliverables/{d['kept']['deliverable']}/status", P_REPORTER),
        "deliverables.add_evidence": (f"/deliverables/{d['kept']['deliverable']}/evidence", P_REPORTER),
        "deliverables.remove_evidence": (f"/deliverables/evidence/{d['kept']['evidence']}/remove", P_ADMIN),  # not jury1's
        "deliverables.assign": (f"/deliverables/{d['kept']['deliverable']}/assign", P_ADMIN),
        "deliverables.units": ("/deliverables/units", post_expect("login", "forbidden", "forbidden", "forbidden", "missing")),
        "authoring.quiz_draw": ("/authoring/quizzes/integrity-hour/draw", P_ADMIN),
        "coverage.event_list": ("/events/", P_STAFF),
        "coverage.import_attendance": (f"/events/{event}/import", P_STAFF),
        "coverage.rotate": (f"/events/{event}/rotate", P_ADMIN),        # the ACS organised it: only the ACS changes its code
        "coverage.api_tokens": ("/admin/api-tokens", P_ADMIN),
        "coverage.revoke": (f"/admin/api-tokens/{token_id}/revoke", P_ADMIN),
        "game.leaderboard_choice": ("/profile/leaderboard", P_SIGNED_IN),
        "game.notifications": ("/notifications", P_SIGNED_IN),
        "surveys.answer": (f"/surveys/{SURVEY}/", P_SIGNED_IN),
        "surveys.publish": (f"/admin/surveys/{SURVEY}/spring-2025/publish", P_ADMIN),
        "surveys.texts": (f"/admin/surveys/{SURVEY}/spring-2025/texts", P_ADMIN),
        "reports.new": ("/report", post_expect("ok", "ok", "ok", "ok", "ok")),
        "reports.follow": ("/report/follow", post_expect("ok", "ok", "ok", "ok", "ok")),
        "reports.case": ("/report/case", post_expect("ok", "ok", "ok", "ok", "ok")),   # no case open: back to the form
        "reports.leave": ("/report/case/leave", post_expect("ok", "ok", "ok", "ok", "ok")),
        "reports.queue": ("/admin/reports/", P_ADMIN),
        "reports.handle": (f"/admin/reports/{d['report'].id}", P_ADMIN),
        "club.index": ("/club/", P_SIGNED_IN),
        "club.decide": (f"/club/applications/{d['club']['application'].id}", P_COORDINATORS),
        "club.volunteering": ("/volunteering/", P_SIGNED_IN),
        "club.decide_volunteering": (f"/volunteering/{d['club']['volunteering'].id}", P_COORDINATORS),
        "club.statement": ("/volunteering/statement", P_SIGNED_IN),
        "club.propose": ("/ideas/new", P_SIGNED_IN),
        "club.support": (f"/ideas/{d['club']['idea'].id}/support", P_SIGNED_IN),
        "club.answer": (f"/ideas/{d['club']['idea'].id}/answer", P_ADMIN),
        "club.hide": (f"/ideas/{d['club']['idea'].id}/hide", P_ADMIN),
        "club.new_clip": ("/media/new", P_COORDINATORS),
        "club.hide_clip": (f"/media/{d['club']['clip'].id}/hide", P_COORDINATORS),
        "ring.index": ("/ring/", P_SIGNED_IN),
        "ring.new": ("/ring/new", P_STAFF),
        "ring.team": (f"/ring/{d['game']}/team", post_expect("login", "missing", "missing", "missing", "missing")),
        "ring.answer": (f"/ring/{d['game']}/answer", post_expect("login", "missing", "missing", "missing", "missing")),
        "ring.join": (f"/ring/{d['game']}/join", P_SIGNED_IN),
        "ring.step": (f"/ring/{d['game']}/reveal", P_STAFF),
        "jobs.retry": (f"/jobs/{d['job']}/retry", P_ADMIN),
        "mail.forgot_password": ("/password/forgot", post_expect("ok", "ok", "ok", "ok", "ok")),
        "mail.unsubscribe": ("/mail/unsubscribe/forged", post_expect("missing", "missing", "missing", "missing", "missing")),
        "mail.preferences": ("/mail/preferences", P_SIGNED_IN),
        "mail.admin": ("/admin/mail", P_ADMIN),
        "mail.invite_group": (f"/admin/groups/{g}/invite", P_ADMIN),
        "privacy.consent": ("/privacy/consent", P_SIGNED_IN),
        "privacy.ask_erasure": ("/privacy/mine/erase", P_SIGNED_IN),     # the "are you sure?" step
        "privacy.copy_job": ("/privacy/mine/job", P_SIGNED_IN),
        "privacy.admin_index": ("/admin/privacy/", P_ADMIN),
        "privacy.edit_notice": ("/admin/privacy/notice", P_ADMIN),
        "privacy.erase": (f"/admin/privacy/people/{d['users']['student3@sanaly.test'].id}/erase", P_ADMIN),
        "privacy.decline": ("/admin/privacy/requests/100000/decline", post_expect("login", "forbidden", "forbidden", "forbidden", "missing")),
        "filings.narrative": (f"/admin/filings/narratives/{d['activity']}/year", P_ADMIN),   # an empty form: refused at the field
        "authoring.edit_lesson": ("/authoring/courses/fundamentals-of-anti-corruption-culture/lessons/new", P_ADMIN),             # an empty form: messages at the fields
        "authoring.move_lesson": ("/authoring/courses/fundamentals-of-anti-corruption-culture/lessons/what-is-corruption/move", P_ADMIN),
        "authoring.retire_lesson": ("/authoring/courses/fundamentals-of-anti-corruption-culture/lessons/what-is-corruption/retire", P_ADMIN),
        "authoring.grant_course": ("/authoring/courses/fundamentals-of-anti-corruption-culture/editors", P_ADMIN),
        "authoring.retire": ("/authoring/quiz/integrity-hour/retire", P_ADMIN),
        "authoring.quiz_settings": ("/authoring/quizzes/integrity-hour/settings", P_ADMIN),
        "authoring.quiz_question": ("/authoring/quizzes/integrity-hour/questions/new", P_ADMIN),
        "authoring.edit_contest": ("/authoring/contests/new", P_ADMIN),          # an empty form: messages at the fields
        "authoring.grant_contest": ("/authoring/contests/essay-2024-2025/editors", P_ADMIN),
        "risks.edit": ("/admin/risks/new", P_ADMIN),                  # an empty form: messages at the fields
        "risks.delete": (f"/admin/risks/{d['risks']['risk']}/delete", P_ADMIN),
        "risks.approve": ("/admin/risks/approve", P_ADMIN),
        "risks.carry_forward": ("/admin/risks/carry-forward", P_ADMIN),
        "risks.media": ("/admin/media/", P_ADMIN),
        "risks.edit_media": (f"/admin/media/{d['risks']['media']}/edit", P_ADMIN),     # before its removal: messages at the fields
        "risks.delete_media": (f"/admin/media/{d['risks']['media']}/delete", P_ADMIN),
        "risks.file_media_month": ("/admin/media/file", P_ADMIN),
        "risks.hearings": ("/admin/hearings/1.7", P_ADMIN),
        "risks.delete_hearing": (f"/admin/hearings/1.7/{d['risks']['hearing']}/delete", P_ADMIN),
        "risks.register_list": ("/admin/registers/1.5", P_ADMIN),
        "risks.declaration": (f"/admin/registers/1.5/declarations/{d['risks']['duty']}", P_ADMIN),
        "risks.remove_position": (f"/admin/registers/1.6/positions/{d['risks']['position']}/remove", P_ADMIN),
        "planyear.prepare": ("/admin/plan-year/ktu-2024-2025/next", P_ADMIN),         # no dates: messages at the fields
        "planyear.upload": ("/admin/plan-year/upload", P_ADMIN),                      # no file: a message at the field
        "planyear.edit_activity": ("/admin/plan-year/ktu-2024-2025/activities/2.2", P_ADMIN),
        "planyear.retire_activity": ("/admin/plan-year/ktu-2024-2025/activities/2.2/retire", P_ADMIN),   # "are you sure?"
        "planyear.headcounts": ("/admin/plan-year/ktu-2024-2025/headcounts", P_ADMIN),
        "planyear.close": ("/admin/plan-year/ktu-2024-2025/close", P_ADMIN),         # the "are you sure?" step
        "planyear.edit_texts": ("/admin/plan-year/ktu-2024-2025/texts", P_ADMIN),     # an empty form: messages at the fields
        "authoring.edit_survey": ("/authoring/surveys/new", P_ADMIN),              # an empty form: messages at the fields
        "authoring.edit_ring": ("/authoring/brainring/new", P_ADMIN),
        "authoring.grant_item": ("/authoring/survey/clean-session-survey/editors", P_ADMIN),   # no e-mail: said so
        "authoring.course_settings": ("/authoring/courses/fundamentals-of-anti-corruption-culture/settings", P_ADMIN),  # an empty form: kept as a draft
        "authoring.new_course": ("/authoring/courses/new", P_ADMIN),            # an empty form: the preview of nothing
        "authoring.new_quiz": ("/authoring/quizzes/new", P_ADMIN),              # an empty form: messages at the fields
        "auth.logout": ("/logout", post_expect("ok", "ok", "ok", "ok", "ok")),      # last: it signs out
    }


def kind_of(response) -> str:
    if response.status_code >= 500:
        return "error"
    if response.status_code == 302 and "/login" in response.location and "/logout" not in response.request.path:
        return "login"
    return {403: "forbidden", 404: "missing", 401: "login"}.get(response.status_code, "ok")


def test_every_post_route_has_a_policy(app, demo):
    declared = set(post_policy(demo, 0))
    routes = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    assert routes - declared == set(), "declare who may send these new forms"


@pytest.mark.parametrize("who", WHO)
def test_each_person_may_send_only_what_the_policy_says(app, demo, client, who):
    from app.coverage.events import issue_token

    issue_token("policy test", None)
    token_id = db.session.execute(select(ApiToken.id)).scalars().first()
    if who != "anonymous":
        assert client.post("/login", data={"email": ACCOUNTS[who], "password": "demo-password"}).status_code == 302
    mismatches = []
    for endpoint, (url, expected) in post_policy(demo, token_id).items():
        got = kind_of(client.post(url, data={}))
        if got != expected[who]:
            mismatches.append((endpoint, url, got, expected[who]))
    assert mismatches == []


# The demo's editor (roles editor and staff) is given the essay contest and nothing else.
EDITOR_OPENS = {("authoring.index", "/authoring/"): 200,
                ("authoring.edit_contest", "/authoring/contests/essay-2024-2025/edit"): 200}


def test_the_editor_role_reaches_only_the_items_given_to_it_and_what_every_staff_member_does(app, demo, client):
    """An editor is refused every page and form of the plan year, the people, the contests' jury and results, and every
    authoring page of an item not given to it — by the route, whatever the menus show. Outside authoring it gets what
    the curator and the juror both get (they are staff too), and is refused what only one of them may do."""
    from app.coverage.events import issue_token

    issue_token("policy test", None)
    token_id = db.session.execute(select(ApiToken.id)).scalars().first()
    assert client.post("/login", data={"email": "editor@sanaly.test", "password": "demo-password"}).status_code == 302
    mismatches = []
    for endpoint, cases in policy(demo).items():
        for url, expected in cases:
            if endpoint.startswith("authoring."):
                wanted = EDITOR_OPENS.get((endpoint, url), expected["admin"] if expected["admin"] != 200 else 403)
            else:
                wanted = expected["curator"] if expected["curator"] == expected["jury"] else 403
            if (status := client.get(url).status_code) != wanted:
                mismatches.append((endpoint, url, status, wanted))
    for endpoint, (url, expected) in post_policy(demo, token_id).items():
        if endpoint == "auth.logout":
            continue
        if endpoint.startswith("authoring."):
            wanted = "forbidden"                       # none of these forms is about the essay contest
        else:
            wanted = expected["curator"] if expected["curator"] == expected["jury"] else "forbidden"
        if (got := kind_of(client.post(url, data={}))) != wanted:
            mismatches.append((endpoint, url, got, wanted))
    assert mismatches == []
    assert client.post("/authoring/contests/essay-2024-2025/edit", data={}).status_code == 200   # its own: the form
