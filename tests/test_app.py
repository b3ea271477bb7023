"""The application factory and configuration from the environment."""
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from app import create_app
from app.config import from_environment
from app.extensions import db


def test_defaults_follow_the_design(monkeypatch, tmp_path):
    for name in ("DATABASE_URL", "SECRET_KEY", "UPLOAD_FOLDER", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    config = from_environment(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/sanaly.db"
    assert config["UPLOAD_FOLDER"].endswith("uploads")
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert len(config["SECRET_KEY"]) == 64


def test_secret_key_is_generated_once_and_kept(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = from_environment(str(tmp_path))["SECRET_KEY"]
    second = from_environment(str(tmp_path))["SECRET_KEY"]
    assert first == second
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_processes_starting_together_on_a_fresh_install_share_one_secret_key(monkeypatch, tmp_path):
    """A worker that found no key, then lost the race to write one, takes the key the winner wrote."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    winner = from_environment(str(tmp_path))["SECRET_KEY"]
    looked = []
    real_exists = Path.exists

    def not_yet(self):   # this worker looked before the winner's file was there
        if self.name == "secret_key" and not looked:
            looked.append(self)
            return False
        return real_exists(self)

    monkeypatch.setattr(Path, "exists", not_yet)
    assert from_environment(str(tmp_path))["SECRET_KEY"] == winner
    assert looked and [item.name for item in tmp_path.iterdir()] == ["secret_key"]   # no draft left behind


def test_environment_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@127.0.0.1/x")
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    monkeypatch.setenv("UPLOAD_FOLDER", "/srv/uploads")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    config = from_environment(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@127.0.0.1/x"
    assert config["SECRET_KEY"] == "s3cret"
    assert config["UPLOAD_FOLDER"] == "/srv/uploads"
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"


def test_factory_builds_independent_apps(make_app):
    first, second = make_app(), make_app(PAGE_SIZE=7)
    assert first is not second
    assert second.config["PAGE_SIZE"] == 7 and first.config["PAGE_SIZE"] != 7
    assert {"core", "auth", "people_admin", "plan", "audit"} <= set(first.blueprints)


def test_session_cookie_is_httponly_and_samesite(app, client, make_user, auth):
    make_user("a@uni.test")
    response = auth.login("a@uni.test")
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secure_cookies_when_configured(monkeypatch, tmp_path):
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "true")
    config = from_environment(str(tmp_path))
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's connection settings; PostgreSQL has none of these")
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
    assert isinstance(db.engine.raw_connection().driver_connection, sqlite3.Connection)


def test_health_check_answers_without_a_session(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert "Set-Cookie" not in response.headers


def test_anonymous_home_page_sets_no_cookie(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert b"Page not found" in response.data


def test_create_app_does_not_need_a_request(tmp_path, schema):
    app = create_app({"SQLALCHEMY_DATABASE_URI": schema, "SECRET_KEY": "x", "TESTING": True})
    with app.app_context():
        assert db.session.execute(text("SELECT 1")).scalar() == 1
        db.engine.dispose()


def test_the_instance_folder_and_the_sqlite_database_are_the_owners_alone(tmp_path):
    from app.config import make_private

    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    database = instance / "sanaly.db"
    make_private(str(instance), f"sqlite:///{database}")
    connection = sqlite3.connect(database)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE t (x)")
    connection.execute("INSERT INTO t VALUES (1)")
    connection.commit()
    created = [instance, database, instance / "sanaly.db-wal", instance / "sanaly.db-shm"]
    assert all(path.exists() for path in created)
    assert [oct(path.stat().st_mode & 0o077) for path in created] == ["0o0"] * 4
    connection.close()


def test_the_running_apps_sqlite_file_is_private(app):
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if not uri.startswith("sqlite:///"):
        pytest.skip("the database is not an SQLite file")
    assert Path(uri.removeprefix("sqlite:///")).stat().st_mode & 0o077 == 0
    assert Path(app.instance_path).stat().st_mode & 0o077 == 0
