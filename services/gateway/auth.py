"""Bearer tokens: signed, time-limited, naming the user and their session; whether the
session is still live (not logged out or revoked) and the roles are read fresh from the
documents service on each request."""
from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from services.contracts.errors import Unauthorized


@dataclass(frozen=True)
class Claims:
    username: str
    session_id: str


class Tokens:
    def __init__(self, secret: str, ttl_seconds: int):
        self._serializer = URLSafeTimedSerializer(secret, salt="procedura-api-token")
        self.ttl = ttl_seconds

    def issue(self, username: str, session_id: str) -> str:
        return self._serializer.dumps({"u": username, "s": session_id})

    def claims(self, authorization: str | None) -> Claims:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("missing bearer token", {"header": "Authorization"})
        try:
            data = self._serializer.loads(token.strip(), max_age=self.ttl)
            if not isinstance(data["s"], str) or not isinstance(data["u"], str):
                raise TypeError("claims")
            return Claims(data["u"], data["s"])
        except SignatureExpired:
            raise Unauthorized("the token has expired; log in again", {}) from None
        except (BadSignature, KeyError, TypeError):
            # tokens of before sessions (no "s") are refused too: they cannot be revoked
            raise Unauthorized("invalid token", {}) from None
