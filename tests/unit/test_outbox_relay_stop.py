"""The outbox relay's stop: its loop ends before its database closes (closing a psycopg2
connection while the relay's green thread waits on a query through it blocks the whole
process: a test run was stopped by its watchdog in OutboxRelay.stop)."""
from __future__ import annotations

from types import SimpleNamespace

import eventlet
from eventlet.event import Event

from services.common import outbox
from services.common.outbox import OutboxRelay


def test_the_relay_finishes_its_batch_before_its_database_closes(monkeypatch):
    happened: list[str] = []
    querying = Event()

    def publish_pending(database, connection):
        happened.append("query")
        if not querying.ready():
            querying.send()
        eventlet.sleep(0.2)                 # the database answers a moment later
        happened.append("answered")
        return 0

    monkeypatch.setattr(outbox, "publish_pending", publish_pending)
    relay = OutboxRelay("documents")
    relay.container = SimpleNamespace(spawn_managed_thread=eventlet.spawn)
    relay.settings = SimpleNamespace(outbox_poll_seconds=5)
    relay.database = SimpleNamespace(close=lambda: happened.append("database closed"))
    relay.connection = SimpleNamespace(release=lambda: happened.append("connection released"))
    relay.start()
    querying.wait()
    relay.stop()
    assert happened == ["query", "answered", "connection released", "database closed"]
