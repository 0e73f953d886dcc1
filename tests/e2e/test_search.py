"""Search through the gateway, over the demo procedures: permissions inside the query,
facets, history, suggest and bad input. The demo procedures are drafts, out of the
default (in force) scope: these searches ask for `scope=all`."""
from __future__ import annotations

import argparse
import uuid

import pytest
from elasticsearch import Elasticsearch

from procedura_cli import search_cli

from procedura_cli.demo import load_procedures
from procedura_cli.docgen import docx_bytes
from tests.e2e.test_walking_skeleton import BODY, DOCX, register, unique_code
from tests.helpers import extraction_settled
from tests.testenv import eventually


@pytest.fixture(scope="module")
def demo(gateway, org, login, settled):
    """The five demo procedures, extracted, rendered and indexed, with no earlier test's
    upload still changing the index."""
    load_procedures(gateway, org)
    for code, who in (("PO-AUD-01", "livia.grigore"), ("PO-RP-02", "radu.munteanu"),
                      ("PS-SMC-01", "radu.munteanu")):
        eventually(lambda: [h for h in login(who).get("/api/search", q=code, scope="all")["hits"]
                            if h["code"] == code], timeout=60)
    # the text of PO-AUD-01 is indexed too, not only its code
    eventually(lambda: login("livia.grigore").get("/api/search", q="FIAP", scope="all")["total"],
               timeout=60)
    settled()


def test_the_confidential_demo_procedure_is_invisible_to_outsiders(demo, login):
    outsider, insider = login("radu.munteanu"), login("livia.grigore")   # DJ, AUD
    for q in ("FIAP", "PO-AUD-01", "PO-AUD", "auditorii misiunea", '"plan de acțiune"'):
        for scope in ("in_force", "work", "all"):
            result = outsider.get("/api/search", q=q, scope=scope)
            assert (result["total"], result["hits"]) == (0, []), q
            assert all(c == {} for c in result["facets"].values()), (q, result["facets"])
        assert insider.get("/api/search", q=q, scope="all")["total"] >= 1, q
        # the author of PO-AUD-01 works on its draft
        assert insider.get("/api/search", q=q, scope="work")["total"] >= 1, q
    facets = outsider.get("/api/search", q="", scope="all")["facets"]
    assert "AUD" not in facets["department"] and "Audit public intern" not in facets["process"]
    assert "RP" in facets["department"]
    assert "Audit public intern" in login("elena.dumitrascu").get(
        "/api/search", q="", scope="all")["facets"]["process"]          # the quality office
    for scope in ("in_force", "all"):
        assert outsider.get("/api/search/suggest", q="PO-AUD", scope=scope)["items"] == []
    assert [s["code"] for s in insider.get("/api/search/suggest", q="PO-AUD",
                                           scope="all")["items"]] == ["PO-AUD-01"]
    # a word PO-AUD-01 shares with public procedures: counted and highlighted without it
    audit = outsider.get("/api/search", q="audit", size=100, scope="all")
    assert audit["total"] == len(audit["hits"]) and "PO-AUD-01" not in \
        [h["code"] for h in audit["hits"]]
    assert not any("FIAP" in f for h in audit["hits"] for f in h["highlights"])


def test_spellings_facets_and_suggest_over_the_demo(demo, login):
    reader = login("radu.munteanu")
    orders = [[h["version_id"] for h in reader.get("/api/search", q=q, scope="all")["hits"]]
              for q in ("petitiilor", "petițiilor", "petiţiilor")]
    assert orders[0] and orders[0] == orders[1] == orders[2]
    result = reader.get("/api/search", q="procedura", scope="all")
    assert {"type", "department", "process", "status", "year"} <= set(result["facets"])
    hit = result["hits"][0]
    assert {"edition", "revision", "status", "code", "title", "highlights"} <= set(hit)
    assert [s["code"] for s in reader.get("/api/search/suggest", q="po-rp",
                                          scope="all")["items"]] == ["PO-RP-02"]
    # drafts are not in force: out of the default results and suggestions
    assert "PO-RP-02" not in [h["code"] for h in reader.get("/api/search", q="petitiilor",
                                                            size=100)["hits"]]
    assert "PO-RP-02" not in [s["code"] for s in reader.get("/api/search/suggest",
                                                            q="po-rp")["items"]]


def test_history_of_one_document(login):
    author = login("ana.popescu")
    document = register(author, unique_code())
    first = author.upload(document["id"], "a.docx", docx_bytes("a", BODY), "", DOCX)
    second = author.upload(document["id"], "b.docx",
                           docx_bytes("b", BODY + "\nRevizie privind arhivarea."), "", DOCX)
    extraction_settled(author, first["id"]), extraction_settled(author, second["id"])

    def history():
        hits = author.get("/api/search", q="petitiilor", document_id=document["id"],
                          all_versions="true", sort="date")["hits"]
        return hits if len(hits) == 2 else None
    hits = eventually(history, timeout=30)
    assert [(h["edition"], h["revision"], h["status"]) for h in hits] == [
        (1, 1, "draft"), (1, 0, "draft")]
    assert {h["document_id"] for h in hits} == {document["id"]}


