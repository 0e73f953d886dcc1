"""Documents: registering, reading and changing their record, uploading a new version,
restoring an older one, a new edition, the periodic review and, after the retention
period, disposing of the content (/api/documents...)."""
from __future__ import annotations

from services.contracts.api import Disposal
from services.contracts.errors import InvalidInput, validate
from services.contracts.models import (
    ChangeNote, Comment, DocumentChange, NewDocument, Revision, Version, VersionManifest)
from services.gateway import uploads
from services.gateway.auth import current_user, person
from services.gateway.entrypoints import json_response
from services.gateway.params import body_as, json_body, uuid
from services.gateway.routing import Router

router = Router()


def _step_with_text(deps, request, document_id, step: str,
                    model: type[Comment] | type[Disposal], field: str):
    """The documents service's `step` on a document, with the one text the person writes
    for it (the body as `model`, its `field`: a comment, the reason of a disposal)."""
    user = current_user(deps, request)
    text = getattr(validate(model, json_body(request)), field)
    take_step = getattr(deps.documents, step)
    return json_response(take_step(user.username, uuid(document_id, "document"), text))


@router.api("POST", "/api/documents")
def register(deps, request):
    user = current_user(deps, request)
    document = deps.documents.register(user.username, body_as(NewDocument, request))
    return json_response(document, 201, {"Location": f"/api/documents/{document['id']}"})


@router.api("GET", "/api/documents")
def list_documents(deps, request):
    user = current_user(deps, request)
    return json_response({"items": deps.documents.list(user.username)})


@router.api("GET", "/api/documents/<document_id>")
def get_document(deps, request, document_id):
    user = current_user(deps, request)
    return json_response(deps.documents.get(user.username, uuid(document_id, "document")))


@router.api("PATCH", "/api/documents/<document_id>")
def update_document(deps, request, document_id):
    """Change a document's record: only the fields named (null clears an optional one)."""
    user = current_user(deps, request)
    change = validate(DocumentChange, json_body(request))
    if not change.model_fields_set:
        raise InvalidInput("name at least one field to change", {"field": "body"})
    body = change.model_dump(mode="json", include=change.model_fields_set)
    return json_response(deps.documents.update(user.username,
                                               uuid(document_id, "document"), body))


@router.api("POST", "/api/documents/<document_id>/versions")
def upload(deps, request, document_id):
    """A new version. A small body with a token of Procedura's session is read first and
    handed to documents with that session, which documents checks before anything else
    (401 once it has ended): one RPC per upload instead of two. A large one, or an
    issuer's token, is checked before a byte of it is read (uploads.py)."""
    claims = deps.config.tokens.claims(request.headers.get("Authorization"))
    document_id = uuid(document_id, "document")
    if claims.session_id is not None and not uploads.asks_first(request):
        version = uploads.add_revision(deps, request, claims.username, document_id,
                                       session_id=claims.session_id)
    else:
        user = person(deps.documents, claims)
        version = uploads.add_revision(deps, request, user.username, document_id)
    return json_response(version, 201, {"Location": f"/api/versions/{version['id']}"})


@router.api("GET", "/api/documents/<document_id>/versions")
def versions(deps, request, document_id):
    user = current_user(deps, request)
    document_id = uuid(document_id, "document")
    revisions = {r["version_id"]: Revision.model_validate(r)
                 for r in deps.documents.list_revisions(user.username, document_id)}
    items = [Version.combine(revisions[m["id"]], VersionManifest.model_validate(m))
             .model_dump(mode="json")
             for m in deps.versioning.history(document_id) if m["id"] in revisions]
    return json_response({"items": items})


@router.api("POST", "/api/documents/<document_id>/restore")
def restore(deps, request, document_id):
    user = current_user(deps, request)
    body = json_body(request)
    version_id = uuid(str(body.pop("version_id", "")), "version")
    note = validate(ChangeNote, body)
    version = deps.documents.restore(user.username, uuid(document_id, "document"),
                                     version_id, note.model_dump(mode="json"))
    return json_response(version, 201, {"Location": f"/api/versions/{version['id']}"})


@router.api("POST", "/api/documents/<document_id>/new-edition")
def new_edition(deps, request, document_id):
    user = current_user(deps, request)
    return json_response(deps.documents.new_edition(user.username,
                                                    uuid(document_id, "document")))


@router.api("POST", "/api/documents/<document_id>/reviewed")
def reviewed(deps, request, document_id):
    """"Reviewed, no change" (analiza periodică fără modificări)."""
    return _step_with_text(deps, request, document_id, "reviewed", Comment, "comment")


@router.api("GET", "/api/documents/<document_id>/disposal")
def disposal(deps, request, document_id):
    """When the document's content may be disposed of (409 when it may not)."""
    user = current_user(deps, request)
    return json_response({"disposal_possible_from": deps.documents.disposal_date(
        user.username, uuid(document_id, "document"))})


@router.api("POST", "/api/documents/<document_id>/dispose")
def dispose(deps, request, document_id):
    """After the retention period, delete the content (`reason`: the decision)."""
    return _step_with_text(deps, request, document_id, "dispose", Disposal, "reason")
