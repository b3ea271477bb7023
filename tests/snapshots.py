"""Copies of what a setup command left behind, so the suite runs `demo` or `load-content` once per setting.

Many tests start from the demo instance or from the shipped content; building either takes seconds
(hundreds of Markdown pages, images, events and their listeners), while copying the rows and files it
left takes milliseconds. The first test that runs a command with a given setting runs it for real and
keeps a copy of the whole database and of the upload folders; the next test with the same setting gets
that copy. A setting may be a chain of commands, each run on what the one before left (`seed-scale` then
`demo`, for the instance the query-count tests measure). Tests of the commands themselves still run them
(they call `runner.invoke`).

The copies are shared by the processes of one run (pytest-xdist's workers): they live in a folder common
to the run (see `shared_folder`), one per setting, and the first worker that needs a setting builds it
while holding a lock on that setting's lock file (`fcntl.flock`); a worker that waited for the lock, or
comes later, loads the copy instead of running the command. Each worker has a database of its own, so a
copy holds nothing that names one: the database's address is left out of the setting (only its kind
counts), the upload folders are per test and copied as folders, content paths in the database are
relative to the content folder.

A copy is taken and given back only on a database just emptied by the `app` fixture (anything else: the
command runs for real), and only for the same command, application settings, content files (what they hold), day (the
demo is built around today) or frozen clock. With the real clock a copy older than MAX_AGE is rebuilt,
so a test never sees a demo built long before it ran.

SQLite: the online backup API copies the database file page by page, both ways. PostgreSQL: each
table's rows through COPY in its binary form (the server stores them without parsing text: the demo's
content revisions, 5 MB, in 30 ms instead of 52), kept in a file of the copy (nothing is added to the
database, which backups dump whole), given back with foreign-key triggers off (`session_replication_role`)
and the sequences where they were. A copy serves one run, whose schema does not change.

PostgreSQL also leaves a restored copy in place between tests, table by table: a test writes to a handful of
the sixty tables the demo fills, and deleting and copying back the others (10 MB of lesson and quiz texts among
them) was most of what a restore cost the server. Emptying the database leaves a table as the last restore wrote
it if each row that restore wrote is still there unchanged (its transaction is still their `xmin`, and as many
hold it as it wrote); rows a test only added are deleted by their `xmin`, anything else empties the table. The
next restore of the same copy skips what was left. Anything else empties those tables first, before it can see
them: any statement this process sends through SQLAlchemy (an engine listener), a process it starts, the test's
own body (see `Left`).
"""
import fcntl
import functools
import hashlib
import os
import pickle
import shutil
import sqlite3
import subprocess
import threading
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import psycopg
from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url

from app.core.cache import MemoryStore, cache, immutables
from app.core.clock import now, today, utcnow
from app.extensions import db

MAX_AGE = timedelta(minutes=10)
FOLDERS = ("UPLOAD_FOLDER", "JOB_FILES_FOLDER")          # per-test paths: copied, not part of the setting
CONTENT_SUBFOLDERS = ("plans", "quizzes", "contests", "courses")


@contextmanager
def held(lock_path: Path):
    """Hold an exclusive lock on this file (made if missing) across the run's worker processes."""
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def shared_folder(tmp_path_factory) -> Path:
    """The run's folder for the copies: common to pytest-xdist's workers, the run's own folder without them.

    Each worker's temporary folder is `<the run's>/popen-gw0`, `…/popen-gw1` … (or `<--basetemp>/gw0` …).
    """
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "setup-copies"
    folder.mkdir(exist_ok=True)
    return folder


@dataclass
class Outcome:
    """What `runner.invoke` answers, kept for the copies: the exit code and the output."""

    exit_code: int
    output: str


@dataclass
class Snapshot:
    outcome: Outcome
    taken_at: object
    database: object            # SQLite: the path of a copy; PostgreSQL: ({table: binary COPY}, sequences)
    folders: dict


