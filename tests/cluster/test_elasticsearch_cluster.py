"""Procedura's search index on a real 3-node Elasticsearch (scripts/cluster/elasticsearch.sh):
the index is created with the shards and replicas of the settings (the prod overlay's 3
and 1) and the cluster honours them (green, each shard's replica on another node than its
primary); versions indexed through services/search's adapter are found with the Romanian
analysis on every node; `search reindex` swaps the alias across the cluster; then the node
holding a primary is killed with -9 while the adapter indexes and searches: searches keep
answering, no acknowledged write is lost, and the cluster is green again after the node
restarts, the times printed.

    scripts/cluster.sh up elasticsearch
    .venv/bin/python -m pytest -s -m cluster tests/cluster/test_elasticsearch_cluster.py
"""
from __future__ import annotations

import os
import signal
import time
import uuid
from collections import defaultdict
from datetime import datetime, timezone

import eventlet
import pytest
from elasticsearch import Elasticsearch

from services.common.settings import Settings, load_config
from services.contracts.models import Revision
from services.contracts.search import SearchQuery
from services.search.adapters.index import VersionIndex
from services.search.rebuild import SourceVersion, reindex, verify
from tests import helpers
from tests.cluster.conftest import NODES, ElasticCluster
from tests.testenv import ROOT, eventually

pytestmark = pytest.mark.cluster

SHARDS, REPLICAS = 3, 1     # deploy/k8s/overlays/prod: PROCEDURA_SEARCH_SHARDS, _REPLICAS
DJ = helpers.user("DJ")
WRITES_BEFORE_THE_KILL = 60
SECONDS_AFTER_THE_KILL = 30


def settings_for(cluster: ElasticCluster, monkeypatch) -> Settings:
    """config/procedura.yaml as the search service reads it, pointed at the cluster."""
    monkeypatch.setenv("PROCEDURA_ELASTICSEARCH_URL", cluster.url)
    monkeypatch.setenv("PROCEDURA_SEARCH_SHARDS", str(SHARDS))
    monkeypatch.setenv("PROCEDURA_SEARCH_REPLICAS", str(REPLICAS))
    return Settings.from_config(load_config(ROOT / "config" / "procedura.yaml"))


@pytest.fixture
def index(es_cluster, monkeypatch):
    """A fresh alias of its own, created as the search service creates it (IndexProvider)."""
    settings = settings_for(es_cluster, monkeypatch)
    assert (settings.search_shards, settings.search_replicas) == (SHARDS, REPLICAS)
    alias = f"procedura-cluster-{uuid.uuid4().hex[:8]}-versions"
    index = VersionIndex(settings.elasticsearch_url, alias, settings.search_shards,
                         settings.search_replicas)
    index.ensure()
    yield index
    for name in index.es.indices.get(index=f"{alias}-v*", ignore_unavailable=True):
        index.es.indices.delete(index=name)


def node_number(name: str) -> int:
    return int(name.rsplit("-", 1)[1])     # procedura-es-2 -> 2


def copies(es: Elasticsearch, name: str) -> dict[int, dict[str, list[str]]]:
    """Shard number -> {"p": [node], "r": [nodes]} of the started copies of index `name`."""
    found: dict[int, dict[str, list[str]]] = defaultdict(lambda: {"p": [], "r": []})
    for row in es.cat.shards(index=name, format="json", h="shard,prirep,state,node"):
        if row["state"] == "STARTED":
            found[int(row["shard"])][row["prirep"]].append(row["node"])
    return dict(found)


