"""The search endpoints of the gateway (a mixin of GatewayService, which provides
`self.search` and `self._user`)."""
from __future__ import annotations

from services.contracts.errors import validate
from services.contracts.search import SearchQuery, SuggestQuery
from services.gateway.entrypoints import http, json_response


def _args(request) -> dict:
    return {k: v for k, v in request.args.items() if v != ""}


class SearchRoutes:
    @http("GET", "/api/search")
    def search_versions(self, request):
        """Full-text search with facets and highlights (docs/search.md)."""
        user = self._user(request)
        query = validate(SearchQuery, _args(request))
        return json_response(self.search.search(user.model_dump(mode="json"),
                                                query.model_dump(mode="json")))

    @http("GET", "/api/search/suggest")
    def search_suggest(self, request):
        """Codes and titles for the search box as the user types."""
        user = self._user(request)
        query = validate(SuggestQuery, _args(request))
        return json_response(self.search.suggest(user.model_dump(mode="json"),
                                                 query.model_dump(mode="json")))
