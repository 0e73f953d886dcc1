"""What renditions read from a PDF with poppler's tools (issue 13): a 1,000-page file's
pages are counted and one page is drawn only when asked, at the width asked; a locked or
broken PDF fails naming why."""
from __future__ import annotations

import io
import time

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

from procedura_cli.badfiles import text_pdf
from services.renditions.engines import pdf
from services.renditions.errors import CorruptFile, PasswordProtected
from services.renditions.engines.ocr import ocr_pdf
from services.renditions.settings import RenditionSettings

pytestmark = pytest.mark.integration

SETTINGS = RenditionSettings()


@pytest.fixture(scope="module")
def thousand_pages(tmp_path_factory):
    path = tmp_path_factory.mktemp("pdf") / "big.pdf"
    path.write_bytes(text_pdf([[f"Pagina {n} din procedura"] for n in range(1, 1001)]))
    return path


def test_a_thousand_page_pdf_is_counted_and_one_page_drawn_when_asked(thousand_pages):
    assert pdf.page_count(thousand_pages, SETTINGS) == 1000

    t0 = time.monotonic()
    png = pdf.page_image(thousand_pages, 1000, 200, SETTINGS)
    drawn_in = time.monotonic() - t0

    image = Image.open(io.BytesIO(png))
    assert (image.format, image.width) == ("PNG", 200)
    assert abs(image.height - 200 * 842 / 595) <= 1  # A4's proportions kept
    assert drawn_in < 10, f"one page of 1,000 took {drawn_in:.1f} s"


@pytest.mark.parametrize("width", [64, 2000])
def test_a_page_is_drawn_at_the_smallest_and_largest_width(width, thousand_pages):
    image = Image.open(io.BytesIO(pdf.page_image(thousand_pages, 2, width, SETTINGS)))
    assert image.width == width


@pytest.mark.parametrize("width", [63, 2001])
def test_a_width_outside_64_to_2000_is_refused(width, thousand_pages):
    with pytest.raises(ValueError, match="width must be from 64 to 2000"):
        pdf.page_image(thousand_pages, 1, width, SETTINGS)


def test_pages_with_text_are_not_pages_for_ocr(thousand_pages):
    assert pdf.pages_without_text(thousand_pages, SETTINGS) == []


def test_a_password_protected_pdf_fails_naming_why(tmp_path):
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(text_pdf([["Confidential"]]))))
    writer.encrypt(user_password="parola", owner_password="alta")
    with open(tmp_path / "locked.pdf", "wb") as out:
        writer.write(out)

    with pytest.raises(PasswordProtected, match="locked.pdf is password-protected"):
        ocr_pdf(tmp_path / "locked.pdf", tmp_path / "out.pdf", SETTINGS)


def test_a_broken_pdf_fails_naming_why(tmp_path):
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 100)

    with pytest.raises(CorruptFile, match="broken.pdf is not a readable PDF"):
        ocr_pdf(tmp_path / "broken.pdf", tmp_path / "out.pdf", SETTINGS)
