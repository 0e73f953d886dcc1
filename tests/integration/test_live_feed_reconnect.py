"""The live feed across a cut of the gateway's connection to RabbitMQ (issue 19: the
cluster fault run's stream missed 2 of 290 items made while a RabbitMQ node was away).

The gateway hears `notification_created` on a broadcast queue of its own that lives as
long as its connection: a node's death or a network cut takes the queue with it, and
the items made until the gateway consumes again would never reach its open streams,
which themselves stay open. The real gateway, documents and notifications services run
in this process on the dev stack's RabbitMQ and PostgreSQL; the gateway reaches RabbitMQ
through a relay the test cuts (its connections closed, new ones refused, as a dead node
does), the other services directly. A browser's stream stays open throughout."""
from __future__ import annotations

import json
import time
from urllib.parse import quote

import eventlet
import psycopg2
import requests

from procedura_cli.client import Client
from procedura_cli.demo import organisation
from services.common.outbox import record
from services.documents.service import DocumentsService
from services.gateway.service import GatewayService
from services.notifications.service import NotificationsService
from tests.integration.relay import Relay
from tests.integration.running import running, service_config, version_approved
from tests.testenv import AMQP_PORT, eventually, rabbit_auth

READER = "radu.munteanu"          # DJ: every approval below reaches his feed


class Stream:
    """A browser's EventSource on `GET /api/feed/stream`, read in the background."""

    def __init__(self, client: Client):
        self.response = client.session.get(client.base_url + "/api/feed/stream",
                                           headers={"Accept": "text/event-stream"},
                                           stream=True, timeout=(5, 60))
        assert self.response.status_code == 200, self.response.text
        self.ids: list[int] = []
        self.reader = eventlet.spawn(self._read)

    def _read(self) -> None:
        try:
            for line in self.response.iter_lines(decode_unicode=True):
                if line.startswith("data: "):
                    self.ids.append(json.loads(line[6:])["id"])
        except Exception:   # closed by the test
            pass

    def close(self) -> None:
        self.reader.kill()
        self.response.close()


def gateway_queues(environment) -> list[str]:
    """The gateway's broadcast queues for the live feed on this run's vhost."""
    answer = requests.get(f"{environment.management}/queues/{quote(environment.vhost, safe='')}",
                          auth=rabbit_auth(), timeout=10)
    answer.raise_for_status()
    return [q["name"] for q in answer.json()
            if q["name"].startswith("evt-notifications-notification_created--gateway")]


def approve(db, made: list) -> None:
    """The register approves a revision distributed to DJ (documents' outbox)."""
    event = version_approved(distribution=("DJ",))
    with db.transaction() as cur:
        record(cur, event)
    made.append(str(event.data.version_id))


def items_of(environment, version_ids: list[str]) -> dict[int, str]:
    """Radu's feed items (their versions by id) for these approvals, once they are
    committed and their notification_created has left the notifications service's
    outbox."""
    conn = psycopg2.connect(environment.database_url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("""SELECT i.id, i.version_id::text FROM notifications.feed_items i
                           WHERE i.username = %s AND i.version_id::text = ANY(%s)
                             AND EXISTS (SELECT 1 FROM notifications.outbox o
                                         WHERE o.type = 'notification_created'
                                           AND (o.payload->'data'->>'item_id')::bigint = i.id
                                           AND o.published_at IS NOT NULL)""",
                        (READER, version_ids))
            return dict(cur.fetchall())
    finally:
        conn.close()


def test_a_stream_gets_the_items_made_while_its_gateway_was_cut_from_rabbitmq(
        environment, db):
    org = organisation()
    password = next(u["password"] for u in org["users"] if u["username"] == READER)
    direct = service_config(environment)
    relay = Relay(AMQP_PORT)
    through_relay = service_config(environment, amqp_uri=direct["AMQP_URI"].replace(
        f":{AMQP_PORT}/", f":{relay.port}/"))
    assert through_relay["AMQP_URI"] != direct["AMQP_URI"]
    try:
        with running(direct, DocumentsService, NotificationsService):
            from services.common.identity import IdentifiedClusterRpcProxy

            with IdentifiedClusterRpcProxy(direct, timeout=30) as rpc:
                rpc.documents.load_organisation(org)
            with running(through_relay, GatewayService):
                stream = Stream(Client.login(environment.gateway, READER, password))
                before, during, after = [], [], []
                try:
                    approve(db, before)
                    first = eventually(lambda: items_of(environment, before), timeout=30)
                    eventually(lambda: set(first) <= set(stream.ids), timeout=30)
                    assert len(gateway_queues(environment)) == 1

                    relay.cut()
                    # the broker drops the gateway's queue with its connection
                    eventually(lambda: gateway_queues(environment) == [], timeout=30)
                    for _ in range(3):
                        approve(db, during)
                    # made, committed and relayed while the gateway had no queue
                    eventually(lambda: set(items_of(environment, during).values()) == set(during),
                               timeout=30)
                    relay.open()
                    cut_at = time.monotonic()
                    eventually(lambda: len(gateway_queues(environment)) == 1, timeout=60)
                    approve(db, after)
                    expected = set(items_of(environment, before + during)) | set(
                        eventually(lambda: items_of(environment, after), timeout=30))
                    try:
                        eventually(lambda: expected <= set(stream.ids), timeout=30)
                    except AssertionError:
                        raise AssertionError(
                            f"the stream never brought {sorted(expected - set(stream.ids))} "
                            f"(made while its gateway was cut: "
                            f"{sorted(items_of(environment, during))}); it brought "
                            f"{stream.ids}") from None
                    print(f"stream got {len(stream.ids)} items, "
                          f"{time.monotonic() - cut_at:.1f} s after the relay opened again")
                    eventlet.sleep(1)     # a copy would show up now
                    assert sorted(stream.ids) == sorted(set(stream.ids)), "an item twice"
                finally:
                    stream.close()
                    relay.open()    # the gateway stops cleanly only with its broker
    finally:
        relay.close()
