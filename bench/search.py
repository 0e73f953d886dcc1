"""Search benchmark: 100k versions of Romanian-like text, queried through the gateway and
straight against Elasticsearch in the same run (docs/benchmarks.md, "Search").

1. Generates the versions: documents of 1-8 versions (the last in force, or in the
   signing chain with the previous one in force; earlier ones superseded), texts of mixed
   sizes (log-normal, 20-5,000 words) from a word chain learnt on the demo procedures and
   the relevance corpus, some written with the old cedilla letters.
2. Indexing: a raw bulk index of the same entries into an index with the same mapping,
   then Procedura's rebuild (`search reindex`: entries built from the register's
   revisions, bulk, alias swap, check and repair pass) into the running environment's
   index; and Procedura's event path (`VersionIndex.write_many`, one event and ten at
   a time) on a sample.
3. Queries: typical searches and suggestions as one person (a DJ reader: the permission
   filter applies), through `GET /api/search` of a running gateway + search service, and
   the very same Elasticsearch request (built by services/search/query.py for the same
   person) sent straight to Elasticsearch, interleaved so both see the same load.
   The gateway path: HTTP, token check, the person (from the gateway's 5 s cache, or a
   documents RPC), the search RPC over RabbitMQ, the search service's query building,
   the same Elasticsearch request, hits and facets as pydantic models, JSON back.

Run: `.venv/bin/python bench/search.py --versions 100000`
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

from elasticsearch import Elasticsearch, helpers

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.running import password_of, running_procedura  # noqa: E402
from devenv.corpus import generated  # noqa: E402
from procedura_cli.client import Client  # noqa: E402
from procedura_cli.demo import DEMO  # noqa: E402
from procedura_cli.docgen import parse_procedure  # noqa: E402
from services.common.identity import IdentifiedClusterRpcProxy  # noqa: E402
from services.contracts.models import Document, Revision, Role, User  # noqa: E402
from services.contracts.search import SearchQuery, SuggestQuery  # noqa: E402
from services.search.adapters.index import VersionIndex, index_body  # noqa: E402
from services.search.projections import entry  # noqa: E402
from services.search.query import build_query, build_suggest  # noqa: E402
from services.search.rebuild import SourceVersion, reindex  # noqa: E402
from services.search.writes import Write  # noqa: E402

ES = "http://127.0.0.1:9200"
USER = "radu.munteanu"   # DJ, reader
DEPARTMENTS = ["PRIMAR", "SG", "CM", "SMC", "DJ", "DRU", "DE", "DAP", "DUAT", "RP", "IT", "AUD"]
TYPES = ["PO"] * 6 + ["PS", "IL", "formular"]

# what staff type: words with and without diacritics, a phrase, an exclusion, a code
# prefix, an abbreviation, a typo, a filter, history, newest first
QUERIES: list[dict] = [
    {"q": "petitiilor"}, {"q": "petițiilor"}, {"q": "certificat de urbanism"},
    {"q": "autorizatie de construire"}, {"q": "control financiar preventiv"},
    {"q": '"registrul riscurilor"'}, {"q": "achizitie directa -licitatie"},
    {"q": "PO-DJ"}, {"q": "PO-DUAT-01"}, {"q": "HCL"}, {"q": "SCIM"},
    {"q": "inventarirea patrimoniului"}, {"q": "evaluarea performantelor profesionale"},
    {"q": "concediu de odihna", "department": "DRU"}, {"q": "audit", "all_versions": True},
    {"q": "procedura", "sort": "date"}, {"q": "contract", "page": 3},
    {"q": "protectia datelor cu caracter personal"}, {"q": ""},
]
SUGGESTS = ["PO-D", "po-rp", "aviz", "certificatul de urb", "inregistrarea si"]


# --- the corpus --------------------------------------------------------------------

def word_chain() -> tuple[dict[str, list[str]], list[str]]:
    """Bigram successors of every word of the demo procedures and the relevance corpus."""
    texts = [parse_procedure(p).body for p in sorted((DEMO / "procedures").glob("*.md"))]
    texts += [content for _, _, _, content in generated()]
    chain: dict[str, list[str]] = defaultdict(list)
    starts = []
    for text in texts:
        words = [w for w in text.replace("#", " ").replace("*", " ").split() if w]
        starts += [w for w in words if w[:1].isupper()]
        for a, b in zip(words, words[1:]):
            chain[a].append(b)
    return chain, starts


def text_of(rng: random.Random, chain, starts, words: int) -> str:
    out, word = [], rng.choice(starts)
    for _ in range(words):
        out.append(word)
        successors = chain.get(word)
        word = rng.choice(successors) if successors and rng.random() > 0.05 \
            else rng.choice(starts)
    return " ".join(out)


def cedilla(text: str) -> str:
    return text.replace("ș", "ş").replace("ț", "ţ").replace("Ș", "Ş").replace("Ț", "Ţ")


def corpus(count: int, seed: int = 42) -> tuple[list[SourceVersion], dict[str, str]]:
    """`count` versions (revisions and their texts), deterministic for a seed."""
    rng = random.Random(seed)
    chain, starts = word_chain()
    titles = [t for _, t, _, _ in generated()]
    versions: list[SourceVersion] = []
    texts: dict[str, str] = {}
    start = datetime(2019, 1, 1, tzinfo=timezone.utc)
    n = 0
    while len(versions) < count:
        n += 1
        owner = rng.choice(DEPARTMENTS)
        doc_type = rng.choice(TYPES)
        code = f"{'F' if doc_type == 'formular' else doc_type}-{owner}-{n:05d}"
        confidential = owner == "AUD" and rng.random() < 0.5
        distribution = sorted({owner, *rng.sample(DEPARTMENTS, rng.randint(0, 4))})
        created = start + timedelta(days=rng.randint(0, 2500))
        document = Document(
            id=uuid.uuid4(), code=code,
            title=f"{rng.choice(titles)} {text_of(rng, chain, starts, rng.randint(0, 3))}"
            .strip()[:300],
            type=doc_type, owner_department=owner, distribution=distribution,
            confidential=confidential, process=f"Proces {owner}", status="in_force",
            created_at=created, created_by="bench")
        size = int(min(5000, max(20, rng.lognormvariate(4.7, 0.9))))   # median ~110 words
        base = text_of(rng, chain, starts, size)
        if rng.random() < 0.1:
            base = cedilla(base)           # an older document
        k = min(rng.randint(1, 8), count - len(versions))
        last = rng.choices(["in_force", "draft", "in_verification", "in_endorsement",
                            "approved", "withdrawn"], [75, 10, 4, 4, 3, 4])[0]
        for r in range(k):
            if r == k - 1:
                status = last
            elif r == k - 2 and last in ("draft", "in_verification", "in_endorsement",
                                         "approved"):
                status = "in_force"
            else:
                status = "superseded"
            vid = uuid.uuid4()
            revision = Revision(
                version_id=vid, document=document, edition=1 + r // 4, revision=r % 4,
                status=status, status_seq=r + 1, author="bench", change_summary="",
                created_at=created + timedelta(days=60 * r))
            versions.append(SourceVersion(revision, "done"))
            texts[str(vid)] = base + f"\n\nRevizia {r}. " + text_of(rng, chain, starts,
                                                                     rng.randint(10, 60))
    return versions, texts


class GeneratedSource:
    """The source of truth of `search reindex`, with the generated versions."""

    def __init__(self, versions, texts):
        self._versions, self._texts = versions, texts

    def versions(self):
        return self._versions

    def text(self, version_id: str) -> str:
        return self._texts[version_id]


# --- indexing ----------------------------------------------------------------------

def raw_bulk(es: Elasticsearch, docs: list[dict], batch: int) -> tuple[float, int]:
    """Seconds to bulk-index `docs` straight into a new index (same mapping and refresh
    setting as the rebuild), and its size on disk after a refresh."""
    name = f"bench-raw-{uuid.uuid4().hex[:6]}"
    body = index_body()
    body["settings"] = {**body["settings"], "refresh_interval": "-1"}
    es.indices.create(index=name, **body)
    try:
        started = time.perf_counter()
        for start in range(0, len(docs), batch):
            operations: list[dict] = []
            for doc in docs[start:start + batch]:
                operations += [{"index": {"_index": name, "_id": doc["version_id"]}}, doc]
            response = es.bulk(operations=operations)
            assert not response["errors"]
        es.indices.put_settings(index=name, settings={"refresh_interval": None})
        es.indices.refresh(index=name)
        seconds = time.perf_counter() - started
        es.indices.flush(index=name)
        size = es.indices.stats(index=name)["_all"]["primaries"]["store"]["size_in_bytes"]
    finally:
        es.indices.delete(index=name)
    return seconds, size


def event_path(versions, texts, sample: int, batch: int = 1) -> float:
    """Versions per second through `VersionIndex.write_many` into a scratch index, `batch`
    events per call (1: one multi-get and one bulk request per event; the search service
    gathers the events that arrive together, at most one per worker)."""
    index = VersionIndex(ES, f"bench-events-{uuid.uuid4().hex[:6]}")
    index.ensure()
    try:
        writes = []
        for version in versions[:sample]:
            doc = entry(version.revision, texts[str(version.revision.version_id)], True)
            writes.append(Write(doc["version_id"], doc, status=version.revision.status.value,
                                status_seq=version.revision.status_seq))
        started = time.perf_counter()
        for start in range(0, len(writes), batch):
            assert index.write_many(writes[start:start + batch]) == {}
        seconds = time.perf_counter() - started
    finally:
        for name in index.es.indices.get(index=f"{index.alias}*"):
            index.es.indices.delete(index=name)
    return sample / seconds


def indexing(es, index, source, versions, texts, docs, megabytes, args) -> None:
    """Raw bulk, Procedura's rebuild, raw bulk again, and the per-event path: the table."""
    # raw, Procedura, raw again: the load of a shared machine changes within minutes
    raw_first, raw_size = raw_bulk(es, docs, args.batch)
    print(f"raw bulk: {raw_first:.1f} s", flush=True)
    started = time.perf_counter()
    name, count, report = reindex(index, source, batch=args.batch)
    procedura_seconds = time.perf_counter() - started
    assert count == len(versions) and report.clean, report
    size = es.indices.stats(index=name)["_all"]["primaries"]["store"]["size_in_bytes"]
    print(f"procedura reindex: {procedura_seconds:.1f} s", flush=True)
    raw_second, _ = raw_bulk(es, docs, args.batch)
    print(f"raw bulk again: {raw_second:.1f} s", flush=True)
    raw_seconds = (raw_first + raw_second) / 2
    events_per_second = event_path(versions, texts, args.event_sample)
    batched_per_second = event_path(versions, texts, args.event_sample, batch=10)

    print("\n| indexing | versions/s | MB of text/s | seconds | index size per 1k versions |")
    print("|---|---|---|---|---|")
    print(f"| raw bulk (same entries, same mapping, batches of {args.batch}; mean of "
          f"{raw_first:.0f} s before and {raw_second:.0f} s after Procedura's) "
          f"| {len(versions) / raw_seconds:.0f} | {megabytes / raw_seconds:.2f} "
          f"| {raw_seconds:.1f} | {raw_size / len(versions) * 1000 / 1e6:.2f} MB |")
    print(f"| Procedura `search reindex` (entries, bulk, alias swap, check) "
          f"| {len(versions) / procedura_seconds:.0f} | {megabytes / procedura_seconds:.2f} "
          f"| {procedura_seconds:.1f} | {size / len(versions) * 1000 / 1e6:.2f} MB |")
    print(f"| Procedura per event (multi-get + bulk of one), {args.event_sample} versions "
          f"| {events_per_second:.0f} | | | |")
    print(f"| Procedura's events 10 at a time (multi-get + bulk of 10), {args.event_sample} "
          f"versions | {batched_per_second:.0f} | | | |")
    print(f"\nreindex / raw: {raw_seconds / procedura_seconds:.2f} of the raw throughput",
          flush=True)


