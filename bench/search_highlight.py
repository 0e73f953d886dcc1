"""Highlighting cost, A/B in one run: the same versions in two indexes, one with the
current mapping (offsets in the postings of the highlighted sub-fields) and one without
them, the same searches (services/search/query.py, with and without the highlight query)
asked of both, alternately. Elasticsearch `took`, median per query, summed over QUERIES of
bench/search.py.

Run: `.venv/bin/python bench/search_highlight.py --versions 3000`
"""
from __future__ import annotations

import copy
import os
import statistics
import sys
import uuid
from pathlib import Path

from elasticsearch import Elasticsearch, helpers

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.options import int_options  # noqa: E402
from bench.search import ES, QUERIES, corpus  # noqa: E402
from services.contracts.models import Role, User  # noqa: E402
from services.contracts.search import SearchQuery  # noqa: E402
from services.search.adapters.index import index_body  # noqa: E402
from services.search.projections import entry  # noqa: E402
from services.search.query import build_query  # noqa: E402


def without_offsets(body: dict) -> dict:
    body = copy.deepcopy(body)
    for field in ("title", "content"):
        for sub in body["mappings"]["properties"][field]["fields"].values():
            sub.pop("index_options", None)
    return body


def main() -> int:
    args = int_options(__doc__, versions=3000, repeat=7)
    es = Elasticsearch(ES, request_timeout=300)
    versions, texts = corpus(args.versions)
    docs = [{**entry(v.revision, texts[str(v.revision.version_id)], True),
             "status": v.revision.status.value, "status_seq": v.revision.status_seq}
            for v in versions]
    names = {"offsets": f"bench-hl-a-{uuid.uuid4().hex[:6]}",
             "no offsets": f"bench-hl-b-{uuid.uuid4().hex[:6]}"}
    try:
        es.indices.create(index=names["offsets"], **index_body())
        es.indices.create(index=names["no offsets"], **without_offsets(index_body()))
        for name in names.values():
            helpers.bulk(es, ({"_index": name, "_id": d["version_id"], "_source": d}
                              for d in docs), chunk_size=500)
            es.indices.refresh(index=name)
        me = User(username="r", full_name="r", department="DJ", function="",
                  roles=[Role.READER])
        totals: dict[str, float] = {}
        for query in QUERIES:
            body, _ = build_query(me, SearchQuery(**query))
            variants = {"highlight query": body}
            plain = copy.deepcopy(body)
            if "highlight" in plain:
                plain["highlight"].pop("highlight_query", None)
            variants["whole query"] = plain
            nohl = {k: v for k, v in body.items() if k != "highlight"}
            variants["no highlights"] = nohl
            for _ in range(2):                                   # warm
                for name in names.values():
                    for variant in variants.values():
                        es.search(index=name, **variant)
            took: dict[str, list[int]] = {}
            for _ in range(args.repeat):
                for mapping, name in names.items():
                    for label, variant in variants.items():
                        took.setdefault(f"{mapping}, {label}", []).append(
                            es.search(index=name, **variant)["took"])
            for key, values in took.items():
                totals[key] = totals.get(key, 0) + statistics.median(values)
        print(f"{len(versions)} versions, {len(QUERIES)} searches, median of {args.repeat} "
              f"each, load average {os.getloadavg()[0]:.1f}")
        print("| mapping, highlights | sum of the medians of `took` |")
        print("|---|---|")
        for key, value in totals.items():
            print(f"| {key} | {value:.0f} ms |")
        for name in names.values():
            size = es.indices.stats(index=name)["_all"]["primaries"]["store"]["size_in_bytes"]
            print(f"{name}: {size / 1e6:.1f} MB")
    finally:
        for name in names.values():
            es.indices.delete(index=name, ignore_unavailable=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
