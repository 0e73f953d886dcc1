"""Single sign-on in the web interface ("Autentificare cu contul primăriei").

The sign-in is the Authorization Code flow with PKCE: `/login/sso` sends the browser to
the issuer with a fresh state, nonce and code verifier, which wait in a signed cookie of
ten minutes; `/login/sso/callback` takes the issuer's answer only for the state of that
cookie, and only once (the documents service keeps every state taken, so a callback
replayed on any gateway is refused), exchanges the code with the verifier, checks the ID
token (services/gateway/oidc.py) and opens a web session like a password login's. The
ID token is kept in a cookie for the logout, which ends the session at the issuer too."""
from __future__ import annotations

import secrets

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from services.contracts.errors import (
    InvalidInput, NotFound, ServiceUnavailable, TooManyRequests, Unauthorized)
from services.contracts.models import User
from services.gateway.entrypoints import STATUS
from services.gateway.oidc import Issuer
from services.gateway.routing import Router
from services.gateway.ui import render
from services.gateway.ui.redirects import safe_next
from services.gateway.ui.session import (
    SESSION_COOKIE, Page, cookie_options, login_form, same_token)

SSO_COOKIE = "procedura_sso"           # the sign-in under way: state, nonce, verifier, next
SSO_ID_COOKIE = "procedura_sso_id"     # the ID token, named to the issuer at logout
SIGN_IN_SECONDS = 600                  # a sign-in at the issuer must end within this

router = Router()


def _issuer(deps) -> Issuer:
    if deps.config.issuer is None:
        raise NotFound("single sign-on is not configured (auth.oidc.issuer)",
                       {"setting": "auth.oidc.issuer"})
    return deps.config.issuer


def _sign_ins(deps) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(deps.config.settings.secret("auth_secret"),
                                  salt="procedura-sso-sign-in")


def _callback_url(deps) -> str:
    return f"{deps.config.settings.auth.oidc.base_url}/login/sso/callback"


@router.web("GET", "/login/sso")
def sso_start(deps, request):
    """Send the browser to the issuer's login page."""
    try:
        issuer = _issuer(deps)
        pending = {"state": secrets.token_urlsafe(32), "nonce": secrets.token_urlsafe(32),
                   "verifier": secrets.token_urlsafe(64),
                   "next": safe_next(request.args.get("next"))}
        url = issuer.authorization_url(_callback_url(deps), pending["state"],
                                       pending["nonce"], pending["verifier"],
                                       Page(request, None, None).locale)
    except (NotFound, ServiceUnavailable) as exc:
        return login_form(deps, request, STATUS[type(exc)], sso_failed=exc.message)
    response = render.redirect(url)
    response.set_cookie(SSO_COOKIE, _sign_ins(deps).dumps(pending),
                        max_age=SIGN_IN_SECONDS, **cookie_options(deps, request))
    return response


@router.web("GET", "/login/sso/callback")
def sso_callback(deps, request):
    """The issuer's answer: a web session for the person its ID token names."""
    try:
        user, session_id, id_token, target = _complete_sign_in(deps, request)
    except (Unauthorized, InvalidInput, NotFound, ServiceUnavailable,
            TooManyRequests) as exc:
        if exc.details.get("field") == "department":   # said as the directory login says it
            response = login_form(deps, request, STATUS[type(exc)],
                                  refused="unknown_department",
                                  department=exc.details.get("department"))
        else:
            response = login_form(deps, request, STATUS[type(exc)], sso_failed=exc.message)
        response.delete_cookie(SSO_COOKIE, path="/")
        return response
    response = render.redirect(target)
    options = cookie_options(deps, request)
    response.set_cookie(SESSION_COOKIE, deps.web.sessions.issue(user.username, session_id),
                        max_age=deps.web.sessions.ttl, **options)
    response.set_cookie(SSO_ID_COOKIE, id_token, max_age=deps.web.sessions.ttl, **options)
    response.delete_cookie(SSO_COOKIE, path="/")
    return response


def _complete_sign_in(deps, request) -> tuple[User, str, str, str]:
    issuer = _issuer(deps)
    try:
        pending = _sign_ins(deps).loads(request.cookies.get(SSO_COOKIE) or "",
                                        max_age=SIGN_IN_SECONDS)
    except SignatureExpired:
        raise Unauthorized("the sign-in took too long; sign in again",
                           {"field": "state"}) from None
    except BadSignature:
        raise Unauthorized("no sign-in was started in this browser; sign in again",
                           {"field": "state"}) from None
    if request.args.get("error"):
        raise Unauthorized("the issuer ended the sign-in: "
                           f"{request.args.get('error_description') or request.args['error']}"[:300],
                           {"field": "error"})
    if not same_token(pending["state"], request.args.get("state")):
        raise Unauthorized("the sign-in's state is not the one this browser started",
                           {"field": "state"})
    deps.documents.take_sso_state(pending["state"])   # once: a replay stops here
    code = request.args.get("code")
    if not code:
        raise InvalidInput("the issuer sent no authorization code", {"field": "code"})
    tokens = issuer.exchange(code, _callback_url(deps), pending["verifier"])
    id_token = tokens.get("id_token") or ""
    profile = issuer.profile(issuer.id_token_claims(id_token, pending["nonce"]))
    opened = deps.documents.log_in_sso(profile.as_dict(), "web", deps.web.sessions.ttl)
    return (User.model_validate(opened["user"]), opened["session_id"], id_token,
            pending["next"])


def logged_out(deps, request) -> Response:
    """Where the browser goes once its session has ended here: the login page, by
    the issuer's logout (which ends its session there too) when it signed in there.
    A page that moves on by itself, not a redirect: the logout is a form, and the
    pages' Content-Security-Policy (form-action 'self') would stop a form's redirect
    to another site."""
    after = "/login?flash=logged_out"
    id_token = request.cookies.get(SSO_ID_COOKIE)
    target = None
    if id_token and deps.config.issuer is not None:
        try:
            target = deps.config.issuer.logout_url(
                id_token, f"{deps.config.settings.auth.oidc.base_url}{after}")
        except ServiceUnavailable:   # the issuer away: at least Procedura's session ended
            target = None
    if target is None:
        response = render.redirect(after)
    else:
        response = Page(request, None, None).render("logout_sso.html", target=target)
    response.delete_cookie(SSO_ID_COOKIE, path="/")
    return response
