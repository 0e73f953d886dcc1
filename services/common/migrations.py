"""Forward-only SQL migrations, one schema per service.

Files are `<package>/NNN_name.sql`, applied in order inside one transaction each,
recorded in `<schema>.schema_migrations`; an advisory lock serialises services
that start at the same time.
"""
from __future__ import annotations

import importlib.resources
import zlib

import psycopg2
from psycopg2 import sql


COMMON = "services.common.sql"  # outbox and inbox, in every schema


def _files(package: str) -> list[tuple[str, str]]:
    prefix = "common/" if package == COMMON else ""
    return sorted(
        (prefix + entry.name, entry.read_text(encoding="utf-8"))
        for entry in importlib.resources.files(package).iterdir()
        if entry.name.endswith(".sql"))


def migrate(database_url: str, schema: str, package: str) -> list[str]:
    """Apply the pending migrations of `package` (after the common ones) to `schema`;
    returns the names applied."""
    files = _files(COMMON) + _files(package)
    applied: list[str] = []
    conn = psycopg2.connect(database_url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (zlib.crc32(schema.encode()),))
            cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            cur.execute(sql.SQL("SET LOCAL search_path TO {}, public").format(
                sql.Identifier(schema)))
            cur.execute("""CREATE TABLE IF NOT EXISTS schema_migrations (
                               name text PRIMARY KEY,
                               applied_at timestamptz NOT NULL DEFAULT now())""")
            cur.execute("SELECT name FROM schema_migrations")
            done = {row[0] for row in cur.fetchall()}
            for name, body in files:
                if name in done:
                    continue
                cur.execute(body)
                cur.execute("INSERT INTO schema_migrations (name) VALUES (%s)", (name,))
                applied.append(name)
    finally:
        conn.close()
    return applied
