"""A brain ring in the hall: 150 phones in one game on gunicorn (2 sync workers), polling once a second.

    python bench/ring.py [--phones 150] [--questions 5] [--size 2000]

Builds an instance with `seed-scale` (SQLite in a temporary folder, or DATABASE_URL, wiped),
opens a game as the demo curator, lets every phone sign in, join (a POST) and poll its pad about once a
second as the page's script does, and answer each question after 1–8 s; the host opens each
question, shows the answer when the time is up, and closes the game. Prints the latency of pad
polls, answers and host steps, the errors, and the workers' peak memory.
"""
import argparse
import asyncio
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import FLASK, ROOT, free_port, peak_rss_mb, start_gunicorn, workers_of  # noqa: E402
from rush import CSRF, Student, run_students, through_the_notice  # noqa: E402

TOKEN = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"')


async def sign_in(port, email, password, record) -> tuple[Student, str]:
    person = Student(port, record)
    page = await person.request("sign-in", "GET", "/login")
    await person.request("sign-in", "POST", "/login", urlencode(
        {"csrf_token": CSRF.search(page.body).group(1), "email": email, "password": password}), expect=(302,))
    return person, ""


async def phone(port, number, code, record, state, rng, think=(1, 8)):
    person, _ = await sign_in(port, f"student{number}@scale.test", "scale-password", record)
    page = await through_the_notice(person, f"/ring/{code}", "join", "join")      # the join page: a GET never joins
    token = TOKEN.search(page.body).group(1).decode()
    await person.request("join", "POST", f"/ring/{code}/join", urlencode({"csrf_token": token}), expect=(302,))
    since, answered = "", set()
    while not state["closed"]:
        started = time.perf_counter()
        pad = await person.request("pad poll", "GET", f"/ring/{code}/pad?since={since}", expect=(200, 204))
        if pad.status == 200:
            found = re.search(rb'data-since="([^"]*)"', pad.body)
            since = found.group(1).decode() if found else since
            question = re.search(rb'name="question" value="(\d+)"', pad.body)
            if question and int(question.group(1)) not in answered:
                index = int(question.group(1))
                answered.add(index)
                await asyncio.sleep(rng.uniform(*think))
                await person.request("answer", "POST", f"/ring/{code}/answer", urlencode(
                    {"csrf_token": token, "question": index, "option": rng.randrange(4)}), expect=(200, 302, 409))
        await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - started)))


async def game(port, phones, questions, record, *, join=15, question=21, after=5, think=(1, 8)):
    """The host opens a game, the hall joins for `join` seconds, then each question runs `question` seconds
    (phones answer after `think` seconds, uniformly between the two) and the answer shows for `after`."""
    host, _ = await sign_in(port, "curator@sanaly.test", "demo-password", record)
    page = await host.request("host step", "GET", "/ring/")
    token = TOKEN.search(page.body).group(1).decode()
    set_id = re.search(rb'<option value="(\d+)">Brain ring', page.body).group(1).decode()
    opened = await host.request("host step", "POST", "/ring/new", urlencode({"csrf_token": token, "set": set_id}),
                                expect=(302,))
    code = opened.headers["location"].rstrip("/").split("/")[-2]
    state = {"closed": False}
    tasks = [asyncio.create_task(phone(port, n + 1, code, record, state, random.Random(n), think))
             for n in range(phones)]
    await asyncio.sleep(join)                                # the hall joins
    for _ in range(questions):
        await host.request("host step", "POST", f"/ring/{code}/next", urlencode({"csrf_token": token}), expect=(302,))
        await asyncio.sleep(question)                        # the question's time, then the answer
        await host.request("host step", "POST", f"/ring/{code}/reveal", urlencode({"csrf_token": token}), expect=(302,))
        await host.request("host step", "GET", f"/ring/{code}/board")
        await asyncio.sleep(after)
    await host.request("host step", "POST", f"/ring/{code}/close", urlencode({"csrf_token": token, "confirmed": "yes"}),
                       expect=(302,))     # closing cannot be undone: the host confirms it
    state["closed"] = True
    await asyncio.gather(*tasks, return_exceptions=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phones", type=int, default=150)
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--size", type=int, default=2000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sanaly-ring-"))
    env = {**os.environ, "SECRET_KEY": "bench-secret", "UPLOAD_FOLDER": str(work / "uploads")}
    env.setdefault("DATABASE_URL", f"sqlite:///{work / 'ring.db'}")
    database = "PostgreSQL" if env["DATABASE_URL"].startswith("postgresql") else "SQLite"
    if database == "PostgreSQL":
        subprocess.run(FLASK + ["db", "downgrade", "base"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run(FLASK + ["seed-scale", "--students", str(args.size)], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run(FLASK + ["demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    timings: dict[str, list[float]] = {}
    errors: dict[str, int] = {}

    def record(kind, seconds, error):
        timings.setdefault(kind, []).append(seconds)
        if error and not (kind == "answer" and error == "409"):
            errors[f"{kind}: {error}"] = errors.get(f"{kind}: {error}", 0) + 1

    port = free_port()
    server = start_gunicorn("wsgi:app", port, env)
    try:
        began = time.perf_counter()
        run_students(game(port, args.phones, args.questions, record))
        total = time.perf_counter() - began
        memory = [peak_rss_mb(pid) for pid in workers_of(server.pid)]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
    print(f"\nBrain ring · {database} · gunicorn 2 sync workers · {os.cpu_count()} cores · {args.phones} phones polling "
          f"once a second · {args.questions} questions\n")
    print("| request | count | p50 ms | p95 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|---:|")
    for kind in ("sign-in", "join", "pad poll", "answer", "host step"):
        values = sorted(timings.get(kind, []))
        if values:
            def pct(p, v=values):
                return 1000 * v[min(len(v) - 1, int(p * len(v)))]
            print(f"| {kind} | {len(values)} | {pct(.5):.1f} | {pct(.95):.1f} | {pct(.99):.1f} | {1000 * values[-1]:.1f} |")
    print(f"\nerrors: {sum(errors.values())}" + (f" ({errors})" if errors else ""))
    print(f"total {total:.0f} s; peak worker memory {', '.join(f'{m:.0f} MB' for m in memory)}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
