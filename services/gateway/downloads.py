"""Downloads of an original: its sha256 is checked as it streams. The one path by which
Procedura hands out a stored original, for the REST API's /content and the web
interface's download alike."""
from __future__ import annotations

import hashlib
import logging
from urllib.parse import quote

import requests
from werkzeug.wrappers import Response

from services.contracts.models import Version
from services.gateway.entrypoints import error_response

log = logging.getLogger(__name__)
CHUNK = 64 * 1024
PREFETCH = 256 * 1024   # files up to this size are checked whole before a byte is sent


def verified_content(versioning, version: Version) -> Response:
    """The original, hashed as it is read.

    A file of up to PREFETCH bytes is read whole and checked before anything is sent:
    a mismatch is a 500 `integrity_check_failed`. A larger one streams with its last
    chunk held back until the hash is known: bytes that do not match end the
    connection short of Content-Length (the client sees a broken download, never a
    complete wrong file). Either way an integrity alarm is recorded."""
    url = versioning.content_location(str(version.id))
    upstream = requests.get(url, stream=True, timeout=60)
    upstream.raise_for_status()
    version_id, expected, size = str(version.id), version.sha256, version.size
    chunks = upstream.iter_content(CHUNK)
    digest, head = hashlib.sha256(), []
    for chunk in chunks:
        digest.update(chunk)
        head.append(chunk)
        if sum(map(len, head)) >= PREFETCH:
            break
    else:   # the whole file is here: check it before answering
        upstream.close()
        total = sum(map(len, head))
        if not _intact(versioning, version_id, digest.hexdigest(), total, expected, size):
            return error_response(
                500, "integrity_check_failed",
                "the stored original does not match its sha256: it is not served",
                {"version_id": version_id, "expected_sha256": expected})
        return _download(version, iter(head))

    # the rest streams after the entrypoint has returned: its alarm goes through the
    # proxy of this call, `versioning`, never one looked up again
    def rest():
        held, total = None, 0
        try:
            for chunk in [*head[:-1]]:
                total += len(chunk)
                yield chunk
            held = head[-1]
            for chunk in chunks:
                digest.update(chunk)
                total += len(held)
                yield held
                held = chunk
            if not _intact(versioning, version_id, digest.hexdigest(), total + len(held),
                           expected, size):
                raise IOError(f"integrity check failed for version {version_id}: "
                              "download cut short")
            yield held
        finally:
            upstream.close()

    return _download(version, rest())


def _intact(versioning, version_id: str, found: str, total: int, expected: str,
            size: int) -> bool:
    if found == expected and total == size:
        return True
    log.error("download of %s: sha256 %s (%s bytes) instead of %s (%s bytes)",
              version_id, found, total, expected, size)
    versioning.integrity_alarm(version_id, found, total, "download")
    return False


def _download(version: Version, body) -> Response:
    ascii_name = version.filename.encode("ascii", "replace").decode().replace('"', "_")
    headers = {"Content-Length": str(version.size), "X-Content-SHA256": version.sha256,
               "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; "
                                      f"filename*=UTF-8''{quote(version.filename)}"}
    return Response(body, headers=headers, content_type=version.media_type,
                    direct_passthrough=True)
