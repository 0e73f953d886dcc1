"""The directory on the administration page (issue 16): the quality office sees the
connection and the last syncs with their reports, and runs a sync (or a dry run) now.
A mixin of GatewayService; the page itself is ui_routes.admin_page."""
from __future__ import annotations

from services.contracts.errors import ServiceUnavailable
from services.gateway.entrypoints import http
from services.gateway.ui import orgimport
from services.gateway.ui_routes import Page, _office_only, page


def directory_status(documents, user) -> dict:
    """What the administration page shows of the directory (its backend: local or ldap)."""
    return documents.directory_status(user.username)


class DirectoryRoutes:
    @http("POST", "/admin/directory/sync")
    @page
    def sync_directory_now(self, current: Page):
        """A sync now, or a dry run ("what would change"); its report on the page."""
        _office_only(current.user)
        dry_run = current.request.form.get("dry_run") == "1"
        status, problem, result = 200, None, None
        try:
            result = self.documents.sync_directory(current.user.username, dry_run, False)
        except ServiceUnavailable as exc:
            status, problem = 503, exc
        return current.render("admin.html", status, columns=orgimport.CSV_COLUMNS,
                              directory=directory_status(self.documents, current.user),
                              synced=result, sync_problem=problem)
