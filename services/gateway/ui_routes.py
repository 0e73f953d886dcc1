"""The staff web interface: server-rendered pages at `/` (a mixin of GatewayService,
which provides `self.documents`, `self.versioning`, `self.search`, `self.notifications`,
`self.config` and `self._version`).

The pages call the same RPCs as the REST API, as the user of the session cookie. Every
POST carries the CSRF token of the session (or, to log in, of the login cookie).
"""
from __future__ import annotations

import functools
import mimetypes
import secrets
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode
from uuid import UUID

from nameko.extensions import DependencyProvider
from werkzeug.security import safe_join
from werkzeug.wrappers import Response

from services.common.settings import Settings
from services.contracts.errors import (
    Conflict, Forbidden, InvalidInput, NotFound, PayloadTooLarge, ProceduraError,
    ServiceUnavailable, TooManyRequests, Unauthorized, validate)
from services.contracts.models import Document, Role, Signing, User
from services.contracts.search import SearchQuery
from services.gateway.entrypoints import (
    STATUS, error_response, http, json_response, retry_seconds)
from services.gateway.ui import i18n, orgimport, orgimport_process, render, reports
from services.gateway.ui.redirects import safe_next
from services.gateway.ui.session import (
    LOGIN_CSRF_COOKIE, SESSION_COOKIE, NoSession, Session, Sessions, same_token)

STATIC = render.HERE / "static"
# a module script must come as JavaScript whatever the machine's mime.types says
STATIC_TYPES = {".mjs": "text/javascript", ".js": "text/javascript", ".css": "text/css"}
REVIEW_HORIZON_DAYS = 30
# what Tika reads well; the browser warns before sending anything else
ACCEPTED = ".docx,.doc,.odt,.pdf,.rtf,.txt,.xlsx,.xls,.ods,.pptx,.html"
SIGNING_ACTIONS = ("verify", "endorse", "approve", "reject", "opinion", "submit")


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
    def wrapper(self, request, *args, **kwargs):
        try:
            current = Page(request, *self._web_user(request))
            _refuse_an_organisation_file_too_large(request)
            if request.method == "POST" and not same_token(current.session.csrf,
                                                           _csrf_token(request)):
                return _refused(current)
            return fn(self, current, *args, **kwargs)
        except NoSession as exc:
            if request.path.startswith("/ui/") or request.method != "GET":
                return error_response(401, "unauthorized", "log in again")
            target = request.full_path.rstrip("?")
            query = {"next": target, **({"expired": "1"} if exc.expired else {})}
            return render.redirect("/login?" + urlencode(query))
        except ProceduraError as exc:
            current = Page(request, None, None)
            try:
                current = Page(request, *self._web_user(request))
            except (NoSession, ProceduraError):
                pass
            return current.render("error.html", STATUS.get(type(exc), 400),
                                  error=exc, code=STATUS.get(type(exc), 400))
    return wrapper


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


def _refused(current: Page) -> Response:
    return current.render("error.html", 403, code=403, error=Forbidden(
        "the form has expired; reload the page and try again", {"field": "csrf_token"}))


def _uuid(value: str, what: str) -> str:
    try:
        return str(UUID(value))
    except ValueError:
        raise NotFound(f"no {what} {value}", {what + "_id": value}) from None


def _shown(versions: list[dict], chosen: str | None) -> dict | None:
    """The version the document page shows: the one chosen in its history, else the
    revision in force (what staff work by), else the latest one."""
    picked = next((v for v in versions if chosen and str(v["id"]) == chosen), None)
    return picked or next((v for v in versions if v["status"] == "in_force"),
                          versions[0] if versions else None)


def _reviews_due(documents: list[dict], department: str | None, today: date) -> list[dict]:
    horizon = today + timedelta(days=REVIEW_HORIZON_DAYS)
    due = [d for d in documents if d.get("next_review_date")
           and date.fromisoformat(d["next_review_date"]) <= horizon
           and (department is None or d["owner_department"] == department)]
    return sorted(due, key=lambda d: d["next_review_date"])


