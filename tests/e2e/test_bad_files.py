"""Hostile files each end as a stored version with a clear extraction status, and the
worker goes on with the next upload: a zip bomb dressed as DOCX, a PDF claiming a billion
objects, files whose extension lies, a 300-character Cyrillic and Romanian name."""
from __future__ import annotations

import hashlib

import os
import socket
import time
from urllib.parse import quote

import pytest

from procedura_cli.badfiles import billion_xref_pdf, image_only_pdf, zip_bomb_docx
from procedura_cli.docgen import docx_bytes, pdf_bytes
from tests.e2e.test_walking_skeleton import BODY, DOCX, register, unique_code
from tests.helpers import extraction_settled

PDF = "application/pdf"


@pytest.fixture
def document(login):
    return register(login("ana.popescu"), unique_code())


def still_working(author, document):
    """The worker takes the next ordinary file at once."""
    good = author.upload(document["id"], "bun.docx", docx_bytes("b", BODY), "", DOCX)
    done = extraction_settled(author, good["id"], timeout=60)
    assert done["extraction"]["status"] == "done" and done["extraction"]["characters"] > 0


def test_a_zip_bomb_dressed_as_docx_is_kept_and_failed_with_a_reason(login, document):
    author = login("ana.popescu")
    bomb = zip_bomb_docx(512)            # ~1.8 MB that inflates to 512 MB
    started = time.monotonic()
    version = author.upload(document["id"], "procedură.docx", bomb, "", DOCX)
    assert version["media_type"] == DOCX and version["extraction"]["status"] == "pending"
    result = extraction_settled(author, version["id"], timeout=90)
    assert result["extraction"]["status"] == "failed"
    assert result["extraction"]["error"]
    assert time.monotonic() - started < 90
    assert author.request("GET", f"/api/versions/{version['id']}/content").content == bomb
    still_working(author, document)


def test_a_pdf_claiming_a_billion_objects_settles(login, document):
    author = login("ana.popescu")
    version = author.upload(document["id"], "xref.pdf", billion_xref_pdf(), "", PDF)
    result = extraction_settled(author, version["id"], timeout=90)
    assert result["extraction"]["status"] in ("done", "failed")
    if result["extraction"]["status"] == "failed":
        assert result["extraction"]["error"]
    still_working(author, document)


def test_an_image_only_pdf_is_done_with_no_text(login, document):
    author = login("ana.popescu")
    version = author.upload(document["id"], "scanat.pdf", image_only_pdf(2), "", PDF)
    result = extraction_settled(author, version["id"], timeout=60)
    assert result["extraction"] == {"status": "done", "error": None, "characters": 0,
                                    "truncated": False, "ocr": False, "ocr_pages": 0,
                                    "ocr_pages_left": 0, "ocr_stopped": None}


@pytest.mark.parametrize("name,make,sent_as,real", [
    ("procedură.docx", pdf_bytes, DOCX, PDF),          # a PDF named .docx
    ("procedură.pdf", docx_bytes, PDF, DOCX),          # a DOCX named .pdf
])
def test_a_lying_extension_is_read_as_what_the_bytes_are(login, document, name, make,
                                                         sent_as, real):
    author = login("ana.popescu")
    version = author.upload(document["id"], name, make("t", BODY), "", sent_as)
    assert version["media_type"] == real and version["filename"] == name
    result = extraction_settled(author, version["id"], timeout=60)
    assert result["extraction"]["status"] == "done"
    text = author.request("GET", f"/api/versions/{version['id']}/text").text
    assert "înregistrare" in text


def test_a_300_character_cyrillic_and_romanian_name_is_kept_shortened(login, document):
    author = login("ana.popescu")
    name = ("Процедура операционная " + "Înregistrarea petițiilor șî țărănești " * 8
            + "Пример документа " * 4)[:295] + ".docx"
    assert len(name) == 300
    version = author.upload(document["id"], name, docx_bytes("n", BODY), "", DOCX)
    stored = version["filename"]
    assert len(stored) <= 200 and stored.endswith(".docx")
    assert stored.startswith("Процедура операционная Înregistrarea petițiilor")
    assert extraction_settled(author, version["id"], timeout=60)["extraction"]["status"] == "done"
    download = author.request("GET", f"/api/versions/{version['id']}/content")
    assert download.status_code == 200
    assert quote(stored) in download.headers["Content-Disposition"]


def test_an_empty_file_is_kept_as_a_version_whose_extraction_says_why(login, document):
    author = login("ana.popescu")
    version = author.upload(document["id"], "gol.docx", b"", "", DOCX)
    assert version["size"] == 0
    assert version["sha256"] == hashlib.sha256(b"").hexdigest()
    extraction = extraction_settled(author, version["id"], timeout=60)["extraction"]
    assert extraction["status"] == "failed"
    assert extraction["error"] == "the file is empty (0 bytes): there is no text to read"
    download = author.request("GET", f"/api/versions/{version['id']}/content")
    assert download.status_code == 200 and download.content == b""


def _multipart(boundary: str, chunks):
    yield (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
           f'filename="mare.pdf"\r\nContent-Type: application/pdf\r\n\r\n').encode()
    yield b"%PDF-1.4\n"
    yield from chunks
    yield f"\r\n--{boundary}--\r\n".encode()


def test_a_chunked_upload_is_streamed_and_counted_against_the_limit(login, document,
                                                                    environment):
    author = login("ana.popescu")
    url = f"{environment.gateway}/api/documents/{document['id']}/versions"
    headers = {"Authorization": author.session.headers["Authorization"],
               "Content-Type": "multipart/form-data; boundary=b0undary"}
    # a generator body: Transfer-Encoding chunked, no Content-Length
    small = author.session.post(url, headers=headers, timeout=60, data=_multipart(
        "b0undary", (os.urandom(256 * 1024) for _ in range(4))))
    assert small.status_code == 201, small.text
    assert small.json()["size"] == 4 * 256 * 1024 + 9
    big = author.session.post(url, headers=headers, timeout=60, data=_multipart(
        "b0undary", (os.urandom(1024 * 1024) for _ in range(environment.upload_limit
                                                              // 2**20 + 2))))
    assert big.status_code == 413 and big.json()["error"]["details"]["field"] == "file"


def test_a_declared_size_over_the_limit_is_413_before_the_body_is_sent(login, document,
                                                                      environment):
    token = login("ana.popescu").session.headers["Authorization"]
    host, port = environment.gateway_address.split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall((f"POST /api/documents/{document['id']}/versions HTTP/1.1\r\n"
                      f"Host: {environment.gateway_address}\r\nAuthorization: {token}\r\n"
                      "Content-Type: multipart/form-data; boundary=x\r\n"
                      f"Content-Length: {2**30}\r\nConnection: close\r\n\r\n").encode())
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = conn.recv(65536)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"payload_too_large"' in answer
    assert time.monotonic() - started < 10          # not a gigabyte later
