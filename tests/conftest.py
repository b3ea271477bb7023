"""Fixtures: a fresh schema per run (SQLite by default, PostgreSQL via DATABASE_URL), factories, sign-in.

The suite runs in parallel (pytest-xdist, `-n auto` in pyproject.toml: a worker per core and one more, see
`pytest_xdist_auto_num_workers`): each worker process owns its
database (a SQLite file in its temporary folder, or `<DATABASE_URL's database>_gw0`, `_gw1` … on
PostgreSQL) and its temporary folders; the copies of setup commands are shared (tests/snapshots.py);
`-n 0` runs it in one process.
"""
import os
import re
import resource
import sqlite3
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask import g, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url

from app import create_app
from app.core.heap import settle_heap
from app.extensions import db
from app.people import passwords
from app.people.models import Faculty, Group, User
from tests.snapshots import (LEFT, Snapshots, forget_what_this_process_keeps, shared_folder, sqlite_copy,
                             sqlite_copy_back, tables_holding_rows)
from tests.warm_connections import WarmConnections

# pytest imports this file as `conftest`, and the test modules import its helpers from `tests.conftest`: one module
# for both names, so that what it keeps (EMPTY_SQLITE below) and the listeners it registers exist once a process.
sys.modules.setdefault("tests.conftest", sys.modules[__name__])

PASSWORD = "correct horse battery"
TEST_AUDIT_KEY = "dGVzdCBhdWRpdCBrZXkgLSBub3QgZm9yIHByb2R1Y3Q="   # 32 bytes: never a real instance's
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# What the platform hashes with; the suite swaps in the cheapest Argon2id (see cheap_password_hashing).
PRODUCTION_HASHER, PRODUCTION_DUMMY = passwords.HASHER, passwords._DUMMY

# Where the machine says not to write bytecode (PYTHONDONTWRITEBYTECODE, as on our CI machines), every pytest
# process would rewrite the asserts of all ninety test modules anew (7 s of CPU each, two or three processes a
# run) and every command a test starts (flask, gunicorn) would compile the app anew. The suite keeps both under
# __pycache__ (which git ignores), as Python does by default.
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


def pytest_xdist_auto_num_workers(config):
    """`-n auto`: a worker per core and one more.

    A worker spends about a third of its time waiting rather than computing: on Chromium in the browser tests,
    on the commands and servers a test starts, on PostgreSQL. With one worker more than cores the cores stay
    busy (measured on 2 cores: SQLite 409 s with two workers, 350 s with three, 387 s with four).
    """
    return len(os.sched_getaffinity(0)) + 1


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing():
    """Hash with Argon2id at its cheapest: no test but one is about the hashing cost.

    tests/test_auth.py checks the production parameters, for real hashes and for the dummy hash an
    unknown account is checked against; the same-work tests count checks, which do not depend on cost.
    """
    passwords.HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    passwords._DUMMY = passwords.HASHER.hash("a password nobody has")
    yield
    passwords.HASHER, passwords._DUMMY = PRODUCTION_HASHER, PRODUCTION_DUMMY


@pytest.fixture(scope="session", autouse=True)
def url_rules_compiled_once():
    """Parse each URL rule and compile its builder once per run instead of once per app the tests build.

    Werkzeug parses every rule into parts and converters and turns it into Python source that it
    compiles when a blueprint is registered: nearly all of `create_app`'s time, paid again by each of
    the suite's hundreds of apps. The parts depend only on the rule's text, its domain and the map's
    converters (the same in every app `create_app` builds; converters keep no state and their `map` is
    never read); the builder only on the parts and defaults; the rule each serves is bound at call time.
    """
    from werkzeug.routing.rules import Rule

    compile_rule, compile_builder, parsed, compiled = Rule.compile, Rule._compile_builder, {}, {}

    def builder(self, append_unknown=True):
        key = (self.rule, tuple(self._trace), repr(sorted((self.defaults or {}).items())), append_unknown)
        if key not in compiled:
            compiled[key] = compile_builder(self, append_unknown)
        return compiled[key]

    def compile_once(self):
        domain = (self.host if self.map.host_matching else self.subdomain) or ""
        key = (self.rule, domain, self.merge_slashes, self.map.host_matching,
               tuple(sorted((name, id(kind)) for name, kind in self.map.converters.items())))
        if key not in parsed:
            compile_rule(self)
            parsed[key] = (tuple(self._parts), tuple(self._trace), dict(self._converters))
            return
        parts, trace, converters = parsed[key]
        self._parts, self._trace, self._converters = list(parts), list(trace), dict(converters)
        self.arguments.update(converters)
        self._build = self._compile_builder(False).__get__(self, None)
        self._build_unknown = self._compile_builder(True).__get__(self, None)

    Rule.compile, Rule._compile_builder = compile_once, builder
    yield
    Rule.compile, Rule._compile_builder = compile_rule, compile_builder


