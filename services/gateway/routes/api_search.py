"""Full-text search and the search box's suggestions (/api/search, /api/search/suggest)."""
from __future__ import annotations

import time

from services.contracts.errors import Unauthorized, validate
from services.contracts.models import User
from services.contracts.search import SearchQuery, SuggestQuery
from services.gateway.auth import person
from services.gateway.entrypoints import json_text_response
from services.gateway.routing import Router

# A search box asks on every keystroke: the person behind a token (department and roles,
# which the permission clauses of the query use) is looked up over RPC at most once per
# `auth.session_cache_seconds` (5) per gateway process, not on every request. A change of
# department or roles, a logout or a revoked token reaches search within this delay
# (docs/search.md, "Permissions"); `procedura doctor` reports a revoked token still
# accepted after it.
_users: dict[str, tuple[float, User]] = {}   # by session id (or the issuer's token's hash)

router = Router()


def search_user(deps, request) -> User:
    """`auth.current_user(deps, request)`, remembered for `auth.session_cache_seconds`."""
    claims = deps.config.tokens.claims(request.headers.get("Authorization"))
    now = time.monotonic()
    cached = _users.get(claims.key)
    if cached and cached[0] > now:
        return cached[1]
    try:
        user = person(deps.documents, claims)
    except Unauthorized:
        _users.pop(claims.key, None)
        raise
    if len(_users) > 10_000:
        _users.clear()
    _users[claims.key] = (now + deps.config.settings.auth.session_cache_seconds, user)
    return user


def _args(request) -> dict:
    return {k: v for k, v in request.args.items() if v != ""}


def _asked(deps, request, model: type[SearchQuery] | type[SuggestQuery], method: str):
    """The search service's `method` answering the query (as `model`) for the person
    asking: the permission clauses read the person, so both travel to it. Its answer is
    JSON text, sent on untouched."""
    user = search_user(deps, request)
    query = validate(model, _args(request))
    ask = getattr(deps.search, method)
    return json_text_response(ask(user.model_dump(mode="json"),
                                  query.model_dump(mode="json")))


@router.api("GET", "/api/search")
def search_versions(deps, request):
    """Full-text search with facets and highlights (docs/search.md)."""
    return _asked(deps, request, SearchQuery, "search")


@router.api("GET", "/api/search/suggest")
def search_suggest(deps, request):
    """Codes and titles for the search box as the user types."""
    return _asked(deps, request, SuggestQuery, "suggest")
