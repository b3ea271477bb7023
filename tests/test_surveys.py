"""The anonymous survey: loading, one response per wave, anonymity against the schema, suppression, moderation."""
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text

from app.audit.models import AuditEvent
from app.core.content import ContentError
from app.extensions import db
from app.plan.models import Activity, Participation
from app.quizzes.models import Quiz
from app.surveys import service
from app.surveys.loader import load_surveys, read_survey
from app.surveys.models import RELEASED, WITHHELD, Survey, SurveyResponse, SurveyText, SurveyWave

ROOT = Path(__file__).resolve().parent.parent
SLUG = "perception-survey-2024-2025"
DAY = date(2024, 12, 10)          # inside the winter wave


@pytest.fixture
def survey(app, runner):
    result = runner.invoke(args=["load-content"])
    assert result.exit_code == 0, result.output
    app.config["NOW_FUNCTION"] = lambda: datetime(2024, 12, 10, 10, 0)
    return db.session.execute(select(Survey).where(Survey.slug == SLUG)).scalar_one()


def winter(survey) -> SurveyWave:
    return next(w for w in survey.waves if w.key == "winter-2024-2025")


def full_answers(survey, choice=0) -> dict:
    answers = {}
    for q in survey.questions:
        if q["type"] == "single":
            answers[q["key"]] = min(choice, len(q["options"]) - 1)
        elif q["type"] == "multiple":
            answers[q["key"]] = [choice % len(q["options"])]
        elif q["type"] == "scale":
            answers[q["key"]] = 1 + choice % q["points"]
    return answers


def test_the_shipped_survey_loads_beside_the_quizzes_and_not_as_a_quiz(survey):
    assert [w.key for w in survey.waves] == ["winter-2024-2025", "spring-2025"]
    assert survey.activity_code == "2.5" and len(survey.questions) >= 8
    seeded = {q["key"]: q["seed"] for q in survey.questions if "seed" in q}
    assert seeded["corruption-at-universities"]["percent"][0] == 55
    assert seeded["administration-response"]["percent"][0] == 46.7
    assert db.session.execute(select(Quiz).where(Quiz.slug == SLUG)).scalar_one_or_none() is None
    assert db.session.execute(select(Quiz).where(Quiz.slug == "integrity-hour")).scalar_one()


def test_a_broken_survey_file_names_the_key(tmp_path):
    text_ = (ROOT / "quizzes" / f"{SLUG}.toml").read_text(encoding="utf-8")
    broken = tmp_path / "broken-survey.toml"
    broken.write_text(text_.replace("percent = [55, false, false]", "percent = [55, false]"), encoding="utf-8")
    with pytest.raises(ContentError) as error:
        read_survey(broken)
    assert "corruption-at-universities" in str(error.value) and "seed.percent" in str(error.value)


def test_one_response_per_person_per_wave(survey, make_user, make_group):
    student = make_user(group=make_group())
    wave = winter(survey)
    service.respond(student, wave, full_answers(survey), {}, DAY)
    with pytest.raises(service.SurveyError):
        service.respond(student, wave, full_answers(survey, 1), {}, DAY)
    assert service.respondents(wave) == 1


def test_a_second_try_through_the_page_is_refused(survey, client, auth, make_user, make_group):
    make_user("ann@uni.test", group=make_group())
    auth.login("ann@uni.test")
    assert client.get(f"/surveys/{SLUG}/").status_code == 200
    form = {f"q-{k}": v for k, v in full_answers(survey).items()}
    form["q-forms-met"] = "0"
    assert client.post(f"/surveys/{SLUG}/", data=form).status_code == 302
    again = client.post(f"/surveys/{SLUG}/", data=form, follow_redirects=True).get_data(as_text=True)
    assert "You have answered" in again
    assert service.respondents(winter(survey)) == 1


