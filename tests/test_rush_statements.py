"""The integrity-hour rush's requests run a fixed, small number of SQL statements.

A year's intake signs in, consents to the privacy notice, opens the quiz, starts, answers and submits
within minutes (`bench/rush.py`); each of those requests is paid thousands of times. A commit expires
every loaded row, so reading the signed-in person after one (for the log line, the interface language,
a redirect) reloads the whole row with its password hash and roles, and reading anything after it opens
a second transaction: these tests fail if that comes back, if the quiz page or the start read the
question bank (380 KB of JSON) instead of the copy each process keeps, or if grading goes back to
statements per question.
"""
import re

from sqlalchemy import event

from app.extensions import db
from app.people.models import User
from app.quizzes.models import QuizAttempt
from app.quizzes.service import pages

from tests.quiz_fixtures import form_for
from test_query_counts import Statements, build

INPUT = re.compile(r'name="(a[a-z2-7]{16})" value="([^"]*)"')


class Transactions(Statements):
    """The statements, and COMMIT where the application commits."""

    def __enter__(self):
        super().__enter__()
        event.listen(db.engine, "commit", self.committed)
        return self

    def committed(self, _connection):
        self.seen.append("COMMIT")

    def __exit__(self, *exc):
        event.remove(db.engine, "commit", self.committed)
        super().__exit__(*exc)


def counted(block):
    with Transactions(width=1500) as statements:
        response = block()
    return response, statements.seen


def reads_the_bank(statements):
    return [s for s in statements if "quiz_versions.questions" in s]


def reloads_the_person(statements):
    return [s for s in statements if "users.password_hash" in s]


ASYNC = "SET LOCAL synchronous_commit TO OFF"


def waits_for_the_disk(seen) -> bool:
    """Whether this request's commit waits for PostgreSQL's write-ahead log to reach the disk (db_helpers)."""
    return ASYNC not in seen


def work(seen):
    return [s for s in seen if s not in (ASYNC, "COMMIT")]


def nothing_after_the_commit(seen) -> bool:
    return seen.count("COMMIT") == 1 and seen[-1] == "COMMIT"


