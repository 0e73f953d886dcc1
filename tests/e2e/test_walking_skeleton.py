"""The spine of Procedura: upload → MinIO → Tika → Elasticsearch → search;
approval → event → feed. Everything real, through the gateway."""
from __future__ import annotations

import hashlib
import time
import uuid

from devenv.samples import BODY, DOCX  # noqa: F401  (the e2e tests take them from here)
from procedura_cli.docgen import docx_bytes
from tests.helpers import extraction_settled
from tests.testenv import eventually


def register(client, code, owner="DJ", distribution=("DJ", "RP"), confidential=False,
             title="Înregistrarea petițiilor"):
    return client.post("/api/documents", {
        "code": code, "title": title, "type": "PO", "owner_department": owner,
        "distribution": list(distribution), "confidential": confidential})


def unique_code(prefix="PO-DJ"):
    """A code that fits `PO-{department}-{nn}` and no other test's."""
    return f"{prefix}-{uuid.uuid4().int % 10**8:08d}"


def test_upload_is_searchable_and_approval_reaches_the_distribution_list(login):
    author, verifier, approver = (login("ana.popescu"), login("stefan.ionescu"),
                                  login("daniel.balan"))
    document = register(author, unique_code())
    content = docx_bytes("PO petiții", BODY)

    started = time.monotonic()
    version = author.upload(document["id"], "PO petiții.docx", content,
                            "Ediția inițială", DOCX)
    assert (version["edition"], version["revision"]) == (1, 0)
    assert version["status"] == "draft"
    assert version["sha256"] == hashlib.sha256(content).hexdigest()
    assert version["size"] == len(content)
    assert version["media_type"] == DOCX
    assert version["extraction"]["status"] in ("pending", "done")

    # every e2e document shares this body: look among this document's versions, so the
    # hit is not pushed off the first page by the others of the run
    # a draft is not in force: its author finds it among the revisions they work on
    hits = eventually(lambda: [h for h in author.get(
        "/api/search", q="procedura operationala petitiilor", document_id=document["id"],
        scope="work")["hits"] if h["version_id"] == version["id"]], timeout=30)
    found_after = time.monotonic() - started
    assert found_after < 30
    assert author.get("/api/search", q="procedura operationala petitiilor",
                      document_id=document["id"])["total"] == 0
    assert hits[0]["code"] == document["code"]
    assert any("<mark>" in h for h in hits[0]["highlights"])

    # the stored original comes back byte for byte, the text rendition is there
    download = author.request("GET", f"/api/versions/{version['id']}/content")
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == version["sha256"]
    text = author.request("GET", f"/api/versions/{version['id']}/text")
    assert "înregistrare și soluționare a petițiilor" in text.text

    author.act(version["id"], "submit", "Gata de verificare")
    verifier.act(version["id"], "verify", "Conform")
    login("mihai.tudose").act(version["id"], "endorse", "Avizat favorabil")
    approved = approver.act(version["id"], "approve", "Aprob")
    # registered, and in force at once (the effective date defaults to the approval date)
    assert approved["status"] == "in_force"
    assert approved["registry_number"].endswith(f"/{approved['effective_date'][:4]}")

    def feed_item(client):
        return [i for i in client.get("/api/feed")["items"]
                if i["version_id"] == version["id"] and i["kind"] == "version_approved"]

    items = eventually(lambda: feed_item(login("radu.munteanu")), timeout=15)
    assert items[0]["kind"] == "version_approved"
    assert document["code"] in items[0]["message"]
    assert eventually(lambda: feed_item(login("maria.ilie")), timeout=15)  # RP is on the list
    # AUD is not on the distribution list: nothing, even after the DJ items exist
    assert feed_item(login("livia.grigore")) == []
    # the search projection follows the approval and the coming into force
    eventually(lambda: [h for h in author.get("/api/search", q=document["code"])["hits"]
                        if h["version_id"] == version["id"] and h["status"] == "in_force"])


def test_a_second_upload_is_the_next_revision(login):
    author = login("ana.popescu")
    document = register(author, unique_code())
    first = author.upload(document["id"], "a.docx", docx_bytes("a", BODY), "", DOCX)
    second = author.upload(document["id"], "b.docx", docx_bytes("b", BODY + "\nRevizie."),
                           "Revizia 1", DOCX)
    assert (first["revision"], second["revision"]) == (0, 1)
    history = author.get(f"/api/documents/{document['id']}/versions")["items"]
    assert [v["id"] for v in history] == [second["id"], first["id"]]
    assert author.get(f"/api/documents/{document['id']}")["current_version_id"] == second["id"]


def test_pdf_and_odt_are_extracted(login):
    from procedura_cli.docgen import odt_bytes, pdf_bytes

    author = login("ana.popescu")
    document = register(author, unique_code())
    for name, data, media in (("p.pdf", pdf_bytes("p", BODY), "application/pdf"),
                              ("p.odt", odt_bytes("p", BODY),
                               "application/vnd.oasis.opendocument.text")):
        version = author.upload(document["id"], name, data, "", media)
        done = extraction_settled(author, version["id"])
        assert done["extraction"]["status"] == "done", done["extraction"]
        assert done["media_type"] == media
        text = author.request("GET", f"/api/versions/{version['id']}/text").text
        assert "petițiilor" in text
