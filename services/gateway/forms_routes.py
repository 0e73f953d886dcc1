"""Generated forms (a mixin of GatewayService, which provides `self.documents`,
`self.notifications` and `self._user`): DOCX, PDF or CSV, built from the data."""
from __future__ import annotations

from datetime import datetime, timezone
from uuid import UUID

from nameko.exceptions import MethodNotFound
from werkzeug.wrappers import Response

from services.gateway.tables import FORMATS, Form, render
from services.contracts.errors import InvalidInput, NotFound, ServiceUnavailable
from services.contracts.forms import AcknowledgementReport, RegisterEntry
from services.contracts.models import Document, Revision, Signature, User
from services.gateway import forms
from services.gateway.entrypoints import http

VERSION_FORMS = ("responsabili", "difuzare")


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


class FormsRoutes:
    @http("GET", "/api/versions/<version_id>/forms/<kind>")
    def version_form(self, request, version_id, kind):
        """"Lista responsabililor" (responsabili) or "Lista de difuzare" (difuzare) of a
        revision; readable by whoever may read the document."""
        if kind not in VERSION_FORMS:
            raise NotFound(f"no form {kind}; one of {', '.join(VERSION_FORMS)}",
                           {"form": kind})
        user = self._user_or_session(request)
        fmt = _format(request)
        vid = _forms_uuid(version_id, "version")
        revision = Revision.model_validate(self.documents.get_revision(user.username, vid))
        now = datetime.now(timezone.utc)
        if kind == "responsabili":
            signatures = [Signature.model_validate(s)
                          for s in self.documents.signatures(user.username, vid)]
            people = self._people({s.signer for s in signatures})
            form = forms.responsabili(revision, signatures, people, now)
        else:
            report = AcknowledgementReport.model_validate(self._acknowledgements(vid))
            office = {u["username"] for u in self.documents.staff(None, ["qms_admin"])}
            form = forms.difuzare(revision, report, office, now)
        name = (f"{kind}-{revision.document.code}-E{revision.edition}R{revision.revision}")
        return _send(form, fmt, name)

    def _people(self, usernames: set[str]) -> dict[str, User]:
        """Signers as they are now; one who has left is named by username (the form
        keeps the function they signed with)."""
        people = {}
        for username in usernames:
            try:
                people[username] = User.model_validate(self.documents.get_user(username))
            except NotFound:
                continue
        return people

    def _acknowledgements(self, version_id: str) -> dict:
        try:
            return self.notifications.acknowledgement_report(version_id)
        except MethodNotFound:   # a notifications service older than acknowledgements
            raise ServiceUnavailable(
                "the notifications service does not report acknowledgements yet "
                "(acknowledgement_report), so the distribution list cannot be made",
                {"service": "notifications", "method": "acknowledgement_report"}) from None

    @http("GET", "/api/documents/<document_id>/forms/editii")
    def editions_form(self, request, document_id):
        """"Situația edițiilor și a reviziilor" of a document."""
        user = self._user_or_session(request)
        fmt = _format(request)
        did = _forms_uuid(document_id, "document")
        document = Document.model_validate(self.documents.get(user.username, did))
        revisions = [Revision.model_validate(r)
                     for r in self.documents.list_revisions(user.username, did)]
        form = forms.editii(document, revisions, datetime.now(timezone.utc))
        return _send(form, fmt, f"editii-{document.code}")

    @http("GET", "/api/register")
    def procedure_register(self, request):
        """The register of procedures (quality office): docx, pdf or csv."""
        user = self._user_or_session(request)
        fmt = _format(request, ("docx", "pdf", "csv"))
        entries = [RegisterEntry.model_validate(e)
                   for e in self.documents.procedure_register(user.username)]
        form = forms.register(entries, datetime.now(timezone.utc))
        return _send(form, fmt, "registrul-procedurilor")


def _forms_uuid(value: str, what: str) -> str:
    try:
        return str(UUID(value))
    except ValueError:
        raise NotFound(f"no {what} {value}", {what + "_id": value}) from None