def test_each_step_of_the_rush_runs_few_statements_and_never_reloads_the_person(app, runner, setup_cli):
    build(setup_cli, runner, 10)
    client = app.test_client()
    postgresql = db.engine.dialect.name == "postgresql"

    flushed = []

    def flushing(_mapper, _connection, person):
        flushed.append(person.id)
    event.listen(User, "before_update", flushing)
    try:
        response, seen = counted(lambda: client.post("/login", data={
            "email": "student3@scale.test", "password": "scale-password"}))
    finally:
        event.remove(User, "before_update", flushing)
    assert response.status_code == 302 and response.location == "/"
    assert flushed == []   # the time of the sign-in is one UPDATE, not a flush of the loaded person
    assert waits_for_the_disk(seen) is not postgresql   # the time of a sign-in is not worth the wait
    assert nothing_after_the_commit(seen)
    seen = work(seen)
    assert len(seen) <= 2, seen   # the person (no roles: signing in needs none), the time of this sign-in
    assert len(reloads_the_person(seen)) == 1, seen   # only the lookup by e-mail

    notice = client.get("/quizzes/integrity-hour/")
    assert notice.status_code == 302 and "/privacy/consent" in notice.location
    assert "consent" in client.get(notice.location).get_data(as_text=True).lower()
    response, seen = counted(lambda: client.post("/privacy/consent", data={"next": "/quizzes/integrity-hour/"}))
    assert response.status_code == 302 and response.location == "/quizzes/integrity-hour/"
    assert waits_for_the_disk(seen)         # a consent is kept as surely as the database can
    assert nothing_after_the_commit(seen)
    seen = work(seen)
    assert len(seen) <= 2 and not reloads_the_person(seen), seen   # the person with the version owed, the INSERT

    response, seen = counted(lambda: client.get("/quizzes/integrity-hour/"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'action="/quizzes/integrity-hour/start"' in page
    assert len(seen) <= 6 and sum("FROM quiz_attempts" in s for s in seen) == 1, seen   # all the person's attempts, once
    assert not reads_the_bank(seen), seen   # the number of questions comes from the version's draw rules
    assert sum("FROM plans" in s for s in seen) == 1, seen   # the activity's year from the plan it was found with
    assert not any("FROM activity_periods" in s for s in seen), seen   # a quiz's page needs no period

    response, seen = counted(lambda: client.post("/quizzes/integrity-hour/start"))
    assert response.status_code == 302 and "/quizzes/attempts/" in response.location
    assert waits_for_the_disk(seen)
    assert nothing_after_the_commit(seen), seen   # the new attempt is not read back
    seen = work(seen)
    assert len(seen) <= 7 and not reloads_the_person(seen), seen
    assert len(reads_the_bank(seen)) <= 1, seen   # once per process (see the second student below)
    attempt = response.location

    page = client.get(f"{attempt}?page=1").get_data(as_text=True)
    answers = {name: value or "0" for name, value in reversed(INPUT.findall(page))}
    assert answers
    response, seen = counted(lambda: client.post(f"{attempt}/autosave?page=1", data=answers))
    assert response.status_code == 200 and response.get_json()["saved"] is True
    assert waits_for_the_disk(seen) is not postgresql   # the page holds what a crash could lose
    assert nothing_after_the_commit(seen)
    assert len(work(seen)) <= 3, seen

    response, seen = counted(lambda: client.post(f"{attempt}/submit"))
    assert response.status_code == 302 and "/result" in response.location
    grading = [s for s in seen if "attempt_answers" in s and not s.startswith("SELECT")]
    assert len(grading) == 1, grading   # every drawn question's points in one statement
    assert waits_for_the_disk(seen)         # a submission is kept as surely as the database can
    assert nothing_after_the_commit(seen), seen   # not the attempt again for the log line or the redirect
    seen = work(seen)
    by_id = [s for s in seen if s.startswith("SELECT") and "WHERE quiz_attempts.id = " in s]
    assert len(by_id) == 1, by_id   # the attempt is read once, with its quiz: never again after the UPDATE
    facts = [s for s in seen if s.startswith("SELECT") and "FROM game_facts" in s]
    assert len(facts) <= 1, facts   # the badges' facts at most once (none when the attempt earns no XP)
    assert len(seen) <= 19 and not reloads_the_person(seen), seen   # grading, coverage, XP, badges (+2 for one earned)
    result = client.get(response.location).get_data(as_text=True)
    assert "%" in result

    # The next student's start draws from the question bank this process already holds.
    other = app.test_client()
    assert other.post("/login", data={"email": "student4@scale.test", "password": "scale-password"}).status_code == 302
    assert other.post("/privacy/consent", data={"next": "/"}).status_code == 302
    response, seen = counted(lambda: other.post("/quizzes/integrity-hour/start"))
    assert response.status_code == 302 and "/quizzes/attempts/" in response.location
    assert not reads_the_bank(seen) and len(work(seen)) <= 6, seen


def right_answer(question: dict):
    """The answer that earns a question's every point (in the terms of quiz_fixtures.form_for)."""
    kind = question["type"]
    if kind == "short_text":
        return question["accepted"][0]
    if kind == "matching":
        return {index: index for index in range(len(question["pairs"]))}
    if kind == "ordering":
        return {index: index + 1 for index in range(len(question["items"]))}
    return str(question["answer"]) if kind == "numeric" else question["answer"]


def test_a_submit_reads_each_fact_once_and_its_groups_coverage_in_two_statements(app, runner, setup_cli):
    """A submit at full marks, which earns the most (XP, two badges, perhaps a course), reads no plan on its own:
    the attempt's activity comes with its plan and periods, the badges held with the person's facts, and the
    group-target badge reads only the person's own activities (the current plan found in the same statement)
    and the group's participants with its headcount (in one more)."""
    build(setup_cli, runner, 10)
    client = app.test_client()
    assert client.post("/login", data={"email": "student3@scale.test", "password": "scale-password"}).status_code == 302
    assert client.post("/privacy/consent", data={"next": "/"}).status_code == 302
    attempt = client.post("/quizzes/integrity-hour/start").location
    drawn = db.session.get(QuizAttempt, int(attempt.rsplit("/", 1)[1]))
    right = form_for(drawn, {entry["key"]: right_answer(drawn.version.question(entry["key"])) for entry in drawn.layout})
    for number in range(1, len(pages(drawn)) + 1):
        assert client.post(f"{attempt}/autosave?page={number}", data=right).status_code == 200

    response, seen = counted(lambda: client.post(f"{attempt}/submit"))
    assert response.status_code == 302 and "/result" in response.location
    seen = work(seen)
    assert any(s.startswith("INSERT INTO xp_events") for s in seen), seen   # it earned XP: the badges were weighed
    assert sum(s.startswith("INSERT INTO user_badges") for s in seen) == 2, seen   # full marks, the group's target
    assert len(seen) == 23, seen   # grading, participation, XP, the facts, two badges, the course it may complete
    reads = [s for s in seen if s.startswith("SELECT")]
    activities = [s for s in reads if "FROM activities" in s]
    assert len(activities) == 2, activities   # the attempt's; the person's own for the group target
    assert all("activity_periods" in s and "plans" in s for s in activities), activities   # each with periods, plan
    on_their_own = [s for s in reads if s.startswith(("SELECT plans.", "SELECT activity_periods.", "SELECT headcounts."))]
    assert not on_their_own, on_their_own
    assert sum("FROM user_badges" in s or "FROM game_facts" in s for s in reads) == 1, reads   # held and facts at once