# --- queries -----------------------------------------------------------------------

def pct(samples: list[float], p: float) -> float:
    samples = sorted(samples)
    return samples[min(len(samples) - 1, max(0, int(round(len(samples) * p)) - 1))] * 1000


def summary(samples: list[float]) -> str:
    return " | ".join(f"{pct(samples, p):.1f} ms" for p in (0.5, 0.95, 0.99))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--versions", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=30, help="times each query is asked")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--event-sample", type=int, default=2000)
    parser.add_argument("--hops", action="store_true",
                        help="also time, interleaved with the two paths, the search "
                             "service's work in this process (query, Elasticsearch, hits as "
                             "models, JSON) and the search RPC over RabbitMQ as the gateway "
                             "sends it: where the gateway's added time goes")
    parser.add_argument("--queries-only", action="store_true",
                        help="skip the raw bulk and per-event baselines (the index is "
                             "still filled by `search reindex`): to compare the query "
                             "paths quickly")
    args = parser.parse_args()
    # stopped with SIGTERM: still tear the environment down
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    load_before = os.getloadavg()

    started = time.perf_counter()
    versions, texts = corpus(args.versions)
    megabytes = sum(len(t.encode()) for t in texts.values()) / 1e6
    words = sorted(len(t.split()) for t in texts.values())
    print(f"{len(versions)} versions of {len({v.revision.document.id for v in versions})} "
          f"documents, {megabytes:.0f} MB of text, words per version p50 "
          f"{words[len(words) // 2]}, p95 {words[int(len(words) * 0.95)]}, max {words[-1]} "
          f"(generated in {time.perf_counter() - started:.0f} s); machine: "
          f"{os.cpu_count()} cores, load average {load_before[0]:.1f}", flush=True)

    es = Elasticsearch(ES, request_timeout=300)
    with running_procedura("s") as (environment, org):
        index = VersionIndex(ES, environment.index)
        source = GeneratedSource(versions, texts)

        if args.queries_only:
            started = time.perf_counter()
            reindex(index, source, batch=args.batch)
            print(f"procedura reindex: {time.perf_counter() - started:.1f} s (raw bulk and "
                  f"per-event baselines skipped)", flush=True)
        else:
            # the same entries the rebuild writes, so both index exactly the same documents
            docs = [{**entry(v.revision, texts[str(v.revision.version_id)], True),
                     "status": v.revision.status.value, "status_seq": v.revision.status_seq}
                    for v in versions]
            indexing(es, index, source, versions, texts, docs, megabytes, args)
            del docs

        person = next(u for u in org["users"] if u["username"] == USER)
        me = User(username=USER, full_name=person["full_name"], department=person["department"],
                  function=person["function"], roles=[Role(r) for r in person["roles"]])
        client = Client.login(environment.gateway, USER, password_of(org, USER))

        def gateway_search(query):
            return client.get("/api/search", **{k: str(v).lower() if isinstance(v, bool) else v
                                         for k, v in query.items()})

        def direct_search(query):
            body, _ = build_query(me, SearchQuery(**query))
            return es.search(index=environment.index, **body)

        def service_search(query):
            # what the search service does for one RPC, without the RPC (it answers the
            # JSON text the gateway sends on)
            return index.search(me, SearchQuery(**query)).model_dump_json()

        # (nameko's standalone proxy publishes persistent requests; the gateway's are
        # transient: services/gateway/service.py)
        proxy = (IdentifiedClusterRpcProxy(environment.config("gateway"), timeout=60)
                 if args.hops else None)
        rpc = proxy.start() if proxy else None

        def rpc_search(query):
            return rpc.search.search(me.model_dump(mode="json"),
                                     SearchQuery(**query).model_dump(mode="json"))

        paths = {"gateway": gateway_search, "direct": direct_search}
        if args.hops:
            paths.update(service=service_search, rpc=rpc_search)

        def gateway_suggest(q):
            client.get("/api/search/suggest", q=q)

        def direct_suggest(q):
            return es.search(index=environment.index, **build_suggest(me, SuggestQuery(q=q)))

        totals, sizes = {}, {}
        for query in QUERIES:                       # warm both paths, note the totals
            for _ in range(3):
                sizes[query["q"]] = len(json.dumps(gateway_search(query), ensure_ascii=False))
                totals[query["q"]] = direct_search(query)["hits"]["total"]["value"]
        for query in QUERIES:
            for name in set(paths) - {"gateway", "direct"}:
                paths[name](query)
        for q in SUGGESTS:
            for _ in range(3):
                gateway_suggest(q), direct_suggest(q)

        samples: dict[str, list[float]] = defaultdict(list)
        took: list[float] = []
        rng = random.Random(1)
        for _ in range(args.rounds):
            order = list(range(len(QUERIES)))
            rng.shuffle(order)
            for i in order:
                for path in rng.sample(sorted(paths), len(paths)):
                    t0 = time.perf_counter()
                    answer = paths[path](QUERIES[i])
                    samples[path].append(time.perf_counter() - t0)
                    if path == "direct":
                        took.append(answer["took"] / 1000)
                    samples[f"{path} {i}"].append(samples[path][-1])
            for q in SUGGESTS:
                for path in rng.sample(["gateway", "direct"], 2):
                    t0 = time.perf_counter()
                    gateway_suggest(q) if path == "gateway" else direct_suggest(q)
                    samples[f"suggest {path}"].append(time.perf_counter() - t0)

        print(f"\n{len(QUERIES)} searches x {args.rounds} rounds, {len(SUGGESTS)} suggestions "
              f"x {args.rounds}, one at a time, as {USER} (hits per query: "
              f"{min(totals.values())}-{max(totals.values())})")
        print("| path | p50 | p95 | p99 |")
        print("|---|---|---|---|")
        print(f"| search, Elasticsearch `took` (engine only) | {summary(took)} |")
        print(f"| search, straight to Elasticsearch (same request, HTTP) "
              f"| {summary(samples['direct'])} |")
        print(f"| search, `GET /api/search` (gateway) | {summary(samples['gateway'])} |")
        if args.hops:
            print(f"| search, the search service's work in process (no transport) "
                  f"| {summary(samples['service'])} |")
            print(f"| search, `search.search` RPC over RabbitMQ (the gateway's identity) "
                  f"| {summary(samples['rpc'])} |")
        print(f"| suggest, straight to Elasticsearch | {summary(samples['suggest direct'])} |")
        print(f"| suggest, `GET /api/search/suggest` (gateway) "
              f"| {summary(samples['suggest gateway'])} |")
        print("\n| query | answer size | direct p50 | gateway p50 | added p50 | direct p95 "
              "| gateway p95 |")
        print("|---|---|---|---|---|---|---|")
        for i, query in enumerate(QUERIES):
            direct, gateway = samples[f"direct {i}"], samples[f"gateway {i}"]
            print(f"| {json.dumps(query, ensure_ascii=False)} | {sizes[query['q']] / 1000:.1f} KB "
                  f"| {pct(direct, 0.5):.1f} | {pct(gateway, 0.5):.1f} "
                  f"| {pct(gateway, 0.5) - pct(direct, 0.5):.1f} | {pct(direct, 0.95):.1f} "
                  f"| {pct(gateway, 0.95):.1f} |")
        if proxy:
            proxy.stop()
        ratio = pct(samples["gateway"], 0.95) / pct(samples["direct"], 0.95)
        print(f"\ngateway p95 / direct p95 = {ratio:.2f} (target <= 1.25); suggest p95 through "
              f"the gateway {pct(samples['suggest gateway'], 0.95):.1f} ms (target < 50 ms); "
              f"load average at the end {os.getloadavg()[0]:.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
