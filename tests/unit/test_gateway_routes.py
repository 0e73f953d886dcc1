"""What the REST API answers to bad input and to a stored original that no longer matches
its sha256: status, error code, message and details, exactly. The gateway is served
as nameko serves it (its routes matched by werkzeug, errors mapped by the HTTP
entrypoint), with the services it calls replaced by fakes."""
from __future__ import annotations

import hashlib
import inspect
import io
import json
import re
from pathlib import Path
from types import SimpleNamespace
from uuid import uuid4

import pytest
import requests
from nameko.testing.services import worker_factory
from werkzeug.routing import Map, Rule
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.contracts import events
from services.contracts.errors import NotFound, Unauthorized
from services.gateway.auth import Tokens
from services.gateway.client import TrustedProxies
from services.gateway.entrypoints import HttpEntrypoint
from services.gateway.params import BIGINT_MAX
from services.gateway.service import GatewayService
from services.gateway.ui.session import SESSION_COOKIE, Sessions

VERSION_ID, DOCUMENT_ID = str(uuid4()), str(uuid4())
NOT_A_NUMBER = f"must be a whole number from 0 to {BIGINT_MAX}"
PEOPLE = {"s-reader": ("radu", ["reader"]), "s-office": ("ioana", ["reader", "qms_admin"])}


def person(username: str, roles: list[str]) -> dict:
    return {"username": username, "full_name": "Radu Munteanu", "department": "DJ",
            "function": "Consilier", "roles": roles}


def revision(version_id: str, status: str = "in_force") -> dict:
    document = {"id": DOCUMENT_ID, "code": "PO-DJ-01", "title": "Achiziții", "type": "PO",
                "owner_department": "DJ", "distribution": [], "confidential": False,
                "status": "in_force", "created_at": "2026-01-05T09:00:00Z",
                "created_by": "radu"}
    return {"version_id": version_id, "document": document, "edition": 1, "revision": 0,
            "status": status, "status_seq": 4, "author": "radu", "change_summary": "",
            "created_at": "2026-01-05T09:00:00Z"}


class Documents:
    """The documents service: sessions, log-ins and revisions, recording the calls."""

    def __init__(self):
        self.calls = []
        self.status = "in_force"

    def session_user(self, session_id):
        if session_id not in PEOPLE:
            raise Unauthorized("the session has ended", {})
        return person(*PEOPLE[session_id])

    def log_in(self, username, password, address, channel, ttl):
        self.calls.append(("log_in", username, password, channel, ttl))
        return {"user": person(username, ["reader"]), "session_id": "s-reader"}

    def get_revision(self, username, version_id):
        self.calls.append(("get_revision", username, version_id))
        return revision(version_id, self.status)

    def signatures(self, username, version_id):
        return []

    def audit_trail(self, username, document_id, user):
        self.calls.append(("audit_trail", username, document_id, user))
        return [{"id": 1, "at": "2026-01-05T09:00:00Z", "actor": "radu", "action": "upload",
                 "document_id": DOCUMENT_ID, "version_id": None, "details": {}, "hash": "0"}]


class Versioning:
    """The versioning service: one stored original, whose bytes `content` says."""

    def __init__(self, content: bytes = b"", sha256: str | None = None):
        self.content = content
        self.sha256 = sha256 or hashlib.sha256(content).hexdigest()
        self.alarms, self.diffs = [], []

    def get(self, version_id):
        return {"id": version_id, "document_id": DOCUMENT_ID, "edition": 1, "revision": 0,
                "filename": "Procedură.docx", "media_type": "application/octet-stream",
                "size": len(self.content), "sha256": self.sha256, "author": "radu",
                "change_summary": "", "created_at": "2026-01-05T09:00:00Z",
                "extraction": {"status": "done"}}

    def content_location(self, version_id):
        return f"http://storage.test/{version_id}"

    def integrity_alarm(self, version_id, found, size, where):
        self.alarms.append((version_id, found, size, where))

    def diff(self, version_id, against):
        self.diffs.append((version_id, against))
        return {"version_id": version_id, "against": against}


