"""Configuration read from the environment, with the defaults DESIGN.md fixes."""
import os
import secrets
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def write_once(path: Path, text: str) -> bool:
    """Create `path` holding `text`, mode 0600, unless it exists; say whether this call created it.

    Several processes may try at once (gunicorn's workers on a fresh install, a test run's): each writes a
    private draft and links it into place, which puts the whole file there or fails because another
    process's came first. Nobody reads a half-written file, and all end up reading the same one."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.link(draft, path)
        return True
    except FileExistsError:
        return False
    finally:
        os.unlink(draft)


def instance_secret_key(instance_path: str) -> str:
    """Return the secret key kept in the instance folder, creating it once (`write_once`)."""
    path = Path(instance_path) / "secret_key"
    write_once(path, secrets.token_hex(32))
    return path.read_text().strip()


def make_private(instance_path: str, database_uri: str) -> None:
    """Keep the instance folder and an SQLite database readable by the platform's own user only.

    The folder holds the secret key and, by default, the database with every person's data; SQLite
    gives its -wal and -shm files the database file's permissions, so creating the file 0600 first
    covers them too."""
    try:
        os.chmod(instance_path, 0o700)
    except OSError:   # a folder we do not own (a packaged install): leave it to its owner
        pass
    if not database_uri.startswith("sqlite:///") or database_uri in ("sqlite:///", "sqlite:///:memory:"):
        return
    path = Path(database_uri.removeprefix("sqlite:///").split("?", 1)[0])
    if path.name == ":memory:":
        return
    try:
        if path.exists():
            os.chmod(path, 0o600)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    except OSError:
        pass


def from_environment(instance_path: str) -> dict:
    """Build the configuration mapping from environment variables."""
    database_url = os.environ.get("DATABASE_URL") or (
        "sqlite:///" + str(Path(instance_path) / "sanaly.db")
    )
    redis_url = os.environ.get("REDIS_URL") or None
    secure_cookies = os.environ.get("SESSION_COOKIE_SECURE", "").lower() in {"1", "true", "yes"}
    proxies = os.environ.get("TRUSTED_PROXIES", "0").strip() or "0"
    if not proxies.isdigit() or int(proxies) > 10:
        raise ValueError("TRUSTED_PROXIES must be the number of reverse proxies in front of the platform (0-10)")
    zone = os.environ.get("TIME_ZONE", "").strip() or "Asia/Almaty"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"TIME_ZONE must be an IANA time zone such as Asia/Almaty, not {zone!r}") from None
    settings = {
        **oidc_from_environment(),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or instance_secret_key(instance_path),
        "UPLOAD_FOLDER": os.environ.get("UPLOAD_FOLDER") or str(PROJECT_ROOT / "uploads"),
        "CONTENT_FOLDER": os.environ.get("CONTENT_FOLDER") or str(PROJECT_ROOT),
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        "TRUSTED_PROXIES": int(proxies),
        # Signs the audit log's checkpoints; unset: a key file created once in the instance folder.
        "AUDIT_SIGNING_KEY": os.environ.get("AUDIT_SIGNING_KEY") or None,
        "AUDIT_LOG_ORIGIN": os.environ.get("AUDIT_LOG_ORIGIN") or None,
        "TIME_ZONE": zone,
        **mail_and_jobs(instance_path),
    }
    if os.environ.get("RATELIMIT_KEY_PREFIX"):   # several instances sharing one Redis keep apart by it
        settings["RATELIMIT_KEY_PREFIX"] = os.environ["RATELIMIT_KEY_PREFIX"]
    return settings


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def mail_and_jobs(instance_path: str) -> dict:
    """SMTP, the platform's public address (for links in e-mail) and where background jobs run."""
    port = os.environ.get("SMTP_PORT", "").strip()
    if port and not port.isdigit():
        raise ValueError("SMTP_PORT must be a port number")
    mode = os.environ.get("JOBS_MODE", "").strip() or None
    if mode not in (None, "rq", "thread", "inline"):
        raise ValueError("JOBS_MODE must be rq, thread or inline")
    return {
        "SMTP_HOST": os.environ.get("SMTP_HOST", "").strip() or None,   # unset: no e-mail is sent
        "SMTP_PORT": int(port) if port else (465 if _flag("SMTP_SSL") else 587 if _flag("SMTP_STARTTLS") else 25),
        "SMTP_USER": os.environ.get("SMTP_USER") or None,
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD") or None,
        "SMTP_STARTTLS": _flag("SMTP_STARTTLS"),
        "SMTP_SSL": _flag("SMTP_SSL"),
        "MAIL_FROM": os.environ.get("MAIL_FROM") or "Sanaly Urpaq <noreply@localhost>",
        "BASE_URL": (os.environ.get("BASE_URL") or "").rstrip("/") or None,
        "JOBS_MODE": mode,
        "JOBS_QUEUE": os.environ.get("JOBS_QUEUE") or "sanaly",
        "JOB_FILES_FOLDER": os.environ.get("JOB_FILES_FOLDER") or str(Path(instance_path) / "job-files"),
    }