def assert_green_and_spread(es: Elasticsearch, name: str) -> dict:
    """The index is green with SHARDS primaries, each with REPLICAS copies on other nodes
    than its primary, and every node holds some of it."""
    health = es.options(request_timeout=330).cluster.health(
        index=name, wait_for_status="green", timeout="300s",
        wait_for_no_relocating_shards=True, wait_for_no_initializing_shards=True)
    assert health["status"] == "green" and not health["timed_out"], health
    assert health["active_primary_shards"] == SHARDS
    assert health["active_shards"] == SHARDS * (1 + REPLICAS)
    layout = copies(es, name)
    assert sorted(layout) == list(range(SHARDS))
    for shard in layout.values():
        assert len(shard["p"]) == 1 and len(shard["r"]) == REPLICAS
        assert len({*shard["p"], *shard["r"]}) == 1 + REPLICAS   # never on the same node
    assert holders(es, name) == set(NODES)
    return layout


def holders(es: Elasticsearch, name: str) -> set[int]:
    """The nodes holding a started copy of index `name`."""
    return {node_number(n) for s in copies(es, name).values() for n in s["p"] + s["r"]}


def only_index(es: Elasticsearch, alias: str) -> str:
    [name] = es.indices.get_alias(name=alias)
    return name


def entry(title: str, content: str, code: str | None = None) -> dict:
    """One index entry as the projection writes it (a DJ procedure in force)."""
    return {"version_id": str(uuid.uuid4()), "document_id": str(uuid.uuid4()),
            "code": code or f"PO-DJ-{uuid.uuid4().hex[:6]}", "title": title, "type": "PO",
            "owner_department": "DJ", "distribution": ["DJ"], "confidential": False,
            "process": None, "edition": 1, "revision": 0, "year": 2026,
            "created_at": "2026-03-01T10:00:00+00:00", "content": content, "has_text": True}


def put(index: VersionIndex, doc: dict) -> None:
    index.upsert(doc["version_id"], doc, status="in_force", status_seq=4)


def found(index: VersionIndex, q: str) -> set[str]:
    return {str(h.version_id) for h in index.search(DJ, SearchQuery(q=q, size=50)).hits}


def test_the_index_has_the_configured_shards_and_replicas_spread_over_three_nodes(index):
    name = only_index(index.es, index.alias)
    assert name == f"{index.alias}-v1"
    settings = index.es.indices.get_settings(index=name)[name]["settings"]["index"]
    assert (settings["number_of_shards"], settings["number_of_replicas"]) == (
        str(SHARDS), str(REPLICAS))
    layout = assert_green_and_spread(index.es, name)
    print("\n" + "\n".join(f"shard {s}: primary {c['p'][0]}, replica {', '.join(c['r'])}"
                           for s, c in sorted(layout.items())))


def test_versions_are_found_with_the_romanian_analysis_on_every_node(index, es_cluster):
    cedilla = entry("Înregistrarea şi soluţionarea petiţiilor",
                    "Referentul înregistrează petiţia în ziua primirii.")
    comma = entry("Avizarea contractelor",
                  "Direcția Juridică avizează contractele și petițiile cu implicații juridice.")
    plain = entry("Arhivarea dosarelor", "Dosarele se predau arhivei la sfarsitul anului.")
    for doc in (cedilla, comma, plain):
        put(index, doc)
    index.es.indices.refresh(index=index.alias)
    # typed without diacritics, with the cedilla letters or with the comma ones: all meet
    assert found(index, "petitiilor") == {cedilla["version_id"], comma["version_id"]}
    assert found(index, "petiţiile") == {cedilla["version_id"], comma["version_id"]}
    assert found(index, "solutionarea") == {cedilla["version_id"]}
    assert found(index, "sfârșitul") == {plain["version_id"]}
    # the plugin answers on each node (each analyses the shards it holds)
    for node in NODES:
        es = Elasticsearch(es_cluster.node_url(node))
        tokens = {text: [t["token"] for t in es.indices.analyze(
            index=index.alias, analyzer="ro_folded", text=text)["tokens"]]
            for text in ("petiţiilor", "petițiilor", "petitiilor")}
        assert len(set(map(tuple, tokens.values()))) == 1, (node, tokens)
        assert es.count(index=index.alias)["count"] == 3


