"""The suite's kept PostgreSQL connections (tests/warm_connections.py): what one test's app leaves on a connection
never reaches the next app that gets it."""
import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.warm_connections import WarmConnections


@pytest.fixture
def warm(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("the kept connections are PostgreSQL's")
    shelves = WarmConnections()
    yield shelves
    shelves.close_all()


def test_a_kept_connection_is_handed_out_again_with_nothing_of_its_last_user(warm, database_url):
    connect = warm.creator(database_url)
    first = connect()
    backend = first.execute("SELECT pg_backend_pid()").fetchone()[0]
    first.close()           # a transaction left open, nothing prepared; then a test that leaves all it can
    assert connect() is first
    first.execute("SET statement_timeout = 1234")
    first.execute("CREATE TEMP TABLE left_behind (id int)")
    for _ in range(6):      # prepared on the server from the fifth use
        first.execute("SELECT %s::int + 1", (1,)).fetchall()
    first.commit()          # as the platform ends a request that only read (app/core/connections.py)
    first.close()

    again = connect()
    assert again is first and again.execute("SELECT pg_backend_pid()").fetchone()[0] == backend
    assert again.execute("SHOW statement_timeout").fetchone()[0] == "0"
    assert again.execute("SELECT count(*) FROM pg_prepared_statements").fetchone()[0] == 0
    assert again.execute("SELECT to_regclass('pg_temp.left_behind')").fetchone()[0] is None
    for _ in range(7):      # psycopg's own record of what it prepared agrees with the server's
        assert again.execute("SELECT %s::int + 1", (1,)).fetchone()[0] == 2
    again.close()


def test_a_connection_the_server_closed_is_not_handed_out(warm, database_url):
    connect = warm.creator(database_url)
    first = connect()
    backend = first.execute("SELECT pg_backend_pid()").fetchone()[0]
    first.close()
    with psycopg.connect(make_url(database_url).set(drivername="postgresql").render_as_string(False)) as other:
        other.execute("SELECT pg_terminate_backend(%s, 5000)", (backend,))    # as a restart of the server would
    fresh = connect()
    assert fresh.execute("SELECT pg_backend_pid()").fetchone()[0] != backend
    fresh.close()
