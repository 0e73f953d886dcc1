"""The quality office's records as files: the register of procedures and the forms of a
revision or a document (DOCX, PDF or CSV, built from the data), and the audit trail
(/api/register, /api/.../forms/..., /api/audit)."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from nameko.exceptions import MethodNotFound
from werkzeug.wrappers import Response

from services.gateway.tables import FORMATS, Form, render
from services.common.spreadsheet import csv_text
from services.contracts.errors import InvalidInput, NotFound, ServiceUnavailable
from services.contracts.forms import AcknowledgementReport, RegisterEntry
from services.contracts.models import Document, Revision, Signature, User
from services.gateway import forms
from services.gateway.auth import current_user, user_or_session
from services.gateway.entrypoints import json_response
from services.gateway.params import uuid
from services.gateway.routing import Router

VERSION_FORMS = ("responsabili", "difuzare")
AUDIT_COLUMNS = ("id", "at", "actor", "action", "document_id", "version_id", "details",
                 "hash")

router = Router()


@router.api("GET", "/api/register")
def procedure_register(deps, request):
    """The register of procedures (quality office): docx, pdf or csv."""
    user = user_or_session(deps, request)
    fmt = _format(request, ("docx", "pdf", "csv"))
    entries = [RegisterEntry.model_validate(e)
               for e in deps.documents.procedure_register(user.username)]
    form = forms.register(entries, datetime.now(timezone.utc))
    return _send(form, fmt, "registrul-procedurilor")


@router.api("GET", "/api/versions/<version_id>/forms/<kind>")
def version_form(deps, request, version_id, kind):
    """"Lista responsabililor" (responsabili) or "Lista de difuzare" (difuzare) of a
    revision; readable by whoever may read the document."""
    if kind not in VERSION_FORMS:
        raise NotFound(f"no form {kind}; one of {', '.join(VERSION_FORMS)}", {"form": kind})
    user = user_or_session(deps, request)
    fmt = _format(request)
    vid = uuid(version_id, "version")
    revision = Revision.model_validate(deps.documents.get_revision(user.username, vid))
    now = datetime.now(timezone.utc)
    if kind == "responsabili":
        signatures = [Signature.model_validate(s)
                      for s in deps.documents.signatures(user.username, vid)]
        people = _people(deps, {s.signer for s in signatures})
        operations = forms.workflow_operations(deps.documents.version_progress(
            user.username, vid))
        form = forms.responsabili(revision, signatures, people, now, operations)
    else:
        report = AcknowledgementReport.model_validate(_acknowledgements(deps, vid))
        office = {u["username"] for u in deps.documents.staff(None, ["qms_admin"])}
        form = forms.difuzare(revision, report, office, now)
    name = f"{kind}-{revision.document.code}-E{revision.edition}R{revision.revision}"
    return _send(form, fmt, name)


@router.api("GET", "/api/documents/<document_id>/forms/editii")
def editions_form(deps, request, document_id):
    """"Situația edițiilor și a reviziilor" of a document."""
    user = user_or_session(deps, request)
    fmt = _format(request)
    did = uuid(document_id, "document")
    document = Document.model_validate(deps.documents.get(user.username, did))
    revisions = [Revision.model_validate(r)
                 for r in deps.documents.list_revisions(user.username, did)]
    form = forms.editii(document, revisions, datetime.now(timezone.utc))
    return _send(form, fmt, f"editii-{document.code}")


@router.api("GET", "/api/audit")
def audit_trail(deps, request):
    """The audit trail of a document (`document_id`) or a user (`user`); quality
    office only; `format=csv` for a spreadsheet."""
    user = current_user(deps, request)
    document_id = request.args.get("document_id") or None
    if document_id:
        document_id = uuid(document_id, "document")
    rows = deps.documents.audit_trail(user.username, document_id,
                                      request.args.get("user") or None)
    if request.args.get("format") == "csv":
        return Response(_csv(rows), mimetype="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="audit.csv"'})
    return json_response({"items": rows})


def _people(deps, usernames: set[str]) -> dict[str, User]:
    """Signers as they are now; one who has left is named by username (the form
    keeps the function they signed with)."""
    people = {}
    for username in usernames:
        try:
            people[username] = User.model_validate(deps.documents.get_user(username))
        except NotFound:
            continue
    return people


def _acknowledgements(deps, version_id: str) -> dict:
    try:
        return deps.notifications.acknowledgement_report(version_id)
    except MethodNotFound:   # a notifications service older than acknowledgements
        raise ServiceUnavailable(
            "the notifications service does not report acknowledgements yet "
            "(acknowledgement_report), so the distribution list cannot be made",
            {"service": "notifications", "method": "acknowledgement_report"}) from None


def _format(request, allowed=("docx", "pdf")) -> str:
    fmt = request.args.get("format", "pdf")
    if fmt not in allowed:
        raise InvalidInput(f"format must be one of {', '.join(allowed)}, not {fmt!r}",
                           {"field": "format", "allowed": list(allowed)})
    return fmt


def _send(form: Form, fmt: str, name: str) -> Response:
    filename = f"{name}.{fmt}".replace("/", "-").replace('"', "_")
    return Response(render(form, fmt), content_type=FORMATS[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _csv(rows: list[dict]) -> str:
    return csv_text(AUDIT_COLUMNS, (
        [json.dumps(row["details"], ensure_ascii=False) if c == "details" else row.get(c)
         for c in AUDIT_COLUMNS] for row in rows))
