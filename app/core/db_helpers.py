"""Database helpers shared by features."""
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db


def insert_ignoring_duplicates(model, values: dict):
    """Build INSERT … ON CONFLICT DO NOTHING RETURNING id for the session's database.

    Executed, it returns the new id, or None when a unique key already held the row.
    """
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(model).values(**values).on_conflict_do_nothing().returning(model.id)
