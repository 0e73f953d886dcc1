"""PostgreSQL in one consistent snapshot, and what the backup copies from it.

A REPEATABLE READ transaction exports its snapshot; pg_dump imports it (--snapshot), so
the dump, the list of stored versions, the migration levels and the audit anchor all
see the database at one instant. The objects copied are those this snapshot names: an
upload that lands during the backup has no row in it (wholly out), an upload with a row
has its object version pinned (wholly in)."""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

import psycopg2
import psycopg2.extensions
import psycopg2.extras

from procedura_cli.backup_manifest import BackupError
from procedura_cli.localenv import environment, variable
from services.documents.adapters import audit

# every schema of Procedura (one per service with a database; procedura_cli/main.py)
SCHEMAS = ("documents", "versioning", "notifications")


def pg_tool(name: str) -> str:
    """pg_dump / pg_restore: PROCEDURA_PG_BIN's when set (a newer client than the
    server is fine, an older one is not), else the one on PATH."""
    folder = variable("PROCEDURA_PG_BIN")
    path = str(Path(folder) / name) if folder else shutil.which(name)
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError(f"{name} is not installed (Debian: postgresql-client)")
    return path


def libpq_environment(database_url: str) -> dict[str, str]:
    """The connection as PG* variables: the password stays out of the process list.
    A client copied with its libraries (PROCEDURA_PG_BIN/../lib, as in the image) gets
    them here, not every process of the container."""
    dsn = psycopg2.extensions.parse_dsn(database_url)
    names = {"host": "PGHOST", "port": "PGPORT", "user": "PGUSER",
             "password": "PGPASSWORD", "dbname": "PGDATABASE"}
    env = {**environment(), **{names[k]: str(v) for k, v in dsn.items() if k in names}}
    libraries = Path(variable("PROCEDURA_PG_BIN") or "/nonexistent").parent / "lib"
    if libraries.is_dir():
        env["LD_LIBRARY_PATH"] = ":".join(
            p for p in (str(libraries), env.get("LD_LIBRARY_PATH")) if p)
    return env


class Snapshot:
    """An open, read-only view of the database at one instant."""

    def __init__(self, conn, snapshot_id: str):
        self.conn = conn
        self.snapshot_id = snapshot_id

    def _cursor(self):
        return self.conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor)

    def schemas(self) -> list[str]:
        with self._cursor() as cur:
            cur.execute("SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s)",
                        (list(SCHEMAS),))
            return sorted(row["nspname"] for row in cur.fetchall())

    def migrations(self) -> dict[str, list[str]]:
        """Each schema's applied migrations (a newer Procedura applies the rest)."""
        levels = {}
        with self._cursor() as cur:
            for schema in self.schemas():
                cur.execute(f'SELECT name FROM "{schema}".schema_migrations ORDER BY name')
                levels[schema] = [row["name"] for row in cur.fetchall()]
        return levels

    def versions(self) -> list[dict]:
        """Every version whose content is still kept (disposed ones have none), with
        where its original, text and PDF rendition are stored."""
        if "versioning" not in self.schemas():
            return []
        with self._cursor() as cur:
            cur.execute("""SELECT id::text, document_id::text, object_key, object_version_id,
                                  sha256, size, text_key, extraction_status, legal_hold,
                                  rendition_status, rendition_key, rendition_object_version
                           FROM versioning.versions WHERE disposed_at IS NULL ORDER BY id""")
            return cur.fetchall()

    def audit_anchor(self) -> dict:
        """The audit trail's last hash at this instant (`audit verify --anchor`)."""
        if "documents" not in self.schemas():
            return {"last_hash": audit.GENESIS, "entries": 0}
        with self._cursor() as cur:
            cur.execute("SET LOCAL search_path TO documents, public")
            result = audit.verify(cur)
        if "broken_at" in result:
            raise RuntimeError(f"the audit trail is broken at entry {result['broken_at']}: "
                               f"run `procedura audit verify` before backing it up")
        return {"last_hash": result["last_hash"], "entries": result["entries"]}

    def dump(self, database_url: str, into: Callable[[BinaryIO], None]) -> None:
        """pg_dump of every Procedura schema, in this snapshot, custom format (restorable
        by a newer pg_restore, with owners and grants left to the target), streamed to
        `into` as it is made: no local copy, whatever the destination."""
        command = [pg_tool("pg_dump"), "--format=custom", f"--snapshot={self.snapshot_id}",
                   "--no-owner", "--no-privileges"]
        command += [f"--schema={schema}" for schema in self.schemas()]
        with tempfile.TemporaryFile() as errors:
            process = subprocess.Popen(command, env=libpq_environment(database_url),
                                       stdout=subprocess.PIPE, stderr=errors)
            try:
                into(process.stdout)
            finally:
                process.stdout.close()
                returncode = process.wait()
            if returncode != 0:
                errors.seek(0)
                raise BackupError(f"pg_dump failed: {errors.read().decode().strip()}")


@contextlib.contextmanager
def snapshot(database_url: str) -> Iterator[Snapshot]:
    conn = psycopg2.connect(database_url)
    try:
        conn.set_session(isolation_level=psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ,
                         readonly=True)
        with conn.cursor() as cur:
            cur.execute("SELECT pg_export_snapshot()")
            snapshot_id = cur.fetchone()[0]
        yield Snapshot(conn, snapshot_id)   # open until pg_dump and every query are done
    finally:
        conn.rollback()
        conn.close()