def oidc_from_environment() -> dict:
    """Read the single sign-on settings (OpenID Connect); unset OIDC_ISSUER turns it off."""
    issuer = os.environ.get("OIDC_ISSUER", "").strip().rstrip("/")
    settings = {
        "OIDC_ISSUER": issuer or None,
        "OIDC_CLIENT_ID": os.environ.get("OIDC_CLIENT_ID", "").strip() or None,
        "OIDC_CLIENT_SECRET": os.environ.get("OIDC_CLIENT_SECRET", "").strip() or None,
        "OIDC_SCOPES": os.environ.get("OIDC_SCOPES", "").strip() or "openid email profile",
        "OIDC_MATCH_CLAIM": os.environ.get("OIDC_MATCH_CLAIM", "").strip() or "email",
        "OIDC_NAME_CLAIM": os.environ.get("OIDC_NAME_CLAIM", "").strip() or "name",
        "OIDC_CREATE_STUDENTS": _flag("OIDC_CREATE_STUDENTS"),
        "OIDC_GROUP_CLAIM": os.environ.get("OIDC_GROUP_CLAIM", "").strip() or None,
        "OIDC_FACULTY_CLAIM": os.environ.get("OIDC_FACULTY_CLAIM", "").strip() or None,
        "OIDC_ROLES_CLAIM": os.environ.get("OIDC_ROLES_CLAIM", "").strip() or None,
        "OIDC_MANAGED_ROLES": os.environ.get("OIDC_MANAGED_ROLES", "").strip() or "student,staff",
    }
    if issuer and not (settings["OIDC_CLIENT_ID"] and settings["OIDC_CLIENT_SECRET"]):
        raise ValueError("OIDC_ISSUER is set: OIDC_CLIENT_ID and OIDC_CLIENT_SECRET must be set too")
    if issuer and not issuer.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise ValueError("OIDC_ISSUER must be an https:// address")
    return settings


class Defaults:
    """Settings that do not depend on the environment."""

    # No ping on every checkout: on PostgreSQL a connection is checked without a round trip (app/core/connections.py).
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 14
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    WTF_CSRF_TIME_LIMIT = None
    BABEL_DEFAULT_LOCALE = "en"
    LANGUAGES = {"en": "English", "kk": "Қазақша", "ru": "Русский"}
    RATELIMIT_HEADERS_ENABLED = False
    RATELIMIT_KEY_PREFIX = "sanaly"
    # Sign-in throttling: failed attempts allowed per account and per network address.
    LOGIN_LIMIT_PER_ACCOUNT = "5 per 5 minutes"
    LOGIN_LIMIT_PER_ADDRESS = "30 per 5 minutes"
    PASSWORD_LINK_MAX_AGE = 7 * 24 * 60 * 60
    PAGE_SIZE = 50
    IDLE_TIMEOUT_MINUTES = 60
    # Single sign-on: seconds to wait for the identity provider, and to remember that it did not answer.
    OIDC_TIMEOUT = 5
    OIDC_RETRY_AFTER = 30
