"""The anonymous survey: loading, one response per wave, anonymity against the schema, suppression, moderation."""
import base64
import json
import sqlite3
import subprocess
import tarfile
from datetime import date, datetime, time
from itertools import combinations
from pathlib import Path

import pytest
from sqlalchemy import event, func, inspect, select, text

from app.audit.models import AuditEvent
from app.core.content import ContentError
from app.extensions import db
from app.plan.models import Activity, Participation
from app.people.models import Faculty, User
from app.quizzes.models import Quiz
from app.surveys import service
from app.surveys.loader import load_surveys, read_survey
from app.surveys.models import RELEASED, WITHHELD, Survey, SurveyPending, SurveyResponse, SurveyText, SurveyWave
from tests.conftest import run_together

ROOT = Path(__file__).resolve().parent.parent
SLUG = "perception-survey-2024-2025"
DAY = date(2024, 12, 10)          # inside the winter wave


@pytest.fixture
def survey(app, runner, setup_cli):
    result = setup_cli("load-content")
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


def test_each_refused_answer_says_why_and_stores_nothing(survey, make_user, make_group):
    wave = winter(survey)

    def refusal(person, today=DAY) -> str:
        with pytest.raises(service.SurveyError) as refused:
            service.respond(person, wave, full_answers(survey), {}, today)
        return str(refused.value)

    assert refusal(make_user(roles=("curator",))) == "This survey is for students."
    student = make_user(group=make_group("R-1"))
    for day in (date(2024, 12, 1), date(2025, 1, 16)):          # the day before it opens, the day after it closes
        assert refusal(student, day) == "This survey is not taking answers now."
    assert service.respondents(wave) == 0 and service.waiting(wave) == 0
    service.respond(student, wave, full_answers(survey), {}, date(2025, 1, 15))      # its last day still counts
    assert refusal(student) == "You have already answered this survey. Thank you!"
    assert service.respondents(wave) == 1 and service.waiting(wave) == 1
    rows = db.session.execute(select(Participation.source, Participation.source_ref).join(Activity)
                              .where(Activity.code == "2.5")).all()
    assert rows == [("survey", f"survey:{wave.id}")]
    service.publish(wave, make_user(roles=("admin",)), datetime(2025, 1, 10))
    assert refusal(make_user(group=make_group("R-2"))) == "This survey is not taking answers now."   # published: closed
    assert service.respondents(wave) == 1


def test_an_answer_on_a_day_no_plan_covers_is_taken_and_counts_toward_no_activity(survey, make_user, make_group):
    db.session.execute(text("UPDATE plans SET starts_on = '2030-09-01', ends_on = '2031-08-31'"))
    db.session.commit()
    wave = winter(survey)
    service.respond(make_user(group=make_group("N-1")), wave, full_answers(survey), {}, DAY)
    assert service.respondents(wave) == 1 and service.waiting(wave) == 1
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 0


def test_publication_is_audited_once_with_the_wave_and_its_count(survey, make_user, make_group):
    wave = winter(survey)
    for i in range(3):
        service.respond(make_user(group=make_group(f"A-{i}")), wave, full_answers(survey), {}, DAY)
    admin = make_user(roles=("admin",))
    service.publish(wave, admin, datetime(2025, 1, 20, 9, 0))
    service.publish(wave, make_user(roles=("admin",)), datetime(2025, 1, 21, 9, 0))     # already published: nothing
    assert (wave.published_at, wave.published_by_id) == (datetime(2025, 1, 20, 9, 0), admin.id)
    events = db.session.execute(select(AuditEvent).where(AuditEvent.action.like("survey.%"))).scalars().all()
    assert [(e.action, e.actor_id, e.subject, e.occurred_at) for e in events] == [
        ("survey.publish", admin.id, f"survey-wave:{wave.id}", datetime(2025, 1, 20, 9, 0))]
    assert json.loads(events[0].payload) == {"survey": SLUG, "wave": "winter-2024-2025", "respondents": 3}
    assert service.waiting(wave) == 0
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 3     # the partial batch too


