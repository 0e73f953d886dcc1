"""A backup destination on S3: `s3://bucket/prefix` on another MinIO or S3 service, with
credentials of its own (docs/backup.md). The same verbs as a directory
(backup_storage.Storage), so everything else is written once."""
from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import os
import socket
import threading
import time
import uuid
from typing import BinaryIO, Callable, Iterator

from minio import Minio
from minio.commonconfig import ComposeSource, CopySource
from minio.error import S3Error

from procedura_cli.backup_storage import CHUNK, BackupError, ContentMismatch, Hashing, StorageFull
from services.common.settings import known_value

PART = 16 * 1024 * 1024        # multipart part of a file of unknown size (the dump)
COPY_LIMIT = 5 * 1024 ** 3     # the largest object one server-side copy makes

# the S3 destination's own service and credentials, from the environment (the CronJob's
# Secret, the systemd unit's EnvironmentFile): never a default, never the installation's
# own MinIO keys taken silently (a backup on the same service is lost with it)
S3_VARIABLES = {"endpoint": "PROCEDURA_BACKUP_S3_ENDPOINT",
                "access_key": "PROCEDURA_BACKUP_S3_ACCESS_KEY",
                "secret_key": "PROCEDURA_BACKUP_S3_SECRET_KEY"}
S3_SECURE = "PROCEDURA_BACKUP_S3_SECURE"     # "false" for plain HTTP (a test, a LAN)
S3_REGION = "PROCEDURA_BACKUP_S3_REGION"


def s3_client(environ: dict[str, str]) -> Minio:
    """A client of the destination's S3 service; BackupError naming each variable that
    is missing or holds a value written in the repository."""
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


def checksum(sha256: str) -> dict[str, str]:
    """The header with which the server checks a PUT's body against its sha256."""
    return {"x-amz-checksum-sha256": base64.b64encode(bytes.fromhex(sha256)).decode()}


def _read_up_to(source: BinaryIO, limit: int) -> bytes:
    chunks, total = [], 0
    while total < limit and (chunk := source.read(min(CHUNK, limit - total))):
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


class S3Storage:
    """A bucket and prefix on an S3 service. Its lock is an object per writer, refreshed
    while it works: S3 has no lock, and a writer killed -9 must not block the next run
    for long (its lock is stale `STALE` seconds after its last refresh)."""

    STALE = 120
    REFRESH = 30

    def __init__(self, url: str, client: Minio):
        bucket, _, prefix = url[len("s3://"):].partition("/")
        self.name, self.client, self.bucket = url, client, bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    def _key(self, key: str) -> str:
        return self.prefix + key

    def size(self, key: str) -> int | None:
        try:
            return self.client.stat_object(self.bucket, self._key(key)).size
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
                return None
            raise

    @contextlib.contextmanager
    def reader(self, key: str):
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
        self._put(key, source, -1 if length is None else length,
                  part_size=PART if length is None else 0)

    def _put(self, key: str, source: BinaryIO, length: int, **options) -> None:
        try:
            self.client.put_object(self.bucket, self._key(key), source, length, **options)
        except S3Error as exc:
            if exc.code in ("XMinioStorageFull", "QuotaExceeded",
                            "XMinioAdminBucketQuotaExceeded"):
                raise StorageFull(f"the destination {self.name} is full: {exc}") from None
            raise

    def write_addressed(self, source: BinaryIO, length: int, expected: str | None,
                        key_for: Callable[[str], str]) -> tuple[str, int]:
        """One PUT straight to the content-addressed key, carrying the sha256 for the
        server to check (x-amz-checksum-sha256: S3 and MinIO refuse a body that hashes
        otherwise), so no object appears under a good name with other bytes. The S3
        client reads a part into memory anyway; an object larger than one part is
        streamed under a temporary key and moved into place once hashed."""
        if length > PART:
            return self._write_large(source, length, expected, key_for)
        data = _read_up_to(source, length + 1)   # one more: a longer body is told
        found = hashlib.sha256(data).hexdigest()
        if expected and found != expected:
            raise ContentMismatch(found)
        if len(data) != length:
            raise BackupError(f"{len(data)} bytes read, {length} expected")
        self._put(key_for(found), io.BytesIO(data), len(data), metadata=checksum(found))
        return found, len(data)

    def _write_large(self, source, length, expected, key_for) -> tuple[str, int]:
        tmp = f"objects/sha256/tmp/{uuid.uuid4().hex}"
        hashed = Hashing(source)
        self.write(tmp, hashed, length)
        found = hashed.digest.hexdigest()
        if expected and found != expected:
            self.remove(tmp)
            raise ContentMismatch(found)
        self.move(tmp, key_for(found))
        return found, hashed.size

    def move(self, key: str, to: str) -> None:
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
