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


# ---------------------------------------------------------------- OCR and search

def scan_pdf(pages: int = 1, lines: list[str] = scans.LINES, dpi: int = 150) -> bytes:
    """An image-only PDF whose pages all show one Romanian scan (one JPEG shared by every
    page, so 60 pages stay within the test gateway's upload limit)."""
    image = scans.scan_page(lines, dpi=dpi, angle=1.5, seed=7)
    jpeg = io.BytesIO()
    image.save(jpeg, "JPEG", quality=75)
    width, height = image.size
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % (4 + 2 * i)
                                                      for i in range(pages))
               + b"] /Count %d >>" % pages,
               b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace "
               b"/DeviceGray /BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n"
               % (width, height, len(jpeg.getvalue())) + jpeg.getvalue() + b"\nendstream"]
    draw = b"q 595 0 0 842 0 0 cm /Im0 Do Q"
    for i in range(pages):
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents "
                       b"%d 0 R /Resources << /XObject << /Im0 3 0 R >> >> >>" % (5 + 2 * i))
        objects.append(b"<< /Length %d >>\nstream\n" % len(draw) + draw + b"\nendstream")
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, xref))
    return out.getvalue()


def fold(text: str) -> str:
    import unicodedata

    text = text.replace("ş", "ș").replace("ţ", "ț").replace("Ş", "Ș").replace("Ţ", "Ț")
    return "".join(c for c in unicodedata.normalize("NFD", text.lower())
                   if not unicodedata.combining(c))


# words of the scan (procedura_cli/scans.py) with Romanian letters
SCAN_WORDS = ["înregistrărilor", "întocmire", "răspunde", "listei", "păstrează", "arhivă",
              "învățământ", "găsește", "întâlnire", "direcția", "ședința", "Șeful"]


def found(client, words: str, document_id: str) -> bool:
    hits = client.get("/api/search", q=words, scope="all")["hits"]
    return any(h["document_id"] == document_id for h in hits)


@pytest.mark.parametrize("kind", ["pdf", "png"])
def test_a_romanian_scan_is_ocrd_and_found_with_and_without_diacritics(login, document,
                                                                       kind):
    author = login("ana.popescu")
    if kind == "pdf":
        version = author.upload(document["id"], "procedură scanată.pdf", scan_pdf(), "")
    else:
        version = author.upload(document["id"], "procedură scanată.png", image_bytes("png"),
                                "")
    # Tika reads no image itself (no OCR in front of text extraction): fast and empty
    extracted = settled(author, version["id"], timeout=60)
    assert extracted["extraction"]["ocr"] is False
    assert extracted["extraction"]["characters"] in (0, None) or \
        extracted["rendition"]["status"] != "pending"

    result = rendered(author, version["id"])

    assert result["rendition"] == {"status": "done", "pages": 1, "error": None}
    extraction = result["extraction"]
    assert extraction["status"] == "done" and extraction["ocr"] is True
    assert extraction["ocr_pages"] == 1 and extraction["ocr_pages_left"] == 0
    assert extraction["ocr_stopped"] is None and extraction["characters"] > 100
    text = fold(author.request("GET", f"/api/versions/{version['id']}/text").text)
    read = [w for w in SCAN_WORDS if fold(w) in text]
    assert len(read) >= 4, f"OCR read only {read} of {SCAN_WORDS}: {text[:500]!r}"
    for word in read[:4]:
        eventually(lambda: found(author, word, document["id"]), timeout=60)
        assert found(author, fold(word), document["id"]), fold(word)
    # the original is still what was uploaded
    assert author.request("GET", f"/api/versions/{version['id']}/content").status_code == 200
