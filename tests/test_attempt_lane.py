"""The integrity-hour deployment on one server: attempts in progress on workers of their own, behind a real nginx.

nginx (Debian's) routes an attempt's pages, saves, autosaves, summary and submission to the "attempts"
gunicorn and every other request to the "pages" gunicorn, whose workers run at nice 10 (bench/proxy.py,
AttemptLane; the README's "An integrity hour on a small server" gives the same routing). The journey checks
which pool served each step and that a student's attempt works across both.
"""
import json
import re
from pathlib import Path

import pytest

from bench.proxy import ATTEMPT_LANE, AttemptLane
from tests.proxied import CSRF, Browser, demo_behind_nginx


def niceness(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()[16])


@pytest.fixture
def lanes(app, setup_cli, database_url, tmp_path):
    with AttemptLane(demo_behind_nginx(app, setup_cli, database_url, tmp_path)) as running:
        yield running


def test_an_attempt_in_progress_has_its_own_workers_and_every_other_page_the_lower_priority_ones(lanes):
    def served(response) -> str:
        return lanes.host_of(response.getheader("X-Upstream"))

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    route = re.search(r"location ~ (\S+) \{ proxy_pass http://attempts; \}", readme)
    assert route and f"location ~ {route.group(1)} {{" in ATTEMPT_LANE, "the README's routing is the one tested"

    assert {niceness(pid) for pid in lanes.worker_pids("attempts")} == {0}
    assert {niceness(pid) for pid in lanes.worker_pids("pages")} == {10}

    student = Browser(lanes)
    form = student.open("GET", "/login")
    assert form.status == 200 and served(form) == "pages"
    signed_in = student.open("POST", "/login", form={"csrf_token": CSRF.search(form.text).group(1),
                                                     "email": "student1@sanaly.test", "password": "demo-password"})
    assert signed_in.status == 302 and served(signed_in) == "pages"

    quiz = student.open("GET", "/quizzes/integrity-hour/")
    started = student.open("POST", "/quizzes/integrity-hour/start", form={"csrf_token": CSRF.search(quiz.text).group(1)})
    assert started.status == 302 and served(started) == "pages"
    attempt = started.getheader("Location").split("?")[0]
    page = student.open("GET", attempt)
    assert page.status == 200 and served(page) == "attempts"
    name, value = re.search(r'type="radio" name="(a[a-z2-7]{16})" value="([^"]+)"', page.text).groups()
    token = CSRF.search(page.text).group(1)

    saved = student.open("POST", f"{attempt}/autosave?page=1", form={"csrf_token": token, name: value})
    assert saved.status == 200 and json.loads(saved.text)["saved"] is True and served(saved) == "attempts"
    moved = student.open("POST", f"{attempt}/save?page=1", form={"csrf_token": token, name: value, "go": "finish"})
    assert moved.status == 302 and served(moved) == "attempts"
    summary = student.open("GET", moved.getheader("Location"))
    assert summary.status == 200 and served(summary) == "attempts"
    again = student.open("GET", f"{attempt}?page=1")
    assert served(again) == "attempts" and re.search(rf'name="{name}" value="{value}"[^>]*checked', again.text)

    submitted = student.open("POST", f"{attempt}/submit", form={"csrf_token": token})
    assert submitted.status == 302 and "/result" in submitted.getheader("Location") and served(submitted) == "attempts"
    result = student.open("GET", submitted.getheader("Location"))
    assert result.status == 200 and served(result) == "pages"
    assert served(student.open("GET", "/quizzes/")) == "pages"
