"""`procedura backup restore DEST`: a complete backup into an empty installation, then
proven: search index rebuilt, every original hashed again, the audit trail checked
against the backup's anchor (docs/backup.md)."""
from __future__ import annotations

import contextlib
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import psycopg2
import psycopg2.extras

from procedura_cli.backup_manifest import (
    CHUNK, BackupError, Destination, check_files, referenced_files)
from procedura_cli.backup_objects import Progress, put_back
from procedura_cli.backup_snapshot import SCHEMAS, libpq_environment, pg_tool
from procedura_cli.paths import MIGRATIONS
from services.common.migrations import migrate
from services.common.settings import Settings
from services.versioning.adapters.storage import ObjectStore


@dataclass
class Restored:
    backup_id: str
    versions: int = 0
    objects: int = 0
    bytes: int = 0
    holds: int = 0
    renditions: int = 0
    written: set[tuple[str, str]] = field(default_factory=set)   # (key, object version)
    removed: int = 0    # object versions of the replaced installation
    migrations_applied: list[str] = field(default_factory=list)
    seconds: float = 0.0


def check_restorable(dest: Destination, backup_id: str) -> dict:
    """The manifest of a complete backup whose files are all there; BackupError naming
    every missing or cut file otherwise (nothing is touched before this passes)."""
    problems = dest.completeness(backup_id)
    if problems:
        raise BackupError(f"backup {backup_id} is incomplete, not restored: "
                          + "; ".join(str(p) for p in problems))
    manifest = dest.manifest(backup_id)
    problems = check_files(dest, referenced_files(manifest), deep=False)
    dump = manifest["files"][0]
    if not problems:
        problems = check_files(dest, {dump["path"]: (dump["size"], dump["sha256"])})
    if problems:
        raise BackupError(f"backup {backup_id} lacks files, not restored: "
                          + "; ".join(str(p) for p in problems))
    return manifest


def holdings(settings: Settings) -> dict[str, int]:
    """What the target installation already holds: documents, versions, objects."""
    held = {"documents": 0, "versions": 0, "objects": 0}
    conn = psycopg2.connect(settings.secret("database_url"))
    try:
        with conn, conn.cursor() as cur:
            for name, table in (("documents", "documents.documents"),
                                ("versions", "versioning.versions")):
                cur.execute("SELECT to_regclass(%s)", (table,))
                if cur.fetchone()[0]:
                    cur.execute(f"SELECT count(*) FROM {table}")
                    held[name] = cur.fetchone()[0]
    finally:
        conn.close()
    store = ObjectStore(settings.minio)
    if store.client.bucket_exists(store.bucket):
        held["objects"] = sum(1 for _ in store.client.list_objects(
            store.bucket, prefix="originals/", recursive=True))
    return held


def _database(settings: Settings, dest: Destination, manifest: dict) -> None:
    """Drop Procedura's schemas and restore them from the dump (one transaction)."""
    url = settings.secret("database_url")
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            # running services hold no lock between transactions; one that does is waited
            # for a while, not forever
            cur.execute("SET LOCAL lock_timeout = '60s'")
            cur.execute("DROP SCHEMA IF EXISTS " + ", ".join(f'"{s}"' for s in SCHEMAS)
                        + " CASCADE")
    finally:
        conn.close()
    env = libpq_environment(url)
    # the dump streamed from the destination (a directory or S3): no local copy
    with tempfile.TemporaryFile() as errors, \
            dest.storage.reader(manifest["files"][0]["path"]) as dump:
        process = subprocess.Popen(
            [pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
             "--single-transaction", f"--dbname={env['PGDATABASE']}"],
            env=env, stdin=subprocess.PIPE, stderr=errors)
        try:
            while chunk := dump.read(CHUNK):
                process.stdin.write(chunk)
        except BrokenPipeError:   # pg_restore stopped at an error: said below
            pass
        finally:
            with contextlib.suppress(BrokenPipeError):
                process.stdin.close()
        if process.wait() != 0:
            errors.seek(0)
            raise BackupError(f"pg_restore failed: {errors.read().decode().strip()}")