class SharedTemplateCode(BytecodeCache):
    """Compiled templates kept for every app the run builds (Jinja's bytecode cache, in memory).

    Each test builds its own app, whose Jinja environment would parse and compile every template it
    renders again: a sixth of the suite's time. The cache is keyed by template and checked against the
    template's source, as Jinja's own file cache is; every app comes from `create_app`, so from the
    same environment settings.
    """

    def __init__(self):
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        code = self.code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket):
        self.code[bucket.key] = bucket.bytecode_to_string()


SHARED_TEMPLATE_CODE = SharedTemplateCode()


def shares_compiled_templates(app):
    app.jinja_env.bytecode_cache = SHARED_TEMPLATE_CODE
    return app


@pytest.fixture(scope="session", autouse=True)
def toml_read_and_written_once_per_text():
    """Parse each TOML text and write each table once per run: both are pure functions of their input.

    Every load of the shipped content parses its files again (the loaders and `file_kind`), and every
    publish from an editor writes its item as content files and reads them back: an eighth of the time
    of the authoring tests went to TOML. Each caller still gets a table of its own (a copy through
    pickle), so a caller that changes what it read changes nothing for the next.
    """
    import pickle
    import tomllib

    import tomli_w

    loads, dumps, parsed, written = tomllib.loads, tomli_w.dumps, {}, {}

    def loads_once(text, **options):
        if options:
            return loads(text, **options)
        if text not in parsed:
            parsed[text] = pickle.dumps(loads(text))
        return pickle.loads(parsed[text])

    def dumps_once(table, **options):
        try:
            key = pickle.dumps((table, sorted(options.items())))
        except (pickle.PicklingError, TypeError, AttributeError):      # not plain data: tomli_w says what it makes of it
            return dumps(table, **options)
        if key not in written:
            written[key] = dumps(table, **options)
        return written[key]

    tomllib.loads, tomli_w.dumps = loads_once, dumps_once
    yield
    tomllib.loads, tomli_w.dumps = loads, dumps


@pytest.fixture(scope="session", autouse=True)
def markdown_rendered_once_per_text():
    """Render each Markdown text once per run: `render` is a pure function of its text.

    Loading the shipped content renders every lesson (a twelfth of the suite's time when it ran for
    real for each setting); the platform itself keeps no such cache, since what it renders at run time
    is what people write.
    """
    from app.core import markdown

    render, rendered = markdown.render, {}

    def once(text):
        if text not in rendered:
            rendered[text] = render(text)
        return rendered[text]

    markdown.render = once
    yield
    markdown.render = render


