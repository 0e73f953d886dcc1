"""How OCR gets each scanned page (services/renditions/engines/pageocr.py, deskew.py), on the
real Tesseract and poppler: a scanner's page (one image over the whole page) is read
from its own image and straightened; a page that is more than that is drawn first; a
bilevel scan is read too; pages keep their size."""
from __future__ import annotations

import io
import subprocess

import pytest
from PIL import Image
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from procedura_cli import scans
from services.renditions.engines import deskew
from services.renditions.engines.ocr import ocr_pdf
from services.renditions.settings import RenditionSettings

pytestmark = pytest.mark.integration

WORDS = ["PROCEDURĂ", "înregistrărilor", "stabilește", "întocmire", "Înregistrările",
         "păstrează", "arhivă", "Primăria", "direcția", "ședința"]


def text_of(path) -> str:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                         capture_output=True, text=True).stdout
    return out.translate(str.maketrans("şţŞŢ", "șțȘȚ"))


def assert_read(text: str):
    found = [w for w in WORDS if w in text]
    assert len(found) >= 6, f"only {found} of {WORDS} in {text!r}"


def test_a_turned_scan_is_read_straightened_and_keeps_its_page_size(tmp_path):
    source = scans.save([scans.scan_page(seed=6, page=1, angle=1.5)], tmp_path / "scan.pdf")

    result = ocr_pdf(source, tmp_path / "rendition.pdf", RenditionSettings())

    assert (result.pages, result.pages_ocr, result.pages_unread) == (1, 1, [])
    assert_read(text_of(tmp_path / "rendition.pdf"))
    before, after = PdfReader(source).pages[0], PdfReader(tmp_path / "rendition.pdf").pages[0]
    assert [round(float(v)) for v in after.mediabox] == [round(float(v)) for v in before.mediabox]
    # the page image in the rendition is the straightened one
    image = after.images[0].image
    assert abs(deskew.estimate(image).angle) <= 0.2


def test_a_page_that_is_more_than_one_image_is_drawn_then_read(tmp_path):
    # the scan at half size in a corner of an A4 page, with a frame: not a scanner's page
    page = scans.scan_page(seed=7, page=1, angle=0.0, dpi=300)
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.rect(20, 20, A4[0] - 40, A4[1] - 40)
    pdf.drawImage(ImageReader(page), 30, 30, width=A4[0] - 60, height=A4[1] - 60)
    pdf.save()
    source = tmp_path / "framed.pdf"
    source.write_bytes(out.getvalue())
    assert text_of(source).strip() == ""

    result = ocr_pdf(source, tmp_path / "rendition.pdf", RenditionSettings())

    assert (result.pages, result.pages_ocr) == (1, 1)
    assert_read(text_of(tmp_path / "rendition.pdf"))


def test_a_bilevel_scan_is_read(tmp_path):
    page = scans.scan_page(seed=8, page=1, angle=1.0, dpi=300).point(
        lambda v: 255 if v > 140 else 0).convert("1")
    source = tmp_path / "bilevel.pdf"
    page.save(source, "PDF", resolution=300.0)

    result = ocr_pdf(source, tmp_path / "rendition.pdf", RenditionSettings())

    assert result.pages_ocr == 1
    assert_read(text_of(tmp_path / "rendition.pdf"))


def test_a_blank_scanned_page_is_kept_as_it_was_and_named_unread(tmp_path):
    source = tmp_path / "blank.pdf"
    Image.new("L", (1654, 2339), 255).save(source, "PDF", resolution=200.0)

    result = ocr_pdf(source, tmp_path / "rendition.pdf", RenditionSettings())

    assert (result.pages, result.pages_ocr, result.pages_unread) == (1, 0, [1])
