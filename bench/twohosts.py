"""Two app hosts behind Debian's nginx, as a multi-host deployment runs: used by the two-host test and the rush.

    with TwoHosts(env, workers=2) as site:      # env: DATABASE_URL, REDIS_URL, SECRET_KEY, UPLOAD_FOLDER …
        site.port                               # nginx on loopback: the address people use

Each host is a gunicorn on its own loopback port (standing for its own machine), started with
TRUSTED_PROXIES=1; both share the database, Redis and the uploads folder given in `env`. nginx runs
in the foreground from a configuration written to a temporary folder. It spreads requests over
both hosts in turn; a request carrying `X-Pin-Host: a` or `b` goes to that host only (so a test can
say which host does what), and every answer names the host that served it in `X-Upstream`.
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

ROOT = Path(__file__).resolve().parent.parent

NGINX_CONFIG = """
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {work}/body;
  proxy_temp_path {work}/proxy;
  fastcgi_temp_path {work}/fastcgi;
  uwsgi_temp_path {work}/uwsgi;
  scgi_temp_path {work}/scgi;
  client_max_body_size 25m;
  upstream both {{ server 127.0.0.1:{a} max_fails=0; server 127.0.0.1:{b} max_fails=0; keepalive 32; }}
  upstream host_a {{ server 127.0.0.1:{a}; keepalive 8; }}
  upstream host_b {{ server 127.0.0.1:{b}; keepalive 8; }}
  map $http_x_pin_host $pool {{ default both; a host_a; b host_b; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://$pool;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_read_timeout 120s;
      add_header X-Upstream $upstream_addr always;
    }}
  }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


class TwoHosts:
    def __init__(self, env: dict, workers: int = 1, log_level: str = "warning"):
        self.env = {**env, "TRUSTED_PROXIES": "1"}
        self.workers, self.log_level = workers, log_level
        self.processes: list[subprocess.Popen] = []
        self.hosts: dict[str, int] = {}
        self.port = 0

    def __enter__(self):
        binary = nginx_binary()
        if binary is None:
            raise RuntimeError("nginx is missing: apt-get install nginx")
        self.work = Path(tempfile.mkdtemp(prefix="sanaly-proxy-"))
        try:
            for name in ("a", "b"):
                port = free_port()
                process = subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "-w", str(self.workers), "-b", f"127.0.0.1:{port}",
                     "--log-level", self.log_level, "wsgi:app"], cwd=ROOT, env=self.env)
                self.processes.append(process)
                self.hosts[name] = port
            for name, process in zip(("a", "b"), self.processes):
                wait_for(self.hosts[name], process, f"host {name}")
            self.port = free_port()
            config = self.work / "nginx.conf"
            config.write_text(NGINX_CONFIG.format(work=self.work, a=self.hosts["a"], b=self.hosts["b"], port=self.port))
            nginx = subprocess.Popen([binary, "-p", str(self.work), "-c", str(config), "-g", "daemon off;"])
            self.processes.append(nginx)
            wait_for(self.port, nginx, "nginx")
        except BaseException:
            self.__exit__()
            raise
        return self

    def host_of(self, upstream: str) -> str:
        """Which host ("a" or "b") an `X-Upstream` value names."""
        port = int(upstream.rsplit(":", 1)[-1])
        return next(name for name, value in self.hosts.items() if value == port)

    def worker_pids(self) -> list[int]:
        """The gunicorn workers of both hosts."""
        masters = {p.pid for p in self.processes[:2]}
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().split(") ")[-1].split()
            except OSError:
                continue
            if int(fields[1]) in masters:
                found.append(int(stat.parent.name))
        return found

    def __exit__(self, *_exc):
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM if process is not self.processes[-1] or len(self.processes) < 3
                                    else signal.SIGQUIT)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(getattr(self, "work", ""), ignore_errors=True)
        return False
