"""PostgreSQL: the run's server connections handed from one test's app to the next instead of opened anew.

Every test builds an app, and every app's engine used to open its own connections and close them when the
test ended: two thousand connections a run. A new server process then reads the catalogue afresh for each
of the seventy tables it touches — 35 ms of the server's CPU for a connection that empties the tables once,
against 2 ms on one that has done it before (measured on this suite's database). Here a connection an app's
pool closes is reset and kept for the next app on the same database:

- it is kept only if it is healthy and idle: what was left in a transaction is rolled back, and
  `DISCARD ALL` (also the check that the server still answers) drops every setting, prepared statement,
  temporary table, advisory lock and LISTEN the test left — psycopg forgets its prepared statements with it;
- it is handed out again only if the server has not closed it meanwhile (its socket has nothing to read), as
  the platform's own checkout does (app/core/connections.py);
- at most `KEPT` per database; the rest, and all of them at the end of the run, are closed for real.

Only engines the apps build (Flask-SQLAlchemy's) take their connections here; what tests open themselves with
`create_engine`, and every process a test starts, connects as before.
"""
import select

import psycopg
from psycopg.pq import ConnStatus
from sqlalchemy.engine import make_url

KEPT = 4


class _Kept(psycopg.Connection):
    """A psycopg connection whose `close()` hands it back to its database's shelf when it can be reused."""

    shelf: list

    def close(self) -> None:
        if any(kept is self for kept in self.shelf):   # closed twice: it is already kept
            return
        if not self.closed and len(self.shelf) < KEPT and _reset(self):
            self.shelf.append(self)
            return
        super().close()

    def close_for_real(self) -> None:
        super().close()


def _reset(connection: _Kept) -> bool:
    try:
        connection.rollback()
        connection.autocommit = True
        connection.execute("DISCARD ALL")
        connection.autocommit = False
        # psycopg forgets the statements it prepared at a rollback (not at every DISCARD ALL), as the server just did.
        connection.execute("SELECT 1")
        connection.rollback()
        connection.isolation_level = None
        connection.read_only = None
        return connection.info.status == ConnStatus.OK
    except (psycopg.Error, OSError):
        return False


def _closed_by_server(connection: _Kept) -> bool:
    try:
        return bool(select.select([connection.fileno()], [], [], 0)[0])
    except (psycopg.Error, OSError, ValueError):
        return True


class WarmConnections:
    """The shelves of kept connections, one per database address."""

    def __init__(self):
        self.kinds: dict[str, type[_Kept]] = {}

    def creator(self, url: str):
        """A `creator` for create_engine: a kept connection to `url`'s database, else a new one."""
        conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        if conninfo not in self.kinds:
            self.kinds[conninfo] = type("Kept", (_Kept,), {"shelf": []})
        kind = self.kinds[conninfo]
        shelf = kind.shelf

        def connect():
            while True:
                try:
                    connection = shelf.pop()       # a live server's threads may take from the shelf at once
                except IndexError:
                    return kind.connect(conninfo)
                if not _closed_by_server(connection):
                    return connection
                connection.close_for_real()

        return connect

    def close_all(self) -> None:
        for kind in self.kinds.values():
            while kind.shelf:
                kind.shelf.pop().close_for_real()