def test_a_missing_answer_saves_nothing_and_keeps_what_was_typed(survey, client, auth, make_user, make_group):
    make_user("ann@uni.test", group=make_group())
    auth.login("ann@uni.test")
    page = client.post(f"/surveys/{SLUG}/", data={"q-corruption-at-universities": "0",
                                                  "q-make-more-transparent": "Open lists"}).get_data(as_text=True)
    assert "Please answer this question." in page and "Open lists" in page and 'value="0" checked' in page
    assert service.respondents(winter(survey)) == 0


def test_only_students_answer(survey, make_user):
    curator = make_user(roles=("curator",))
    with pytest.raises(service.SurveyError):
        service.respond(curator, winter(survey), full_answers(survey), {}, DAY)


def test_the_response_cannot_be_joined_to_a_person(survey, make_user, make_group):
    """Schema-level: no person, time or address column; random ids; no row order; no sequence."""
    inspector = inspect(db.engine)
    columns = {c["name"]: c for c in inspector.get_columns("survey_responses")}
    assert set(columns) == {"id", "wave_id", "faculty_id", "answers"}
    assert set(c["name"] for c in inspector.get_columns("survey_texts")) == {"id", "wave_id", "question_key", "body", "state"}
    assert set(c["name"] for c in inspector.get_columns("survey_takers")) == {"wave_id", "user_id"}
    for table in ("survey_responses", "survey_texts"):
        assert "users" not in {fk["referred_table"] for fk in inspector.get_foreign_keys(table)}
        assert "CHAR" in str(columns["id"]["type"]).upper() or table == "survey_texts"
    students = [make_user(group=make_group(f"G-{i}")) for i in range(3)]
    wave = winter(survey)
    for i, student in enumerate(students):
        service.respond(student, wave, full_answers(survey, i), {"make-more-transparent": f"idea {i}"}, DAY)
    ids = db.session.execute(select(SurveyResponse.id)).scalars().all()
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids) and len(set(ids)) == 3
    if db.engine.dialect.name == "sqlite":
        for table in ("survey_responses", "survey_texts", "survey_takers"):
            with pytest.raises(Exception, match="rowid"):
                db.session.execute(text(f"SELECT rowid FROM {table}"))
            db.session.rollback()
    else:
        for table in ("survey_responses", "survey_texts", "survey_takers"):
            assert db.session.execute(text("SELECT count(*) FROM information_schema.columns WHERE table_name = :t "
                                           "AND column_default LIKE 'nextval%'"), {"t": table}).scalar() == 0
    # The participation row that counts coverage is there, once per person, and holds nothing of the answers.
    rows = db.session.execute(select(Participation).join(Activity).where(Activity.code == "2.5")).scalars().all()
    assert len(rows) == 3 and {r.source for r in rows} == {"survey"}
    assert all(r.occurred_at.time() == datetime.min.time() for r in rows)


def results_page(client, wave):
    return client.get(f"/surveys/{SLUG}/results/{wave.key}").get_data(as_text=True)


def test_nothing_is_shown_below_five_respondents_and_small_faculties_are_hidden(survey, make_user, make_group, make_faculty):
    wave = winter(survey)
    big = [make_user(group=make_group(f"B-{i}", "Faculty of Energy")) for i in range(5)]
    small = [make_user(group=make_group(f"S-{i}", "Faculty of Mining")) for i in range(2)]
    for student in big[:3] + small[:1]:
        service.respond(student, wave, full_answers(survey), {}, DAY)
    assert service.wave_results(wave).suppressed       # 4 respondents
    for student in big[3:] + small[1:]:
        service.respond(student, wave, full_answers(survey), {}, DAY)
    results = service.wave_results(wave)
    assert not results.suppressed and results.respondents == 7 and results.hidden_faculties == 1
    question = next(q for q in results.questions if q.question["key"] == "corruption-at-universities")
    assert question.percents[0] == 100.0
    assert [name for name, _n, _p in question.by_faculty] == ["Faculty of Energy"]