class Notifications:
    def __init__(self):
        self.feeds = []

    def feed(self, username, kind, limit, before):
        self.feeds.append((username, kind, limit, before))
        return {"items": []}


class Upstream:
    """A presigned URL's answer, read in chunks."""

    def __init__(self, content: bytes):
        self.content, self.closed = content, False

    def raise_for_status(self):
        pass

    def iter_content(self, size):
        for start in range(0, len(self.content), size):
            yield self.content[start:start + size]

    def close(self):
        self.closed = True


TOKENS = Tokens("a secret of these tests only", 3600)
SESSIONS = Sessions("a secret of these tests only", 3600, secure=False)
GATEWAY = Path(__file__).resolve().parents[2] / "services" / "gateway"


@pytest.fixture
def gateway():
    config = SimpleNamespace(tokens=TOKENS, proxies=TrustedProxies([]))
    service = worker_factory(GatewayService, documents=Documents(), versioning=Versioning(),
                             notifications=Notifications(), config=config,
                             web=SimpleNamespace(sessions=SESSIONS))
    return service


def call(service, verb: str, path: str, session: str | None = "s-reader",
         headers: dict | None = None, **options):
    """The answer nameko's web server would give: the route werkzeug matches, its
    method called, an error turned into JSON by the HTTP entrypoint."""
    headers = dict(headers or {})
    if session:
        headers["Authorization"] = f"Bearer {TOKENS.issue('radu', session)}"
    request = Request(EnvironBuilder(path=path, method=verb, headers=headers,
                                     **options).get_environ())
    name, values = _routes().bind("gateway.test").match(request.path, verb)
    try:
        return getattr(service, name)(request, **values)
    except Exception as exc:
        return HttpEntrypoint("GET", "/").response_from_exception(exc)


def _routes() -> Map:
    rules = [Rule(entrypoint.url, methods=entrypoint.method.split(","), endpoint=name)
             for name, method in inspect.getmembers(GatewayService, inspect.isfunction)
             for entrypoint in getattr(method, "nameko_entrypoints", ())
             if isinstance(entrypoint, HttpEntrypoint)]
    return Map(rules, strict_slashes=False)


def error(answer) -> tuple[int, str, str, dict]:
    body = answer.get_json()["error"]
    return answer.status_code, body["code"], body["message"], body["details"]


# --- /api/auth/token ----------------------------------------------------------------
@pytest.mark.parametrize("body, field", [
    ({}, "username"),
    ({"password": "secret"}, "username"),
    ({"username": "", "password": "secret"}, "username"),
    ({"username": 5, "password": "secret"}, "username"),
    ({"username": None, "password": None}, "username"),
    ({"username": "radu"}, "password"),
    ({"username": "radu", "password": ""}, "password"),
    ({"username": "radu", "password": ["secret"]}, "password"),
])
def test_a_log_in_without_a_name_or_password_names_the_first_missing(gateway, body, field):
    answer = call(gateway, "POST", "/api/auth/token", session=None, json=body)
    assert error(answer) == (422, "invalid_input", f"{field} is required", {"field": field})
    assert gateway.documents.calls == []


def test_a_log_in_body_that_is_not_an_object_is_refused(gateway):
    answer = call(gateway, "POST", "/api/auth/token", session=None, json=["radu", "x"])
    assert error(answer) == (422, "invalid_input", "the body must be a JSON object",
                             {"field": "body"})


def test_a_log_in_takes_other_fields_and_blank_names_as_today(gateway):
    answer = call(gateway, "POST", "/api/auth/token", session=None,
                  json={"username": " ", "password": "secret", "remember": True})
    assert answer.status_code == 200
    assert answer.get_json()["token_type"] == "bearer"
    assert gateway.documents.calls == [("log_in", " ", "secret", "api", 3600)]


