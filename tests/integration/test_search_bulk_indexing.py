"""The search service writes the events that arrive close together in one bulk request
(services/search/batching.py), on the real broker and Elasticsearch: whatever the order
and however often the events of a revision arrive, its entry ends at its highest
`status_seq`; a message is acknowledged only once its entry is written, so a process
that dies before writing loses nothing."""
from __future__ import annotations

import json
import random
import threading
import uuid

import pytest
from kombu import Connection, Exchange

from services.contracts import events
from services.contracts.models import RevisionStatus
from services.search.adapters.index import VersionIndex
from services.search.bootstrap import IndexProvider
from services.search.service import SearchService
from services.search.writes import Write
from tests.integration.running import running, service_config, version_approved
from tests.testenv import eventually

DOCUMENTS = Exchange("documents.events", type="topic", durable=True)
# the signing chain of one revision, as documents publishes it
CHAIN = [(events.VersionSubmittedEvent, "in_verification", "draft", 1),
         (events.VersionVerifiedEvent, "in_endorsement", "in_verification", 2),
         (events.VersionEndorsedEvent, "in_approval", "in_endorsement", 3),
         (events.VersionApprovedEvent, "approved", "in_approval", 4),
         (events.VersionInForceEvent, "in_force", "approved", 5)]


@pytest.fixture(scope="module")
def index(settings):
    index = VersionIndex(settings.elasticsearch_url, settings.search_index)
    index.ensure()
    return index


def chain_of(code: str) -> list[events.Envelope]:
    """Every event of one revision's way into force."""
    facts = version_approved(code=code).data
    return [cls(subject=facts.document_id, data=facts.model_copy(update={
        "status": RevisionStatus(status), "previous_status": RevisionStatus(previous),
        "status_seq": seq}))
        for cls, status, previous, seq in CHAIN]


def publish(environment, published: list[events.Envelope]) -> None:
    with Connection(environment.amqp_uri) as conn:
        producer = conn.Producer()
        for event in published:
            producer.publish(json.loads(event.model_dump_json()), exchange=DOCUMENTS,
                             routing_key=event.type, serializer="json", declare=[DOCUMENTS])


def statuses(index, chains: list[list[events.Envelope]]) -> dict[str, tuple]:
    index.es.indices.refresh(index=index.alias)
    found = {}
    for chain in chains:
        entry = index.get(str(chain[0].data.version_id))
        found[chain[0].data.code] = entry and (entry["status"], entry["status_seq"])
    return found


def shuffled_with_repeats(chains, seed: int) -> list[events.Envelope]:
    rng = random.Random(seed)
    every = [e for chain in chains for e in chain]
    every += rng.sample(every, len(every) // 3)        # a third delivered twice
    rng.shuffle(every)
    return every


def test_one_bulk_request_keeps_the_highest_status_seq_and_a_repeat_writes_nothing(index):
    vid = str(uuid.uuid4())
    writes = [Write(vid, {"version_id": vid, "code": "PO-DJ-90"}, status, seq,
                    defaults={"title": "Avizarea contractelor"})
              for _, status, _, seq in CHAIN]
    random.Random(3).shuffle(writes)
    assert index.write_many(writes) == {}
    first = index.es.get(index=index.alias, id=vid)
    assert (first["_source"]["status"], first["_source"]["status_seq"]) == ("in_force", 5)
    assert first["_source"]["title"] == "Avizarea contractelor"
    assert index.write_many(writes) == {}                       # delivered again
    again = index.es.get(index=index.alias, id=vid)
    assert again["_seq_no"] == first["_seq_no"]                  # nothing written


def test_concurrent_bulk_writers_lose_no_update(index):
    """Two replicas writing the same entries at once: the one that read an older entry
    reads and merges again, so both writers' fields are kept."""
    ids = [str(uuid.uuid4()) for _ in range(20)]
    index.write_many([Write(v, {"version_id": v}, "draft", 0) for v in ids])

    def writer(field: str, seq: int):
        for _ in range(5):
            index.write_many([Write(v, {field: f"{field}-{v}"}, "in_verification", seq)
                              for v in ids])
    threads = [threading.Thread(target=writer, args=("code", 1)),
               threading.Thread(target=writer, args=("title", 2))]
    [t.start() for t in threads]
    [t.join() for t in threads]
    for v in ids:
        source = index.get(v)
        assert (source["code"], source["title"], source["status_seq"]) == (
            f"code-{v}", f"title-{v}", 2)


def test_events_in_any_order_and_repeated_end_at_the_highest_status_seq(environment, index):
    chains = [chain_of(f"PO-BK-{n:02d}-{uuid.uuid4().hex[:4]}") for n in range(30)]
    published = shuffled_with_repeats(chains, seed=7)
    config = service_config(environment)
    with running(config, SearchService) as runner:
        writer = next(d for d in runner.service_map["search"].dependencies
                      if isinstance(d, IndexProvider)).writer
        bulks, write_many = [], writer._write_many

        def counted(writes):
            bulks.append(len(writes))
            return write_many(writes)
        writer._write_many = counted
        publish(environment, published)
        expected = {chain[0].data.code: ("in_force", 5) for chain in chains}
        eventually(lambda: statuses(index, chains) == expected, timeout=60)
    # events arriving together shared bulk requests; an event whose write failed is
    # handled again (the messaging's retry), so a few may be written twice
    assert sum(bulks) >= len(published) and len(bulks) < len(published) / 2, bulks
    for chain in chains:
        entry = index.get(str(chain[0].data.version_id))
        assert (entry["code"], entry["title"], entry["distribution"]) == (
            chain[0].data.code, "Gestionarea evenimentelor", ["DJ"])


def test_a_process_that_dies_before_writing_loses_no_event(environment, index):
    """The first process takes the events but never gets to write them (it dies with
    its batch unwritten): their messages were not acknowledged, so the next process
    gets them again and writes every one."""
    chains = [chain_of(f"PO-CR-{n:02d}-{uuid.uuid4().hex[:4]}") for n in range(10)]
    config = service_config(environment)
    taken: list[str] = []
    never = threading.Event()

    def stuck(writes):                 # the process dies inside this bulk request
        taken.extend(w.version_id for w in writes)
        never.wait(120)
        return {}
    with running(config, SearchService) as runner:
        provider = next(d for d in runner.service_map["search"].dependencies
                        if isinstance(d, IndexProvider))
        provider.writer._write_many = stuck
        publish(environment, shuffled_with_repeats(chains, seed=11))
        eventually(lambda: len(taken) > 0, timeout=30)
        runner.kill()
    assert set(statuses(index, chains).values()) == {None}       # nothing was written
    with running(config, SearchService):
        expected = {chain[0].data.code: ("in_force", 5) for chain in chains}
        eventually(lambda: statuses(index, chains) == expected, timeout=60)
