"""The search endpoints of the gateway (a mixin of GatewayService, which provides
`self.search` and `self._user`)."""
from __future__ import annotations

from services.contracts.errors import validate
from services.contracts.search import SearchQuery
from services.gateway.entrypoints import http, json_response


class SearchRoutes:
    @http("GET", "/api/search")
    def search_versions(self, request):
        user = self._user(request)
        query = validate(SearchQuery, {k: v for k, v in request.args.items() if v != ""})
        return json_response(self.search.search(user.model_dump(mode="json"),
                                                query.model_dump(mode="json")))