# --- /api/feed ----------------------------------------------------------------------
@pytest.mark.parametrize("query, field", [
    ("limit=abc", "limit"), ("limit=-1", "limit"), ("limit=1.5", "limit"),
    ("limit=%D9%A1%D9%A2", "limit"), (f"limit={BIGINT_MAX + 1}", "limit"),
    ("before=x", "before"), ("limit=5&before=-3", "before"),
])
def test_a_feed_page_that_is_not_a_whole_number_is_named(gateway, query, field):
    answer = call(gateway, "GET", f"/api/feed?{query}")
    assert error(answer) == (422, "invalid_input", f"{field} {NOT_A_NUMBER}", {"field": field})
    assert gateway.notifications.feeds == []


@pytest.mark.parametrize("query, asked", [
    ("", ("radu", None, 50, None)),
    ("limit=&before=&kind=", ("radu", None, 50, None)),
    ("limit=10&before=99&kind=approved", ("radu", "approved", 10, 99)),
    ("limit=0&before=0", ("radu", None, 0, 0)),
])
def test_a_feed_page_is_asked_for_as_given(gateway, query, asked):
    answer = call(gateway, "GET", f"/api/feed?{query}")
    assert answer.status_code == 200
    assert gateway.notifications.feeds == [asked]


# --- versions -----------------------------------------------------------------------
def test_a_diff_needs_the_version_to_compare_with(gateway):
    answer = call(gateway, "GET", f"/api/versions/{VERSION_ID}/diff")
    assert error(answer) == (422, "invalid_input",
                             "`against` names the version to compare with",
                             {"field": "against"})
    answer = call(gateway, "GET", f"/api/versions/{VERSION_ID}/diff?against=")
    assert error(answer)[2] == "`against` names the version to compare with"


def test_a_diff_against_what_is_no_version_is_not_found(gateway):
    answer = call(gateway, "GET", f"/api/versions/{VERSION_ID}/diff?against=nope")
    assert error(answer) == (404, "not_found", "no version nope", {"version_id": "nope"})
    other = str(uuid4())
    answer = call(gateway, "GET", f"/api/versions/{VERSION_ID}/diff?against={other}")
    assert answer.status_code == 200
    assert gateway.versioning.diffs == [(VERSION_ID, other)]


def test_an_unknown_action_is_not_found_before_anything_else(gateway):
    answer = call(gateway, "POST", f"/api/versions/{VERSION_ID}/frobnicate", session=None,
                  json={})
    assert error(answer) == (404, "not_found", "no action frobnicate",
                             {"action": "frobnicate"})


@pytest.mark.parametrize("path", ["/api/versions/not-a-uuid",
                                  "/api/versions/not-a-uuid/content",
                                  "/api/versions/not-a-uuid/signatures"])
def test_a_version_that_is_no_uuid_is_not_found(gateway, path):
    answer = call(gateway, "GET", path)
    assert error(answer) == (404, "not_found", "no version not-a-uuid",
                             {"version_id": "not-a-uuid"})


def test_a_document_that_is_no_uuid_is_not_found(gateway):
    answer = call(gateway, "GET", "/api/documents/x1/versions")
    assert error(answer) == (404, "not_found", "no document x1", {"document_id": "x1"})


def test_a_page_width_that_is_not_a_whole_number_is_named(gateway):
    answer = call(gateway, "GET", f"/api/versions/{VERSION_ID}/pages/1?width=wide")
    assert error(answer) == (422, "invalid_input", f"width {NOT_A_NUMBER}",
                             {"field": "width"})
    answer = call(gateway, "GET", f"/api/versions/{VERSION_ID}/pages/first")
    assert error(answer) == (422, "invalid_input", f"page {NOT_A_NUMBER}", {"field": "page"})


@pytest.mark.parametrize("query, message, details", [
    ("width=63", "width must be from 64 to 2000 pixels",
     {"field": "width", "minimum": 64, "maximum": 2000}),
    ("width=2001&format=webp", "width must be from 64 to 2000 pixels",
     {"field": "width", "minimum": 64, "maximum": 2000}),
    ("format=gif", "format must be png or webp", {"field": "format", "format": "gif"}),
    ("width=300&format=PNG", "format must be png or webp", {"field": "format", "format": "PNG"}),
])
def test_a_page_width_or_format_out_of_range_is_named_before_any_image_is_asked(
        gateway, query, message, details):
    answer = call(gateway, "GET", f"/api/versions/{VERSION_ID}/pages/1?{query}")
    assert error(answer) == (422, "invalid_input", message, details)
    assert not gateway.renditions.page_image.called


