"""Measure the main pages of a national-size instance served by gunicorn on loopback.

    python bench/run.py --students 20000 [--seconds 5] [--connections 16]

Builds the instance with `flask --app wsgi seed-scale` (SQLite in a temporary folder, or the
database in DATABASE_URL, which is wiped), starts gunicorn with 2 sync workers on 127.0.0.1 for the
platform and for the yardsticks of bench/yardsticks.py over the same database — (a) a bare "hello",
(b) + Flask-Login loading the person by primary key, (c) + a 22 KB Jinja page with 40 gettext calls,
(d) + 6 indexed ORM queries — signs in as a student, a juror, a curator and the ACS, and drives
each yardstick, every page, then each yardstick again with wrk. Prints one table: requests per
second, p50 / p95 / p99 latency, throughput as a share of hello and of yardstick (d) (each taken as
the mean of its two measurements in the run), SQL statements per request in the steady state (the
fewest of the third to eighth requests, after any first-time writes and each worker's first fill), and each worker's peak resident memory.
"""
import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch_gunicorn(module: str, port: int, env: dict, workers: int = 2, nice: int = 0) -> subprocess.Popen:
    """gunicorn serving `module` on loopback with `workers` sync workers, at CPU priority `nice`; see `settled`."""
    command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level",
               "warning", module]
    return subprocess.Popen(["nice", "-n", str(nice), *command] if nice else command, cwd=ROOT, env=env)


def settled(process: subprocess.Popen, port: int, workers: int) -> None:
    """Return once the gunicorn answers on `port` and every worker has loaded the app (its CPU is still)."""
    spent: dict[int, float] = {}
    for _ in range(300):
        time.sleep(0.1)
        if process.poll() is not None:
            break
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            now = {pid: cpu_seconds(pid) for pid in workers_of(process.pid)}
        except OSError:
            continue
        if len(now) == workers and now == spent:
            return
        spent = now
    process.kill()
    raise RuntimeError(f"gunicorn on port {port} did not start")


