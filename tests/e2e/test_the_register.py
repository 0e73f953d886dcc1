"""The register through the gateway: changing a document's record (and who then finds
it), archive and disposal, immutable and verified originals, and PS-SMC-01 through
the whole chain with the demo roles.

(Named to run after test_search.py: disposal and record changes rewrite index entries,
and the deleted copies shift Elasticsearch's scoring statistics until segments merge,
while test_search compares the order of hits before and after a reindex.)"""
from __future__ import annotations

import io
import time
import uuid

import psycopg2
import pytest
import requests
from minio import Minio

from procedura_cli.client import ApiError
from procedura_cli.demo import load_procedures
from procedura_cli.docgen import docx_bytes
from services.gateway.downloads import PREFETCH
from tests.e2e.test_walking_skeleton import BODY, DOCX, register, unique_code
from tests.helpers import extraction_settled
from tests import testenv
from tests.testenv import eventually


def patch(client, document_id, body, expect=200):
    response = client.request("PATCH", f"/api/documents/{document_id}", json=body)
    assert response.status_code == expect, response.text
    return response.json()


def minio() -> Minio:
    return testenv.minio_admin()


def found(client, q) -> list[str]:
    return [h["document_id"] for h in client.get("/api/search", q=q, all_versions="true")["hits"]]


def approved(login, document, author="ana.popescu", verifier="stefan.ionescu", body=BODY,
             filename="p.docx"):
    """A new revision of `document`, through the chain and in force."""
    version = login(author).upload(document["id"], filename, docx_bytes("p", body), "", DOCX)
    login(author).act(version["id"], "submit")
    login(verifier).act(version["id"], "verify")
    login("mihai.tudose").act(version["id"], "endorse")
    assert login("daniel.balan").act(version["id"], "approve")["status"] == "in_force"
    return version


def test_a_distribution_change_takes_the_confidential_document_from_a_department(login):
    auditor, outsider, quality = (login("livia.grigore"), login("radu.munteanu"),
                                  login("elena.dumitrascu"))
    word = f"misiunezq{uuid.uuid4().hex[:8]}"
    # like PO-AUD-01, as a work instruction (the demo's PO-AUD codes stay the demo's)
    document = auditor.post("/api/documents", {
        "code": unique_code("IL-AUD"), "title": "Desfășurarea misiunilor de audit public",
        "type": "IL", "owner_department": "AUD", "distribution": ["AUD", "DJ"],
        "confidential": True})
    version = auditor.upload(document["id"], "audit.docx",
                             docx_bytes("audit", BODY + f"\nCuvânt de control: {word}.\n"), "",
                             DOCX)
    extraction_settled(auditor, version["id"])
    eventually(lambda: document["id"] in found(outsider, word), timeout=30)

    changed = patch(quality, document["id"], {"distribution": ["AUD"], "scim_standard": 10})
    assert changed["distribution"] == ["AUD"] and changed["scim_standard"] == 10
    started = time.monotonic()
    eventually(lambda: document["id"] not in found(outsider, word), timeout=5)
    assert time.monotonic() - started < 5
    assert outsider.request("GET", f"/api/documents/{document['id']}").status_code == 404
    assert document["id"] in found(auditor, word)              # the owner still finds it

    patch(quality, document["id"], {"title": "Planificarea auditurilor interne trimestriale"})
    eventually(lambda: document["id"] in found(auditor, "trimestriale"), timeout=5)
    hit = auditor.get("/api/search", q="trimestriale", scope="work")["hits"][0]
    assert hit["title"] == "Planificarea auditurilor interne trimestriale"

    trail = quality.get("/api/audit", document_id=document["id"])["items"]
    update = [e for e in trail if e["action"] == "update"][0]
    assert update["actor"] == "elena.dumitrascu"
    assert update["details"]["distribution"] == {"from": ["AUD", "DJ"], "to": ["AUD"]}


