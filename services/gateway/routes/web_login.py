"""Logging in and out of the web interface with a user name and password, and its
language switch (single sign-on: web_sso.py).

The login form's POST carries the CSRF token of the login cookie (no session exists
yet); a login opens a session of the documents service, named by the session cookie."""
from __future__ import annotations

from werkzeug.wrappers import Response

from services.contracts.errors import (
    Forbidden, InvalidInput, NotFound, ServiceUnavailable, TooManyRequests, Unauthorized)
from services.contracts.models import User
from services.gateway.entrypoints import retry_seconds
from services.gateway.routes.web_sso import logged_out
from services.gateway.routing import Router
from services.gateway.ui import i18n, render
from services.gateway.ui.redirects import safe_next
from services.gateway.ui.session import (
    LOGIN_CSRF_COOKIE, SESSION_COOKIE, Page, cookie_options, login_form, page, refused,
    same_token)

router = Router(page_wrapper=page)


@router.web("GET", "/login")
def login_page(deps, request):
    return login_form(deps, request)


@router.web("POST", "/login")
def login_submit(deps, request):
    current = Page(request, None, None)
    form = request.form
    if not same_token(request.cookies.get(LOGIN_CSRF_COOKIE), form.get("csrf_token")):
        return refused(current)
    target = safe_next(form.get("next"))
    again = {"csrf": form.get("csrf_token"), "next": target,
             "sso": deps.config.issuer is not None}
    try:
        opened = deps.documents.log_in(form.get("username", "").strip(),
                                       form.get("password", ""),
                                       deps.config.proxies.address(request), "web",
                                       deps.web.sessions.ttl)
    except (Unauthorized, InvalidInput, NotFound):
        # one message whatever was wrong: no hint whether the user exists
        return current.render("login.html", 401, failed=True,
                              username=form.get("username", ""), **again)
    except (ServiceUnavailable, Forbidden) as exc:
        # the directory cannot be reached, or it knows the person but Procedura cannot
        # admit them (no group, a department not in the register): say which
        return current.render("login.html", 503 if isinstance(exc, ServiceUnavailable)
                              else 403, username=form.get("username", ""),
                              refused=exc.details.get("reason") or "directory_down",
                              department=exc.details.get("department"), **again)
    except TooManyRequests as exc:
        wait = retry_seconds(exc.details) or 60
        response = current.render("login.html", 429, username=form.get("username", ""),
                                  wait_minutes=-(-wait // 60), **again)
        response.headers["Retry-After"] = str(wait)
        return response
    return _logged_in(deps, request, User.model_validate(opened["user"]),
                      opened["session_id"], target)


def _logged_in(deps, request, user: User, session_id: str, target: str) -> Response:
    """On to the page asked for, with the new session's cookie."""
    response = render.redirect(target)
    response.set_cookie(SESSION_COOKIE, deps.web.sessions.issue(user.username, session_id),
                        max_age=deps.web.sessions.ttl, **cookie_options(deps, request))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.page("POST", "/logout")
def logout(deps, current: Page):
    """Log out: the session ends on the server too, not only in this browser."""
    deps.documents.log_out(current.session.id)
    # signed in through the issuer: its session ends too (web_sso.py)
    response = logged_out(deps, current.request)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.web("GET", "/language/<code>")
def language(deps, request, code):
    """Switch the interface language (a preference, kept in a cookie)."""
    response = render.redirect(safe_next(request.args.get("next"), login=True))
    response.set_cookie(i18n.LANG_COOKIE, i18n.choose(code, None), max_age=365 * 86400,
                        **cookie_options(deps, request))
    return response