@pytest.fixture(scope="session", autouse=True)
def sql_compiled_once_per_database():
    """Compile each SQL statement once per run and database, not once per app the tests build.

    Every app gets its own engine, whose cache of compiled statements starts empty: each test compiled
    again every statement it ran. The engines of apps built for the same URL with the same options now
    share the first one's dialect and compiled cache: one engine serving all of the run's statements,
    which is what SQLAlchemy's cache is built for (its keys hold the statement's structure, the dialect
    and the schema translation). The Engine objects stay apart, so what is listened on one
    (`before_cursor_execute`, `commit`, the pool's `checkout`, …) fires for that engine only, and each
    pool still connects through its own dialect's connect hooks. A dialect is shared only once its first
    connection has initialized it (server version, default schema, isolation level), and only while
    no dialect event (`do_execute`, `handle_error`, …: listened on an engine, they land on its
    dialect) is attached to it; options that are not plain data (a `creator`, say) get an engine
    of their own.

    On PostgreSQL the engines also take their connections from those earlier apps closed, reset, instead of
    opening new ones (tests/warm_connections.py).
    """
    from flask_sqlalchemy import SQLAlchemy
    from sqlalchemy import event
    from sqlalchemy.engine import URL

    make_engine, initialized = SQLAlchemy._make_engine, {}
    warm = WarmConnections()

    def plain(value):
        if isinstance(value, URL):
            return value.render_as_string(hide_password=False)
        if isinstance(value, (str, int, float, bool, type(None), type)):
            return value
        if isinstance(value, (list, tuple)):
            return tuple(plain(item) for item in value)
        if isinstance(value, dict):
            return tuple(sorted((key, plain(item)) for key, item in value.items()))
        raise TypeError(type(value))

    def sharing(self, bind_key, options, app):
        try:
            key = plain(options)
        except TypeError:
            return make_engine(self, bind_key, options, app)
        if make_url(options["url"]).get_backend_name() == "postgresql":
            options = {**options, "creator": warm.creator(options["url"])}
        engine = make_engine(self, bind_key, options, app)
        if key not in initialized:
            dialect, cache = engine.dialect, engine._compiled_cache
            # Listened after create_engine's own first-connect hook, so it runs once that has initialized the dialect.
            event.listen(engine.pool, "connect", lambda *_: initialized.setdefault(key, (dialect, cache)), once=True)
        elif not initialized[key][0]._has_events:
            engine.dialect, engine._compiled_cache = initialized[key]
            engine.pool._dialect = engine.dialect
        return engine

    SQLAlchemy._make_engine = sharing
    yield
    SQLAlchemy._make_engine = make_engine
    warm.close_all()


@pytest.fixture(scope="session", autouse=True)
def what_is_left_in_place_is_emptied_before_use():
    """What the emptying left of a restored copy goes before anything but the next restore sees it (snapshots.py)."""
    yield from LEFT.watch()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item):
    LEFT.empty()     # the test's body sees an empty database unless its fixtures restored a copy


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """The database this process owns for the run: DATABASE_URL if set, else a temporary SQLite file.

    Under pytest-xdist each worker gets a database of its own: on PostgreSQL DATABASE_URL's database
    name with the worker's name appended (created when missing); SQLite files are per worker anyway
    (each worker has its own temporary folder).
    """
    url = os.environ.get("DATABASE_URL")
    if not url:
        return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return worker_database(url, worker) if worker else url