class ListSource:
    """The source of truth of a rebuild, as services/search/rebuild.py reads it."""

    def __init__(self, texts: dict[str, tuple[Revision, str]]):
        self.texts = texts

    def versions(self) -> list[SourceVersion]:
        return [SourceVersion(revision, "done") for revision, _ in self.texts.values()]

    def text(self, version_id: str) -> str:
        return self.texts[version_id][1]


def source_of(count: int) -> ListSource:
    texts = {}
    for n in range(count):
        document = helpers.document(code=f"PO-DJ-{n:03}", title=f"Procedura nr. {n}",
                                    distribution=["DJ"], status="in_force")
        revision = Revision(version_id=uuid.uuid4(), document=document, edition=1,
                            revision=0, status="in_force", status_seq=4, author="ana",
                            change_summary="", created_at=datetime.now(timezone.utc))
        texts[str(revision.version_id)] = (revision, f"Termenul de soluţionare {n}: 30 de zile.")
    return ListSource(texts)


def test_reindex_swaps_the_alias_across_the_cluster(index, es_cluster):
    source = source_of(120)
    old = only_index(index.es, index.alias)
    answers = []

    def search_between_batches(done, total):   # searches answer from the old index
        answers.append(len(found(index, "solutionare")))

    name, count, report = reindex(index, source, batch=40, progress=search_between_batches)
    assert (name, count) == (f"{index.alias}-v2", 120) and report.clean
    assert answers == [0, 0, 0]
    assert not index.es.indices.exists(index=old)
    layout = assert_green_and_spread(index.es, name)
    for node in NODES:      # every node sees the alias on the new index, every entry in it
        es = Elasticsearch(es_cluster.node_url(node))
        assert list(es.indices.get_alias(name=index.alias)) == [name]
        assert es.count(index=index.alias)["count"] == 120
    assert len(found(index, "soluționare")) == 50      # a page of them
    assert verify(index, source).clean
    print(f"\n{old} -> {name}: {count} versions; primaries on "
          f"{sorted(c['p'][0] for c in layout.values())}")


class Clock:
    def __init__(self):
        self.start = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self.start


def writer(index: VersionIndex, clock: Clock, acked: list, failed: list, stop: list) -> None:
    """Index new versions one after the other through the adapter, as the projection does;
    a version whose write raised is not acknowledged (the event would be retried)."""
    while not stop:
        doc = entry("Procedura de rezervă", "Copii de siguranţă ale dosarelor.")
        try:
            put(index, doc)
            acked.append((clock.now(), doc["version_id"]))
        except Exception as exc:
            failed.append((clock.now(), repr(exc)[:200]))
        eventlet.sleep(0.02)


def searcher(index: VersionIndex, clock: Clock, answers: list, stop: list) -> None:
    """Search through the adapter's client every 100 ms: (when, ok, partial) per call."""
    while not stop:
        try:
            response = index.es.search(index=index.alias, query={"match": {
                "content.folded": "siguranta"}}, size=0, track_total_hits=True)
            answers.append((clock.now(), True, response["_shards"]["failed"] > 0))
        except Exception:
            answers.append((clock.now(), False, False))
        eventlet.sleep(0.1)


def longest_gap(times: list[float], after: float) -> float:
    """The longest time between two successes from just before `after` on."""
    times = sorted(times)
    start = max((i for i, t in enumerate(times) if t <= after), default=0)
    return max((b - a for a, b in zip(times[start:], times[start + 1:])), default=0.0)


def master(es: Elasticsearch) -> int:
    return node_number(es.cat.master(format="json")[0]["node"])


def victim(es: Elasticsearch, name: str) -> int:
    """A node holding a primary of the index; the elected master if it holds one (the
    worst case: a new master is elected before the replica is promoted)."""
    primaries = {node_number(c["p"][0]) for c in copies(es, name).values()}
    elected = master(es)
    return elected if elected in primaries else min(primaries)


