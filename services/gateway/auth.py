"""Bearer tokens: signed, time-limited, naming the user and their session; whether the
session is still live (not logged out or revoked) and the roles are read fresh from the
documents service on each request. The tokens themselves are services/common/tokens.py
(`procedura doctor` signs one too); here, the person a token or a web session stands for."""
from __future__ import annotations

from typing import TYPE_CHECKING

from services.common.tokens import Claims, Tokens  # noqa: F401  (the gateway's names)
from services.contracts.errors import Unauthorized
from services.contracts.models import User
from services.gateway.ui.session import SESSION_COOKIE, NoSession

if TYPE_CHECKING:   # an annotation only
    from services.gateway.routing import Deps


def person(documents, claims: Claims) -> User:
    """The person of a token: a live session's, or the one an issuer's access token
    describes (refreshed from it); Unauthorized once either has ended."""
    if claims.session_id is None:
        return User.model_validate(documents.sso_user(claims.profile))
    return User.model_validate(documents.session_user(claims.session_id))


def current_user(deps: Deps, request) -> User:
    """The person of the request's bearer token, if its session is still live
    (Unauthorized once it is logged out, revoked or expired, or the person deactivated)."""
    return person(deps.documents,
                  deps.config.tokens.claims(request.headers.get("Authorization")))


def user_or_session(deps: Deps, request) -> User:
    """The bearer token's person, or else the web session's: the browser's EventSource
    and a form opened from a page send no header, only the cookie (GET only: nothing
    changes). Unauthorized when neither names a live session."""
    if request.headers.get("Authorization") or not request.cookies.get(SESSION_COOKIE):
        return current_user(deps, request)
    try:
        session = deps.web.sessions.read(request.cookies[SESSION_COOKIE])
        return User.model_validate(deps.documents.session_user(session.id))
    except (NoSession, Unauthorized):   # expired, forged, logged out or revoked
        raise Unauthorized("the session has expired; log in again", {}) from None
