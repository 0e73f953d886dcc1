"""The viewer's own page (a mixin of GatewayService): a generated form read in the browser.

A version's rendition is shown on the document page itself (templates/viewer.html); the
PDF and its page images come from the REST API (`/api/versions/{id}/rendition`,
`/api/versions/{id}/pages/{n}`), the forms' PDFs from their routes (forms_routes.py), each
with its own permission check. This page only names which form to open: a path that is not
one of the forms is 404, never fetched.
"""
from __future__ import annotations

import re

from services.contracts.errors import NotFound
from services.gateway.entrypoints import http
from services.gateway.ui_routes import Page, page

UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
VERSION_FORM = re.compile(rf"/api/versions/({UUID_RE})/forms/(responsabili|difuzare)")
DOCUMENT_FORM = re.compile(rf"/api/documents/({UUID_RE})/forms/(editii)")


class ViewerRoutes:
    @http("GET", "/view")
    @page
    def view_form(self, current: Page):
        """`?form=/api/.../forms/<kind>`: that form's PDF in the viewer."""
        user = current.user
        path = current.request.args.get("form", "")
        if match := VERSION_FORM.fullmatch(path):
            # who may not read the document gets 404 here, as from the form itself
            document = self.documents.get_revision(user.username, match[1])["document"]
        elif match := DOCUMENT_FORM.fullmatch(path):
            document = self.documents.get(user.username, match[1])
        else:
            raise NotFound("no such form to read", {"field": "form"})
        return current.render("view_form.html", document=document, kind=match[2], path=path)
