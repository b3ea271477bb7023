"""CPU per request of the main pages and of the yardsticks, in process: a measure that other load cannot skew.

    python bench/cpu.py [--students 20000] [--requests 300] [--only lesson] [--profile "answer save"]
                        [--sort tottime] [--lines 40] [--memory]
    python bench/cpu.py --rush 60 [--census 1] [--profile start]
    (either with --collector-default: Python's garbage collector as it starts, not as a worker sets it)

wrk's requests per second follow whatever else the machine runs; the CPU time a request takes in
its own process (`time.process_time()`) barely does. This builds the instance once, as bench/run.py
does (`seed-scale` then the demo, SQLite in `--work`, kept for the next run; PostgreSQL when
DATABASE_URL names one — it is wiped), creates the platform's app and the yardsticks' app of
bench/yardsticks.py in this process, signs in as the bench does (a student, a juror, a curator,
the ACS; the cookie then stays fixed, as wrk sends it), warms each page up and times `--requests`
calls of each through the WSGI interface (no HTTP server: the same for every page), one request of
each page per round so that a change in the machine's load falls on all of them alike. It prints
the median CPU milliseconds per request and each page's speed as a share of yardstick (c) and (d)
(the inverse ratio of their median CPU times), and the SQL statements of one steady request.

`--profile NAME` runs the pages whose name contains NAME under cProfile and prints the functions
by `--sort` (cumulative or tottime). `--memory` prints this process's resident memory after
create_app and after every page has run, the biggest allocations by file (tracemalloc) and the
heavy libraries loaded.

`--rush N` measures instead the integrity-hour rush's requests (bench/rush.py's students, in process): N
students of the instance who have not sat the quiz yet (the next ones each run, counted in `--work`) each
sign in, are sent to the privacy notice and consent, open the quiz, start, answer its 15 questions page by
page (an autosave per answer) and submit. For each kind of request it prints the CPU milliseconds of this
process (median and mean), and on PostgreSQL the CPU milliseconds of the database server's processes that
served it (their `schedstat`, so the server must be on this machine), the statements the application ran
and the round trips to the server (each a wait for the server's "ready for query": BEGIN, COMMIT, ROLLBACK,
the pool's pings, SET and the statements themselves, read from libpq's trace of the first `--census`
students, who are not timed). `--census-log FILE` writes what those students sent, request by request.
"""
import argparse
import cProfile
import gc
import io
import os
import pstats
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import build  # noqa: E402  (the same instance as the wrk bench)
from bench.rush import CSRF, questions_of  # noqa: E402  (answered as the rush answers)

COLLECTOR_AT_START = gc.get_threshold()   # before anything settles the heap
HEAVY = ("fpdf", "docx", "openpyxl", "PIL", "playwright", "qrcode", "markdown", "authlib", "requests", "lxml",
         "fontTools", "redis", "psycopg", "cryptography", "numpy")


def rss_mb() -> tuple[float, float]:
    """This process's resident memory now and at its peak, in MB."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            found[line[:5]] = int(line.split()[1]) / 1024
    return found["VmRSS"], found["VmHWM"]


class Caller:
    """Calls one WSGI app with a fixed request, as wrk repeats it: same path and body every time; the session
    cookie it is given replaces the one it sent, as in a browser (unless --stale-cookies: wrk's fixed cookie)."""

    browser_like = True

    def __init__(self, app, method: str, path: str, cookie: str = "", body: str = "", headers: dict | None = None):
        from werkzeug.test import EnvironBuilder

        all_headers = dict(headers or {})
        if cookie:
            all_headers["Cookie"] = cookie
        builder = EnvironBuilder(path=path, method=method, headers=all_headers, data=body.encode() or None,
                                 content_type="application/x-www-form-urlencoded" if body else None,
                                 environ_base={"REMOTE_ADDR": "127.0.0.1"})
        self.environ, self.body, self.app = builder.get_environ(), body.encode(), app
        self.keeps_cookie = bool(cookie) and Caller.browser_like
        builder.close()

    def __call__(self) -> tuple[str, dict, bytes]:
        environ = dict(self.environ)
        environ["wsgi.input"] = io.BytesIO(self.body)
        answer = {}

        def start_response(status, headers, _exc_info=None):
            answer["status"], answer["headers"] = status, dict(headers)
            for key, value in headers:   # keep the cookie it is given, as a browser does
                if key.lower() == "set-cookie" and value.startswith("session=") and self.keeps_cookie:
                    self.environ["HTTP_COOKIE"] = value.split(";")[0]

        result = self.app(environ, start_response)
        try:
            data = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        return answer["status"], answer["headers"], data


def sign_in(app, email: str, refresh: bool = True) -> str:
    """Sign in through the real form (CSRF and all); return the session cookie as a Cookie header."""
    client = app.test_client()
    page = client.get("/login").get_data()
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1).decode()
    response = client.post("/login", data={"csrf_token": token, "email": email, "password": "demo-password"})
    assert response.status_code == 302, f"sign-in as {email} failed ({response.status_code})"
    if refresh:   # a browser keeps the cookie it is given: one page later the session holds the time last seen
        client.get("/")
    return f"session={client.get_cookie('session').value}"