def test_bad_changes_are_refused_naming_what_was_wrong(login):
    author, head = login("ana.popescu"), login("stefan.ionescu")
    document = register(author, unique_code())
    for body, status, field in (({"distribution": ["DJ", "NUEXISTA"]}, 422, "distribution"),
                                ({"scim_standard": 17}, 422, "scim_standard"),
                                ({"issuer": "Guvernul României"}, 422, "issuer"),
                                ({"code": "PO-DJ-99"}, 422, "code"),
                                ({"title": None}, 422, "title"),
                                ({"retention_class": "99y"}, 422, "retention_class"),
                                ({"links": [{"relation": "form",
                                             "document_id": str(uuid.uuid4())}]}, 422, "links"),
                                ({}, 422, "body")):
        error = patch(head, document["id"], body, status)["error"]
        details = error["details"]
        named = details.get("field") or details["fields"][0]["field"]
        assert named == field, (body, error)
    assert patch(author, document["id"], {"title": "Alt titlu"}, 403)["error"]["code"] == \
        "forbidden"                                            # an author is not the head
    assert patch(head, str(uuid.uuid4()), {"title": "Alt titlu"}, 404)
    # an external document needs its origin from the start
    quality = login("elena.dumitrascu")
    with pytest.raises(ApiError) as raised:
        quality.post("/api/documents", {"code": f"EXT-{uuid.uuid4().hex[:8]}",
                                        "title": "Legea nr. 554/2004", "type": "extern",
                                        "owner_department": "DJ", "issuer": "Parlamentul"})
    assert raised.value.status == 422
    assert raised.value.error["details"]["field"] == "external_reference"
    extern = quality.post("/api/documents", {
        "code": f"EXT-{uuid.uuid4().hex[:8]}", "title": "Legea nr. 554/2004",
        "type": "extern", "owner_department": "DJ", "issuer": "Parlamentul României",
        "external_reference": "Legea 554/2004", "validity_date": "2030-12-31",
        "links": [{"relation": "reference", "document_id": document["id"]}]})
    assert (extern["retention_class"], extern["validity_date"]) == ("5y", "2030-12-31")
    assert extern["links"] == [{"relation": "reference", "document_id": document["id"]}]


def test_archive_and_disposal_after_the_retention_period(login, environment):
    quality, author = login("elena.dumitrascu"), login("ana.popescu")
    word = f"dosarzq{uuid.uuid4().hex[:8]}"
    document = register(author, unique_code())
    first = approved(login, document, body=BODY + f"\n{word}\n")
    second = approved(login, document, body=BODY + f"\n{word} revizuit\n", filename="p2.docx")
    assert author.get(f"/api/versions/{first['id']}")["status"] == "superseded"
    eventually(lambda: document["id"] in found(author, word), timeout=30)

    for version in (first, second):     # approved originals are held: disposal lifts it
        eventually(lambda: author.get(f"/api/versions/{version['id']}")["legal_hold"],
                   timeout=15)
    with pytest.raises(ApiError) as raised:                     # in force: not yet
        quality.post(f"/api/versions/{second['id']}/archive", {})
    assert raised.value.status == 409 and raised.value.error["details"]["status"] == "in_force"
    with pytest.raises(ApiError) as raised:
        login("stefan.ionescu").post(f"/api/versions/{first['id']}/archive", {})
    assert raised.value.status == 403
    assert quality.post(f"/api/versions/{first['id']}/archive",
                        {"comment": "Dosar I-A-1"})["status"] == "archived"
    quality.post(f"/api/versions/{second['id']}/withdraw", {"comment": "Abrogată prin HCL"})
    quality.post(f"/api/versions/{second['id']}/archive", {})

    with pytest.raises(ApiError) as raised:                     # 10 years to go
        quality.post(f"/api/documents/{document['id']}/dispose", {"reason": "Decizia 5"})
    assert raised.value.status == 409
    possible = raised.value.error["details"]["disposal_possible_from"]
    assert int(possible[:4]) == time.gmtime().tm_year + 10
    assert quality.get(f"/api/documents/{document['id']}/disposal") == {
        "disposal_possible_from": possible}

    # ten years pass: the archive dates move back (the only way to wait in a test)
    with psycopg2.connect(environment.database_url) as conn, conn.cursor() as cur:
        cur.execute("""UPDATE documents.revisions SET archived_at = archived_at
                       - interval '10 years 1 day' WHERE document_id = %s""", (document["id"],))
    with pytest.raises(ApiError) as raised:                     # a decision needs its reason
        quality.post(f"/api/documents/{document['id']}/dispose", {"reason": ""})
    assert raised.value.status == 422
    with pytest.raises(ApiError) as raised:
        author.post(f"/api/documents/{document['id']}/dispose", {"reason": "x"})
    assert raised.value.status == 403
    disposed = quality.post(f"/api/documents/{document['id']}/dispose",
                            {"reason": "Decizia comisiei de selecționare nr. 5"})
    assert disposed["disposed_at"] and disposed["status"] == "disposed"

    # the content is gone from MinIO, every version of it; the record and the trail stay
    prefix = f"originals/{document['id']}/"
    assert list(minio().list_objects(environment.bucket, prefix=prefix, recursive=True,
                                     include_version=True)) == []
    assert list(minio().list_objects(environment.bucket, prefix=f"texts/{document['id']}/",
                                     recursive=True, include_version=True)) == []
    for version in (first, second):
        gone = author.get(f"/api/versions/{version['id']}")
        assert gone["status"] == "disposed" and gone["disposed_at"] and not gone["legal_hold"]
        response = author.request("GET", f"/api/versions/{version['id']}/content")
        assert response.status_code == 404 and "disposed" in response.text
    assert author.get(f"/api/documents/{document['id']}")["code"] == document["code"]
    actions = [e["action"] for e in quality.get("/api/audit",
                                                document_id=document["id"])["items"]]
    assert actions[0] == "register" and actions[-1] == "dispose"
    # and the search index no longer holds its text
    eventually(lambda: document["id"] not in found(author, word), timeout=10)
    with pytest.raises(ApiError) as raised:                     # nothing more goes in
        author.upload(document["id"], "p3.docx", docx_bytes("p", BODY), "", DOCX)
    assert raised.value.status == 409