def test_free_text_stays_hidden_until_a_moderator_releases_it(survey, client, auth, make_user, make_group):
    wave = winter(survey)
    for i in range(5):
        service.respond(make_user(group=make_group(f"T-{i}")), wave, full_answers(survey),
                        {"make-more-transparent": f"Suggestion number {i}"}, DAY)
    admin = make_user("acs@uni.test", roles=("admin",))
    service.publish(wave, admin, datetime(2025, 1, 20))
    assert "Suggestion number" not in results_page(client, wave)
    texts = db.session.execute(select(SurveyText).order_by(SurveyText.body)).scalars().all()
    service.moderate(wave, [texts[0].id, texts[1].id], RELEASED, admin, datetime(2025, 1, 21))
    service.moderate(wave, [texts[2].id], WITHHELD, admin, datetime(2025, 1, 21))
    page = results_page(client, wave)
    assert "Suggestion number 0" in page and "Suggestion number 1" in page and "Suggestion number 2" not in page
    actions = db.session.execute(select(AuditEvent.action)).scalars().all()
    assert actions.count("survey.moderate") == 2 and "survey.publish" in actions


def test_publishing_shows_charts_closes_the_wave_and_compares_with_the_seed(survey, client, auth, make_user, make_group):
    wave = winter(survey)
    for i in range(6):
        service.respond(make_user(group=make_group(f"P-{i}")), wave, full_answers(survey, i % 2), {}, DAY)
    assert client.get(f"/surveys/{SLUG}/results/{wave.key}").status_code == 404     # not yet public
    make_user("acs@uni.test", roles=("admin",))
    auth.login("acs@uni.test")
    assert "Publish the results" in client.get(f"/surveys/{SLUG}/results/{wave.key}").get_data(as_text=True)
    client.post(f"/admin/surveys/{SLUG}/{wave.key}/publish", data={"confirmed": "yes"})
    auth.logout()
    page = results_page(client, wave)
    assert "<svg" in page and "2017 survey" in page and "Respondents" in page
    late = make_user(group=make_group("LATE-1"))
    with pytest.raises(service.SurveyError):
        service.respond(late, wave, full_answers(survey), {}, DAY)


def test_options_cannot_change_once_a_wave_has_answers(survey, make_user, make_group, tmp_path):
    service.respond(make_user(group=make_group()), winter(survey), full_answers(survey), {}, DAY)
    folder = tmp_path / "quizzes"
    folder.mkdir()
    source = (ROOT / "quizzes" / f"{SLUG}.toml").read_text(encoding="utf-8")
    (folder / f"{SLUG}.toml").write_text(source.replace('options = ["Yes", "Only roughly", "No"]',
                                                        'options = ["Yes", "No"]'), encoding="utf-8")
    _lines, problems = load_surveys(folder)
    assert problems and "already has answers" in str(problems[0])
    assert len(db.session.get(Survey, survey.id).question("know-channels")["options"]) == 3


def test_admin_sees_counts_only(survey, client, auth, make_user, make_group):
    service.respond(make_user("ann@uni.test", group=make_group(), name="Ann Unique"), winter(survey),
                    full_answers(survey), {}, DAY)
    make_user("acs@uni.test", roles=("admin",))
    auth.login("acs@uni.test")
    page = client.get("/admin/surveys/").get_data(as_text=True)
    assert "Ann Unique" not in page and "ann@uni.test" not in page
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 1


def test_the_home_page_invites_a_student_until_they_have_answered(survey, client, auth, make_user, make_group):
    student = make_user("ann@uni.test", group=make_group())
    auth.login("ann@uni.test")
    assert "Answer the survey" in client.get("/").get_data(as_text=True)
    service.respond(student, winter(survey), full_answers(survey), {}, DAY)
    assert "Answer the survey" not in client.get("/").get_data(as_text=True)
