"""PostgreSQL connections: a dead one is replaced without a ping per request, prepared statements outlive reads.

See app/core/connections.py. These rules are about PostgreSQL and its driver; on SQLite they are skipped.
"""
import pytest
from sqlalchemy import create_engine, select, text

from app.extensions import db
from app.people.models import Faculty


@pytest.fixture
def postgresql(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("psycopg's prepared statements and connections to a PostgreSQL server")
    db.session.close()
    return app


def prepared_on_this_connection() -> int:
    return db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements"))


def test_a_transaction_that_only_read_keeps_the_prepared_statements(postgresql):
    for _ in range(7):   # psycopg prepares a statement at its fifth use on a connection
        db.session.execute(select(Faculty.id).where(Faculty.name == "none such")).all()
        db.session.close()   # as at the end of a request that only read
    assert prepared_on_this_connection() >= 1


def test_a_transaction_that_wrote_is_still_rolled_back(postgresql):
    db.session.execute(select(Faculty.id)).all()
    db.session.add(Faculty(name="Rolled back"))
    db.session.flush()
    db.session.close()
    assert db.session.scalar(select(Faculty.id).where(Faculty.name == "Rolled back")) is None
    db.session.execute(text("INSERT INTO faculties (name, short_name) VALUES ('Written by hand', '')"))
    db.session.rollback()
    assert db.session.scalar(select(Faculty.id).where(Faculty.name == "Written by hand")) is None


def test_a_connection_the_server_closed_is_replaced_before_a_request_uses_it(postgresql, client):
    backend = db.session.scalar(text("SELECT pg_backend_pid()"))
    db.session.close()   # back in the pool, idle
    other = create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
    try:
        with other.connect() as connection:   # as a restart of the server would, and wait until it is gone
            assert connection.scalar(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": backend})
    finally:
        other.dispose()
    assert client.get("/login").status_code == 200
    assert client.post("/login", data={"email": "nobody@sanaly.test", "password": "x" * 12}).status_code == 200
    assert db.session.scalar(text("SELECT pg_backend_pid()")) != backend
