"""Extraction limits of the Tika adapter, against the real Tika: timeout, character cap,
bounded concurrency, and telling a Tika that is away from a file that is at fault."""
import io
import socket
import time

import eventlet
import pytest

from procedura_cli.badfiles import billion_xref_pdf, image_only_pdf, text_pdf, zip_bomb_docx
from procedura_cli.docgen import docx_bytes
from services.versioning.adapters.tika import (
    ExtractionFailed, Tika, TikaDropped, TikaUnavailable)

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
