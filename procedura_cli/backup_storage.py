"""Where a backup's files live: a directory, or `s3://bucket/prefix` on another MinIO or
S3 service (docs/backup.md). Both hold the same layout under relative keys
("objects/sha256/ab/abcd…", "backups/<ID>/manifest.json"); everything a backup means
(manifest, content addressing, `complete`, verify, retention) is written once, in
backup_manifest.py and beside it, over these few verbs.

A file is written whole or not at all: on disk under a temporary name, flushed and
renamed; on S3 by one PUT (an object appears only once its upload is complete).
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import BinaryIO, Iterator, Protocol

from eventlet import tpool

CHUNK = 1024 * 1024
PART = 16 * 1024 * 1024        # S3 multipart part of a file of unknown size (the dump)
COPY_LIMIT = 5 * 1024 ** 3     # the largest object one server-side copy makes


class BackupError(Exception):
    """A backup cannot be made, read or restored; the message says why."""


class StorageFull(BackupError):
    """The destination has no room left; nothing written was marked complete."""


class Storage(Protocol):
    name: str   # as the operator wrote it: a path, or s3://bucket/prefix

    def size(self, key: str) -> int | None:
        """The file's size; None when there is none."""

    def reader(self, key: str) -> contextlib.AbstractContextManager[BinaryIO]:
        """The file's bytes (FileNotFoundError when there is none)."""

    def write(self, key: str, source: BinaryIO, length: int | None = None) -> None:
        """Write `source` (read to its end) as `key`, whole or not at all."""

    def move(self, key: str, to: str) -> None:
        """Rename a file written whole (into its content-addressed place)."""

    def remove(self, key: str) -> None:
        """Remove a file (none: nothing to do)."""

    def files(self, prefix: str) -> Iterator[tuple[str, int]]:
        """Every file under `prefix/` (recursive): its key and size."""

    def folders(self, prefix: str) -> list[str]:
        """The names just under `prefix/` that hold files (the backups' ids)."""

    def locked(self) -> contextlib.AbstractContextManager[None]:
        """One writer (create, prune) at a time; BackupError naming the other one."""


class DirectoryStorage:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.name = str(root)

    def path(self, key: str) -> Path:
        return self.root / key

    def size(self, key: str) -> int | None:
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError:
            return None

    def reader(self, key: str):
        return open(self.path(key), "rb")

    def write(self, key: str, source: BinaryIO, length: int | None = None) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            with open(tmp, "wb") as fh:
                while chunk := source.read(CHUNK):
                    fh.write(chunk)
                fh.flush()
                # on disk before its name says it is whole; in a real thread, since under
                # eventlet (the CLI) a blocking fsync would stop every other copy
                tpool.execute(os.fsync, fh.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            if exc.errno == errno.ENOSPC:
                raise StorageFull(f"the destination {self.name} is full: {exc}") from None
            raise
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def move(self, key: str, to: str) -> None:
        self.path(to).parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.path(key), self.path(to))

    def remove(self, key: str) -> None:
        path = self.path(key)
        path.unlink(missing_ok=True)
        # and its folders once empty: a removed backup is no longer listed
        for folder in path.parents:
            if folder == self.root or not folder.is_relative_to(self.root):
                break
            try:
                folder.rmdir()
            except OSError:
                break

    def files(self, prefix: str) -> Iterator[tuple[str, int]]:
        folder = self.path(prefix)
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if path.is_file():
                yield path.relative_to(self.root).as_posix(), path.stat().st_size

    def folders(self, prefix: str) -> list[str]:
        folder = self.path(prefix)
        return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() \
            else []

    @contextlib.contextmanager
    def locked(self):
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise BackupError(f"another backup or prune is running on {self.name}") \
                    from None
            yield


