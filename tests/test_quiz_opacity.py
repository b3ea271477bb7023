"""No quiz answer can be derived from what a student receives while an attempt is open (issue 17).

The tests read only what the student's browser gets — the HTML of the open attempt and the JSON its
autosave answers — build the "identity" guesses an attacker tries first (the i-th select takes the
i-th option or value, names and values in sorted order stand for the bank's order), and show over
many attempts that each guess scores no better than chance.
"""
import itertools
import json
import math
import re
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.quizzes import scoring, service
from app.quizzes.models import AttemptAnswer, QuizAttempt
from tests.quiz_fixtures import ALL_TYPES, RIGHT

ROOT = Path(__file__).resolve().parent.parent
TOKEN = re.compile(r"^a[a-z2-7]{16}$")
ATTEMPTS = 100
# Hoeffding: a mean of n scores in [0, 1] exceeds its expectation by t with probability at most
# exp(-2 n t²); with t below that is one in a million per check, so a failure is never bad luck.
SLACK = math.sqrt(math.log(1e6) / (2 * ATTEMPTS))


@pytest.fixture
def every_type(app, tmp_path, runner, setup_cli):
    """The every-type quiz on one page, with as many attempts as a test wants; loaded."""
    app.config["NOW_FUNCTION"] = lambda: datetime(2024, 9, 10, 10, 0)
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "ktu-2024-2025.toml").write_bytes((ROOT / "plans" / "ktu-2024-2025.toml").read_bytes())
    (tmp_path / "quizzes").mkdir()
    text = ALL_TYPES.replace("attempts = 2", "attempts = 0").replace("questions_per_page = 3", "questions_per_page = 7")
    (tmp_path / "quizzes" / "every-type.toml").write_text(text, encoding="utf-8")
    app.config["CONTENT_FOLDER"] = str(tmp_path)
    assert setup_cli("load-content").exit_code == 0
    return service.quiz_by_slug("every-type")


class AttemptPage(HTMLParser):
    """The questions of an attempt page as a browser sees them: per fieldset, its inputs in page order.

    Each question is {"id", "legend", "groups"}; a group is one input name: {"kind" (radio, checkbox,
    text, select), "name", "label" (a select's label), "values" and their "texts" (what the reader sees)}.
    """

    def __init__(self, html: str):
        super().__init__()
        self.questions: list[dict] = []
        self._text: list[str] | None = None     # the list whose last string collects the text being read
        self._labels: dict[str, str] = {}
        self._label_for = None
        self._inside = False
        self.feed(html)

    def _group(self, kind, name) -> dict:
        groups = self.questions[-1]["groups"]
        group = next((g for g in groups if g["name"] == name), None)
        if group is None:
            group = {"kind": kind, "name": name, "label": self._labels.get(name, ""), "values": [], "texts": []}
            groups.append(group)
        return group

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "fieldset" and "question" in (attrs.get("class") or ""):
            self.questions.append({"id": attrs.get("id"), "legend": "", "groups": []})
            self._inside = True
        elif not self._inside:
            return
        elif tag == "legend":
            self._text = [""]
        elif tag == "label":
            self._label_for, self._text = attrs.get("for"), [""]
        elif tag == "input":
            group = self._group(attrs.get("type"), attrs.get("name"))
            if group["kind"] in ("radio", "checkbox"):
                group["values"].append(attrs.get("value"))
                group["texts"].append("")
                self._text = group["texts"]      # the rest of the label names this value
        elif tag == "select":
            self._group("select", attrs.get("name"))
        elif tag == "option" and attrs.get("value"):
            group = self.questions[-1]["groups"][-1]
            group["values"].append(attrs["value"])
            group["texts"].append("")
            self._text = group["texts"]

    def handle_endtag(self, tag):
        if tag == "fieldset":
            self._inside = False
        if tag not in ("legend", "label", "option") or self._text is None:
            return
        self._text[-1] = self._text[-1].strip()
        if tag == "legend":
            self.questions[-1]["legend"] = self._text[-1]
        elif tag == "label" and self._label_for:
            self._labels[self._label_for] = self._text[-1]
        self._text, self._label_for = None, None

    def handle_data(self, data):
        if self._text is not None:
            self._text[-1] += data


def which_question(legend: str, attempt: QuizAttempt) -> dict:
    """Tell which bank question a fieldset shows, by its text (as a reader would)."""
    text = legend.split(". ", 1)[1].strip()
    return next(q for q in attempt.version.questions if q["text"] == text)


