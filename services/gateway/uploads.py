"""Streaming multipart uploads straight to their final key in the versioned bucket.

The request body is parsed as it arrives; the bytes of the `file` part go to MinIO in
parts of a few MB, one part at a time, hashed and counted as they pass, so no upload
is ever whole in memory or on local disk, and storing it copies and rereads nothing.
"""
from __future__ import annotations

import hashlib
import logging
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable

from multipart import MultipartError, MultipartSegment, PushMultipartParser, parse_options_header

from services.common.filenames import sanitise_filename
from services.contracts.errors import (
    InvalidInput, PayloadTooLarge, ServiceUnavailable, validate)
from services.contracts.models import ChangeNote, Numbering, PlacedUpload, original_key

log = logging.getLogger(__name__)
READ = 64 * 1024
PART = 8 * 1024 * 1024   # MinIO's minimum multipart part is 5 MiB
MAX_FIELD = 16 * 1024
# a body larger than this, or of unknown length, is read only once documents has said
# the document exists and may be read; a smaller one is refused after it (one RPC less)
ASK_FIRST_BYTES = 4 * 1024 * 1024
# the message of services/gateway/rpc.py for a call whose outcome is unknown
NO_ANSWER = "did not answer within"


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
class Stored:
    """The `file` part as it lies in MinIO."""
    key: str
    filename: str
    size: int
    sha256: str
    object_version_id: str | None


@dataclass
class Upload:
    stored: Stored | None = None
    fields: dict[str, str] = field(default_factory=dict)


class _FilePart:
    """File-like view of one multipart segment, counted against the size limit and
    hashed as it is read."""

    def __init__(self, events, limit: int):
        self._events = events
        self._limit = limit
        self._buffer = bytearray()
        self._done = False
        self.size = 0
        self.digest = hashlib.sha256()

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
                self.digest.update(event)
                self._buffer += event
        # one copy of what is handed out, none of what stays
        if n < 0 or n >= len(self._buffer):
            chunk = bytes(self._buffer)
            self._buffer.clear()
        else:
            chunk = bytes(memoryview(self._buffer)[:n])
            del self._buffer[:n]
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


def receive(request, minio, bucket: str, limit: int,
            key_for: Callable[[str], str]) -> Upload:
    """Read a multipart/form-data request: small fields into a dict, `file` into
    `bucket` under key_for(its sanitised name)."""
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
            if event.name == "file" and event.filename is not None and upload.stored is None:
                upload.stored = _store(events, event, minio, bucket, limit, key_for)
            else:
                upload.fields[event.name] = _field(events, event.name)
    except BaseException as exc:
        # a request that fails stores nothing: the file may be stored before a later
        # field is refused
        if upload.stored is not None:
            _remove_quietly(minio, bucket, upload.stored)
        if isinstance(exc, MultipartError):
            raise InvalidInput(f"malformed multipart body: {exc}",
                               {"field": "body"}) from None
        raise
    if upload.stored is None:
        raise InvalidInput("the `file` field is missing", {"field": "file"})
    return upload


def asks_first(request) -> bool:
    """Is the body too large (or of unknown length) to be read before documents has
    said the document exists and may be read?"""
    return request.content_length is None or request.content_length > ASK_FIRST_BYTES


def add_revision(deps, request, username: str, document_id: str,
                 session_id: str | None = None) -> dict:
    """The uploaded file as `username`'s next revision of the document (the REST route
    and the web page): size declared and concurrent uploads bounded, streamed to the key
    its version will have, handed to documents in one RPC; an upload refused or failed
    leaves no object behind. `session_id`: the session documents checks with the
    revision (a small body, whose session the route did not check before reading it)."""
    cfg = deps.config
    check_declared_size(request, cfg.settings.upload_limit_bytes)
    if asks_first(request):
        deps.documents.get(username, document_id)  # 404 before reading the body
    version_id = uuid.uuid4()
    with slot(cfg.settings.upload_concurrency):
        upload = receive(request, cfg.minio, cfg.bucket, cfg.settings.upload_limit_bytes,
                         lambda filename: original_key(document_id, version_id, filename))
        stored = upload.stored
        try:
            note = validate(ChangeNote, {k: v for k, v in upload.fields.items()
                                         if k in ChangeNote.model_fields})
            numbering = {k: upload.fields[k] for k in Numbering.model_fields
                         if upload.fields.get(k, "").strip()}
            placed = PlacedUpload(version_id=version_id, object_key=stored.key,
                                  object_version_id=stored.object_version_id,
                                  filename=stored.filename, size=stored.size,
                                  sha256=stored.sha256)
            return deps.documents.add_revision(
                username, document_id, placed.model_dump(mode="json"),
                note.model_dump(mode="json"),
                validate(Numbering, numbering).model_dump() if numbering else None,
                **({"session_id": session_id} if session_id is not None else {}))
        except ServiceUnavailable as exc:
            if NO_ANSWER not in exc.message:
                _remove_quietly(cfg.minio, cfg.bucket, stored)
            else:
                # the version may still be recorded (documents waits on versioning): its
                # object stays; if no version names it, `procedura doctor` lists it
                log.warning("upload of %s: no answer; %s kept", document_id, stored.key)
            raise
        except BaseException:
            # refused, or failed before documents recorded anything: it must not linger
            _remove_quietly(cfg.minio, cfg.bucket, stored)
            raise


def _body_stream(request):
    """The request body as it arrives. Werkzeug gives an empty stream for a body without
    Content-Length unless the server says it terminates it; eventlet's server decodes
    `Transfer-Encoding: chunked` itself, so such a body is read from wsgi.input."""
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if request.content_length is None and chunked:
        return request.environ["wsgi.input"]
    return request.stream


def _store(events, segment, minio, bucket: str, limit: int,
           key_for: Callable[[str], str]) -> Stored:
    try:
        filename = sanitise_filename(segment.filename)   # refused before a byte is stored
    except ValueError as exc:
        raise InvalidInput(f"the file name {exc}", {"field": "file"}) from None
    key = key_for(filename)
    part = _FilePart(events, limit)
    # one part in memory at a time (parallel parts would hold several); a multipart
    # upload cut short is aborted by the client and leaves nothing (no removal here: in
    # the versioned bucket that would only write a delete marker)
    result = minio.put_object(bucket, key, part, length=-1, part_size=PART,
                              num_parallel_uploads=1)
    return Stored(key=key, filename=filename, size=part.size,
                  sha256=part.digest.hexdigest(), object_version_id=result.version_id)


def _remove_quietly(minio, bucket: str, stored: Stored) -> None:
    try:
        minio.remove_object(bucket, stored.key, version_id=stored.object_version_id)
    except Exception:   # MinIO itself away: `procedura doctor` lists what is left
        log.warning("could not remove the upload %s", stored.key, exc_info=True)


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