class UiRoutes:
    web = WebConfig()

    # --- the session ----------------------------------------------------------------
    def _web_user(self, request) -> tuple[User, Session]:
        session = self.web.sessions.read(request.cookies.get(SESSION_COOKIE))
        try:
            return User.model_validate(self.documents.session_user(session.id)), session
        except Unauthorized:   # logged out, revoked, or the person deactivated
            raise NoSession(expired=True) from None

    def _cookie_options(self, request) -> dict:
        return self.web.sessions.cookie_options(self.config.proxies.https(request))

    def _user_or_session(self, request) -> User:
        """The bearer token's user, or else the session's: EventSource cannot send a
        header, so the live feed also takes the cookie (GET only: nothing changes)."""
        if request.headers.get("Authorization") or not request.cookies.get(SESSION_COOKIE):
            return self._user(request)
        try:
            return self._web_user(request)[0]
        except NoSession:
            raise Unauthorized("the session has expired; log in again", {}) from None

    @http("GET", "/login")
    def login_page(self, request):
        return self._login_page(request)

    def _login_page(self, request, http_status: int = 200, **values) -> Response:
        """The login page (a fresh CSRF cookie for its form); `values` say what went wrong."""
        current = Page(request, None, None)
        token = secrets.token_urlsafe(24)
        response = current.render("login.html", http_status, csrf=token,
                                  next=safe_next(request.args.get("next")),
                                  expired=request.args.get("expired") == "1",
                                  flash=request.args.get("flash", ""),
                                  sso=self.config.issuer is not None, **values)
        response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600,
                            **self._cookie_options(request))
        return response

    @http("POST", "/login")
    def login_submit(self, request):
        current = Page(request, None, None)
        form = request.form
        if not same_token(request.cookies.get(LOGIN_CSRF_COOKIE), form.get("csrf_token")):
            return _refused(current)
        target = safe_next(form.get("next"))
        try:
            opened = self.documents.log_in(form.get("username", "").strip(),
                                           form.get("password", ""),
                                           self.config.proxies.address(request), "web",
                                           self.web.sessions.ttl)
        except (Unauthorized, InvalidInput, NotFound):
            # one message whatever was wrong: no hint whether the user exists
            return current.render("login.html", 401, csrf=form.get("csrf_token"),
                                  next=target, failed=True, sso=self.config.issuer is not None,
                                  username=form.get("username", ""))
        except (ServiceUnavailable, Forbidden) as exc:
            # the directory cannot be reached, or it knows the person but Procedura cannot
            # admit them (no group, a department not in the register): say which
            return current.render("login.html", 503 if isinstance(exc, ServiceUnavailable)
                                  else 403, csrf=form.get("csrf_token"), next=target,
                                  username=form.get("username", ""),
                                  refused=exc.details.get("reason") or "directory_down",
                                  department=exc.details.get("department"),
                                  sso=self.config.issuer is not None)
        except TooManyRequests as exc:
            wait = retry_seconds(exc.details) or 60
            response = current.render("login.html", 429, csrf=form.get("csrf_token"),
                                      next=target, username=form.get("username", ""),
                                      sso=self.config.issuer is not None,
                                      wait_minutes=-(-wait // 60))
            response.headers["Retry-After"] = str(wait)
            return response
        user = User.model_validate(opened["user"])
        response = render.redirect(target)
        response.set_cookie(SESSION_COOKIE,
                            self.web.sessions.issue(user.username, opened["session_id"]),
                            max_age=self.web.sessions.ttl, **self._cookie_options(request))
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
        return response

    @http("POST", "/logout")
    @page
    def logout(self, current: Page):
        """Log out: the session ends on the server too, not only in this browser."""
        self.documents.log_out(current.session.id)
        # signed in through the issuer: its session ends too (oidc_routes.py)
        response = self._logged_out(current.request)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @http("GET", "/language/<code>")
    def language(self, request, code):
        """Switch the interface language (a preference, kept in a cookie)."""
        response = render.redirect(safe_next(request.args.get("next"), login=True))
        response.set_cookie(i18n.LANG_COOKIE, i18n.choose(code, None), max_age=365 * 86400,
                            **self._cookie_options(request))
        return response

    @http("GET", "/static/<path:name>")
    def static(self, request, name):
        path = safe_join(str(STATIC), name)
        try:
            with open(path or "", "rb") as fh:
                body = fh.read()
        except OSError:
            return Response("not found", status=404, mimetype="text/plain")
        mimetype = (STATIC_TYPES.get(Path(path).suffix)
                    or mimetypes.guess_type(path)[0] or "application/octet-stream")
        # the page's policy on its scripts too: pdf.js's worker runs under its own
        # response's CSP (no eval, no WebAssembly, fetches only from 'self')
        return Response(body, mimetype=mimetype,
                        headers={"Cache-Control": "max-age=3600",
                                 "Content-Security-Policy": render.CSP,
                                 "X-Content-Type-Options": "nosniff"})

    # --- pages --------------------------------------------------------------------------
    @http("GET", "/")
    @page
    def home(self, current: Page):
        user = current.user
        feed = self.notifications.feed(user.username, None, 20, None)
        inbox = self.documents.signing_inbox(user.username)
        documents = self.documents.list(user.username)
        return current.render("home.html", feed=feed, inbox=inbox,
                              reviews=_reviews_due(documents, user.department, date.today()),
                              acknowledgements=self._pending_acknowledgements(user))

    def _pending_acknowledgements(self, user: User) -> list[dict]:
        """The revisions in force `user` has still to acknowledge, due first."""
        return self.notifications.pending_acknowledgements(user.username)

    @http("GET", "/search")
    @page
    def search_page(self, current: Page):
        args = {k: v for k, v in current.request.args.items() if v != ""}
        args.pop("csrf_token", None)
        query = validate(SearchQuery, args)
        result = self.search.search(current.user.model_dump(mode="json"),
                                    query.model_dump(mode="json"))
        pages = max(1, -(-result["total"] // query.size))
        return current.render("search.html", q=query.q, query=query.model_dump(mode="json"),
                              result=result, pages=pages, searched="q" in args)

    @http("GET", "/ui/suggest")
    @page
    def suggest(self, current: Page):
        q = current.request.args.get("q", "")[:200]
        return json_response(self.search.suggest(current.user.model_dump(mode="json"),
                                                 {"q": q, "size": 8}))

    @http("GET", "/documents/<document_id>")
    @page
    def document_page(self, current: Page, document_id):
        user = current.user
        document_id = _uuid(document_id, "document")
        document = Document.model_validate(self.documents.get(user.username, document_id))
        revisions = {r["version_id"]: r
                     for r in self.documents.list_revisions(user.username, document_id)}
        versions = [{**m, "status": revisions[m["id"]]["status"],
                     "registry_number": revisions[m["id"]]["registry_number"],
                     "registry_date": revisions[m["id"]]["registry_date"],
                     "effective_date": revisions[m["id"]]["effective_date"],
                     "component_revised": revisions[m["id"]]["component_revised"],
                     "how_revised": revisions[m["id"]]["how_revised"]}
                    for m in self.versioning.history(document_id) if m["id"] in revisions]
        versions.sort(key=lambda v: (v["edition"], v["revision"]), reverse=True)
        shown = _shown(versions, current.request.args.get("version"))
        signatures = (self.documents.signatures(user.username, shown["id"])
                      if shown else [])
        audit = (self.documents.audit_trail(user.username, document_id, None)
                 if user.has(Role.QMS_ADMIN) else None)
        may_upload = user.has(Role.AUTHOR) and user.department == document.owner_department
        # "Am luat la cunoștință" on the revision in force, for people on its list
        may_acknowledge = bool(shown and shown["status"] == "in_force" and any(
            a["version_id"] == shown["id"] for a in self._pending_acknowledgements(user)))
        return current.render("document.html", document=document.model_dump(mode="json"),
                              versions=versions, shown=shown, signatures=signatures,
                              audit=audit, may_upload=may_upload,
                              links=self._linked(user, document),
                              may_acknowledge=may_acknowledge,
                              flash=current.request.args.get("flash", ""),
                              problem=current.request.args.get("problem", ""),
                              q=current.request.args.get("q", "")[:200])

    def _linked(self, user: User, document: Document) -> list[dict]:
        """The document's links with the code and title of each linked document the
        user may read (one they may not read is left out, as the API would 404)."""
        linked = []
        for link in document.links:
            try:
                other = self.documents.get(user.username, str(link.document_id))
            except NotFound:
                continue
            linked.append({"relation": link.relation.value, "id": other["id"],
                           "code": other["code"], "title": other["title"]})
        return linked

    @http("GET", "/documents/<document_id>/diff")
    @page
    def diff_page(self, current: Page, document_id):
        user = current.user
        document_id = _uuid(document_id, "document")
        document = self.documents.get(user.username, document_id)
        old = _uuid(current.request.args.get("old", ""), "version")
        new = _uuid(current.request.args.get("new", ""), "version")
        versions = {}
        for vid in (old, new):
            revision = self.documents.get_revision(user.username, vid)
            if revision["document"]["id"] != document_id:
                raise NotFound(f"version {vid} is not a version of this document",
                               {"version_id": vid})
            versions[vid] = revision
        diff = self.versioning.diff(new, old) if old != new else None
        return current.render("diff.html", document=document, old=versions[old],
                              new=versions[new], diff=diff)

    @http("GET", "/versions/<version_id>/download")
    @page
    def download(self, current: Page, version_id):
        # the API's download (register_routes): the pinned object version, its sha256
        # checked as it streams; one path for every reader of an original
        return self._verified_content(self._version(current.user, _uuid(version_id, "version")))

    @http("GET", "/documents/<document_id>/upload")
    @page
    def upload_page(self, current: Page, document_id):
        document = self.documents.get(current.user.username, _uuid(document_id, "document"))
        return current.render("upload.html", document=document, limit=self.web.upload_limit,
                              accepted=ACCEPTED)

    @http("POST", "/documents/<document_id>/upload")
    @page
    def upload_submit(self, current: Page, document_id):
        """The upload page's XHR: JSON answers (errors as the API's), never a page."""
        user = current.user
        try:
            document_id = _uuid(document_id, "document")
            version = self._add_revision(current.request, user, document_id)
        except ProceduraError as exc:
            return error_response(STATUS.get(type(exc), 400), exc.code, exc.message,
                                  exc.details)
        # the document's page opens on the new version, in the viewer once rendered
        return json_response({"version": version, "location": (
            f"/documents/{document_id}?version={version['id']}&flash=uploaded#viewer")}, 201)

    @http("GET", "/inbox")
    @page
    def inbox_page(self, current: Page):
        inbox = self.documents.signing_inbox(current.user.username)
        for entry in inbox:   # what the signer signs, shown in the viewer once rendered
            entry["rendition"] = self.versioning.get(entry["revision"]["version_id"]).get(
                "rendition")
        return current.render("inbox.html", inbox=inbox,
                              flash=current.request.args.get("flash", ""),
                              problem=current.request.args.get("problem", ""))

    @http("POST", "/versions/<version_id>/sign")
    @page
    def sign(self, current: Page, version_id):
        form = current.request.form
        action = form.get("action", "")
        if action not in SIGNING_ACTIONS:
            raise InvalidInput(f"no action {action}", {"field": "action"})
        version_id = _uuid(version_id, "version")
        body = {"comment": form.get("comment", "")}
        if action == "opinion":
            body["favourable"] = form.get("favourable") == "yes"
        signing = validate(Signing, body)
        back = safe_next(form.get("back")) if form.get("back") else "/inbox"
        try:
            self.documents.transition(current.user.username, version_id, action,
                                      signing.model_dump(mode="json"))
        except (Conflict, Forbidden) as exc:
            return render.redirect(_with(back, problem=exc.message))
        flash = {"reject": "rejected", "opinion": "opinion", "submit": "submitted"}.get(
            action, "signed")
        return render.redirect(_with(back, flash=flash))

    @http("GET", "/quality")
    @page
    def quality_page(self, current: Page):
        """The quality office's page; a department head sees the acknowledgements and
        the reviews due of their own department."""
        user = current.user
        office = user.has(Role.QMS_ADMIN)
        if not (office or user.has(Role.VERIFIER)):
            raise Forbidden("the quality office's pages are for the quality office and "
                            "the heads of department", {})
        department = None if office else user.department
        documents = sorted(self.documents.list(user.username), key=lambda d: d["code"])
        records = self.notifications.department_acknowledgements(department)
        return current.render(
            "quality.html", office=office, department=department,
            documents=documents if office else None,
            reviews=_reviews_due(documents, department, date.today()),
            ack_revisions=reports.by_revision(records),
            ack_departments=reports.by_department(records),
            risks=self.documents.list_risks(user.username, department, None),
            processes=[p for p in self.documents.list_processes(user.username)
                       if department is None or p["department"] == department])

    @http("GET", "/acknowledgements")
    @page
    def acknowledgements_page(self, current: Page):
        """My revisions to acknowledge, each with its "Am luat la cunoștință" button."""
        return current.render("acknowledgements.html",
                              acknowledgements=self._pending_acknowledgements(current.user),
                              flash=current.request.args.get("flash", ""),
                              problem=current.request.args.get("problem", ""))

    @http("POST", "/versions/<version_id>/acknowledge")
    @page
    def acknowledge_submit(self, current: Page, version_id):
        """"Am luat la cunoștință" (a second confirmation keeps the first record)."""
        version_id = _uuid(version_id, "version")
        form = current.request.form
        back = safe_next(form.get("back")) if form.get("back") else "/acknowledgements"
        # a revision the person may not read does not exist for them (404)
        self.documents.get_revision(current.user.username, version_id)
        try:
            self.notifications.acknowledge(current.user.username, version_id)
        except (Conflict, Forbidden) as exc:
            return render.redirect(_with(back, problem=exc.message))
        return render.redirect(_with(back, flash="acknowledged"))


    # --- administration -------------------------------------------------------------
    @http("GET", "/admin")
    @page
    def admin_page(self, current: Page):
        _office_only(current.user)
        return current.render("admin.html", columns=orgimport.CSV_COLUMNS,
                              directory=self.documents.directory_status(current.user.username))

    @http("POST", "/admin/organisation")
    @page
    def import_organisation(self, current: Page):
        """Departments and staff from a YAML or CSV file, checked whole, then loaded in
        one transaction (documents.load_organisation): all of it or nothing."""
        _office_only(current.user)
        upload = current.request.files.get("file")
        try:
            if upload is None or not upload.filename:
                orgimport.refuse(orgimport.NO_FILE)
            organisation = orgimport_process.parse(
                upload.filename, upload.stream.read(orgimport.MAX_BYTES + 1))
            counts = self.documents.load_organisation(organisation.model_dump(mode="json"))
        except InvalidInput as exc:
            return current.render("admin.html", 422, columns=orgimport.CSV_COLUMNS,
                                  error=exc, problems=exc.details.get("where") or [],
                                  filename=upload.filename if upload else "")
        return current.render("admin.html", columns=orgimport.CSV_COLUMNS, loaded=counts,
                              filename=upload.filename)


def _office_only(user: User) -> None:
    if not user.has(Role.QMS_ADMIN):
        raise Forbidden("the administration page is for the quality office", {})


def _with(path: str, **values) -> str:
    base = path.split("?")[0]
    return f"{base}?{urlencode(values)}"