def csrf_of(caller_page) -> str:
    _status, _headers, page = caller_page()
    return re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1).decode()


def pages_of(app, yard, token: str, refresh: bool = True) -> list[tuple[str, Caller]]:
    """Every page the wrk bench drives, yardsticks first, as fixed requests."""
    # The student's cookie is always the refreshed one: the bench, too, sends the cookie that carries the CSRF token.
    student, juror = sign_in(app, "student1@sanaly.test"), sign_in(app, "jury1@sanaly.test", refresh)
    curator, admin = sign_in(app, "curator@sanaly.test", refresh), sign_in(app, "admin@sanaly.test", refresh)
    yard_client = yard.test_client()
    yard_client.get("/sign-in?email=student1%40sanaly.test")
    yard_cookie = f"session={yard_client.get_cookie('session').value}"

    quiz_page = Caller(app, "GET", "/quizzes/integrity-hour/", student)
    start = Caller(app, "POST", "/quizzes/integrity-hour/start", student, urlencode({"csrf_token": csrf_of(quiz_page)}))
    status, headers, _ = start()
    assert status.startswith("302"), status
    attempt = headers["Location"].removeprefix("http://localhost")
    attempt_page = Caller(app, "GET", attempt, student)
    _s, _h, page = attempt_page()
    name, value = (part.decode() for part in re.search(rb'name="(a[a-z2-7]{16})" value="([^"]*)"', page).groups())
    save_body = urlencode({"csrf_token": csrf_of(attempt_page), name: value or "0"})
    return [
        ("(a) hello", Caller(yard, "GET", "/hello")),
        ("(b) + signed in", Caller(yard, "GET", "/signed-in", yard_cookie)),
        ("(c) + 22 KB page", Caller(yard, "GET", "/page", yard_cookie)),
        ("(d) + 6 queries", Caller(yard, "GET", "/queries", yard_cookie)),
        ("lesson page", Caller(app, "GET", "/courses/fundamentals-of-anti-corruption-culture/what-is-corruption",
                               student)),
        ("quiz attempt page", attempt_page),
        ("answer save", Caller(app, "POST", attempt.split("?")[0] + "/autosave?page=1", student, save_body)),
        ("juror's queue", Caller(app, "GET", "/jury/", juror)),
        ("curator dashboard", Caller(app, "GET", "/coverage/", curator)),
        ("ACS plan dashboard", Caller(app, "GET", "/admin/coverage/", admin)),
        ("ACS home", Caller(app, "GET", "/admin/", admin)),
        ("public results", Caller(app, "GET", "/contests/poem-2024-2025/results")),
        ("coverage API", Caller(app, "GET", "/api/v1/coverage?activity=2.2", headers={
            "Authorization": f"Bearer {token}"})),
    ]


def statements_of(caller: Caller, engines) -> int:
    from sqlalchemy import event

    seen = []

    def count(*_args):
        seen.append(1)

    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        caller()
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)
    return len(seen)


