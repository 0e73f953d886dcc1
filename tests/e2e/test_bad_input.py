"""Bad input gets a clear error naming what was wrong, and loses nothing."""
from __future__ import annotations

import os
import uuid

import pytest

from procedura_cli.client import ApiError, Client
from procedura_cli.docgen import (
    docx_bytes, encrypted_docx_bytes, truncated_pdf_bytes)
from tests.e2e.test_walking_skeleton import BODY, DOCX, register, unique_code
from tests.helpers import extraction_settled


def error_of(response):
    body = response.json()
    assert set(body) == {"error"} and {"code", "message", "details"} <= set(body["error"])
    return body["error"]


@pytest.fixture
def document(login):
    return register(login("ana.popescu"), unique_code())


def test_no_or_invalid_token_is_401(gateway):
    anonymous = Client(gateway)
    assert anonymous.request("GET", "/api/documents").status_code == 401
    forged = Client(gateway, token="not-a-token")
    response = forged.request("GET", "/api/documents")
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"
    assert anonymous.request("POST", "/api/auth/token",
                             json={"username": "ana.popescu", "password": "wrong"}
                             ).status_code == 401


def test_unknown_ids_are_404(login):
    client = login("ana.popescu")
    for path in (f"/api/documents/{uuid.uuid4()}", "/api/documents/not-a-uuid",
                 f"/api/versions/{uuid.uuid4()}", f"/api/versions/{uuid.uuid4()}/content",
                 "/api/no-such-endpoint"):
        response = client.request("GET", path)
        assert response.status_code == 404, path
        assert error_of(response)["code"] == "not_found"
    assert client.request("POST", f"/api/versions/{uuid.uuid4()}/approve",
                          json={}).status_code == 404


