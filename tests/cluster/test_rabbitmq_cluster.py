"""Procedura's messaging on a real 3-node RabbitMQ cluster with quorum queues
(scripts/cluster/rabbitmq.sh, PROCEDURA_QUEUE_TYPE=quorum): a nameko service with an
RPC method and Procedura's event handler; RPC answers, events arrive once, every durable
queue is quorum with a member on each node; then the node leading the event queue is
killed with -9 while events are published with confirms: every confirmed event is
handled exactly once and RPC comes back, the times printed.

    scripts/cluster.sh up rabbitmq
    .venv/bin/python -m pytest -s -m cluster tests/cluster
"""
from __future__ import annotations

import json
import os
import signal
import time
import uuid
from collections import Counter
from contextlib import contextmanager

import eventlet
import pytest
from kombu import Connection, Exchange

from services.common import broker_users
from services.common.identity import IdentifiedClusterRpcProxy, rpc
from services.common.messaging import drop_dead_letters, event_handler, list_dead_letters
from services.common.settings import load_config
from services.contracts import events
from tests.cluster.conftest import NODES, RabbitCluster
from tests.integration.running import running
from tests.testenv import ROOT, eventually

pytestmark = pytest.mark.cluster

DOCUMENTS = Exchange("documents.events", type="topic", durable=True)
EVENTS_DURING_THE_FAULT = 300


def make_probe(name: str):
    """A service as Procedura's are: `rpc` and `event_handler` from services/common, and
    an idempotent consumer (the inbox of services/common/inbox.py keeps the first delivery
    of an event id; here a set in memory): a copy delivered again is counted, not acted on."""
    deliveries: Counter = Counter()
    acted: Counter = Counter()

    class Probe:
        @rpc
        def ping(self, n):
            return n

        @event_handler("documents", "document_registered")
        def on_registered(self, event):
            deliveries[event["id"]] += 1
            if event["id"] not in acted:
                acted[event["id"]] += 1

    Probe.name = name
    return Probe, deliveries, acted


def config_for(cluster: RabbitCluster, first: int) -> dict:
    """config/procedura.yaml as a process reads it: quorum queues, every node in its URI."""
    saved = {k: os.environ.get(k) for k in ("PROCEDURA_AMQP_URI", "PROCEDURA_QUEUE_TYPE")}
    os.environ.update(PROCEDURA_AMQP_URI=cluster.amqp_uri(first), PROCEDURA_QUEUE_TYPE="quorum")
    try:
        config = load_config(ROOT / "config" / "procedura.yaml")
    finally:
        for key, value in saved.items():
            os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)
    config["procedura"]["delivery"].update(retry_delay_seconds=0.2, max_attempts=3)
    return config


def registered() -> dict:
    event = events.DocumentRegisteredEvent(subject=uuid.uuid4(), data=events.DocumentRegistered(
        document_id=uuid.uuid4(), code=f"PO-CL-{uuid.uuid4().hex[:6]}", title="Cluster",
        type="PO", owner_department="DJ", distribution=["DJ"], confidential=False,
        registered_by="ana.popescu"))
    return json.loads(event.model_dump_json())


def publish(conn: Connection, event: dict) -> None:
    """One event as an outbox relay sends it: persistent, waiting for the confirm."""
    conn.Producer().publish(event, exchange=DOCUMENTS, routing_key=event["type"],
                            serializer="json", delivery_mode=2, declare=[DOCUMENTS],
                            retry=False)


def node_of(name: str) -> int:
    return int(name.split("@")[0].rsplit("-", 1)[1])   # rabbit-2@localhost -> 2


@contextmanager
def probe_running(cluster: RabbitCluster, first: int = 1):
    name = f"cluster_probe_{os.getpid()}_{uuid.uuid4().hex[:4]}"
    probe, deliveries, acted = make_probe(name)
    queues = (f"rpc-{name}", f"evt-documents-document_registered--{name}.on_registered")
    try:
        with running(config_for(cluster, first), probe):
            yield name, queues, deliveries, acted
    finally:
        for queue in queues:
            cluster.delete_queue(queue)


