"""Indexing benchmark of the search service alone: CPU per event it follows.

An isolated environment (own vhost and index) and the search service run in this
process (a nameko container, as `nameko run` would); `--versions` revisions each go
through the five events of their way into force (submitted, verified, endorsed,
approved, in force), published shuffled with a third of them twice, while the service
is stopped; the service is then started and the CPU of this process counted until every
entry is in force in the index. The events need no other service (no RPC), so what is
counted is the search service's handling and its Elasticsearch requests.

Run: `.venv/bin/python bench/search_events.py --versions 400`
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()   # as `nameko run` does, before anything else is imported

import argparse  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import json  # noqa: E402
import random  # noqa: E402
import uuid  # noqa: E402

from kombu import Connection, Exchange  # noqa: E402
from nameko.runners import ServiceRunner  # noqa: E402

from devenv.environment import TestEnvironment  # noqa: E402
from services.contracts import events as contract  # noqa: E402
from services.contracts.models import RevisionStatus  # noqa: E402
from services.search.adapters.index import VersionIndex  # noqa: E402
from services.search.service import SearchService  # noqa: E402

DOCUMENTS = Exchange("documents.events", type="topic", durable=True)
CHAIN = [(contract.VersionSubmittedEvent, "in_verification", "draft", 1),
         (contract.VersionVerifiedEvent, "in_endorsement", "in_verification", 2),
         (contract.VersionEndorsedEvent, "in_approval", "in_endorsement", 3),
         (contract.VersionApprovedEvent, "approved", "in_approval", 4),
         (contract.VersionInForceEvent, "in_force", "approved", 5)]


def chain_of(code: str) -> list[contract.Envelope]:
    """The five events of one revision's way into force, as documents publishes them."""
    document_id, version_id = uuid.uuid4(), uuid.uuid4()
    return [cls(subject=document_id, data=contract.RevisionTransitioned(
        document_id=document_id, code=code, title="Gestionarea evenimentelor", type="PO",
        owner_department="DJ", distribution=["DJ"], confidential=False,
        version_id=version_id, edition=1, revision=0, status=RevisionStatus(status),
        previous_status=RevisionStatus(previous), status_seq=seq, actor="daniel.balan",
        actor_function="Primar", comment="", author="ana.popescu"))
        for cls, status, previous, seq in CHAIN]


def shuffled_with_repeats(chains, seed: int) -> list[contract.Envelope]:
    rng = random.Random(seed)
    every = [e for chain in chains for e in chain]
    every += rng.sample(every, len(every) // 3)        # a third delivered twice
    rng.shuffle(every)
    return every


def publish(environment, published) -> None:
    with Connection(environment.amqp_uri) as conn:
        producer = conn.Producer()
        for event in published:
            producer.publish(json.loads(event.model_dump_json()), exchange=DOCUMENTS,
                             routing_key=event.type, serializer="json", declare=[DOCUMENTS])


def in_force(index: VersionIndex) -> int:
    index.es.indices.refresh(index=index.alias)
    return index.es.count(index=index.alias, query={"term": {"status_seq": 5}})["count"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--versions", type=int, default=400)
    args = parser.parse_args()
    environment = TestEnvironment(f"e{os.getpid()}")
    environment.create()
    try:
        config = environment.config()
        runner = ServiceRunner(config)
        runner.add_service(SearchService)
        runner.start()            # declares the queues and the index
        runner.stop()
        index = VersionIndex(environment.elasticsearch_url, environment.index)
        events = shuffled_with_repeats([chain_of(f"PO-EV-{n:05d}")
                                        for n in range(args.versions)], seed=5)
        publish(environment, events)
        load = os.getloadavg()[0]
        cpu, wall = time.process_time(), time.perf_counter()
        runner = ServiceRunner(config)
        runner.add_service(SearchService)
        runner.start()
        while in_force(index) < args.versions:
            eventlet.sleep(0.2)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        runner.stop()
        stats = index.es.indices.stats(index=index.alias)["_all"]["primaries"]
        print(f"{len(events)} events of {args.versions} versions: {wall:.1f} s, "
              f"{len(events) / wall:.0f} events/s, search service CPU "
              f"{cpu / len(events) * 1000:.2f} ms per event; Elasticsearch: "
              f"{stats['indexing']['index_total']} entries written, "
              f"{stats['get']['total']} entries read; load average {load:.1f} → "
              f"{os.getloadavg()[0]:.1f}", flush=True)
    finally:
        environment.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())
