"""Bearer tokens: signed, time-limited, naming the user and their session. The gateway
issues and checks them (services/gateway/auth.py); `procedura doctor` signs one to ask
the gateway whether a revoked session is still accepted. Whether the session is still
live and the roles are read fresh from the documents service on each request.

Beside Procedura's own, the API takes the access tokens of the single sign-on issuer
(`auth.oidc`, services/gateway/oidc.py), checked against its keys: they name no session
of Procedura's, but the person they describe (`Claims.profile`)."""
from __future__ import annotations

import hashlib
import time
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


# tokens whose checked claims a process remembers at most (then it forgets them all)
REMEMBERED_TOKENS = 10_000


class Tokens:
    """Issues Procedura's tokens and checks every bearer token the API is given.

    A token's claims never change while it lives (its signature, user, session and expiry
    are in it), so a process checks each token once and remembers its claims, by the
    token's hash, until it expires: a search box asks on every keystroke with the same
    token. Whether its session is still live is not a claim: that is asked of the
    documents service (auth.py), as before."""

    def __init__(self, secret: str, ttl_seconds: int, issuer: Issuer | None = None):
        self._serializer = URLSafeTimedSerializer(secret, salt="procedura-api-token")
        self.ttl = ttl_seconds
        self.issuer = issuer
        self._checked: dict[bytes, tuple[float, Claims]] = {}   # hash -> (expiry, claims)

    def issue(self, username: str, session_id: str) -> str:
        return self._serializer.dumps({"u": username, "s": session_id})

    def claims(self, authorization: str | None) -> Claims:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("missing bearer token", {"header": "Authorization"})
        token = token.strip()
        digest = hashlib.sha256(token.encode())
        now = time.time()   # the wall clock, as the tokens' own times
        remembered = self._checked.get(digest.digest())
        if remembered is not None and remembered[0] > now:
            return remembered[1]
        claims, expires = self._check(token, digest.hexdigest())
        if len(self._checked) >= REMEMBERED_TOKENS:
            self._checked.clear()
        if expires > now:
            self._checked[digest.digest()] = (expires, claims)
        return claims

    def _check(self, token: str, digest: str) -> tuple[Claims, float]:
        """The token's claims and when it expires (wall clock), or Unauthorized."""
        if self.issuer is not None and self.issuer.issued(token):
            verified = self.issuer.access_token_claims(token)   # its `exp` is essential
            profile = self.issuer.profile(verified)
            expires = verified.get("exp")
            return (Claims(profile.username, None, profile.as_dict(), "issuer:" + digest),
                    float(expires) if isinstance(expires, (int, float)) else 0.0)
        try:
            data, signed = self._serializer.loads(token, max_age=self.ttl,
                                                  return_timestamp=True)
            if not isinstance(data["s"], str) or not isinstance(data["u"], str):
                raise TypeError("claims")
            # itsdangerous refuses it once more than `ttl` whole seconds have passed
            return Claims(data["u"], data["s"]), signed.timestamp() + self.ttl
        except SignatureExpired:
            raise Unauthorized("the token has expired; log in again", {}) from None
        except (BadSignature, KeyError, TypeError):
            # tokens of before sessions (no "s") are refused too: they cannot be revoked
            raise Unauthorized("invalid token", {}) from None
