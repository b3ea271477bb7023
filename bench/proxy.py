"""The platform behind Debian's nginx, as a deployment runs it: used by the proxy tests and the rush.

    with TwoHosts(env, workers=2) as site:      # env: DATABASE_URL, REDIS_URL, SECRET_KEY, UPLOAD_FOLDER …
        site.port                               # nginx on loopback: the address people use
    with AttemptLane(env) as site:               # one host whose attempts in progress have workers of their own
        site.port

Every backend is a gunicorn on its own loopback port started with TRUSTED_PROXIES=1 (bench/run.py's, and
like it taken to be up once every worker has loaded the app); all share the database, Redis and the
uploads folder given in `env`. nginx runs in the foreground from a
configuration written to a temporary folder, and every answer names the backend that served it in
`X-Upstream`.

TwoHosts: two hosts (each standing for its own machine); requests are spread over both in turn, and a
request carrying `X-Pin-Host: a` or `b` goes to that host only (so a test can say which host does what).

AttemptLane: one host with two pools of workers. Whatever a student does in an attempt in progress — its
pages, saves and autosaves, the summary, the submission — goes to the "attempts" pool; every other page
goes to the "pages" pool, whose workers run at a lower CPU priority (nice 10). When arrivals outrun the
cores — a whole year signing in to the integrity hour at once — those arriving wait a little longer and
those already sitting the quiz do not. A deployment for PostgreSQL: on SQLite it made the saves slower (the
README's Performance section), most likely because a pages worker holds the database's one write lock at the
lower priority.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.run import free_port, launch_gunicorn, settled, workers_of  # noqa: E402

NGINX_CONFIG = """
worker_processes 1;
worker_rlimit_nofile 16384;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 8192; }}
http {{
  access_log off;
  client_body_temp_path {work}/body;
  proxy_temp_path {work}/proxy;
  fastcgi_temp_path {work}/fastcgi;
  uwsgi_temp_path {work}/uwsgi;
  scgi_temp_path {work}/scgi;
  client_max_body_size 25m;
  proxy_http_version 1.1;
  proxy_set_header Connection "";
  proxy_set_header Host $http_host;
  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
  proxy_set_header X-Forwarded-Proto $scheme;
  proxy_set_header X-Forwarded-Host $http_host;
  proxy_read_timeout 120s;
{routing}
}}
"""

TWO_HOSTS = """
  upstream both {{ server 127.0.0.1:{a} max_fails=0; server 127.0.0.1:{b} max_fails=0; keepalive 32; }}
  upstream host_a {{ server 127.0.0.1:{a}; keepalive 8; }}
  upstream host_b {{ server 127.0.0.1:{b}; keepalive 8; }}
  map $http_x_pin_host $pool {{ default both; a host_a; b host_b; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{ proxy_pass http://$pool; add_header X-Upstream $upstream_addr always; }}
  }}
"""

# The same routing as the README's "An integrity hour on a small server" (an attempt in progress: its
# pages, saves, autosaves, summary and submission, as app/quizzes/routes.py declares them; not its result).
ATTEMPT_LANE = """
  upstream attempts {{ server 127.0.0.1:{attempts}; keepalive 16; }}
  upstream pages {{ server 127.0.0.1:{pages}; keepalive 16; }}
  server {{
    listen 127.0.0.1:{port};
    location ~ ^/quizzes/attempts/[0-9]+(/save|/autosave|/finish|/submit)?$ {{
      proxy_pass http://attempts; add_header X-Upstream $upstream_addr always;
    }}
    location / {{ proxy_pass http://pages; add_header X-Upstream $upstream_addr always; }}
  }}
"""


def wait_for(port: int, process: subprocess.Popen, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} stopped with status {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer on port {port}")


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)


class ProxiedSite:
    """Named gunicorn backends behind one nginx; subclasses say which backends and how requests reach them."""

    routing = ""
    backends: dict[str, int] = {}      # name → nice value of its workers

    def __init__(self, env: dict, workers: int = 1):
        self.env = {**env, "TRUSTED_PROXIES": "1"}
        self.workers = workers
        self.processes: list[subprocess.Popen] = []
        self.hosts: dict[str, int] = {}
        self.port = 0

    def __enter__(self):
        binary = nginx_binary()
        if binary is None:
            raise RuntimeError("nginx is missing: apt-get install nginx")
        self.work = Path(tempfile.mkdtemp(prefix="sanaly-proxy-"))
        try:
            for name, nice in self.backends.items():     # all start at once, then each is waited for
                self.hosts[name] = free_port()
                self.processes.append(launch_gunicorn("wsgi:app", self.hosts[name], self.env, self.workers, nice))
            for name, process in zip(self.backends, self.processes):
                settled(process, self.hosts[name], self.workers)
            self.port = free_port()
            config = self.work / "nginx.conf"
            config.write_text(NGINX_CONFIG.format(
                work=self.work, routing=self.routing.format(port=self.port, **self.hosts)))
            nginx = subprocess.Popen([binary, "-p", str(self.work), "-c", str(config), "-g", "daemon off;"])
            self.processes.append(nginx)
            wait_for(self.port, nginx, "nginx")
        except BaseException:
            self.__exit__()
            raise
        return self

    def host_of(self, upstream: str) -> str:
        """Which backend an `X-Upstream` value names."""
        port = int(upstream.rsplit(":", 1)[-1])
        return next(name for name, value in self.hosts.items() if value == port)

    def worker_pids(self, backend: str | None = None) -> list[int]:
        """The gunicorn workers of every backend, or of the one named."""
        return [pid for name, process in zip(self.backends, self.processes) if backend in (None, name)
                for pid in workers_of(process.pid)]

    def proxy_pids(self) -> list[int]:
        """nginx's master process and its worker."""
        nginx = self.processes[len(self.backends)].pid
        return [nginx, *workers_of(nginx)]

    def __exit__(self, *_exc):
        nginx = self.processes[len(self.backends)] if len(self.processes) > len(self.backends) else None
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGQUIT if process is nginx else signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(getattr(self, "work", ""), ignore_errors=True)
        return False


class TwoHosts(ProxiedSite):
    routing = TWO_HOSTS
    backends = {"a": 0, "b": 0}


class AttemptLane(ProxiedSite):
    routing = ATTEMPT_LANE
    backends = {"attempts": 0, "pages": 10}
