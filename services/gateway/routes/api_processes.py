"""Processes and the risk register: /api/processes and /api/risks."""
from __future__ import annotations

from services.contracts.qms import Assessment, NewProcess, NewRisk, ProcessChange, RiskChange
from services.gateway.auth import current_user
from services.gateway.entrypoints import json_response
from services.gateway.params import body_as
from services.gateway.routing import Router

router = Router()


def _created(deps, request, create: str, model: type[NewProcess] | type[NewRisk],
             location: str):
    """A new record of the quality system from the body as `model`, made by the documents
    service's `create`; 201 naming where it is read (`location`, filled from it)."""
    user = current_user(deps, request)
    record = getattr(deps.documents, create)(user.username, body_as(model, request))
    return json_response(record, 201, {"Location": location.format_map(record)})


def _changed(deps, request, change: str, model: type[ProcessChange] | type[RiskChange],
             key: str):
    """The fields the body names (as `model`) changed on the record `key` by the
    documents service's `change`; the record as it now is."""
    user = current_user(deps, request)
    fields = body_as(model, request, changed_only=True)
    return json_response(getattr(deps.documents, change)(user.username, key, fields))


# --- processes ----------------------------------------------------------------
@router.api("GET", "/api/processes")
def list_processes(deps, request):
    user = current_user(deps, request)
    return json_response({"items": deps.documents.list_processes(user.username)})


@router.api("POST", "/api/processes")
def create_process(deps, request):
    """A process of the process list, with its owner department and person."""
    return _created(deps, request, "create_process", NewProcess, "/api/processes/{code}")


@router.api("GET", "/api/processes/<code>")
def get_process(deps, request, code):
    user = current_user(deps, request)
    return json_response(deps.documents.get_process(user.username, code))


@router.api("PUT", "/api/processes/<code>")
def change_process(deps, request, code):
    return _changed(deps, request, "change_process", ProcessChange, code)


# --- risks --------------------------------------------------------------------
@router.api("GET", "/api/risks")
def list_risks(deps, request):
    """The risk register; `department` and `process` filter it."""
    user = current_user(deps, request)
    return json_response({"items": deps.documents.list_risks(
        user.username, request.args.get("department") or None,
        request.args.get("process") or None)})


@router.api("POST", "/api/risks")
def create_risk(deps, request):
    return _created(deps, request, "create_risk", NewRisk, "/api/risks/{id}")


@router.api("GET", "/api/risks/<risk_id>")
def get_risk(deps, request, risk_id):
    """A risk with the history of its assessments."""
    user = current_user(deps, request)
    return json_response(deps.documents.get_risk(user.username, risk_id))


@router.api("PUT", "/api/risks/<risk_id>")
def change_risk(deps, request, risk_id):
    return _changed(deps, request, "change_risk", RiskChange, risk_id)


@router.api("POST", "/api/risks/<risk_id>/assessments")
def assess_risk(deps, request, risk_id):
    """Re-assess a risk (quality office or the head of its department); the
    procedures implementing its control measures are flagged for review."""
    user = current_user(deps, request)
    assessment = body_as(Assessment, request, changed_only=True)
    result = deps.documents.assess_risk(user.username, risk_id, assessment)
    return json_response(result, 201)
