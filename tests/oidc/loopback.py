"""Start the OpenID provider of tests/oidc/provider.mjs on a loopback port, and walk its sign-in pages."""
import json
import os
import re
import shutil
import socket
import subprocess
import threading
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

HERE = Path(__file__).resolve().parent
CLIENT_ID = "sanaly-platform"
CLIENT_SECRET = "loopback-client-secret-for-tests-only"

# The university's people as its provider knows them (login -> claims). Ann's provider says she is an
# admin: the platform must not believe it unless told to.
ACCOUNTS = {
    "ann": {"email": "Ann.Aliyeva@uni.test", "email_verified": True, "name": "Ann Aliyeva",
            "student_id": "S-1001", "group": "ЭЭ-24-1", "faculty": "Faculty of Energy", "roles": ["admin", "student"]},
    "ben": {"email": "ben.bekov@uni.test", "email_verified": True, "name": "Ben Bekov",
            "student_id": "S-1002", "group": "ГД-24-7", "faculty": "Faculty of Mining", "roles": "student jury"},
    "cat": {"email": "cat@uni.test", "email_verified": False, "name": "Cat Unverified", "student_id": "S-1003"},
    "dan": {"name": "Dan Noemail", "student_id": "S-1004"},
}


def _missing(what: str):
    message = f"{what} is not installed here; .ci/run installs it"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LoopbackProvider:
    """A real OpenID provider (node, `oidc-provider`) on 127.0.0.1, for as long as the object is running."""

    def __init__(self, redirect_uris: list[str], *, code_ttl: int = 60, accounts: dict | None = None,
                 port: int | None = None):
        if shutil.which("node") is None:
            _missing("Node.js")
        if not (HERE / "node_modules" / "oidc-provider").is_dir():
            _missing("oidc-provider (npm install in tests/oidc)")
        self.port = port or free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "OIDC_PORT": str(self.port), "OIDC_CODE_TTL": str(code_ttl),
                    "OIDC_ACCOUNTS": json.dumps(accounts or ACCOUNTS),
                    "OIDC_CLIENTS": json.dumps([{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                                                 "redirect_uris": redirect_uris}])}
        self.start()

    def start(self) -> None:
        """Start the provider (again, after stop()) and wait until it listens."""
        self.process = subprocess.Popen([shutil.which("node"), str(HERE / "provider.mjs")], cwd=HERE, env=self.env,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        ready = threading.Event()

        def wait_for_ready():
            for line in self.process.stdout:
                if line.startswith("ready "):
                    ready.set()
            ready.set()   # the output ended: the process is gone

        self.reader = threading.Thread(target=wait_for_ready, daemon=True)
        self.reader.start()
        if not ready.wait(20) or self.process.poll() is not None:
            self.stop()
            raise RuntimeError("the loopback OpenID provider did not start")

    def settings(self, **overrides) -> dict:
        """The platform's OIDC_* settings for this provider."""
        return {"OIDC_ISSUER": self.issuer, "OIDC_CLIENT_ID": CLIENT_ID, "OIDC_CLIENT_SECRET": CLIENT_SECRET,
                "OIDC_SCOPES": "openid email profile university", **overrides}

    def stop(self) -> None:
        """Stop the provider, and close its output once the reader has seen it end."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.reader.join(10)
        self.process.stdout.close()


def _form(html: str) -> tuple[str, dict]:
    action = re.search(r'<form[^>]*action="([^"]+)"', html)
    assert action, "the provider's page has no form:\n" + html[-800:]
    fields = dict(re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))
    return unescape(action.group(1)), fields


def sign_in_at_provider(authorize_url: str, login: str, callback_prefix: str) -> str:
    """Walk the provider's pages as a browser would (sign in as `login`, consent) and return the URL
    it sends the person back to (the platform's callback with code and state), without opening it."""
    browser = requests.Session()
    url, method, data = authorize_url, "GET", None
    for _step in range(12):
        response = browser.request(method, url, data=data, allow_redirects=False, timeout=10)
        if response.is_redirect:
            url, method, data = urljoin(url, response.headers["Location"]), "GET", None
            if url.startswith(callback_prefix):
                return url
            continue
        assert response.status_code == 200, f"{response.status_code} from the provider: {response.text[:500]}"
        action, fields = _form(response.text)
        if fields.get("prompt") == "login":
            fields.update(login=login, password="any password")
        url, method, data = urljoin(url, action), "POST", fields
    raise AssertionError("the provider never sent the person back")