def test_publication_refreshes_the_results_read_before_it(survey, make_user, make_group):
    wave = winter(survey)
    for i in range(service.MIN_CELL):
        service.respond(make_user(group=make_group(f"C-{i}")), wave, full_answers(survey), {}, DAY)
    assert service.cached_results(wave).respondents == service.MIN_CELL      # the batch of five is written
    service.respond(make_user(group=make_group("C-late")), wave, full_answers(survey), {}, DAY)
    assert service.cached_results(wave).respondents == service.MIN_CELL      # the sixth waits sealed
    service.publish(wave, make_user(roles=("admin",)), datetime(2025, 1, 20))
    assert service.cached_results(wave).respondents == service.MIN_CELL + 1


def test_a_written_batch_refreshes_the_results_read_before_it(survey, make_user, make_group):
    wave = winter(survey)
    for i in range(service.BATCH - 1):
        service.respond(make_user(group=make_group(f"R-{i}")), wave, full_answers(survey), {}, DAY)
    assert service.cached_results(wave).respondents == 0                     # all four wait sealed
    service.respond(make_user(group=make_group("R-last")), wave, full_answers(survey), {}, DAY)
    assert service.cached_results(wave).respondents == service.BATCH         # the fifth completes the batch


def test_the_response_cannot_be_joined_to_a_person(survey, make_user, make_group):
    """Schema-level: no person, time or address column; random text ids; no row number; no sequence."""
    inspector = inspect(db.engine)
    expected = {"survey_responses": {"id", "wave_id", "faculty_id", "answers"},
                "survey_texts": {"id", "wave_id", "question_key", "body", "state"},
                "survey_pending": {"id", "wave_id", "sealed"}}
    for table, names in expected.items():
        columns = {c["name"]: c for c in inspector.get_columns(table)}
        assert set(columns) == names, table
        assert "CHAR" in str(columns["id"]["type"]).upper(), table
        assert "users" not in {fk["referred_table"] for fk in inspector.get_foreign_keys(table)}, table
    assert set(c["name"] for c in inspector.get_columns("survey_takers")) == {"wave_id", "user_id"}
    wave = winter(survey)
    for i in range(service.BATCH):
        service.respond(make_user(group=make_group(f"G-{i}")), wave, full_answers(survey, i),
                        {"make-more-transparent": f"idea {i}"}, DAY)
    for model in (SurveyResponse, SurveyText):
        ids = db.session.execute(select(model.id)).scalars().all()
        assert len(set(ids)) == service.BATCH and all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    if db.engine.dialect.name == "sqlite":
        for table in (*expected, "survey_takers"):
            with pytest.raises(Exception, match="rowid"):
                db.session.execute(text(f"SELECT rowid FROM {table}"))
            db.session.rollback()
    else:
        for table in (*expected, "survey_takers"):
            assert db.session.execute(text("SELECT count(*) FROM information_schema.columns WHERE table_name = :t "
                                           "AND column_default LIKE 'nextval%'"), {"t": table}).scalar() == 0


def test_nothing_stored_for_the_survey_holds_a_time_finer_than_the_day(survey, make_user, make_group):
    inspector = inspect(db.engine)
    for table in ("survey_responses", "survey_texts", "survey_pending", "survey_takers"):
        types = [str(c["type"]).upper() for c in inspector.get_columns(table)]
        assert not any("DATE" in t or "TIME" in t for t in types), table
    for i in range(3):
        service.respond(make_user(group=make_group(f"G-{i}")), winter(survey), full_answers(survey, i), {}, DAY)
    # The participation row that counts coverage is there, once per person, and says the day only.
    rows = db.session.execute(select(Participation).join(Activity).where(Activity.code == "2.5")).scalars().all()
    assert len(rows) == 3 and {r.source for r in rows} == {"survey"}
    midnight = datetime.combine(DAY, time.min)
    assert [(r.occurred_at, r.recorded_at) for r in rows] == [(midnight, midnight)] * 3
    assert not [a for a in db.session.execute(select(AuditEvent.action)).scalars() if a.startswith("survey")]