def test_rpc_and_events_work_on_quorum_queues_of_three_nodes(rabbit_cluster):
    cluster = rabbit_cluster
    # Procedura's broker users, with their permissions on the vhost (broker_users.py apply)
    assert {p["user"] for p in cluster.api("/vhosts/procedura/permissions")} == set(
        broker_users.users())
    with probe_running(cluster) as (name, queues, deliveries, acted):
        with IdentifiedClusterRpcProxy(config_for(cluster, 2), timeout=10) as proxy:
            assert getattr(proxy, name).ping(7) == 7
            replies = [q for q in cluster.api("/queues/procedura?columns=name,type,durable")
                       if q["name"].startswith("rpc.reply-procedura-admin-")]
            # nameko's reply queue: auto-delete, so classic, as RabbitMQ requires
            assert replies and all(q["type"] == "classic" for q in replies)
        sent = [registered() for _ in range(20)]
        with Connection(cluster.amqp_uri(3), transport_options={"confirm_publish": True}) as conn:
            for event in sent:
                publish(conn, event)
        eventually(lambda: len(acted) == len(sent), timeout=60)
        eventually(lambda: cluster.queue(queues[1]).get("messages") == 0, timeout=60)
        assert set(acted) == {e["id"] for e in sent}
        assert set(deliveries.values()) == {1}    # delivered once each, no failure

        for queue in queues:
            info = cluster.queue(queue)
            assert info["type"] == "quorum" and info["durable"]
            assert sorted(node_of(m) for m in info["members"]) == list(NODES)
        # the management API lists a queue's policy once the queue's statistics have
        # reached it (the first make cluster-test on a new machine read it too soon)
        eventually(lambda: cluster.queue(queues[1]).get("policy") == "procedura-events",
                   timeout=30)
        eventually(lambda: cluster.queue(queues[0]).get("policy") == "procedura-rpc",
                   timeout=30)

        # garbage is dead-lettered by the service into a quorum procedura.dead-letters
        with Connection(cluster.amqp_uri(2)) as conn:
            conn.Producer().publish(b"\x00 not an event", exchange="", routing_key=queues[1],
                                    content_type="application/octet-stream",
                                    content_encoding="binary")

            def letter():
                found = [lt for lt in list_dead_letters(conn, queue_type="quorum")
                         if lt.queue == queues[1]]
                return found[0] if found else None
            mine = eventually(letter, timeout=30)
            assert mine.kind == "garbage"
            assert cluster.queue("procedura.dead-letters")["type"] == "quorum"
            drop_dead_letters(conn, [mine.id], queue_type="quorum")


class Clock:
    """When things happened, in seconds since the test began."""

    def __init__(self):
        self.start = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self.start


def publisher(cluster, first, clock, confirmed, attempted, stop_after):
    """Publish events with confirms; a failure (the node gone) reconnects and sends the
    same event again (its id unchanged: the consumer absorbs a copy)."""
    conn = None
    for _ in range(stop_after):
        event = registered()
        attempted.add(event["id"])
        while True:
            try:
                if conn is None:
                    conn = Connection(cluster.amqp_uri(first),
                                      transport_options={"confirm_publish": True})
                    conn.ensure_connection(max_retries=3)
                publish(conn, event)
                confirmed.append((clock.now(), event["id"]))
                break
            except Exception:   # connection refused/reset, confirm lost: again
                if conn is not None:
                    conn.release()
                conn = None
                eventlet.sleep(0.2)
        eventlet.sleep(0.02)
    if conn is not None:
        conn.release()


def rpc_poller(cluster, first, name, clock, calls, stop):
    """Call ping every 100 ms (3 s timeout); a failed call opens a new proxy."""
    proxy_cm = proxy = None
    while not stop:
        started = clock.now()
        try:
            if proxy is None:
                proxy_cm = IdentifiedClusterRpcProxy(config_for(cluster, first), timeout=3)
                proxy = proxy_cm.start()
            getattr(proxy, name).ping(1)
            calls.append((started, clock.now(), True))
        except Exception:
            calls.append((started, clock.now(), False))
            try:
                proxy_cm.stop()
            except Exception:   # its connection died with the node
                pass
            proxy_cm = proxy = None
        eventlet.sleep(0.1)
    if proxy_cm is not None:
        proxy_cm.stop()


def consumer_nodes(cluster: RabbitCluster, queue: str) -> list[int]:
    """The nodes whose connections consume `queue` (the service's own connection)."""
    return [node_of(c["channel_details"]["node"]) for c in cluster.api("/consumers/procedura")
            if c["queue"]["name"] == queue]


def longest_gap(times: list[float], after: float) -> tuple[float, float]:
    """(the longest time without success around `after`, when success came back)."""
    before = max((t for t in times if t <= after), default=after)
    back = min((t for t in times if t > after), default=float("inf"))
    return back - before, back - after


