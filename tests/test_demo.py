"""`flask --app wsgi demo`: a ready instance, safe to run twice."""
from sqlalchemy import func, select

from app.audit.service import verify_chain
from app.extensions import db
from app.people.models import Group, Headcount, User
from app.plan.models import Activity


def counts():
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (User, Group, Headcount, Activity))


def test_demo_runs_twice_and_signs_in(app, runner, client, auth):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "admin@sanaly.test" in first.output and "student12@sanaly.test" in first.output
    assert "http://127.0.0.1:5000/" in first.output
    after_first = counts()
    assert after_first == (17, 4, 8, 30)
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert counts() == after_first
    assert verify_chain().ok
    assert runner.invoke(args=["audit-verify"]).exit_code == 0

    from app.contests import service as contests
    from app.contests.models import Entry, JuryAssignment
    from app.people.models import utcnow
    moment = utcnow()
    phases = {slug: contests.phase(contests.contest_by_slug(slug), moment)
              for slug in ("tiktok-2024-2025", "essay-2024-2025", "poem-2024-2025")}
    assert phases == {"tiktok-2024-2025": "submissions", "essay-2024-2025": "judging", "poem-2024-2025": "published"}
    essay = contests.contest_by_slug("essay-2024-2025")
    assert db.session.scalar(select(func.count()).select_from(Entry).where(Entry.contest_id == essay.id)) == 6
    jurors = set(db.session.execute(select(JuryAssignment.juror_id).join(Entry).where(Entry.contest_id == essay.id)).scalars())
    assert len(jurors) == 3
    assert client.get("/contests/poem-2024-2025/results").status_code == 200

    from app.coverage.models import CheckIn, Event
    assert db.session.scalar(select(func.count()).select_from(Event)) == 4
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 16
    open_event = db.session.execute(select(Event).where(Event.title.like("Round table%"))).scalar_one()
    assert open_event.starts_at <= moment <= open_event.ends_at and open_event.code in second.output

    assert auth.login("admin@sanaly.test", "demo-password").status_code == 302
    page = client.get("/admin/plan/").get_data(as_text=True)
    assert page.count('href="/admin/plan/ktu-2024-2025/') == 30
    auth.logout()
    assert auth.login("student1@sanaly.test", "demo-password").status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "ЭЭ-24-1" in home and "Organizing a single hour devoted to issues of integrity" in home
    auth.logout()
    assert auth.login("curator@sanaly.test", "demo-password").status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "ЭЭ-24-1" in home and "ЭЭ-24-2" in home and "ГД-24-1" not in home
