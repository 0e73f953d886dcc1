"""The gateway: Procedura's REST API. It owns nothing but tokens and reaches every
service by RPC; uploads stream into the staging bucket before versioning takes them."""
from __future__ import annotations

import json
from urllib.parse import quote
from uuid import UUID

import eventlet
import requests
from nameko.events import BROADCAST
from nameko.extensions import DependencyProvider
from werkzeug.wrappers import Response

from services.common.messaging import event_handler
from services.common.settings import Settings
from services.common.spreadsheet import csv_text
from services.contracts import events
from services.contracts.errors import InvalidInput, NotFound, validate
from services.contracts.models import (
    ChangeNote, Comment, NewDocument, Revision, Signing, User, Version,
    VersionManifest)
from services.gateway import downloads, uploads, versions
from services.gateway.live import LiveFeed, stream as live_stream
from services.gateway.auth import Tokens, current_user, user_or_session
from services.gateway.oidc import Issuer
from services.gateway.client import TrustedProxies
from services.gateway.entrypoints import MetricsProvider, error_response, http, json_response
from services.gateway.params import json_body, whole_number
from services.gateway.metrics import metrics_http
from services.gateway.routes import (
    api_processes, api_renditions, web_directory, web_login, web_pages, web_sso, web_viewer)
from services.gateway.routing import Deps, mount
from services.gateway.rpc import TimedRpcProxy
from services.gateway.notify_routes import NotifyRoutes
from services.gateway.register_routes import RegisterRoutes
from services.gateway.search_routes import SearchRoutes
from services.gateway.forms_routes import FormsRoutes
from services.gateway.openapi_routes import OpenApiRoutes
from services.gateway.ui.session import WebConfig

ACTIONS = ("submit", "verify", "opinion", "endorse", "approve", "reject", "withdraw")
READY_TIMEOUT = 5.0  # seconds for each service's health answer in /readyz


class GatewayConfig(DependencyProvider):
    """Settings, the token signer and the staging bucket client, made once."""

    def setup(self):
        from minio import Minio

        self.settings = Settings.from_config(self.container.config)
        oidc = self.settings.auth.oidc
        # single sign-on when an issuer is set (services/gateway/oidc.py); its client
        # secret is then required (a process refuses to start without it)
        self.issuer = (Issuer(oidc, self.settings.secret("auth.oidc.client_secret"))
                       if oidc.enabled else None)
        self.tokens = Tokens(self.settings.secret("auth_secret"),
                             self.settings.token_ttl_seconds, self.issuer)
        self.proxies = TrustedProxies(self.settings.auth.trusted_proxies)
        m = self.settings.minio
        self.minio = Minio(m.endpoint, access_key=self.settings.secret("minio.access_key"),
                           secret_key=self.settings.secret("minio.secret_key"), secure=m.secure)
        self.staging_bucket = f"{m.bucket}-staging"

    def get_dependency(self, worker_ctx):
        return self


def _uuid(value: str, what: str) -> str:
    try:
        return str(UUID(value))
    except ValueError:
        raise NotFound(f"no {what} {value}", {what + "_id": value}) from None


_body = json_body   # the JSON object of a request (services/gateway/entrypoints.py)


