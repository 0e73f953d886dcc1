"""The gateway about itself and its API: liveness and readiness, the metrics, the
OpenAPI description, the events' JSON Schemas, the signing inbox, and the JSON 404 of an
address it does not serve."""
from __future__ import annotations

import re

import eventlet
from werkzeug.wrappers import Response

from services.contracts import events
from services.contracts.models import Inbox
from services.gateway import openapi
from services.gateway.openapi import SCHEMA_FILE
from services.gateway.auth import current_user
from services.gateway.entrypoints import error_response, json_response
from services.gateway.routing import Router

READY_TIMEOUT = 5.0  # seconds for each service's health answer in /readyz

router = Router()


@router.api("GET", "/healthz")
def healthz(deps, request):
    """Liveness: the gateway process answers."""
    return json_response({"status": "ok"})


@router.api("GET", "/readyz")
def readyz(deps, request):
    """Readiness: every service answers its health check over RPC, all asked at
    once, each within a few seconds (a probe must not hold workers for minutes)."""
    names = ("documents", "versioning", "search", "notifications")

    def check(name):
        try:
            return name, getattr(deps, name).with_timeout(READY_TIMEOUT).health()
        except Exception as exc:  # any failure means not ready; say which and why
            return name, {"error": str(exc)[:300]}

    checks = dict(eventlet.GreenPool(len(names)).imap(check, names))
    ready = not any("error" in c for c in checks.values())
    return json_response({"ready": ready, "services": checks}, 200 if ready else 503)


@router.metrics("GET", "/metrics")   # its own address in Kubernetes (metrics.py)
def metrics(deps, request):
    return Response(deps.metrics.render(), mimetype="text/plain; version=0.0.4")


@router.api("GET", "/api/openapi.json")
def openapi_spec(deps, request):
    """OpenAPI 3.1 of every /api endpoint, generated from the contracts."""
    return json_response(openapi.spec())


@router.api("GET", "/api/events/schemas/<schema_file>")
def event_schema(deps, request, schema_file):
    """The JSON Schema of an event at its schema_version, `<type>.v<N>.json`: where the
    path of an event's `dataschema` (CloudEvents) ends, for subscribers to fetch."""
    match = re.fullmatch(SCHEMA_FILE, schema_file)
    model = events.ALL_EVENTS.get(match.group(1)) if match else None
    if model is None or int(match.group(2)) != model.model_fields["schema_version"].default:
        return error_response(404, "not_found", f"no event schema {schema_file}: names are "
                              "<type>.v<schema_version>.json, e.g. version_approved.v1.json",
                              {"name": schema_file})
    return json_response(model.model_json_schema())


@router.api("GET", "/api/me/inbox")
def my_inbox(deps, request):
    """Revisions waiting for my signature or opinion, with the actions I may take."""
    user = current_user(deps, request)
    inbox = Inbox.model_validate({"items": deps.documents.signing_inbox(user.username)})
    return json_response(inbox.model_dump(mode="json"))


@router.api("GET,POST,PUT,PATCH,DELETE", "/api/<path:rest>")
def unknown(deps, request, rest):
    return error_response(404, "not_found", f"no such endpoint: /api/{rest}")
