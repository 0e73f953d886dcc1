"""The Elasticsearch projection of versions: mapping, updates and queries.

The index is named `<alias>-v<N>` and reached through the alias, so a rebuild can
fill a new index and swap the alias atomically.
"""
from __future__ import annotations

from elasticsearch import ConflictError, Elasticsearch, NotFoundError

from services.contracts.models import Role, User
from services.contracts.search import SearchHit, SearchQuery, SearchResult

MAPPING_VERSION = 1
HIDDEN_BY_DEFAULT = ["superseded", "withdrawn", "archived", "disposed"]
FACETS = {"type": "type", "department": "owner_department", "status": "status", "year": "year"}

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
    },
}

_TEXT = {"type": "text", "analyzer": "ro",
         "fields": {"folded": {"type": "text", "analyzer": "ro_folded"}}}

MAPPINGS = {
    "dynamic": "strict",
    "properties": {
        "version_id": {"type": "keyword"},
        "document_id": {"type": "keyword"},
        "code": {"type": "keyword",
                 "fields": {"text": {"type": "text", "analyzer": "ro_folded"}}},
        "title": _TEXT,
        "content": _TEXT,
        "type": {"type": "keyword"},
        "owner_department": {"type": "keyword"},
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

class VersionIndex:
    def __init__(self, url: str, alias: str):
        self.es = Elasticsearch(url, request_timeout=30)
        self.alias = alias

    def ensure(self) -> None:
        if self.es.indices.exists_alias(name=self.alias):
            return
        name = f"{self.alias}-v{MAPPING_VERSION}"
        try:
            self.es.indices.create(index=name, settings={"analysis": ANALYSIS,
                                                         "number_of_replicas": 0},
                                   mappings=MAPPINGS, aliases={self.alias: {}})
        except Exception as exc:  # another replica created it first
            if "resource_already_exists_exception" not in str(exc):
                raise

    def upsert(self, version_id: str, doc: dict, status: str | None = None,
               status_seq: int | None = None, attempts: int = 20) -> None:
        """Merge `doc` into the version's entry (creating it if needed).

        The status only moves forward (by status_seq), so a late or repeated event
        cannot roll a revision back. Concurrent writers are serialised with
        optimistic concurrency (if_seq_no), since the engine runs no scripts.
        """
        for _ in range(attempts):
            try:
                current = self.es.get(index=self.alias, id=version_id)
            except NotFoundError:
                body = {**doc, **({"status": status, "status_seq": status_seq}
                                  if status is not None else {})}
                try:
                    self.es.create(index=self.alias, id=version_id, document=body)
                    return
                except ConflictError:
                    continue
            source = current["_source"]
            merged = {**source, **doc}
            if status is not None and (source.get("status_seq") is None
                                       or status_seq >= source["status_seq"]):
                merged.update(status=status, status_seq=status_seq)
            if merged == source:
                return
            try:
                self.es.index(index=self.alias, id=version_id, document=merged,
                              if_seq_no=current["_seq_no"],
                              if_primary_term=current["_primary_term"])
                return
            except ConflictError:
                continue
        raise RuntimeError(f"could not update the index entry of {version_id}")

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

    def search(self, user: User, query: SearchQuery) -> SearchResult:
        response = self.es.search(index=self.alias, **build_query(user, query))
        hits = [SearchHit(
            document_id=h["_source"]["document_id"], version_id=h["_source"]["version_id"],
            code=h["_source"]["code"], title=h["_source"]["title"],
            edition=h["_source"]["edition"], revision=h["_source"]["revision"],
            status=h["_source"]["status"], score=h.get("_score"),
            highlights=[f for fragments in h.get("highlight", {}).values() for f in fragments])
            for h in response["hits"]["hits"]]
        facets = {name: {str(b["key"]): b["doc_count"]
                         for b in response["aggregations"][name]["buckets"]}
                  for name in FACETS}
        return SearchResult(total=response["hits"]["total"]["value"], hits=hits, facets=facets)


def permission_filter(user: User) -> dict | None:
    """Confidential versions only for their distribution list, owner department and
    the quality office: part of the query, so totals and facets never count them."""
    if user.has(Role.QMS_ADMIN):
        return None
    return {"bool": {"should": [
        {"term": {"confidential": False}},
        {"term": {"distribution": user.department}},
        {"term": {"owner_department": user.department}},
    ], "minimum_should_match": 1}}


def build_query(user: User, query: SearchQuery) -> dict:
    filters: list[dict] = [f for f in [permission_filter(user)] if f]
    if query.type:
        filters.append({"term": {"type": query.type.value}})
    if query.department:
        filters.append({"term": {"owner_department": query.department}})
    if query.status:
        filters.append({"term": {"status": query.status.value}})
    must_not = [] if (query.all_versions or query.status) else [
        {"terms": {"status": HIDDEN_BY_DEFAULT}}]
    if query.q.strip():
        must = {"simple_query_string": {
            "query": query.q,
            # only folded fields score, so every spelling ranks the same way
            "fields": ["code.text^4", "title.folded^3", "content.folded"],
            "default_operator": "and"}}
    else:
        must = {"match_all": {}}
    return {
        "query": {"bool": {"must": [must], "filter": filters, "must_not": must_not}},
        "highlight": {"encoder": "html", "pre_tags": ["<mark>"], "post_tags": ["</mark>"],
                      "fields": {"content.folded": {}, "title.folded": {}}},
        "aggs": {name: {"terms": {"field": field, "size": 50}} for name, field in FACETS.items()},
        "sort": ["_score", {"created_at": "desc"}, {"version_id": "asc"}],
        "from": (query.page - 1) * query.size,
        "size": query.size,
        "track_total_hits": True,
        "_source": {"excludes": ["content"]},
    }