def worker_database(url: str, worker: str) -> str:
    """`url` with `_<worker>` appended to its database name; the database is created if it does not exist."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise pytest.UsageError(f"DATABASE_URL {parsed.get_backend_name()}: the parallel suite knows PostgreSQL "
                                "and SQLite only; run it with -n 0")
    name = f"{parsed.database}_{worker}"
    engine = create_engine(parsed, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            if not connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).first():
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def base_config(database_url, tmp_path) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": False,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "CONTENT_FOLDER": str(PROJECT_ROOT),
        "RATELIMIT_STORAGE_URI": "memory://",
        "REDIS_URL": None,
        "SERVER_NAME": "sanaly.test",
        "LOG_LEVEL": "WARNING",
        "AUDIT_SIGNING_KEY": TEST_AUDIT_KEY,
        "JOBS_MODE": "inline",      # a job runs before the request answers: tests see its outcome at once
        "SMTP_HOST": None,
        "BASE_URL": None,
        "JOB_FILES_FOLDER": str(tmp_path / "job-files"),
    }


def _drop_everything(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        else:
            rows = connection.execute(text("SELECT name FROM sqlite_master WHERE type='table'")).all()
            connection.execute(text("PRAGMA foreign_keys=OFF"))
            for (name,) in rows:
                if not name.startswith("sqlite_"):
                    connection.execute(text(f'DROP TABLE IF EXISTS "{name}"'))
    engine.dispose()


@event.listens_for(Engine, "connect")
def _sqlite_without_waiting_for_the_disk(dbapi_connection, _record):
    """SQLite: the suite's database file is written without waiting for the disk (`synchronous=OFF`).

    The app asks for NORMAL (app/extensions.py: no wait at a commit, a wait at each checkpoint of the
    write-ahead log); the suite's file is thrown away, as `_postgresql_written_faster` does
    for PostgreSQL. Registered after the app's listener, so it runs after it.
    """
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous=OFF")


def _postgresql_written_faster(url: str) -> None:
    """PostgreSQL: the suite's database commits without waiting for its write-ahead log to reach the disk.

    `synchronous_commit = off` for every session on that database (the app's, the servers and workers the
    tests start): a commit is as visible, as locked and as isolated as before and only a crash of the
    server could lose the last few, in a database the suite wipes anyway. Tests commit thousands of
    times; each flush to disk costs milliseconds. Needs the database's owner (or a superuser), else nothing changes.

    Also, where the server has it, long values are compressed with LZ4 rather than PostgreSQL's own pglz:
    the demo's copy that most tests start from holds 10 MB of lesson and quiz texts, which pglz took three
    times as long to store (240 ms against 80 ms for the four largest tables of a copy).
    """
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                name = connection.execute(text("SELECT current_database()")).scalar()
                owner = connection.execute(text(
                    "SELECT pg_has_role(current_user, datdba, 'USAGE') FROM pg_database WHERE datname = :name"),
                    {"name": name}).scalar()
                if owner:
                    connection.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
                    if connection.scalar(text("SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
                                              "WHERE name = 'default_toast_compression'")):
                        connection.execute(text(f'ALTER DATABASE "{name}" SET default_toast_compression = lz4'))
    finally:
        engine.dispose()


@contextmanager
def _postgresql_tables_unlogged():
    """PostgreSQL: the tables the migrations create in the suite's database are UNLOGGED — written without the
    write-ahead log.

    A test's writes, the emptying between tests and above all each restored demo copy (10 MB of lesson and quiz
    texts, hundreds of times a run) were each written twice, once into the log; the log serves recovery after a
    crash and replicas, neither of which a database the suite wipes has. What a statement sees, locks and
    commits is unchanged. Tables joined by a foreign key must be alike (and `ALTER TABLE … SET UNLOGGED` cannot
    change two that refer to each other), so each is created unlogged: the migrations' CREATE TABLE statements
    are rewritten as they run. The platform's own databases stay logged: this is the suite's schema only.
    """
    if db.engine.dialect.name != "postgresql":
        yield
        return

    def unlogged(_connection, _cursor, statement, parameters, _context, _executemany):
        if statement.lstrip().startswith("CREATE TABLE"):
            statement = statement.lstrip().replace("CREATE TABLE", "CREATE UNLOGGED TABLE", 1)
        return statement, parameters

    event.listen(db.engine, "before_cursor_execute", unlogged, retval=True)
    try:
        yield
    finally:
        event.remove(db.engine, "before_cursor_execute", unlogged)


# SQLite: each of this process's database files → a copy of it empty (as `_empty_tables` leaves it), made by `schema`;
# and how many tables holding rows make copying it back cheaper than deleting their rows: after a test that restored
# the demo (sixty tables), DELETE takes 31 ms of CPU and the backup API's copy of the empty file 3 ms; for a table or
# two, DELETE takes about 1 ms.
EMPTY_SQLITE: dict[str, str] = {}
COPY_BACK_OVER = 6


@pytest.fixture(scope="session")
def schema(database_url, tmp_path_factory):
    """Drop whatever the database holds and build the schema with the real migrations.

    On SQLite one connection stays open for the run: when the last connection to a database in WAL mode
    closes, SQLite checkpoints the log into the file and deletes it, and each test's apps close theirs.
    """
    _drop_everything(database_url)
    _postgresql_written_faster(database_url)
    app = create_app(base_config(database_url, tmp_path_factory.mktemp("schema")))
    with app.app_context():
        with _postgresql_tables_unlogged():
            upgrade()
        db.engine.dispose()
    held = sqlite3.connect(make_url(database_url).database) if database_url.startswith("sqlite:") else None
    if held is not None:
        held.execute("SELECT count(*) FROM sqlite_master").fetchall()     # opens the log: SQLite opens lazily
        # The empty database as `_empty_tables` leaves it (the migrations start the audit chain's head), for the
        # emptying to copy back (see there).
        EMPTY_SQLITE[make_url(database_url).database] = empty = str(tmp_path_factory.mktemp("empty") / "empty.db")
        sqlite_copy(held, empty)
    yield database_url
    if held is not None:
        held.close()


def _empty_tables() -> None:
    # One query finds the tables a test wrote to (a handful of the seventy); only those are emptied.
    with LEFT.quiet():
        names = db.session.execute(text(tables_holding_rows())).scalars().all()
        if len(names) > COPY_BACK_OVER and db.engine.url.database in EMPTY_SQLITE:
            sqlite_copy_back(EMPTY_SQLITE[db.engine.url.database])      # the copy holds the audit chain's head
        else:
            if db.engine.dialect.name == "postgresql":
                _empty_postgresql(names)
            else:
                # Lessons and their versions refer to each other: check foreign keys at commit.
                db.session.execute(text("PRAGMA defer_foreign_keys=ON"))
                for name in names:
                    db.session.execute(text(f'DELETE FROM "{name}"'))
            db.session.execute(text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :h)"), {"h": "0" * 64})
            db.session.commit()
    forget_what_this_process_keeps()


def _empty_postgresql(names: list[str]) -> None:
    """Empty the tables that hold rows and start every used id sequence again.

    TRUNCATE makes new files for each table and index it names (and for every table that refers to
    one): seconds per test. DELETE of the few rows a test wrote takes milliseconds, with foreign-key
    triggers off so that tables referring to each other empty in any order; that needs a superuser
    (as in CI), anyone else gets TRUNCATE.
    """
    if names and db.session.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar():
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
        for name in LEFT.leave_in_place(names):   # a restored copy's tables may stay for the next (tests/snapshots.py)
            db.session.execute(text(f'DELETE FROM "{name}"'))
    elif names:
        db.session.execute(text("TRUNCATE " + ", ".join(f'"{name}"' for name in names) + " CASCADE"))
    used = db.session.execute(text("SELECT quote_ident(sequencename) FROM pg_sequences "
                                   "WHERE schemaname = 'public' AND last_value IS NOT NULL")).scalars().all()
    if used:
        db.session.execute(text("SELECT " + ", ".join(f"setval('public.{name}', 1, false)" for name in used)))


class FreshUserClient(FlaskClient):
    """A test client whose every request loads the signed-in person anew.

    Tests keep an application context open, and Flask shares it (and `g`) with the requests the
    client makes; Flask-Login caches the person in `g`, Flask-Babel the language. Real requests
    each get their own context. Like a real server, it reads each response whole and closes it, so
    that a file a page sends (a picture, minutes, evidence) is closed when the response is read, and
    closes the body it sent.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            g.pop("_login_user", None)
            g.pop("_flask_babel", None)
        kwargs.setdefault("buffered", True)
        response = super().open(*args, **kwargs)
        for answered in (*response.history, response):      # a large body is sent from a temporary file
            answered.request.environ["wsgi.input"].close()
        return response


