"""The web session: a signed, time-limited cookie naming the user, their session (a row
of the documents service, so logging out or a revocation ends it everywhere) and the
CSRF token of their forms. Roles are read fresh on every request, as for tokens."""
from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SESSION_COOKIE = "procedura_session"
LOGIN_CSRF_COOKIE = "procedura_login_csrf"   # before a session exists: double submit


class NoSession(Exception):
    """No valid session; `expired` tells a timed-out one from a missing or forged one."""

    def __init__(self, expired: bool = False):
        super().__init__("expired" if expired else "missing")
        self.expired = expired


@dataclass(frozen=True)
class Session:
    username: str
    csrf: str
    id: str


class Sessions:
    def __init__(self, secret: str, ttl_seconds: int, secure: bool):
        self._serializer = URLSafeTimedSerializer(secret, salt="procedura-web-session")
        self.ttl = ttl_seconds
        self.secure = secure

    def issue(self, username: str, session_id: str) -> str:
        return self._serializer.dumps({"u": username, "c": secrets.token_urlsafe(24),
                                       "s": session_id})

    def read(self, cookie: str | None) -> Session:
        if not cookie:
            raise NoSession()
        try:
            data = self._serializer.loads(cookie, max_age=self.ttl)
            return Session(data["u"], data["c"], data["s"])
        except SignatureExpired:
            raise NoSession(expired=True) from None
        except (BadSignature, KeyError, TypeError):
            raise NoSession() from None

    def cookie_options(self, https: bool = False) -> dict:
        """Secure when the setting says so, and whenever the site is served over HTTPS."""
        return {"httponly": True, "samesite": "Lax", "secure": self.secure or https,
                "path": "/"}


def same_token(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(expected, given)
