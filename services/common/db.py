"""PostgreSQL access that cooperates with eventlet.

psycopg2 blocks the whole process unless psycogreen installs its wait callback:
with it, a query yields to other green threads, so one slow query does not stall
every worker of a service.
"""
from __future__ import annotations

import contextlib
import threading
import time
from typing import Iterator

import psycopg2
import psycopg2.extras
import psycopg2.pool
from nameko.extensions import DependencyProvider

from services.common.migrations import migrate

_patched = threading.Lock()
_is_patched = False


def make_green() -> None:
    """Install psycogreen's eventlet wait callback once per process."""
    global _is_patched
    with _patched:
        if not _is_patched:
            from psycogreen.eventlet import patch_psycopg

            patch_psycopg()
            _is_patched = True


psycopg2.extras.register_uuid()

# SQLSTATEs of a server going away: shut down (a failover demotes the primary), crashed,
# still starting; class 08 is the connection itself failing
_GOING_AWAY = ("57P01", "57P02", "57P03")


def unreachable(exc: BaseException) -> bool:
    """Did PostgreSQL fail the transaction by being away (killed, restarting, failing
    over), rather than the statement failing? Then the caller may try again (with the same
    ids: a COMMIT cut off may have been applied) and reach the new primary on a new
    connection."""
    if not isinstance(exc, (psycopg2.OperationalError, psycopg2.InterfaceError)):
        return False
    code = getattr(exc, "pgcode", None)
    return code is None or code.startswith("08") or code in _GOING_AWAY


class _KeepingPool(psycopg2.pool.ThreadedConnectionPool):
    """Opens connections as they are needed, up to `maxconn`, and keeps them.

    psycopg2's pool closes every connection handed back beyond `minconn`, so with
    minconn=1 each concurrent worker opened a new connection (a new PostgreSQL backend)
    for every transaction: a sixth of a busy service's CPU went to connecting. Opening
    `maxconn` at start would hold connections a quiet service never uses (many services
    and replicas share one PostgreSQL)."""

    # a connection idle this long is checked before use: PostgreSQL may have restarted
    # (or a proxy dropped it) meanwhile, and the first query on it would fail
    CHECK_AFTER_IDLE_SECONDS = 30.0

    def __init__(self, maxconn: int, *args, **kwargs):
        super().__init__(1, maxconn, *args, **kwargs)
        self.minconn = maxconn   # psycopg2 keeps a returned connection below minconn
        self._returned: dict[int, float] = {}
        # when a connection was last found broken: the server it spoke to may be gone (a
        # failover), so every connection returned before is checked before its next use
        # rather than failing one more transaction each
        self._lost_at = float("-inf")

    def getconn(self, key=None):
        while True:   # each turn takes one idle connection out, so it ends
            conn = super().getconn(key)
            idle_since = self._returned.pop(id(conn), None)
            if idle_since is None or (
                    idle_since > self._lost_at
                    and time.monotonic() - idle_since <= self.CHECK_AFTER_IDLE_SECONDS):
                return conn
            try:
                with conn.cursor() as cur:
                    cur.execute("SELECT 1")
                conn.rollback()
                return conn
            except psycopg2.Error:
                # gone: the next one may be an idle one from the same server, checked too
                super().putconn(conn, key, close=True)

    def putconn(self, conn, key=None, close=False):
        if not close and not conn.closed:
            self._returned[id(conn)] = time.monotonic()
        elif conn.closed:
            self._lost_at = time.monotonic()
        super().putconn(conn, key, close)


class Database:
    """A pool of connections; `transaction()` yields a dict cursor inside one transaction."""

    def __init__(self, url: str, schema: str, maxconn: int = 10):
        self.schema = schema
        self._pool = _KeepingPool(maxconn, url, options=f"-c search_path={schema},public")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[psycopg2.extras.RealDictCursor]:
        conn = self._pool.getconn()
        try:
            with conn:  # commits on success, rolls back on exception
                with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
                    yield cur
        finally:
            self._pool.putconn(conn, close=conn.closed != 0)

    def ping(self) -> str:
        """For health checks: a round trip to the server."""
        with self.transaction() as cur:
            cur.execute("SELECT 1")
        return "ok"

    def close(self) -> None:
        self._pool.closeall()


class DatabaseProvider(DependencyProvider):
    """Opens the service's pool in setup(), applies its migrations, closes in stop().

    Workers get the Database; the service's repository wraps it with domain verbs.
    """

    def __init__(self, schema: str, migrations_package: str):
        self.schema = schema
        self.migrations_package = migrations_package
        self.database: Database | None = None

    def setup(self):
        from services.common.settings import Settings

        make_green()
        settings = Settings.from_config(self.container.config)
        migrate(settings.secret("database_url"), self.schema, self.migrations_package)
        self.database = Database(settings.database_url, self.schema,
                                 maxconn=self.container.max_workers + 2)

    def stop(self):
        if self.database is not None:
            self.database.close()
            self.database = None

    def get_dependency(self, worker_ctx):
        return self.database


def problems_report(found: dict) -> dict:
    """`procedura doctor`'s answer for versions stuck or failed in a step (text
    extraction, renditions): their rows with ids and times as JSON strings."""
    def row(r: dict) -> dict:
        return {k: (str(v) if k in ("id", "document_id") else
                    v.isoformat() if k == "created_at" else v) for k, v in r.items()}

    return {"pending": [row(r) for r in found["pending"]],
            "failed": [row(r) for r in found["failed"]], "counts": found["counts"]}