@pytest.fixture
def make_app(schema, tmp_path):
    """Build an app on the suite's database; extra settings override the test defaults."""
    apps = []

    def build(**overrides):
        app = shares_compiled_templates(create_app({**base_config(schema, tmp_path), **overrides}))
        app.test_client_class = FreshUserClient
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        _empty_tables()
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def snapshots(tmp_path_factory, pytestconfig):
    """The copies of what `demo` and `load-content` left, by setting, shared by the run's workers (snapshots.py)."""
    snapshots = Snapshots(shared_folder(tmp_path_factory))
    pytestconfig._setup_cli_counts = snapshots.counts
    return snapshots


_RUN = {"tests": 0, "started": time.monotonic()}     # this process's: the tests it ran, since when


def pytest_sessionstart(session):
    _RUN["started"] = time.monotonic()


def pytest_collection_finish(session):
    """What is alive once the tests are collected (the app's modules, the libraries, the test modules) lives
    for the whole run: it is frozen out of the garbage collector's walks, and the youngest generation is
    collected every 5,000 allocations instead of 700, as in a worker (app/core/heap.py).

    A worker's heap is large, and each full collection walked all of it again: about 180 ms each, a tenth
    of a test module's CPU (measured with `gc.callbacks` on tests/test_quizzes.py, test_coverage.py and
    test_contests.py, `-n 0`: 2.6 s of 21 s in collections, 1.1 s after). What the tests create is
    collected as before.
    """
    settle_heap()


