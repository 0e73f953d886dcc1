"""The extraction worker: its own nameko service, so it scales apart from the API."""
from __future__ import annotations

from services.common.callers import GATEWAY
from services.common.identity import rpc
from services.common.messaging import event_handler

from services.common.db import DatabaseProvider
from services.common.outbox import OutboxRelay
from services.common.readiness import StoredService
from services.contracts import events
from services.versioning import use_cases
from services.versioning.bootstrap import ObjectStoreProvider, TikaProvider


class ExtractionWorker(StoredService):
    name = "extraction"

    db = DatabaseProvider("versioning", "services.versioning.migrations")
    outbox = OutboxRelay("versioning")
    store = ObjectStoreProvider()
    tika = TikaProvider()

    @rpc(callers=GATEWAY)
    def health(self) -> dict:
        """Readiness: broker, database, object storage and Tika."""
        return {**super().health(), "tika": self.tika.ping()}

    # requeue only when Tika itself is away; a bad file ends as `failed`, not a loop
    @event_handler("versioning", "version_stored")
    def extract_text(self, payload: dict) -> str:
        return use_cases.extract_text(self.db, self.store, self.tika, events.parse(payload),
                                      max_drops=self.settings.extraction.max_attempts)
