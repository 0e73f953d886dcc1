"""Acknowledgements ("am luat la cunoștință") and e-mail: confirming a revision, who has
confirmed, what is left to confirm, a person's e-mail preference and the delivery log."""
from __future__ import annotations

import re

from werkzeug.wrappers import Response

from services.contracts.confidentiality import holders
from services.contracts.errors import Forbidden, InvalidInput
from services.contracts.models import DEPARTMENT_CODE, Document, Role, User
from services.contracts.notifications import Preferences
from services.gateway.auth import current_user, user_or_session
from services.gateway.entrypoints import json_response
from services.gateway.params import body_as, uuid, whole_number
from services.gateway.routing import Router

router = Router()


def _may_see_department(user: User, department: str | None) -> bool:
    """The quality office sees every department; a head (verifier) their own."""
    return user.has(Role.QMS_ADMIN) or (
        department == user.department and user.has(Role.VERIFIER))


def _spreadsheet(csv: str, name: str) -> Response:
    """A report as a CSV file the browser saves as `name` (`format=csv`)."""
    return Response(csv, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.api("POST", "/api/versions/<version_id>/acknowledge")
def acknowledge(deps, request, version_id):
    """"Am luat la cunoștință": 403 when not on the distribution list, the first
    record again (200) when confirmed twice."""
    user = current_user(deps, request)
    version_id = uuid(version_id, "version")
    # a revision the person may not read does not exist for them (404, no leak)
    deps.documents.get_revision(user.username, version_id)
    return json_response(deps.notifications.acknowledge(user.username, version_id))


@router.api("GET", "/api/versions/<version_id>/acknowledgements")
def version_acknowledgements(deps, request, version_id):
    """Who confirmed when, who has not (`format=csv` for a spreadsheet): the quality
    office, and the heads of the owner department or of a department on the list."""
    user = user_or_session(deps, request)
    version_id = uuid(version_id, "version")
    revision = deps.documents.get_revision(user.username, version_id)
    document = revision["document"]
    concerned = holders(Document.model_validate(document))   # owner and distribution
    if not (user.has(Role.QMS_ADMIN)
            or (user.has(Role.VERIFIER) and user.department in concerned)):
        raise Forbidden("only the quality office and the heads of the departments "
                        "concerned see who has confirmed", {"version_id": version_id})
    if request.args.get("format") == "csv":
        return _spreadsheet(deps.notifications.acknowledgement_report_csv(version_id),
                            f"lista-difuzare-{document['code']}.csv")
    return json_response(deps.notifications.acknowledgement_report(version_id))


@router.api("GET", "/api/acknowledgements")
def department_acknowledgements(deps, request):
    """Per department (`department=`; `format=csv` for a spreadsheet): the quality
    office any (or all, without it), a head their own department."""
    user = user_or_session(deps, request)
    department = request.args.get("department") or None
    if department is not None and not re.match(DEPARTMENT_CODE, department):
        raise InvalidInput(f"{department!r} is not a department code",
                           {"field": "department"})
    if department is None and not user.has(Role.QMS_ADMIN):
        department = user.department
    if not _may_see_department(user, department):
        raise Forbidden("only the quality office and the department's head see its "
                        "acknowledgements", {"department": department})
    if request.args.get("format") == "csv":
        return _spreadsheet(deps.notifications.department_acknowledgements_csv(department),
                            f"confirmari-{department or 'toate'}.csv")
    items = deps.notifications.department_acknowledgements(department)
    confirmed = sum(1 for i in items if i["acknowledged_at"])
    return json_response({"department": department, "confirmed": confirmed,
                          "pending": len(items) - confirmed, "items": items})


@router.api("GET", "/api/me/acknowledgements")
def my_acknowledgements(deps, request):
    """What I still have to confirm, due first."""
    user = current_user(deps, request)
    return json_response({"items": deps.notifications.pending_acknowledgements(
        user.username)})


@router.api("GET", "/api/me/preferences")
def my_preferences(deps, request):
    user = current_user(deps, request)
    return json_response(deps.notifications.get_preferences(user.username))


@router.api("PUT", "/api/me/preferences")
def set_my_preferences(deps, request):
    """`{"email_delivery": "off"|"immediate"|"daily_digest", "email_address": …}`."""
    user = current_user(deps, request)
    preferences = body_as(Preferences, request)
    return json_response(deps.notifications.set_preferences(user.username, preferences))


@router.api("GET", "/api/email/deliveries")
def email_deliveries(deps, request):
    """The e-mail delivery log, newest first (`username=` to narrow it): the quality
    office only (addresses and subjects are personal data)."""
    user = current_user(deps, request)
    if not user.has(Role.QMS_ADMIN):
        raise Forbidden("only the quality office sees the e-mail delivery log", {})
    limit = whole_number(request.args.get("limit") or "200", "limit")
    return json_response({"items": deps.notifications.delivery_log(
        request.args.get("username") or None, limit)})