class S3Storage:
    """A bucket and prefix on an S3 service. Its lock is an object per writer, refreshed
    while it works: S3 has no lock, and a writer killed -9 must not block the next run
    for long (its lock is stale `STALE` seconds after its last refresh)."""

    STALE = 120
    REFRESH = 30

    def __init__(self, url: str, client):
        bucket, _, prefix = url[len("s3://"):].partition("/")
        self.name, self.client, self.bucket = url, client, bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    def _key(self, key: str) -> str:
        return self.prefix + key

    def size(self, key: str) -> int | None:
        from minio.error import S3Error

        try:
            return self.client.stat_object(self.bucket, self._key(key)).size
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
                return None
            raise

    @contextlib.contextmanager
    def reader(self, key: str):
        from minio.error import S3Error

        try:
            response = self.client.get_object(self.bucket, self._key(key))
        except S3Error as exc:
            if exc.code == "NoSuchKey":
                raise FileNotFoundError(f"{self.name}/{key}") from None
            raise
        try:
            yield response
        finally:
            response.close()
            response.release_conn()

    def write(self, key: str, source: BinaryIO, length: int | None = None) -> None:
        from minio.error import S3Error

        try:
            self.client.put_object(self.bucket, self._key(key), source,
                                   -1 if length is None else length,
                                   part_size=PART if length is None else 0)
        except S3Error as exc:
            if exc.code in ("XMinioStorageFull", "QuotaExceeded", "XMinioAdminBucketQuotaExceeded"):
                raise StorageFull(f"the destination {self.name} is full: {exc}") from None
            raise

    def move(self, key: str, to: str) -> None:
        from minio.commonconfig import ComposeSource, CopySource

        source = self._key(key)
        if (self.size(key) or 0) > COPY_LIMIT:
            self.client.compose_object(self.bucket, self._key(to),
                                       [ComposeSource(self.bucket, source)])
        else:
            self.client.copy_object(self.bucket, self._key(to), CopySource(self.bucket, source))
        self.client.remove_object(self.bucket, source)

    def remove(self, key: str) -> None:
        self.client.remove_object(self.bucket, self._key(key))

    def files(self, prefix: str) -> Iterator[tuple[str, int]]:
        start = self._key(prefix.rstrip("/") + "/")
        for obj in self.client.list_objects(self.bucket, prefix=start, recursive=True):
            yield obj.object_name[len(self.prefix):], obj.size

    def folders(self, prefix: str) -> list[str]:
        start = self._key(prefix.rstrip("/") + "/")
        return sorted(obj.object_name[len(start):].rstrip("/")
                      for obj in self.client.list_objects(self.bucket, prefix=start)
                      if obj.is_dir)

    @contextlib.contextmanager
    def locked(self):
        if not self.client.bucket_exists(self.bucket):
            raise BackupError(f"the bucket of {self.name} does not exist (create it, with "
                              f"versioning off or on, and give the backup's key access)")
        mine = f".locks/{uuid.uuid4().hex}"
        holder = json.dumps({"host": socket.gethostname(), "pid": os.getpid()}).encode()

        def refresh():
            import io
            self.write(mine, io.BytesIO(holder), len(holder))

        refresh()
        others = []
        for lock in self.client.list_objects(self.bucket, prefix=self._key(".locks/")):
            if lock.object_name == self._key(mine):
                continue
            if time.time() - lock.last_modified.timestamp() < self.STALE:
                others.append(lock.object_name)
            else:   # left by a writer that was killed: no longer refreshed
                self.client.remove_object(self.bucket, lock.object_name)
        if others:
            self.remove(mine)
            raise BackupError(f"another backup or prune is running on {self.name} (its lock "
                              f"{others[0]} was refreshed less than {self.STALE} s ago)")
        stop = threading.Event()

        def keep_fresh():
            while not stop.wait(self.REFRESH):
                refresh()

        keeper = threading.Thread(target=keep_fresh, daemon=True)
        keeper.start()
        try:
            yield
        finally:
            stop.set()
            keeper.join()
            self.remove(mine)


# the S3 destination's own service and credentials, from the environment (the CronJob's
# Secret, the systemd unit's EnvironmentFile): never a default, never the installation's
# own MinIO keys taken silently (a backup on the same service is lost with it)
S3_VARIABLES = {"endpoint": "PROCEDURA_BACKUP_S3_ENDPOINT",
                "access_key": "PROCEDURA_BACKUP_S3_ACCESS_KEY",
                "secret_key": "PROCEDURA_BACKUP_S3_SECRET_KEY"}
S3_SECURE = "PROCEDURA_BACKUP_S3_SECURE"     # "false" for plain HTTP (a test, a LAN)
S3_REGION = "PROCEDURA_BACKUP_S3_REGION"


def s3_client(environ: dict[str, str]):
    """A client of the destination's S3 service; BackupError naming each variable that
    is missing or holds a value written in the repository."""
    from minio import Minio

    from services.common.settings import known_value

    values = {name: (environ.get(variable) or "").strip()
              for name, variable in S3_VARIABLES.items()}
    missing = [S3_VARIABLES[n] for n, v in values.items() if not v]
    if missing:
        raise BackupError(f"an s3:// destination needs {', '.join(missing)} (docs/backup.md)")
    if known_value(values["secret_key"]):
        raise BackupError(f"{S3_VARIABLES['secret_key']} is a value written in the "
                          f"repository (a default or a placeholder): set the real key")
    secure = (environ.get(S3_SECURE) or "true").strip().lower() not in ("false", "0", "no")
    endpoint = values["endpoint"].removeprefix("https://").removeprefix("http://")
    return Minio(endpoint, access_key=values["access_key"], secret_key=values["secret_key"],
                 secure=secure, region=environ.get(S3_REGION) or None)


def destination_storage(where: str, environ: dict[str, str]) -> Storage:
    """`s3://bucket/prefix` or a directory."""
    if where.startswith("s3://"):
        bucket = where[len("s3://"):].partition("/")[0]
        if not bucket:
            raise BackupError(f"{where}: an s3:// destination names its bucket "
                              f"(s3://bucket/prefix)")
        return S3Storage(where.rstrip("/"), s3_client(environ))
    return DirectoryStorage(where)
