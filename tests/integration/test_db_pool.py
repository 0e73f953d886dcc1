"""The services' connection pool on the real PostgreSQL: connections are kept, and one
the server dropped while it sat idle is replaced before a transaction gets it."""
from __future__ import annotations

import psycopg2
import pytest

from services.common.db import Database


@pytest.fixture
def database(environment):
    database = Database(environment.database_url, "public", maxconn=3)
    yield database
    database.close()


def backend_pid(database: Database) -> int:
    with database.transaction() as cur:
        cur.execute("SELECT pg_backend_pid() AS pid")
        return cur.fetchone()["pid"]


def test_connections_are_kept_between_transactions(database):
    first = backend_pid(database)
    assert [backend_pid(database) for _ in range(5)] == [first] * 5


def terminate(environment, pid: int) -> None:
    with psycopg2.connect(environment.database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(%s)", (pid,))
        assert cur.fetchone()[0] is True
    conn.close()


def test_a_connection_dropped_while_idle_is_replaced(database, environment):
    database._pool.CHECK_AFTER_IDLE_SECONDS = 0      # every idle connection is checked
    dropped = backend_pid(database)
    terminate(environment, dropped)    # as a PostgreSQL restart would
    assert backend_pid(database) != dropped          # a new connection, no error


def test_without_the_check_the_first_transaction_on_a_dropped_connection_fails(
        database, environment):
    """What the check is for (and that the test above really drops the connection)."""
    database._pool.CHECK_AFTER_IDLE_SECONDS = 3600
    terminate(environment, backend_pid(database))
    # the query fails; leaving the transaction then finds the connection closed
    with pytest.raises((psycopg2.OperationalError, psycopg2.InterfaceError)):
        backend_pid(database)
    backend_pid(database)              # the broken connection was not kept
