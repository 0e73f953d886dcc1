"""Originals, text renditions, PDF renditions and cached page images in MinIO (a
versioned bucket)."""
from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import uuid
from datetime import datetime, timedelta
from typing import Iterator

from minio import Minio
from minio.commonconfig import CopySource
from minio.error import S3Error
from minio.versioningconfig import ENABLED, VersioningConfig

from services.common.settings import MinioSettings
from services.contracts.errors import InvalidInput
# the gateway streams uploads to this key; versioning records them there
from services.contracts.models import original_key  # noqa: F401

CHUNK = 1024 * 1024
log = logging.getLogger(__name__)


def make_client(settings: MinioSettings) -> Minio:
    return Minio(settings.endpoint, access_key=settings.access_key,
                 secret_key=settings.secret_key, secure=settings.secure)


def staging_bucket(settings: MinioSettings) -> str:
    return f"{settings.bucket}-staging"


def text_key(document_id, version_id) -> str:
    return f"texts/{document_id}/{version_id}.txt"


def rendition_key(document_id, version_id) -> str:
    """The PDF rendition of a version (issue 13), beside its original and text."""
    return f"renditions/{document_id}/{version_id}.pdf"


def page_prefix(version_id) -> str:
    """Where the page images drawn from a version's rendition are cached (the keys
    themselves: services/renditions/use_cases/pages.py); removed with the version."""
    return f"pages/{version_id}/"


