"""The integrity-hour rush: a year's intake in the same quiz within minutes.

    python bench/rush.py [--students 2000] [--spread 120] [--think 20] [--size 20000] [--workers 2] [--two-hosts | --lanes]

Builds a national-size instance (`seed-scale --size`; SQLite in a temporary folder, or the
database in DATABASE_URL, which is wiped), serves it with gunicorn (`--workers` sync workers on 127.0.0.1, 2 by default)
and lets `--students` simulated students arrive evenly over `--spread` seconds. Each one signs in,
starts the integrity-hour attempt, answers its 15 questions one by one — every answer is an
autosave of the page, as the browser sends it, after a think time of `--think` seconds on average
(uniform between half and one and a half times it) — and submits. Prints the errors (any
unexpected status or failed connection), the latency of each kind of request, the total time and
the workers' peak memory. The students are coroutines on one asyncio event loop, so the load
generator stays light and its own scheduling does not show up as server latency.

With --two-hosts the platform runs as two hosts (a gunicorn with one sync worker each, on its own
port) behind Debian's nginx, sharing the database, Redis (REDIS_URL, default redis://127.0.0.1:6379/6)
and the uploads folder, and every request goes through the proxy (bench/proxy.py).

With --lanes the platform runs as the README's integrity-hour deployment on one server: behind nginx,
an attempt in progress (its pages, saves, summary and submission) goes to `--workers` workers of its own
and every other page to as many workers at a lower CPU priority (bench/proxy.py, AttemptLane); meant for
PostgreSQL (on SQLite it made the saves slower; see the README).
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
import threading
import time
from pathlib import Path
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import FLASK, ROOT, TICK, analyze, cpu_seconds, free_port, peak_rss_mb, start_gunicorn, workers_of  # noqa: E402

CSRF = re.compile(rb'name="csrf_token" type="hidden" value="([^"]+)"')


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


class Student:
    """One simulated student: an HTTP/1.1 client on asyncio (one event loop serves all 2,000 of them)."""

    def __init__(self, port: int, record):
        self.port, self.record, self.cookie = port, record, ""

    async def _exchange(self, method: str, path: str, body: bytes | None) -> Response:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}", "Connection: close"]
            if self.cookie:
                head.append(f"Cookie: {self.cookie}")
            if body is not None:
                head += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + (body or b""))
            await writer.drain()
            raw = await reader.read()
        finally:
            writer.close()
        header_block, _sep, content = raw.partition(b"\r\n\r\n")
        lines = header_block.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            key, _colon, value = line.partition(":")
            if key.lower() == "set-cookie" and value.strip().startswith("session="):
                self.cookie = value.strip().split(";")[0]
            headers[key.lower()] = value.strip()
        return Response(int(lines[0].split()[1]), headers, content)

    async def request(self, kind, method, path, body=None, expect=(200,)) -> Response:
        started = time.perf_counter()
        try:
            response = await asyncio.wait_for(self._exchange(method, path, body.encode() if body else None), 60)
        except (OSError, asyncio.TimeoutError, ValueError, IndexError) as error:
            self.record(kind, time.perf_counter() - started, type(error).__name__)
            raise RuntimeError(kind) from error
        self.record(kind, time.perf_counter() - started, None if response.status in expect else str(response.status))
        if response.status not in expect:
            raise RuntimeError(kind)
        return response


INPUT = re.compile(rb'name="(a[a-z2-7]{16})" value="([^"]*)"')
SELECT = re.compile(rb'<select id="[^"]*" name="(a[a-z2-7]{16})">(.*?)</select>', re.S)
OPTION = re.compile(rb'<option value="([^"]+)"')


def questions_of(page: bytes) -> list[dict[str, str]]:
    """Each question of an attempt page answered as a student would: the first option ticked or "0" typed; in a
    matching or ordering question every list set, the n-th list to its n-th choice (the fields are the attempt's
    opaque tokens)."""
    answered = []
    for block in page.split(b"<fieldset")[1:]:
        lists = SELECT.findall(block)
        if lists:
            answered.append({name.decode(): OPTION.findall(options)[place % len(OPTION.findall(options))].decode()
                             for place, (name, options) in enumerate(lists)})
        elif (found := INPUT.search(block)) is not None:
            answered.append({found[1].decode(): found[2].decode() or "0"})
    return answered


async def through_the_notice(person: Student, path: str, kind: str, notice_kind: str) -> Response:
    """Open `path`; if the platform sends the person to its privacy notice first (once, the first time), read it
    and consent, as a student does, and open `path` again."""
    page = await person.request(kind, "GET", path, expect=(200, 302))
    if page.status != 302:
        return page
    consent = urlsplit(page.headers["location"])
    form = await person.request(notice_kind, "GET", f"{consent.path}?{consent.query}")
    await person.request(notice_kind, "POST", consent.path, urlencode(
        {"csrf_token": CSRF.search(form.body).group(1).decode(), "next": path}), expect=(302,))
    return await person.request(kind, "GET", path)


async def take_the_hour(port: int, number: int, think: float, record, rng: random.Random) -> None:
    student = Student(port, record)
    try:
        page = await student.request("sign-in", "GET", "/login")
        body = urlencode({"csrf_token": CSRF.search(page.body).group(1), "email": f"student{number}@scale.test",
                          "password": "scale-password"})
        await student.request("sign-in", "POST", "/login", body, expect=(302,))
        page = await through_the_notice(student, "/quizzes/integrity-hour/", "quiz page", "privacy notice")
        token = CSRF.search(page.body).group(1).decode()
        response = await student.request("start", "POST", "/quizzes/integrity-hour/start",
                                         urlencode({"csrf_token": token}), expect=(302,))
        attempt = urlsplit(response.headers["location"]).path
        page_number = 1
        while True:
            page = await student.request("attempt page", "GET", f"{attempt}?page={page_number}")
            answers = {"csrf_token": token}
            for question in questions_of(page.body):
                await asyncio.sleep(think * rng.uniform(0.5, 1.5))
                answers.update(question)
                await student.request("answer save", "POST", f"{attempt}/autosave?page={page_number}",
                                      urlencode(answers))
            if b'value="finish"' in page.body:   # the last page offers "Review and submit"
                break
            page_number += 1
        await student.request("submit", "POST", f"{attempt}/submit", urlencode({"csrf_token": token}), expect=(302,))
    except RuntimeError:
        pass   # already recorded as an error


async def rush(port: int, students: int, spread: float, think: float, record) -> None:
    tasks = []
    began = time.perf_counter()
    for index in range(students):
        await asyncio.sleep(max(0.0, began + spread * index / students - time.perf_counter()))
        tasks.append(asyncio.create_task(take_the_hour(port, index + 1, think, record, random.Random(index))))
    await asyncio.gather(*tasks)


def run_students(coroutine) -> str:
    """Run the students' event loop to its end; say which loop ran them.

    uvloop when it is installed (`pip install -e '.[bench]'`), else asyncio's own: the load generator
    shares the cores with the platform it measures, and uvloop's loop and sockets spend less of them.
    """
    try:
        import uvloop
    except ImportError:
        asyncio.run(coroutine)
        return "asyncio"
    uvloop.run(coroutine)
    return "uvloop"


def machine_busy() -> tuple[float, float]:
    """The machine's busy and total CPU seconds so far, over every core (/proc/stat)."""
    values = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / TICK, sum(values) / TICK


