"""The rendition worker on the real stack, through the gateway (issue 13): every format
gets its PDF rendition, its pages counted and a page image; a Romanian scan as PDF, PNG,
JPEG and TIFF is OCR'd and found by search with and without diacritics; hostile files
fail naming why while the original stays downloadable; a TIFF of 300 pages is rendered
whole with OCR stopped at its limit; the worker's events match their schemas."""
from __future__ import annotations

import io
import json
import socket
import uuid

import jsonschema
import psycopg2
import pytest
from kombu import Connection, Exchange, Queue, binding
from PIL import Image

from procedura_cli import scans
from procedura_cli.docgen import (
    docx_bytes, encrypted_docx_bytes, encrypted_pdf_bytes, odt_bytes, pdf_bytes,
    truncated_docx_bytes)
from tests.e2e.conftest import dispose_content
from tests.e2e.doctor import doctor, pending_for_an_hour
from tests.e2e.own_environment import services_running
from tests.e2e.test_walking_skeleton import BODY, DOCX, register, unique_code
from tests.helpers import extraction_settled
from tests.integration import test_renditions as office
from tests.integration.test_renditions_long_tiff import long_tiff
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


def rendered_upload(author, document, filename: str, data: bytes, media_type: str) -> dict:
    """The author's upload of a new version, once its rendition is made (the test fails
    if it is not)."""
    version = author.upload(document["id"], filename, data, "", media_type)
    assert rendered(author, version["id"])["rendition"]["status"] == "done"
    return version


def rendition_forgotten(environment, version_id: str, attempts: int) -> None:
    """The register holds the version's rendition as never made: pending after `attempts`
    attempts, no rendition named."""
    with psycopg2.connect(environment.database_url) as conn, conn.cursor() as cur:
        cur.execute("""UPDATE versioning.versions SET rendition_status = 'pending',
                              rendition_pages = NULL, rendition_key = NULL,
                              rendition_object_version = NULL, rendered_at = NULL,
                              rendition_attempts = %s WHERE id = %s""", (attempts, version_id))
    conn.close()


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
    # and its first page as an image, drawn from the rendition on first ask
    page = author.request("GET", f"/api/versions/{version['id']}/pages/1",
                          params={"width": 200})
    assert page.status_code == 200, (kind, page.status_code, page.text[:300])
    assert page.headers["Content-Type"] == "image/png", kind
    image = Image.open(io.BytesIO(page.content))
    assert (image.format, image.width) == ("PNG", 200), (kind, image.format, image.size)


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
    return pdf_of(objects)


def pdf_of(objects: list[bytes]) -> bytes:
    """A PDF of these objects, numbered from 1 (the first the catalog), with its xref."""
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


SCANS = {
    # kind: (file name, bytes maker, pages)
    "pdf": ("procedură scanată.pdf", lambda: scan_pdf(), 1),
    "png": ("procedură scanată.png", lambda: image_bytes("png"), 1),
    "jpeg": ("procedură scanată.jpg", lambda: image_bytes("jpeg"), 1),
    "tiff": ("procedură scanată.tif", lambda: image_bytes("tiff", 2), 2),
}


def assert_ocr_words_found(author, document_id: str, version_id: str) -> None:
    """At least 4 words of the scan are in the version's OCR'd text, and search finds each
    with its diacritics and without them."""
    text = fold(author.request("GET", f"/api/versions/{version_id}/text").text)
    read = [w for w in SCAN_WORDS if fold(w) in text]
    assert len(read) >= 4, f"OCR read only {read} of {SCAN_WORDS}: {text[:500]!r}"
    for word in read[:4]:
        eventually(lambda: found(author, word, document_id), timeout=60)
        assert found(author, fold(word), document_id), fold(word)


@pytest.mark.parametrize("kind", list(SCANS))
def test_a_romanian_scan_is_ocrd_and_found_with_and_without_diacritics(login, document,
                                                                       kind):
    author = login("ana.popescu")
    name, make, pages = SCANS[kind]
    version = author.upload(document["id"], name, make(), "")
    # Tika reads no image itself (no OCR in front of text extraction): fast and empty
    extracted = extraction_settled(author, version["id"], timeout=60)
    assert extracted["extraction"]["ocr"] is False
    assert extracted["extraction"]["characters"] in (0, None) or \
        extracted["rendition"]["status"] != "pending"

    result = rendered(author, version["id"])

    assert result["rendition"] == {"status": "done", "pages": pages, "error": None}
    extraction = result["extraction"]
    assert extraction["status"] == "done" and extraction["ocr"] is True
    assert extraction["ocr_pages"] == pages and extraction["ocr_pages_left"] == 0
    assert extraction["ocr_stopped"] is None and extraction["characters"] > 100
    assert_ocr_words_found(author, document["id"], version["id"])
    # the original is still what was uploaded
    assert author.request("GET", f"/api/versions/{version['id']}/content").status_code == 200


