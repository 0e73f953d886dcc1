"""The transactional outbox and its relay.

A service records an event in its own `outbox` table in the same transaction as
the state change it describes; the relay publishes pending rows to RabbitMQ with
publisher confirms and marks them published. A crash between the two publishes
the event again, never loses it: consumers dedupe by event id (see inbox.py).
"""
from __future__ import annotations

import json
import logging

import eventlet
from eventlet.event import Event
from kombu import Connection, Exchange, Producer
from nameko.extensions import DependencyProvider
from psycopg2.extras import Json

from services.common.db import Database, make_green
from services.common.settings import Settings
from services.contracts.errors import InvalidInput
from services.contracts.events import Envelope

log = logging.getLogger(__name__)
BATCH = 200


def events_exchange(source: str) -> Exchange:
    """The topic exchange a service publishes to, as nameko declares it."""
    return Exchange(f"{source}.events", type="topic", durable=True, delivery_mode=2)


def record(cur, event: Envelope) -> None:
    """Write `event` to the outbox inside the caller's transaction."""
    cur.execute(
        "INSERT INTO outbox (id, type, source, payload) VALUES (%s, %s, %s, %s)",
        (event.id, event.type, event.source, Json(json.loads(event.model_dump_json()))))


def publish_pending(database: Database, connection: Connection) -> int:
    """Publish one batch of pending events with confirms; returns how many."""
    with database.transaction() as cur:
        cur.execute("""SELECT id, type, source, payload FROM outbox
                       WHERE published_at IS NULL ORDER BY created_at
                       LIMIT %s FOR UPDATE SKIP LOCKED""", (BATCH,))
        rows = cur.fetchall()
        if not rows:
            return 0
        producer = Producer(connection)
        for row in rows:
            exchange = events_exchange(row["source"])
            # confirm_publish on the connection makes publish() wait for the broker's ack
            producer.publish(row["payload"], exchange=exchange, routing_key=row["type"],
                             declare=[exchange], serializer="json", delivery_mode=2,
                             message_id=str(row["id"]), type=row["type"],
                             retry=True, retry_policy={"max_retries": 3})
        cur.execute("UPDATE outbox SET published_at = clock_timestamp() WHERE id = ANY(%s)",
                    ([row["id"] for row in rows],))
    return len(rows)


def backlog(database: Database, older_than: float) -> dict:
    """For `procedura doctor`: the events of this schema's outbox still not relayed
    `older_than` seconds after they were recorded (a relay that stopped, a broker that
    refuses them). `oldest` is when the oldest of them was recorded."""
    if isinstance(older_than, bool) or not isinstance(older_than, (int, float)) \
            or older_than < 0:
        raise InvalidInput("older_than is a number of seconds, 0 or more",
                           {"older_than": repr(older_than)})
    with database.transaction() as cur:
        cur.execute("""SELECT count(*) AS count, min(created_at) AS oldest FROM outbox
                       WHERE published_at IS NULL
                         AND created_at < now() - make_interval(secs => %s)""",
                    (float(older_than),))
        row = cur.fetchone()
    return {"count": row["count"],
            "oldest": row["oldest"].isoformat() if row["oldest"] else None}


# how long stop() lets the relay finish the batch it is publishing
STOP_SECONDS = 10


class OutboxRelay(DependencyProvider):
    """Runs a relay green thread per service container.

    Workers get a `record(cur, event)` function; when a worker ends the relay is
    woken at once, and it also polls, so events written by a crashed process are
    published by the next one.
    """

    def __init__(self, schema: str):
        self.schema = schema
        self._wake = Event()
        self._running = False
        self._thread = None

    def setup(self):
        make_green()
        self.settings = Settings.from_config(self.container.config)
        self.database = Database(self.settings.secret("database_url"), self.schema, maxconn=2)
        self.connection = Connection(self.container.config["AMQP_URI"],
                                     transport_options={"confirm_publish": True})

    def start(self):
        self._running = True
        self._thread = self.container.spawn_managed_thread(self._run)

    def stop(self):
        """The relay's loop ends (its batch finished, STOP_SECONDS at most) before its
        database and connection close: nameko stops a container's dependencies before it
        kills their threads, and closing a psycopg2 connection while the relay's green
        thread waits on a query through it blocks the whole process for good (the
        connection's lock is held by the waiting query; seen: a test run stopped by its
        watchdog in OutboxRelay.stop)."""
        self._running = False
        self.wake()
        thread = self._thread
        if thread is not None:
            with eventlet.Timeout(STOP_SECONDS, False):
                try:
                    thread.wait()
                except Exception:   # noqa: BLE001 - its loop logs its own failures
                    log.exception("outbox relay of %s ended with an error", self.schema)
            thread.kill()       # still in a batch after that: ended where it waits
        self.connection.release()
        self.database.close()

    kill = stop

    def wake(self):
        if not self._wake.ready():
            self._wake.send(True)

    def worker_teardown(self, worker_ctx):
        self.wake()

    def get_dependency(self, worker_ctx):
        return record

    def _run(self):
        backoff = self.settings.outbox_poll_seconds
        while self._running:
            try:
                while self._running and publish_pending(self.database, self.connection) == BATCH:
                    pass
                backoff = self.settings.outbox_poll_seconds
            except Exception:  # broker or database away: keep the rows, try again later
                log.exception("outbox relay of %s failed; retrying", self.schema)
                backoff = min(backoff * 2, 10.0)
            if not self._running:   # stopped during the batch: its wake-up came before
                break
            self._wake = Event()
            with eventlet.Timeout(backoff, False):
                self._wake.wait()
