"""Extraction limits of the Tika adapter, against the real Tika: timeout, character cap,
bounded concurrency, and telling a Tika that is away from a file that is at fault."""
import io
import os
import signal
import socket
import subprocess
import threading
import time

import eventlet
import pytest

from procedura_cli.badfiles import billion_xref_pdf, image_only_pdf, text_pdf, zip_bomb_docx
from procedura_cli.docgen import docx_bytes
from services.versioning.adapters.tika import (
    ExtractionFailed, Tika, TikaDropped, TikaUnavailable)
from tests.testenv import ROOT

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BODY = "## Secțiune\n\nÎnregistrarea petițiilor şi soluţionarea lor în termen legal.\n\n"


def test_a_parse_longer_than_the_timeout_fails_the_file_naming_the_limit(settings):
    tika = Tika(settings.tika_url, timeout=0.05, max_characters=10_000_000)
    pages = [[f"Rândul {n} al paginii {p}: înregistrarea petițiilor." for n in range(50)]
             for p in range(200)]         # Tika needs seconds for 200 pages
    with pytest.raises(ExtractionFailed) as raised:
        tika.extract(io.BytesIO(text_pdf(pages)), "lung.pdf", "application/pdf")
    assert "did not finish reading the file within 0.05 s" in str(raised.value)


def test_a_tika_that_is_not_there_is_unavailable_not_a_bad_file():
    with socket.socket() as probe:          # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    tika = Tika(f"http://127.0.0.1:{port}", timeout=5, max_characters=1000)
    with pytest.raises(TikaUnavailable) as raised:
        tika.extract(io.BytesIO(b"%PDF-1.4"), "a.pdf", "application/pdf")
    assert not isinstance(raised.value, TikaDropped)


def test_the_character_cap_holds_for_a_large_text(settings):
    tika = Tika(settings.tika_url, timeout=120, max_characters=5000)
    extracted = tika.extract(io.BytesIO(docx_bytes("mare", BODY * 2000)), "mare.docx", DOCX)
    assert len(extracted.text) <= 5000 and extracted.truncated


def test_hostile_files_end_quickly_as_text_or_a_reason(settings):
    tika = Tika(settings.tika_url, timeout=60, max_characters=100_000)
    started = time.monotonic()
    with pytest.raises(ExtractionFailed) as raised:
        tika.extract(io.BytesIO(zip_bomb_docx(256)), "bomba.docx", DOCX)
    assert str(raised.value)
    xref = tika.extract(io.BytesIO(billion_xref_pdf()), "xref.pdf", "application/pdf")
    assert len(xref.text) < 1000
    scanned = tika.extract(io.BytesIO(image_only_pdf(2)), "scanat.pdf", "application/pdf")
    assert scanned.text == "" and not scanned.truncated
    assert time.monotonic() - started < 60


def test_extractions_of_one_process_are_bounded(settings):
    tika = Tika(settings.tika_url, timeout=120, max_characters=100_000, concurrency=2)
    inside, peak = 0, 0
    real_call = tika._extract_call

    def counted(*args):
        nonlocal inside, peak
        inside += 1
        peak = max(peak, inside)
        try:
            return real_call(*args)
        finally:
            inside -= 1

    tika._extract_call = counted
    data = docx_bytes("c", BODY * 50)
    pool = eventlet.GreenPool(8)
    results = list(pool.imap(lambda i: tika.extract(io.BytesIO(data), f"{i}.docx", DOCX),
                             range(8)))
    assert all("Înregistrarea petițiilor" in r.text for r in results)
    assert peak == 2


@pytest.fixture(scope="module")
def private_tika():
    """A Tika of this module only (scripts/stack.sh, own port and directory), so it can
    be broken without touching the shared one."""
    env = {**os.environ, "PROCEDURA_STACK_DIR": str(ROOT / ".stack" / "tika-private"),
           "PROCEDURA_STACK_COMPONENTS": "tika", "PROCEDURA_TIKA_PORT": "26420",
           "PROCEDURA_TIKA_HEAP": "512m"}
    script = str(ROOT / "scripts" / "stack.sh")
    started = subprocess.run([script, "up"], env=env, capture_output=True, text=True,
                             timeout=180)
    assert started.returncode == 0, started.stdout + started.stderr
    yield "http://127.0.0.1:26420", ROOT / ".stack" / "tika-private" / "pids" / "tika.pid"
    subprocess.run([script, "down"], env=env, capture_output=True, timeout=120)


def test_tika_dying_mid_file_is_a_drop_and_tika_comes_back(private_tika):
    url, pid_file = private_tika
    tika = Tika(url, timeout=60, max_characters=10_000_000)
    pages = [[f"Rândul {n} al paginii {p}: înregistrarea petițiilor." for n in range(50)]
             for p in range(200)]

    def children(pid: int) -> list[int]:
        found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
        return [int(p) for p in found.stdout.split()]

    data = text_pdf(pages)      # made before the clock starts: it takes a while itself
    sending = threading.Event()

    def kill_the_parser():
        sending.wait(30)
        time.sleep(0.5)         # inside the parse of a file that takes Tika seconds
        deadline = time.monotonic() + 30
        while True:             # the supervisor → Tika's server → its forked parser
            parsers = [p for server in children(int(pid_file.read_text()))
                       for p in children(server)]
            if parsers or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        for parser in parsers:
            os.kill(parser, signal.SIGKILL)

    killer = threading.Thread(target=kill_the_parser)
    killer.start()
    sending.set()
    with pytest.raises(TikaDropped) as raised:
        tika.extract(io.BytesIO(data), "lung.pdf", "application/pdf")
    killer.join()
    assert "dropped the connection" in str(raised.value)
    # Tika restarts its parser, the next file is read normally
    deadline = time.monotonic() + 60
    while True:
        try:
            extracted = tika.extract(io.BytesIO(docx_bytes("d", BODY)), "d.docx", DOCX)
            break
        except TikaUnavailable:
            assert time.monotonic() < deadline
            time.sleep(1)
    assert "Înregistrarea petițiilor" in extracted.text
