"""The project's own scans (procedura_cli/scans.py): a page saved again alone is one
page, whatever it was saved with before (Pillow remembers a save's appended images on
the images themselves); a procedure is printed on as many pages as its lines need."""
from __future__ import annotations

from PIL import Image
from pypdf import PdfReader

from procedura_cli import scans
from procedura_cli.docgen import parse_procedure
from procedura_cli.demo import DEMO


def test_a_page_saved_alone_after_a_multi_page_save_is_one_page(tmp_path):
    pages = [scans.scan_page(seed=n, page=n, dpi=50) for n in (1, 2, 3)]
    scans.save(pages, tmp_path / "all.pdf")

    assert len(PdfReader(scans.save([pages[1]], tmp_path / "one.pdf")).pages) == 1
    assert Image.open(scans.save(pages[1:], tmp_path / "two.tif")).n_frames == 2
    assert len(PdfReader(tmp_path / "all.pdf").pages) == 3


def test_the_scanned_demo_procedure_is_printed_on_numbered_pages():
    body = parse_procedure(DEMO / "scanned" / "PO-SMC-02.md").body
    lines = scans.procedure_lines(body)

    assert "Arhivarea documentelor create și primite" in lines
    assert all(len(line) <= 48 for line in lines)
    assert not any(mark in " ".join(lines) for mark in ("##", "**"))
    assert len(scans.scan_procedure(body)) == 2