def test_answers_wait_sealed_until_a_batch_is_written_in_one_go(survey, make_user, make_group):
    wave = winter(survey)
    for i in range(service.BATCH - 1):
        service.respond(make_user(group=make_group(f"G-{i}")), wave, full_answers(survey, i),
                        {"make-more-transparent": f"sealed idea {i}"}, DAY)
    sealed = db.session.execute(select(SurveyPending.sealed)).scalars().all()
    assert len(sealed) == service.BATCH - 1 and not any("sealed idea" in s for s in sealed)
    ids = db.session.execute(select(SurveyPending.id)).scalars().all()      # random, like the responses' ids
    assert len(set(ids)) == service.BATCH - 1 and all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 0
    assert db.session.scalar(select(func.count()).select_from(SurveyText)) == 0
    assert service.respondents(wave) == service.BATCH - 1 and service.waiting(wave) == service.BATCH - 1
    service.respond(make_user(group=make_group("G-last")), wave, full_answers(survey), {}, DAY)
    assert service.waiting(wave) == 0
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == service.BATCH
    assert sorted(db.session.execute(select(SurveyText.body)).scalars()) == [f"sealed idea {i}"
                                                                             for i in range(service.BATCH - 1)]


def test_a_written_batch_leaves_no_sealed_answer_in_the_database_file(survey, make_user, make_group):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("reads SQLite's database file")

    def as_most_builds(connection, _record):      # secure_delete off, unlike a build compiled with SECURE_DELETE
        connection.execute("PRAGMA secure_delete=OFF")

    event.listen(db.engine, "connect", as_most_builds)
    db.session.remove()
    db.engine.dispose()
    survey = db.session.execute(select(Survey).where(Survey.slug == SLUG)).scalar_one()
    wave = winter(survey)
    sealed = set()
    for i in range(service.BATCH):
        service.respond(make_user(group=make_group(f"S-{i}")), wave, full_answers(survey, i),
                        {"make-more-transparent": f"sealed idea {i}"}, DAY)
        sealed |= set(db.session.execute(select(SurveyPending.sealed)).scalars())
    db.session.commit()
    assert service.waiting(wave) == 0 and len(sealed) == sum(range(1, service.BATCH))   # sealed anew at each answer
    checkpoint = sqlite3.connect(db.engine.url.database)
    assert checkpoint.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
    checkpoint.close()
    database, wal = sqlite_files()
    assert wal == b"" and [token for token in sealed if token.encode() in database] == []


