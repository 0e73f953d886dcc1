"""The staff web interface's pages: server-rendered at `/`, for the person of the
session cookie (services/gateway/ui/session.py), calling the same RPCs as the REST API.
Every POST carries the CSRF token of the session (`page` checks it)."""
from __future__ import annotations

import json
import mimetypes
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

from werkzeug.security import safe_join
from werkzeug.wrappers import Response

from services.contracts import signing
from services.contracts.errors import (
    Conflict, Forbidden, InvalidInput, NotFound, ProceduraError, validate)
from services.contracts.models import Document, Role, Signing, User
from services.contracts.search import SearchQuery
from services.gateway import downloads, params, uploads
from services.gateway.entrypoints import (
    STATUS, error_response, json_response, json_text_response)
from services.gateway.routes import web_workflows
from services.gateway.routing import Router
from services.gateway.ui import orgimport, orgimport_process, render, reports
from services.gateway.ui.redirects import safe_next
from services.gateway.ui.session import Page, page
from services.gateway.resume import ResumePoint
from services.gateway.versions import load as load_version

STATIC = render.HERE / "static"
# a module script must come as JavaScript whatever the machine's mime.types says
STATIC_TYPES = {".mjs": "text/javascript", ".js": "text/javascript", ".css": "text/css"}
REVIEW_HORIZON_DAYS = 30
FEED_ON_HOME = 20     # the newest items of the home page's feed
# what Tika reads well; the browser warns before sending anything else
ACCEPTED = ".docx,.doc,.odt,.pdf,.rtf,.txt,.xlsx,.xls,.ods,.pptx,.html"
# the signing form posts every action on a revision but withdrawing it (the quality
# office's own form, documents.withdraw), as the signing vocabulary names them
SIGNING_ACTIONS = frozenset(signing.ACTIONS) - {signing.WITHDRAW.action}

router = Router(page_wrapper=page)


@router.web("GET", "/static/<path:name>")
def static(deps, request, name):
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


def _pending_acknowledgements(deps, user: User) -> list[dict]:
    """The revisions in force `user` has still to acknowledge, due first."""
    return deps.notifications.pending_acknowledgements(user.username)


# --- pages --------------------------------------------------------------------------
@router.page("GET", "/")
def home(deps, current: Page):
    user = current.user
    feed = deps.notifications.feed(user.username, None, FEED_ON_HOME, None)
    inbox = deps.documents.signing_inbox(user.username)
    documents = deps.documents.list(user.username)
    # where its live stream starts: above the items shown, though one numbered below them
    # may still commit
    resume = ResumePoint.of_page([i["id"] for i in feed["items"]],
                                 whole_feed=len(feed["items"]) < FEED_ON_HOME)
    return current.render("home.html", feed=feed, inbox=inbox, feed_resume=resume.token(),
                          reviews=_reviews_due(documents, user.department, date.today()),
                          acknowledgements=_pending_acknowledgements(deps, user))


