"""Processes and the risk register: /api/processes and /api/risks."""
from __future__ import annotations

from services.contracts.qms import Assessment, NewProcess, NewRisk, ProcessChange, RiskChange
from services.gateway.auth import current_user
from services.gateway.entrypoints import json_response
from services.gateway.params import body_as
from services.gateway.routing import Router

router = Router()


# --- processes ----------------------------------------------------------------
@router.api("GET", "/api/processes")
def list_processes(deps, request):
    user = current_user(deps, request)
    return json_response({"items": deps.documents.list_processes(user.username)})


@router.api("POST", "/api/processes")
def create_process(deps, request):
    """A process of the process list, with its owner department and person."""
    user = current_user(deps, request)
    process = deps.documents.create_process(user.username, body_as(NewProcess, request))
    return json_response(process, 201, {"Location": f"/api/processes/{process['code']}"})


@router.api("GET", "/api/processes/<code>")
def get_process(deps, request, code):
    user = current_user(deps, request)
    return json_response(deps.documents.get_process(user.username, code))


@router.api("PUT", "/api/processes/<code>")
def change_process(deps, request, code):
    user = current_user(deps, request)
    change = body_as(ProcessChange, request, changed_only=True)
    return json_response(deps.documents.change_process(user.username, code, change))


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
    user = current_user(deps, request)
    risk = deps.documents.create_risk(user.username, body_as(NewRisk, request))
    return json_response(risk, 201, {"Location": f"/api/risks/{risk['id']}"})


@router.api("GET", "/api/risks/<risk_id>")
def get_risk(deps, request, risk_id):
    """A risk with the history of its assessments."""
    user = current_user(deps, request)
    return json_response(deps.documents.get_risk(user.username, risk_id))


@router.api("PUT", "/api/risks/<risk_id>")
def change_risk(deps, request, risk_id):
    user = current_user(deps, request)
    change = body_as(RiskChange, request, changed_only=True)
    return json_response(deps.documents.change_risk(user.username, risk_id, change))


@router.api("POST", "/api/risks/<risk_id>/assessments")
def assess_risk(deps, request, risk_id):
    """Re-assess a risk (quality office or the head of its department); the
    procedures implementing its control measures are flagged for review."""
    user = current_user(deps, request)
    assessment = body_as(Assessment, request, changed_only=True)
    result = deps.documents.assess_risk(user.username, risk_id, assessment)
    return json_response(result, 201)