@pytest.mark.parametrize("query, asked", [
    ("", (1, 200, "png")), ("width=&format=", (1, 200, "png")),
    ("width=64&format=webp", (1, 64, "webp")), ("width=2000", (1, 2000, "png"))])
def test_a_page_is_asked_for_as_given_or_at_200_pixels_in_png(gateway, query, asked):
    gateway.renditions.page_image.return_value = {
        "etag": '"e1"', "pages": 3, "location": "http://storage.test/p", "media_type": "image/png"}
    answer = call(gateway, "GET", f"/api/versions/{VERSION_ID}/pages/1?{query}",
                  headers={"If-None-Match": '"e1"'})
    assert answer.status_code == 304
    gateway.renditions.page_image.assert_called_once_with(VERSION_ID, *asked)


# --- /api/audit ---------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["xml", "CSV", "pdf"])
def test_an_audit_trail_in_a_format_that_is_not_json_or_csv_is_refused_naming_it(gateway, fmt):
    answer = call(gateway, "GET", f"/api/audit?document_id={DOCUMENT_ID}&format={fmt}")
    assert error(answer) == (422, "invalid_input",
                             f"format must be one of json, csv, not {fmt!r}",
                             {"field": "format", "allowed": ["json", "csv"]})
    assert gateway.documents.calls == []


def test_an_audit_trail_of_what_is_no_document_is_not_found(gateway):
    answer = call(gateway, "GET", "/api/audit?document_id=x1")
    assert error(answer) == (404, "not_found", "no document x1", {"document_id": "x1"})
    assert gateway.documents.calls == []


@pytest.mark.parametrize("query, asked, media", [
    ("user=radu", (None, "radu"), "application/json"),
    (f"document_id={DOCUMENT_ID.upper()}&user=&format=", (DOCUMENT_ID, None),
     "application/json"),
    (f"document_id={DOCUMENT_ID}&format=csv", (DOCUMENT_ID, None), "text/csv")])
def test_an_audit_trail_is_asked_for_as_given(gateway, query, asked, media):
    answer = call(gateway, "GET", f"/api/audit?{query}")
    assert answer.status_code == 200
    assert answer.mimetype == media
    assert gateway.documents.calls == [("audit_trail", "radu", *asked)]


def test_a_stored_version_is_never_deleted(gateway):
    answer = call(gateway, "DELETE", f"/api/versions/{VERSION_ID}")
    assert error(answer) == (
        409, "conflict", "an in force version cannot be deleted: every stored version is "
        "kept as it is; instead: withdraw, upload a new revision",
        {"status": "in_force", "allowed_actions": ["withdraw", "upload a new revision"],
         "legal_hold": False})


@pytest.mark.parametrize("status, article, instead", [
    ("draft", "a", ["upload a new revision"]),
    ("in_verification", "an", ["reject"]), ("in_endorsement", "an", ["reject"]),
    ("in_approval", "an", ["reject"]), ("superseded", "a", ["archive", "restore"]),
])
def test_a_stored_version_is_never_replaced_whatever_its_status(gateway, status, article,
                                                                 instead):
    gateway.documents.status = status
    answer = call(gateway, "PUT", f"/api/versions/{VERSION_ID}/content", data=b"new bytes")
    assert error(answer) == (
        409, "conflict", f"{article} {status.replace('_', ' ')} version cannot be replaced: "
        f"every stored version is kept as it is; instead: {', '.join(instead)}",
        {"status": status, "allowed_actions": instead, "legal_hold": False})


