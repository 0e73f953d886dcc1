"""The rendition worker on the real stack, through the gateway (issue 13): every format
gets its PDF rendition and its pages counted; a Romanian scan is OCR'd and found by
search with and without diacritics; hostile files fail naming why while the original
stays downloadable; the worker's events match their schemas."""
from __future__ import annotations

import io
import json
import socket

import jsonschema
import psycopg2
import pytest
from kombu import Connection, Exchange, Queue

from procedura_cli import scans
from procedura_cli.docgen import (
    docx_bytes, encrypted_docx_bytes, encrypted_pdf_bytes, odt_bytes, pdf_bytes,
    truncated_docx_bytes)
from tests.e2e.test_walking_skeleton import BODY, DOCX, register, settled, unique_code
from tests.integration import test_renditions as office
from tests.testenv import ROOT, eventually

PDF = "application/pdf"
# on a shared, loaded machine: LibreOffice's start alone is seconds, an OCR'd page more
RENDERED_WITHIN = 240


def rendered(client, version_id, timeout=RENDERED_WITHIN):
    """The version once its rendition is no longer pending."""
    def check():
        version = client.get(f"/api/versions/{version_id}")
        return version if version["rendition"]["status"] != "pending" else None
    return eventually(check, timeout=timeout, interval=0.5)


def image_bytes(kind: str, pages: int = 1) -> bytes:
    """A Romanian scan (procedura_cli/scans.py) as PNG, JPEG or a TIFF of `pages` pages."""
    images = [scans.scan_page(dpi=150, angle=1.5, seed=n, page=n + 1) for n in range(pages)]
    out = io.BytesIO()
    first = images[0]
    if kind == "tiff":
        first.save(out, "TIFF", dpi=(150, 150), compression="tiff_deflate", save_all=True,
                   append_images=images[1:])
    else:
        first.save(out, kind.upper(), dpi=(150, 150))
    return out.getvalue()


def office_bytes(make, tmp_path) -> bytes:
    return make(tmp_path).read_bytes()


@pytest.fixture
def document(login):
    return register(login("ana.popescu"), unique_code())


FORMATS = {
    # name: (file name, bytes maker, pages)
    "docx": ("procedură.docx", lambda d: docx_bytes("Procedură", BODY), 1),
    "odt": ("procedură.odt", lambda d: odt_bytes("Procedură", BODY), 1),
    "xlsx": ("registru.xlsx", lambda d: office_bytes(office.make_xlsx, d), 1),
    "pptx": ("prezentare.pptx", lambda d: office_bytes(office.make_pptx, d), 1),
    "rtf": ("notă.rtf", lambda d: office_bytes(office.make_rtf, d), 1),
    "txt": ("notă.txt", lambda d: office_bytes(office.make_txt, d), 1),
    "html": ("pagină.html", lambda d: office_bytes(office.make_html, d), 1),
    "pdf": ("procedură.pdf", lambda d: pdf_bytes("Procedură", BODY), 1),
    "png": ("scanare.png", lambda d: image_bytes("png"), 1),
    "jpeg": ("scanare.jpg", lambda d: image_bytes("jpeg"), 1),
    "tiff": ("scanare.tif", lambda d: image_bytes("tiff", 3), 3),
}


@pytest.mark.parametrize("kind", list(FORMATS))
def test_each_format_gets_a_rendition_with_its_pages_counted(login, document, kind,
                                                             tmp_path):
    author = login("ana.popescu")
    name, make, pages = FORMATS[kind]
    content = make(tmp_path)
    version = author.upload(document["id"], name, content, "")
    assert version["rendition"] == {"status": "pending", "pages": None, "error": None}

    result = rendered(author, version["id"])

    assert result["rendition"] == {"status": "done", "pages": pages, "error": None}, kind
