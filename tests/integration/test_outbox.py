"""The outbox relay against real PostgreSQL and RabbitMQ."""
import socket
import uuid
from datetime import datetime, timezone

import psycopg2
import pytest
from kombu import Connection, Exchange, Queue

from services.common.db import Database
from services.common.migrations import migrate
from services.common.outbox import backlog, publish_pending, record
from services.contracts import events
from services.contracts.errors import InvalidInput


def test_events_written_in_a_transaction_are_published_once_with_confirms(environment):
    migrate(environment.database_url, "documents", "services.documents.migrations")
    db = Database(environment.database_url, "documents", maxconn=2)
    exchange = Exchange("documents.events", type="topic", durable=True)
    queue = Queue(f"test-outbox-{uuid.uuid4().hex[:6]}", exchange=exchange,
                  routing_key="document_registered", auto_delete=True)
    event = events.DocumentRegisteredEvent(subject=uuid.uuid4(), data=events.DocumentRegistered(
        document_id=uuid.uuid4(), code="PO-X-01", title="Titlu", type="PO",
        owner_department="DJ", distribution=["DJ"], confidential=False,
        registered_by="ana.popescu"))
    rolled_back = events.DocumentRegisteredEvent(subject=uuid.uuid4(), data=event.data)
    with db.transaction() as cur:
        record(cur, event)
    try:
        with db.transaction() as cur:
            record(cur, rolled_back)
            raise RuntimeError("the state change failed")
    except RuntimeError:
        pass

    received = []
    with Connection(environment.amqp_uri,
                    transport_options={"confirm_publish": True}) as conn:
        queue(conn.default_channel).declare()
        # other tests of this run may have left events of their own in this outbox
        with db.transaction() as cur:
            cur.execute("SELECT count(*) AS n FROM outbox WHERE published_at IS NULL")
            pending = cur.fetchone()["n"]
        assert publish_pending(db, conn) == pending
        assert publish_pending(db, conn) == 0   # nothing published twice
        with conn.Consumer(queue, callbacks=[lambda b, m: (received.append(b), m.ack())],
                           accept=["json"]):
            try:
                for _ in range(5):
                    conn.drain_events(timeout=1)
            except socket.timeout:
                pass
    assert [r["id"] for r in received] == [str(event.id)]
    assert events.parse(received[0]) == event
    conn = psycopg2.connect(environment.database_url)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT published_at IS NOT NULL FROM documents.outbox WHERE id = %s",
                    (event.id,))
        assert cur.fetchone() == (True,)
        cur.execute("SELECT count(*) FROM documents.outbox WHERE id = %s", (rolled_back.id,))
        assert cur.fetchone() == (0,)
    conn.close()
    db.close()


def test_migrations_are_idempotent(environment):
    first = migrate(environment.database_url, "notifications", "services.notifications.migrations")
    again = migrate(environment.database_url, "notifications",
                    "services.notifications.migrations")
    assert again == [] and (first == [] or "001_feed.sql" in first)


def test_the_backlog_counts_only_events_not_relayed_for_longer_than_asked(environment):
    """What `procedura doctor` is told of an outbox (services/common/outbox.py backlog)."""
    migrate(environment.database_url, "versioning", "services.versioning.migrations")
    db = Database(environment.database_url, "versioning", maxconn=2)
    stuck = [events.DocumentRegisteredEvent(subject=uuid.uuid4(), data=events.DocumentRegistered(
        document_id=uuid.uuid4(), code=f"PO-OB-0{n}", title="Titlu", type="PO",
        owner_department="DJ", distribution=["DJ"], confidential=False,
        registered_by="ana.popescu")) for n in (1, 2)]
    with db.transaction() as cur:
        for event, years in zip(stuck, (20, 30)):
            record(cur, event)
            # recorded long ago: no other event of this run's outbox is that old
            cur.execute("UPDATE outbox SET created_at = now() - make_interval(years => %s) "
                        "WHERE id = %s", (years, event.id))
    fifteen_years = 15 * 365 * 86400
    try:
        found = backlog(db, fifteen_years)
        assert found["count"] == 2
        oldest = datetime.fromisoformat(found["oldest"])
        assert 29 < (datetime.now(timezone.utc) - oldest).days / 365.25 < 31
        assert backlog(db, 25 * 365 * 86400)["count"] == 1
        with db.transaction() as cur:
            cur.execute("UPDATE outbox SET published_at = now() WHERE id = ANY(%s)",
                        ([e.id for e in stuck],))
        assert backlog(db, fifteen_years) == {"count": 0, "oldest": None}
        with pytest.raises(InvalidInput):
            backlog(db, -1)
        with pytest.raises(InvalidInput):
            backlog(db, "an hour")
    finally:
        with db.transaction() as cur:
            cur.execute("DELETE FROM outbox WHERE id = ANY(%s)", ([e.id for e in stuck],))
        db.close()