def test_the_office_log_takes_only_a_whole_number_limit(gateway):
    path = "/api/email/deliveries?limit=many"
    assert error(call(gateway, "GET", path))[:2] == (403, "forbidden")
    answer = call(gateway, "GET", path, session="s-office")
    assert error(answer) == (422, "invalid_input", f"limit {NOT_A_NUMBER}", {"field": "limit"})


def test_an_unknown_address_under_api_is_a_json_404(gateway):
    for verb in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        answer = call(gateway, verb, "/api/nothing/here", session=None)
        assert error(answer) == (404, "not_found", "no such endpoint: /api/nothing/here", {})


def test_a_missing_token_is_unauthorized(gateway):
    answer = call(gateway, "GET", "/api/me", session=None)
    assert error(answer) == (401, "unauthorized", "missing bearer token",
                             {"header": "Authorization"})
    assert answer.headers["WWW-Authenticate"] == "Bearer"


# --- downloads: the sha256 is checked as the original streams -----------------------
def _stored(gateway, monkeypatch, content: bytes, sha256: str | None = None) -> Upstream:
    gateway.versioning = Versioning(content, sha256)
    upstream = Upstream(content)
    monkeypatch.setattr(requests, "get", lambda url, stream, timeout: upstream)
    return upstream


def test_a_small_original_is_checked_whole_before_it_is_sent(gateway, monkeypatch):
    content = b"procedura " * 100
    upstream = _stored(gateway, monkeypatch, content)
    answer = call(gateway, "GET", f"/api/versions/{VERSION_ID}/content")
    assert answer.status_code == 200
    assert b"".join(answer.response) == content
    assert answer.headers["Content-Length"] == str(len(content))
    assert answer.headers["X-Content-SHA256"] == hashlib.sha256(content).hexdigest()
    assert answer.headers["Content-Disposition"] == (
        "attachment; filename=\"Procedur?.docx\"; filename*=UTF-8''Procedur%C4%83.docx")
    assert upstream.closed and gateway.versioning.alarms == []


def test_a_small_original_that_does_not_match_is_not_served(gateway, monkeypatch):
    content = b"procedura " * 100
    _stored(gateway, monkeypatch, content, sha256="0" * 64)
    answer = call(gateway, "GET", f"/api/versions/{VERSION_ID}/content")
    assert error(answer) == (
        500, "integrity_check_failed",
        "the stored original does not match its sha256: it is not served",
        {"version_id": VERSION_ID, "expected_sha256": "0" * 64})
    assert gateway.versioning.alarms == [
        (VERSION_ID, hashlib.sha256(content).hexdigest(), len(content), "download")]


def test_a_large_original_streams_whole_when_it_matches(gateway, monkeypatch):
    content = bytes(range(256)) * 4000   # past the size checked before sending
    upstream = _stored(gateway, monkeypatch, content)
    answer = call(gateway, "GET", f"/api/versions/{VERSION_ID}/content")
    assert answer.status_code == 200
    assert b"".join(answer.response) == content
    assert upstream.closed and gateway.versioning.alarms == []


def test_a_large_original_that_does_not_match_is_cut_short(gateway, monkeypatch):
    content = bytes(range(256)) * 4000
    upstream = _stored(gateway, monkeypatch, content, sha256="0" * 64)
    answer = call(gateway, "GET", f"/api/versions/{VERSION_ID}/content")
    assert answer.status_code == 200   # the headers went before the end was read
    sent = []
    with pytest.raises(IOError, match="download cut short"):
        for chunk in answer.response:
            sent.append(chunk)
    assert 0 < len(b"".join(sent)) < len(content)
    assert content.startswith(b"".join(sent))
    assert upstream.closed
    assert gateway.versioning.alarms == [
        (VERSION_ID, hashlib.sha256(content).hexdigest(), len(content), "download")]


def test_a_version_the_person_may_not_read_is_not_downloaded(gateway, monkeypatch):
    _stored(gateway, monkeypatch, b"secret")

    def hidden(username, version_id):
        raise NotFound(f"no version {version_id}", {"version_id": version_id})

    gateway.documents.get_revision = hidden
    answer = call(gateway, "GET", f"/api/versions/{VERSION_ID}/content")
    assert error(answer)[:3] == (404, "not_found", f"no version {VERSION_ID}")