class ObjectStore:
    """Two buckets: `<bucket>` (versioned: originals and texts, never overwritten) and
    `<bucket>-staging` (uploads on their way in, deleted once promoted)."""

    def __init__(self, settings: MinioSettings):
        self.bucket = settings.bucket
        self.staging = staging_bucket(settings)
        self.client = make_client(settings)
        self.object_lock = False   # known once ensure_buckets() has asked the server

    def ensure_buckets(self) -> None:
        """Create both buckets; versioning on the main one, so no write destroys a version,
        and object lock, so approved originals can be put under legal hold."""
        for bucket in (self.bucket, self.staging):
            if not self.client.bucket_exists(bucket):
                try:
                    self.client.make_bucket(bucket, object_lock=bucket == self.bucket)
                except S3Error as exc:  # another service created it meanwhile
                    if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                        raise
        self.client.set_bucket_versioning(self.bucket, VersioningConfig(ENABLED))
        self.object_lock = self._has_object_lock()
        if not self.object_lock:
            log.warning("bucket %s was created without object lock: approved originals "
                        "get no legal hold (create the bucket anew to have it)", self.bucket)

    def _has_object_lock(self) -> bool:
        try:
            self.client.get_object_lock_config(self.bucket)
            return True
        except S3Error as exc:
            if exc.code == "ObjectLockConfigurationNotFoundError":
                return False
            raise

    def hold(self, key: str, version_id: str | None) -> bool:
        """Put a legal hold on one object version (True if the bucket supports it)."""
        if not self.object_lock:
            return False
        self.client.enable_object_legal_hold(self.bucket, key, version_id=version_id)
        return True

    def purge(self, key: str, keep: str | None = None) -> int:
        """Delete every version of `key` but the object version `keep` (lifting legal
        holds first); returns how many. Idempotent: a key with no versions left deletes
        nothing."""
        removed = 0
        for obj in self.client.list_objects(self.bucket, prefix=key, include_version=True):
            if obj.object_name != key or (keep is not None and obj.version_id == keep):
                continue
            if self.object_lock and not obj.is_delete_marker:
                self.client.disable_object_legal_hold(self.bucket, key,
                                                      version_id=obj.version_id)
            self.client.remove_object(self.bucket, key, version_id=obj.version_id)
            removed += 1
        return removed

    def check(self) -> str:
        """For health checks: both buckets answer."""
        for bucket in (self.bucket, self.staging):
            if not self.client.bucket_exists(bucket):
                raise RuntimeError(f"bucket {bucket} is missing")
        return "ok"

    @contextlib.contextmanager
    def staged(self, key: str) -> Iterator[tuple[int, Iterator[bytes]]]:
        """A staged upload read once, as it streams: (its size, its chunks). One request
        gives what storing it needs (size, first bytes, sha256); memory stays at one
        chunk."""
        try:
            response = self.client.get_object(self.staging, key)
        except S3Error as exc:
            if exc.code == "NoSuchKey":
                raise InvalidInput("the staged upload does not exist",
                                   {"field": "staging_key", "key": key}) from None
            raise
        try:
            yield int(response.headers["Content-Length"]), response.stream(CHUNK)
        finally:
            response.close()
            response.release_conn()

    def head(self, key: str, version_id: str | None, wanted: int) -> tuple[int, bytes]:
        """(size, first `wanted` bytes) of one object version of the versioned bucket,
        in one request; InvalidInput when it is not there."""
        try:
            response = self.client.get_object(self.bucket, key, offset=0, length=wanted,
                                              version_id=version_id)
        except S3Error as exc:
            if exc.code == "InvalidRange":   # an empty object has no first byte
                return self.client.stat_object(self.bucket, key, version_id=version_id).size, b""
            if exc.code in ("NoSuchKey", "NoSuchVersion"):
                raise InvalidInput("the placed upload does not exist",
                                   {"field": "staged", "key": key}) from None
            raise
        try:
            head = response.read()
            whole = response.headers.get("Content-Range", "").rpartition("/")[2]
            return (int(whole) if whole.isdigit() else len(head)), head
        finally:
            response.close()
            response.release_conn()

    def stored_sha256(self, key: str, version_id: str | None = None) -> tuple[str, int] | None:
        """Hash a stored object (None when it is missing): the object version
        `version_id` when given, else the newest one under the key."""
        try:
            return self._sha256(self.bucket, key, version_id)
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchVersion"):
                return None
            raise

    def newest_version(self, key: str) -> str | None:
        """The object version a plain read of `key` gets now (None: none, or deleted)."""
        try:
            return self.client.stat_object(self.bucket, key).version_id
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchVersion", "MethodNotAllowed"):
                return None
            raise

    def _sha256(self, bucket: str, key: str, version_id: str | None) -> tuple[str, int]:
        digest, size = hashlib.sha256(), 0
        response = self.client.get_object(bucket, key, version_id=version_id)
        try:
            for chunk in response.stream(CHUNK):
                digest.update(chunk)
                size += len(chunk)
        finally:
            response.close()
            response.release_conn()
        return digest.hexdigest(), size

    def open(self, key: str, version_id: str | None = None):
        """A streaming response; the caller closes it."""
        return self.client.get_object(self.bucket, key, version_id=version_id)

    def promote(self, staging_key: str, key: str) -> str | None:
        """Copy a staged upload to its final key (server side) and drop the staged copy;
        returns the object version MinIO gave it."""
        result = self.client.copy_object(self.bucket, key, CopySource(self.staging, staging_key))
        self.discard(staging_key)
        return result.version_id

    def stage_copy(self, key: str, version_id: str | None = None) -> str:
        """Copy a stored object (the object version `version_id` when given) into the
        staging bucket (server side); returns its key."""
        staging_key = f"staging/{uuid.uuid4()}"
        self.client.copy_object(self.staging, staging_key,
                                CopySource(self.bucket, key, version_id=version_id))
        return staging_key

    def remove_version(self, key: str, version_id: str | None) -> None:
        """Delete one object version this service has just written (an upload whose
        manifest could not be recorded)."""
        self.client.remove_object(self.bucket, key, version_id=version_id)

    def listed(self, staging: bool, prefix: str = "") -> Iterator[tuple[str, int, datetime]]:
        """(key, size, last modified) of the current objects of the main bucket, or of
        the staging bucket, under `prefix`."""
        bucket = self.staging if staging else self.bucket
        for obj in self.client.list_objects(bucket, prefix=prefix, recursive=True):
            yield obj.object_name, obj.size, obj.last_modified

    def discard(self, staging_key: str) -> None:
        self.client.remove_object(self.staging, staging_key)

    def put_text(self, key: str, text: str) -> None:
        data = text.encode("utf-8")
        self.client.put_object(self.bucket, key, io.BytesIO(data), len(data),
                               content_type="text/plain; charset=utf-8")

    def put_file(self, key: str, path, content_type: str) -> str | None:
        """Store a file from local disk (a rendition); returns its object version."""
        result = self.client.fput_object(self.bucket, key, str(path), content_type=content_type)
        return result.version_id

    def download(self, key: str, version_id: str | None, path) -> None:
        """Write one stored object (exactly the object version `version_id`) to `path`."""
        self.client.fget_object(self.bucket, key, str(path), version_id=version_id)

    def purge_prefix(self, prefix: str) -> int:
        """Delete every version of every object under `prefix` (cached page images);
        returns how many."""
        removed = 0
        for obj in self.client.list_objects(self.bucket, prefix=prefix, recursive=True,
                                            include_version=True):
            self.client.remove_object(self.bucket, obj.object_name, version_id=obj.version_id)
            removed += 1
        return removed

    def read_text(self, key: str) -> str:
        """A text rendition (capped in size when it was extracted)."""
        response = self.client.get_object(self.bucket, key)
        try:
            return response.read().decode("utf-8")
        finally:
            response.close()
            response.release_conn()

    def location(self, key: str, minutes: int = 10, version_id: str | None = None) -> str:
        """A short-lived URL to read one object (for the gateway and the search service);
        with `version_id`, exactly that version of it."""
        return self.client.presigned_get_object(self.bucket, key,
                                                expires=timedelta(minutes=minutes),
                                                version_id=version_id)
