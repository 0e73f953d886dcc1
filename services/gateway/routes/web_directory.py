"""The directory on the administration page (issue 16): the quality office sees the
connection and the last syncs with their reports, and runs a sync (or a dry run) now.
The page itself is web_pages.admin_page."""
from __future__ import annotations

from services.contracts.errors import ServiceUnavailable
from services.gateway.routes.web_pages import office_only
from services.gateway.routing import Router
from services.gateway.ui import orgimport
from services.gateway.ui.session import Page, page

router = Router(page_wrapper=page)


def directory_status(documents, user) -> dict:
    """What the administration page shows of the directory (its backend: local or ldap)."""
    return documents.directory_status(user.username)


@router.page("POST", "/admin/directory/sync")
def sync_directory_now(deps, current: Page):
    """A sync now, or a dry run ("what would change"); its report on the page."""
    office_only(current.user)
    dry_run = current.request.form.get("dry_run") == "1"
    status, problem, result = 200, None, None
    try:
        result = deps.documents.sync_directory(current.user.username, dry_run, False)
    except ServiceUnavailable as exc:
        status, problem = 503, exc
    return current.render("admin.html", status, columns=orgimport.CSV_COLUMNS,
                          directory=directory_status(deps.documents, current.user),
                          synced=result, sync_problem=problem)
