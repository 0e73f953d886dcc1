"""The relevance set: judged queries over the demo procedures and a generated corpus,
searched through services/search against the real Elasticsearch. Reports MRR and
nDCG@10; fails below MRR 0.85 (docs/search.md, "Relevance")."""
from __future__ import annotations

import math
import uuid
from pathlib import Path

import pytest
import yaml

from procedura_cli.demo import DEMO
from procedura_cli.docgen import parse_procedure
from services.contracts.models import Role
from services.contracts.search import SearchQuery
from tests.helpers import user
from tests.search.conftest import entry, fresh_index
from devenv.corpus import generated

JUDGEMENTS = Path(__file__).with_name("relevance_judgements.yaml")
MIN_MRR = 0.85
QUALITY_OFFICE = user("SMC", Role.QMS_ADMIN)   # may read every document, confidential ones too


def judged() -> list[dict]:
    return yaml.safe_load(JUDGEMENTS.read_text(encoding="utf-8"))["queries"]


def corpus() -> list[dict]:
    """Index entries of the five demo procedures and the generated ones, all in force."""
    entries = []
    for path in sorted((DEMO / "procedures").glob("*.md")):
        meta = parse_procedure(path).meta
        entries.append(entry(meta["code"], meta["title"], parse_procedure(path).body,
                             owner=meta["owner_department"],
                             distribution=tuple(meta["distribution"]),
                             confidential=bool(meta.get("confidential", False)),
                             process=meta.get("process"), type=meta["type"]))
    for code, title, department, content in generated():
        entries.append(entry(code, title, content, owner=department,
                             distribution=(department,), type=code.split("-")[0]))
    return entries


@pytest.fixture(scope="module")
def index(stack, run_id):
    with fresh_index(f"procedura-{run_id}r-versions") as index:
        for doc in corpus():
            index.upsert(doc["version_id"], doc, status="in_force", status_seq=4)
        index.es.indices.refresh(index=index.alias)
        yield index


def reciprocal_rank(ranking: list[str], relevant: dict[str, int]) -> float:
    return next((1 / rank for rank, code in enumerate(ranking, 1) if code in relevant), 0.0)


def ndcg(ranking: list[str], relevant: dict[str, int], k: int = 10) -> float:
    def dcg(grades):
        return sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(grades[:k]))
    ideal = dcg(sorted(relevant.values(), reverse=True))
    return dcg([relevant.get(code, 0) for code in ranking]) / ideal


def test_metrics_by_hand():
    assert reciprocal_rank(["a", "b"], {"b": 2}) == 0.5
    assert reciprocal_rank(["a"], {"b": 2}) == 0.0
    assert ndcg(["b", "a"], {"b": 2, "a": 1}) == 1.0
    assert 0 < ndcg(["a", "b"], {"b": 2, "a": 1}) < 1


def test_the_judgements_name_documents_of_the_corpus():
    codes = {doc["code"] for doc in corpus()}
    queries = judged()
    assert len(queries) >= 40
    assert len({q["q"] for q in queries}) == len(queries)
    for query in queries:
        assert set(query["relevant"]) <= codes, query["q"]
        assert set(query["relevant"].values()) <= {1, 2} and 2 in query["relevant"].values()


def test_relevance_set_mrr_and_ndcg(index, capsys):
    rows = []
    for query in judged():
        result = index.search(QUALITY_OFFICE, SearchQuery(q=query["q"], size=10))
        ranking = [hit.code for hit in result.hits]
        rows.append((query["q"], reciprocal_rank(ranking, query["relevant"]),
                     ndcg(ranking, query["relevant"]), ranking[:3]))
    mrr = sum(r[1] for r in rows) / len(rows)
    mean_ndcg = sum(r[2] for r in rows) / len(rows)
    misses = [r for r in rows if r[1] < 1 or r[2] < 0.9]
    with capsys.disabled():
        print(f"\nrelevance set: {len(rows)} queries, MRR {mrr:.3f}, nDCG@10 {mean_ndcg:.3f}")
        for q, rr, n, top in misses:
            print(f"  {q!r}: RR {rr:.2f}, nDCG@10 {n:.2f}, top 3 {top}")
    assert mrr >= MIN_MRR, f"MRR {mrr:.3f} < {MIN_MRR}: {misses}"
