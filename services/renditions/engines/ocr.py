"""OCR: a PDF (or scanned images) to a PDF whose image-only pages gain an invisible text
layer, in Romanian and English, read by Tesseract page by page (services/renditions/
pageocr.py; ADR 0006 says why not OCRmyPDF any more).

Only pages without a text layer are read, at most `ocr_max_pages` of them, each within
`ocr_seconds_per_page` and all within `ocr_seconds_per_file`. A page past its own time
is kept as it was and named unread; the file's limit keeps the pages read before it and
says which were left. Pages read replace the scanned ones; every other page, the
document's information and its page order stay as they were (outlines are not kept).
"""
from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError

from . import pdf, processes
from ..errors import CorruptFile
from .images import images_to_pdf
from .pageocr import PageRead, read_page
from ..settings import RenditionSettings


@dataclass(frozen=True)
class OcrResult:
    pages: int                       # pages of the rendition
    pages_ocr: int                   # pages read by OCR
    pages_left: list[int] = field(default_factory=list)  # pages without text left unread
    stopped_by: str | None = None    # "max_pages" | "seconds_per_file" | None
    # handed to OCR but still without text: past `ocr_seconds_per_page` (its Tesseract
    # killed, the page kept as it was) or a page with nothing to read
    pages_unread: list[int] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.pages_left


def ocr_pdf(source: Path, target: Path, settings: RenditionSettings) -> OcrResult:
    """Write `source` with a text layer on its image-only pages to `target`."""
    source, target = Path(source), Path(target)
    reader = _reader(source, settings)
    total, todo = len(reader.pages), _pages_without_text(source, reader, settings)
    chosen, beyond = todo[:settings.ocr_max_pages], todo[settings.ocr_max_pages:]
    deadline = time.monotonic() + settings.ocr_seconds_per_file
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ocr-") as work:
        joined, unread, left, stopped = _Joiner(reader), [], [], None
        for index, number in enumerate(chosen):
            remaining = deadline - time.monotonic()
            timeout = min(remaining, settings.ocr_seconds_per_page)
            if remaining <= 0:
                left, stopped = chosen[index:], "seconds_per_file"
                break
            try:
                page = read_page(source, reader.pages[number - 1], number, Path(work),
                                 timeout, settings, meanwhile=joined.join)
            except processes.Deadline:
                if timeout < remaining:  # the page's own limit: keep it, go on
                    unread.append(number)
                    continue
                left, stopped = chosen[index:], "seconds_per_file"
                break
            if page.text.strip():
                joined.add(number, page)
            else:  # nothing to read (a blank page): the page stays as it was
                unread.append(number)
        if beyond and stopped is None:
            stopped = "max_pages"
        if joined.pages_read:
            _write(joined, target)
        else:
            shutil.copyfile(source, target)
    return OcrResult(pages=total, pages_ocr=joined.pages_read, pages_left=left + beyond,
                     stopped_by=stopped, pages_unread=unread)


def ocr_images(source: Path, target: Path, settings: RenditionSettings) -> OcrResult:
    """PNG, JPEG or (multi-page) TIFF to an OCR'd PDF, one page per image."""
    with tempfile.TemporaryDirectory(prefix="ocr-images-") as work:
        pages_pdf = Path(work) / "pages.pdf"
        images_to_pdf(source, pages_pdf, settings)
        return ocr_pdf(pages_pdf, target, settings)


def _reader(source: Path, settings: RenditionSettings) -> PdfReader:
    """The PDF, or poppler's word on why not (PasswordProtected, CorruptFile)."""
    try:
        reader = PdfReader(source)
        if not reader.is_encrypted or reader.decrypt(""):  # no password: readable
            len(reader.pages)
            return reader
    except (PdfReadError, OSError, ValueError, KeyError, TypeError) as exc:
        pdf.page_count(source, settings)
        raise CorruptFile(f"{source.name} is not a readable PDF: {exc}",
                          {"file": source.name}) from None
    pdf.page_count(source, settings)  # names the password
    raise CorruptFile(f"{source.name} is not a readable PDF", {"file": source.name})


def _pages_without_text(source: Path, reader: PdfReader,
                        settings: RenditionSettings) -> list[int]:
    """Pages with no text layer. A page without a font has none (a scan: one image), so
    poppler is asked only when some page has a font (30 ms a file, 4% of a page's OCR)."""
    if not any(_has_font(page.get("/Resources")) for page in reader.pages):
        return list(range(1, len(reader.pages) + 1))
    return pdf.pages_without_text(source, settings)


def _has_font(resources, depth: int = 0) -> bool:
    resources = resources.get_object() if resources is not None else None
    if not resources or depth > 8:
        return bool(resources)  # nested too deep to say: let poppler look
    if "/Font" in resources:
        return True
    for xobject in (resources.get("/XObject") or {}).values():
        xobject = xobject.get_object()
        if xobject.get("/Subtype") == "/Form" and _has_font(xobject.get("/Resources"),
                                                            depth + 1):
            return True
    return False


class _Joiner:
    """The rendition, made as its pages are read: the page Tesseract wrote joins the
    document (pypdf) while the next page's Tesseract loads its languages (read_page's
    `meanwhile`), so after the last Tesseract only that page's joining and the writing
    are left in line (docs/benchmarks.md, "OCR", sixth run). Every page read replaces
    its scanned page; the others are kept as they are, in the document's order."""

    def __init__(self, reader: PdfReader):
        self.reader, self.writer = reader, PdfWriter()
        self.pending: list[tuple[int, PageRead]] = []
        self.kept = 0            # the original pages up to this one are in the writer
        self.pages_read = 0

    def add(self, number: int, page: PageRead) -> None:
        self.pending.append((number, page))
        self.pages_read += 1

    def join(self) -> None:
        for number, page in self.pending:
            self.keep_through(number - 1)
            self._replace(number, page)
        self.pending.clear()

    def keep_through(self, number: int) -> None:
        for original in self.reader.pages[self.kept:number]:
            self.writer.add_page(original)
        self.kept = max(self.kept, number)

    def _replace(self, number: int, read: PageRead) -> None:
        """Tesseract's page (its image and the invisible text), drawn at the original
        page's size unless it was turned sideways."""
        original = self.reader.pages[number - 1]
        page = self.writer.add_page(PdfReader(read.pdf).pages[0])
        self.kept = number
        width, height = float(original.mediabox.width), float(original.mediabox.height)
        # Tesseract sizes the page by a whole dpi: a point off is not worth rewriting its
        # content stream for (17 ms a page)
        if not read.turned and (abs(float(page.mediabox.width) - width) > 1
                                or abs(float(page.mediabox.height) - height) > 1):
            page.scale_to(width, height)


def _write(joined: _Joiner, target: Path) -> None:
    """The document: the pages still to join, the pages after the last one read as they
    are, and the original's information."""
    joined.join()
    joined.keep_through(len(joined.reader.pages))
    reader, writer = joined.reader, joined.writer
    if reader.metadata:
        writer.add_metadata({k: v for k, v in reader.metadata.items() if isinstance(k, str)})
    with open(target, "wb") as out:
        writer.write(out)
