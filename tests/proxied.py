"""The platform behind a real nginx (bench/proxy.py), as the proxy tests drive it: a browser reduced to its
cookies, and the demo with the environment the proxied processes share."""
import http.client
import os
import re
import uuid
from urllib.parse import urlencode

import pytest
import redis

from app.extensions import db
from bench.proxy import ProxiedSite, nginx_binary
from tests.conftest import TEST_AUDIT_KEY

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def needed(what: str):
    message = f"{what} (.ci/run installs and starts it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


class Browser:
    """A person's browser reduced to its cookies, talking to the proxy only."""

    def __init__(self, site: ProxiedSite):
        self.site, self.cookies = site, {}

    def open(self, method: str, path: str, host: str | None = None, form: dict | None = None,
             headers: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.site.port, timeout=60)
        sent = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), **(headers or {})}
        if host:
            sent["X-Pin-Host"] = host
        body = None
        if form is not None:
            body = urlencode(form)
            sent.update(FORM)
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        response.text = response.read().decode("utf-8", "replace")
        connection.close()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _sep, rest = value.partition("=")
                cookie_value = rest.split(";")[0]
                if cookie_value and "max-age=0" not in value.lower():
                    self.cookies[key] = cookie_value
                else:
                    self.cookies.pop(key, None)
        if host:
            assert self.site.host_of(response.getheader("X-Upstream")) == host
        return response

    def token(self, path: str, host: str) -> str:
        return CSRF.search(self.open("GET", path, host).text).group(1)

    def sign_in(self, email: str, first: str = "a", second: str = "b", password: str = "demo-password"):
        token = self.token("/login", first)        # the form from one host, the password to the other
        response = self.open("POST", "/login", second, {"csrf_token": token, "email": email, "password": password})
        assert response.status == 302, (email, response.status)
        return self


def demo_behind_nginx(app, setup_cli, database_url, tmp_path) -> dict:
    """The demo in the test's database, and the environment its proxied processes share (skips or fails, as
    `needed` says, without nginx or Redis)."""
    if nginx_binary() is None:
        needed("nginx is missing: apt-get install nginx")
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=3).ping()
    except redis.exceptions.ConnectionError:
        needed(f"no Redis answers at {REDIS_URL} (set TEST_REDIS_URL)")
    demo = setup_cli("demo")
    assert demo.exit_code == 0, demo.output
    db.session.remove()
    return {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "behind-nginx-secret", "REDIS_URL": REDIS_URL,
            "RATELIMIT_KEY_PREFIX": f"behind-nginx-{uuid.uuid4().hex}", "UPLOAD_FOLDER": str(tmp_path / "shared-uploads"),
            "AUDIT_SIGNING_KEY": TEST_AUDIT_KEY, "CONTENT_FOLDER": app.config["CONTENT_FOLDER"]}
