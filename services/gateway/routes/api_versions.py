"""Versions: reading one, its original (checked as it streams) and its text, the steps
of the signing chain, the differences of two versions, who signed, archiving; and the
refusal to delete or replace what is stored (/api/versions/...)."""
from __future__ import annotations

from urllib.parse import quote

import requests
from werkzeug.wrappers import Response

from services.contracts.errors import Conflict, NotFound, validate
from services.contracts.models import Comment, Signing
from services.contracts.signing import ACTIONS, WAITING_STATUSES
from services.gateway import versions
from services.gateway.auth import current_user
from services.gateway.downloads import verified_content
from services.gateway.entrypoints import json_response
from services.gateway.params import json_body, parse_query, uuid
from services.gateway.requests import DiffQuery
from services.gateway.routing import Router

# what a user may do instead of deleting or replacing a version in each status (one
# waiting for a step of the signing chain: reject it)
IMMUTABLE_INSTEAD = {
    "draft": ["upload a new revision"], **{s.value: ["reject"] for s in WAITING_STATUSES},
    "approved": ["upload a new revision"], "in_force": ["withdraw", "upload a new revision"],
    "superseded": ["archive", "restore"], "withdrawn": ["archive"],
    "archived": ["dispose of the document after its retention period"],
}

router = Router()


@router.api("GET", "/api/versions/<version_id>")
def get_version(deps, request, version_id):
    user = current_user(deps, request)
    return json_response(versions.load(deps, user, uuid(version_id, "version"))
                         .model_dump(mode="json"))


@router.api("GET", "/api/versions/<version_id>/content")
def content(deps, request, version_id):
    user = current_user(deps, request)
    return verified_content(deps.versioning,
                            versions.load(deps, user, uuid(version_id, "version")))


@router.api("GET", "/api/versions/<version_id>/text")
def text(deps, request, version_id):
    user = current_user(deps, request)
    version = versions.load(deps, user, uuid(version_id, "version"))
    if version.extraction.status != "done":
        raise NotFound("this version has no text (yet)",
                       {"extraction": version.extraction.model_dump(mode="json")})
    url = deps.versioning.text_location(str(version.id))
    return _stream(url, "text/plain; charset=utf-8", None, None)


@router.api("POST", "/api/versions/<version_id>/<action>")
def act(deps, request, version_id, action):
    if action not in ACTIONS:
        raise NotFound(f"no action {action}", {"action": action})
    user = current_user(deps, request)
    signing = validate(Signing, json_body(request))
    if action == "withdraw":
        deps.documents.withdraw(user.username, uuid(version_id, "version"), signing.comment)
        return json_response(versions.load(deps, user, version_id).model_dump(mode="json"))
    deps.documents.transition(user.username, uuid(version_id, "version"), action,
                              signing.model_dump(mode="json"))
    return json_response(versions.load(deps, user, version_id).model_dump(mode="json"))


@router.api("POST", "/api/versions/<version_id>/steps/<step_id>")
def sign_step(deps, request, version_id, step_id):
    """Sign a step of the revision's workflow by its id (verify, endorse and approve are
    also their own routes above)."""
    user = current_user(deps, request)
    signing = validate(Signing, json_body(request))
    version_id = uuid(version_id, "version")
    deps.documents.sign_step(user.username, version_id, step_id,
                             signing.model_dump(mode="json"))
    return json_response(versions.load(deps, user, version_id).model_dump(mode="json"))


@router.api("GET", "/api/versions/<version_id>/workflow")
def workflow_progress(deps, request, version_id):
    """Where the revision stands in its workflow: who signed each step, who is awaited."""
    user = current_user(deps, request)
    return json_response(deps.documents.version_progress(user.username,
                                                         uuid(version_id, "version")))


@router.api("GET", "/api/versions/<version_id>/diff")
def diff(deps, request, version_id):
    user = current_user(deps, request)
    try:
        against = str(parse_query(DiffQuery, request.args).against)
    except NotFound:
        uuid(version_id, "version")   # of two ids that name nothing, the path's is named
        raise
    version_id = uuid(version_id, "version")
    for vid in (version_id, against):   # both readable by this user
        deps.documents.get_revision(user.username, vid)
    return json_response(deps.versioning.diff(version_id, against))


@router.api("GET", "/api/versions/<version_id>/signatures")
def signatures(deps, request, version_id):
    user = current_user(deps, request)
    return json_response({"items": deps.documents.signatures(
        user.username, uuid(version_id, "version"))})


@router.api("POST", "/api/versions/<version_id>/archive")
def archive_version(deps, request, version_id):
    """The quality office archives a withdrawn or superseded revision."""
    user = current_user(deps, request)
    comment = validate(Comment, json_body(request)).comment
    version_id = uuid(version_id, "version")
    deps.documents.archive(user.username, version_id, comment)
    return json_response(versions.load(deps, user, version_id).model_dump(mode="json"))


@router.api("DELETE", "/api/versions/<version_id>")
def delete_version(deps, request, version_id):
    """Stored versions are immutable records: never deleted (409 saying what to do)."""
    return _immutable(deps, request, version_id, "deleted")


@router.api("PUT", "/api/versions/<version_id>/content")
def replace_content(deps, request, version_id):
    """Nor are their bytes replaced: a change is a new revision (409)."""
    return _immutable(deps, request, version_id, "replaced")


def _immutable(deps, request, version_id, verb: str):
    user = current_user(deps, request)
    version = versions.load(deps, user, uuid(version_id, "version"))
    status = version.status.value
    allowed = IMMUTABLE_INSTEAD.get(status, [])
    article = "an" if status[0] in "aeiou" else "a"
    raise Conflict(f"{article} {status.replace('_', ' ')} version cannot be {verb}: every "
                   f"stored version is kept as it is"
                   + (f"; instead: {', '.join(allowed)}" if allowed else ""),
                   {"status": status, "allowed_actions": allowed,
                    "legal_hold": version.legal_hold})


def _stream(url: str, media_type: str, filename: str | None, size: int | None) -> Response:
    upstream = requests.get(url, stream=True, timeout=60)
    upstream.raise_for_status()
    headers = {}
    if size is not None:
        headers["Content-Length"] = str(size)
    if filename is not None:
        ascii_name = filename.encode("ascii", "replace").decode().replace('"', "_")
        headers["Content-Disposition"] = (
            f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}")

    def body():
        try:
            yield from upstream.iter_content(64 * 1024)
        finally:
            upstream.close()

    return Response(body(), headers=headers, content_type=media_type, direct_passthrough=True)