class BusySampler(threading.Thread):
    """The machine's busy and total CPU seconds once a second, to say how busy the cores were in each window."""

    def __init__(self):
        super().__init__(daemon=True)
        self.samples: list[tuple[float, float, float]] = []
        self.done = threading.Event()

    def run(self):
        while not self.done.wait(1.0 if self.samples else 0):
            self.samples.append((time.perf_counter(), *machine_busy()))

    def share(self, start: float, end: float) -> float | None:
        """The cores' busy share between two moments (the samples nearest inside them)."""
        inside = [sample for sample in self.samples if start <= sample[0] <= end]
        if len(inside) < 2:
            return None
        (_, busy0, total0), (_, busy1, total1) = inside[0], inside[-1]
        return (busy1 - busy0) / max(total1 - total0, 1e-9)


def database_server(url: str) -> int | None:
    """The PostgreSQL server's main process when it runs on this machine (its reaped backends' CPU counts there)."""
    if not url.startswith("postgresql"):
        return None
    import psycopg

    with psycopg.connect(url.replace("+psycopg", "")) as connection:
        try:   # read while the connection's process lives
            parent = int(Path(f"/proc/{connection.info.backend_pid}/stat").read_text().rsplit(") ", 1)[1].split()[1])
            cpu_seconds(parent, children=True)
        except OSError:   # another machine's server
            return None
    return parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=2000, help="students who sit the quiz")
    parser.add_argument("--spread", type=float, default=120, help="seconds over which they arrive")
    parser.add_argument("--think", type=float, default=20, help="mean seconds between two answers")
    parser.add_argument("--size", type=int, default=20000, help="students in the instance")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn's sync workers (one host)")
    serving = parser.add_mutually_exclusive_group()
    serving.add_argument("--two-hosts", action="store_true", help="two hosts behind nginx instead of one gunicorn")
    serving.add_argument("--lanes", action="store_true",
                         help="one host behind nginx whose attempts in progress have workers of their own")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="sanaly-rush-"))
    env = {**os.environ, "SECRET_KEY": "bench-secret", "UPLOAD_FOLDER": str(work / "uploads")}
    env.setdefault("DATABASE_URL", f"sqlite:///{work / 'rush.db'}")
    database = "PostgreSQL" if env["DATABASE_URL"].startswith("postgresql") else "SQLite"
    if database == "PostgreSQL":
        subprocess.run(FLASK + ["db", "downgrade", "base"], cwd=ROOT, env=env, check=True, capture_output=True)
    print(f"building {args.size} students on {database} …", flush=True)
    subprocess.run(FLASK + ["seed-scale", "--students", str(args.size)], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    subprocess.run(FLASK + ["demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    analyze(env)

    timings: dict[str, list[float]] = {}
    errors: dict[str, int] = {}

    timeline: list[tuple[float, float]] = []     # (when the answer save began, its latency)

    def record(kind, seconds, error):
        timings.setdefault(kind, []).append(seconds)
        if kind == "answer save":
            timeline.append((time.perf_counter() - seconds, seconds))
        if error:
            errors[f"{kind}: {error}"] = errors.get(f"{kind}: {error}", 0) + 1

    proxied = args.two_hosts or args.lanes
    if proxied:
        from proxy import AttemptLane, TwoHosts

        env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/6")
        env["RATELIMIT_KEY_PREFIX"] = f"rush-{os.getpid()}"
        site = (TwoHosts(env, workers=1) if args.two_hosts else AttemptLane(env, workers=args.workers)).__enter__()
        port, stop = site.port, site.__exit__
    else:
        port = free_port()
        server = start_gunicorn("wsgi:app", port, env, args.workers)

        def stop():
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()

    def workers() -> list[int]:
        return site.worker_pids() if proxied else workers_of(server.pid)

    def proxy_cpu() -> float:   # nginx's master and worker
        return sum(cpu_seconds(pid) for pid in site.proxy_pids()) if proxied else 0.0

    try:
        print(f"{args.students} students arrive over {args.spread:g} s …", flush=True)
        postmaster = database_server(env["DATABASE_URL"])
        at_start = ({pid: cpu_seconds(pid) for pid in workers()}, proxy_cpu(),
                    postmaster and cpu_seconds(postmaster, children=True), machine_busy())
        sampler = BusySampler()
        sampler.start()
        began, cpu = time.perf_counter(), time.process_time()
        loop = run_students(rush(port, args.students, args.spread, args.think, record))
        total, generator_cpu = time.perf_counter() - began, time.process_time() - cpu
        sampler.done.set()
        busy = [after - before for after, before in zip(machine_busy(), at_start[3])]
        spent = {pid: cpu_seconds(pid) - at_start[0].get(pid, 0) for pid in workers()}
        workers_cpu, nginx_cpu = sum(spent.values()), proxy_cpu() - at_start[1]
        lanes = ({name: sum(spent.get(pid, 0) for pid in site.worker_pids(name)) for name in site.backends}
                 if proxied else {})
        memory = [peak_rss_mb(pid) for pid in workers()]
    finally:
        stop()
    server_cpu = None
    if postmaster:
        time.sleep(1)   # the workers' connections closed: their server processes are reaped
        server_cpu = cpu_seconds(postmaster, children=True) - at_start[2]

    cores = os.cpu_count()
    serving = ("two hosts behind nginx, 1 sync worker each" if args.two_hosts else
               f"behind nginx, attempts in progress on {args.workers} sync workers of their own, the other "
               f"pages on {args.workers} at nice 10" if args.lanes else f"gunicorn {args.workers} sync workers")
    print(f"\nIntegrity-hour rush · {database} · {args.size} students in the instance · {serving} · "
          f"{cores} cores\n{args.students} students arriving over {args.spread:g} s, {args.think:g} s mean think time "
          f"between answers\n")
    print("| request | count | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for kind in ("sign-in", "privacy notice", "quiz page", "start", "attempt page", "answer save", "submit"):
        values = sorted(timings.get(kind, []))
        if not values:
            continue

        def pct(p, values=values):
            return 1000 * values[min(len(values) - 1, int(p * len(values)))]
        print(f"| {kind} | {len(values)} | {pct(0.5):.1f} | {pct(0.95):.1f} | {pct(0.99):.1f} | {1000 * values[-1]:.1f} |")
    if timeline:
        print("\nAnswer saves over time (cores busy: the machine's, both cores, in the window)\n\n"
              "| from s | saves/s | p50 ms | p99 ms | cores busy |\n|---:|---:|---:|---:|---:|")
        first = min(t for t, _ in timeline)
        buckets: dict[int, list[float]] = {}
        for when, seconds in timeline:
            buckets.setdefault(int((when - first) // 30) * 30, []).append(seconds)
        for start, values in sorted(buckets.items()):
            values.sort()
            share = sampler.share(first + start, first + start + 30)
            print(f"| {start} | {len(values) / 30:.0f} | {1000 * values[len(values) // 2]:.0f} | "
                  f"{1000 * values[min(len(values) - 1, int(0.99 * len(values)))]:.0f} | "
                  + (f"{100 * share:.0f}% |" if share is not None else "– |"))
    requests = max(1, sum(len(values) for values in timings.values()))
    submitted = len(timings.get("submit", [])) - sum(n for k, n in errors.items() if k.startswith("submit"))
    print(f"\nerrors: {sum(errors.values())}" + (f" ({', '.join(f'{k} × {n}' for k, n in errors.items())})" if errors else ""))
    print(f"attempts submitted: {submitted} of {args.students}; total time {total:.0f} s; "
          f"peak worker memory {', '.join(f'{m:.0f} MB' for m in memory)}")
    print(f"load generator: {loop}, {generator_cpu:.0f} s of CPU ({1000 * generator_cpu / requests:.2f} ms a request)")
    print(f"CPU over the run: the machine's cores {100 * busy[0] / busy[1]:.0f}% busy ({busy[0]:.0f} s); the workers "
          f"{workers_cpu:.0f} s" + (f" ({', '.join(f'{name} {cpu:.0f} s' for name, cpu in lanes.items())})" if lanes else "")
          + (f", nginx {nginx_cpu:.0f} s" if proxied else "")
          + (f", the database server's connections {server_cpu:.0f} s" if server_cpu else "")
          + f", the load generator {generator_cpu:.0f} s")
    return 1 if errors or submitted != args.students else 0


if __name__ == "__main__":
    sys.exit(main())