# ---------------------------------------------------------------- events

def collect_events(environment, *types):
    """A queue of the test's own on versioning.events; returns (drain, received)."""
    exchange = Exchange("versioning.events", type="topic", durable=True)
    connection = Connection(environment.amqp_uri)
    queue = Queue(f"test.renditions-{uuid.uuid4().hex[:12]}", exclusive=True,
                  auto_delete=True, bindings=[binding(exchange, routing_key=kind)
                                              for kind in types])
    queue(connection.default_channel).declare()
    received: list[dict] = []
    consumer = connection.Consumer(queue, callbacks=[lambda body, msg: (received.append(body),
                                                                       msg.ack())],
                                   accept=["json"])
    consumer.consume()

    def drain():
        try:
            connection.drain_events(timeout=0.5)
        except socket.timeout:
            pass
        return received

    return connection, drain, received


def test_the_workers_events_match_their_schemas_and_ocr_text_is_extracted_again(
        login, document, environment):
    author = login("ana.popescu")
    connection, drain, received = collect_events(
        environment, "version_text_extracted", "version_rendered", "version_rendition_failed")
    try:
        scan = author.upload(document["id"], "scanare.png", image_bytes("png"), "")
        broken = author.upload(document["id"], "stricat.docx",
                               truncated_docx_bytes("s", BODY), "", DOCX)

        def of(version, kind):
            return [e for e in received if e["data"]["version_id"] == version["id"]
                    and e["type"] == kind]

        eventually(lambda: drain() is not None and len(of(scan, "version_text_extracted")) == 2
                   and of(scan, "version_rendered") and of(broken, "version_rendition_failed"),
                   timeout=RENDERED_WITHIN)
    finally:
        connection.release()
    first, again = of(scan, "version_text_extracted")
    # Tika read nothing from the image (no OCR inside extraction); the worker's OCR did
    assert first["data"]["characters"] == 0 and first["source"] == "versioning"
    assert again["data"]["characters"] > 100
    assert received.index(first) < received.index(again)
    rendered_event = of(scan, "version_rendered")[0]
    assert rendered_event["data"] == {"version_id": scan["id"], "document_id": document["id"],
                                      "pages": 1, "ocr_pages": 1, "ocr_pages_left": 0}
    failed_event = of(broken, "version_rendition_failed")[0]
    assert "stricat" in failed_event["data"]["error"]
    for event in (first, again, rendered_event, failed_event):
        schema = json.loads((ROOT / "docs/events" / f"{event['type']}.json").read_text())
        jsonschema.validate(event, schema)
        assert event["subject"] == document["id"]
    # the worker's own version_text_extracted does not take the version up a second time
    with psycopg2.connect(environment.database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT rendition_attempts FROM versioning.versions WHERE id = %s",
                    (scan["id"],))
        assert cur.fetchone()[0] == 1
    conn.close()
    assert author.get(f"/api/versions/{scan['id']}")["rendition"]["status"] == "done"


# ---------------------------------------------------------------- bad files

@pytest.mark.parametrize("name,content,media_type,why", [
    ("parolă.docx", encrypted_docx_bytes("p", BODY, "secret-123"), DOCX, "password"),
    ("parolă.pdf", encrypted_pdf_bytes("p", BODY, "secret-123"), PDF, "password"),
    ("stricat.docx", truncated_docx_bytes("s", BODY), DOCX, "not a readable"),
    ("gol.txt", b"", "text/plain", "empty"),
], ids=["password-docx", "password-pdf", "corrupt-docx", "empty"])
def test_a_protected_or_corrupt_file_fails_naming_why_and_stays_downloadable(
        login, document, name, content, media_type, why):
    author = login("ana.popescu")
    version = author.upload(document["id"], name, content, "", media_type)

    result = rendered(author, version["id"])

    assert result["rendition"]["status"] == "failed" and result["rendition"]["pages"] is None
    assert why in result["rendition"]["error"], result["rendition"]["error"]
    download = author.request("GET", f"/api/versions/{version['id']}/content")
    assert download.status_code == 200 and download.content == content


def test_an_image_of_20000_by_20000_pixels_is_refused_before_it_is_decoded(login, document):
    author = login("ana.popescu")
    bomb = scans.pixel_bomb_png()
    version = author.upload(document["id"], "uriaș.png", bomb, "", "image/png")

    result = rendered(author, version["id"])

    assert result["rendition"]["status"] == "failed"
    assert "uriaș.png is too large an image" in result["rendition"]["error"], result["rendition"]
    assert author.request("GET", f"/api/versions/{version['id']}/content").content == bomb


