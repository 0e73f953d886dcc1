"""examples/subscriber.py, run as another system of the city hall would run it, against
the real RabbitMQ and a real event of Procedura's documents service."""
from __future__ import annotations

import json
import subprocess
import sys
import uuid

import psycopg2
from kombu import Connection, Exchange

from procedura_cli.demo import organisation
from services.common.broker_users import SUBSCRIBER
from services.documents.service import DocumentsService
from tests.integration.running import running, service_config
from tests.testenv import ROOT, eventually


def _pending(environment) -> int:
    conn = psycopg2.connect(environment.database_url)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM documents.outbox WHERE published_at IS NULL")
        [count] = cur.fetchone()
    conn.close()
    return count


def test_the_subscriber_example_receives_a_real_event_and_sets_garbage_aside(environment, db):
    from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy

    config = service_config(environment)
    queue = f"subscriber.registratura-{uuid.uuid4().hex[:6]}"
    code = f"PO-DJ-{uuid.uuid4().int % 10**8:08d}"
    subscriber = None
    try:
        with running(config, DocumentsService):
            # events other tests left in the outbox go out first: the subscriber's queue
            # is bound after them, so the one event it gets is this test's
            eventually(lambda: _pending(environment) == 0)
            with Connection(environment.amqp_uri) as conn:   # as the services declare it
                Exchange("documents.events", type="topic", durable=True)(conn).declare()
            # as another system runs it: the read-only subscriber user
            subscriber = subprocess.Popen(
                [sys.executable, str(ROOT / "examples" / "subscriber.py"), "--url",
                 environment.amqp_uri_of(SUBSCRIBER), "--queue", queue,
                 "--bind", "documents.events:document_registered", "--count", "1"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            assert "listening on" in subscriber.stderr.readline()   # its queue is bound now
            with Connection(environment.amqp_uri) as conn:   # a careless publisher
                conn.Producer().publish(b"<xml>not an event</xml>", exchange="",
                                        routing_key=queue, content_type="text/xml",
                                        content_encoding="utf-8")
            with ClusterRpcProxy(config, timeout=30) as rpc:
                rpc.documents.load_organisation(organisation())
                document = rpc.documents.register("ana.popescu", {
                    "code": code, "title": "Registratura generală", "type": "PO",
                    "owner_department": "DJ", "distribution": ["DJ"]})
            out, err = subscriber.communicate(timeout=30)
    finally:
        if subscriber is not None and subscriber.poll() is None:
            subscriber.kill()
    assert subscriber.returncode == 0, err
    assert "set aside" in err
    [line] = out.splitlines()
    event = json.loads(line)
    assert event["type"] == "document_registered" and event["code"] == code
    assert event["subject"] == document["id"] and event["schema_version"] == 1
    conn = psycopg2.connect(environment.database_url)
    with conn, conn.cursor() as cur:   # the very event the documents service recorded
        cur.execute("SELECT type FROM documents.outbox WHERE id = %s", (event["id"],))
        assert cur.fetchone() == ("document_registered",)
    conn.close()