class GatewayService(SearchRoutes, FormsRoutes, NotifyRoutes, RegisterRoutes,
                     OpenApiRoutes):
    name = "gateway"

    config = GatewayConfig()
    request_metrics = MetricsProvider()
    live = LiveFeed()
    documents = TimedRpcProxy("documents")
    versioning = TimedRpcProxy("versioning")
    search = TimedRpcProxy("search")
    notifications = TimedRpcProxy("notifications")
    renditions = TimedRpcProxy("renditions")
    web = WebConfig()

    def _user(self, request) -> User:
        """The person of the bearer token, if its session is still live (Unauthorized
        once it is logged out, revoked or expired, or the person deactivated)."""
        return current_user(Deps.of(self), request)

    def _user_or_session(self, request) -> User:
        return user_or_session(Deps.of(self), request)

    def _version(self, user: User, version_id: str) -> Version:
        return versions.load(Deps.of(self), user, version_id)

    def _verified_content(self, version: Version):
        return downloads.verified_content(self.versioning, version)

    def _rendition_response(self, request, user: User, version_id: str):
        return api_renditions.rendition_response(Deps.of(self), request, user, version_id)

    def _page_response(self, request, user: User, version_id: str, page: str):
        return api_renditions.page_response(Deps.of(self), request, user, version_id, page)

    # --- health -----------------------------------------------------------------
    @http("GET", "/healthz")
    def healthz(self, request):
        """Liveness: the gateway process answers."""
        return json_response({"status": "ok"})

    @http("GET", "/readyz")
    def readyz(self, request):
        """Readiness: every service answers its health check over RPC, all asked at
        once, each within a few seconds (a probe must not hold workers for minutes)."""
        names = ("documents", "versioning", "search", "notifications")

        def check(name):
            try:
                return name, getattr(self, name).with_timeout(READY_TIMEOUT).health()
            except Exception as exc:  # any failure means not ready; say which and why
                return name, {"error": str(exc)[:300]}

        checks = dict(eventlet.GreenPool(len(names)).imap(check, names))
        ready = not any("error" in c for c in checks.values())
        return json_response({"ready": ready, "services": checks}, 200 if ready else 503)

    @metrics_http("GET", "/metrics")   # its own address in Kubernetes (metrics.py)
    def metrics(self, request):
        return Response(self.request_metrics.render(), mimetype="text/plain; version=0.0.4")

    # --- auth -------------------------------------------------------------------
    @http("POST", "/api/auth/token")
    def token(self, request):
        body = _body(request)
        for name in ("username", "password"):
            if not isinstance(body.get(name), str) or not body[name]:
                raise InvalidInput(f"{name} is required", {"field": name})
        tokens = self.config.tokens
        opened = self.documents.log_in(body["username"], body["password"],
                                       self.config.proxies.address(request), "api",
                                       tokens.ttl)
        user = User.model_validate(opened["user"])
        return json_response({"access_token": tokens.issue(user.username,
                                                           opened["session_id"]),
                              "token_type": "bearer", "expires_in": tokens.ttl,
                              "user": user.model_dump(mode="json")})

    @http("POST", "/api/auth/logout")
    def logout_token(self, request):
        """Revoke the bearer token this request carries: no gateway accepts it again."""
        claims = self.config.tokens.claims(request.headers.get("Authorization"))
        if claims.session_id is None:
            raise InvalidInput("an access token of the single sign-on issuer ends at the "
                               "issuer (its logout), not here", {"header": "Authorization"})
        self.documents.log_out(claims.session_id)
        return Response(status=204)

    @http("GET", "/api/me")
    def me(self, request):
        return json_response(self._user(request).model_dump(mode="json"))

    # --- documents --------------------------------------------------------------
    @http("POST", "/api/documents")
    def register(self, request):
        user = self._user(request)
        new = validate(NewDocument, _body(request))
        document = self.documents.register(user.username, new.model_dump(mode="json"))
        return json_response(document, 201, {"Location": f"/api/documents/{document['id']}"})

    @http("GET", "/api/documents")
    def list_documents(self, request):
        user = self._user(request)
        return json_response({"items": self.documents.list(user.username)})

    @http("GET", "/api/documents/<document_id>")
    def get_document(self, request, document_id):
        user = self._user(request)
        return json_response(self.documents.get(user.username, _uuid(document_id, "document")))

    @http("POST", "/api/documents/<document_id>/versions")
    def upload(self, request, document_id):
        user = self._user(request)
        version = self._add_revision(request, user, _uuid(document_id, "document"))
        return json_response(version, 201, {"Location": f"/api/versions/{version['id']}"})

    def _add_revision(self, request, user: User, document_id: str) -> dict:
        return uploads.add_revision(Deps.of(self), request, user, document_id)

    @http("POST", "/api/documents/<document_id>/restore")
    def restore(self, request, document_id):
        user = self._user(request)
        body = _body(request)
        version_id = _uuid(str(body.pop("version_id", "")), "version")
        note = validate(ChangeNote, body)
        version = self.documents.restore(user.username, _uuid(document_id, "document"),
                                         version_id, note.model_dump(mode="json"))
        return json_response(version, 201, {"Location": f"/api/versions/{version['id']}"})

    @http("POST", "/api/documents/<document_id>/new-edition")
    def new_edition(self, request, document_id):
        user = self._user(request)
        return json_response(self.documents.new_edition(user.username,
                                                        _uuid(document_id, "document")))

    @http("POST", "/api/documents/<document_id>/reviewed")
    def reviewed(self, request, document_id):
        """"Reviewed, no change" (analiza periodică fără modificări)."""
        user = self._user(request)
        comment = validate(Comment, _body(request)).comment
        return json_response(self.documents.reviewed(user.username,
                                                     _uuid(document_id, "document"), comment))

    @http("GET", "/api/documents/<document_id>/versions")
    def versions(self, request, document_id):
        user = self._user(request)
        document_id = _uuid(document_id, "document")
        revisions = {r["version_id"]: Revision.model_validate(r)
                     for r in self.documents.list_revisions(user.username, document_id)}
        items = [Version.combine(revisions[m["id"]], VersionManifest.model_validate(m))
                 .model_dump(mode="json")
                 for m in self.versioning.history(document_id) if m["id"] in revisions]
        return json_response({"items": items})

    # --- versions ---------------------------------------------------------------
    @http("GET", "/api/versions/<version_id>")
    def get_version(self, request, version_id):
        user = self._user(request)
        return json_response(self._version(user, _uuid(version_id, "version"))
                             .model_dump(mode="json"))

    @http("GET", "/api/versions/<version_id>/content")
    def content(self, request, version_id):
        user = self._user(request)
        return self._verified_content(self._version(user, _uuid(version_id, "version")))

    @http("GET", "/api/versions/<version_id>/text")
    def text(self, request, version_id):
        user = self._user(request)
        version = self._version(user, _uuid(version_id, "version"))
        if version.extraction.status != "done":
            raise NotFound("this version has no text (yet)",
                           {"extraction": version.extraction.model_dump(mode="json")})
        url = self.versioning.text_location(str(version.id))
        return _stream(url, "text/plain; charset=utf-8", None, None)

    @http("POST", "/api/versions/<version_id>/<action>")
    def act(self, request, version_id, action):
        if action not in ACTIONS:
            raise NotFound(f"no action {action}", {"action": action})
        user = self._user(request)
        signing = validate(Signing, _body(request))
        if action == "withdraw":
            self.documents.withdraw(user.username, _uuid(version_id, "version"),
                                    signing.comment)
            return json_response(self._version(user, version_id).model_dump(mode="json"))
        self.documents.transition(user.username, _uuid(version_id, "version"), action,
                                  signing.model_dump(mode="json"))
        return json_response(self._version(user, version_id).model_dump(mode="json"))

    @http("GET", "/api/versions/<version_id>/diff")
    def diff(self, request, version_id):
        user = self._user(request)
        against = request.args.get("against", "")
        if not against:
            raise InvalidInput("`against` names the version to compare with",
                               {"field": "against"})
        version_id, against = _uuid(version_id, "version"), _uuid(against, "version")
        for vid in (version_id, against):   # both readable by this user
            self.documents.get_revision(user.username, vid)
        return json_response(self.versioning.diff(version_id, against))

    @http("GET", "/api/versions/<version_id>/signatures")
    def signatures(self, request, version_id):
        user = self._user(request)
        return json_response({"items": self.documents.signatures(
            user.username, _uuid(version_id, "version"))})

    # --- feed --------------------------------------------------------
    @http("GET", "/api/feed")
    def feed(self, request):
        user = self._user(request)
        args = request.args
        limit = whole_number(args.get("limit") or "50", "limit")
        before = whole_number(args["before"], "before") if args.get("before") else None
        return json_response(self.notifications.feed(user.username, args.get("kind") or None,
                                                     limit, before))

    @http("GET", "/api/feed/stream")
    def feed_stream(self, request):
        """Server-sent events: new feed items as they happen; `Last-Event-ID` resumes.
        The web interface's session cookie is taken too (EventSource sends no header)."""
        user = self._user_or_session(request)
        field = "Last-Event-ID" if request.headers.get("Last-Event-ID") else "last_event_id"
        given = request.headers.get("Last-Event-ID") or request.args.get("last_event_id")
        last = whole_number(given, field) if given else None
        # eventlet's server holds writes back until 4 KB are ready: send each event now
        request.environ["eventlet.minimum_write_chunk_size"] = 0
        # listen before catching up, so nothing falls between the two
        queue = self.live.open(user.username)
        try:
            missed = (self.notifications.feed_since(user.username, last) if last is not None
                      else [])
        except Exception:   # no stream after all: do not leave its queue behind
            self.live.close(user.username, queue)
            raise
        return Response(live_stream(self.live, user.username, queue, missed, last or 0),
                        mimetype="text/event-stream",
                        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
                        direct_passthrough=True)

    @event_handler("notifications", "notification_created", handler_type=BROADCAST,
                   reliable_delivery=False)
    def on_notification_created(self, payload: dict) -> None:
        """Hand a new feed item to its person's open streams on this process."""
        event = events.parse(payload)
        self.live.publish(event.data.model_dump(mode="json"))

    @http("POST", "/api/feed/read-all")
    def mark_all_read(self, request):
        user = self._user(request)
        return json_response({"marked": self.notifications.mark_all_read(user.username)})

    @http("POST", "/api/feed/<item_id>/read")
    def mark_read(self, request, item_id):
        user = self._user(request)
        return json_response(self.notifications.mark_read(user.username,
                                                          whole_number(item_id, "item_id")))

    @http("GET", "/api/audit")
    def audit_trail(self, request):
        """The audit trail of a document (`document_id`) or a user (`user`); quality
        office only; `format=csv` for a spreadsheet."""
        user = self._user(request)
        document_id = request.args.get("document_id") or None
        if document_id:
            document_id = _uuid(document_id, "document")
        rows = self.documents.audit_trail(user.username, document_id,
                                          request.args.get("user") or None)
        if request.args.get("format") == "csv":
            return Response(_csv(rows), mimetype="text/csv",
                            headers={"Content-Disposition":
                                     'attachment; filename="audit.csv"'})
        return json_response({"items": rows})

    @http("GET,POST,PUT,PATCH,DELETE", "/api/<path:rest>")
    def unknown(self, request, rest):
        return error_response(404, "not_found", f"no such endpoint: /api/{rest}")


mount(GatewayService, api_processes.router, api_renditions.router, web_login.router,
      web_pages.router, web_viewer.router, web_sso.router, web_directory.router)


AUDIT_COLUMNS = ("id", "at", "actor", "action", "document_id", "version_id", "details",
                 "hash")


def _csv(rows: list[dict]) -> str:
    return csv_text(AUDIT_COLUMNS, (
        [json.dumps(row["details"], ensure_ascii=False) if c == "details" else row.get(c)
         for c in AUDIT_COLUMNS] for row in rows))


def _stream(url: str, media_type: str, filename: str | None, size: int | None) -> Response:
    upstream = requests.get(url, stream=True, timeout=60)
    upstream.raise_for_status()
    headers = {}
    if size is not None:
        headers["Content-Length"] = str(size)
    if filename is not None:
        ascii_name = filename.encode("ascii", "replace").decode().replace('"', "_")
        headers["Content-Disposition"] = (
            f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}")

    def body():
        try:
            yield from upstream.iter_content(64 * 1024)
        finally:
            upstream.close()

    return Response(body(), headers=headers, content_type=media_type, direct_passthrough=True)
