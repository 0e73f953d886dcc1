"""The versioning service: immutable versions in object storage and their manifests."""
from __future__ import annotations

from uuid import UUID


from services.common.callers import DOCUMENTS, GATEWAY, OPERATORS
from services.common.identity import rpc
from services.common.db import DatabaseProvider
from services.common.messaging import event_handler
from services.common.outbox import OutboxRelay, backlog
from services.common.readiness import StoredService
from services.contracts import events
from services.contracts.errors import EXPECTED, validate
from services.contracts.models import StoreVersion
from services.versioning import use_cases
from services.versioning.adapters.repository import Repository, manifest
from services.versioning.bootstrap import ObjectStoreProvider


# its readiness leaves Tika out: storing a version never waits for it (the extraction
# worker does)
class VersioningService(StoredService):
    name = "versioning"

    db = DatabaseProvider("versioning", "services.versioning.migrations")
    outbox = OutboxRelay("versioning")
    store = ObjectStoreProvider()

    @rpc(expected_exceptions=EXPECTED, callers=DOCUMENTS)
    def store_version(self, request: dict) -> dict:
        """Turn a staged upload into an immutable version (idempotent per version id)."""
        upload = validate(StoreVersion, request)
        return use_cases.store_version(self.db, self.store, self.settings,
                                       upload).model_dump(mode="json")

    @rpc(callers=OPERATORS)
    def verify_integrity(self) -> dict:
        """Every stored original hashed again against its manifest: missing and
        mismatching objects are listed."""
        return use_cases.verify_integrity(self.db, self.store)

    @rpc(expected_exceptions=EXPECTED, callers=DOCUMENTS)
    def stage_copy(self, version_id: str) -> dict:
        """A copy of a stored original in the staging area, to be stored again as a new
        version (restoring a superseded revision)."""
        return use_cases.stage_copy(self.db, self.store, UUID(version_id)).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED, callers=GATEWAY)
    def get(self, version_id: str) -> dict:
        with self.db.transaction() as cur:
            return manifest(Repository(cur).get(UUID(version_id))).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED, callers=("gateway", "search"))
    def history(self, document_id: str) -> list[dict]:
        with self.db.transaction() as cur:
            return [m.model_dump(mode="json")
                    for m in Repository(cur).history(UUID(document_id))]

    @rpc(expected_exceptions=EXPECTED, callers=GATEWAY)
    def content_location(self, version_id: str) -> str:
        """A short-lived URL of the original's bytes."""
        return use_cases.content_location(self.db, self.store, UUID(version_id), "original")

    @rpc(expected_exceptions=EXPECTED, callers=("gateway", "search"))
    def text_location(self, version_id: str) -> str:
        """A short-lived URL of the text rendition."""
        return use_cases.content_location(self.db, self.store, UUID(version_id), "text")

    @rpc(expected_exceptions=EXPECTED, callers=GATEWAY)
    def diff(self, version_id: str, against: str) -> dict:
        """Word-level differences between two versions of one document: hunks for a
        side-by-side view and unified text."""
        return use_cases.diff(self.db, self.store, UUID(version_id), UUID(against))

    @rpc(expected_exceptions=EXPECTED, callers=DOCUMENTS)
    def dispose(self, version_ids: list[str]) -> int:
        """Delete the content of these versions after their retention period (the
        documents service decides); returns how many objects were deleted."""
        return use_cases.dispose(self.db, self.store, [UUID(v) for v in version_ids])

    @rpc(expected_exceptions=EXPECTED, callers=GATEWAY)
    def integrity_alarm(self, version_id: str, found: str, size: int,
                        detected_by: str) -> None:
        """A reader got bytes that did not hash to the manifest's sha256."""
        use_cases.integrity_alarm(self.db, UUID(version_id), found, size, detected_by)

    @event_handler("documents", "version_approved")
    def on_approved(self, payload: dict) -> None:
        """An approved original is put under legal hold (idempotent)."""
        use_cases.protect(self.db, self.store, events.parse(payload).data.version_id)

    @rpc(callers=OPERATORS)
    def orphan_objects(self, older_than: float = 3600, limit: int = 1000) -> list[dict]:
        """For `procedura doctor`: objects in the buckets that no version names (a
        staged upload never stored, an original or text without its manifest), older
        than `older_than` seconds."""
        return use_cases.orphan_objects(self.db, self.store, older_than, limit)

    @rpc(expected_exceptions=EXPECTED, callers=OPERATORS)
    def outbox_backlog(self, older_than: float) -> dict:
        """For `procedura doctor`: the events of the versioning schema's outbox (this
        service's, the extraction and rendition workers') still not relayed to the broker
        `older_than` seconds after they were recorded: how many, and since when."""
        return backlog(self.db, older_than)

    @rpc(callers=OPERATORS)
    def extraction_problems(self, pending_older_than: float = 600, limit: int = 100) -> dict:
        """For `procedura doctor`: versions still without text after `pending_older_than`
        seconds, failed extractions, and the count of versions per extraction status."""
        return use_cases.extraction_problems(self.db, pending_older_than, limit)
