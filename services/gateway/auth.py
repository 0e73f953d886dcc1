"""Bearer tokens: signed, time-limited, naming the user and their session; whether the
session is still live (not logged out or revoked) and the roles are read fresh from the
documents service on each request.

Beside Procedura's own, the API takes the access tokens of the single sign-on issuer
(`auth.oidc`, services/gateway/oidc.py), checked against its keys: they name no session
of Procedura's, but the person they describe (`Claims.profile`)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from services.contracts.errors import Unauthorized
from services.contracts.models import User
from services.gateway.oidc import Issuer
from services.gateway.ui.session import SESSION_COOKIE, NoSession

if TYPE_CHECKING:   # an annotation only: the CLI reads Tokens without the web server
    from services.gateway.routing import Deps


@dataclass(frozen=True)
class Claims:
    username: str
    session_id: str | None          # None: an access token of the single sign-on issuer
    profile: dict | None = None     # that token's person (oidc.Profile.as_dict)
    token_id: str = ""              # an issuer's token by its hash (caches never keep it)

    @property
    def key(self) -> str:
        """What names this credential in a cache: its session, or the token's hash."""
        return self.session_id or self.token_id


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


class Tokens:
    def __init__(self, secret: str, ttl_seconds: int, issuer: Issuer | None = None):
        self._serializer = URLSafeTimedSerializer(secret, salt="procedura-api-token")
        self.ttl = ttl_seconds
        self.issuer = issuer

    def issue(self, username: str, session_id: str) -> str:
        return self._serializer.dumps({"u": username, "s": session_id})

    def claims(self, authorization: str | None) -> Claims:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("missing bearer token", {"header": "Authorization"})
        token = token.strip()
        if self.issuer is not None and self.issuer.issued(token):
            profile = self.issuer.profile(self.issuer.access_token_claims(token))
            return Claims(profile.username, None, profile.as_dict(),
                          "issuer:" + hashlib.sha256(token.encode()).hexdigest())
        try:
            data = self._serializer.loads(token, max_age=self.ttl)
            if not isinstance(data["s"], str) or not isinstance(data["u"], str):
                raise TypeError("claims")
            return Claims(data["u"], data["s"])
        except SignatureExpired:
            raise Unauthorized("the token has expired; log in again", {}) from None
        except (BadSignature, KeyError, TypeError):
            # tokens of before sessions (no "s") are refused too: they cannot be revoked
            raise Unauthorized("invalid token", {}) from None
