"""Processes and the risk register (a mixin of GatewayService, which provides
`self.documents` and `self._user`)."""
from __future__ import annotations

from services.contracts.errors import validate
from services.contracts.qms import Assessment, NewProcess, NewRisk, ProcessChange, RiskChange
from services.gateway.entrypoints import http, json_body, json_response


_json = json_body   # services/gateway/entrypoints.py


class RiskRoutes:
    # --- processes ----------------------------------------------------------------
    @http("GET", "/api/processes")
    def list_processes(self, request):
        user = self._user(request)
        return json_response({"items": self.documents.list_processes(user.username)})

    @http("POST", "/api/processes")
    def create_process(self, request):
        """A process of the process list, with its owner department and person."""
        user = self._user(request)
        new = validate(NewProcess, _json(request))
        process = self.documents.create_process(user.username, new.model_dump(mode="json"))
        return json_response(process, 201, {"Location": f"/api/processes/{process['code']}"})

    @http("GET", "/api/processes/<code>")
    def get_process(self, request, code):
        user = self._user(request)
        return json_response(self.documents.get_process(user.username, code))

    @http("PUT", "/api/processes/<code>")
    def change_process(self, request, code):
        user = self._user(request)
        change = validate(ProcessChange, _json(request))
        return json_response(self.documents.change_process(
            user.username, code, change.model_dump(mode="json", exclude_unset=True)))

    # --- risks --------------------------------------------------------------------
    @http("GET", "/api/risks")
    def list_risks(self, request):
        """The risk register; `department` and `process` filter it."""
        user = self._user(request)
        return json_response({"items": self.documents.list_risks(
            user.username, request.args.get("department") or None,
            request.args.get("process") or None)})

    @http("POST", "/api/risks")
    def create_risk(self, request):
        user = self._user(request)
        new = validate(NewRisk, _json(request))
        risk = self.documents.create_risk(user.username, new.model_dump(mode="json"))
        return json_response(risk, 201, {"Location": f"/api/risks/{risk['id']}"})

    @http("GET", "/api/risks/<risk_id>")
    def get_risk(self, request, risk_id):
        """A risk with the history of its assessments."""
        user = self._user(request)
        return json_response(self.documents.get_risk(user.username, risk_id))

    @http("PUT", "/api/risks/<risk_id>")
    def change_risk(self, request, risk_id):
        user = self._user(request)
        change = validate(RiskChange, _json(request))
        return json_response(self.documents.change_risk(
            user.username, risk_id, change.model_dump(mode="json", exclude_unset=True)))

    @http("POST", "/api/risks/<risk_id>/assessments")
    def assess_risk(self, request, risk_id):
        """Re-assess a risk (quality office or the head of its department); the
        procedures implementing its control measures are flagged for review."""
        user = self._user(request)
        assessment = validate(Assessment, _json(request))
        result = self.documents.assess_risk(user.username, risk_id,
                                            assessment.model_dump(mode="json",
                                                                  exclude_unset=True))
        return json_response(result, 201)