def test_the_gateway_hands_out_an_original_only_through_the_checked_download():
    asking = [str(path.relative_to(GATEWAY)) for path in GATEWAY.rglob("*.py")
              if re.search(r"\.content_location\(", path.read_text(encoding="utf-8"))]
    assert asking == ["downloads.py"]


# --- the web session's cookie, where the API takes it too ----------------------------
def test_a_session_cookie_names_the_person_where_no_token_is_sent(gateway):
    cookie = f"{SESSION_COOKIE}={SESSIONS.issue('radu', 's-reader')}"
    answer = call(gateway, "GET", "/api/acknowledgements?department=RP", session=None,
                  headers={"Cookie": cookie})
    assert error(answer) == (403, "forbidden", "only the quality office and the department's "
                             "head see its acknowledgements", {"department": "RP"})


@pytest.mark.parametrize("cookie", [SESSIONS.issue("radu", "s-ended"), "forged"])
def test_a_session_that_has_ended_is_unauthorized(gateway, cookie):
    answer = call(gateway, "GET", "/api/acknowledgements", session=None,
                  headers={"Cookie": f"{SESSION_COOKIE}={cookie}"})
    assert error(answer) == (401, "unauthorized", "the session has expired; log in again", {})


def test_an_events_dataschema_is_served_by_the_gateway(gateway):
    """Every event's `dataschema` (CloudEvents) ends with a name the gateway answers with
    that event's JSON Schema, to anyone; other names are 404 naming the pattern."""
    uri = events.dataschema_uri("version_approved", 1)
    answer = call(gateway, "GET", "/api/events/schemas/" + uri.rsplit("/", 1)[1],
                  session=None)
    schema = json.loads(answer.get_data())
    assert answer.status_code == 200 and schema["properties"]["type"]["const"] == \
        "version_approved"
    assert "status_seq" in json.dumps(schema)
    for name in ("version_approved.v2.json", "no_such_event.v1.json", "x.json"):
        missing = call(gateway, "GET", f"/api/events/schemas/{name}", session=None)
        assert missing.status_code == 404
        assert json.loads(missing.get_data())["error"]["details"] == {"name": name}


# --- search: the search service's JSON, sent on as it is -----------------------------
class Search:
    """The search service: answers JSON text (services/search/service.py), recording
    who asked what."""

    def __init__(self):
        self.asked = []

    def search(self, user, query):
        self.asked.append(("search", user["username"], user["department"], query["q"]))
        return '{"total":1,"hits":[{"code":"PO-DJ-01","title":"Achiziții"}],"facets":{}}'

    def suggest(self, user, query):
        self.asked.append(("suggest", user["username"], user["department"], query["q"]))
        return '{"items":[{"code":"PO-DJ-01","title":"Achiziții"}]}'


@pytest.mark.parametrize("path, method", [("/api/search?q=achizitii", "search"),
                                          ("/api/search/suggest?q=achizitii", "suggest")])
def test_a_search_answer_is_the_search_services_json_untouched(monkeypatch, path, method):
    from services.gateway.routes import api_search
    monkeypatch.setattr(api_search, "_users", {})
    search = Search()
    config = SimpleNamespace(tokens=TOKENS, proxies=TrustedProxies([]), settings=SimpleNamespace(
        auth=SimpleNamespace(session_cache_seconds=5.0)))
    service = worker_factory(GatewayService, documents=Documents(), search=search,
                             config=config)
    answer = call(service, "GET", path)
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert answer.get_data() == getattr(Search(), method)({"username": "", "department": ""},
                                                          {"q": ""}).encode()
    assert search.asked == [(method, "radu", "DJ", "achizitii")]


