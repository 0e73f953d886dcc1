"""The OpenAPI description and the signing inbox of the REST API (a mixin of
GatewayService, which provides `self.documents` and `self._user`)."""
from __future__ import annotations

from services.contracts.models import Inbox
from services.gateway import openapi
from services.gateway.entrypoints import http, json_response


class OpenApiRoutes:
    @http("GET", "/api/openapi.json")
    def openapi_spec(self, request):
        """OpenAPI 3.1 of every /api endpoint, generated from the contracts."""
        return json_response(openapi.spec())

    @http("GET", "/api/me/inbox")
    def my_inbox(self, request):
        """Revisions waiting for my signature or opinion, with the actions I may take."""
        user = self._user(request)
        inbox = Inbox.model_validate({"items": self.documents.signing_inbox(user.username)})
        return json_response(inbox.model_dump(mode="json"))
