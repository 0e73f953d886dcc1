"""Uploads never wait for Tika (issue 12): while Tika is stopped, killed or restarting
its parser, every upload is answered at once (201, or 415 for bytes nothing can read),
never a 5xx, and every accepted file's extraction waits and then ends `done` or
`failed`.

Tika is a PRIVATE instance started by scripts/stack.sh for this module (own port and
data directory `.stack/uploads-tika`, the pattern of test_faults.py); RabbitMQ,
PostgreSQL, MinIO and Elasticsearch are the shared servers, used through this run's own
vhost, database, buckets and index. The shared Tika is never touched.
"""
from __future__ import annotations

import io
import os
import signal
import subprocess
import threading
import time
import uuid
import zipfile

import psycopg2
import pytest
import requests

from procedura_cli.badfiles import text_pdf, zip_bomb_docx
from procedura_cli.client import Client
from procedura_cli.docgen import (
    docx_bytes, encrypted_docx_bytes, odt_bytes, pdf_bytes, truncated_docx_bytes,
    truncated_pdf_bytes)
from tests.e2e.own_environment import services_running
from tests.e2e.test_faults import PrivateEnvironment, PrivateStack
from tests.testenv import eventually

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BODY = "## Scop\n\nProcedura {i} stabilește circuitul documentului {token} în primărie.\n"


@pytest.fixture(scope="module")
def private_tika(stack):
    tika = PrivateStack("uploads-tika", base=26430, components="tika")
    tika.run("up")
    yield tika
    tika.run("down")


@pytest.fixture(scope="module")
def city_hall(private_tika, run_id, org):
    environment = PrivateEnvironment(f"{run_id}u", private_tika)
    # a file that kills Tika's parser is failed after its second death (default 3): each
    # death costs a minute of this module's time
    environment.env["PROCEDURA_EXTRACTION_MAX_ATTEMPTS"] = "2"
    with services_running(environment, org):
        yield environment


def person(environment, username: str, password: str) -> Client:
    return Client.login(environment.gateway, username, password)


def document_of(client: Client, department: str) -> dict:
    return client.post("/api/documents", {
        "code": f"PO-{department}-{uuid.uuid4().int % 10**8:08d}", "title": "Încărcări",
        "type": "PO", "owner_department": department, "distribution": [department]})


def upload(client: Client, document: dict, filename: str, data: bytes, media_type: str):
    return client.request("POST", f"/api/documents/{document['id']}/versions",
                          files={"file": (filename, data, media_type)},
                          data={"change_summary": ""}, timeout=60)


def extraction(client: Client, version_id: str) -> dict:
    return client.get(f"/api/versions/{version_id}")["extraction"]


def tika_answers(tika: PrivateStack) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{tika.ports['tika']}/tika",
                            timeout=2).status_code == 200
    except requests.RequestException:
        return False


def children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(p) for p in found.stdout.split()]


def kill_tika_server(tika: PrivateStack) -> None:
    """kill -9 of the Tika server under the stack script's watchdog (which starts it
    again) and of the parser process it forked."""
    servers = children(tika.pid("tika"))
    assert servers, "the Tika watchdog has no server process"
    for pid in [p for s in servers for p in children(s)] + servers:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.mark.timeout(300)
def test_an_upload_while_tika_is_stopped_is_accepted_and_extracted_when_it_is_back(
        city_hall, private_tika):
    ana = person(city_hall, "ana.popescu", "demo-dj")
    document = document_of(ana, "DJ")
    private_tika.stop("tika")
    try:
        assert not tika_answers(private_tika)
        token = f"fara{uuid.uuid4().hex[:10]}"
        started = time.monotonic()
        answer = upload(ana, document, "p.docx", docx_bytes("p", BODY.format(i=1, token=token)),
                        DOCX)
        assert answer.status_code == 201, answer.text
        assert time.monotonic() - started < 15        # answered, not waiting for Tika
        version = answer.json()
        assert version["media_type"] == DOCX and version["extraction"]["status"] == "pending"
        time.sleep(8)                                  # the worker waits, nothing fails
        assert extraction(ana, version["id"])["status"] == "pending"
    finally:
        private_tika.start("tika")
    done = eventually(lambda: (lambda e: e if e["status"] != "pending" else None)(
        extraction(ana, version["id"])), timeout=120, interval=1)
    assert done["status"] == "done", done
    assert token in ana.request("GET", f"/api/versions/{version['id']}/text").text