@pytest.mark.parametrize("setting", [0, 1])
def test_writing_a_batch_leaves_the_connections_secure_delete_as_it_was(survey, make_user, make_group, setting):
    """A build that overwrites every delete keeps doing so after a batch; one that does not is not changed."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("an SQLite setting")
    wave = winter(survey)
    db.session.execute(text(f"PRAGMA secure_delete={setting}"))
    for i in range(service.BATCH):
        service.respond(make_user(group=make_group(f"D-{i}")), wave, full_answers(survey, i), {}, DAY)
    assert service.waiting(wave) == 0
    assert db.session.execute(text("PRAGMA secure_delete")).scalar() == setting


def test_an_answer_whose_faculty_was_removed_before_its_batch_counts_without_a_faculty(survey, make_user, make_group):
    wave = winter(survey)
    moved = make_user(group=make_group("LAW-1", faculty="Faculty of Law"))
    service.respond(moved, wave, full_answers(survey), {}, DAY)          # waits sealed, naming the faculty
    moved.group = make_group("ЭЭ-24-9")
    db.session.commit()
    db.session.execute(text("DELETE FROM groups WHERE code = 'LAW-1'"))
    db.session.execute(text("DELETE FROM faculties WHERE name = 'Faculty of Law'"))
    db.session.commit()
    for i in range(service.BATCH - 1):
        service.respond(make_user(group=make_group(f"F-{i}")), wave, full_answers(survey), {}, DAY)
    energy = db.session.execute(select(Faculty.id).where(Faculty.name == "Faculty of Energy")).scalar_one()
    faculties = db.session.execute(select(SurveyResponse.faculty_id)).scalars().all()
    assert sorted(faculties, key=str) == [energy] * (service.BATCH - 1) + [None]


def test_a_student_in_no_group_answers_and_counts_without_a_faculty(survey, make_user):
    wave = winter(survey)
    service.respond(make_user(), wave, full_answers(survey), {}, DAY)
    service.publish(wave, make_user(roles=("admin",)), datetime(2025, 1, 20))
    assert db.session.execute(select(SurveyResponse.faculty_id)).scalars().all() == [None]


def test_answers_sent_at_the_same_moment_are_each_written_once_and_in_full_batches(app, survey, make_user, make_group,
                                                                                   monkeypatch):
    count = 2 * service.BATCH + 2     # within the connection pool: every thread holds one at the barrier
    batches, write_responses = [], service._write_responses
    monkeypatch.setattr(service, "_write_responses", lambda wave_id, contents: (batches.append(len(contents)),
                                                                                write_responses(wave_id, contents)))
    ids = [make_user(group=make_group(f"C-{i}"), password=None).id for i in range(count)]
    wave_id = winter(survey).id

    def answer(ready, user_id, index):
        user, wave = db.session.get(User, user_id), db.session.get(SurveyWave, wave_id)
        ready()
        service.respond(user, wave, full_answers(survey), {"make-more-transparent": f"at once {index}"}, DAY)

    run_together(app, answer, [(user_id, i) for i, user_id in enumerate(ids)])
    wave = winter(survey)
    assert service.respondents(wave) == count
    written = db.session.scalar(select(func.count()).select_from(SurveyResponse))
    assert written + service.waiting(wave) == count and written == sum(batches)
    assert batches and min(batches) >= service.BATCH, "a batch smaller than BATCH narrows whose answers it holds"
    bodies = db.session.execute(select(SurveyText.body)).scalars().all()
    assert len(bodies) == len(set(bodies)) == written
    service.publish(wave, make_user(roles=("admin",)), datetime(2025, 1, 20))
    assert sorted(db.session.execute(select(SurveyText.body)).scalars()) == sorted(f"at once {i}" for i in range(count))


def test_a_changed_secret_key_drops_the_sealed_answers_instead_of_blocking_the_survey(app, survey, make_user, make_group,
                                                                                     caplog):
    wave = winter(survey)
    for i in range(2):
        service.respond(make_user(group=make_group(f"K-{i}")), wave, full_answers(survey), {}, DAY)
    app.config["SECRET_KEY"] = "a-rotated-secret-key"
    for i in range(service.BATCH):
        service.respond(make_user(group=make_group(f"N-{i}")), wave, full_answers(survey), {}, DAY)
    assert service.respondents(wave) == service.BATCH + 2
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == service.BATCH
    assert service.waiting(wave) == 0
    dropped = f"survey wave {wave.id}: a pending answer sealed under another SECRET_KEY was dropped"
    assert [(r.levelname, r.getMessage()) for r in caplog.records if r.name == service.logger.name] == [
        ("ERROR", dropped), ("ERROR", dropped)]


# Sealed with SECRET_KEY "the secret key of an earlier release": pending answers outlive an upgrade.
EARLIER_SEAL = ("SpbG8miQdTy5R5GWq4MdQPBOOcSX6eBSXbuD2sHevOYG50MJmoFEyEeDKkaVfMBjE8CqMWwH5QT2pHj0LEnLL3Ulc7nUr2OJEsUMwSnsnrrj"
                "zZUdS+H4aJD9I4aBKOco545Br+zFGy6nlUeXFA72YpfV9yKSqXojEiobIV6Z8W5IC2HCDIIYsb5qxUNt6FE8w4za4mJFkIgvsTMb8iu4f1NR"
                "C9TNaxRxdNxfYPsOxQnEtEaHfc+4po6i3XUUESTVny23z91q")


def test_an_answer_sealed_before_an_upgrade_still_opens_and_no_two_seals_are_alike(app):
    content = {"faculty": None, "answers": {"corruption-at-universities": 2},
               "texts": {"make-more-transparent": "Әділ емтихан"}}
    for secret in ("the secret key of an earlier release", b"the secret key of an earlier release"):
        app.config["SECRET_KEY"] = secret
        assert service._unseal(EARLIER_SEAL) == content
        sealed = [service._seal(content) for _ in range(2)]
        assert sealed[0] != sealed[1] and [service._unseal(s) for s in sealed] == [content, content]
        assert b"corruption-at-universities" not in base64.b64decode(sealed[0])


# --- the very linkages: try to order the responses by arrival, and fail ---------------------------

ARRIVALS = 60     # twelve batches: enough for a rank correlation of ~0 to be told from one of 1


def marker(tag: str, index: int) -> str:
    return f"{tag}-arrival-marker-{index:03d}."


def answer_in_turn(survey, make_user, make_group, tag: str, count: int = ARRIVALS) -> dict[int, int]:
    """Have `count` students, each of a faculty of their own, answer in turn; return arrival by faculty id."""
    wave, arrival = winter(survey), {}
    for index in range(count):
        student = make_user(group=make_group(f"{tag}-{index}", f"Faculty {tag} {index:03d}"), password=None)
        service.respond(student, wave, full_answers(survey, index), {"make-more-transparent": marker(tag, index)}, DAY)
        arrival[student.group.faculty_id] = index
    return arrival


def rank_correlation(order: list[int]) -> float:
    """Spearman's rho between where each answer was found (list position) and when it arrived (value)."""
    n = len(order)
    ranks = {arrival: rank for rank, arrival in enumerate(sorted(order))}
    return 1 - 6 * sum((position - ranks[a]) ** 2 for position, a in enumerate(order)) / (n * (n * n - 1))


