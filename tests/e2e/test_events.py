"""The event contract other services of the city hall build on, and the guarantees
behind it: durable queues, idempotent consumers."""
from __future__ import annotations

import json
import socket
from urllib.parse import quote

import jsonschema
import psycopg2
import requests
from kombu import Connection, Exchange, Queue

from procedura_cli.docgen import docx_bytes
from tests.e2e.test_walking_skeleton import BODY, DOCX, register, unique_code
from tests.testenv import ROOT, eventually, rabbit_auth


def approved_version(login, distribution=("DJ",)):
    author = login("ana.popescu")
    document = register(author, unique_code(), distribution=distribution)
    version = author.upload(document["id"], "p.docx", docx_bytes("p", BODY), "", DOCX)
    author.act(version["id"], "submit")
    login("stefan.ionescu").act(version["id"], "verify")
    login("mihai.tudose").act(version["id"], "endorse")
    login("daniel.balan").act(version["id"], "approve", "Aprob")
    return document, version


def test_a_plain_amqp_subscriber_receives_version_approved(login, environment):
    """How registratură, HR or the intranet subscribe: their own durable queue bound to
    `documents.events`, routing key = event type; no nameko involved."""
    exchange = Exchange("documents.events", type="topic", durable=True)
    queue = Queue("registratura.procedura-approvals", exchange=exchange,
                  routing_key="version_approved", durable=True)
    received = []
    with Connection(environment.amqp_uri) as conn:
        queue(conn.default_channel).declare()
        document, version = approved_version(login)
        with conn.Consumer(queue, callbacks=[lambda body, msg: (received.append(body),
                                                                 msg.ack())],
                           accept=["json"]):
            def got_it():
                try:
                    conn.drain_events(timeout=1)
                except socket.timeout:
                    pass
                return [b for b in received if b["data"]["version_id"] == version["id"]]
            events = eventually(got_it, timeout=20)
    event = events[0]
    assert event["type"] == "version_approved" and event["source"] == "documents"
    assert event["subject"] == document["id"]
    assert event["data"]["status"] == "approved" and event["data"]["actor"] == "daniel.balan"
    assert event["data"]["registry_number"]
    schema = json.loads((ROOT / "docs/events/version_approved.json").read_text())
    jsonschema.validate(event, schema)


def test_the_same_event_delivered_twice_makes_one_feed_item_and_one_index_entry(
        login, environment):
    document, version = approved_version(login)
    reader = login("radu.munteanu")

    def items():
        return [i for i in reader.get("/api/feed", limit=200)["items"]
                if i["version_id"] == version["id"] and i["kind"] == "version_approved"]

    eventually(items, timeout=15)
    # take the event as it was published, and publish it again
    exchange = Exchange("documents.events", type="topic", durable=True)
    db = psycopg2.connect(environment.database_url)
    with db, db.cursor() as cur:
        cur.execute("SELECT payload FROM documents.outbox WHERE type = 'version_approved' "
                    "AND payload->'data'->>'version_id' = %s", (version["id"],))
        payload = cur.fetchone()[0]
    db.close()
    with Connection(environment.amqp_uri) as conn:
        producer = conn.Producer(conn.default_channel)
        for _ in range(2):
            producer.publish(payload, exchange=exchange, routing_key="version_approved",
                             serializer="json", declare=[exchange])
    # the replays are consumed (the queue drains) and change nothing
    eventually(lambda: _queue_empty(environment, "evt-documents-version_approved--"
                                                 "notifications.on_version_approved"))
    assert len(items()) == 1
    def hits():
        return [h for h in login("ana.popescu").get("/api/search", q=document["code"],
                                                    all_versions="true")["hits"]
                if h["version_id"] == version["id"] and h["status"] == "in_force"]

    assert len(eventually(hits)) == 1


def _queue_info(environment, queue) -> dict:
    return requests.get(f"{environment.management}/queues/"
                        f"{quote(environment.vhost, safe='')}/{queue}",
                        auth=rabbit_auth(), timeout=5).json()


def _queue_empty(environment, queue):
    return _queue_info(environment, queue).get("messages", 1) == 0


def test_messages_wait_in_durable_queues_while_a_service_is_down(login, services,
                                                                 environment):
    queue = "evt-documents-version_approved--notifications.on_version_approved"
    services.stop("notifications")
    try:
        document, version = approved_version(login)
        # the event waits in the durable queue of the stopped service
        eventually(lambda: _queue_info(environment, queue).get("messages", 0) >= 1)
    finally:
        services.up()
    reader = login("radu.munteanu")
    eventually(lambda: [i for i in reader.get("/api/feed", limit=200)["items"]
                        if i["version_id"] == version["id"] and i["kind"] == "version_approved"], timeout=20)