@pytest.mark.timeout(300)
def test_a_file_that_crashes_tikas_parser_never_turns_another_upload_into_a_5xx(
        city_hall, private_tika):
    ana = person(city_hall, "ana.popescu", "demo-dj")
    andrei = person(city_hall, "andrei.nistor", "demo-rp")
    heavy = document_of(ana, "DJ")
    other = document_of(andrei, "RP")
    pages = [[f"Rândul {n} al paginii {p}: înregistrarea petițiilor." for n in range(50)]
             for p in range(200)]                       # Tika needs seconds for it
    crashing = upload(ana, heavy, "lung.pdf", text_pdf(pages), "application/pdf")
    assert crashing.status_code == 201, crashing.text

    # the file "crashes" Tika's parser: it is killed while it reads it, and Tika forks
    # a new one; meanwhile another person uploads, one file after another
    killed = threading.Event()

    def crash_the_parser():
        deadline = time.monotonic() + 60
        while not killed.is_set() and time.monotonic() < deadline:
            parsers = [p for s in children(private_tika.pid("tika")) for p in children(s)]
            if parsers:
                time.sleep(1.0)                          # inside the parse
                for parser in parsers:
                    os.kill(parser, signal.SIGKILL)
                killed.set()
            time.sleep(0.1)

    crasher = threading.Thread(target=crash_the_parser)
    crasher.start()
    statuses, versions = [], []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and (not killed.is_set() or len(statuses) < 40
                                           or not tika_answers(private_tika)):
        answer = upload(andrei, other, f"nota-{len(statuses)}.docx",
                        docx_bytes("n", BODY.format(i=len(statuses), token="alt")), DOCX)
        statuses.append(answer.status_code)
        if answer.status_code == 201:
            versions.append(answer.json()["id"])
    crasher.join()
    assert killed.is_set(), "Tika's parser never started on the file"
    assert set(statuses) == {201}, statuses
    for version_id in versions + [crashing.json()["id"]]:
        settled = eventually(lambda: (lambda e: e if e["status"] != "pending" else None)(
            extraction(ana, version_id)), timeout=180, interval=1)
        assert settled["status"] in ("done", "failed")
    assert all(extraction(andrei, v)["status"] == "done" for v in versions)


# ---- a few hundred real-world-like files of mixed kinds ---------------------------------

def xlsx_bytes(rows: list[list[str]]) -> bytes:
    """A minimal spreadsheet (inline strings), as Excel and LibreOffice read it."""
    cells = "".join(
        f'<row r="{r + 1}">' + "".join(
            f'<c r="{chr(65 + c)}{r + 1}" t="inlineStr"><is><t>{v}</t></is></c>'
            for c, v in enumerate(row)) + "</row>" for r, row in enumerate(rows))
    parts = {
        "[Content_Types].xml":
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
            'openxmlformats.org/package/2006/content-types"><Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/><Override PartName='
            '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
            'worksheet+xml"/></Types>',
        "_rels/.rels":
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
            'http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml":
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.'
            'openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet '
            'name="Registru" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels":
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
            'http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml":
            '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
            f'openxmlformats.org/spreadsheetml/2006/main"><sheetData>{cells}</sheetData>'
            '</worksheet>',
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()


def image_bytes(fmt: str, i: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64 + i % 32, 48), (i * 7 % 256, 90, 160)).save(out, fmt)
    return out.getvalue()


