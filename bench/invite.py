"""Invite a university's worth of students by e-mail, and measure the main pages while it runs.

    python bench/invite.py [--students 20000] [--clients 4]

Builds the demo instance (SQLite in a temporary folder, or the database in DATABASE_URL, which is
wiped), serves it with gunicorn (2 sync workers) on 127.0.0.1, starts ONE job worker
(`flask --app wsgi worker`, RQ on REDIS_URL or redis://127.0.0.1:6379/0, on a queue of its own) and
an SMTP server on loopback (aiosmtpd, which counts what it accepts). Then it measures the main
pages for a while with nothing running, uploads a roster of N new students through the roster page
with "invite by e-mail" ticked, and measures the same pages again while the job imports the roster,
writes the invitations and sends them. Prints the job's duration, the messages the SMTP server
accepted, and each page's p50/p99 without and during the job.
"""
import argparse
import http.client
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiosmtpd.controller import Controller  # noqa: E402

from bench.run import FLASK, Session, free_port, start_gunicorn  # noqa: E402


class Counter:
    """An SMTP handler that counts accepted messages and their distinct recipients."""

    def __init__(self, count):
        self.count = count
        self.recipients = set()

    async def handle_DATA(self, server, session, envelope):
        with self.count.get_lock():
            self.count.value += 1
        self.recipients.update(envelope.rcpt_tos)
        return "250 OK"


def serve_smtp(port, count, stop, distinct):
    """The loopback SMTP server, in a process of its own so that the page clients do not slow it."""
    handler = Counter(count)
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    stop.wait()
    controller.stop()
    distinct.put(len(handler.recipients))


class SmtpProcess:
    def __init__(self, port):
        self.count = multiprocessing.Value("i", 0)
        self.stop = multiprocessing.Event()
        self.distinct = multiprocessing.Queue()
        self.process = multiprocessing.Process(target=serve_smtp, args=(port, self.count, self.stop, self.distinct),
                                               daemon=True)
        self.process.start()
        self.recipients = 0

    def close(self):
        self.stop.set()
        self.recipients = self.distinct.get(timeout=30)
        self.process.join(10)


def roster(students: int) -> bytes:
    lines = ["email,full_name,faculty,group,student_id"]
    for n in range(students):
        faculty = f"Faculty {n % 8 + 1}"
        lines.append(f"invitee{n}@students.test,Invited Student {n},{faculty},INV-{n % 8 + 1}-{n // 25 % 100:02d},"
                     f"INV{n:06d}")
    return ("\n".join(lines) + "\n").encode()


