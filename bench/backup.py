"""Backup benchmark (issue 17): `procedura backup create` and its restore against the raw
figure, in the same run: `pg_dump` of the same schemas plus every object copied with a
plain S3 client (the minio client, as many threads as the backup's workers), and back
(`pg_restore` plus every file put). Then the time of an incremental backup of an unchanged
system and after 1% more versions.

The environment is filled without the services (they play no part in a backup): N
version manifests in versioning.versions, each with its original and its text in MinIO,
random bytes of --size (originals) and a tenth of it (texts).
Run: `.venv/bin/python bench/backup.py --versions 10000 --size 20000 [--s3]` (--s3: also
to and from `s3://bucket/bench`, a bucket of the stack's MinIO), or
`.venv/bin/python bench/backup.py --restore-with-checks DEST`: one restore with its checks
(search reindex, verify-integrity, audit verify) into an installation whose services run.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg2
import psycopg2.extras

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devenv.environment import TestEnvironment, free_port  # noqa: E402
from devenv.running import Services  # noqa: E402
from procedura_cli.backup_manifest import Destination  # noqa: E402
from procedura_cli.backup_restore import restore  # noqa: E402
from procedura_cli.backup_snapshot import SCHEMAS, libpq_environment, pg_tool  # noqa: E402
from procedura_cli.backup_storage_s3 import S3Storage  # noqa: E402
from procedura_cli.paths import MIGRATIONS  # noqa: E402
from services.common.migrations import migrate  # noqa: E402
from services.common.settings import Settings  # noqa: E402
from services.versioning.adapters.storage import ObjectStore  # noqa: E402


def settings_of(environment: TestEnvironment) -> Settings:
    return Settings.from_config(environment.config())


def prepare(environment: TestEnvironment) -> Settings:
    environment.create()
    settings = settings_of(environment)
    for schema, package in MIGRATIONS.items():
        migrate(settings.database_url, schema, package)
    ObjectStore(settings.minio).ensure_buckets()
    return settings


def fill(settings: Settings, count: int, size: int, workers: int) -> None:
    """`count` versions: a row each, an original and a text in the bucket."""
    store = ObjectStore(settings.minio)

    def one(_) -> tuple:
        document_id, version_id = uuid.uuid4(), uuid.uuid4()
        data, text = os.urandom(size), os.urandom(size // 10).hex()[: size // 10]
        key = f"originals/{document_id}/{version_id}/p.docx"
        put = store.client.put_object(store.bucket, key, io.BytesIO(data), len(data))
        store.put_text(f"texts/{document_id}/{version_id}.txt", text)
        return (str(version_id), str(document_id), len(data), hashlib.sha256(data).hexdigest(), key,
                f"texts/{document_id}/{version_id}.txt", put.version_id)

    with ThreadPoolExecutor(workers) as pool:
        rows = list(pool.map(one, range(count)))
    conn = psycopg2.connect(settings.database_url)
    with conn, conn.cursor() as cur:
        psycopg2.extras.execute_batch(cur, """
            INSERT INTO versioning.versions (id, document_id, edition, revision, filename,
                media_type, size, sha256, object_key, text_key, author, extraction_status,
                object_version_id)
            VALUES (%s, %s, 1, 0, 'p.docx', 'application/octet-stream', %s, %s, %s, %s,
                    'bench', 'done', %s)""", rows, page_size=500)
    conn.close()


def timed(action) -> float:
    started = time.monotonic()
    action()
    return time.monotonic() - started


def raw_backup(settings: Settings, target: Path, workers: int) -> int:
    """pg_dump + every current object of the bucket with the plain client; bytes."""
    env = libpq_environment(settings.database_url)
    subprocess.run([pg_tool("pg_dump"), "--format=custom", f"--file={target / 'db.dump'}",
                    *[f"--schema={s}" for s in SCHEMAS]], env=env, check=True)
    store = ObjectStore(settings.minio)
    listed = list(store.client.list_objects(store.bucket, recursive=True))

    def one(obj) -> int:
        path = target / "objects" / obj.object_name
        path.parent.mkdir(parents=True, exist_ok=True)
        store.client.fget_object(store.bucket, obj.object_name, str(path))
        return obj.size

    with ThreadPoolExecutor(workers) as pool:
        return sum(pool.map(one, listed))


def raw_restore(settings: Settings, source: Path, workers: int) -> None:
    env = libpq_environment(settings.database_url)
    subprocess.run([pg_tool("pg_restore"), "--no-owner", "--no-privileges",
                    "--single-transaction", f"--dbname={env['PGDATABASE']}",
                    str(source / "db.dump")], env=env, check=True)
    store = ObjectStore(settings.minio)
    store.ensure_buckets()
    files = [p for p in (source / "objects").rglob("*") if p.is_file()]

    def one(path: Path) -> None:
        store.client.fput_object(store.bucket, str(path.relative_to(source / "objects")),
                                 str(path))

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, files))


def procedura_backup(environment: TestEnvironment, dest: Path | str, workers: int,
                     env: dict | None = None) -> float:
    command = [sys.executable, "-m", "procedura_cli.main", "backup", "create", str(dest),
               "--workers", str(workers)]
    return timed(lambda: subprocess.run(command, cwd=ROOT, check=True,
                                        env={**os.environ, **environment.environ(),
                                             **(env or {})},
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))


def s3_destination(bucket: str) -> tuple[str, dict, object]:
    """A bucket of the stack's MinIO standing in for another S3 service (the root keys:
    a benchmark, not a deployment)."""
    from procedura_cli.backup_storage_s3 import s3_client
    from devenv.environment import MINIO_ENDPOINT, minio_admin, stack_secrets

    minio_admin().make_bucket(bucket)
    secrets = stack_secrets()
    env = {"PROCEDURA_BACKUP_S3_ENDPOINT": MINIO_ENDPOINT, "PROCEDURA_BACKUP_S3_SECURE": "false",
           "PROCEDURA_BACKUP_S3_ACCESS_KEY": secrets["PROCEDURA_MINIO_ACCESS_KEY"],
           "PROCEDURA_BACKUP_S3_SECRET_KEY": secrets["PROCEDURA_MINIO_SECRET_KEY"]}
    return f"s3://{bucket}/bench", env, s3_client(env)


def remove_bucket(bucket: str) -> None:
    from minio.deleteobjects import DeleteObject

    from devenv.environment import minio_admin

    client = minio_admin()
    if client.bucket_exists(bucket):
        objects = [DeleteObject(o.object_name, o.version_id) for o in
                   client.list_objects(bucket, recursive=True, include_version=True)]
        for error in client.remove_objects(bucket, objects):
            raise RuntimeError(f"could not empty {bucket}: {error}")
        client.remove_bucket(bucket)


def restore_with_checks(dest: str) -> int:
    """The RTO's restore: `procedura backup restore DEST` into an empty installation whose
    services run, checks included (it prints how long they and the whole restore took)."""
    target = TestEnvironment(f"bkrto{os.getpid()}", gateway_port=free_port())
    target.create()
    services = Services(target)
    try:
        services.up()
        started = time.monotonic()
        result = subprocess.run([sys.executable, "-m", "procedura_cli.main", "backup",
                                 "restore", dest], cwd=ROOT, capture_output=True, text=True,
                                env={**os.environ, **target.environ()})
        print(result.stdout, result.stderr[-2000:] if result.returncode else "")
        print(f"restore with checks, as a process: {time.monotonic() - started:.1f} s")
        return result.returncode
    finally:
        services.down()
        target.destroy()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--versions", type=int, default=10000)
    parser.add_argument("--size", type=int, default=20000, help="bytes of each original")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--s3", action="store_true",
                        help="also back up to, and restore from, s3://bucket/prefix")
    parser.add_argument("--restore-with-checks", metavar="DEST",
                        help="only: restore DEST into an empty installation whose services "
                             "run, checks included (the RTO)")
    args = parser.parse_args()
    if args.restore_with_checks:
        return restore_with_checks(args.restore_with_checks)
    pid = os.getpid()
    source, raw_target, target = (TestEnvironment(f"bk{c}{pid}") for c in "srt")
    work = Path(tempfile.mkdtemp(prefix="procedura-bench-backup-"))
    try:
        settings = prepare(source)
        fill_s = timed(lambda: fill(settings, args.versions, args.size, args.workers))
        print(f"filled {args.versions} versions in {fill_s:.1f} s", file=sys.stderr)
        (work / "raw").mkdir()
        started = time.monotonic()
        total = raw_backup(settings, work / "raw", args.workers)
        raw_s = time.monotonic() - started
        full_s = procedura_backup(source, work / "dest", args.workers)
        unchanged_s = procedura_backup(source, work / "dest", args.workers)
        fill(settings, max(1, args.versions // 100), args.size, args.workers)
        one_percent_s = procedura_backup(source, work / "dest", args.workers)

        raw_target.create()   # an empty database: pg_restore creates the schemas
        raw_restore_s = timed(lambda: raw_restore(settings_of(raw_target), work / "raw",
                                                  args.workers))
        target_settings = prepare(target)
        dest = Destination(work / "dest")
        first = dest.complete_ids()[0]   # the full backup: the same data as the raw copy
        restore_s = timed(lambda: restore(target_settings, dest, first, workers=args.workers))
        mb = total / 1e6
        print(f"| {args.versions} versions, {2 * args.versions} objects, {mb:.0f} MB "
              f"| raw {raw_s:.1f} s ({mb / raw_s:.1f} MB/s) | backup {full_s:.1f} s "
              f"({mb / full_s:.1f} MB/s, {raw_s / full_s:.2f}x raw) | unchanged "
              f"{unchanged_s:.1f} s | +1% {one_percent_s:.1f} s | raw restore "
              f"{raw_restore_s:.1f} s | restore {restore_s:.1f} s "
              f"({raw_restore_s / restore_s:.2f}x raw) |")
        if args.s3:
            url, env, client = s3_destination(f"procedura-bk{pid}-dest")
            s3_full_s = procedura_backup(source, url, args.workers, env)
            s3_unchanged_s = procedura_backup(source, url, args.workers, env)
            target.destroy()
            target_settings = prepare(target)
            s3_dest = Destination(S3Storage(url, client))
            s3_restore_s = timed(lambda: restore(target_settings, s3_dest, None,
                                                 workers=args.workers))
            print(f"| s3:// destination | backup {s3_full_s:.1f} s ({mb / s3_full_s:.1f} MB/s,"
                  f" {raw_s / s3_full_s:.2f}x raw) | unchanged {s3_unchanged_s:.1f} s | "
                  f"restore {s3_restore_s:.1f} s ({raw_restore_s / s3_restore_s:.2f}x raw) |")
    finally:
        for environment in (source, raw_target, target):
            environment.destroy()
        remove_bucket(f"procedura-bk{pid}-dest")
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
