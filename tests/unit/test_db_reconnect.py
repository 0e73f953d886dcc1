"""After PostgreSQL goes away (a failover of the primary), the pool checks every idle
connection before handing it out once one was found broken, so that only the transaction
in flight fails, not one more per kept connection; and what counts as 'away'."""
from __future__ import annotations

from types import SimpleNamespace

import psycopg2
import psycopg2.errors
import psycopg2.extensions
import psycopg2.pool
from amqp.exceptions import MessageNacked
from kombu.exceptions import OperationalError as KombuOperationalError

from services.common.db import _KeepingPool, unreachable
from services.common.identity import engine_away
from services.common.messaging.retry import engine_unavailable
from services.contracts.errors import ServiceUnavailable


class FakeConnection:
    """Enough of a psycopg2 connection for the pool: `dead` ones fail their next query."""

    def __init__(self):
        self.closed, self.dead, self.checks = 0, False, 0
        self.info = SimpleNamespace(transaction_status=psycopg2.extensions.TRANSACTION_STATUS_IDLE)

    def cursor(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def execute(self, query):
        self.checks += 1
        if self.dead:
            self.closed = 2
            raise psycopg2.OperationalError("server closed the connection unexpectedly")

    def rollback(self):
        pass

    def close(self):
        self.closed = 1


def pool_of(monkeypatch, size: int):
    opened: list[FakeConnection] = []

    def connect(*args, **kwargs):
        opened.append(FakeConnection())
        return opened[-1]

    monkeypatch.setattr(psycopg2.pool.psycopg2, "connect", connect)
    return _KeepingPool(size, "postgresql://ignored"), opened


def test_after_one_broken_connection_the_idle_ones_are_checked_and_replaced(monkeypatch):
    pool, opened = pool_of(monkeypatch, 3)
    held = [pool.getconn() for _ in range(3)]
    for conn in held:
        pool.putconn(conn)
    for conn in opened:
        conn.dead = True              # the primary died under all of them
    broken = pool.getconn()           # recently returned: handed out unchecked
    assert broken.checks == 0
    broken.closed = 2                 # its transaction failed on it
    pool.putconn(broken, close=True)
    fresh = [pool.getconn() for _ in range(2)]
    assert all(not conn.dead for conn in fresh)   # the other two were checked, replaced
    assert sum(conn.checks for conn in opened[:3]) == 2


def test_without_a_broken_one_recent_connections_are_not_checked(monkeypatch):
    pool, opened = pool_of(monkeypatch, 2)
    conn = pool.getconn()
    pool.putconn(conn)
    assert pool.getconn() is conn and conn.checks == 0 and len(opened) == 1


class Shutdown(psycopg2.OperationalError):
    pgcode = "57P01"      # admin_shutdown, as a demoted primary sends


class Canceled(psycopg2.OperationalError):
    pgcode = "57014"      # a statement timeout: the server is there


def test_what_counts_as_the_database_being_away():
    assert unreachable(psycopg2.OperationalError("could not connect to server"))
    assert unreachable(psycopg2.InterfaceError("connection already closed"))
    assert unreachable(Shutdown("terminating connection due to administrator command"))
    assert not unreachable(Canceled("canceling statement due to statement timeout"))
    assert not unreachable(psycopg2.errors.UniqueViolation("duplicate key"))
    assert not unreachable(ValueError("not a database error"))


def test_an_rpc_failing_on_the_database_away_answers_service_unavailable():
    away = (psycopg2.OperationalError, psycopg2.OperationalError("server closed the "
                                                                  "connection"), None)
    kind, error, _ = engine_away(away)
    assert kind is ServiceUnavailable and isinstance(error, ServiceUnavailable)
    assert error.details == {"retry_after_seconds": 5}
    duplicate = (psycopg2.errors.UniqueViolation, psycopg2.errors.UniqueViolation(), None)
    assert engine_away(duplicate) is duplicate
    assert engine_away(None) is None


def test_an_event_handler_failing_on_the_database_away_waits_for_it():
    """It is tried again after a pause like any engine away, not dead-lettered."""
    assert engine_unavailable(psycopg2.OperationalError("could not connect to server"))
    assert not engine_unavailable(psycopg2.errors.UniqueViolation("duplicate key"))


def test_an_rpc_whose_message_the_broker_refused_answers_service_unavailable():
    """A call to another service (or a publish) nacked by RabbitMQ while a quorum queue
    elects its leader reaches the handler as kombu's OperationalError raised from amqp's
    MessageNacked: the caller gets a 503 to try again, not a 500."""
    try:
        try:
            raise MessageNacked()
        except MessageNacked as nacked:
            raise KombuOperationalError(str(nacked)) from nacked
    except KombuOperationalError as exc:
        refused = (KombuOperationalError, exc, exc.__traceback__)
    kind, error, traceback = engine_away(refused)
    assert kind is ServiceUnavailable and isinstance(error, ServiceUnavailable)
    assert "message broker" in str(error)
    assert error.details == {"retry_after_seconds": 2}
    assert traceback is refused[2]
    bad_argument = (ValueError, ValueError("not a broker error"), None)
    assert engine_away(bad_argument) is bad_argument