def upload_roster(admin: Session, body: bytes) -> str:
    token = admin.csrf("/admin/roster")
    boundary = uuid.uuid4().hex
    parts = [f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n".encode(),
             f"--{boundary}\r\nContent-Disposition: form-data; name=\"invite\"\r\n\r\ny\r\n".encode(),
             f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"roster.csv\"\r\n"
             f"Content-Type: text/csv\r\n\r\n".encode() + body + b"\r\n",
             f"--{boundary}--\r\n".encode()]
    response, _ = admin.request("POST", "/admin/roster", b"".join(parts),
                                {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert response.status == 302, f"the roster upload answered {response.status}"
    return response.getheader("Location")


class Load:
    """A few clients asking for the main pages in turn, each request's latency kept per page."""

    def __init__(self, port: int, pages: list, clients: int):
        self.port, self.pages, self.clients = port, pages, clients
        self.latencies = {name: [] for name, _path, _session in pages}
        self.errors = 0
        self.stop = threading.Event()

    def client(self, offset: int):
        index = offset
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        while not self.stop.is_set():
            name, path, session = self.pages[index % len(self.pages)]
            index += 1
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers={"Cookie": session.cookie if session else ""})
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    self.errors += 1
            except (OSError, http.client.HTTPException):
                self.errors += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                continue
            self.latencies[name].append((time.perf_counter() - started) * 1000)
        connection.close()

    def run(self, until):
        threads = [threading.Thread(target=self.client, args=(n,), daemon=True) for n in range(self.clients)]
        for thread in threads:
            thread.start()
        until()
        self.stop.set()
        for thread in threads:
            thread.join()
        return self


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=20000)
    parser.add_argument("--clients", type=int, default=4, help="concurrent page clients during the measurement")
    parser.add_argument("--baseline-seconds", type=float, default=15)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="sanaly-invite-"))
    smtp_port = free_port()
    smtp = SmtpProcess(smtp_port)
    env = {**os.environ, "SECRET_KEY": "bench-secret", "UPLOAD_FOLDER": str(work / "uploads"),
           "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port), "MAIL_FROM": "Sanaly Urpaq <noreply@sanaly.test>",
           "BASE_URL": "http://sanaly.test", "JOBS_QUEUE": f"bench-{uuid.uuid4().hex}",
           "JOB_FILES_FOLDER": str(work / "job-files")}
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    env.pop("JOBS_MODE", None)
    env.setdefault("DATABASE_URL", f"sqlite:///{work / 'bench.db'}")
    database = "PostgreSQL" if env["DATABASE_URL"].startswith("postgresql") else "SQLite"
    if database == "PostgreSQL":
        subprocess.run(FLASK + ["db", "downgrade", "base"], cwd=ROOT, env=env, check=True, capture_output=True)
    print(f"building the demo instance on {database} …", flush=True)
    subprocess.run(FLASK + ["demo"], cwd=ROOT, env=env, check=True, capture_output=True)

    port = free_port()
    server = start_gunicorn("wsgi:app", port, env)
    worker = subprocess.Popen(FLASK + ["worker"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        student = Session(port).sign_in("student1@sanaly.test", "demo-password")
        curator = Session(port).sign_in("curator@sanaly.test", "demo-password")
        juror = Session(port).sign_in("jury1@sanaly.test", "demo-password")
        admin = Session(port).sign_in("admin@sanaly.test", "demo-password")
        pages = [
            ("home (student)", "/", student),
            ("lesson page", "/courses/fundamentals-of-anti-corruption-culture/what-is-corruption", student),
            ("juror's queue", "/jury/", juror),
            ("curator dashboard", "/coverage/", curator),
            ("ACS plan dashboard", "/admin/coverage/", admin),
            ("public results", "/contests/poem-2024-2025/results", None),
        ]
        print(f"measuring the pages for {args.baseline_seconds:g} s with no job running …", flush=True)
        baseline = Load(port, pages, args.clients).run(lambda: time.sleep(args.baseline_seconds))

        body = roster(args.students)
        print(f"uploading a roster of {args.students} new students with invitations ({len(body) // 1024} KB) …",
              flush=True)
        started = time.perf_counter()
        location = upload_roster(admin, body)
        job_path = location.split("://", 1)[-1].split("/", 1)[-1]
        job_path = "/" + job_path if not job_path.startswith("/") else job_path
        status = {}

        def until_finished():
            last = -1
            while True:
                _r, data = admin.request("GET", job_path.rstrip("/") + "/status.json")
                status.update(json.loads(data))
                if status["finished"]:
                    return
                if status["percent"] // 10 != last:
                    last = status["percent"] // 10
                    print(f"  {time.perf_counter() - started:6.0f} s  {status['percent']:3d}%  "
                          f"({status['done']}/{status['total']}) · {smtp.count.value} messages at the SMTP server",
                          flush=True)
                time.sleep(1)

        during = Load(port, pages, args.clients).run(until_finished)
        duration = time.perf_counter() - started
    finally:
        for process in (worker, server):
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        smtp.close()

    print(f"\n{args.students} students invited · {database} · gunicorn 2 sync workers · 1 job worker · "
          f"{args.clients} page clients · {os.cpu_count()} cores\n")
    print(f"job: {status.get('state')} in {duration:.0f} s ({args.students / duration:.0f} students/s, roster import "
          f"+ invitations written + sent); SMTP server accepted {smtp.count.value} messages for "
          f"{smtp.recipients} distinct recipients")
    print("\n| page | requests (none / during) | p50 ms none | p99 ms none | p50 ms during | p99 ms during |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, _path, _session in pages:
        quiet, busy = baseline.latencies[name], during.latencies[name]
        print(f"| {name} | {len(quiet)} / {len(busy)} | {percentile(quiet, .5):.1f} | {percentile(quiet, .99):.1f} | "
              f"{percentile(busy, .5):.1f} | {percentile(busy, .99):.1f} |")
    print(f"\nerrors: {baseline.errors} without the job, {during.errors} during it")
    return 0 if status.get("state") == "done" and smtp.count.value == args.students else 1


if __name__ == "__main__":
    sys.exit(main())
