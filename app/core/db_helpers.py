"""Database helpers shared by features."""
from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db


def dialect_insert(model):
    """INSERT for the session's database, with its ON CONFLICT clauses (SQLite and PostgreSQL)."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def insert_ignoring_duplicates(model, values: dict):
    """Build INSERT … ON CONFLICT DO NOTHING RETURNING id for the session's database.

    Executed, it returns the new id, or None when a unique key already held the row.
    """
    return dialect_insert(model).values(**values).on_conflict_do_nothing().returning(model.id)


def commit_without_waiting_for_the_disk() -> None:
    """Commit a write whose loss in a crash of the database server would cost nobody anything lasting.

    PostgreSQL: the transaction is committed with `synchronous_commit` off (for it alone), so the request does
    not wait for the write-ahead log to reach the disk — a few milliseconds per commit on ordinary disks, paid by
    a blocked worker, thousands of times a minute in an integrity hour. The commit is as atomic, visible and
    isolated as any; only a crash of the server within a fraction of a second (three times `wal_writer_delay`)
    could lose it, and any later ordinary commit writes it to disk with its own. Used for an attempt's saved
    answers (the page still holds them and the next save sends the page again) and the time of a sign-in;
    never for a submission, a consent, a score or an audit entry. SQLite: an ordinary commit.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(_ASYNC_COMMIT)
    db.session.commit()


_ASYNC_COMMIT = text("SET LOCAL synchronous_commit TO OFF")