class Snapshots:
    """The run's copies, by setting, in `folder`; `run(app, runner, args)` is what the `setup_cli` fixture calls.

    It runs in an application context of `app` (the `app` fixture's), whose session it commits and removes.
    Every process that shares `folder` shares the copies.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.copies: dict = {}          # this process's, by key: the copies it took or loaded
        self.counts = {"real": 0, "copied": 0}
        self.digests: dict = {}

    def run(self, app, runner, args: tuple[str, ...], then: Iterable[tuple[str, ...]] = ()) -> Outcome:
        """Run the command `args` (then each command of `then` on what it left, while they succeed), or give back
        the copy of what they left; the outcome is the last command's."""
        commands = (tuple(args), *map(tuple, then))
        key = self._key(app, commands)
        with LEFT.quiet():
            fresh = _just_emptied(app) and _may_copy()
        if not fresh:
            self.counts["real"] += 1
            return _invoke(runner, commands)
        copy = self.copies.get(key)
        if not _fresh(app, copy):
            with self._lock(key):
                copy = self._load(key)
                if not _fresh(app, copy):
                    outcome = _invoke(runner, commands)
                    self.counts["real"] += 1
                    if outcome.exit_code == 0:
                        self.copies[key] = self._take(app, key, outcome)
                    return outcome
            self.copies[key] = copy
        _restore(app, copy)
        self.counts["copied"] += 1
        return copy.outcome

    def _key(self, app, commands) -> str:
        # Each worker has a database of its own: what counts is its kind, not its address.
        config = {**app.config, "SQLALCHEMY_DATABASE_URI": make_url(app.config["SQLALCHEMY_DATABASE_URI"]).drivername}
        setting = sorted((name, _stable(value)) for name, value in config.items()
                         if name not in FOLDERS and name not in ("NOW_FUNCTION", "CONTENT_FOLDER"))
        moment = now() if "NOW_FUNCTION" in app.config else today()
        return hashlib.sha256(repr((commands, setting, moment, self._content(app))).encode()).hexdigest()

    def _content(self, app) -> list:
        """The content files by their path under the content folder and what they hold.

        The database keeps content paths relative to the folder, so two tests that copied the same
        files into folders of their own share a copy.
        """
        root = Path(app.config["CONTENT_FOLDER"])
        files = []
        for sub in CONTENT_SUBFOLDERS:
            for path in sorted((root / sub).rglob("*")):
                if path.is_file():
                    stat = path.stat()
                    known = (str(path), stat.st_mtime_ns, stat.st_size)
                    if known not in self.digests:
                        self.digests[known] = hashlib.sha256(path.read_bytes()).hexdigest()
                    files.append((str(path.relative_to(root)), self.digests[known]))
        return files

    def _lock(self, key: str):
        """Hold the setting's lock: one process at a time looks for its copy or builds it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        return held(self.folder / f"{key}.lock")

    def _load(self, key: str) -> Snapshot | None:
        try:
            return pickle.loads((self.folder / f"{key}.pickle").read_bytes())
        except FileNotFoundError:
            return None

    def _take(self, app, key: str, outcome: Outcome) -> Snapshot:
        """Copy what the command left into a folder of its own and publish it under `key` for every process.

        A copy's folder is never written again (a rebuilt one gets a new folder), so a process may keep
        restoring from a copy it loaded while another replaces it.
        """
        number = 1 + sum(1 for _ in self.folder.glob(f"{key}-*"))
        where = self.folder / f"{key}-{os.getpid()}-{number}"
        where.mkdir()
        folders = {}
        for name in FOLDERS:
            source = Path(app.config[name])
            if source.exists():
                folders[name] = where / name
                shutil.copytree(source, folders[name])
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            database = _pg_take()
        else:
            database = where / "database.db"
            with db.engine.connect() as connection:
                sqlite_copy(connection.connection.driver_connection, database)
        snapshot = Snapshot(outcome, utcnow(), database, folders)
        (where / "snapshot.pickle").write_bytes(pickle.dumps(snapshot))
        os.replace(where / "snapshot.pickle", self.folder / f"{key}.pickle")
        return snapshot


def _stable(value) -> str:
    """`repr(value)` that reads the same in every process: sets (ordered by each process's hash seed) sorted."""
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(map(_stable, value))) + "}"
    if isinstance(value, dict):
        return "{" + ", ".join(sorted(f"{_stable(k)}: {_stable(v)}" for k, v in value.items())) + "}"
    if isinstance(value, (list, tuple)):
        return type(value).__name__ + "(" + ", ".join(map(_stable, value)) + ")"
    return repr(value)