def within_batches(order: list[int]) -> float:
    """The mean rank correlation inside each batch of arrivals: 1 if storage keeps the order within batches."""
    batches = {}
    for arrival in order:
        batches.setdefault(arrival // service.BATCH, []).append(arrival)
    return sum(rank_correlation(b) for b in batches.values()) / len(batches)


def order_in(data: bytes, tag: str, count: int = ARRIVALS) -> list[int]:
    """The arrivals in the order their free-text markers first appear in some stored bytes."""
    offsets = {index: data.find(marker(tag, index).encode()) for index in range(count)}
    assert -1 not in offsets.values(), "a marker is missing from the stored bytes"
    return sorted(offsets, key=offsets.get)


def layout_agreement(data: bytes, tag: str, count: int = ARRIVALS) -> float:
    """How far the byte order of markers in one page follows their arrival: +1 or -1 if it does (SQLite fills a
    page from its end, so a page written in arrival order reads backwards), ~0 if it tells nothing.

    Each marker is taken where it first appears in the bytes, live cell or leftover copy alike, as a
    reader of the file would."""
    page_size = int.from_bytes(data[16:18], "big") or 65536
    offsets = {index: data.find(marker(tag, index).encode()) for index in range(count)}
    assert -1 not in offsets.values(), "a marker is missing from the stored bytes"
    votes = [1 if offsets[i] < offsets[j] else -1 for i, j in combinations(range(count), 2)
             if offsets[i] // page_size == offsets[j] // page_size]
    assert len(votes) >= 40, "too few answers share a page to judge"
    return sum(votes) / len(votes)


def text_arrival(body: str) -> int:
    return int(body.rsplit("-", 1)[1].rstrip("."))


def row_orders(arrival: dict[int, int]) -> dict[str, list[int]]:
    """What a reader of the tables sees: rows without ORDER BY, and on PostgreSQL in physical (ctid) order."""
    orders = {"responses": [arrival[f] for f in db.session.execute(text("SELECT faculty_id FROM survey_responses"))
                            .scalars()],
              "texts": [text_arrival(b) for b in db.session.execute(text("SELECT body FROM survey_texts")).scalars()]}
    if db.engine.dialect.name == "postgresql":
        orders["responses by ctid"] = [arrival[f] for f in db.session.execute(
            text("SELECT faculty_id FROM survey_responses ORDER BY ctid")).scalars()]
        orders["texts by ctid"] = [text_arrival(b) for b in db.session.execute(
            text("SELECT body FROM survey_texts ORDER BY ctid")).scalars()]
    db.session.commit()
    return orders


def sqlite_files() -> tuple[bytes, bytes]:
    """The bytes of the SQLite database file and of its write-ahead log, as someone with the disk reads them."""
    path = Path(db.engine.url.database)
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes(), wal.read_bytes() if wal.exists() else b""


def wal_commits(wal: bytes) -> list[tuple[set[int], bytes]]:
    """Split the log's current frames into commits: (the pages written, their bytes)."""
    if len(wal) < 32:
        return []
    page_size, salts = int.from_bytes(wal[8:12], "big"), wal[16:24]
    commits, pages, content, offset = [], set(), [], 32
    while offset + 24 + page_size <= len(wal) and wal[offset + 8:offset + 16] == salts:
        pages.add(int.from_bytes(wal[offset:offset + 4], "big"))
        content.append(wal[offset + 24:offset + 24 + page_size])
        if int.from_bytes(wal[offset + 4:offset + 8], "big"):     # a commit frame carries the database's size
            commits.append((pages, b"".join(content)))
            pages, content = set(), []
        offset += 24 + page_size
    return commits


def test_rows_follow_arrival_no_finer_than_a_batch_and_not_at_all_after_publication(survey, make_user, make_group):
    arrival = answer_in_turn(survey, make_user, make_group, "rows")
    for name, order in row_orders(arrival).items():
        assert sorted(order) == list(range(ARRIVALS)), name
        assert abs(within_batches(order)) < 0.6, name
    service.publish(winter(survey), make_user(roles=("admin",)), datetime(2025, 1, 20))
    for name, order in row_orders(arrival).items():
        assert abs(rank_correlation(order)) < 0.5, name


def test_the_log_never_holds_an_answer_in_the_commit_that_records_its_taker(survey, make_user, make_group):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("reads SQLite's database and write-ahead log files")
    takers_page = db.session.scalar(text("SELECT rootpage FROM sqlite_master WHERE name = 'survey_takers'"))
    wave = winter(survey)
    for index in range(2 * service.BATCH):
        student = make_user(group=make_group(f"W-{index}"), password=None)
        service.respond(student, wave, full_answers(survey), {"make-more-transparent": marker("wal", index)}, DAY)
        database, wal = sqlite_files()
        readable = [i for i in range(index + 1) if marker("wal", i).encode() in database + wal]
        assert readable == list(range((index + 1) // service.BATCH * service.BATCH)), "only whole batches are readable"
        for pages, content in wal_commits(wal):
            if any(marker("wal", i).encode() in content for i in range(index + 1)):
                assert takers_page not in pages, "an answer was committed together with a taker"


def test_after_publication_the_database_file_keeps_no_order_of_arrival(survey, make_user, make_group):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("reads SQLite's database and write-ahead log files")
    answer_in_turn(survey, make_user, make_group, "file")
    service.publish(winter(survey), make_user(roles=("admin",)), datetime(2025, 1, 20))
    database, wal = sqlite_files()
    assert wal == b"", "the write-ahead log still holds the commits in their order"
    assert abs(layout_agreement(database, "file")) < 0.4


def test_a_reader_that_keeps_the_log_from_being_emptied_at_publication_is_reported(survey, make_user, make_group,
                                                                                   caplog):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write-ahead log")
    answer_in_turn(survey, make_user, make_group, "reader", service.BATCH)   # one batch in the log is enough to keep
    reader = sqlite3.connect(db.engine.url.database)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM survey_responses").fetchone()      # holds its snapshot of the database
    try:
        service.publish(winter(survey), make_user(roles=("admin",)), datetime(2025, 1, 20))
    finally:
        reader.close()
    assert [(r.levelname, r.getMessage()) for r in caplog.records if r.name == service.logger.name] == [
        ("WARNING", "survey publication: a reader kept the write-ahead log from being truncated")]


def test_a_backup_taken_before_publication_keeps_no_order_of_arrival(survey, runner, make_user, make_group, tmp_path):
    answer_in_turn(survey, make_user, make_group, "backup")
    result = runner.invoke(args=["backup", str(tmp_path / "backups")])
    assert result.exit_code == 0, result.output
    with tarfile.open(result.output.strip().splitlines()[-1]) as tar:
        tar.extract("database", tmp_path, filter="data")
    dump = tmp_path / "database"
    if db.engine.dialect.name == "sqlite":
        copy = sqlite3.connect(dump)
        assert copy.execute("PRAGMA freelist_count").fetchone() == (0,), "free pages keep deleted rows"
        copy.close()
        assert abs(layout_agreement(dump.read_bytes(), "backup")) < 0.4
    else:
        data = subprocess.run(["pg_restore", "--data-only", "--table=survey_texts", "--file=-", str(dump)],
                              capture_output=True, check=True).stdout
        assert abs(rank_correlation(order_in(data, "backup"))) < 0.5


def test_publication_rewrites_the_survey_tables_in_random_key_order_on_postgresql(survey, make_user, make_group):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("CLUSTER and physical row addresses (ctid) are PostgreSQL's")
    answer_in_turn(survey, make_user, make_group, "cluster", 4 * service.BATCH)

    def physical(table):
        ids = db.session.execute(text(f"SELECT id FROM {table} ORDER BY ctid")).scalars().all()
        db.session.commit()
        return ids

    assert physical("survey_responses") != sorted(physical("survey_responses"))
    service.publish(winter(survey), make_user(roles=("admin",)), datetime(2025, 1, 20))
    for table in ("survey_responses", "survey_texts"):
        ids = physical(table)
        assert len(ids) == 4 * service.BATCH and ids == sorted(ids), table


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
    service.publish(wave, make_user(roles=("admin",)), datetime(2025, 1, 20))     # writes the last, partial batch
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
    assert "<svg" in page and "project paper" in page and "Respondents" in page
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
    assert service.respondents(winter(survey)) == 1 and service.waiting(winter(survey)) == 1


def test_the_home_page_invites_a_student_until_they_have_answered(survey, client, auth, make_user, make_group):
    student = make_user("ann@uni.test", group=make_group())
    auth.login("ann@uni.test")
    assert "Answer the survey" in client.get("/").get_data(as_text=True)
    service.respond(student, winter(survey), full_answers(survey), {}, DAY)
    assert "Answer the survey" not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("language, mark", [("en", "(optional)"), ("ru", "(необязательно)"), ("kk", "(міндетті емес)")])
def test_an_optional_question_says_so_once(survey, client, auth, make_user, make_group, language, mark):
    student = make_user("ann@uni.test", group=make_group())
    student.language = language
    db.session.commit()
    auth.login("ann@uni.test")
    page = client.get(f"/surveys/{SLUG}/").get_data(as_text=True)
    optional = sum(not q["required"] for q in survey.questions)
    assert optional and page.count(mark) == optional
