"""The rendition worker: a nameko service of its own (`renditions`), so LibreOffice and
OCR scale, and are limited, apart from text extraction (docs/adr/0006-renditions-and-ocr.md).

It follows versioning's events: once a version's text is extracted (or its extraction
failed) it makes the version's PDF rendition, stores it in MinIO and records
`version_rendered` / `version_rendition_failed` in the versioning outbox, which it relays
like the extraction worker. The API's renditions and page images are read through it.
When a document's content is disposed of, it drops its versions' rendition copies
from the machine's page cache.
"""
from __future__ import annotations

from uuid import UUID

from nameko.events import BROADCAST

from services.common.callers import GATEWAY, OPERATORS
from services.common.db import DatabaseProvider
from services.common.messaging import event_handler
from services.common.identity import rpc
from services.common.outbox import OutboxRelay
from services.common.readiness import StoredService
from services.contracts import events
from services.contracts.errors import EXPECTED
from services.renditions.bootstrap import EngineProvider, ObjectStoreProvider, rendition_slots
from services.renditions.use_cases import operations, pages, rendering


class RenditionWorker(StoredService):
    name = "renditions"

    db = DatabaseProvider("versioning", "services.versioning.migrations")
    outbox = OutboxRelay("versioning")
    store = ObjectStoreProvider()
    engine = EngineProvider()

    # requeue only when MinIO or PostgreSQL is away (ServiceUnavailable); a file that
    # cannot be rendered ends `failed` with the reason, never a loop
    @event_handler("versioning", "version_text_extracted", prefetch=rendition_slots)
    def on_text_extracted(self, payload: dict) -> str:
        return rendering.render(self.db, self.store, self.engine, self.settings,
                                events.parse(payload).data.version_id)

    @event_handler("versioning", "version_extraction_failed", prefetch=rendition_slots)
    def on_extraction_failed(self, payload: dict) -> str:
        # no text is no reason for no rendition: a scan Tika could not read is OCR'd here
        return rendering.render(self.db, self.store, self.engine, self.settings,
                                events.parse(payload).data.version_id)

    # every worker process hears it (a queue of its own), as each machine has its own
    # page cache; copies a process missed while it was down (never read meanwhile: a
    # disposed version's pages answer 404 before the cache) go at the next disposal
    @event_handler("documents", "document_disposed", handler_type=BROADCAST,
                   reliable_delivery=False)
    def on_document_disposed(self, payload: dict) -> int:
        """A document's content was disposed of: its versions' rendition copies go from
        this machine's page cache, with those of disposals this process did not hear."""
        versions = events.parse(payload).data.versions
        settings = self.engine.settings
        return (pages.forget_disposed(settings, [v.version_id for v in versions])
                + pages.forget_disposed_before(self.db, settings))

    @rpc(expected_exceptions=EXPECTED, callers=GATEWAY)
    def rendition_location(self, version_id: str) -> str:
        """A short-lived URL of the version's PDF rendition."""
        return pages.rendition_location(self.db, self.store, UUID(version_id))

    @rpc(expected_exceptions=EXPECTED, callers=GATEWAY)
    def page_image(self, version_id: str, page: int, width: int, fmt: str) -> dict:
        """One page of the rendition as an image, drawn on first ask and cached."""
        return pages.page_image(self.db, self.store, self.engine.settings, UUID(version_id),
                                page, width, fmt)

    @rpc(expected_exceptions=EXPECTED, callers=OPERATORS)
    def rebuild(self, scope: str = "missing") -> dict:
        """Render every version without a rendition ("missing") or all of them again
        ("all"), in the background; answers the counts as they are now."""
        return operations.rebuild(self.db, self.store, self.engine, self.settings, scope)

    @rpc(callers=OPERATORS)
    def progress(self) -> dict:
        """Versions per rendition status (`procedura renditions rebuild` follows it)."""
        return operations.progress(self.db)

    @rpc(callers=OPERATORS)
    def rendition_problems(self, pending_older_than: float = 1800, limit: int = 100) -> dict:
        """For `procedura doctor`: versions still without a rendition after
        `pending_older_than` seconds, failed renditions, and counts per status."""
        return operations.problems(self.db, pending_older_than, limit)