@pytest.mark.timeout(900)    # the killed node's JVM boots again on busy cores
def test_killing_a_node_holding_a_primary_loses_no_acknowledged_write(index, es_cluster):
    name = only_index(index.es, index.alias)
    assert_green_and_spread(index.es, name)
    node = victim(index.es, name)
    role = "the elected master, " if node == master(index.es) else ""
    clock, acked, failed, answers, stop = Clock(), [], [], [], []
    write = eventlet.spawn(writer, index, clock, acked, failed, stop)
    read = eventlet.spawn(searcher, index, clock, answers, stop)
    try:
        eventually(lambda: len(acked) >= WRITES_BEFORE_THE_KILL, timeout=120)
        killed_at = clock.now()
        os.kill(es_cluster.server_pid(node), signal.SIGKILL)
        while clock.now() < killed_at + SECONDS_AFTER_THE_KILL:
            eventlet.sleep(0.5)
        eventually(lambda: any(t > killed_at + SECONDS_AFTER_THE_KILL for t, _ in acked),
                   timeout=120)
    finally:
        stop.append(True)
        write.wait()
        read.wait()
    after_kill = [t for t, _ in acked if t > killed_at]
    search_gap = longest_gap([t for t, ok, _ in answers if ok], killed_at)
    write_gap = longest_gap([t for t, _ in acked], killed_at)
    failed_searches = sum(not ok for t, ok, _ in answers if t > killed_at)
    partial = sum(p for t, ok, p in answers if ok and t > killed_at)
    health = index.es.cluster.health(index=name)

    index.es.indices.refresh(index=index.alias)
    ids = [i for _, i in acked]
    stored = index.es.count(index=index.alias, query={"terms": {"version_id": ids}})["count"]
    print(f"\nkilled procedura-es-{node} ({role}a primary of {name}) at {killed_at:.1f}s; "
          f"health then {health['status']}, {health['unassigned_shards']} copies unassigned\n"
          f"searches: {len(answers)} calls, longest gap {search_gap:.2f}s, "
          f"{failed_searches} failed, {partial} partial after the kill\n"
          f"writes: {len(ids)} acknowledged ({len(after_kill)} after the kill), "
          f"{len(failed)} failed, longest gap {write_gap:.2f}s; {stored} of them stored"
          + (f"\nfirst failure: {failed[0]}" if failed else ""))
    assert stored == len(ids) == len(set(ids))            # no acknowledged write lost
    assert after_kill and search_gap < 30 and write_gap < 60

    # a node away longer than index.unassigned.node_left.delayed_timeout (1 min) has its
    # copies rebuilt on the two others: green again without it
    health = index.es.options(request_timeout=270).cluster.health(
        index=name, wait_for_status="green", timeout="240s")
    assert health["status"] == "green" and health["number_of_nodes"] == 2, health
    print(f"green again on two nodes {clock.now() - killed_at:.1f}s after the kill")
    before = health["status"]
    started = time.monotonic()
    es_cluster.up()                                       # the killed node starts again
    back = time.monotonic() - started
    health = index.es.options(request_timeout=330).cluster.health(
        index=name, wait_for_status="green", timeout="300s")
    assert health["status"] == "green", health
    green = time.monotonic() - started
    # the balancer gives it copies again, each shard's two copies on two nodes
    eventually(lambda: node in holders(index.es, name), timeout=300)
    layout = assert_green_and_spread(index.es, name)
    spread = time.monotonic() - started
    assert es_cluster.status().returncode == 0
    assert index.es.count(index=index.alias)["count"] == len(ids)
    print(f"restarted with the index {before}: procedura-es-{node} back in the cluster "
          f"after {back:.1f}s, the index green after {green:.1f}s, copies on it again "
          f"after {spread:.1f}s; primaries now on "
          f"{sorted(c['p'][0] for c in layout.values())}")
