"""The Elasticsearch projection of versions: mapping, updates and queries.

The index is named `<alias>-v<N>` and reached through the alias, so a rebuild can
fill a new index and swap the alias atomically.
"""
from __future__ import annotations

import logging
import re

from elasticsearch import Elasticsearch, NotFoundError

from services.contracts.models import User
from services.contracts.search import (SearchHit, SearchQuery, SearchResult, Suggestion,
                                       Suggestions, SuggestQuery)
from services.search.query import FACETS, build_query, build_suggest
from services.search.writes import Write, merged_all

log = logging.getLogger(__name__)

# Bump when ANALYSIS or MAPPINGS change: an index built with an older version needs
# `procedura search reindex` (the version is kept in the index's `_meta`).
MAPPING_VERSION = 3

# Components of Procedura's own analysis plugin (engines/elasticsearch-analysis-ro):
# the Elasticsearch distribution we run has no analysis-common module.
ANALYSIS = {
    "analyzer": {
        # older documents carry the cedilla letters ş ţ: ro_cedilla makes them ș ț
        "ro": {"type": "custom", "tokenizer": "standard", "char_filter": ["ro_cedilla"],
               "filter": ["ro_lowercase", "ro_stop", "ro_stem"]},
        # folded before stemming, so `petitiilor`, `petițiilor` and `petiţiilor` (and
        # `petițiile`) all meet in one stem: staff often type without diacritics
        "ro_folded": {"type": "custom", "tokenizer": "standard", "char_filter": ["ro_cedilla"],
                      "filter": ["ro_lowercase", "ro_stop", "ro_fold", "ro_stem"]},
        # exact words for "phrases" and title prefixes: every word kept, not stemmed,
        # folded (so a quoted phrase, too, ranks the same in every spelling)
        "ro_exact": {"type": "custom", "tokenizer": "standard", "char_filter": ["ro_cedilla"],
                     "filter": ["ro_lowercase", "ro_fold"]},
    },
}

# the highlighted sub-fields keep their offsets in the postings, so highlighting reads
# them instead of analysing every hit's whole text again (MAPPING_VERSION 3): about 10x
# faster searches on long texts, for a larger index (docs/benchmarks.md, "Search")
_OFFSETS = {"index_options": "offsets"}
_TEXT = {"type": "text", "analyzer": "ro",
         "fields": {"folded": {"type": "text", "analyzer": "ro_folded", **_OFFSETS},
                    "exact": {"type": "text", "analyzer": "ro_exact", **_OFFSETS}}}

MAPPINGS = {
    "dynamic": "strict",
    "_meta": {"mapping_version": MAPPING_VERSION},
    "properties": {
        "version_id": {"type": "keyword"},
        "document_id": {"type": "keyword"},
        "code": {"type": "keyword",
                 "fields": {"text": {"type": "text", "analyzer": "ro_folded"},
                            # `PO-DJ` finds PO-DJ-*: a prefix of the whole code
                            "lower": {"type": "keyword", "normalizer": "lowercase"}}},
        "title": {**_TEXT, "fields": {**_TEXT["fields"], "exact": {
            "type": "text", "analyzer": "ro_exact", **_OFFSETS,
            "index_prefixes": {"min_chars": 1, "max_chars": 10}}}},
        "content": _TEXT,
        "type": {"type": "keyword"},
        "owner_department": {"type": "keyword"},
        "process": {"type": "keyword"},
        "distribution": {"type": "keyword"},
        "confidential": {"type": "boolean"},
        "status": {"type": "keyword"},
        "status_seq": {"type": "integer"},
        "edition": {"type": "integer"},
        "revision": {"type": "integer"},
        "year": {"type": "integer"},
        "has_text": {"type": "boolean"},
        "created_at": {"type": "date"},
    },
}


def index_body(shards: int = 1, replicas: int = 0) -> dict:
    """Settings and mappings of a new versions index."""
    return {"settings": {"analysis": ANALYSIS, "number_of_shards": shards,
                         "number_of_replicas": replicas},
            "mappings": MAPPINGS}


def nodes(url: str) -> list[str]:
    """The Elasticsearch nodes of `elasticsearch_url`: one URL, or several separated by
    commas (a cluster reached without a load balancer in front: the client spreads
    requests over them and sends one again to another node when its node is away)."""
    return [part.strip() for part in url.split(",") if part.strip()]


def _bulk_operations(by_entry: dict[str, list[Write]], current: dict[str, dict]) -> list:
    """The bulk request writing each entry merged with its writes: `index` under the
    sequence number it was read at, `create` if it did not exist, nothing if unchanged."""
    operations: list[dict] = []
    for version_id, writes in by_entry.items():
        read = current.get(version_id)
        source = read["_source"] if read else None
        entry = merged_all(source, writes)
        if entry == source:
            continue
        if read is None:
            operations += [{"create": {"_id": version_id}}, entry]
        else:
            operations += [{"index": {"_id": version_id, "if_seq_no": read["_seq_no"],
                                      "if_primary_term": read["_primary_term"]}}, entry]
    return operations


def _highlights(hit: dict) -> list[str]:
    """Fragments of every highlighted field, exact before folded, without repeats."""
    seen: set[str] = set()
    fragments = []
    for name in ("title.exact", "title.folded", "content.exact", "content.folded"):
        for fragment in hit.get("highlight", {}).get(name, []):
            key = re.sub(r"</?mark>", "", fragment)
            if key not in seen:
                seen.add(key)
                fragments.append(fragment)
    return fragments