def _fresh(app, copy: Snapshot | None) -> bool:
    """Whether `copy` may serve: a frozen clock's copy always, the real clock's for MAX_AGE."""
    return copy is not None and ("NOW_FUNCTION" in app.config or utcnow() - copy.taken_at < MAX_AGE)


def _invoke(runner, commands) -> Outcome:
    for args in commands:
        result = runner.invoke(args=list(args))
        if result.exit_code != 0:
            break
    return Outcome(result.exit_code, result.output)


def _may_copy() -> bool:
    """PostgreSQL gives rows back with foreign-key triggers off, which only a superuser may do (CI is one)."""
    if db.engine.dialect.name != "postgresql":
        return True
    return bool(db.session.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar())


@functools.cache
def tables_holding_rows() -> str:
    """One query that names the tables holding rows, those referring to others first (the models never change
    during a run; sorting the seventy tables by their foreign keys took longer than the query)."""
    return " UNION ALL ".join(f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")"
                              for t in reversed(db.metadata.sorted_tables))


def _just_emptied(app) -> bool:
    """Whether the database holds only what `_empty_tables` leaves (the audit chain's head) and no uploads."""
    if any(Path(app.config[name]).exists() and any(Path(app.config[name]).iterdir()) for name in FOLDERS):
        return False
    held = [name for name in db.session.execute(text(tables_holding_rows())).scalars() if name not in LEFT.pending]
    heads = db.session.execute(text("SELECT count(*) FROM audit_head WHERE seq = 0")).scalar()
    db.session.commit()
    return held == ["audit_head"] and heads == 1


def _pg_take() -> tuple[dict, dict]:
    rows = {}
    with db.engine.connect() as connection:
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor:
            for table in db.metadata.sorted_tables:
                with cursor.copy(f'COPY "{table.name}" TO STDOUT (FORMAT binary)') as copy:
                    data = b"".join(bytes(chunk) for chunk in copy)
                if cursor.rowcount:
                    rows[table.name] = data
            cursor.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'")
            sequences = dict(cursor.fetchall())
        raw.rollback()
    return rows, sequences


def _restore(app, copy: Snapshot) -> None:
    for name, source in copy.folders.items():
        shutil.copytree(source, app.config[name], dirs_exist_ok=True)
    if db.engine.dialect.name == "postgresql":
        db.session.remove()
        _pg_restore(copy)
        db.engine.dispose()
    else:
        sqlite_copy_back(copy.database)
    forget_what_this_process_keeps()


def sqlite_copy(source: sqlite3.Connection, path) -> None:
    """Copy the database open on `source` into the file `path`, page by page (SQLite's backup API)."""
    target = sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        target.close()


def sqlite_copy_back(path) -> None:
    """Give the app's SQLite database the pages of the file `path`; the session and the pooled connections are
    dropped, so that none keeps what it read before."""
    db.session.remove()
    source = sqlite3.connect(path)
    try:
        with db.engine.connect() as connection:
            source.backup(connection.connection.driver_connection)
    finally:
        source.close()
    db.engine.dispose()


def forget_what_this_process_keeps() -> None:
    """Content versions are kept in process memory by id, cached figures by a version kept in a table: a database
    emptied or given back hands the same ids and versions out again, so what this process kept of it goes."""
    immutables().clear()
    if isinstance(cache().store, MemoryStore):
        cache().store.items.clear()
        cache().store.size = 0


def _pg_restore(copy: Snapshot) -> None:
    """Put the rows back into the just-emptied database (which holds only the audit chain's head and what was
    left in place): what this copy's last restore left is kept, anything else left is deleted first."""
    rows, sequences = copy.database
    with LEFT.lock, LEFT.quiet(), db.engine.connect() as connection:   # no other thread empties what is kept
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")   # rows in any order: no FK triggers
            cursor.execute("DELETE FROM audit_head")
            kept = {table for table, source in LEFT.pending.items() if source is copy}
            for table in set(LEFT.pending) - kept:
                cursor.execute(f'DELETE FROM "{table}"')
                LEFT.restored.pop(table, None)
            written = {}
            for table, data in rows.items():
                if table in kept:
                    continue
                with cursor.copy(f'COPY "{table}" FROM STDIN (FORMAT binary)') as writing:
                    writing.write(data)
                written[table] = cursor.rowcount
            # This transaction's id as a row's `xmin` reads it (the 32 bits of the 64-bit id txid_current gives).
            cursor.execute("SELECT (txid_current() % 4294967296)::text")
            xid = cursor.fetchone()[0]
            for table, count in written.items():
                if table not in NEVER_LEFT:
                    LEFT.restored[table] = (copy, count, xid)
            calls, arguments = [], []          # one statement sets every sequence where the copy had it
            for sequence, value in sequences.items():
                calls.append("setval(%s, 1, false)" if value is None else "setval(%s, %s, true)")
                arguments += [f'public."{sequence}"'] + ([] if value is None else [value])
            if calls:
                cursor.execute("SELECT " + ", ".join(calls), arguments)
        raw.commit()
        LEFT.pending.clear()


