"""RPCs of the directory: the sync (`procedura directory sync`, the administration page,
the timer) and what the administration page shows. A mixin of DocumentsService, which
provides `self.db` and `self.directory` (None with the local backend)."""
from __future__ import annotations

import json
import logging

from nameko.timer import timer

from services.common.callers import GATEWAY
from services.common.identity import rpc
from services.contracts.errors import EXPECTED, Conflict, Forbidden, ServiceUnavailable
from services.contracts.models import Role
from services.documents.use_cases import directory_sync
from services.documents.adapters.directory import DirectoryUnavailable
from services.documents.adapters.directory_repository import DirectoryRepository
from services.documents.adapters.repository import Repository

log = logging.getLogger(__name__)
RETRY_SECONDS = 60   # a failed periodic sync is tried again this soon


class DirectoryAdministration:
    @rpc(expected_exceptions=EXPECTED, callers=GATEWAY)
    def sync_directory(self, actor: str | None = None, dry_run: bool = False,
                       force: bool = False) -> dict:
        """Bring the staff in line with the directory now: `{"id", "outcome"
        (done|refused|failed), "report" (added, changed, deactivated, errors), "error"}`.
        `actor` (the administration page) must be of the quality office; the operators'
        CLI names none. 503 when the directory cannot be reached (nothing changes)."""
        self._require_quality_office(actor)
        return _jsonable(directory_sync.sync(self.db, self._directory(), "web" if actor
                                             else "cli", actor, dry_run, force))

    @rpc(expected_exceptions=EXPECTED, callers=GATEWAY)
    def directory_status(self, actor: str | None = None) -> dict:
        """The backend, the directory's address and whether it answers now, the recent
        syncs with their reports (quality office)."""
        self._require_quality_office(actor)
        status = {"backend": "local" if self.directory is None else "ldap",
                  "address": None, "reachable": None, "error": None, "syncs": []}
        if self.directory is not None:
            status["address"] = self.directory.address
            try:
                self.directory.find("procedura-connection-check")
                status["reachable"] = True
            except DirectoryUnavailable as exc:
                status["reachable"], status["error"] = False, str(exc)
            with self.db.transaction() as cur:
                status["syncs"] = DirectoryRepository(cur).recent_syncs(10)
        return _jsonable(status)

    @timer(interval=RETRY_SECONDS)
    def sync_directory_when_due(self) -> None:
        """The periodic sync (auth.ldap.sync_interval_seconds after the last one that
        did its work; a failed one is tried again a minute later)."""
        if self.directory is None:
            return
        try:
            result = directory_sync.sync_if_due(self.db, self.directory, RETRY_SECONDS)
            if result:
                log.info("directory sync %s: %s", result["id"], result["outcome"])
        except (ServiceUnavailable, Conflict) as exc:
            log.warning("directory sync: %s", exc.message)

    def _directory(self):
        if self.directory is None:
            raise Conflict("Procedura's people come from the organisation file "
                           "(auth.backend: local); there is no directory to sync with",
                           {"backend": "local"})
        return self.directory

    def _require_quality_office(self, actor: str | None) -> None:
        if actor is None:
            return
        with self.db.transaction() as cur:
            if not Repository(cur).user(actor).has(Role.QMS_ADMIN):
                raise Forbidden("only the quality office may see and run the directory sync",
                                {"required_role": Role.QMS_ADMIN.value})


def _jsonable(value):
    return json.loads(json.dumps(value, default=str))
