"""Participation rows: one person counts once per activity (and period), even under concurrency."""
from datetime import datetime

from sqlalchemy import func, select

from app.extensions import db
from app.plan.models import Participation
from app.plan.service import activity_by_code, current_plan, record_participation
from tests.conftest import run_together


def load(setup_cli):
    assert setup_cli("load-content").exit_code == 0
    return current_plan(datetime(2024, 10, 1).date())


def rows(activity_id=None):
    query = select(func.count()).select_from(Participation)
    if activity_id:
        query = query.where(Participation.activity_id == activity_id)
    return db.session.scalar(query)


def test_a_person_counts_once_per_activity(app, setup_cli, make_user):
    plan = load(setup_cli)
    course = activity_by_code(plan, "2.1")
    person = make_user()
    assert record_participation(person.id, course, source="course", source_ref="course:1") is True
    assert record_participation(person.id, course, source="import") is False
    db.session.commit()
    assert rows(course.id) == 1


def test_twice_a_year_activities_count_once_per_period(app, setup_cli, make_user):
    survey = activity_by_code(load(setup_cli), "2.5")
    person = make_user()
    assert record_participation(person.id, survey, source="survey", when=datetime(2024, 12, 20))
    assert not record_participation(person.id, survey, source="survey", when=datetime(2025, 1, 10))
    assert record_participation(person.id, survey, source="survey", when=datetime(2025, 5, 30))
    db.session.commit()
    periods = db.session.execute(select(Participation.period).order_by(Participation.period)).scalars().all()
    assert periods == [1, 2]


def test_simultaneous_records_write_one_row(app, setup_cli, make_user):
    hour = activity_by_code(load(setup_cli), "2.2")
    person_id, activity_id = make_user().id, hour.id

    def record(ready):
        activity = db.session.get(type(hour), activity_id)
        ready()
        return record_participation(person_id, activity, source="quiz")

    results = run_together(app, record, [()] * 8)
    assert results.count(True) == 1
    assert rows(activity_id) == 1
