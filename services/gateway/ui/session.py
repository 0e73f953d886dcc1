"""The web session: a signed, time-limited cookie naming the user, their session (a row
of the documents service, so logging out or a revocation ends it everywhere) and the
CSRF token of their forms. Roles are read fresh on every request, as for tokens.

A page of the web interface is a function `(deps, current: Page, **path parameters)`
registered with `router.page(...)` on a Router made with `page` as its page wrapper
(services/gateway/routing.py): `page` finds the session's person, checks the CSRF token
of a POST, and turns a missing session or a refusal into the login page or an error page.
"""
from __future__ import annotations

import functools
import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from nameko.extensions import DependencyProvider
from werkzeug.wrappers import Response

from services.common.settings import Settings
from services.contracts.errors import (
    Forbidden, PayloadTooLarge, ProceduraError, Unauthorized)
from services.contracts.models import Role, User
from services.gateway.entrypoints import STATUS, error_response
from services.gateway.ui import i18n, orgimport, render
from services.gateway.ui.redirects import safe_next

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


class WebConfig(DependencyProvider):
    """The session signer of the web interface, made once per process.

    Cookies are Secure whenever the request came over HTTPS (or a trusted proxy says so
    with X-Forwarded-Proto); `UI.secure_cookie` (PROCEDURA_SECURE_COOKIE) makes them
    Secure always."""

    def setup(self):
        settings = Settings.from_config(self.container.config)
        ui = self.container.config.get("UI") or {}
        secure = str(ui.get("secure_cookie", "false")).lower() in ("1", "true", "yes")
        ttl = int(ui.get("session_ttl_seconds") or settings.token_ttl_seconds)
        self.sessions = Sessions(settings.secret("auth_secret"), ttl, secure)
        self.upload_limit = settings.upload_limit_bytes

    def get_dependency(self, worker_ctx):
        return self


def web_user(deps, request) -> tuple[User, Session]:
    """The person of the session cookie and their session (NoSession when there is none,
    or it has ended: logged out, revoked, or the person deactivated)."""
    session = deps.web.sessions.read(request.cookies.get(SESSION_COOKIE))
    try:
        return User.model_validate(deps.documents.session_user(session.id)), session
    except Unauthorized:
        raise NoSession(expired=True) from None


def cookie_options(deps, request) -> dict:
    return deps.web.sessions.cookie_options(deps.config.proxies.https(request))


class Page:
    """One request of a page: the user, their session and language."""

    def __init__(self, request, user: User | None, session: Session | None):
        self.request = request
        self.user = user
        self.session = session
        self.locale = i18n.choose(request.cookies.get(i18n.LANG_COOKIE),
                                  request.headers.get("Accept-Language"))

    def render(self, template: str, http_status: int = 200, **values) -> Response:
        values.setdefault("csrf", self.session.csrf if self.session else "")
        return render.page(self.locale, template, http_status, user=self.user,
                           path=self.request.full_path.rstrip("?"), args=self.request.args,
                           is_admin=bool(self.user and self.user.has(Role.QMS_ADMIN)),
                           is_head=bool(self.user and self.user.has(Role.VERIFIER)),
                           **values)


def page(fn):
    """A page for a logged-in user: no session → the login page, keeping the page asked
    for; a refused or missing thing → an error page of the same status."""
    @functools.wraps(fn)
    def wrapper(deps, request, *args, **kwargs):
        try:
            current = Page(request, *web_user(deps, request))
            _refuse_an_organisation_file_too_large(request)
            if request.method == "POST" and not same_token(current.session.csrf,
                                                           _csrf_token(request)):
                return refused(current)
            return fn(deps, current, *args, **kwargs)
        except NoSession as exc:
            if request.path.startswith("/ui/") or request.method != "GET":
                return error_response(401, "unauthorized", "log in again")
            target = request.full_path.rstrip("?")
            query = {"next": target, **({"expired": "1"} if exc.expired else {})}
            return render.redirect("/login?" + urlencode(query))
        except ProceduraError as exc:
            current = Page(request, None, None)
            try:
                current = Page(request, *web_user(deps, request))
            except (NoSession, ProceduraError):
                pass
            return current.render("error.html", STATUS.get(type(exc), 400),
                                  error=exc, code=STATUS.get(type(exc), 400))
    return wrapper


def login_form(deps, request, http_status: int = 200, **values) -> Response:
    """The login page (a fresh CSRF cookie for its form); `values` say what went wrong."""
    current = Page(request, None, None)
    token = secrets.token_urlsafe(24)
    response = current.render("login.html", http_status, csrf=token,
                              next=safe_next(request.args.get("next")),
                              expired=request.args.get("expired") == "1",
                              flash=request.args.get("flash", ""),
                              sso=deps.config.issuer is not None, **values)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600,
                        **cookie_options(deps, request))
    return response


# the organisation import's form: its file at most, and room for the other fields
ORGANISATION_FORM_BYTES = orgimport.MAX_BYTES + 64 * 1024


def _csrf_token(request) -> str | None:
    """The token of a POST: the X-CSRF-Token header (the upload's XHR), else the field of
    a plain form. A multipart body is never parsed here: the upload streams it to storage."""
    if request.headers.get("X-CSRF-Token"):
        return request.headers["X-CSRF-Token"]
    if request.mimetype == "application/x-www-form-urlencoded":
        return request.form.get("csrf_token")
    # the organisation import: a small plain form with a file. Never an upload of a
    # version: parsing its body here would consume the stream the upload sends to storage
    if (request.mimetype == "multipart/form-data" and request.path == "/admin/organisation"
            and (request.content_length or 0) <= ORGANISATION_FORM_BYTES):
        return request.form.get("csrf_token")
    return None


def _refuse_an_organisation_file_too_large(request) -> None:
    """An organisation file past the import's limit is refused by its size before its body
    is read (its CSRF token, in the same body, is never reached: not a 'form expired')."""
    if (request.method == "POST" and request.path == "/admin/organisation"
            and (request.content_length or 0) > ORGANISATION_FORM_BYTES):
        raise PayloadTooLarge(
            f"the organisation file is larger than {orgimport.MAX_BYTES // 1024 // 1024} MB",
            {"field": "file", "limit_bytes": orgimport.MAX_BYTES})


def refused(current: Page) -> Response:
    """A form whose CSRF token is not the session's (or the login cookie's)."""
    return current.render("error.html", 403, code=403, error=Forbidden(
        "the form has expired; reload the page and try again", {"field": "csrf_token"}))
