"""A page of the web interface is a function of the session's person (`page`,
services/gateway/ui/session.py): no session is the login page, a form without the
session's CSRF token is refused before the page runs, a refusal is an error page of
its status. The services are fakes."""
from __future__ import annotations

from types import SimpleNamespace

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.contracts.errors import Conflict, NotFound, Unauthorized
from services.contracts.models import Role, User
from services.gateway.ui.session import SESSION_COOKIE, Sessions, page

ANA = User(username="ana.popescu", full_name="Ana Popescu", department="DJ",
           function="consilier", roles=[Role.READER, Role.AUTHOR])


class Documents:
    def __init__(self, live: bool = True):
        self.live = live

    def session_user(self, session_id):
        if not self.live:   # logged out or revoked
            raise Unauthorized("the session has ended", {})
        return ANA.model_dump(mode="json")


def deps(live: bool = True):
    return SimpleNamespace(documents=Documents(live), web=SimpleNamespace(
        sessions=Sessions("s" * 32, 3600, secure=False)))


def request(path, method="GET", cookie=None, form=None):
    builder = EnvironBuilder(path=path, method=method, data=form)
    if cookie:
        builder.headers["Cookie"] = f"{SESSION_COOKIE}={cookie}"
    return Request(builder.get_environ())


def seen_by(calls):
    @page
    def shown(deps, current, document_id):
        calls.append((current.user.username, document_id))
        return "the page"
    return shown


def test_a_page_is_shown_to_the_person_of_the_session():
    calls, d = [], deps()
    cookie = d.web.sessions.issue("ana.popescu", "s1")
    assert seen_by(calls)(d, request("/documents/d1", cookie=cookie), document_id="d1") \
        == "the page"
    assert calls == [("ana.popescu", "d1")]


def test_without_a_session_a_page_is_the_login_page_keeping_what_was_asked_for():
    calls = []
    answer = seen_by(calls)(deps(), request("/documents/d1?version=v"), document_id="d1")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/login?next=%2Fdocuments%2Fd1%3Fversion%3Dv"
    assert calls == []


def test_a_session_ended_on_the_server_is_an_expired_one():
    d = deps(live=False)
    cookie = d.web.sessions.issue("ana.popescu", "s1")
    answer = seen_by([])(d, request("/documents/d1", cookie=cookie), document_id="d1")
    assert answer.headers["Location"] == "/login?next=%2Fdocuments%2Fd1&expired=1"


def test_the_pages_own_requests_and_forms_without_a_session_are_401_not_a_redirect():
    for path, method in (("/ui/suggest", "GET"), ("/versions/v/sign", "POST")):
        answer = seen_by([])(deps(), request(path, method), document_id="d1")
        assert answer.status_code == 401, path


def test_a_form_without_the_sessions_csrf_token_is_refused_before_the_page_runs():
    calls, d = [], deps()
    cookie = d.web.sessions.issue("ana.popescu", "s1")
    for token in (None, "not-the-token"):
        form = {"comment": "ok", **({"csrf_token": token} if token else {})}
        answer = seen_by(calls)(d, request("/versions/v/sign", "POST", cookie, form),
                                document_id="v")
        assert answer.status_code == 403
        assert "the form has expired" in answer.get_data(as_text=True)
    assert calls == []
    good = {"csrf_token": d.web.sessions.read(cookie).csrf}
    assert seen_by(calls)(d, request("/versions/v/sign", "POST", cookie, good),
                          document_id="v") == "the page"
    assert calls == [("ana.popescu", "v")]


def test_a_refusal_is_an_error_page_of_its_status():
    @page
    def refusing(deps, current, error):
        raise error

    d = deps()
    cookie = d.web.sessions.issue("ana.popescu", "s1")
    answer = refusing(d, request("/documents/x", cookie=cookie),
                      error=Conflict("an approved version cannot be changed", {}))
    assert answer.status_code == 409
    assert "an approved version cannot be changed" in answer.get_data(as_text=True)
    # not found says no more than that: not whether it exists for someone else
    answer = refusing(d, request("/documents/x", cookie=cookie),
                      error=NotFound("no document D-404", {"document_id": "D-404"}))
    assert answer.status_code == 404
    assert "D-404" not in answer.get_data(as_text=True)


def test_the_search_page_reads_the_search_services_json_text():
    """The search service answers JSON text (sent on as it is by the API); the page
    decodes it for its template. An object (a search service of before) still works."""
    import json

    from services.gateway.routes import web_pages

    answer = {"total": 45, "hits": [{"code": "PO-DJ-01", "title": "Achiziții"}],
              "facets": {"type": {"PO": 45}}}
    for given in (json.dumps(answer, ensure_ascii=False), answer):
        asked = []
        search = SimpleNamespace(search=lambda user, query: asked.append(
            (user["username"], query["q"], query["size"])) or given)
        current = SimpleNamespace(
            request=request("/search?q=achizitii&size=20"), user=ANA,
            render=lambda template, **context: (template, context))
        template, context = web_pages.search_page(SimpleNamespace(search=search), current)
        assert template == "search.html" and context["result"] == answer
        assert context["pages"] == 3 and asked == [("ana.popescu", "achizitii", 20)]