def pytest_runtest_logreport(report):
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        _RUN["tests"] += 1


def pytest_sessionfinish(session):
    """On a pytest-xdist worker: hand the controller what this worker did (see pytest_terminal_summary)."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        output["suite"] = {"tests": _RUN["tests"], "wall": time.monotonic() - _RUN["started"],
                           "cpu": usage.ru_utime + usage.ru_stime,
                           "counts": dict(getattr(session.config, "_setup_cli_counts", None) or {})}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """On the controller: keep each worker's figures (pytest-xdist calls this as a worker finishes)."""
    figures = getattr(node, "workeroutput", {}).get("suite")
    if figures:
        node.config._worker_figures = {**getattr(node.config, "_worker_figures", {}),
                                       node.gateway.id: figures}


def pytest_terminal_summary(terminalreporter):
    """Say how often a setup command ran and how often its copy served instead, and how the workers shared the run."""
    config = terminalreporter.config
    workers = getattr(config, "_worker_figures", {})
    counts = dict(getattr(config, "_setup_cli_counts", None) or {"real": 0, "copied": 0})
    for figures in workers.values():
        for key, value in figures["counts"].items():
            counts[key] = counts.get(key, 0) + value
    if sum(counts.values()):
        terminalreporter.write_line(f"setup commands (demo, load-content): {counts['real']} run, "
                                    f"{counts['copied']} copied")
    for name, figures in sorted(workers.items()):
        terminalreporter.write_line(f"worker {name}: {figures['tests']} tests in {figures['wall']:.0f} s, "
                                    f"{figures['cpu']:.0f} s CPU")


@pytest.fixture
def setup_cli(app, runner, snapshots):
    """Run `demo` or `load-content` as a test's first step: for real once per setting, then from a copy.

    Returns what `runner.invoke` would (exit_code, output). Only on the database the `app` fixture just
    emptied; anywhere else the command runs for real (see tests/snapshots.py). `then` names more commands
    to run on what the first left, `setup_cli("seed-scale", "--students", "10", then=[("demo",)])`: the copy
    holds what all of them left, the outcome is the last one's.
    """
    return lambda *args, then=(): snapshots.run(app, runner, args, then)


@pytest.fixture
def make_faculty(app):
    def build(name="Faculty of Energy"):
        faculty = db.session.execute(db.select(Faculty).where(Faculty.name == name)).scalar_one_or_none()
        if faculty is None:
            faculty = Faculty(name=name)
            db.session.add(faculty)
            db.session.commit()
        return faculty
    return build


@pytest.fixture
def make_group(app, make_faculty):
    def build(code="ЭЭ-24-1", faculty="Faculty of Energy"):
        group = Group(code=code, faculty=make_faculty(faculty))
        db.session.add(group)
        db.session.commit()
        return group
    return build


@pytest.fixture
def make_user(app):
    counter = iter(range(1, 100000))

    def build(email=None, *, roles=("student",), group=None, password=PASSWORD, active=True, name=None):
        number = next(counter)
        user = User(email=email or f"person{number}@uni.test", full_name=name or f"Person {number}",
                    active=active, group=group)
        user.set_roles(roles)
        if password:
            user.set_password(password)
        db.session.add(user)
        db.session.commit()
        return user
    return build


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, email, password=PASSWORD, **extra):
        return self.client.post("/login", data={"email": email, "password": password, **extra})

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return Auth(client)


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def run_together(app, task, arguments):
    """Run `task(ready, *args)` for each args at the same moment, each in its own thread and session.

    The task loads what it needs, calls `ready()` to wait for the others, then acts; its session
    is committed and removed. Returns the results in order; re-raises the first error.
    """
    barrier = threading.Barrier(len(arguments))
    results, errors = [None] * len(arguments), []

    def worker(index, args):
        with app.app_context():
            try:
                results[index] = task(barrier.wait, *args)
                db.session.commit()
            except Exception as error:  # pragma: no cover - re-raised below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i, args)) for i, args in enumerate(arguments)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results