class Wire:
    """What the database server does for this process: its server processes' CPU time (Linux `schedstat`, in
    nanoseconds) and, while tracing, every protocol message each connection sends (libpq's trace)."""

    def __init__(self, engine, folder: Path):
        from sqlalchemy import event

        self.folder, self.tracing, self.pids, self.traces = folder, False, set(), {}
        event.listen(engine, "connect", self.connected)

    def connected(self, dbapi_connection, _record):
        pgconn = getattr(dbapi_connection, "pgconn", None)
        if pgconn is None:   # SQLite: nothing to see
            return
        pid = dbapi_connection.info.backend_pid
        self.pids.add(pid)
        if self.tracing:
            from psycopg.pq import Trace

            handle = open(self.folder / f"trace-{pid}.txt", "w")
            self.traces[pid] = (handle, 0)
            pgconn.trace(handle.fileno())
            pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS | Trace.REGRESS_MODE)

    def server_ns(self) -> dict[int, int]:
        """CPU nanoseconds of each server process of this process's connections so far."""
        spent = {}
        for pid in list(self.pids):
            try:
                spent[pid] = int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
            except OSError:
                self.pids.discard(pid)   # a closed connection's process
        return spent

    @staticmethod
    def since(before: dict[int, int], after: dict[int, int]) -> int:
        return sum(ns - before.get(pid, 0) for pid, ns in after.items())

    def sent(self) -> list[str]:
        """What the traced connections sent since the last call: one line per round trip (a simple query, or
        the statements of an extended-protocol exchange up to its Sync), in order."""
        trips = []
        for pid, (handle, offset) in list(self.traces.items()):
            handle.flush()
            text = (self.folder / f"trace-{pid}.txt").read_text()
            self.traces[pid] = (handle, len(text))
            pending = []
            for line in text[offset:].splitlines():
                parts = line.split("\t")
                if len(parts) < 3 or parts[0] != "F":
                    continue
                kind, rest = parts[2], (parts[3].strip() if len(parts) > 3 else "")
                if kind == "Query":
                    trips.append(rest.strip('"'))
                elif kind == "Parse":
                    name, _space, query = rest.partition(" ")
                    pending.append(("PREPARE " if name != '""' else "") + query.rsplit('" ', 1)[0].strip('"'))
                elif kind == "Bind" and not pending:
                    pending.append("EXECUTE prepared " + rest.split(" ")[1])
                elif kind == "Sync":
                    trips.append(" ; ".join(pending))
                    pending = []
        return trips


RUSH_KINDS = ("sign-in page", "sign-in", "quiz page, to the notice", "privacy notice", "consent", "quiz page", "start",
              "attempt page", "answer save", "submit", "result page")


