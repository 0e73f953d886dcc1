"""Streaming multipart uploads into the staging bucket.

The request body is parsed as it arrives; the bytes of the `file` part go to
MinIO in parts of a few MB, so no upload is ever whole in memory or on local disk.
"""
from __future__ import annotations

import logging
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field

from multipart import MultipartError, MultipartSegment, PushMultipartParser, parse_options_header

from services.common.filenames import sanitise_filename
from services.contracts.errors import (
    InvalidInput, PayloadTooLarge, ServiceUnavailable, validate)
from services.contracts.models import ChangeNote, Numbering, StagedUpload, User

log = logging.getLogger(__name__)
READ = 64 * 1024
PART = 8 * 1024 * 1024   # MinIO's minimum multipart part is 5 MiB
MAX_FIELD = 16 * 1024


RETRY_AFTER = 5
_in_progress = 0   # uploads this gateway process is streaming (one eventlet hub: no lock)


@contextmanager
def slot(limit: int):
    """Hold one of `limit` upload slots of this process, or refuse with 503 at once
    (before reading the body): a flood of large uploads cannot exhaust the gateway."""
    global _in_progress
    if _in_progress >= limit:
        raise ServiceUnavailable(
            f"too many uploads in progress ({limit}); try again in {RETRY_AFTER} seconds",
            {"field": "file", "uploads_in_progress": _in_progress,
             "retry_after_seconds": RETRY_AFTER})
    _in_progress += 1
    try:
        yield
    finally:
        _in_progress -= 1


@dataclass
class Upload:
    staged: StagedUpload | None = None
    fields: dict[str, str] = field(default_factory=dict)


class _FilePart:
    """File-like view of one multipart segment, counted against the size limit."""

    def __init__(self, events, limit: int):
        self._events = events
        self._limit = limit
        self._buffer = bytearray()
        self._done = False
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        while not self._done and (n < 0 or len(self._buffer) < n):
            event = next(self._events, None)
            if event is None:        # end of segment (or of the body)
                self._done = True
            else:
                self.size += len(event)
                if self.size > self._limit:
                    raise PayloadTooLarge(f"the file is larger than {self._limit} bytes",
                                          {"field": "file", "limit": self._limit})
                self._buffer += event
        n = len(self._buffer) if n < 0 else n
        chunk, self._buffer = bytes(self._buffer[:n]), self._buffer[n:]
        return chunk


def _events(stream, parser):
    while chunk := stream.read(READ):
        yield from parser.parse(chunk)
    yield from parser.parse(b"")
    parser.close()


def check_declared_size(request, limit: int) -> None:
    """413 at once for a body that says it is larger than the limit (plus room for the
    multipart framing and the small fields): nothing of it is read."""
    if (request.content_length or 0) > limit + 1024 * 1024:
        raise PayloadTooLarge(f"the file is larger than {limit} bytes",
                              {"field": "file", "limit": limit})


def receive(request, minio, bucket: str, limit: int) -> Upload:
    """Read a multipart/form-data request: small fields into a dict, `file` into staging."""
    content_type, options = parse_options_header(request.headers.get("Content-Type", ""))
    if content_type != "multipart/form-data" or "boundary" not in options:
        raise InvalidInput("expected multipart/form-data with a `file` field",
                           {"field": "file"})
    check_declared_size(request, limit)
    upload = Upload()
    events = _events(_body_stream(request), PushMultipartParser(options["boundary"]))
    try:
        for event in events:
            if not isinstance(event, MultipartSegment):
                continue
            if event.name == "file" and event.filename is not None and upload.staged is None:
                upload.staged = _stage(events, event, minio, bucket, limit)
            else:
                upload.fields[event.name] = _field(events, event.name)
    except BaseException as exc:
        # a request that fails stores nothing: the file may be staged before a later
        # field is refused
        if upload.staged is not None:
            _remove_quietly(minio, bucket, upload.staged.staging_key)
        if isinstance(exc, MultipartError):
            raise InvalidInput(f"malformed multipart body: {exc}",
                               {"field": "body"}) from None
        raise
    if upload.staged is None:
        raise InvalidInput("the `file` field is missing", {"field": "file"})
    return upload


def add_revision(deps, request, user: User, document_id: str) -> dict:
    """The uploaded file as the document's next revision (the REST route and the web
    page): size declared and concurrent uploads bounded, streamed to staging, handed
    to versioning; the staged copy never lingers."""
    deps.documents.get(user.username, document_id)  # 404 before reading the body
    cfg = deps.config
    check_declared_size(request, cfg.settings.upload_limit_bytes)
    with slot(cfg.settings.upload_concurrency):
        upload = receive(request, cfg.minio, cfg.staging_bucket,
                         cfg.settings.upload_limit_bytes)
        try:
            note = validate(ChangeNote, {k: v for k, v in upload.fields.items()
                                         if k in ChangeNote.model_fields})
            numbering = {k: upload.fields[k] for k in Numbering.model_fields
                         if upload.fields.get(k, "").strip()}
            return deps.documents.add_revision(
                user.username, document_id, upload.staged.model_dump(mode="json"),
                note.model_dump(mode="json"),
                validate(Numbering, numbering).model_dump() if numbering else None)
        except BaseException:
            # on success versioning has moved it; on any failure (refused, a service
            # away, a deadline passed) it must not linger
            cfg.minio.remove_object(cfg.staging_bucket, upload.staged.staging_key)
            raise


def _body_stream(request):
    """The request body as it arrives. Werkzeug gives an empty stream for a body without
    Content-Length unless the server says it terminates it; eventlet's server decodes
    `Transfer-Encoding: chunked` itself, so such a body is read from wsgi.input."""
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if request.content_length is None and chunked:
        return request.environ["wsgi.input"]
    return request.stream


def _stage(events, segment, minio, bucket: str, limit: int) -> StagedUpload:
    try:
        filename = sanitise_filename(segment.filename)   # refused before a byte is stored
    except ValueError as exc:
        raise InvalidInput(f"the file name {exc}", {"field": "file"}) from None
    key = f"staging/{uuid.uuid4()}"
    part = _FilePart(events, limit)
    try:
        minio.put_object(bucket, key, part, length=-1, part_size=PART)
    except BaseException:
        # a part upload cut short leaves nothing; one that completed is removed
        _remove_quietly(minio, bucket, key)
        raise
    return StagedUpload(staging_key=key, filename=filename, size=part.size)


def _remove_quietly(minio, bucket: str, key: str) -> None:
    try:
        minio.remove_object(bucket, key)
    except Exception:   # MinIO itself away: `procedura doctor` lists what is left
        log.warning("could not remove the staged upload %s", key, exc_info=True)


def _field(events, name: str) -> str:
    value = bytearray()
    for event in events:
        if event is None:
            break
        value += event
        if len(value) > MAX_FIELD:
            raise InvalidInput(f"the field {name} is too long", {"field": name})
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"the field {name} is not UTF-8 text", {"field": name}) from None
