"""The register endpoints of the gateway (a mixin of GatewayService, which provides
`self.documents`, `self.versioning`, `self._user` and `self._version`): changing a
document's record, archiving a revision, disposing of a document's content, and
downloads whose sha256 is checked as they stream."""
from __future__ import annotations

from services.contracts.errors import Conflict, InvalidInput, NotFound, validate
from services.contracts.api import Disposal
from services.contracts.models import Comment, DocumentChange
from services.gateway.entrypoints import http, json_response
from services.gateway.params import json_body
# what a user may do instead of deleting or replacing a version in each status
IMMUTABLE_INSTEAD = {
    "draft": ["upload a new revision"], "in_verification": ["reject"],
    "in_endorsement": ["reject"], "in_approval": ["reject"],
    "approved": ["upload a new revision"], "in_force": ["withdraw", "upload a new revision"],
    "superseded": ["archive", "restore"], "withdrawn": ["archive"],
    "archived": ["dispose of the document after its retention period"],
}


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
