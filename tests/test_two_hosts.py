"""Two app hosts behind a real nginx, sharing the database, Redis and the uploads folder.

Each host is a gunicorn process on its own port (standing for its own machine) with
TRUSTED_PROXIES=1; nginx (Debian's, started in the foreground with a configuration of the test's
own) spreads requests between them, and a request may name its host (`X-Pin-Host`), so each journey
below has its steps served by both: nothing may live in one host's memory.
"""
import json
import re

import pytest

from bench.proxy import TwoHosts
from tests.proxied import CSRF, Browser, demo_behind_nginx


@pytest.fixture
def site(app, setup_cli, database_url, tmp_path):
    with TwoHosts(demo_behind_nginx(app, setup_cli, database_url, tmp_path)) as running:
        yield running


def integrity_hour_figure(page: str) -> int:
    """Participants of activity 2.2 in the first group of the curator's dashboard (ЭЭ-24-1)."""
    panel = page[page.index("ЭЭ-24-1"):]
    return int(re.search(r"<title>2\.2 — (\d+) / \d+</title>", panel).group(1))


def test_the_main_journeys_work_with_their_steps_served_by_both_hosts(site):
    # Requests without a pin are spread over both hosts.
    anonymous = Browser(site)
    assert {site.host_of(anonymous.open("GET", "/login").getheader("X-Upstream")) for _ in range(4)} == {"a", "b"}

    # Sign-in: the form from host a, the password to host b, the next page from host a.
    student = Browser(site).sign_in("student1@sanaly.test")
    home = student.open("GET", "/", "a")
    assert home.status == 200 and 'action="/logout"' in home.text      # signed in on a too
    assert student.open("GET", "/quizzes/", "a").status == 200

    # The curator's dashboard, cached on host a.
    curator = Browser(site).sign_in("curator@sanaly.test", "b", "a")
    before = integrity_hour_figure(curator.open("GET", "/coverage/", "a").text)
    assert integrity_hour_figure(curator.open("GET", "/coverage/", "a").text) == before

    # An attempt started on a, saved on b and a, submitted on b, its result read on a.
    started = student.open("POST", "/quizzes/integrity-hour/start", "a",
                           {"csrf_token": student.token("/quizzes/integrity-hour/", "b")})
    assert started.status == 302
    attempt = started.getheader("Location")
    page = student.open("GET", attempt, "b").text
    # the first choice of the first single-choice question (questions come in a random order)
    name, value = re.search(r'type="radio" name="(a[a-z2-7]{16})" value="([^"]+)"', page).groups()
    token = CSRF.search(page).group(1)
    for host in ("b", "a"):
        saved = student.open("POST", attempt.split("?")[0] + "/autosave?page=1", host, {"csrf_token": token, name: value})
        assert saved.status == 200 and json.loads(saved.text)["saved"] is True
    again = student.open("GET", attempt, "a").text
    assert re.search(rf'name="{name}" value="{value}"[^>]*checked', again), "the answer saved on b shows on a"
    submitted = student.open("POST", attempt.split("?")[0] + "/submit", "b", {"csrf_token": token})
    assert submitted.status == 302 and "/result" in submitted.getheader("Location")
    assert student.open("GET", submitted.getheader("Location"), "a").status == 200

    # Sitting the integrity hour counted on b; the figure host a had cached is fresh on a at once.
    assert integrity_hour_figure(curator.open("GET", "/coverage/", "a").text) == before + 1

    # Rate limits counted across both hosts: five failures for one account, alternating, then refused on either.
    intruder = Browser(site)
    for host in ("a", "b", "a", "b", "a"):
        failed = intruder.open("POST", "/login", host, {"csrf_token": intruder.token("/login", host),
                                                        "email": "student12@sanaly.test", "password": "wrong guess"})
        assert failed.status == 200
    refused = intruder.open("POST", "/login", "b", {"csrf_token": intruder.token("/login", "b"),
                                                   "email": "student12@sanaly.test", "password": "wrong guess"})
    assert refused.status == 429

    # A brain-ring game hosted on a and played on b.
    ring = curator.open("GET", "/ring/", "a").text
    set_id = re.search(r'<option value="(\d+)">Brain ring', ring).group(1)
    opened = curator.open("POST", "/ring/new", "a", {"csrf_token": CSRF.search(ring).group(1), "set": set_id})
    assert opened.status == 302
    code = opened.getheader("Location").rstrip("/").split("/")[-2]
    player = Browser(site).sign_in("student2@sanaly.test", "b", "b")
    join = player.open("GET", f"/ring/{code}", "b").text
    player_token = CSRF.search(join).group(1)
    assert player.open("POST", f"/ring/{code}/join", "b", {"csrf_token": player_token}).status == 302
    assert "1 player has joined" in curator.open("GET", f"/ring/{code}/host", "a").text
    host_token = CSRF.search(curator.open("GET", f"/ring/{code}/host", "a").text).group(1)
    assert curator.open("POST", f"/ring/{code}/next", "a", {"csrf_token": host_token}).status == 302
    pad = player.open("GET", f"/ring/{code}/pad", "b")
    assert pad.status == 200
    question = re.search(r'name="question" value="(\d+)"', pad.text).group(1)
    answered = player.open("POST", f"/ring/{code}/answer", "b", {"csrf_token": player_token, "question": question,
                                                                  "option": "0"}, {"X-Requested-With": "fetch"})
    assert answered.status == 200 and json.loads(answered.text)["saved"] is True
    board = curator.open("GET", f"/ring/{code}/board", "a").text
    assert re.search(r"\b1\b", board)