def test_approved_originals_are_held_and_every_download_is_checked(login, environment):
    author = login("ana.popescu")
    document = register(author, unique_code())
    version = approved(login, document, body=BODY, filename="original.docx")
    key = f"originals/{document['id']}/{version['id']}/original.docx"
    stored = eventually(lambda: (lambda v: v if v["legal_hold"] else None)(
        author.get(f"/api/versions/{version['id']}")), timeout=15)
    assert stored["object_version_id"]
    client = minio()
    with pytest.raises(Exception) as raised:      # the held version cannot be deleted
        client.remove_object(environment.bucket, key, version_id=stored["object_version_id"])
    assert "InvalidRequest" in str(raised.value) or "lock" in str(raised.value).lower()

    # nor can anyone delete or replace it through the API
    for method, path in (("DELETE", f"/api/versions/{version['id']}"),
                         ("PUT", f"/api/versions/{version['id']}/content")):
        response = author.request(method, path, data=b"altered")
        assert response.status_code == 409, response.text
        error = response.json()["error"]
        assert error["details"]["status"] == "in_force" and error["details"]["legal_hold"]
        assert "withdraw" in error["details"]["allowed_actions"]
    assert author.request("DELETE", f"/api/versions/{uuid.uuid4()}").status_code == 404

    # someone overwrites the object behind Procedura's back: the download still gives
    # exactly the approved bytes (the recorded object version), checked against sha256
    client.put_object(environment.bucket, key, io.BytesIO(b"altered"), 7)
    download = author.request("GET", f"/api/versions/{version['id']}/content")
    assert download.status_code == 200
    import hashlib
    assert hashlib.sha256(download.content).hexdigest() == version["sha256"]
    assert download.headers["X-Content-SHA256"] == version["sha256"]

    # a manifest without its object version (stored before they were recorded) reads the
    # latest object: the altered bytes never arrive as a complete download
    with psycopg2.connect(environment.database_url) as conn, conn.cursor() as cur:
        cur.execute("UPDATE versioning.versions SET object_version_id = NULL WHERE id = %s",
                    (version["id"],))
    response = author.request("GET", f"/api/versions/{version['id']}/content")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "integrity_check_failed"
    assert alarms(environment, version["id"]) == [(version["sha256"], 7)]

    # a large original streams as it is read: altered bytes cut the stream short
    # (words no other test searches for: this version stays in the shared index)
    lines = "".join(f"Linia {i:05d} zqxintegr wvkcontrol qjhverif.\n"
                    for i in range(9_000)).encode()
    big = author.upload(document["id"], "mare.txt", lines, "", "text/plain")
    assert big["size"] == len(lines) > PREFETCH   # streamed, not checked whole first
    download = author.request("GET", f"/api/versions/{big['id']}/content")
    assert download.status_code == 200 and download.content == lines
    altered = lines.replace(b"Linia 08999", b"Linia 99999")
    assert len(altered) == len(lines) and altered != lines
    key = f"originals/{document['id']}/{big['id']}/mare.txt"
    client.put_object(environment.bucket, key, io.BytesIO(altered), len(altered))
    with psycopg2.connect(environment.database_url) as conn, conn.cursor() as cur:
        cur.execute("UPDATE versioning.versions SET object_version_id = NULL WHERE id = %s",
                    (big["id"],))
    response = author.request("GET", f"/api/versions/{big['id']}/content", stream=True)
    assert response.status_code == 200        # the headers left before the end was read
    assert int(response.headers["Content-Length"]) == len(lines)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        response.content                      # the stream ends short of Content-Length
    assert eventually(lambda: alarms(environment, big["id"]), timeout=10) == [
        (big["sha256"], len(altered))]


def alarms(environment, version_id):
    with psycopg2.connect(environment.database_url) as conn, conn.cursor() as cur:
        cur.execute("""SELECT expected, size FROM versioning.integrity_alarms
                       WHERE version_id = %s ORDER BY id""", (version_id,))
        return cur.fetchall()