@router.page("GET", "/search")
def search_page(deps, current: Page):
    args = {k: v for k, v in current.request.args.items() if v != ""}
    args.pop("csrf_token", None)
    query = validate(SearchQuery, args)
    result = deps.search.search(current.user.model_dump(mode="json"),
                                query.model_dump(mode="json"))
    if isinstance(result, str):   # JSON text (an object from a search service of before)
        result = json.loads(result)
    pages = max(1, -(-result["total"] // query.size))
    return current.render("search.html", q=query.q, query=query.model_dump(mode="json"),
                          result=result, pages=pages, searched="q" in args)


@router.page("GET", "/ui/suggest")
def suggest(deps, current: Page):
    q = current.request.args.get("q", "")[:200]
    return json_text_response(deps.search.suggest(current.user.model_dump(mode="json"),
                                                  {"q": q, "size": 8}))


@router.page("GET", "/documents/<document_id>")
def document_page(deps, current: Page, document_id):
    user = current.user
    document_id = params.uuid(document_id, "document")
    document = Document.model_validate(deps.documents.get(user.username, document_id))
    revisions = {r["version_id"]: r
                 for r in deps.documents.list_revisions(user.username, document_id)}
    versions = [{**m, "status": revisions[m["id"]]["status"],
                 "registry_number": revisions[m["id"]]["registry_number"],
                 "registry_date": revisions[m["id"]]["registry_date"],
                 "effective_date": revisions[m["id"]]["effective_date"],
                 "component_revised": revisions[m["id"]]["component_revised"],
                 "how_revised": revisions[m["id"]]["how_revised"]}
                for m in deps.versioning.history(document_id) if m["id"] in revisions]
    versions.sort(key=lambda v: (v["edition"], v["revision"]), reverse=True)
    shown = _shown(versions, current.request.args.get("version"))
    signatures = (deps.documents.signatures(user.username, shown["id"])
                  if shown else [])
    audit = (deps.documents.audit_trail(user.username, document_id, None)
             if user.has(Role.QMS_ADMIN) else None)
    may_upload = user.has(Role.AUTHOR) and user.department == document.owner_department
    # "Am luat la cunoștință" on the revision in force, for people on its list
    may_acknowledge = bool(shown and shown["status"] == "in_force" and any(
        a["version_id"] == shown["id"] for a in _pending_acknowledgements(deps, user)))
    return current.render("document.html", document=document.model_dump(mode="json"),
                          versions=versions, shown=shown, signatures=signatures,
                          audit=audit, may_upload=may_upload,
                          links=_linked(deps, user, document),
                          may_acknowledge=may_acknowledge,
                          workflow_progress=web_workflows.revision_progress(
                              deps, user, shown, current.locale),
                          flash=current.request.args.get("flash", ""),
                          problem=current.request.args.get("problem", ""),
                          q=current.request.args.get("q", "")[:200])


def _linked(deps, user: User, document: Document) -> list[dict]:
    """The document's links with the code and title of each linked document the
    user may read (one they may not read is left out, as the API would 404)."""
    linked = []
    for link in document.links:
        try:
            other = deps.documents.get(user.username, str(link.document_id))
        except NotFound:
            continue
        linked.append({"relation": link.relation.value, "id": other["id"],
                       "code": other["code"], "title": other["title"]})
    return linked


@router.page("GET", "/documents/<document_id>/diff")
def diff_page(deps, current: Page, document_id):
    user = current.user
    document_id = params.uuid(document_id, "document")
    document = deps.documents.get(user.username, document_id)
    old = params.uuid(current.request.args.get("old", ""), "version")
    new = params.uuid(current.request.args.get("new", ""), "version")
    versions = {}
    for vid in (old, new):
        revision = deps.documents.get_revision(user.username, vid)
        if revision["document"]["id"] != document_id:
            raise NotFound(f"version {vid} is not a version of this document",
                           {"version_id": vid})
        versions[vid] = revision
    diff = deps.versioning.diff(new, old) if old != new else None
    return current.render("diff.html", document=document, old=versions[old],
                          new=versions[new], diff=diff)


@router.page("GET", "/versions/<version_id>/download")
def download(deps, current: Page, version_id):
    # the API's download: the pinned object version, its sha256 checked as it streams;
    # one path for every reader of an original (services/gateway/downloads.py)
    version = load_version(deps, current.user, params.uuid(version_id, "version"))
    return downloads.verified_content(deps.versioning, version)


@router.page("GET", "/documents/<document_id>/upload")
def upload_page(deps, current: Page, document_id):
    document = deps.documents.get(current.user.username,
                                  params.uuid(document_id, "document"))
    return current.render("upload.html", document=document, limit=deps.web.upload_limit,
                          accepted=ACCEPTED)


@router.page("POST", "/documents/<document_id>/upload")
def upload_submit(deps, current: Page, document_id):
    """The upload page's XHR: JSON answers (errors as the API's), never a page."""
    try:
        document_id = params.uuid(document_id, "document")
        version = uploads.add_revision(deps, current.request, current.user.username,
                                       document_id)
    except ProceduraError as exc:
        return error_response(STATUS.get(type(exc), 400), exc.code, exc.message,
                              exc.details)
    # the document's page opens on the new version, in the viewer once rendered
    return json_response({"version": version, "location": (
        f"/documents/{document_id}?version={version['id']}&flash=uploaded#viewer")}, 201)


@router.page("GET", "/inbox")
def inbox_page(deps, current: Page):
    inbox = deps.documents.signing_inbox(current.user.username)
    for entry in inbox:   # what the signer signs, shown in the viewer once rendered
        entry["rendition"] = deps.versioning.get(entry["revision"]["version_id"]).get(
            "rendition")
    return current.render("inbox.html", inbox=inbox,
                          flash=current.request.args.get("flash", ""),
                          problem=current.request.args.get("problem", ""))


@router.page("POST", "/versions/<version_id>/sign")
def sign(deps, current: Page, version_id):
    form = current.request.form
    action = form.get("action", "")
    if action not in SIGNING_ACTIONS:
        raise InvalidInput(f"no action {action}", {"field": "action"})
    version_id = params.uuid(version_id, "version")
    body = {"comment": form.get("comment", "")}
    if action == "opinion":
        body["favourable"] = form.get("favourable") == "yes"
    signing = validate(Signing, body)
    back = safe_next(form.get("back")) if form.get("back") else "/inbox"
    try:
        deps.documents.transition(current.user.username, version_id, action,
                                  signing.model_dump(mode="json"))
    except (Conflict, Forbidden) as exc:
        return render.redirect(_with(back, problem=exc.message))
    flash = {"reject": "rejected", "opinion": "opinion", "submit": "submitted"}.get(
        action, "signed")
    return render.redirect(_with(back, flash=flash))


@router.page("GET", "/quality")
def quality_page(deps, current: Page):
    """The quality office's page; a department head sees the acknowledgements and
    the reviews due of their own department."""
    user = current.user
    office = user.has(Role.QMS_ADMIN)
    if not (office or user.has(Role.VERIFIER)):
        raise Forbidden("the quality office's pages are for the quality office and "
                        "the heads of department", {})
    department = None if office else user.department
    documents = sorted(deps.documents.list(user.username), key=lambda d: d["code"])
    records = deps.notifications.department_acknowledgements(department)
    return current.render(
        "quality.html", office=office, department=department,
        documents=documents if office else None,
        reviews=_reviews_due(documents, department, date.today()),
        ack_revisions=reports.by_revision(records),
        ack_departments=reports.by_department(records),
        risks=deps.documents.list_risks(user.username, department, None),
        processes=[p for p in deps.documents.list_processes(user.username)
                   if department is None or p["department"] == department])


@router.page("GET", "/acknowledgements")
def acknowledgements_page(deps, current: Page):
    """My revisions to acknowledge, each with its "Am luat la cunoștință" button."""
    return current.render("acknowledgements.html",
                          acknowledgements=_pending_acknowledgements(deps, current.user),
                          flash=current.request.args.get("flash", ""),
                          problem=current.request.args.get("problem", ""))


@router.page("POST", "/versions/<version_id>/acknowledge")
def acknowledge_submit(deps, current: Page, version_id):
    """"Am luat la cunoștință" (a second confirmation keeps the first record)."""
    version_id = params.uuid(version_id, "version")
    form = current.request.form
    back = safe_next(form.get("back")) if form.get("back") else "/acknowledgements"
    # a revision the person may not read does not exist for them (404)
    deps.documents.get_revision(current.user.username, version_id)
    try:
        deps.notifications.acknowledge(current.user.username, version_id)
    except (Conflict, Forbidden) as exc:
        return render.redirect(_with(back, problem=exc.message))
    return render.redirect(_with(back, flash="acknowledged"))


# --- administration -------------------------------------------------------------
@router.page("GET", "/admin")
def admin_page(deps, current: Page):
    office_only(current.user)
    return current.render("admin.html", columns=orgimport.CSV_COLUMNS,
                          directory=deps.documents.directory_status(current.user.username))


@router.page("POST", "/admin/organisation")
def import_organisation(deps, current: Page):
    """Departments and staff from a YAML or CSV file, checked whole, then loaded in
    one transaction (documents.load_organisation): all of it or nothing."""
    office_only(current.user)
    upload = current.request.files.get("file")
    try:
        if upload is None or not upload.filename:
            orgimport.refuse(orgimport.NO_FILE)
        organisation = orgimport_process.parse(
            upload.filename, upload.stream.read(orgimport.MAX_BYTES + 1))
        counts = deps.documents.load_organisation(organisation.model_dump(mode="json"))
    except InvalidInput as exc:
        return current.render("admin.html", 422, columns=orgimport.CSV_COLUMNS,
                              error=exc, problems=exc.details.get("where") or [],
                              filename=upload.filename if upload else "")
    return current.render("admin.html", columns=orgimport.CSV_COLUMNS, loaded=counts,
                          filename=upload.filename)


def office_only(user: User) -> None:
    if not user.has(Role.QMS_ADMIN):
        raise Forbidden("the administration page is for the quality office", {})


def _with(path: str, **values) -> str:
    base = path.split("?")[0]
    return f"{base}?{urlencode(values)}"
