"""The search endpoints of the gateway (a mixin of GatewayService, which provides
`self.search` and `self._user`)."""
from __future__ import annotations

import time

from services.contracts.errors import NotFound, Unauthorized, validate
from services.contracts.models import User
from services.contracts.search import SearchQuery, SuggestQuery
from services.gateway.entrypoints import http, json_response

# A search box asks on every keystroke: the person behind a token (department and roles,
# which the permission clauses of the query use) is looked up over RPC at most once per
# this many seconds per gateway process, not on every request. A change of department or
# roles reaches search within this delay (docs/search.md, "Permissions").
USER_CACHE_SECONDS = 5.0
_users: dict[str, tuple[float, User]] = {}


def _args(request) -> dict:
    return {k: v for k, v in request.args.items() if v != ""}


class SearchRoutes:
    def _search_user(self, request) -> User:
        """`self._user(request)`, remembered for USER_CACHE_SECONDS."""
        username = self.config.tokens.username(request.headers.get("Authorization"))
        now = time.monotonic()
        cached = _users.get(username)
        if cached and cached[0] > now:
            return cached[1]
        try:
            user = User.model_validate(self.documents.get_user(username))
        except NotFound:
            _users.pop(username, None)
            raise Unauthorized("the token's user no longer exists", {}) from None
        if len(_users) > 10_000:
            _users.clear()
        _users[username] = (now + USER_CACHE_SECONDS, user)
        return user

    @http("GET", "/api/search")
    def search_versions(self, request):
        """Full-text search with facets and highlights (docs/search.md)."""
        user = self._search_user(request)
        query = validate(SearchQuery, _args(request))
        return json_response(self.search.search(user.model_dump(mode="json"),
                                                query.model_dump(mode="json")))

    @http("GET", "/api/search/suggest")
    def search_suggest(self, request):
        """Codes and titles for the search box as the user types."""
        user = self._search_user(request)
        query = validate(SuggestQuery, _args(request))
        return json_response(self.search.suggest(user.model_dump(mode="json"),
                                                 query.model_dump(mode="json")))