def corpus(count: int) -> list[tuple[str, bytes, str]]:
    """(file name, bytes, the type a browser would send) of `count` files of the kinds a
    city hall keeps, a few of them broken."""
    def text(i: int) -> str:
        return BODY.format(i=i, token=f"amestec{i}")

    kinds = [
        lambda i: (f"procedura-{i}.docx", docx_bytes(f"P{i}", text(i)), DOCX),
        lambda i: (f"procedura-{i}.odt", odt_bytes(f"P{i}", text(i)),
                   "application/vnd.oasis.opendocument.text"),
        lambda i: (f"decizie-{i}.pdf", pdf_bytes(f"D{i}", text(i)), "application/pdf"),
        lambda i: (f"registru-{i}.xlsx", xlsx_bytes([["Nr.", "Petent"], [str(i), "Ana"]]),
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        lambda i: (f"nota-{i}.txt", text(i).encode(), "text/plain"),
        lambda i: (f"lista-{i}.csv", f"nr,nume\n{i},Ion Popescu\n".encode(), "text/csv"),
        lambda i: (f"pagina-{i}.html", f"<!DOCTYPE html><html><body><h1>Anunț {i}</h1>"
                   f"<p>{text(i)}</p></body></html>".encode(), "text/html"),
        lambda i: (f"scan-{i}.png", image_bytes("PNG", i), "image/png"),
        lambda i: (f"foto-{i}.jpg", image_bytes("JPEG", i), "image/jpeg"),
        lambda i: (f"trunchiat-{i}.pdf", truncated_pdf_bytes(f"T{i}", text(i)),
                   "application/pdf"),
        lambda i: (f"trunchiat-{i}.docx", truncated_docx_bytes(f"T{i}", text(i)), DOCX),
        lambda i: (f"parolat-{i}.docx", encrypted_docx_bytes(f"E{i}", text(i), "x"), DOCX),
        lambda i: (f"fals-{i}.pdf", os.urandom(2048), "application/pdf"),
        lambda i: (f"date-{i}.bin", os.urandom(2048), "application/octet-stream"),
        lambda i: (f"gol-{i}.docx", b"", DOCX),
    ]
    # first, a zip bomb that makes the private Tika's parser die (64 MB of XML in a
    # 512 MB heap) while the other files are uploaded and read
    return [("bomba.docx", zip_bomb_docx(64), DOCX)] + [kinds[i % len(kinds)](i)
                                                       for i in range(1, count)]


@pytest.mark.timeout(420)
def test_a_few_hundred_mixed_files_while_tika_is_killed_twice(city_hall, private_tika):
    ana = person(city_hall, "ana.popescu", "demo-dj")
    files = corpus(200)
    statuses: dict[int, list[str]] = {}
    accepted: list[str] = []
    kills = {len(files) // 3, 2 * len(files) // 3}
    started = time.monotonic()
    document = document_of(ana, "DJ")
    for i, (name, data, media_type) in enumerate(files):
        if i in kills:
            kill_tika_server(private_tika)
        if i % 40 == 0:      # a document does not need hundreds of revisions
            document = document_of(ana, "DJ")
        answer = upload(ana, document, name, data, media_type)
        statuses.setdefault(answer.status_code, []).append(name)
        if answer.status_code == 201:
            accepted.append(answer.json()["id"])
    uploaded = time.monotonic() - started
    assert not [s for s in statuses if s >= 500], {s: n[:5] for s, n in statuses.items()}
    assert set(statuses) <= {201, 415}, {s: n[:5] for s, n in statuses.items()}
    assert all(n.startswith("date-") for n in statuses.get(415, [])), statuses.get(415)
    assert len(accepted) > 180

    eventually(lambda: tika_answers(private_tika), timeout=90, interval=1)

    def pending() -> int:      # asked of the database: polling the API would load it
        with psycopg2.connect(city_hall.database_url) as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM versioning.versions "
                        "WHERE extraction_status = 'pending'")
            count = cur.fetchone()[0]
        conn.close()
        return count
    eventually(lambda: pending() == 0, timeout=240, interval=2)
    names = {v: n for v, n in zip(accepted, statuses[201])}
    outcomes = {v: extraction(ana, v) for v in accepted}
    assert set(e["status"] for e in outcomes.values()) <= {"done", "failed"}
    failed = {names[v]: e["error"] for v, e in outcomes.items() if e["status"] == "failed"}
    assert all(failed.values()), failed                        # each says why
    # only the broken files failed: Tika's deaths are not a file's fault
    assert all(n.split("-")[0] in ("trunchiat", "parolat", "fals", "gol", "bomba.docx")
               for n in failed), failed
    print(f"mixed corpus: {len(files)} files uploaded in {uploaded:.0f} s, "
          f"{len(accepted)} accepted, {len(failed)} failed, all settled after "
          f"{time.monotonic() - started:.0f} s", flush=True)