def test_bad_search_input_is_an_answer_or_a_422_never_a_500(demo, login):
    client = login("radu.munteanu")

    def status(path="/api/search", **params):
        return client.request("GET", path, params=params).status_code

    for q in ("petiţii " * 125, '"registrul de intrare', r'\ / : ( ) [ ] { } ^ ~ * ? "',
              "title:x AND (y OR", "-", '""', "ș" * 300):
        assert status(q=q) == 200, q
        assert status("/api/search/suggest", q=q[:200]) == 200, q
    empty = client.get("/api/search", q="")
    assert (empty["total"], empty["hits"]) == (0, []) and "department" in empty["facets"]
    total = client.get("/api/search", q="procedura", scope="all")["total"]
    assert total > 0
    for page, size in ((total + 1, 1), (1000, 100)):
        beyond = client.get("/api/search", q="procedura", page=page, size=size, scope="all")
        assert (beyond["hits"], beyond["total"]) == ([], total)
    assert status(q="x" * 1001) == 422
    assert status(q="x", size=101) == 422
    assert status(q="x", size=0) == 422
    assert status(q="x", page=0) == 422
    assert status(q="x", sort="random") == 422
    assert status(q="x", scope="mine") == 422
    assert status("/api/search/suggest", q="x", scope="mine") == 422
    assert status(q="x", document_id="not-a-uuid") == 422
    assert status(q="x", unknown="1") == 422
    assert status("/api/search/suggest", q="x" * 201) == 422
    assert client.get("/api/search/suggest", q="")["items"] == []


def procedura_search(environment, monkeypatch, *argv: str) -> int:
    """`procedura search …` against this test environment."""
    for key, value in environment.env.items():
        monkeypatch.setenv(key, value)
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default="config/procedura.yaml")
    search_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["search", *argv])
    return args.func(args)


def test_reindex_swaps_the_alias_while_searches_keep_answering_and_verify_finds_drift(
        demo, login, environment, settled, monkeypatch, capsys):
    from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy

    from services.search.adapters.index import VersionIndex
    from services.search.rebuild import RpcSource, reindex, verify

    reader = login("radu.munteanu")
    index = VersionIndex(environment.elasticsearch_url, environment.index)
    es: Elasticsearch = index.es
    with ClusterRpcProxy(environment.config(), timeout=60) as rpc:
        source = RpcSource(rpc.documents, rpc.versioning)
        settled()
        # BM25 counts the deleted copies of re-indexed entries until their segments merge,
        # and the rebuilt index has none: merged away first, the same entries, mapping and
        # shards must rank the same way in both
        es.indices.forcemerge(index=index.alias, max_num_segments=1)
        es.indices.refresh(index=index.alias)
        before = reader.get("/api/search", q="procedura", size=100, scope="all")
        old = set(es.indices.get_alias(name=index.alias))

        answers = []

        def search_between_batches(done, total):
            answers.append(reader.get("/api/search", q="procedura", size=100,
                                      scope="all")["total"])
        name, count, _ = reindex(index, source, batch=2, progress=search_between_batches)
        assert count >= 5 and len(answers) >= 3
        assert set(answers) == {before["total"]}     # every search mid-build answered in full
        assert set(es.indices.get_alias(name=index.alias)) == {name} and name not in old
        assert not any(es.indices.exists(index=o) for o in old)
        after = reader.get("/api/search", q="procedura", size=100, scope="all")
        assert [h["version_id"] for h in after["hits"]] == \
            [h["version_id"] for h in before["hits"]]
        assert verify(index, source).clean

    # drift: one entry lost, one changed behind the projection's back, one unknown
    victim, changed = before["hits"][0]["version_id"], before["hits"][1]["version_id"]
    es.delete(index=index.alias, id=victim)
    es.update(index=index.alias, id=changed, doc={"title": "Titlu vechi", "status_seq": 99})
    stranger = str(uuid.uuid4())
    es.index(index=index.alias, id=stranger, document={"version_id": stranger, "code": "X-1"})
    es.indices.refresh(index=index.alias)
    capsys.readouterr()
    assert procedura_search(environment, monkeypatch, "verify") == 1
    out = capsys.readouterr().out
    assert f"missing  {victim}" in out and f"orphan   {stranger}" in out
    assert f"stale    {changed}  (title, status_seq)" in out

    # the command line rebuilds (the stranger is not in the source: gone with the old index)
    assert procedura_search(environment, monkeypatch, "reindex") == 0
    assert procedura_search(environment, monkeypatch, "verify") == 0
    assert victim in [h["version_id"] for h in
                      reader.get("/api/search", q="procedura", size=100,
                                 scope="all")["hits"]]


def test_scope_work_finds_what_waits_for_each_signer(login):
    """`scope=work` follows the signing inbox: the head of the owner department finds a
    revision once it waits for verification; a department on the distribution list once
    it waits for their opinion; nobody else."""
    author, head = login("ana.popescu"), login("stefan.ionescu")      # DJ
    word = f"semnare{uuid.uuid4().hex[:8]}"
    document = register(author, unique_code(), distribution=("DJ", "RP"))
    version = author.upload(document["id"], "p.docx",
                            docx_bytes("p", BODY + f"\nCuvânt de control: {word}.\n"), "", DOCX)
    extraction_settled(author, version["id"])

    def work(who):
        return [h["version_id"] for h in
                login(who).get("/api/search", q=word, scope="work")["hits"]]

    eventually(lambda: work("ana.popescu") == [version["id"]], timeout=30)  # the author's draft
    assert work("stefan.ionescu") == [] and work("maria.ilie") == []   # waits for nobody
    author.act(version["id"], "submit")
    eventually(lambda: work("stefan.ionescu") == [version["id"]], timeout=10)
    assert work("maria.ilie") == []              # the head of RP does not verify DJ's work
    head.act(version["id"], "verify", "Conform")
    eventually(lambda: work("maria.ilie") == [version["id"]], timeout=10)   # RP's opinion
