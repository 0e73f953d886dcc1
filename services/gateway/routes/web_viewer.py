"""What the viewer reads: a version's PDF rendition and its page images for the person of
the session, and a generated form read in the browser.

A version is shown on the document page itself (templates/viewer.html). Its PDF and page
images are answered exactly as the REST API answers them (routes/api_renditions.py: the
same permission path as /content, ETags, byte ranges), for the session's person instead
of a bearer token's. A form's PDF comes from its own route (which takes the session too);
/view only names which form to open: a path that is not one of the forms is 404, never
fetched.
"""
from __future__ import annotations

import re

from services.contracts.errors import NotFound
from services.gateway.routes.api_renditions import page_response, rendition_response
from services.gateway.routing import Router
from services.gateway.ui.session import Page, page

UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
VERSION_FORM = re.compile(rf"/api/versions/({UUID_RE})/forms/(responsabili|difuzare)")
DOCUMENT_FORM = re.compile(rf"/api/documents/({UUID_RE})/forms/(editii)")

router = Router(page_wrapper=page)


@router.page("GET", "/versions/<version_id>/rendition")
def view_rendition(deps, current: Page, version_id):
    """The version's PDF for the viewer (409 naming the status while pending)."""
    return rendition_response(deps, current.request, current.user, version_id)


@router.page("GET", "/versions/<version_id>/pages/<number>")
def view_page(deps, current: Page, version_id, number):
    """A page image of the version: the viewer's thumbnails."""
    return page_response(deps, current.request, current.user, version_id, number)


@router.page("GET", "/view")
def view_form(deps, current: Page):
    """`?form=/api/.../forms/<kind>`: that form's PDF in the viewer."""
    user = current.user
    path = current.request.args.get("form", "")
    if match := VERSION_FORM.fullmatch(path):
        # who may not read the document gets 404 here, as from the form itself
        document = deps.documents.get_revision(user.username, match[1])["document"]
    elif match := DOCUMENT_FORM.fullmatch(path):
        document = deps.documents.get(user.username, match[1])
    else:
        raise NotFound("no such form to read", {"field": "form"})
    return current.render("view_form.html", document=document, kind=match[2], form=path)