@pytest.mark.parametrize("name,make,sent_as,real", [
    ("procedură.docx", pdf_bytes, DOCX, PDF),          # a PDF named .docx: kept as it is
    ("procedură.pdf", docx_bytes, PDF, DOCX),          # a DOCX named .pdf: LibreOffice
], ids=["pdf-named-docx", "docx-named-pdf"])
def test_a_file_whose_extension_lies_is_rendered_as_what_its_bytes_are(
        login, document, name, make, sent_as, real, environment):
    author = login("ana.popescu")
    version = author.upload(document["id"], name, make("t", BODY), "", sent_as)
    assert version["media_type"] == real

    assert rendered(author, version["id"])["rendition"] == {"status": "done", "pages": 1,
                                                            "error": None}
    with psycopg2.connect(environment.database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT rendition_key, object_key FROM versioning.versions WHERE id = %s",
                    (version["id"],))
        rendition, original = cur.fetchone()
    conn.close()
    # a PDF with text is its own rendition; the DOCX got one made by LibreOffice
    assert (rendition == original) is (real == PDF)


# ---------------------------------------------------------------- operations

def test_the_worker_answers_its_health_check_and_leaves_its_beacon(services, environment):
    import os
    import subprocess

    env = {**os.environ, **environment.env, "PROCEDURA_HEALTH_DIR": str(services.run_dir)}
    for local in ([], ["--local"]):
        run = subprocess.run([str(ROOT / ".venv/bin/procedura"), "health", "renditions",
                              *local], env=env, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stdout + run.stderr
        assert '"broker": "ok"' in run.stdout or '"storage": "ok"' in run.stdout, run.stdout


def test_rebuild_missing_renders_a_version_stored_before_renditions(login, document,
                                                                   environment):
    import os
    import subprocess

    author = login("ana.popescu")
    version = rendered_upload(author, document, "veche.docx", docx_bytes("v", BODY), DOCX)
    # as a version stored before this worker existed: pending, nothing in storage
    rendition_forgotten(environment, version["id"], attempts=0)
    assert author.get(f"/api/versions/{version['id']}")["rendition"]["status"] == "pending"

    run = subprocess.run([str(ROOT / ".venv/bin/procedura"), "renditions", "rebuild",
                          "--missing", "--interval", "1", "--timeout", str(RENDERED_WITHIN)],
                         env={**os.environ, **environment.env}, capture_output=True,
                         text=True, timeout=RENDERED_WITHIN + 60)

    assert run.returncode == 0, run.stdout + run.stderr
    assert "rebuild --missing" in run.stdout and "0 waiting" in run.stdout.splitlines()[-1]
    assert author.get(f"/api/versions/{version['id']}")["rendition"] == {
        "status": "done", "pages": 1, "error": None}


def test_disposal_removes_the_rendition_and_its_page_images(login, document, environment):
    from tests.testenv import minio_admin

    author = login("ana.popescu")
    version = rendered_upload(author, document, "de-eliminat.docx", docx_bytes("d", BODY),
                              DOCX)
    minio = minio_admin()
    rendition = f"renditions/{document['id']}/{version['id']}.pdf"
    assert minio.stat_object(environment.bucket, rendition).size > 0
    page = f"pages/{version['id']}/1-200.png"     # as the page image cache keeps them
    minio.put_object(environment.bucket, page, io.BytesIO(b"\x89PNG"), 4)

    dispose_content(environment, version["id"])

    for prefix in (rendition, f"pages/{version['id']}/"):
        assert list(minio.list_objects(environment.bucket, prefix=prefix, recursive=True,
                                       include_version=True)) == [], prefix


# ---------------------------------------------------------------- limits

@pytest.fixture(scope="module")
def limited(stack, run_id, org):
    """A second environment whose worker has tiny limits: LibreOffice 1 s (its start alone
    is longer, so every conversion hangs past it) and 3 pages of OCR per file."""
    from procedura_cli.client import Client
    from tests.testenv import TestEnvironment

    environment = TestEnvironment(f"{run_id}lim")
    environment.env.update({"PROCEDURA_RENDITION_CONVERSION_SECONDS": "1",
                            "PROCEDURA_OCR_MAX_PAGES": "3"})
    with services_running(environment, org) as services:
        password = next(u["password"] for u in org["users"] if u["username"] == "ana.popescu")
        yield Client.login(environment.gateway, "ana.popescu", password), services


def test_a_conversion_past_its_timeout_fails_naming_it_leaves_no_process_and_the_next_file_is_rendered(limited):  # noqa: E501
    author, services = limited
    document = register(author, unique_code())
    hanging = author.upload(document["id"], "lungă.docx", docx_bytes("l", BODY), "", DOCX)
    after = author.upload(document["id"], "următoarea.pdf", pdf_bytes("u", BODY), "", PDF)

    result = rendered(author, hanging["id"])

    assert result["rendition"]["status"] == "failed"
    assert "within 1 s" in result["rendition"]["error"], result["rendition"]["error"]
    assert author.request("GET", f"/api/versions/{hanging['id']}/content").content == \
        docx_bytes("l", BODY)
    assert rendered(author, after["id"])["rendition"] == {"status": "done", "pages": 1,
                                                          "error": None}
    worker = int((services.run_dir / "renditions.pid").read_text())
    # its LibreOffice profiles are the worker's own (services/renditions/engines/engine.py)
    assert office.processes_using(f"profiles/worker-{worker}") == []


def test_a_60_page_scan_stops_at_the_ocr_page_limit_and_says_how_many_were_left(limited):
    author, _ = limited
    document = register(author, unique_code())
    version = author.upload(document["id"], "dosar scanat.pdf", scan_pdf(60), "", PDF)

    result = rendered(author, version["id"])

    assert result["rendition"] == {"status": "done", "pages": 60, "error": None}
    extraction = result["extraction"]
    assert extraction["ocr"] is True and extraction["ocr_pages"] == 3
    assert extraction["ocr_pages_left"] == 57
    assert extraction["ocr_stopped"] == "the limit of 3 pages read by OCR per file"
    text = fold(author.request("GET", f"/api/versions/{version['id']}/text").text)
    assert 1 <= text.count("procedura operationala") <= 3, text[:300]   # 3 pages of 60 read


def test_a_tiff_of_300_pages_is_rendered_whole_and_ocr_stops_at_its_page_limit(limited,
                                                                                 tmp_path):
    author, _ = limited
    document = register(author, unique_code())
    # bilevel, CCITT group 4, at 150 dpi: 3.6 MB, within the test gateway's upload limit
    tiff = long_tiff(tmp_path / "dosar.tif", dpi=150).read_bytes()
    version = author.upload(document["id"], "dosar scanat.tif", tiff, "", "image/tiff")

    result = rendered(author, version["id"])

    assert result["rendition"] == {"status": "done", "pages": 300, "error": None}
    extraction = result["extraction"]
    assert extraction["status"] == "done" and extraction["ocr"] is True
    assert extraction["ocr_pages"] == 3 and extraction["ocr_pages_left"] == 297
    assert extraction["ocr_stopped"] == "the limit of 3 pages read by OCR per file"
    text = fold(author.request("GET", f"/api/versions/{version['id']}/text").text)
    assert 1 <= text.count("procedura operationala") <= 3, text[:300]   # 3 pages of 300
    # the whole file is in the viewer: its last page is drawn when asked
    last = author.request("GET", f"/api/versions/{version['id']}/pages/300",
                          params={"width": 200})
    assert last.status_code == 200, last.text[:300]
    assert Image.open(io.BytesIO(last.content)).width == 200
    assert author.request("GET", f"/api/versions/{version['id']}/content").content == tiff


def test_doctor_reports_a_version_long_without_a_rendition_and_failed_ones(
        login, document, environment):
    author = login("ana.popescu")
    stuck = author.upload(document["id"], "blocată.docx", docx_bytes("b", BODY), "", DOCX)
    broken = author.upload(document["id"], "stricată.docx", truncated_docx_bytes("s", BODY),
                           "", DOCX)
    for version in (stuck, broken):
        rendered(author, version["id"])

    with pending_for_an_hour(environment, stuck["id"], "rendition"):
        result = doctor(environment, "--json", "--accept-failed",
                        "--rendition-pending-after", "600")
        assert result.returncode == 1, result.stdout + result.stderr
        findings = {(f["kind"], f["item"]): f for f in json.loads(result.stdout)}
        assert findings[("rendition-pending", stuck["id"])]["problem"] is True
        assert "blocată.docx" in findings[("rendition-pending", stuck["id"])]["detail"]
        failed = findings[("rendition-failed", broken["id"])]
        assert failed["problem"] is False and "not a readable" in failed["detail"]
        later = doctor(environment, "--json", "--accept-failed",
                       "--rendition-pending-after", "7200")
        assert ("rendition-pending", stuck["id"]) not in {
            (f["kind"], f["item"]) for f in json.loads(later.stdout)}