class VersionIndex:
    def __init__(self, url: str, alias: str, shards: int = 1, replicas: int = 0):
        self.es = Elasticsearch(nodes(url), request_timeout=30)
        self.alias = alias
        self.shards, self.replicas = shards, replicas  # of each new index

    def ensure(self) -> None:
        """Create the first index behind the alias, or warn that it needs a rebuild."""
        if self.es.indices.exists_alias(name=self.alias):
            version = self.mapping_version()
            if version < MAPPING_VERSION:
                log.warning("index %s has mapping version %s, this code expects %s: run "
                            "`procedura search reindex`", self.alias, version, MAPPING_VERSION)
            return
        try:
            self.es.indices.create(index=f"{self.alias}-v1", aliases={self.alias: {}},
                                   **index_body(self.shards, self.replicas))
        except Exception as exc:  # another replica created it first
            if "resource_already_exists_exception" not in str(exc):
                raise

    def mapping_version(self) -> int:
        """The mapping version of the index the alias points to (1 before `_meta`)."""
        mappings = self.es.indices.get_mapping(index=self.alias)
        return max(m["mappings"].get("_meta", {}).get("mapping_version", 1)
                   for m in mappings.values())

    def upsert(self, version_id: str, doc: dict, status: str | None = None,
               status_seq: int | None = None, attempts: int = 20,
               defaults: dict | None = None) -> None:
        """Merge `doc` into the version's entry (creating it if needed).

        The status only moves forward (by status_seq), so a late or repeated event
        cannot roll a revision back. `defaults` fill only what the entry does not hold
        yet (services/search/writes.py merged). Concurrent writers are serialised with
        optimistic concurrency (if_seq_no), since the engine runs no scripts.
        """
        failed = self.write_many([Write(version_id, doc, status, status_seq, defaults)],
                                 attempts)
        if failed:
            raise failed[version_id]

    def upsert_all(self, writes: list[Write]) -> None:
        """Several upserts in one bulk request (raises the first entry's error)."""
        failed = self.write_many(writes)
        if failed:
            raise next(iter(failed.values()))

    def write_many(self, writes: list[Write], attempts: int = 20) -> dict[str, Exception]:
        """Apply `writes` (in their order, several per entry allowed) with one multi-get
        and one bulk request: each entry read, merged with its writes and written back
        only if it changed, under optimistic concurrency (if_seq_no; `create` for a new
        one). The entries another writer changed in between are read and merged again.
        Returns the errors of the entries that could not be written, by version id (the
        others are written: acknowledged by Elasticsearch, whose translog is synced on
        every request)."""
        pending, failed = list(writes), {}
        for _ in range(attempts if pending else 0):
            by_entry: dict[str, list[Write]] = {}
            for write in pending:
                by_entry.setdefault(write.version_id, []).append(write)
            found = self.es.mget(index=self.alias, ids=list(by_entry))["docs"]
            current = {d["_id"]: d for d in found if d.get("found")}
            operations, retry = _bulk_operations(by_entry, current), set()
            if not operations:
                return failed
            response = self.es.bulk(index=self.alias, operations=operations)
            for item in response["items"]:
                result = next(iter(item.values()))
                if result.get("status") == 409:
                    retry.add(result["_id"])
                elif "error" in result:
                    failed[result["_id"]] = RuntimeError(
                        f"could not write the index entry of {result['_id']}: "
                        f"{result['error']}")
            pending = [w for w in pending if w.version_id in retry]
            if not pending:
                return failed
        return {**failed, **{w.version_id: RuntimeError(
            f"could not update the index entry of {w.version_id}") for w in pending}}

    def health(self) -> str:
        status = self.es.cluster.health(timeout="2s")["status"]
        if status == "red":
            raise RuntimeError("the Elasticsearch cluster is red")
        return status

    def get(self, version_id: str) -> dict | None:
        try:
            return self.es.get(index=self.alias, id=version_id)["_source"]
        except NotFoundError:
            return None

    def search(self, user: User, query: SearchQuery,
               waiting: tuple[str, ...] = ()) -> SearchResult:
        """One page of the versions `user` may read that match `query`, with facets
        (`waiting`: the versions waiting for their signature or opinion, for
        `scope=work`)."""
        body, parsed = build_query(user, query, waiting)
        response = self.es.search(index=self.alias, **body)
        source_fields = set(SearchHit.model_fields) - {"score", "highlights"}
        hits = [SearchHit(**{k: v for k, v in h["_source"].items() if k in source_fields},
                          score=h.get("_score"), highlights=_highlights(h))
                for h in response["hits"]["hits"]]
        facets = {name: {str(b["key"]): b["doc_count"]
                         for b in response["aggregations"][name]["buckets"]}
                  for name in FACETS}
        total = 0 if parsed.empty else response["hits"]["total"]["value"]
        return SearchResult(total=total, hits=hits, facets=facets)

    def suggest(self, user: User, query: SuggestQuery,
                waiting: tuple[str, ...] = ()) -> Suggestions:
        """Codes and titles for the search box, one per document `user` may read."""
        body = build_suggest(user, query, waiting)
        if body is None:
            return Suggestions(items=[])
        response = self.es.search(index=self.alias, **body)
        return Suggestions(items=[Suggestion(**h["_source"])
                                  for h in response["hits"]["hits"]])


    def version_ids(self, document_id: str) -> list[str]:
        """The ids of every indexed version of a document (after a refresh, so a version
        indexed a moment ago is among them)."""
        self.es.indices.refresh(index=self.alias)
        response = self.es.search(index=self.alias, query={"term": {"document_id": document_id}},
                                  source=False, size=10_000)
        return [hit["_id"] for hit in response["hits"]["hits"]]
