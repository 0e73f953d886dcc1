"""Logging in and out of the REST API: /api/auth/token, /api/auth/logout and /api/me."""
from __future__ import annotations

from werkzeug.wrappers import Response

from services.contracts.errors import InvalidInput
from services.contracts.models import User
from services.gateway.auth import current_user
from services.gateway.entrypoints import json_response
from services.gateway.params import parse_body
from services.gateway.requests import Credentials
from services.gateway.routing import Router

router = Router()


@router.api("POST", "/api/auth/token")
def token(deps, request):
    credentials = parse_body(Credentials, request)
    tokens = deps.config.tokens
    opened = deps.documents.log_in(credentials.username, credentials.password,
                                   deps.config.proxies.address(request), "api", tokens.ttl)
    user = User.model_validate(opened["user"])
    return json_response({"access_token": tokens.issue(user.username, opened["session_id"]),
                          "token_type": "bearer", "expires_in": tokens.ttl,
                          "user": user.model_dump(mode="json")})


@router.api("POST", "/api/auth/logout")
def logout_token(deps, request):
    """Revoke the bearer token this request carries: no gateway accepts it again."""
    claims = deps.config.tokens.claims(request.headers.get("Authorization"))
    if claims.session_id is None:
        raise InvalidInput("an access token of the single sign-on issuer ends at the "
                           "issuer (its logout), not here", {"header": "Authorization"})
    deps.documents.log_out(claims.session_id)
    return Response(status=204)


@router.api("GET", "/api/me")
def me(deps, request):
    return json_response(current_user(deps, request).model_dump(mode="json"))