def answer_by_reading(page: AttemptPage, attempt: QuizAttempt, answers: dict) -> dict:
    """The form a student who knows the answers (in bank terms, as RIGHT) fills in by the texts on the page."""
    form = {}
    for shown in page.questions:
        question = which_question(shown["legend"], attempt)
        answer, groups, kind = answers[question["key"]], shown["groups"], question["type"]

        def value(group, text):
            return group["values"][group["texts"].index(text)]

        if kind == "single":
            form[groups[0]["name"]] = value(groups[0], question["options"][answer])
        elif kind == "multiple":
            form[groups[0]["name"]] = [value(groups[0], question["options"][i]) for i in answer]
        elif kind == "true_false":
            form[groups[0]["name"]] = value(groups[0], "True" if answer else "False")
        elif kind in ("numeric", "short_text"):
            form[groups[0]["name"]] = answer
        elif kind == "matching":
            lefts = [left for left, _right in question["pairs"]]
            for group in groups:
                form[group["name"]] = value(group, question["pairs"][answer[lefts.index(group["label"])]][1])
        else:
            for group in groups:
                form[group["name"]] = value(group, str(answer[question["items"].index(group["label"])]))
    return form


def identity_guess(groups, names_sorted: bool, values_sorted: bool) -> dict:
    """The naive guess: the k-th input (in page or name order) takes its k-th value (in page or sorted order).

    A lone radio group takes its first value; checkboxes tick their first half; text inputs get "0".
    """
    ordered = sorted(groups, key=lambda g: g["name"]) if names_sorted else list(groups)
    form = {}
    for k, group in enumerate(ordered):
        values = sorted(group["values"]) if values_sorted else group["values"]
        if group["kind"] == "checkbox":
            form[group["name"]] = values[:len(values) // 2]
        elif group["kind"] in ("radio", "select"):
            form[group["name"]] = values[k % len(values)]
        else:
            form[group["name"]] = "0"
    return form


GUESSES = [(names_sorted, values_sorted) for names_sorted in (False, True) for values_sorted in (False, True)]


def chance(question: dict, guess: dict) -> float:
    """The expected score of answers of the guess's shape picked at random: what a blind guess earns."""
    kind = question["type"]
    if kind in ("numeric", "short_text"):
        return 0.0
    if kind == "true_false":
        return 0.5
    if kind == "single":
        return 1 / len(question["options"])
    if kind == "multiple":
        ticked = len(next(iter(guess.values())))
        picks = list(itertools.combinations(range(len(question["options"])), ticked))
        return sum(scoring.score(question, list(p)) for p in picks) / len(picks)
    size, shift = len(guess), (1 if kind == "ordering" else 0)
    orders = list(itertools.permutations(range(size)))
    return sum(scoring.score(question, {str(i): order[i] + shift for i in range(size)}) for order in orders) / len(orders)


def saved_scores(attempt: QuizAttempt) -> dict[str, float]:
    """What the attempt's saved answers would earn, question by question (as grading scores them)."""
    rows = db.session.execute(select(AttemptAnswer.question_key, AttemptAnswer.response).where(
        AttemptAnswer.attempt_id == attempt.id)).all()
    return {key: scoring.score(attempt.version.question(key), json.loads(raw) if raw else None) for key, raw in rows}


def start(client) -> QuizAttempt:
    response = client.post("/quizzes/every-type/start")
    return db.session.get(QuizAttempt, int(response.location.rstrip("/").split("/")[-1]))


def test_identity_guesses_score_no_better_than_chance_on_every_question_type(every_type, client, make_user, auth):
    make_user("s@uni.test")
    auth.login("s@uni.test")
    totals: dict[tuple, float] = {}
    expected: dict[tuple, float] = {}
    leaks, seen = [], set()
    for _ in range(ATTEMPTS):
        attempt = start(client)
        html = client.get(f"/quizzes/attempts/{attempt.id}").get_data(as_text=True)
        page = AttemptPage(html)
        assert len(page.questions) == 7
        # Each guess is saved as the page's script saves it, then scored as grading scores it.
        for how in GUESSES:
            guesses = [(which_question(shown["legend"], attempt), identity_guess(shown["groups"], *how))
                       for shown in page.questions]
            reply = client.post(f"/quizzes/attempts/{attempt.id}/autosave?page=1",
                                data={name: value for _question, guess in guesses for name, value in guess.items()})
            assert reply.status_code == 200 and set(reply.get_json()) == {"saved", "problems", "remaining"}
            earned = saved_scores(attempt)
            for question, guess in guesses:
                totals[question["key"], how] = totals.get((question["key"], how), 0.0) + earned[question["key"]]
                expected[question["key"], how] = chance(question, guess)
        client.post(f"/quizzes/attempts/{attempt.id}/submit")
        assert db.session.get(QuizAttempt, attempt.id).score == pytest.approx(sum(earned.values()))
        # Nothing the page carries is a bank index, a key or an answer: only this attempt's own tokens.
        tokens = {shown["id"].removeprefix("question-") for shown in page.questions}
        tokens |= {token for shown in page.questions for g in shown["groups"] for token in [g["name"], *g["values"]]}
        leaks += [t for t in tokens if not TOKEN.match(t)] + sorted(tokens & seen)
        leaks += [q["key"] for q in attempt.version.questions if q["key"] in html]
        leaks += [answer for answer in ("2016", "1424") if answer in html]
        seen |= tokens
    for (key, how), total in sorted(totals.items()):
        mean = total / ATTEMPTS
        assert mean <= expected[key, how] + SLACK, f"{key} {how}: the guess scores {mean:.2f}, chance {expected[key, how]:.2f}"
    assert leaks == []


def test_the_audits_exploit_matching_value_i_and_ordering_place_i_plus_1_no_longer_scores(every_type, client, make_user, auth):
    # The audit: "the select for left item i has the correct option with value i; the select named
    # after item i is correct at place i+1". Read i from the name (or, failing that, the select's
    # place on the page) and post exactly that, as a student could without reading the questions.
    make_user("s@uni.test")
    auth.login("s@uni.test")
    earned = possible = 0.0
    for _ in range(30):
        attempt = start(client)
        page = AttemptPage(client.get(f"/quizzes/attempts/{attempt.id}").get_data(as_text=True))
        form = {}
        for shown in page.questions:
            kind = which_question(shown["legend"], attempt)["type"]
            if kind not in ("matching", "ordering"):
                continue
            for position, group in enumerate(shown["groups"]):
                name, values = group["name"], group["values"]
                found = re.search(r"-(\d+)$", name)
                i = int(found.group(1)) if found else position
                wanted = str(i if kind == "matching" else i + 1)
                form[name] = wanted if wanted in values else values[int(wanted) % len(values)]
        client.post(f"/quizzes/attempts/{attempt.id}/save?page=1", data={**form, "go": "1"})
        client.post(f"/quizzes/attempts/{attempt.id}/submit")
        for points, out_of in db.session.execute(select(AttemptAnswer.points, AttemptAnswer.points_possible).where(
                AttemptAnswer.attempt_id == attempt.id,
                AttemptAnswer.question_key.in_(("matching-articles", "ordering-report")))):
            earned, possible = earned + points, possible + out_of
    # Chance is 1/3 and the exploit used to earn every point; 0.8 is out of chance's reach (Hoeffding: < 1e-5).
    assert earned / possible < 0.8


def test_the_autosave_answer_names_no_question_of_the_bank(every_type, client, make_user, auth):
    make_user("s@uni.test")
    auth.login("s@uni.test")
    attempt = start(client)
    page = AttemptPage(client.get(f"/quizzes/attempts/{attempt.id}").get_data(as_text=True))
    numeric = next(q for q in page.questions if which_question(q["legend"], attempt)["type"] == "numeric")
    reply = client.post(f"/quizzes/attempts/{attempt.id}/autosave?page=1", data={numeric["groups"][0]["name"]: "twenty"})
    body = reply.get_data(as_text=True)
    assert reply.get_json()["problems"] == [numeric["id"].removeprefix("question-")]
    assert not any(q["key"] in body for q in attempt.version.questions)


def test_an_attempt_shows_the_same_order_and_names_on_every_reload_and_its_saved_answers(every_type, client, make_user, auth):
    make_user("s@uni.test")
    auth.login("s@uni.test")
    attempt = start(client)
    first = client.get(f"/quizzes/attempts/{attempt.id}").get_data(as_text=True)
    assert AttemptPage(first).questions == AttemptPage(client.get(f"/quizzes/attempts/{attempt.id}").get_data(as_text=True)).questions
    right = answer_by_reading(AttemptPage(first), attempt, RIGHT)
    client.post(f"/quizzes/attempts/{attempt.id}/save?page=1", data={**right, "go": "1"})
    again = client.get(f"/quizzes/attempts/{attempt.id}").get_data(as_text=True)
    assert AttemptPage(again).questions == AttemptPage(first).questions
    assert again.count(" checked>") == 1 + 2 + 1 and again.count(" selected>") == 3 + 3
    assert 'value="2016"' in again and 'value="1424"' in again
    client.post(f"/quizzes/attempts/{attempt.id}/submit")
    assert db.session.get(QuizAttempt, attempt.id).percent == 100


def test_a_page_opened_before_the_upgrade_does_not_overwrite_saved_answers(every_type, client, make_user, auth):
    # Before inputs were opaque they were named q-<key>[-<index>]; a page still open in a browser
    # when the upgrade lands posts those names. Reading them would blank every answer on the page.
    make_user("s@uni.test")
    auth.login("s@uni.test")
    attempt = start(client)
    right = answer_by_reading(AttemptPage(client.get(f"/quizzes/attempts/{attempt.id}").get_data(as_text=True)), attempt, RIGHT)
    client.post(f"/quizzes/attempts/{attempt.id}/save?page=1", data={**right, "go": "1"})
    legacy = {"q-single-bribe": "0", "q-tf-giver": "true", "q-matching-articles-0": "2", "go": "1"}
    saved = client.post(f"/quizzes/attempts/{attempt.id}/save?page=1", data=legacy, follow_redirects=True)
    assert "was not saved" in saved.get_data(as_text=True)
    background = client.post(f"/quizzes/attempts/{attempt.id}/autosave?page=1", data=legacy)
    assert background.status_code == 409 and background.get_json()["result"].endswith(f"/quizzes/attempts/{attempt.id}?page=1")
    client.post(f"/quizzes/attempts/{attempt.id}/submit")
    assert db.session.get(QuizAttempt, attempt.id).percent == 100


def test_matching_and_ordering_are_shuffled_uniformly_even_when_options_are_not(every_type):
    import random

    every_type.shuffle_options = False
    counts = {"matching-articles": {}, "ordering-report": {}, "single-bribe": {}}
    for seed in range(600):
        version = every_type.current
        for entry in service.draw_layout(version.questions, version.draw, every_type, random.Random(seed)):
            if entry["key"] in counts:
                order = tuple(entry["order"])
                counts[entry["key"]][order] = counts[entry["key"]].get(order, 0) + 1
    assert counts["single-bribe"] == {(0, 1, 2): 600}     # the author asked for file order
    for key in ("matching-articles", "ordering-report"):  # every order, about as often (100 each)
        assert len(counts[key]) == 6 and all(60 <= n <= 140 for n in counts[key].values()), counts[key]


def test_an_autosave_without_the_pages_csrf_token_is_refused_before_anything_is_saved(every_type, make_app, make_user):
    """The autosave builds no form of its own (the fastest path): CSRFProtect refuses a post without the
    page's token before the view runs, and one with it is saved."""
    from tests.conftest import PASSWORD, csrf_token_from

    make_user("s@uni.test")
    db.session.commit()
    guarded = make_app(WTF_CSRF_ENABLED=True, NOW_FUNCTION=lambda: datetime(2024, 9, 10, 10, 0))
    browser = guarded.test_client()
    token = csrf_token_from(browser.get("/login").get_data(as_text=True))
    assert browser.post("/login", data={"email": "s@uni.test", "password": PASSWORD, "csrf_token": token}).status_code == 302
    token = csrf_token_from(browser.get("/quizzes/every-type/").get_data(as_text=True))
    started = browser.post("/quizzes/every-type/start", data={"csrf_token": token})
    assert started.status_code == 302, started.get_data(as_text=True)[-300:]
    page_html = browser.get(started.location).get_data(as_text=True)
    page = AttemptPage(page_html)
    numeric = next(q for q in page.questions if q["groups"][0]["kind"] == "text")
    answer = {numeric["groups"][0]["name"]: "12"}
    url = started.location.split("?")[0] + "/autosave?page=1"
    attempt_id = int(started.location.split("?")[0].rstrip("/").split("/")[-1])

    def saved() -> int:
        db.session.expire_all()
        return db.session.scalar(select(db.func.count()).select_from(AttemptAnswer).where(
            AttemptAnswer.attempt_id == attempt_id, AttemptAnswer.response.is_not(None)))

    assert browser.post(url, data=answer).status_code == 400
    assert browser.post(url, data={**answer, "csrf_token": "forged"}).status_code == 400
    assert saved() == 0
    reply = browser.post(url, data={**answer, "csrf_token": csrf_token_from(page_html)})
    assert reply.status_code == 200 and reply.get_json()["saved"] is True
    assert saved() == 1