def rush(app, work: Path, database: str, students: int, census: int, census_log: str, profile: str,
         sort: str, lines: int) -> None:
    """Time the rush's requests of `students` fresh students (see the module's docstring)."""
    from sqlalchemy import event

    from app.extensions import db

    with app.app_context():
        engine = db.engine
    wire = Wire(engine, work)
    counter = work / f"rush-next-{database}"
    first = int(counter.read_text()) if counter.exists() else 1
    numbers = range(first, first + 1 + census + students)   # one to warm up, the census, the timed ones
    counter.write_text(str(numbers[-1] + 1))
    if numbers[-1] > 20000:
        raise SystemExit(f"no fresh students left in {work} (build it again with --rebuild)")

    measured = {"kind": None, "statements": 0}
    costs: dict[str, list[tuple[float, float, int]]] = {kind: [] for kind in RUSH_KINDS}
    profiler = cProfile.Profile(time.process_time) if profile else None   # CPU time: waits for the server are not ours
    inner = app.wsgi_app

    def count(*_args):
        measured["statements"] += 1

    def timed(environ, start_response):
        kind, measured["statements"] = measured["kind"], 0
        if profiler and (kind == profile or (profile not in RUSH_KINDS and profile in kind)):
            profiler.enable()
        server, started = wire.server_ns(), time.process_time()
        result = inner(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        spent, server = time.process_time() - started, wire.since(server, wire.server_ns())
        if profiler:
            profiler.disable()
        costs[kind].append((spent * 1000, server / 1e6, measured["statements"]))
        return [body]

    app.wsgi_app = timed
    event.listen(engine, "before_cursor_execute", count)
    log = []

    def call(client, kind, method, path, data=None, expect=(200,)):
        measured["kind"] = kind
        response = client.open(path, method=method, data=data)
        assert response.status_code in expect, f"{kind}: {response.status_code} {path}"
        if wire.tracing:
            log.append((kind, method, path, wire.sent()))
        return response

    def take_the_hour(number: int) -> None:
        client = app.test_client()
        page = call(client, "sign-in page", "GET", "/login")
        call(client, "sign-in", "POST", "/login", {"csrf_token": CSRF.search(page.data).group(1).decode(),
                                                    "email": f"student{number}@scale.test",
                                                    "password": "scale-password"}, (302,))
        page = call(client, "quiz page, to the notice", "GET", "/quizzes/integrity-hour/", expect=(200, 302))
        if page.status_code == 302:
            notice = call(client, "privacy notice", "GET", page.location)
            call(client, "consent", "POST", page.location.split("?")[0], {
                "csrf_token": CSRF.search(notice.data).group(1).decode(), "next": "/quizzes/integrity-hour/"}, (302,))
            page = call(client, "quiz page", "GET", "/quizzes/integrity-hour/")
        token = CSRF.search(page.data).group(1).decode()
        attempt = call(client, "start", "POST", "/quizzes/integrity-hour/start", {"csrf_token": token},
                       (302,)).location.split("?")[0]
        number = 1
        while True:
            page = call(client, "attempt page", "GET", f"{attempt}?page={number}")
            answers = {"csrf_token": token}
            for question in questions_of(page.data):
                answers.update(question)
                call(client, "answer save", "POST", f"{attempt}/autosave?page={number}", dict(answers))
            if b'value="finish"' in page.data:
                break
            number += 1
        result = call(client, "submit", "POST", f"{attempt}/submit", {"csrf_token": token}, (302,))
        call(client, "result page", "GET", result.location)

    take_the_hour(numbers[0])   # warm up: each cache's first fill, compiled statements (neither counted nor profiled)
    for kind in costs:
        costs[kind].clear()
    if profiler:
        profiler.clear()
    if census:
        wire.tracing = True
        with app.app_context():
            db.engine.dispose()   # connections opened from now on are traced
        log.clear()
        for number in numbers[1:1 + census]:
            take_the_hour(number)
        traced = {kind: [len(trips) for k, _m, _p, trips in log if k == kind] for kind in RUSH_KINDS}
        wire.tracing = False
        for handle, _offset in wire.traces.values():
            handle.close()
        wire.traces.clear()
        with app.app_context():
            db.engine.dispose()
        for kind in costs:
            costs[kind].clear()
        if profiler:
            profiler.clear()
    for number in numbers[1 + census:]:
        take_the_hour(number)
    event.remove(engine, "before_cursor_execute", count)
    app.wsgi_app = inner

    print(f"\nThe rush's requests · {database} · {students} students, each timed request in process · CPU ms\n")
    print("| request | count | CPU ms (median) | CPU ms (mean) | server CPU ms (mean) | statements | round trips |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for kind in RUSH_KINDS:
        rows = costs[kind]
        if not rows:
            continue
        trips = traced.get(kind) if census else None
        print(f"| {kind} | {len(rows)} | {statistics.median(r[0] for r in rows):.2f} | "
              f"{statistics.mean(r[0] for r in rows):.2f} | "
              + (f"{statistics.mean(r[1] for r in rows):.2f}" if database == "PostgreSQL" else "–")
              + f" | {statistics.median(r[2] for r in rows):g} | "
              + (f"{statistics.median(trips):g}" if trips else "–") + " |")
    if census and census_log:
        with open(census_log, "w") as out:
            for kind, method, path, trips in log:
                out.write(f"\n## {kind}: {method} {path} — {len(trips)} round trips\n")
                out.writelines(f"  {trip[:300]}\n" for trip in trips)
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(sort).print_stats(lines)
        print(f"\n--- {profile}: sorted by {sort} ---\n{out.getvalue()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=20000)
    parser.add_argument("--work", default="", help="folder of the instance (default /tmp/sanaly-cpu-STUDENTS)")
    parser.add_argument("--rebuild", action="store_true", help="build the instance again even if it exists")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--only", default="", help="time only the pages whose name contains this text")
    parser.add_argument("--profile", default="", help="profile the page of this name, else the pages whose name contains this text")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--lines", type=int, default=40)
    parser.add_argument("--memory", action="store_true")
    parser.add_argument("--rush", type=int, default=0, help="time the rush's requests of this many students")
    parser.add_argument("--census", type=int, default=1,
                        help="students (before the timed ones) whose round trips are read from libpq's trace")
    parser.add_argument("--census-log", default="", help="write what the census students sent to this file")
    parser.add_argument("--stale-cookies", action="store_true",
                        help="send the juror's, curator's and ACS's cookie as given at sign-in, as bench/run.py "
                             "does: each of their requests then writes the session")
    parser.add_argument("--collector-default", action="store_true",
                        help="leave Python's garbage collector as it starts, instead of settling the heap once the "
                             "apps are built as a worker does (app/core/heap.py)")
    args = parser.parse_args()

    if args.memory:
        import tracemalloc

        tracemalloc.start(1)
    work = Path(args.work or f"/tmp/sanaly-cpu-{args.students}")
    work.mkdir(parents=True, exist_ok=True)
    os.environ.update({"SECRET_KEY": "bench-secret", "UPLOAD_FOLDER": str(work / "uploads")})
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{work / 'bench.db'}")
    database = "PostgreSQL" if os.environ["DATABASE_URL"].startswith("postgresql") else "SQLite"
    token_file = work / f"api-token-{database}"
    if args.rebuild or not token_file.exists():
        token_file.write_text(build(args.students, dict(os.environ), database))
    token = token_file.read_text().strip()

    before = rss_mb()
    started = time.process_time()
    from app import create_app
    from app.core.heap import settle_heap   # the garbage collector set as in a worker
    app = create_app()
    created = time.process_time() - started
    after_create = rss_mb()
    if args.rush:
        if not args.collector_default:
            settle_heap()
        rush(app, work, database, args.rush, args.census, args.census_log, args.profile, args.sort, args.lines)
        return 0
    from bench.yardsticks import app as yard
    from bench.yardsticks import db as yard_db

    if args.collector_default:   # bench/yardsticks.py settles the heap as it is imported, as a worker does
        gc.unfreeze()
        gc.set_threshold(*COLLECTOR_AT_START)
    else:
        settle_heap()   # as wsgi.py does in a worker

    Caller.browser_like = not args.stale_cookies
    pages = pages_of(app, yard, token, refresh=not args.stale_cookies)
    chosen = [(name, caller) for name, caller in pages if name.startswith("(") or args.only in name]
    with app.app_context():
        from app.extensions import db
        engines = [db.engine]
    with yard.app_context():
        engines.append(yard_db.engine)

    statuses, queries, times = {}, {}, {name: [] for name, _caller in chosen}
    for name, caller in chosen:
        for _ in range(10):   # warm up: first writes, each cache's first fill, compiled statements
            statuses[name], _headers, _data = caller()
        queries[name] = statements_of(caller, engines)
    # Round after round, one request of each page: a change in the machine's load falls on every page alike.
    for _ in range(args.requests):
        for name, caller in chosen:
            started = time.process_time()
            caller()
            times[name].append((time.process_time() - started) * 1000)
    results = {name: (statuses[name], statistics.median(times[name]), statistics.quantiles(times[name], n=10)[0],
                      queries[name]) for name, _caller in chosen}

    c_cost, d_cost = results["(c) + 22 KB page"][1], results["(d) + 6 queries"][1]
    print(f"\nCPU per request · {args.students} students · {database} · {args.requests} requests each · "
          f"create_app {created * 1000:.0f} ms CPU\n")
    print("| page | status | CPU ms (median) | CPU ms (10th percentile) | share of (c) | share of (d) | SQL |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, (status, median, least, queries) in results.items():
        print(f"| {name} | {status.split()[0]} | {median:.2f} | {least:.2f} | {100 * c_cost / median:.0f}% | "
              f"{100 * d_cost / median:.0f}% | {queries} |")

    if args.profile:
        for name, caller in pages:
            if args.profile not in name:
                continue
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.requests):
                caller()
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats(args.sort).print_stats(args.lines)
            print(f"\n--- {name}: {args.requests} requests, sorted by {args.sort} ---")
            print(out.getvalue())

    if args.memory:
        import tracemalloc

        now_rss, peak = rss_mb()
        print(f"\nresident memory: {before[0]:.0f} MB before create_app, {after_create[0]:.0f} MB after it, "
              f"{now_rss:.0f} MB after every page (peak {peak:.0f} MB)")
        snapshot = tracemalloc.take_snapshot()
        by_file = {}
        for stat in snapshot.statistics("filename"):
            path = stat.traceback[0].filename
            package = re.sub(r".*/(site-packages|lib/python3\.\d+)/", "", path).split("/")[0]
            if "/work/" in path and "site-packages" not in path:
                package = "/".join(Path(path).relative_to(ROOT).parts[:2]) if path.startswith(str(ROOT)) else path
            by_file[package] = by_file.get(package, 0) + stat.size
        print("\nPython allocations still held, by package (tracemalloc):")
        for package, size in sorted(by_file.items(), key=lambda item: -item[1])[:25]:
            print(f"  {size / 1e6:7.2f} MB  {package}")
        print("\nheavy libraries loaded: " + (", ".join(sorted(
            name for name in HEAVY if name in sys.modules)) or "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
