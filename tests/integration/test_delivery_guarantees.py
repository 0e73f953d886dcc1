"""The guarantees behind every event, checked on running services: the outbox relay
publishes with publisher confirms, and Procedura's event queues are durable."""
from __future__ import annotations

from urllib.parse import quote

import requests

from services.common.db import Database
from services.common.outbox import OutboxRelay, record
from services.documents.service import DocumentsService
from services.notifications.service import NotificationsService
from tests.integration.running import running, service_config, version_approved
from tests.testenv import MANAGEMENT, eventually, rabbit_auth


def test_the_relay_confirms_and_every_event_queue_is_durable(environment, db):
    config = service_config(environment)
    with running(config, DocumentsService, NotificationsService) as runner:
        relay = next(d for d in runner.service_map["documents"].dependencies
                     if isinstance(d, OutboxRelay))
        assert relay.connection.transport_options == {"confirm_publish": True}
        database = Database(environment.database_url, "documents", maxconn=1)
        event = version_approved()
        with database.transaction() as cur:
            record(cur, event)
        relay.wake()

        def published():
            with database.transaction() as cur:
                cur.execute("SELECT published_at FROM outbox WHERE id = %s", (event.id,))
                return cur.fetchone()["published_at"]

        eventually(published, timeout=15)
        database.close()
        # the broker acked it: the channel the relay published on is in confirm mode
        assert relay.connection.default_channel._confirm_selected is True
        vhost = quote(environment.vhost, safe="")
        queues = requests.get(f"{MANAGEMENT}/queues/{vhost}", auth=rabbit_auth(),
                              timeout=10).json()
        events_queues = [q for q in queues if q["name"].startswith("evt-")]
        assert {q["name"] for q in events_queues} >= {
            "evt-documents-version_approved--notifications.on_version_approved",
            "evt-documents-review_due--notifications.on_revision_event"}
        assert all(q["durable"] and not q["auto_delete"] for q in events_queues), [
            q["name"] for q in events_queues if not q["durable"] or q["auto_delete"]]
