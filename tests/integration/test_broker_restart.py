"""Stop and restart RabbitMQ while events flow: nothing lost, nothing duplicated in
any feed. The broker is a PRIVATE node of this test (own ports, node name and data
directory); PostgreSQL is the shared one, in this run's database."""
from __future__ import annotations

import socket
import tempfile
import time
from pathlib import Path

import eventlet
import psycopg2
import pytest
from kombu import Connection, Exchange, Queue

from procedura_cli.demo import organisation
from services.common.db import Database
from services.common.messaging import list_dead_letters
from services.common.outbox import record
from services.documents.service import DocumentsService
from services.notifications.service import NotificationsService
from tests.integration.private_rabbitmq import PrivateRabbitMQ
from tests.integration.running import running, service_config, version_approved
from tests.testenv import eventually

AFTER_RESTART = 10   # approvals recorded once the broker is back


@pytest.fixture
def rabbitmq():
    node = PrivateRabbitMQ(Path(tempfile.mkdtemp(prefix="procedura-test-rabbitmq-")))
    node.start()
    yield node
    node.remove()


def feed_counts(environment, version_ids) -> dict[tuple[str, str], int]:
    conn = psycopg2.connect(environment.database_url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("""SELECT username, version_id::text, count(*) FROM notifications.feed_items
                           WHERE version_id::text = ANY(%s) GROUP BY 1, 2""",
                        ([str(v) for v in version_ids],))
            return {(u, v): n for u, v, n in cur.fetchall()}
    finally:
        conn.close()


def test_a_broker_restart_while_events_flow_loses_and_duplicates_nothing(
        environment, db, rabbitmq):
    started = time.monotonic()
    config = service_config(environment, amqp_uri=rabbitmq.amqp_uri, max_attempts=8,
                            retry_delay=0.5)
    org = organisation()
    readers = sorted(u["username"] for u in org["users"] if u["department"] == "DJ")
    exchange = Exchange("documents.events", type="topic", durable=True)
    # a subscriber of the city hall, with its own durable queue
    outside = Queue("registratura.procedura-approvals", exchange=exchange,
                    routing_key="version_approved", durable=True)
    with Connection(rabbitmq.amqp_uri) as conn:
        outside(conn.default_channel).declare()
    published = []
    with running(config, DocumentsService, NotificationsService):
        from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy

        with ClusterRpcProxy(config, timeout=30) as rpc:
            rpc.documents.load_organisation(org)
        database = Database(environment.database_url, "documents", maxconn=2)

        phase = {"down": False, "up_again": False}
        while_down = []

        def approvals():   # the register approves a revision every 100 ms, throughout
            after_restart = 0
            while after_restart < AFTER_RESTART:
                event = version_approved()
                with database.transaction() as cur:
                    record(cur, event)
                published.append(event)
                if phase["down"]:
                    while_down.append(event)
                if phase["up_again"]:
                    after_restart += 1
                eventlet.sleep(0.1)

        writer = eventlet.spawn(approvals)
        eventlet.sleep(1.0)
        rabbitmq.stop()          # mid-flow: relay, consumers and RPC lose the broker
        phase["down"] = True
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", rabbitmq.amqp_port), timeout=1).close()
        eventlet.sleep(1.5)
        rabbitmq.start()
        phase["down"], phase["up_again"] = False, True
        writer.wait()
        assert while_down, "no approval was recorded while the broker was down"
        version_ids = [e.data.version_id for e in published]
        expected = {(u, str(v)) for u in readers for v in version_ids}

        def all_arrived():
            counts = feed_counts(environment, version_ids)
            return counts if set(counts) >= expected else None

        counts = eventually(all_arrived, timeout=60, interval=1)
        eventlet.sleep(3)   # late redeliveries would show up now
        counts = feed_counts(environment, version_ids)
        assert set(counts) == expected
        assert {n for n in counts.values()} == {1}, "a feed item was duplicated"
        with Connection(rabbitmq.amqp_uri) as conn:
            assert list_dead_letters(conn) == []
        database.close()
    # every approval reached the outside subscriber too (at least once)
    received = set()
    with Connection(rabbitmq.amqp_uri) as conn:
        with conn.Consumer(outside, callbacks=[lambda b, m: (received.add(b["id"]), m.ack())],
                           accept=["json"]):
            try:
                while True:
                    conn.drain_events(timeout=2)
            except socket.timeout:
                pass
    assert {str(e.id) for e in published} <= received
    conn = psycopg2.connect(environment.database_url)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM documents.outbox WHERE id::text = ANY(%s) "
                    "AND published_at IS NULL", ([str(e.id) for e in published],))
        assert cur.fetchone() == (0,)
        # and the live feed's events (notification_created) all left notifications' outbox
        cur.execute("SELECT count(*), count(published_at) FROM notifications.outbox "
                    "WHERE type = 'notification_created' "
                    "AND payload->'data'->>'version_id' = ANY(%s)",
                    ([str(e.data.version_id) for e in published],))
        total, sent = cur.fetchone()
        assert total == len(expected) and sent == total
    conn.close()
    print(f"{len(published)} approvals, {len(while_down)} recorded while the broker was down, "
          f"{len(expected)} feed items, {time.monotonic() - started:.0f} s")
    assert time.monotonic() - started < 150
