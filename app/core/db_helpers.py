"""Database helpers shared by features."""
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
