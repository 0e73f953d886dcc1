"""Workflows: each document type's workflow, its history, and the quality office changing
it (/api/workflows/...). Signing a step and a revision's progress are versions' routes
(api_versions.py)."""
from __future__ import annotations

from services.contracts.workflows import parse_workflow
from services.gateway.auth import current_user
from services.gateway.entrypoints import json_response
from services.gateway.params import json_body
from services.gateway.requests import WorkflowChange
from services.gateway.routing import Router

router = Router()


@router.api("GET", "/api/workflows")
def list_workflows(deps, request):
    """The newest workflow of every document type (everyone)."""
    user = current_user(deps, request)
    return json_response({"items": deps.documents.workflows(user.username)})


@router.api("GET", "/api/workflows/<doc_type>")
def get_workflow(deps, request, doc_type):
    user = current_user(deps, request)
    return json_response(deps.documents.workflow(user.username, doc_type))


@router.api("PUT", "/api/workflows/<doc_type>")
def put_workflow(deps, request, doc_type):
    """The quality office saves a new version of the type's workflow; revisions already
    in their chain finish under the version they started with."""
    user = current_user(deps, request)
    change = parse_workflow(json_body(request), WorkflowChange)
    return json_response(deps.documents.put_workflow(
        user.username, doc_type, change.model_dump(mode="json", exclude={"comment"}),
        change.comment))


@router.api("GET", "/api/workflows/<doc_type>/history")
def workflow_history(deps, request, doc_type):
    """Every version of the type's workflow, the newest first."""
    user = current_user(deps, request)
    return json_response({"items": deps.documents.workflow_history(user.username, doc_type)})
