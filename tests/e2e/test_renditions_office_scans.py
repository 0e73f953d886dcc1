"""An office file whose page is a scan pasted as a picture (issue 13): after LibreOffice
makes its PDF, the page without a text layer is OCR'd like a scanned PDF's, so search
finds its words with and without diacritics."""
from __future__ import annotations

import io

import docx
from docx.shared import Inches

from procedura_cli import scans
from tests.e2e.test_renditions_worker import assert_ocr_words_found, rendered
from tests.e2e.test_walking_skeleton import DOCX, register, unique_code


def scanned_docx() -> bytes:
    """A DOCX with no text of its own: one page showing a Romanian scan."""
    page = io.BytesIO()
    scans.scan_page(dpi=150, angle=1.5, seed=3).save(page, "PNG", dpi=(150, 150))
    document = docx.Document()
    document.add_picture(io.BytesIO(page.getvalue()), width=Inches(6))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_docx_showing_a_scan_is_ocrd_and_found_with_and_without_diacritics(login):
    author = login("ana.popescu")
    document = register(author, unique_code())
    version = author.upload(document["id"], "procedură scanată.docx", scanned_docx(), "",
                            DOCX)

    result = rendered(author, version["id"])

    assert result["rendition"] == {"status": "done", "pages": 1, "error": None}
    extraction = result["extraction"]
    assert extraction["ocr"] is True and extraction["ocr_pages"] == 1, extraction
    assert extraction["ocr_pages_left"] == 0 and extraction["characters"] > 100
    assert_ocr_words_found(author, document["id"], version["id"])
    # the rendition carries the text layer: the viewer's find and selection work on it
    rendition = author.request("GET", f"/api/versions/{version['id']}/rendition")
    assert rendition.status_code == 200 and rendition.content.startswith(b"%PDF")
