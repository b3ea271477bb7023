"""The suite's copies of setup commands (tests/snapshots.py) give back exactly what the command left."""
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import event, select, text

from app.extensions import db
from app.people.models import User
from tests import snapshots as snapshots_module
from tests.conftest import _empty_tables
from tests.snapshots import LEFT, NEVER_LEFT, Snapshots


def every_row() -> dict:
    db.session.expire_all()
    return {table.name: sorted(map(tuple, db.session.execute(select(table)).all()), key=repr)
            for table in db.metadata.sorted_tables}


def files_in(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def sequences() -> dict:
    """Where each id counter stands (PostgreSQL's sequences, SQLite's AUTOINCREMENT table)."""
    if db.engine.dialect.name == "postgresql":
        query = "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
    elif db.session.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")).first():
        query = "SELECT name, seq FROM sqlite_sequence"
    else:
        return {}
    return dict(db.session.execute(text(query)).all())


def start_afresh(app) -> None:
    """What the `app` fixture leaves: empty tables and no uploads."""
    _empty_tables()
    shutil.rmtree(app.config["UPLOAD_FOLDER"], ignore_errors=True)


def test_a_copy_of_the_demo_holds_every_row_and_file_the_command_left(app, runner, tmp_path):
    snapshots = Snapshots(tmp_path / "copies")
    (tmp_path / "copies").mkdir()
    first = snapshots.run(app, runner, ("demo",))
    assert first.exit_code == 0 and "Demo accounts" in first.output
    rows, files, counters = every_row(), files_in(Path(app.config["UPLOAD_FOLDER"])), sequences()
    assert rows["users"] and rows["lessons"] and rows["audit_events"] and files

    start_afresh(app)
    assert every_row() != rows
    second = snapshots.run(app, runner, ("demo",))
    assert snapshots.counts == {"real": 1, "copied": 1}
    assert (second.exit_code, second.output) == (first.exit_code, first.output)
    assert every_row() == rows
    assert files_in(Path(app.config["UPLOAD_FOLDER"])) == files
    assert sequences() == counters

    # Another worker restores the copy into its own database and folders: it points at none of this one's.
    own = [app.config[name] for name in ("UPLOAD_FOLDER", "JOB_FILES_FOLDER", "CONTENT_FOLDER")]
    own.append(db.engine.url.database)
    held = b"".join(path.read_bytes() for path in (tmp_path / "copies").rglob("*") if path.is_file())
    assert held and not [path for path in own if path.encode() in held]


def test_no_file_of_the_suite_is_loaded_twice_in_a_process():
    """pytest loads conftest.py and the test modules under their bare names (`conftest`, `test_policy`); a module
    imported again as `tests.…` would run a second time, with a second copy of what it keeps (the empty SQLite
    copies) and its listeners registered twice. conftest.py answers to both names; test modules import each other,
    and the browser tests' helpers (`browser.conftest`), by the names pytest gives them."""
    import conftest
    from tests import conftest as imported

    suite = Path(__file__).resolve().parent
    loaded: dict[Path, set] = {}
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if path and Path(path).resolve().is_relative_to(suite):
            loaded.setdefault(Path(path).resolve(), set()).add(id(module))
    assert imported is conftest and Path(__file__).resolve() in loaded
    assert [str(path.relative_to(suite)) for path, modules in loaded.items() if len(modules) > 1] == []


def test_a_chain_of_commands_is_copied_whole_and_answers_as_its_last_command(app, runner, tmp_path):
    snapshots = Snapshots(tmp_path)
    chain = (("load-content",), [("api-token", "create", "chained")])
    first = snapshots.run(app, runner, *chain)
    assert first.exit_code == 0 and first.output.startswith("su_")        # the token: the last command's output
    rows = every_row()
    assert rows["api_tokens"] and rows["lessons"]

    start_afresh(app)
    second = snapshots.run(app, runner, *chain)
    assert snapshots.counts == {"real": 1, "copied": 1}
    assert (second.exit_code, second.output) == (first.exit_code, first.output) and every_row() == rows
    start_afresh(app)
    assert snapshots.run(app, runner, ("load-content",)).exit_code == 0      # the first command alone: its own copy
    assert snapshots.counts == {"real": 2, "copied": 1} and not every_row()["api_tokens"]

    start_afresh(app)
    failed = snapshots.run(app, runner, ("no-such-command",), [("load-content",)])
    assert failed.exit_code != 0 and not every_row()["lessons"]               # the chain stops at a failure


def test_a_database_that_is_not_fresh_runs_the_command_for_real(app, runner, tmp_path, make_user):
    snapshots = Snapshots(tmp_path)
    assert snapshots.run(app, runner, ("load-content",)).exit_code == 0
    start_afresh(app)
    someone = make_user("kept@uni.test")
    assert snapshots.run(app, runner, ("load-content",)).exit_code == 0
    assert snapshots.counts == {"real": 2, "copied": 0}
    assert db.session.execute(select(User).where(User.id == someone.id)).scalar_one().email == "kept@uni.test"


def test_another_setting_or_clock_gets_its_own_copy(app, runner, tmp_path):
    snapshots = Snapshots(tmp_path)
    app.config["NOW_FUNCTION"] = lambda: datetime(2024, 10, 1, 9, 0)
    snapshots.run(app, runner, ("load-content",))
    start_afresh(app)
    app.config["NOW_FUNCTION"] = lambda: datetime(2024, 10, 2, 9, 0)
    snapshots.run(app, runner, ("load-content",))
    assert snapshots.counts == {"real": 2, "copied": 0}


def test_emptying_leaves_only_the_audit_chains_head_and_ids_start_again(app, make_user, make_group):
    first = make_user(group=make_group())
    make_user()
    _empty_tables()
    rows = every_row()
    assert {name for name, held in rows.items() if held} == {"audit_head"}
    assert rows["audit_head"] == [(1, 0, "0" * 64)]
    assert make_user(group=make_group()).id == first.id


def test_emptying_after_the_demo_leaves_the_same_and_sqlite_copies_the_empty_database_back(app, setup_cli, make_user):
    version = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert setup_cli("demo").exit_code == 0
    deleted = []

    def deletes(_connection, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("DELETE"):
            deleted.append(statement)

    event.listen(db.engine, "before_cursor_execute", deletes)
    try:
        _empty_tables()
    finally:
        event.remove(db.engine, "before_cursor_execute", deletes)
    if db.engine.dialect.name == "sqlite":
        assert deleted == []        # sixty tables hold rows: the empty file is copied back instead
    rows = every_row()
    assert {name for name, held in rows.items() if held} == {"audit_head"}
    assert rows["audit_head"] == [(1, 0, "0" * 64)]
    assert db.session.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == version
    assert make_user().id == 1


def test_folders_holding_the_same_files_share_a_copy_and_a_changed_file_does_not(app, runner, tmp_path):
    plan = (Path(app.config["CONTENT_FOLDER"]) / "plans" / "ktu-2024-2025.toml").read_text(encoding="utf-8")
    snapshots = Snapshots(tmp_path)
    for name, text_of_plan in (("a", plan), ("b", plan), ("c", plan + "\n# one more line\n")):
        (tmp_path / name / "plans").mkdir(parents=True)
        (tmp_path / name / "plans" / "ktu-2024-2025.toml").write_text(text_of_plan, encoding="utf-8")
        app.config["CONTENT_FOLDER"] = str(tmp_path / name)
        start_afresh(app)
        assert snapshots.run(app, runner, ("load-content",)).exit_code == 0
    assert snapshots.counts == {"real": 2, "copied": 1}


def test_a_copy_taken_by_one_worker_serves_another_that_shares_the_folder(app, runner, tmp_path):
    first_worker, second_worker = Snapshots(tmp_path), Snapshots(tmp_path)
    first = first_worker.run(app, runner, ("load-content",))
    rows = every_row()
    start_afresh(app)
    second = second_worker.run(app, runner, ("load-content",))
    assert first_worker.counts == {"real": 1, "copied": 0}
    assert second_worker.counts == {"real": 0, "copied": 1}
    assert (second.exit_code, second.output) == (first.exit_code, first.output)
    assert every_row() == rows


def test_a_copy_older_than_max_age_is_rebuilt_though_another_worker_took_it(app, runner, tmp_path, monkeypatch):
    first_worker, second_worker = Snapshots(tmp_path), Snapshots(tmp_path)
    first_worker.run(app, runner, ("load-content",))
    start_afresh(app)
    monkeypatch.setattr(snapshots_module, "MAX_AGE", timedelta(0))
    second_worker.run(app, runner, ("load-content",))
    monkeypatch.undo()
    start_afresh(app)
    first_worker.run(app, runner, ("load-content",))
    assert (first_worker.counts, second_worker.counts) == ({"real": 1, "copied": 1}, {"real": 1, "copied": 0})


def test_the_setting_leaves_out_the_workers_database_address_and_set_order(app, tmp_path):
    snapshots = Snapshots(tmp_path)
    key = snapshots._key(app, ("demo",))
    app.config["SQLALCHEMY_DATABASE_URI"] += "-of-another-worker"
    app.config["WTF_CSRF_METHODS"] = set(reversed(sorted(app.config["WTF_CSRF_METHODS"])))
    assert snapshots._key(app, ("demo",)) == key
    app.config["PAGE_SIZE"] += 1
    assert snapshots._key(app, ("demo",)) != key


def demo_restored_then_emptied(app, runner, snapshots) -> tuple[Snapshots, dict]:
    """The demo from the run's copy (run for real if no test took it yet), restored again, then emptied as
    before the next test: its tables are left. Also every row the demo left (a restore gives back every row the
    command left: the first test above)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's copies are left in place between tests")
    snapshots.run(app, runner, ("demo",))
    rows = every_row()
    start_afresh(app)
    snapshots.run(app, runner, ("demo",))
    start_afresh(app)
    return snapshots, rows


def tables_of(snapshots, app) -> set[str]:
    """The tables the demo's copy holds rows of, but the audit chain's head (the emptying writes it afresh)."""
    return set(snapshots.copies[snapshots._key(app, (("demo",),))].database[0]) - set(NEVER_LEFT)


def test_a_restored_copy_is_kept_only_for_the_same_copy_and_only_while_unchanged(app, runner, snapshots):
    snapshots, rows = demo_restored_then_emptied(app, runner, snapshots)
    copied, tables = snapshots.counts["copied"], tables_of(snapshots, app)
    assert {"users", "lesson_versions", "notifications"} <= tables
    assert set(LEFT.pending) == tables              # left as the restore wrote them
    snapshots.run(app, runner, ("demo",))
    assert not LEFT.pending and every_row() == rows

    db.session.execute(text("UPDATE lesson_versions SET title = 'Changed' WHERE id = (SELECT min(id) FROM lesson_versions)"))
    db.session.execute(text("DELETE FROM notifications WHERE id = (SELECT max(id) FROM notifications)"))
    db.session.commit()
    start_afresh(app)
    assert set(LEFT.pending) == tables - {"lesson_versions", "notifications"}    # a changed or a deleted row: emptied
    snapshots.run(app, runner, ("demo",))
    assert every_row() == rows
    assert snapshots.counts["copied"] == copied + 2


def test_rows_a_test_only_added_go_and_the_restored_ones_stay(app, runner, snapshots, make_user):
    snapshots, rows = demo_restored_then_emptied(app, runner, snapshots)
    snapshots.run(app, runner, ("demo",))
    make_user("added@uni.test")                     # a person and their roles, added to what the restore wrote
    start_afresh(app)
    assert {"users", "user_roles"} <= set(LEFT.pending)
    assert rows_seen_from_outside("users") == len(rows["users"])
    snapshots.run(app, runner, ("demo",))
    assert every_row() == rows


def rows_seen_from_outside(table: str) -> int:
    """The count on a connection of its own, not through SQLAlchemy (so nothing empties the table first)."""
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url) as connection:
        return connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]


def test_what_is_left_in_place_is_gone_before_a_statement_or_a_started_process_can_see_it(app, runner, snapshots):
    snapshots, _rows = demo_restored_then_emptied(app, runner, snapshots)
    for looks in (lambda: db.session.scalar(text("SELECT count(*) FROM content_revisions")),
                  lambda: subprocess.run(["true"], check=True)):
        assert LEFT.pending and rows_seen_from_outside("content_revisions") > 0
        looks()
        assert not LEFT.pending and rows_seen_from_outside("content_revisions") == 0
        db.session.rollback()
        snapshots.run(app, runner, ("demo",))
        start_afresh(app)


@pytest.fixture
def left_in_place_by_a_fixture(app, runner, snapshots):
    demo_restored_then_emptied(app, runner, snapshots)
    assert LEFT.pending


def test_a_tests_body_never_sees_what_its_fixtures_left_in_place(left_in_place_by_a_fixture):
    assert not LEFT.pending and rows_seen_from_outside("content_revisions") == 0
