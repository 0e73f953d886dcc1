"""Acknowledgements and e-mail preferences (a mixin of GatewayService, which provides
`self.notifications`, `self.documents`, `self.config` and `self._user`)."""
from __future__ import annotations

import re
from uuid import UUID

from werkzeug.wrappers import Response

from services.contracts.confidentiality import holders
from services.contracts.errors import Forbidden, InvalidInput, NotFound, validate
from services.contracts.models import DEPARTMENT_CODE, Document, Role, User
from services.contracts.notifications import Preferences
from services.gateway.entrypoints import http, json_response
from services.gateway.params import json_body, whole_number


def _vid(value: str) -> str:
    try:
        return str(UUID(value))
    except ValueError:
        raise NotFound(f"no version {value}", {"version_id": value}) from None


_json = json_body   # services/gateway/entrypoints.py


def _may_see_department(user: User, department: str | None) -> bool:
    """The quality office sees every department; a head (verifier) their own."""
    return user.has(Role.QMS_ADMIN) or (
        department == user.department and user.has(Role.VERIFIER))


class NotifyRoutes:
    @http("POST", "/api/versions/<version_id>/acknowledge")
    def acknowledge(self, request, version_id):
        """"Am luat la cunoștință": 403 when not on the distribution list, the first
        record again (200) when confirmed twice."""
        user = self._user(request)
        version_id = _vid(version_id)
        # a revision the person may not read does not exist for them (404, no leak)
        self.documents.get_revision(user.username, version_id)
        return json_response(self.notifications.acknowledge(user.username, version_id))

    @http("GET", "/api/versions/<version_id>/acknowledgements")
    def version_acknowledgements(self, request, version_id):
        """Who confirmed when, who has not (`format=csv` for a spreadsheet): the quality
        office, and the heads of the owner department or of a department on the list."""
        user = self._user_or_session(request)
        version_id = _vid(version_id)
        revision = self.documents.get_revision(user.username, version_id)
        document = revision["document"]
        concerned = holders(Document.model_validate(document))   # owner and distribution
        if not (user.has(Role.QMS_ADMIN)
                or (user.has(Role.VERIFIER) and user.department in concerned)):
            raise Forbidden("only the quality office and the heads of the departments "
                            "concerned see who has confirmed", {"version_id": version_id})
        if request.args.get("format") == "csv":
            name = f"lista-difuzare-{document['code']}.csv"
            return Response(self.notifications.acknowledgement_report_csv(version_id),
                            mimetype="text/csv",
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})
        return json_response(self.notifications.acknowledgement_report(version_id))

    @http("GET", "/api/acknowledgements")
    def department_acknowledgements(self, request):
        """Per department (`department=`; `format=csv` for a spreadsheet): the quality
        office any (or all, without it), a head their own department."""
        user = self._user_or_session(request)
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
            name = f"confirmari-{department or 'toate'}.csv"
            return Response(self.notifications.department_acknowledgements_csv(department),
                            mimetype="text/csv",
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})
        items = self.notifications.department_acknowledgements(department)
        confirmed = sum(1 for i in items if i["acknowledged_at"])
        return json_response({"department": department, "confirmed": confirmed,
                              "pending": len(items) - confirmed, "items": items})

    @http("GET", "/api/me/acknowledgements")
    def my_acknowledgements(self, request):
        """What I still have to confirm, due first."""
        user = self._user(request)
        return json_response({"items": self.notifications.pending_acknowledgements(
            user.username)})

    @http("GET", "/api/me/preferences")
    def my_preferences(self, request):
        user = self._user(request)
        return json_response(self.notifications.get_preferences(user.username))

    @http("PUT", "/api/me/preferences")
    def set_my_preferences(self, request):
        """`{"email_delivery": "off"|"immediate"|"daily_digest", "email_address": …}`."""
        user = self._user(request)
        preferences = validate(Preferences, _json(request))
        return json_response(self.notifications.set_preferences(
            user.username, preferences.model_dump(mode="json")))

    @http("GET", "/api/email/deliveries")
    def email_deliveries(self, request):
        """The e-mail delivery log, newest first (`username=` to narrow it): the quality
        office only (addresses and subjects are personal data)."""
        user = self._user(request)
        if not user.has(Role.QMS_ADMIN):
            raise Forbidden("only the quality office sees the e-mail delivery log", {})
        limit = whole_number(request.args.get("limit") or "200", "limit")
        return json_response({"items": self.notifications.delivery_log(
            request.args.get("username") or None, limit)})