NEVER_LEFT = ("audit_head",)        # the emptying writes the audit chain's head afresh


class Left:
    """PostgreSQL: the tables of a restored copy left in place by the emptying between tests (this process's).

    `restored` says, for each table the last restore wrote, which copy it came from, its rows' `xmin` (that
    restore's transaction) and their count; `pending` the tables `_empty_tables` left holding such rows. They
    are deleted — on a connection of their own, committed at once — before anything but the next restore of
    the same copy can see them: the first statement of this process through SQLAlchemy that is not the suite's
    own emptying or restoring, a process it starts, or the start of the test's body.
    """

    def __init__(self):
        self.restored: dict[str, tuple] = {}
        self.pending: dict[str, Snapshot] = {}
        self.url: str | None = None
        self.connection: psycopg.Connection | None = None
        self.lock = threading.RLock()
        self.local = threading.local()

    @contextmanager
    def quiet(self):
        """The suite's own emptying and restoring: their statements see what is left and leave it."""
        self.local.depth = getattr(self.local, "depth", 0) + 1
        try:
            yield
        finally:
            self.local.depth -= 1

    def leave_in_place(self, names: list[str]) -> list[str]:
        """Of the tables holding rows, those to delete: a table stays if every row the last restore wrote there
        is still there unchanged; rows a test added to it go by their `xmin`. Called in the emptying's
        transaction, with foreign-key triggers off."""
        self.url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        for table in set(self.restored) - set(names):
            del self.restored[table]
        candidates = [name for name in names if name in self.restored]
        if candidates:      # one statement: each table's rows, and those another transaction wrote
            found = db.session.execute(text(" UNION ALL ".join(
                f"SELECT '{table}', count(*), count(*) FILTER (WHERE xmin::text <> :x{n}) FROM \"{table}\""
                for n, table in enumerate(candidates))), {f"x{n}": self.restored[table][2]
                                                          for n, table in enumerate(candidates)}).all()
            for table, count, others in found:
                copy, restored_count, xmin = self.restored[table]
                if count - others != restored_count:        # a row the restore wrote was changed or deleted
                    del self.restored[table]
                    continue
                if others:                                  # only added to: those rows go, the restore's stay
                    db.session.execute(text(f'DELETE FROM "{table}" WHERE xmin::text <> :x'), {"x": xmin})
                self.pending[table] = copy
        return [name for name in names if name not in self.pending]

    def empty(self, *_args, **_kwargs) -> None:
        """Delete what was left in place, unless the suite's own emptying or restoring is running."""
        if not self.pending or getattr(self.local, "depth", 0):
            return
        with self.lock:
            if not self.pending:
                return
            if self.connection is None or self.connection.closed:
                self.connection = psycopg.connect(self.url, autocommit=True)
            with self.connection.transaction():
                self.connection.execute("SET LOCAL session_replication_role = replica")
                for table in self.pending:
                    self.connection.execute(f'DELETE FROM "{table}"')
                    self.restored.pop(table, None)
            self.pending.clear()

    def watch(self):
        """Empty what is left before any other statement or started process: for the run (a generator)."""
        started = subprocess.Popen.__init__

        def starting(popen, *args, **kwargs):
            self.empty()
            started(popen, *args, **kwargs)

        event.listen(Engine, "before_cursor_execute", self.empty)
        subprocess.Popen.__init__ = starting
        os.register_at_fork(before=self.empty)
        yield
        subprocess.Popen.__init__ = started
        event.remove(Engine, "before_cursor_execute", self.empty)
        if self.connection is not None:
            self.connection.close()


LEFT = Left()
