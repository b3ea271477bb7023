"""How the platform keeps its PostgreSQL connections: checked without a round trip, prepared statements kept.

Every request borrows a connection from its worker's pool. Two things the defaults did on each loan cost a
round trip to the server, and CPU on both sides, that an integrity hour pays thousands of times a minute:

- **Liveness.** SQLAlchemy's `pool_pre_ping` sends an empty statement on every checkout. A connection the
  server has closed (a restart, `pg_terminate_backend`, `idle_session_timeout`) has its socket readable here —
  the server's farewell or the end of the stream — while a live, idle one has nothing to read; so a checkout
  looks at the socket (no round trip) and pings only a connection that sat unused longer than
  `PING_AFTER_IDLE` seconds, which a network device may have dropped without a word. A dead connection is
  replaced before the request uses it, as with `pool_pre_ping`.
- **Prepared statements.** psycopg prepares a statement on the server after its fifth use on a connection, so
  that the server stops parsing and planning it (three quarters of its work for the signed-in person's
  statement), but it deallocates all of them at every ROLLBACK — and every request that only read ends with
  one, when the session is closed. A transaction that only read (every statement a SELECT) is ended with
  COMMIT instead: the same to the database, and the connection keeps its prepared statements.
"""
import select
import time

from sqlalchemy import event, exc

PING_AFTER_IDLE = 30.0   # seconds; a connection of a busy worker is never idle that long
_RETURNED, _WROTE = "returned_at", "wrote"


def keep_postgresql_connections(engine) -> None:
    """Attach the checks and the read-only COMMIT above to a PostgreSQL engine (whose pool_pre_ping is off)."""
    if engine.dialect.name != "postgresql":
        return
    from psycopg import Error   # only a PostgreSQL instance loads the driver
    from psycopg.pq import TransactionStatus

    @event.listens_for(engine, "checkin")
    def returned(_dbapi_connection, record):
        if record is not None:
            record.info[_RETURNED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def check_before_use(dbapi_connection, record, _proxy):
        """Refuse a connection the server has closed, or one idle too long that does not answer a ping."""
        try:
            readable = select.select([dbapi_connection.fileno()], [], [], 0)[0]
        except (Error, OSError, ValueError) as error:   # closed here: no socket to look at
            raise exc.DisconnectionError(f"connection unusable: {error}") from error
        if readable:
            raise exc.DisconnectionError("the server closed the connection")
        returned = record.info.get(_RETURNED)
        if returned is not None and time.monotonic() - returned > PING_AFTER_IDLE:
            try:
                engine.dialect.do_ping(dbapi_connection)
            except Error as error:
                raise exc.DisconnectionError(f"no answer to a ping: {error}") from error

    @event.listens_for(engine, "begin")
    def began(connection):
        connection.info[_WROTE] = False

    @event.listens_for(engine, "before_cursor_execute")
    def executing(connection, _cursor, statement, _parameters, _context, _executemany):
        if not statement.startswith("SELECT"):
            connection.info[_WROTE] = True

    @event.listens_for(engine, "rollback")
    def end_reads_with_commit(connection):
        """End a transaction that only read with COMMIT; SQLAlchemy's ROLLBACK then has nothing to undo."""
        if connection.closed or connection.invalidated or connection.info.get(_WROTE, True):
            return
        dbapi_connection = connection.connection.dbapi_connection
        if dbapi_connection.info.transaction_status != TransactionStatus.INTRANS:
            return   # idle, or after a failed statement: a real ROLLBACK
        try:
            dbapi_connection.commit()
        except Error:
            pass   # the ROLLBACK that follows meets the same trouble and handles it as before
