"""Stored objects into a backup (content addressed: copied once per destination) and
back into a bucket."""
from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor

from minio import Minio
from minio.error import S3Error

from procedura_cli.backup_manifest import BackupError, Destination, HashingReader
from procedura_cli.backup_storage import ContentMismatch
from procedura_cli.backup_storage_s3 import checksum


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n:.1f} GB"


class Progress:
    """Objects and bytes done, the rate and the time left, on stderr about once a second."""

    def __init__(self, objects: int, total_bytes: int, out=sys.stderr):
        self.objects, self.total = objects, total_bytes
        self.done_objects = self.done_bytes = 0
        self.copied_objects = self.copied_bytes = 0
        self.started = self._shown = time.monotonic()
        self.out = out

    def add(self, size: int, copied: bool) -> None:
        self.done_objects += 1
        self.done_bytes += size
        self.copied_objects += int(copied)
        self.copied_bytes += size if copied else 0
        now = time.monotonic()
        if now - self._shown >= 1 or self.done_objects == self.objects:
            self._shown = now
            self.show(now)

    def rate(self, now: float | None = None) -> float:
        elapsed = max((now or time.monotonic()) - self.started, 1e-6)
        return self.done_bytes / elapsed

    def show(self, now: float) -> None:
        rate = self.rate(now)
        left = (self.total - self.done_bytes) / rate if rate else 0
        print(f"objects {self.done_objects}/{self.objects}, "
              f"{_size(self.done_bytes)} of {_size(self.total)} "
              f"({self.copied_objects} copied, {_size(self.copied_bytes)}), {_size(rate)}/s, "
              f"ETA {int(left) // 60}:{int(left) % 60:02d}", file=self.out, flush=True)


class Throttle:
    """At most `bytes_per_second` (0: no limit), so a backup by day spares production."""

    def __init__(self, bytes_per_second: float):
        self.rate = bytes_per_second
        self.started = time.monotonic()
        self.sent = 0

    def wait(self, n: int) -> None:
        if not self.rate:
            return
        self.sent += n
        ahead = self.sent / self.rate - (time.monotonic() - self.started)
        if ahead > 0:
            time.sleep(ahead)


def copy_in(client: Minio, bucket: str, dest: Destination, item: dict,
            throttle: Throttle, stored: dict[str, int]) -> bool:
    """Copy one object version into DEST unless it is there already (`stored`: path ->
    size); True when copied. Read once and written once, to its content-addressed place,
    only when its sha256 is the one expected (backup_storage.write_addressed)."""
    if item["sha256"] and stored.get(dest.object_path(item["sha256"])) == item["size"]:
        if "content_type" not in item:   # the same bytes under a key no backup had
            _describe(client, bucket, item)
        return False
    response = client.get_object(bucket, item["key"], version_id=item["version_id"])
    if "content_type" not in item:
        _describe(client, bucket, item, response.headers)
    try:
        # straight to its content-addressed place, the sha256 checked on the way
        found, size = dest.storage.write_addressed(
            _Paced(response, throttle.wait), item["size"], item["sha256"] or None,
            dest.object_path)
    except ContentMismatch as exc:
        raise BackupError(f"{item['key']} (object version {item['version_id']}) hashes to "
                          f"{exc.found}, its manifest says {item['sha256']}: the stored "
                          f"original is damaged; `procedura verify-integrity` lists every "
                          f"such one") from None
    finally:
        response.close()
        response.release_conn()
    item["sha256"], item["size"] = found, size
    return True


class _Paced:
    """A stream read at the throttle's pace."""

    def __init__(self, stream, pace):
        self.stream, self.pace = stream, pace

    def read(self, n: int = -1) -> bytes:
        data = self.stream.read(n)
        self.pace(len(data))
        return data


def _describe(client: Minio, bucket: str, item: dict, headers=None) -> None:
    """The object version's content type and user metadata (x-amz-meta-*), which a
    restore puts back."""
    if headers is None:
        headers = client.stat_object(bucket, item["key"], version_id=item["version_id"]).metadata
    item["content_type"] = headers.get("Content-Type")
    item["metadata"] = {k[len("x-amz-meta-"):]: v for k, v in headers.items()
                        if k.lower().startswith("x-amz-meta-")}


def copy_all(client: Minio, bucket: str, dest: Destination, items: list[dict],
             workers: int = 4, max_rate: float = 0) -> Progress:
    """Copy every object version of `items` (each gets its sha256, size and path)."""
    progress = Progress(len(items), sum(i["size"] for i in items))
    throttle = Throttle(max_rate)
    stored = dest.stored_objects() if items else {}

    def one(item: dict) -> None:
        copied = copy_in(client, bucket, dest, item, throttle, stored)
        item["path"] = dest.object_path(item["sha256"])
        progress.add(item["size"], copied)

    with ThreadPoolExecutor(workers) as pool:
        for _ in pool.map(one, items):
            pass
    if not items:
        progress.show(time.monotonic())
    return progress


def put_back(client: Minio, bucket: str, dest: Destination, item: dict) -> str | None:
    """Upload one object of a backup to its key; returns the new object version id.
    The bytes are checked against the manifest on the way, by the bucket's service too
    (x-amz-checksum-sha256): a damaged file goes nowhere."""
    damaged = BackupError(f"{item['path']} is damaged (sha256 differs from the manifest); "
                          f"nothing of it was restored")
    with dest.storage.reader(item["path"]) as stream:
        reader = HashingReader(stream)
        try:
            result = client.put_object(bucket, item["key"], reader, item["size"],
                                       content_type=item.get("content_type")
                                       or "application/octet-stream",
                                       metadata={**(item.get("metadata") or {}),
                                                 **checksum(item["sha256"])})
        except S3Error as exc:
            if exc.code == "XAmzContentChecksumMismatch":
                raise damaged from None
            raise
    if reader.hexdigest() != item["sha256"]:   # a service that ignores the checksum
        client.remove_object(bucket, item["key"], version_id=result.version_id)
        raise damaged
    return result.version_id
