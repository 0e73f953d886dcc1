"""Dead letters against the real RabbitMQ and PostgreSQL: garbage sent to Procedura's
queues is dead-lettered at once while the service goes on consuming; a handler that
keeps failing is tried N times, dead-lettered, and replayed once its cause is fixed."""
from __future__ import annotations

import json
import os
import subprocess
import uuid

import psycopg2
from kombu import Connection, Exchange

from procedura_cli.demo import organisation
from services.common.db import Database
from services.common.messaging import event_handler, list_dead_letters
from services.common.inbox import first_delivery
from services.contracts import events
from services.documents.service import DocumentsService
from services.notifications.service import NotificationsService
from tests.integration.running import running, service_config, version_approved
from tests.testenv import ROOT, eventually

DOCUMENTS = Exchange("documents.events", type="topic", durable=True)
APPROVED_QUEUE = "evt-documents-version_approved--notifications.on_version_approved"


def letters_of(environment, queue: str) -> list:
    with Connection(environment.amqp_uri) as conn:
        return [letter for letter in list_dead_letters(conn) if letter.queue == queue]


def cli(environment, *args) -> subprocess.CompletedProcess:
    return subprocess.run([str(ROOT / ".venv/bin/procedura"), *args],
                          env={**os.environ, **environment.env}, capture_output=True,
                          text=True, timeout=60)