def test_an_object_from_a_search_service_of_before_is_still_answered(monkeypatch):
    """While an upgrade replaces the processes one by one, a search service of before
    answers an object: the gateway encodes it, as it did (no 500)."""
    from services.gateway.routes import api_search
    monkeypatch.setattr(api_search, "_users", {})
    search = SimpleNamespace(search=lambda user, query: {"total": 0, "hits": [], "facets": {}})
    config = SimpleNamespace(tokens=TOKENS, proxies=TrustedProxies([]), settings=SimpleNamespace(
        auth=SimpleNamespace(session_cache_seconds=5.0)))
    service = worker_factory(GatewayService, documents=Documents(), search=search,
                             config=config)
    answer = call(service, "GET", "/api/search?q=x")
    assert answer.status_code == 200 and answer.get_json() == {"total": 0, "hits": [],
                                                                "facets": {}}


# --- uploads: the session is checked once, with the revision, for a small body -------
class Uploads(Documents):
    """The documents service of an upload: the calls, in order, and what it answers."""

    def __init__(self, refuse: Exception | None = None):
        super().__init__()
        self.refuse = refuse

    def session_user(self, session_id):
        self.calls.append(("session_user", session_id))
        return super().session_user(session_id)

    def get(self, username, document_id):
        self.calls.append(("get", username, document_id))
        return {"id": document_id}

    def add_revision(self, actor, document_id, placed, note, numbering=None, **session):
        self.calls.append(("add_revision", actor, document_id, session))
        if self.refuse:
            raise self.refuse
        return {"id": str(placed["version_id"])}


class Bucket:
    """MinIO's client as uploads.py uses it: what was put and removed."""

    def __init__(self):
        self.put, self.removed = [], []

    def put_object(self, bucket, key, data, length, part_size, num_parallel_uploads):
        while data.read(64 * 1024):
            pass
        self.put.append(key)
        return SimpleNamespace(version_id="v1")

    def remove_object(self, bucket, key, version_id=None):
        self.removed.append(key)


def uploading(documents):
    bucket = Bucket()
    config = SimpleNamespace(tokens=TOKENS, proxies=TrustedProxies([]), minio=bucket,
                             bucket="procedura", settings=SimpleNamespace(
                                 upload_limit_bytes=20 * 1024 * 1024, upload_concurrency=4))
    return worker_factory(GatewayService, documents=documents, config=config), bucket


def post_file(service, size: int, session: str = "s-reader"):
    return call(service, "POST", f"/api/documents/{DOCUMENT_ID}/versions", session=session,
                data={"file": (io.BytesIO(b"x" * size), "p.docx"), "change_summary": "a"})


def test_a_small_upload_asks_documents_once_with_its_session():
    service, bucket = uploading(Uploads())
    answer = post_file(service, 1000)
    assert answer.status_code == 201, answer.get_data()
    assert service.documents.calls == [
        ("add_revision", "radu", DOCUMENT_ID, {"session_id": "s-reader"})]
    assert len(bucket.put) == 1 and bucket.removed == []


def test_a_small_upload_of_a_session_that_has_ended_is_401_and_leaves_nothing():
    service, bucket = uploading(Uploads(refuse=Unauthorized("the session has ended; log in "
                                                            "again", {})))
    answer = post_file(service, 1000)
    assert error(answer) == (401, "unauthorized", "the session has ended; log in again", {})
    assert bucket.removed == bucket.put and len(bucket.put) == 1


def test_a_large_upload_checks_the_session_and_the_document_before_reading_the_body():
    service, bucket = uploading(Uploads())
    answer = post_file(service, 5 * 1024 * 1024)
    assert answer.status_code == 201, answer.get_data()
    assert service.documents.calls == [("session_user", "s-reader"),
                                       ("get", "radu", DOCUMENT_ID),
                                       ("add_revision", "radu", DOCUMENT_ID, {})]


def test_a_large_upload_of_an_ended_session_is_401_before_a_byte_is_stored():
    service, bucket = uploading(Uploads())
    answer = post_file(service, 5 * 1024 * 1024, session="s-ended")
    assert error(answer) == (401, "unauthorized", "the session has ended", {})
    assert bucket.put == [] and [c[0] for c in service.documents.calls] == ["session_user"]