def test_ps_smc_01_goes_through_the_whole_chain_with_the_demo_roles(gateway, org, login):
    load_procedures(gateway, org)
    quality = login("elena.dumitrascu")
    document = next(d for d in quality.get("/api/documents")["items"]
                    if d["code"] == "PS-SMC-01")
    version_id = document["current_version_id"]
    assert quality.get(f"/api/versions/{version_id}")["status"] == "draft"

    quality.act(version_id, "submit", "Propunere de revizie")            # SMC author
    with pytest.raises(ApiError) as raised:          # the author may not verify her own
        quality.act(version_id, "verify")
    assert raised.value.status == 403
    head = login("carmen.vasilescu")                                      # head of SMC
    assert head.act(version_id, "verify", "Conform")["status"] == "in_endorsement"
    login("stefan.ionescu").post(f"/api/versions/{version_id}/opinion",
                                 {"favourable": True, "comment": "Fără observații"})
    login("maria.ilie").post(f"/api/versions/{version_id}/opinion", {"favourable": True})
    login("mihai.tudose").act(version_id, "endorse", "Avizat")
    final = login("daniel.balan").act(version_id, "approve", "Aprob")
    assert final["status"] == "in_force" and final["registry_number"]

    signatures = quality.get(f"/api/versions/{version_id}/signatures")["items"]
    assert [(s["step"], s["signer"], s["function"]) for s in signatures] == [
        ("submit", "elena.dumitrascu", "Responsabil SMC"),
        ("verify", "carmen.vasilescu", "Șef compartiment"),
        ("opinion", "stefan.ionescu", "Director executiv"),
        ("opinion", "maria.ilie", "Șef serviciu"),
        ("endorse", "mihai.tudose", "Președinte comisie monitorizare"),
        ("approve", "daniel.balan", "Primar"),
    ]


def store_client(environment):
    """MinIO as the versioning service reaches it (this run's settings)."""
    from services.common.settings import Settings
    from services.versioning.adapters.storage import make_client

    return make_client(Settings.from_config(environment.config()).minio)


def test_the_web_download_is_the_checked_one(login, environment, gateway):
    from tests.e2e.test_web_interface import web_login

    author = login("ana.popescu")
    document = register(author, unique_code())
    content = docx_bytes("p", BODY)
    version = author.upload(document["id"], "web.docx", content, "", DOCX)
    page, answer = web_login(gateway, "ana.popescu", "demo-dj")
    assert answer.status_code == 303
    url = f"{gateway}/versions/{version['id']}/download"
    key = f"originals/{document['id']}/{version['id']}/web.docx"
    store_client(environment).put_object(environment.bucket, key, io.BytesIO(b"altered"), 7)
    # written over behind Procedura's back: the page still gives the stored bytes
    download = page.get(url, timeout=30)
    assert download.status_code == 200 and download.content == content
    assert download.headers["X-Content-SHA256"] == version["sha256"]
    # and bytes that do not hash to the manifest are refused, as by the API
    with psycopg2.connect(environment.database_url) as conn, conn.cursor() as cur:
        cur.execute("UPDATE versioning.versions SET object_version_id = NULL WHERE id = %s",
                    (version["id"],))
    conn.close()
    refused = page.get(url, timeout=30)
    assert refused.status_code == 500, refused.status_code
    assert refused.json()["error"]["code"] == "integrity_check_failed"
    assert b"altered" not in refused.content
    assert alarms(environment, version["id"]) == [(version["sha256"], 7)]


def test_extraction_and_restore_read_the_pinned_object_version(login, environment, services):
    from tests.e2e.test_document_control import approve_fully

    author = login("ana.popescu")
    document = register(author, unique_code())
    minio = store_client(environment)
    # extraction: the worker is away while the stored original is written over
    services.stop("extraction")
    try:
        version = author.upload(document["id"], "fixat.docx",
                                docx_bytes("p", BODY + "\nCuvântul zqxfixat.\n"), "", DOCX)
        minio.put_object(environment.bucket,
                         f"originals/{document['id']}/{version['id']}/fixat.docx",
                         io.BytesIO(altered := docx_bytes("a", "Cuvântul zqxschimbat.\n")),
                         len(altered))
    finally:
        services.up()
    assert extraction_settled(author, version["id"], timeout=90)["extraction"]["status"] == "done"
    text = author.request("GET", f"/api/versions/{version['id']}/text").text
    assert "zqxfixat" in text and "zqxschimbat" not in text

    # restore: a superseded version comes back as the bytes it was stored with
    approve_fully(login, version["id"])
    newer = author.upload(document["id"], "nou.docx", docx_bytes("n", BODY), "", DOCX)
    approve_fully(login, newer["id"])
    restored = author.post(f"/api/documents/{document['id']}/restore",
                           {"version_id": version["id"]})
    assert restored["sha256"] == version["sha256"] and restored["size"] == version["size"]