def _migrate(settings: Settings) -> list[str]:
    """A backup of an older Procedura gets this one's migrations."""
    applied = []
    for schema, package in MIGRATIONS.items():
        applied += [f"{schema}/{name}" for name in
                    migrate(settings.secret("database_url"), schema, package)]
    return applied


def _objects(settings: Settings, dest: Destination, manifest: dict,
             result: Restored, workers: int) -> None:
    """Every object back under its key; the new object version ids of the originals and
    PDF renditions into their manifests (downloads and the viewer read exactly that
    version); legal holds again."""
    store = ObjectStore(settings.minio)
    store.ensure_buckets()
    objects = manifest["objects"]
    progress = Progress(len(objects), sum(o["size"] for o in objects))
    pinned: dict[str, list[tuple[str, str]]] = {"original": [], "rendition": []}

    def one(item: dict) -> None:
        new_version = put_back(store.client, store.bucket, dest, item)
        result.written.add((item["key"], new_version))
        if item["kind"] in pinned:
            pinned[item["kind"]].append((new_version, item["version"]))
        if item["kind"] == "original":
            if item["legal_hold"] and store.hold(item["key"], new_version):
                result.holds += 1
        progress.add(item["size"], True)
        result.objects += 1
        result.bytes += item["size"]

    with ThreadPoolExecutor(workers) as pool:
        for _ in pool.map(one, objects):
            pass
    conn = psycopg2.connect(settings.secret("database_url"))
    try:
        with conn, conn.cursor() as cur:
            psycopg2.extras.execute_batch(
                cur, "UPDATE versioning.versions SET object_version_id = %s WHERE id = %s",
                pinned["original"])
            psycopg2.extras.execute_batch(
                cur, "UPDATE versioning.versions SET rendition_object_version = %s "
                     "WHERE id = %s", pinned["rendition"])
    finally:
        conn.close()
    result.versions = len(pinned["original"])
    result.renditions = len(pinned["rendition"])


def _remove_replaced(settings: Settings, result: Restored) -> None:
    """`--replace`: every object version older than this restore's first write that the
    restore did not write belonged to the replaced installation (its originals, texts,
    renditions, page images, staged uploads); nothing names them any more, so they go,
    legal holds lifted first. What the running services wrote since (a page image
    viewed meanwhile) is newer, and stays."""
    store = ObjectStore(settings.minio)
    store.ensure_buckets()
    listed = {bucket: list(store.client.list_objects(bucket, recursive=True,
                                                     include_version=True))
              for bucket in (store.bucket, store.staging)}
    began = min((o.last_modified for o in listed[store.bucket]
                 if (o.object_name, o.version_id) in result.written), default=None)
    for bucket, objects in listed.items():
        for obj in objects:
            if (obj.object_name, obj.version_id) in result.written or (
                    began and obj.last_modified >= began):
                continue
            if bucket == store.bucket and store.object_lock and not obj.is_delete_marker:
                store.client.disable_object_legal_hold(bucket, obj.object_name,
                                                       version_id=obj.version_id)
            store.client.remove_object(bucket, obj.object_name, version_id=obj.version_id)
            result.removed += 1


def restore(settings: Settings, dest: Destination, backup_id: str | None,
            replace: bool = False, workers: int = 4) -> Restored:
    """Database, then objects. The caller checks the installation afterwards
    (`checks`), with the services running."""
    started = time.monotonic()
    backup_id = backup_id or dest.latest()
    if backup_id not in dest.backup_ids():
        raise BackupError(f"{dest.name} holds no backup {backup_id}")
    manifest = check_restorable(dest, backup_id)
    held = holdings(settings)
    if any(held.values()) and not replace:
        raise BackupError(
            f"the installation is not empty ({held['documents']} documents, "
            f"{held['versions']} versions, {held['objects']} stored originals): not "
            f"restored; --replace replaces them all")
    result = Restored(backup_id)
    _database(settings, dest, manifest)
    result.migrations_applied = _migrate(settings)
    _objects(settings, dest, manifest, result, workers)
    if replace:
        _remove_replaced(settings, result)
    result.seconds = round(time.monotonic() - started, 3)
    return result

