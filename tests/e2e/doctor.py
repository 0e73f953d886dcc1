"""`procedura doctor` as an operator of a test environment runs it, and what the tests
plant for it to find: a version whose extraction or rendition has waited an hour."""
from __future__ import annotations

import os
import subprocess
from contextlib import contextmanager

import psycopg2
from psycopg2 import sql

from tests.testenv import ROOT


def doctor(environment, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(ROOT / ".venv" / "bin" / "procedura"), "doctor", *args],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, **environment.env})


def _execute(environment, query: sql.Composed, params: tuple) -> tuple | None:
    with psycopg2.connect(environment.database_url) as conn, conn.cursor() as cur:
        cur.execute(query, params)
        row = cur.fetchone() if cur.description else None
    conn.close()
    return row


@contextmanager
def pending_for_an_hour(environment, version_id: str, step: str):
    """The version's `step` ("extraction" or "rendition") looks pending since an hour ago,
    as if its worker never answered. Put back as it was on leaving: the other tests of
    the environment expect the register as it was."""
    status = sql.Identifier(f"{step}_status")
    kept = _execute(environment, sql.SQL("SELECT {}, created_at FROM versioning.versions "
                                         "WHERE id = %s").format(status), (version_id,))
    _execute(environment, sql.SQL("UPDATE versioning.versions SET {} = 'pending', "
                                  "created_at = now() - interval '1 hour' WHERE id = %s")
             .format(status), (version_id,))
    try:
        yield
    finally:
        _execute(environment, sql.SQL("UPDATE versioning.versions SET {} = %s, created_at = %s "
                                      "WHERE id = %s").format(status), (*kept, version_id))
