"""Bearer tokens: signed, time-limited, naming the user and their session. The gateway
issues and checks them (services/gateway/auth.py); `procedura doctor` signs one to ask
the gateway whether a revoked session is still accepted. Whether the session is still
live and the roles are read fresh from the documents service on each request.

Beside Procedura's own, the API takes the access tokens of the single sign-on issuer
(`auth.oidc`, services/gateway/oidc.py), checked against its keys: they name no session
of Procedura's, but the person they describe (`Claims.profile`)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from services.contracts.errors import Unauthorized


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


class Issuer(Protocol):
    """The single sign-on issuer as tokens need it (services/gateway/oidc.py Issuer)."""

    def issued(self, token: str) -> bool: ...

    def access_token_claims(self, token: str) -> dict: ...

    def profile(self, claims: dict): ...


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
