"""Page images and renditions in the stored bucket, as the page images need them: each
page image remembers the rendition (its object version) it was drawn from, so a rebuilt
rendition never serves pages drawn from the one before."""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

from minio.error import S3Error
from urllib3.exceptions import HTTPError

from services.contracts.errors import NotFound, ServiceUnavailable

DRAWN_FROM = "drawn-from"     # user metadata of a page image: the rendition's object version
_MISSING = ("NoSuchKey", "NoSuchVersion", "MethodNotAllowed")
CHUNK = 1024 * 1024


class PageObjects:
    # `store`: versioning's ObjectStore (services/versioning/adapters/storage.py), handed
    # in by the worker; not imported, so this package depends on no other service's code
    def __init__(self, store):
        self.store = store

    def drawn_from(self, key: str) -> tuple[str | None, str | None]:
        """(the rendition version the page image under `key` was drawn from, the page
        image's own object version); (None, None) when there is none yet. One stat,
        nothing read."""
        try:
            with _reached():
                found = self.store.client.stat_object(self.store.bucket, key)
        except S3Error as exc:
            if exc.code in _MISSING:
                return None, None
            raise
        # MinIO answers user metadata as x-amz-meta-<name> headers
        return found.metadata.get(f"x-amz-meta-{DRAWN_FROM}") or "", found.version_id

    def put(self, key: str, image: bytes, media_type: str, drawn_from: str) -> str | None:
        """Store a page image; returns the object version MinIO gave it."""
        with _reached():
            return self.store.client.put_object(
                self.store.bucket, key, io.BytesIO(image), len(image), content_type=media_type,
                metadata={DRAWN_FROM: drawn_from}).version_id

    def download(self, key: str, version_id: str | None, path: Path) -> None:
        """The stored object (that object version) into a local file, a chunk at a time;
        NotFound when it is not in the bucket (a rendition lost: rebuild makes it again)."""
        try:
            with _reached():
                response = self.store.open(key, version_id)
        except S3Error as exc:
            if exc.code in _MISSING:
                raise NotFound(f"the rendition {key} is missing from the object storage: "
                               "`procedura renditions rebuild --all` makes it again",
                               {"key": key}) from None
            raise
        try:
            with _reached(), open(path, "wb") as out:
                for chunk in response.stream(CHUNK):
                    out.write(chunk)
        finally:
            response.close()
            response.release_conn()

    def location(self, key: str, version_id: str | None = None) -> str:
        return self.store.location(key, version_id=version_id)


@contextlib.contextmanager
def _reached():
    """MinIO away (refused, reset, retries spent) is a 503 the client may retry, naming
    the storage, never an internal error."""
    try:
        yield
    except HTTPError as exc:
        raise ServiceUnavailable(f"the object storage is not reachable "
                                 f"({exc.__class__.__name__})", {"service": "storage"}) from None
