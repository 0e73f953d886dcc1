"""Bearer tokens: signed, time-limited, naming the user; roles are read fresh each request."""
from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from services.contracts.errors import Unauthorized


class Tokens:
    def __init__(self, secret: str, ttl_seconds: int):
        self._serializer = URLSafeTimedSerializer(secret, salt="procedura-api-token")
        self.ttl = ttl_seconds

    def issue(self, username: str) -> str:
        return self._serializer.dumps({"u": username})

    def username(self, authorization: str | None) -> str:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("missing bearer token", {"header": "Authorization"})
        try:
            return self._serializer.loads(token.strip(), max_age=self.ttl)["u"]
        except SignatureExpired:
            raise Unauthorized("the token has expired; log in again", {}) from None
        except (BadSignature, KeyError, TypeError):
            raise Unauthorized("invalid token", {}) from None