def start_gunicorn(module: str, port: int, env: dict, workers: int = 2) -> subprocess.Popen:
    """gunicorn serving `module` on loopback, returned once every worker has loaded the app."""
    process = launch_gunicorn(module, port, env, workers)
    settled(process, port, workers)
    return process


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int, children: bool = False) -> float:
    """A process's CPU seconds (user + system), with those of its children it has reaped when `children`."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
    return sum(int(value) for value in fields[11:15 if children else 13]) / TICK


def workers_of(master: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().split(") ")[-1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            children.append(int(stat.parent.name))
    return children


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Session:
    """A signed-in browser, reduced to its cookie."""

    def __init__(self, port: int):
        self.port, self.cookie = port, ""

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        all_headers = {"Cookie": self.cookie, **(headers or {})}
        connection.request(method, path, body=body, headers=all_headers)
        response = connection.getresponse()
        data = response.read()
        for key, value in response.getheaders():
            if key.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";")[0]
        connection.close()
        return response, data

    def sign_in(self, email: str, password: str):
        _response, page = self.request("GET", "/login")
        token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1).decode()
        body = urlencode({"csrf_token": token, "email": email, "password": password})
        response, _ = self.request("POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded"})
        assert response.status == 302, f"sign-in as {email} failed"
        return self

    def csrf(self, path: str) -> str:
        _r, page = self.request("GET", path)
        return re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1).decode()


LUA = """
wrk.method = %(method)s
wrk.body = %(body)s
%(headers)s
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
end
"""


def lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def load(port, method, path, headers, body, seconds, connections) -> dict:
    """Drive one page with wrk (`connections` keep-alive connections for `seconds`); return its figures."""
    script = LUA % {"method": lua_string(method), "body": lua_string(body) if body else "nil",
                    "headers": "\n".join(f"wrk.headers[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items())}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        out = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds:g}s", "--timeout", "10s",
                              "-s", handle.name, f"http://127.0.0.1:{port}{path}"],
                             check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(handle.name)
    requests, duration, p50, p95, p99, status_errors, socket_errors = map(
        int, next(line for line in out.splitlines() if line.startswith("RESULT")).split()[1:])
    return {"rps": requests / (duration / 1e6), "p50": p50 / 1000, "p95": p95 / 1000, "p99": p99 / 1000,
            "errors": status_errors + socket_errors}


def build(students: int, env: dict, database: str) -> str:
    """Build the instance; return an API token for the coverage API."""
    if database == "PostgreSQL":
        subprocess.run(FLASK + ["db", "downgrade", "base"], cwd=ROOT, env=env, check=True, capture_output=True)
    else:
        Path(env["DATABASE_URL"].removeprefix("sqlite:///")).unlink(missing_ok=True)
    print(f"building {students} students on {database} …", flush=True)
    started = time.perf_counter()
    subprocess.run(FLASK + ["seed-scale", "--students", str(students)], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    subprocess.run(FLASK + ["demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    analyze(env)
    token = subprocess.run(FLASK + ["api-token", "create", "bench"], cwd=ROOT, env=env, check=True,
                           capture_output=True, text=True).stdout.strip().splitlines()[-1]
    print(f"built in {time.perf_counter() - started:.0f} s", flush=True)
    return token


def analyze(env: dict) -> None:
    """PostgreSQL: gather the planner's statistics of the freshly built tables (ANALYZE), as autovacuum does on
    its own within a minute or two of a bulk load — the benches must not depend on a server where it is off."""
    url = env["DATABASE_URL"]
    if url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as connection:
            connection.execute("ANALYZE")


YARDSTICKS = [("(a) hello", "/hello"), ("(b) + signed in", "/signed-in"), ("(c) + 22 KB page", "/page"),
              ("(d) + 6 queries", "/queries")]


def steady_queries(port, method, path, headers, body) -> tuple[str, int]:
    """SQL statements of the page in the steady state, and its status: the fewest of the third to eighth
    requests (the first ones may write, and each worker fills its own caches on its first requests)."""
    counts = []
    for attempt in range(8):
        probe = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        probe.request(method, path, body=body, headers=headers)
        response = probe.getresponse()
        response.read()
        probe.close()
        if attempt >= 2 and response.getheader("X-Query-Count"):
            counts.append(int(response.getheader("X-Query-Count")))
    return (str(min(counts)) if counts else "–"), response.status


def measure(env: dict, token: str, seconds: float, connections: int, only: str = "") -> tuple[list, list[float]]:
    """Serve the instance and the yardsticks with gunicorn; drive every page; return rows and worker memory."""
    port, yard_port = free_port(), free_port()
    server = start_gunicorn("wsgi:app", port, env)
    yard = start_gunicorn("bench.yardsticks:app", yard_port, env)
    try:
        student = Session(port).sign_in("student1@sanaly.test", "demo-password")
        juror = Session(port).sign_in("jury1@sanaly.test", "demo-password")
        curator = Session(port).sign_in("curator@sanaly.test", "demo-password")
        admin = Session(port).sign_in("admin@sanaly.test", "demo-password")
        yard_session = Session(yard_port)
        yard_session.request("GET", "/sign-in?email=student1%40sanaly.test")
        start = student.request("POST", "/quizzes/integrity-hour/start",
                                urlencode({"csrf_token": student.csrf("/quizzes/integrity-hour/")}),
                                {"Content-Type": "application/x-www-form-urlencoded"})[0]
        attempt = start.getheader("Location")
        _r, attempt_page = student.request("GET", attempt)
        # The first input of the page (names and values are the attempt's opaque tokens).
        name, value = (part.decode() for part in re.search(rb'name="(a[a-z2-7]{16})" value="([^"]*)"', attempt_page).groups())
        save_body = urlencode({"csrf_token": student.csrf(attempt), name: value or "0"})
        pages = [
            ("lesson page", port, "GET", "/courses/fundamentals-of-anti-corruption-culture/what-is-corruption", student, None),
            ("quiz attempt page", port, "GET", attempt, student, None),
            ("answer save", port, "POST", attempt.split("?")[0] + "/autosave?page=1", student, save_body),
            ("juror's queue", port, "GET", "/jury/", juror, None),
            ("curator dashboard", port, "GET", "/coverage/", curator, None),
            ("ACS plan dashboard", port, "GET", "/admin/coverage/", admin, None),
            ("public results", port, "GET", "/contests/poem-2024-2025/results", None, None),
            ("coverage API", port, "GET", "/api/v1/coverage?activity=2.2", "token", None),
        ]
        pages = [page for page in pages if only in page[0]]
        yardsticks = [(label, yard_port, "GET", path, yard_session, None) for label, path in YARDSTICKS]

        def drive(name, target, method, path, who, body):
            headers = {"Connection": "keep-alive"}
            if who == "token":
                headers["Authorization"] = f"Bearer {token}"
            elif who is not None:
                # A browser keeps the cookie it is given; wrk sends one cookie throughout. Take a fresh one just
                # before the page, so that it holds the time last seen: a cookie more than a minute old makes
                # every request write the session (the idle timeout's once-a-minute note), as no browser does.
                if who is not yard_session:
                    who.request("GET", "/")
                headers["Cookie"] = who.cookie
            if body:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            queries, status = steady_queries(target, method, path, headers, body)
            return name, load(target, method, path, headers, body, seconds, connections), queries, status

        before = [drive(*yardstick) for yardstick in yardsticks]
        rows = [drive(*page) for page in pages]
        after = [drive(*yardstick) for yardstick in yardsticks]
        for index, (name, first, queries, status) in enumerate(before):
            second = after[index][1]
            merged = {key: (first[key] + second[key]) / 2 for key in ("rps", "p50", "p95", "p99")}
            merged["errors"] = first["errors"] + second["errors"]
            merged["spread"] = abs(first["rps"] - second["rps"]) / max(merged["rps"], 1)
            before[index] = (name, merged, queries, status)
        memory = [peak_rss_mb(pid) for pid in workers_of(server.pid)]
    finally:
        for process in (server, yard):
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=10)
    return before + rows, memory


def print_table(rows, title: str) -> None:
    hello = rows[0][1]["rps"]
    ceiling = rows[3][1]["rps"]
    print(title + "\n")
    print("| page | status | req/s | share of hello | share of (d) | p50 ms | p95 ms | p99 ms | SQL per request | errors |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, result, queries, status in rows:
        print(f"| {name} | {status} | {result['rps']:.0f} | {100 * result['rps'] / hello:.0f}% | "
              f"{100 * result['rps'] / ceiling:.0f}% | {result['p50']:.1f} | {result['p95']:.1f} | {result['p99']:.1f} | "
              f"{queries} | {result['errors']} |")
    drift = max(row[1].get("spread", 0) for row in rows[:4])
    print(f"\nyardsticks: the mean of a measurement before and after the pages (they differed by up to {100 * drift:.0f}%)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", default="20000", help="one size, or several for the growth table: 1000,5000,20000")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--only", default="", help="measure only the pages whose name contains this text")
    args = parser.parse_args()
    sizes = [int(size) for size in args.students.split(",")]
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")

    work = Path(tempfile.mkdtemp(prefix="sanaly-bench-"))
    env = {**os.environ, "SECRET_KEY": "bench-secret", "UPLOAD_FOLDER": str(work / "uploads"),
           "SANALY_QUERY_COUNT_HEADER": "1"}
    env.setdefault("DATABASE_URL", f"sqlite:///{work / 'bench.db'}")
    database = "PostgreSQL" if env["DATABASE_URL"].startswith("postgresql") else "SQLite"
    cores = os.cpu_count()
    with open("/proc/meminfo") as handle:
        total_memory = int(handle.readline().split()[1]) // 1024 // 1024
    results = {}
    for students in sizes:
        token = build(students, env, database)
        rows, memory = measure(env, token, args.seconds, args.connections, args.only)
        results[students] = rows
        print_table(rows, f"\n{students} students · {database} · gunicorn 2 sync workers · wrk, {args.connections} "
                          f"connections × {args.seconds:g} s per page · {cores} cores, {total_memory} GiB")
        print(f"\npeak resident memory of the platform's workers: {', '.join(f'{m:.0f} MB' for m in memory)}",
              flush=True)
    if len(sizes) > 1:
        print(f"\nGrowth: p50 ms (SQL per request) at each size · {database}\n")
        print("| page | " + " | ".join(f"{s:,} students" for s in sizes) + " |")
        print("|---|" + "---:|" * len(sizes))
        for index, (name, *_rest) in enumerate(results[sizes[0]]):
            cells = [f"{results[s][index][1]['p50']:.1f} ({results[s][index][2]})" for s in sizes]
            print(f"| {name} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