def counted(environment, query: str, *params) -> int:
    """The count a `SELECT count(*)` finds in the run's database."""
    conn = psycopg2.connect(environment.database_url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchone()[0]
    finally:
        conn.close()


def feed_count(environment, version_id) -> int:
    return counted(environment,
                   "SELECT count(*) FROM notifications.feed_items WHERE version_id = %s",
                   str(version_id))


def test_garbage_is_dead_lettered_at_once_and_the_service_goes_on(environment, db):
    config = service_config(environment, max_attempts=3, retry_delay=0.1)
    with running(config, DocumentsService, NotificationsService) as runner:
        from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy

        with ClusterRpcProxy(config, timeout=30) as rpc:
            rpc.documents.load_organisation(organisation())
        stray = events.DocumentRegisteredEvent(subject=uuid.uuid4(), data=events.DocumentRegistered(
            document_id=uuid.uuid4(), code="PO-X-01", title="T", type="PO",
            owner_department="DJ", distribution=["DJ"], confidential=False,
            registered_by="ana.popescu"))
        with Connection(environment.amqp_uri) as conn:
            producer = conn.Producer()
            # straight into notifications' queue, as a careless subscriber could
            for body, content_type in [
                    (b"\x00\xffnot json at all", "application/octet-stream"),
                    (b"{\"type\": \"version_approved\", ", "application/json"),
                    (json.dumps({"hello": "world"}).encode(), "application/json"),
                    (json.dumps([1, 2, 3]).encode(), "application/json")]:
                producer.publish(body, exchange="", routing_key=APPROVED_QUEUE,
                                 content_type=content_type, content_encoding="utf-8"
                                 if content_type == "application/json" else "binary")
            # a real event with the wrong routing key, and one with a broken field
            producer.publish(json.loads(stray.model_dump_json()), exchange=DOCUMENTS,
                             routing_key="version_approved", serializer="json",
                             declare=[DOCUMENTS])
            broken = json.loads(version_approved().model_dump_json())
            broken["data"]["status_seq"] = "four"
            producer.publish(broken, exchange=DOCUMENTS, routing_key="version_approved",
                             serializer="json")
        letters = eventually(lambda: (lambda ls: ls if len(ls) >= 6 else None)(
            letters_of(environment, APPROVED_QUEUE)), timeout=20)
        assert len(letters) == 6
        assert {letter.kind for letter in letters} == {"garbage"}
        assert all(letter.service == "notifications" and letter.attempts == 0
                   for letter in letters)
        reasons = " | ".join(letter.reason for letter in letters)
        assert "cannot be decoded" in reasons
        assert "unknown event type None" in reasons
        assert "not a JSON object but list" in reasons
        assert "arrived with routing key 'version_approved'" in reasons
        assert "data.status_seq" in reasons
        # the service is alive and consuming: a real approval reaches the feed
        event = version_approved()
        with Connection(environment.amqp_uri) as conn:
            conn.Producer().publish(json.loads(event.model_dump_json()), exchange=DOCUMENTS,
                                    routing_key="version_approved", serializer="json")
        assert eventually(lambda: feed_count(environment, event.data.version_id), timeout=20) > 0
        assert not runner.service_map["notifications"]._died.ready()
        # garbage is never replayed: it stays, and the command says why
        replay = cli(environment, "events", "dead-letters", "replay", letters[0].id)
        assert replay.returncode == 1 and "garbage is never replayed" in replay.stderr
    assert len(letters_of(environment, APPROVED_QUEUE)) == 6
    # the operator discards it for good
    drop = cli(environment, "events", "dead-letters", "drop", "--garbage")
    assert drop.returncode == 0, drop.stderr
    assert drop.stdout.count("dropped ") >= 6
    assert letters_of(environment, APPROVED_QUEUE) == []


# ---------------------------------------------------------------- a handler that fails

CAUSE = {"fixed": False}
CALLS: list[str] = []


class Registrar:
    """A consumer of `document_registered` whose cause of failure a test controls."""
    name = "registrar"

    @event_handler("documents", "document_registered")
    def on_registered(self, payload: dict) -> None:
        event = events.parse(payload)
        CALLS.append(str(event.id))
        if not CAUSE["fixed"]:
            raise RuntimeError("the registry of the city hall does not answer")
        database = Database(RUNNING["database_url"], "documents", maxconn=1)
        try:
            with database.transaction() as cur:
                if first_delivery(cur, event.id, "registrar.on_registered"):
                    cur.execute("CREATE TABLE IF NOT EXISTS registrar_applied "
                                "(event_id uuid, at timestamptz DEFAULT now())")
                    cur.execute("INSERT INTO registrar_applied (event_id) VALUES (%s)",
                                (event.id,))
        finally:
            database.close()


RUNNING: dict = {}


def applied(environment, event_id) -> int:
    return counted(environment,
                   "SELECT count(*) FROM documents.registrar_applied WHERE event_id = %s",
                   str(event_id))


def test_a_failing_handler_is_tried_n_times_then_dead_lettered_then_replayed_once(
        environment, db):
    RUNNING["database_url"] = environment.database_url
    CAUSE["fixed"], CALLS[:] = False, []
    queue = "evt-documents-document_registered--registrar.on_registered"
    event = events.DocumentRegisteredEvent(subject=uuid.uuid4(), data=events.DocumentRegistered(
        document_id=uuid.uuid4(), code="PO-RG-01", title="Registratura", type="PO",
        owner_department="DJ", distribution=["DJ"], confidential=False,
        registered_by="ana.popescu"))
    config = service_config(environment, max_attempts=3, retry_delay=0.1)
    with running(config, Registrar):
        with Connection(environment.amqp_uri) as conn:
            conn.Producer().publish(json.loads(event.model_dump_json()), exchange=DOCUMENTS,
                                    routing_key="document_registered", serializer="json",
                                    declare=[DOCUMENTS])
        [letter] = eventually(lambda: letters_of(environment, queue), timeout=20)
        assert CALLS == [str(event.id)] * 3          # N = 3 attempts, no more
        assert letter.kind == "failed" and letter.attempts == 3
        assert letter.event_id == str(event.id) and letter.event_type == "document_registered"
        assert "does not answer" in letter.reason

        listing = cli(environment, "events", "dead-letters", "list", "--json")
        assert listing.returncode == 0, listing.stderr
        listed = {item["id"]: item for item in json.loads(listing.stdout)}
        assert listed[letter.id]["event_id"] == str(event.id)
        # listing leaves them in place
        assert [x.id for x in letters_of(environment, queue)] == [letter.id]

        CAUSE["fixed"] = True                         # the registry answers again
        replay = cli(environment, "events", "dead-letters", "replay", letter.id)
        assert replay.returncode == 0, replay.stderr
        assert f"replayed {letter.id}" in replay.stdout
        eventually(lambda: applied(environment, event.id) == 1, timeout=20)
        assert letters_of(environment, queue) == []
        # a second copy of the same event (at-least-once) changes nothing
        with Connection(environment.amqp_uri) as conn:
            conn.Producer().publish(json.loads(event.model_dump_json()), exchange=DOCUMENTS,
                                    routing_key="document_registered", serializer="json")
        eventually(lambda: len(CALLS) == 5, timeout=20)
        assert applied(environment, event.id) == 1
        again = cli(environment, "events", "dead-letters", "replay", letter.id)
        assert again.returncode == 1 and f"no dead letter {letter.id}" in again.stderr