def test_killing_the_leader_of_the_event_queue_loses_and_duplicates_nothing(rabbit_cluster):
    cluster = rabbit_cluster
    clock, confirmed, attempted, calls, stop = Clock(), [], set(), [], []
    with probe_running(cluster, first=1) as (name, queues, deliveries, acted):
        leader = node_of(cluster.queue(queues[1])["leader"])
        others = [n for n in NODES if n != leader]
        # the service consumes through the leader's node: its connection dies with it
        # (the management API's figures lag by up to its 5 s collection interval)
        assert eventually(lambda: consumer_nodes(cluster, queues[1]), timeout=30) == [leader]
        print(f"\nevent queue led by rabbit-{leader}; RPC queue led by "
              f"{cluster.queue(queues[0])['leader']}")
        pub = eventlet.spawn(publisher, cluster, others[0], clock, confirmed, attempted,
                             EVENTS_DURING_THE_FAULT)
        poll = eventlet.spawn(rpc_poller, cluster, others[1], name, clock, calls, stop)
        eventually(lambda: len(confirmed) >= EVENTS_DURING_THE_FAULT // 3, timeout=120)
        killed_at = clock.now()
        os.kill(cluster.beam_pid(leader), signal.SIGKILL)
        pub.wait()
        eventually(lambda: any(ok and s > killed_at for s, _, ok in calls), timeout=120)
        eventually(lambda: set(acted) >= {i for _, i in confirmed}, timeout=180)
        stop.append(True)
        poll.wait()
        eventlet.sleep(3)   # copies redelivered late would show now

        ids = [i for _, i in confirmed]
        assert len(ids) == len(set(ids)) == EVENTS_DURING_THE_FAULT
        assert set(acted) == set(ids) == attempted     # nothing lost, nothing foreign
        assert set(acted.values()) == {1}              # each acted on exactly once
        copies = sum(deliveries.values()) - len(deliveries)

        rpc_gap, rpc_back = longest_gap([end for _, end, ok in calls if ok], killed_at)
        pub_gap, _ = longest_gap([t for t, _ in confirmed], killed_at)
        new_leader = cluster.queue(queues[1])["leader"]
        print(f"killed rabbit-{leader} at {killed_at:.1f}s; event queue now led by {new_leader}\n"
              f"RPC: unavailable {rpc_gap:.1f}s, answering again {rpc_back:.1f}s after the "
              f"kill ({sum(not ok for *_, ok in calls)} failed calls of {len(calls)})\n"
              f"publishing: longest time without a confirm {pub_gap:.1f}s\n"
              f"events: {len(ids)} confirmed, {len(acted)} handled once each, "
              f"{copies} copies delivered again and absorbed")
        assert node_of(new_leader) != leader
        # the service reconnected by itself to another node of its URI (kombu's failover)
        moved = eventually(lambda: [n for n in consumer_nodes(cluster, queues[1])
                                    if n != leader], timeout=30)
        assert consumer_nodes(cluster, queues[1]) == moved
        print(f"the service consumes again through rabbit-{moved[0]}")
        assert rpc_back < 60

    started = time.monotonic()
    cluster.up()    # the killed node comes back and is a member again
    assert cluster.status().returncode == 0, cluster.status().stdout
    print(f"rabbit-{leader} back in the cluster after {time.monotonic() - started:.1f}s")


def test_a_service_starts_and_answers_while_the_first_node_of_its_uri_is_down(rabbit_cluster):
    """nameko connects through the next URI of the list (kombu's failover) at start too."""
    cluster = rabbit_cluster
    cluster.stop_node(1)
    try:
        assert "rabbit-1  down" in cluster.status().stdout
        with probe_running(cluster, first=1) as (name, queues, deliveries, acted):
            with IdentifiedClusterRpcProxy(config_for(cluster, 1), timeout=10) as proxy:
                assert getattr(proxy, name).ping(5) == 5
            event = registered()
            with Connection(cluster.amqp_uri(1),
                            transport_options={"confirm_publish": True}) as conn:
                publish(conn, event)
            eventually(lambda: event["id"] in acted, timeout=60)
            info = cluster.queue(queues[1])
            assert info["type"] == "quorum" and len(info["members"]) == 3
    finally:
        cluster.up()
    assert cluster.status().returncode == 0
