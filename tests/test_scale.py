"""seed-scale builds a realistic instance in bulk, deterministically, that every main page can show."""
from sqlalchemy import func, select

from app.extensions import db
from app.people.models import User
from app.plan.models import Participation
from app.quizzes.models import AttemptAnswer, QuizAttempt


def test_seed_scale_builds_a_consistent_instance(app, runner, client):
    result = runner.invoke(args=["seed-scale", "--students", "300", "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert "students: 300" in result.output
    students = db.session.scalar(select(func.count()).select_from(User).where(User.email.like("student%@scale.test")))
    assert students == 300
    attempts = db.session.scalar(select(func.count()).select_from(QuizAttempt))
    assert attempts == 180 and db.session.scalar(select(func.count()).select_from(AttemptAnswer)) == 180 * 15
    first = sorted(db.session.execute(select(Participation.user_id, Participation.activity_id)).all())
    again = runner.invoke(args=["seed-scale", "--students", "300", "--seed", "7"])
    assert again.exit_code == 1 and "already holds a scale instance" in again.output
    assert client.post("/login", data={"email": "staff1@scale.test", "password": "scale-password"}).status_code == 302
    assert first                                       # participation spread over the year exists


def test_the_same_seed_gives_the_same_instance(make_app, app, runner):
    assert runner.invoke(args=["seed-scale", "--students", "120", "--seed", "3"]).exit_code == 0
    first = sorted(db.session.execute(select(Participation.user_id, Participation.activity_id, Participation.occurred_at)).all())
    from tests.conftest import _empty_tables
    _empty_tables()
    assert runner.invoke(args=["seed-scale", "--students", "120", "--seed", "3"]).exit_code == 0
    second = sorted(db.session.execute(select(Participation.user_id, Participation.activity_id, Participation.occurred_at)).all())
    assert first, "seed-scale recorded no participation"
    assert len(first) == len(second) and [r[1:] for r in first] == [r[1:] for r in second]


def test_seed_scale_on_the_demo_changes_nothing_and_says_why_in_one_sentence(app, runner, setup_cli):
    assert setup_cli("demo").exit_code == 0
    before = db.session.scalar(select(func.count()).select_from(User))
    result = runner.invoke(args=["seed-scale", "--students", "60"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert errors == ["error: this database already holds 18 people (the demo's or real ones); seed-scale builds "
                      "a measuring instance only in an empty database (set DATABASE_URL to a new one)"]
    assert "Traceback" not in result.output and "IntegrityError" not in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == before
