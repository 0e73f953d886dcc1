"""The register endpoints of the gateway (a mixin of GatewayService, which provides
`self.documents`, `self.versioning`, `self._user` and `self._version`): changing a
document's record, archiving a revision, disposing of a document's content, and
downloads whose sha256 is checked as they stream."""
from __future__ import annotations

import hashlib
import logging
from urllib.parse import quote

import requests
from werkzeug.wrappers import Response

from services.contracts.errors import Conflict, InvalidInput, NotFound, validate
from services.contracts.api import Disposal
from services.contracts.models import Comment, DocumentChange, Version
from services.gateway.entrypoints import error_response, http, json_body, json_response

log = logging.getLogger(__name__)
CHUNK = 64 * 1024
# what a user may do instead of deleting or replacing a version in each status
IMMUTABLE_INSTEAD = {
    "draft": ["upload a new revision"], "in_verification": ["reject"],
    "in_endorsement": ["reject"], "in_approval": ["reject"],
    "approved": ["upload a new revision"], "in_force": ["withdraw", "upload a new revision"],
    "superseded": ["archive", "restore"], "withdrawn": ["archive"],
    "archived": ["dispose of the document after its retention period"],
}
PREFETCH = 256 * 1024   # files up to this size are checked whole before a byte is sent


def _id(value: str, what: str) -> str:
    from uuid import UUID

    try:
        return str(UUID(value))
    except ValueError:
        raise NotFound(f"no {what} {value}", {what + "_id": value}) from None


_json = json_body   # services/gateway/entrypoints.py


class RegisterRoutes:
    @http("PATCH", "/api/documents/<document_id>")
    def update_document(self, request, document_id):
        """Change a document's record: only the fields named (null clears an optional one)."""
        user = self._user(request)
        change = validate(DocumentChange, _json(request))
        if not change.model_fields_set:
            raise InvalidInput("name at least one field to change", {"field": "body"})
        body = change.model_dump(mode="json", include=change.model_fields_set)
        return json_response(self.documents.update(user.username,
                                                   _id(document_id, "document"), body))

    @http("POST", "/api/versions/<version_id>/archive")
    def archive_version(self, request, version_id):
        """The quality office archives a withdrawn or superseded revision."""
        user = self._user(request)
        comment = validate(Comment, _json(request)).comment
        version_id = _id(version_id, "version")
        self.documents.archive(user.username, version_id, comment)
        return json_response(self._version(user, version_id).model_dump(mode="json"))

    @http("GET", "/api/documents/<document_id>/disposal")
    def disposal(self, request, document_id):
        """When the document's content may be disposed of (409 when it may not)."""
        user = self._user(request)
        return json_response({"disposal_possible_from": self.documents.disposal_date(
            user.username, _id(document_id, "document"))})

    @http("POST", "/api/documents/<document_id>/dispose")
    def dispose(self, request, document_id):
        """After the retention period, delete the content (`reason`: the decision)."""
        user = self._user(request)
        reason = validate(Disposal, _json(request)).reason
        return json_response(self.documents.dispose(user.username,
                                                    _id(document_id, "document"), reason))

    @http("DELETE", "/api/versions/<version_id>")
    def delete_version(self, request, version_id):
        """Stored versions are immutable records: never deleted (409 saying what to do)."""
        return self._immutable(request, version_id, "deleted")

    @http("PUT", "/api/versions/<version_id>/content")
    def replace_content(self, request, version_id):
        """Nor are their bytes replaced: a change is a new revision (409)."""
        return self._immutable(request, version_id, "replaced")

    def _immutable(self, request, version_id, verb: str):
        user = self._user(request)
        version = self._version(user, _id(version_id, "version"))
        status = version.status.value
        allowed = IMMUTABLE_INSTEAD.get(status, [])
        article = "an" if status[0] in "aeiou" else "a"
        raise Conflict(f"{article} {status.replace('_', ' ')} version cannot be {verb}: every "
                       f"stored version is kept as it is"
                       + (f"; instead: {', '.join(allowed)}" if allowed else ""),
                       {"status": status, "allowed_actions": allowed,
                        "legal_hold": version.legal_hold})

    def _verified_content(self, version: Version) -> Response:
        """The original, hashed as it is read.

        A file of up to PREFETCH bytes is read whole and checked before anything is sent:
        a mismatch is a 500 `integrity_check_failed`. A larger one streams with its last
        chunk held back until the hash is known: bytes that do not match end the
        connection short of Content-Length (the client sees a broken download, never a
        complete wrong file). Either way an integrity alarm is recorded."""
        url = self.versioning.content_location(str(version.id))
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
            if not self._intact(version_id, digest.hexdigest(), total, expected, size):
                return error_response(
                    500, "integrity_check_failed",
                    "the stored original does not match its sha256: it is not served",
                    {"version_id": version_id, "expected_sha256": expected})
            return self._download(version, iter(head))
        intact = self._intact

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
                if not intact(version_id, digest.hexdigest(), total + len(held), expected,
                              size):
                    raise IOError(f"integrity check failed for version {version_id}: "
                                  "download cut short")
                yield held
            finally:
                upstream.close()

        return self._download(version, rest())

    def _intact(self, version_id: str, found: str, total: int, expected: str,
                size: int) -> bool:
        if found == expected and total == size:
            return True
        log.error("download of %s: sha256 %s (%s bytes) instead of %s (%s bytes)",
                  version_id, found, total, expected, size)
        self.versioning.integrity_alarm(version_id, found, total, "download")
        return False

    @staticmethod
    def _download(version: Version, body) -> Response:
        ascii_name = version.filename.encode("ascii", "replace").decode().replace('"', "_")
        headers = {"Content-Length": str(version.size), "X-Content-SHA256": version.sha256,
                   "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; "
                                          f"filename*=UTF-8''{quote(version.filename)}"}
        return Response(body, headers=headers, content_type=version.media_type,
                        direct_passthrough=True)