def test_malformed_json_and_invalid_fields_are_422_naming_the_field(login):
    client = login("ana.popescu")
    response = client.request("POST", "/api/documents", data=b"{not json",
                              headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert error_of(response)["details"]["field"] == "body"

    response = client.request("POST", "/api/documents", json={
        "code": unique_code(), "title": "Titlu valid", "type": "NOT-A-TYPE",
        "owner_department": "DJ"})
    assert response.status_code == 422
    fields = [f["field"] for f in error_of(response)["details"]["fields"]]
    assert fields == ["type"]

    response = client.request("POST", "/api/documents", json={
        "code": unique_code(), "title": "Titlu valid", "type": "PO",
        "owner_department": "DJ", "distribution": ["NOPE"]})
    assert response.status_code == 422
    assert error_of(response)["details"]["field"] == "distribution"


def test_duplicate_code_is_409(login, document):
    with pytest.raises(ApiError) as raised:
        register(login("ana.popescu"), document["code"])
    assert raised.value.status == 409
    assert raised.value.error["details"]["field"] == "code"


def test_wrong_role_is_403_and_wrong_state_is_409(login, document):
    author = login("ana.popescu")
    version = author.upload(document["id"], "p.docx", docx_bytes("p", BODY), "", DOCX)
    with pytest.raises(ApiError) as raised:       # an approver cannot verify
        login("daniel.balan").act(version["id"], "verify")
    assert raised.value.status == 403
    with pytest.raises(ApiError) as raised:       # a verifier of another department
        login("maria.ilie").act(version["id"], "submit")
    assert raised.value.status == 403
    with pytest.raises(ApiError) as raised:       # nothing to approve yet: still a draft
        login("daniel.balan").act(version["id"], "approve")
    assert raised.value.status == 409
    with pytest.raises(ApiError) as raised:       # another department may not upload
        login("andrei.nistor").upload(document["id"], "x.docx", docx_bytes("x", BODY), "",
                                      DOCX)
    assert raised.value.status == 403
    author.act(version["id"], "submit")
    with pytest.raises(ApiError) as raised:       # submitted twice
        author.act(version["id"], "submit")
    assert raised.value.status == 409
    # the chain is intact after every refusal
    assert author.get(f"/api/versions/{version['id']}")["status"] == "in_verification"


def test_an_oversized_file_is_413(login, document, environment):
    author = login("ana.popescu")
    with pytest.raises(ApiError) as raised:
        author.upload(document["id"], "p.docx", os.urandom(environment.upload_limit + 1), "",
                      DOCX)
    assert raised.value.status == 413
    assert raised.value.error["details"]["field"] == "file"
    assert author.get(f"/api/documents/{document['id']}/versions")["items"] == []


def test_a_media_type_tika_cannot_read_is_415(login, document):
    author = login("ana.popescu")
    with pytest.raises(ApiError) as raised:
        author.upload(document["id"], "date.bin", os.urandom(4096), "")
    assert raised.value.status == 415
    assert raised.value.error["details"]["media_type"] == "application/octet-stream"
    assert author.get(f"/api/documents/{document['id']}/versions")["items"] == []


def test_a_filename_with_path_parts_is_sanitised(login, document):
    author = login("ana.popescu")
    version = author.upload(document["id"], "../../etc/Procedură\x07 nouă.docx",
                            docx_bytes("p", BODY), "", DOCX)
    assert version["filename"] == "Procedură nouă.docx"      # the control character gone
    download = author.request("GET", f"/api/versions/{version['id']}/content")
    assert "Procedur%C4%83%20nou%C4%83.docx" in download.headers["Content-Disposition"]


def test_names_and_notes_lose_right_to_left_overrides_and_terminal_escapes(login, document):
    author = login("ana.popescu")
    version = author.upload(
        document["id"], "factura\u202excod.docx", docx_bytes("p", BODY),
        "Motiv\x1b]0;terminal preluat\x07: \x1b[31mroșu\x1b[0m\u2066",
        DOCX, component_revised="Cap.\u202e 2", how_revised="Înlocuit\x9b2J")
    assert version["filename"] == "facturaxcod.docx"
    assert version["change_summary"] == "Motiv: roșu"
    assert (version["component_revised"], version["how_revised"]) == ("Cap. 2",
                                                                      "Înlocuit2J")
    head = login("stefan.ionescu")                       # head of the owner department
    changed = head.request("PATCH", f"/api/documents/{document['id']}",
                           json={"title": "Titlu \u202enou\x1b[2J"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["title"] == "Titlu nou"


def staged_and_stored(environment) -> set[tuple[str, str]]:
    """Every object of this run's buckets, as (bucket, key)."""
    from services.common.settings import Settings
    from services.versioning.adapters.storage import make_client

    minio = make_client(Settings.from_config(environment.config()).minio)
    return {(bucket, o.object_name)
            for bucket in (environment.bucket, f"{environment.bucket}-staging")
            for o in minio.list_objects(bucket, recursive=True)}


def uploaded(environment) -> set[tuple[str, str]]:
    """The objects of this run's buckets an upload could leave: not the renditions, which
    the rendition worker writes for earlier tests' versions meanwhile."""
    return {(bucket, key) for bucket, key in staged_and_stored(environment)
            if not key.startswith("renditions/")}


@pytest.mark.parametrize("fields,filename,field", [
    ({"change_summary": "Ediția\x00 a doua"}, "p.docx", "change_summary"),
    ({"component_revised": "\x00"}, "p.docx", "component_revised"),
    ({"change_summary": "ok"}, "p\x00.docx", "file"),
])
def test_a_nul_in_a_multipart_field_is_422_naming_it_and_stores_nothing(
        login, document, environment, fields, filename, field):
    author = login("ana.popescu")
    before = staged_and_stored(environment)
    # built by hand: a client library would percent-encode a NUL in the file name
    boundary = "nul0boundary"
    body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                    f'{value}\r\n'.encode() for name, value in fields.items())
    body += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
             f'filename="{filename}"\r\nContent-Type: {DOCX}\r\n\r\n').encode()
    body += docx_bytes("p", BODY) + f"\r\n--{boundary}--\r\n".encode()
    response = author.request(
        "POST", f"/api/documents/{document['id']}/versions", data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert response.status_code == 422, response.text
    error = error_of(response)
    named = [f["field"] for f in error["details"].get("fields", [])] or [
        error["details"]["field"]]
    assert named == [field]
    assert staged_and_stored(environment) == before
    assert author.get(f"/api/documents/{document['id']}/versions")["items"] == []


@pytest.mark.parametrize("name,content,media", [
    ("trunchiat.pdf", truncated_pdf_bytes("t", BODY), "application/pdf"),
    ("parolat.docx", encrypted_docx_bytes("t", BODY, "secret"), DOCX),
])
def test_corrupt_or_encrypted_files_are_kept_and_marked_failed(login, document, name,
                                                               content, media):
    author = login("ana.popescu")
    version = author.upload(document["id"], name, content, "", media)
    failed = extraction_settled(author, version["id"])
    assert failed["extraction"]["status"] == "failed"
    assert failed["extraction"]["error"]
    # still stored and downloadable, byte for byte
    download = author.request("GET", f"/api/versions/{version['id']}/content")
    assert download.content == content
    # and the next upload is processed normally
    good = author.upload(document["id"], "bun.docx", docx_bytes("b", BODY), "", DOCX)
    done = extraction_settled(author, good["id"])
    assert done["extraction"]["status"] == "done"
    assert done["extraction"]["characters"] > 0


def test_a_code_that_breaks_its_pattern_is_422_naming_the_pattern(login):
    response = login("ana.popescu").request("POST", "/api/documents", json={
        "code": "PO-RP-02", "title": "Titlu valid", "type": "PO", "owner_department": "DJ"})
    assert response.status_code == 422
    assert error_of(response)["details"]["pattern"] == "PO-{department}-{nn}"


@pytest.mark.parametrize("params,field", [
    ({"before": "99999999999999999999999"}, "before"),   # past PostgreSQL's bigint
    ({"before": "١٢"}, "before"),                        # Arabic-Indic digits
    ({"before": "²"}, "before"),                         # a digit int() cannot read
    ({"limit": "１２"}, "limit"),                         # full-width digits
    ({"limit": "-1"}, "limit"),
])
def test_a_feed_number_that_is_not_plain_digits_in_range_is_422_naming_it(login, params,
                                                                           field):
    response = login("radu.munteanu").request("GET", "/api/feed", params=params)
    assert response.status_code == 422, response.text
    assert error_of(response)["details"]["field"] == field


@pytest.mark.parametrize("item_id", ["١٢", "²", "99999999999999999999999"])
def test_a_feed_item_id_that_is_not_plain_digits_in_range_is_422(login, item_id):
    response = login("radu.munteanu").request("POST", f"/api/feed/{item_id}/read")
    assert response.status_code == 422, response.text
    assert error_of(response)["details"]["field"] == "item_id"


@pytest.mark.parametrize("header,query", [
    ("²".encode("latin-1"), None),                    # the one byte \xb2, as HTTP carries it
    (b"99999999999999999999999", None),
    (None, "١٢"),
    (None, "99999999999999999999999"),
    (b"5:3", None),                                   # resume tokens the stream never sends
    (b"5:7,6", None),
    (b"5:" + b",".join(str(i).encode() for i in range(6, 57)), None),   # 51 ids
    (None, "5:"),
    (None, "5:99999999999999999999"),
])
def test_a_live_stream_resumed_from_a_bad_id_is_422_naming_it(login, header, query):
    client = login("radu.munteanu")
    response = client.request(
        "GET", "/api/feed/stream", stream=True,
        headers={"Last-Event-ID": header} if header is not None else {},
        params={"last_event_id": query} if query is not None else {})
    try:
        assert response.status_code == 422, response.status_code
        assert error_of(response)["details"]["field"] == (
            "Last-Event-ID" if header is not None else "last_event_id")
    finally:
        response.close()


@pytest.mark.parametrize("body", [
    b"[" * 100_000,                                    # json's decoder would recurse
    b'{"a":' * 100_000,
    b'{"title": ' + b"[" * 40 + b"]" * 40 + b"}",       # valid JSON, deeper than any model
])
def test_a_deeply_nested_body_is_422_naming_the_body(login, body):
    client = login("ana.popescu")
    for method, path in (("POST", "/api/documents"), ("PUT", "/api/me/preferences")):
        response = client.request(method, path, data=body,
                                  headers={"Content-Type": "application/json"})
        assert response.status_code == 422, response.text[:300]
        assert error_of(response)["details"]["field"] == "body"


def test_a_change_of_links_is_stored_and_a_wrong_one_is_422_naming_links(login):
    author, office = login("ana.popescu"), login("elena.dumitrascu")
    document, form = register(author, unique_code()), register(author, unique_code())
    path = f"/api/documents/{document['id']}"
    link = {"relation": "form", "document_id": form["id"]}
    response = office.request("PATCH", path, json={"links": [link]})
    assert response.status_code == 200, response.text
    assert response.json()["links"] == [link]
    assert office.get(path)["links"] == [link]
    response = office.request("PATCH", path, json={"links": []})
    assert response.status_code == 200, response.text
    assert office.get(path)["links"] == []
    for links in ([{"relation": "form", "document_id": str(uuid.uuid4())}],
                  [{"relation": "nonsense", "document_id": form["id"]}],
                  [link, link]):
        response = office.request("PATCH", path, json={"links": links})
        assert response.status_code == 422, response.text
        details = error_of(response)["details"]
        named = [details["field"]] if "field" in details else [
            f["field"] for f in details["fields"]]
        assert named and all(n.split(".")[0] == "links" for n in named), details


@pytest.mark.parametrize("size", [20_000, 4_500_000])   # read first / refused before reading
def test_an_upload_with_a_logged_out_token_is_401_and_stores_nothing(
        gateway, org, login, document, environment, size):
    """A small body is read, then documents refuses its ended session with the revision
    (one RPC per upload); a large one is refused before it is read. Either way: 401,
    no object, no version."""
    password = next(u["password"] for u in org["users"] if u["username"] == "ana.popescu")
    author = Client.login(gateway, "ana.popescu", password)
    assert author.request("POST", "/api/auth/logout").status_code == 204
    before = uploaded(environment)
    with pytest.raises(ApiError) as raised:
        author.upload(document["id"], "p.docx", docx_bytes("p", BODY) + b"\0" * size, "",
                      DOCX)
    assert raised.value.status == 401 and raised.value.error["code"] == "unauthorized"
    assert uploaded(environment) == before
    assert login("ana.popescu").get(f"/api/documents/{document['id']}/versions")["items"] == []
