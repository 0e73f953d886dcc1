"""OCR: a PDF (or scanned images) to a PDF whose image-only pages gain an invisible text
layer, in Romanian and English, through OCRmyPDF and Tesseract.

Only pages without a text layer are read, at most `ocr_max_pages` of them, in chunks of
`ocr_chunk_pages` pages, each chunk one ocrmypdf run bounded by the time the file has
left. A limit reached keeps what the finished chunks did and says which pages were left.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import pdf, processes
from .errors import PasswordProtected, RenditionFailed
from .images import images_to_pdf
from .settings import RenditionSettings

OCRMYPDF = "ocrmypdf"
_ENCRYPTED_PDF = 8  # ocrmypdf's exit code for an encrypted input
# a run's start and the copy of the pages it does not read, beyond the pages' own time
_RUN_OVERHEAD_SECONDS = 20.0


@dataclass(frozen=True)
class OcrResult:
    pages: int                       # pages of the rendition
    pages_ocr: int                   # pages read by OCR
    pages_left: list[int] = field(default_factory=list)  # pages without text left unread
    stopped_by: str | None = None    # "max_pages" | "seconds_per_file" | None
    # handed to OCR but still without text: past `ocr_seconds_per_page` (Tesseract's
    # timeout keeps the page as it was) or a page with nothing to read
    pages_unread: list[int] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.pages_left


def ocr_pdf(source: Path, target: Path, settings: RenditionSettings) -> OcrResult:
    """Write `source` with a text layer on its image-only pages to `target`."""
    source, target = Path(source), Path(target)
    total = pdf.page_count(source, settings)
    todo = pdf.pages_without_text(source, settings)
    chosen, beyond = todo[:settings.ocr_max_pages], todo[settings.ocr_max_pages:]
    deadline = time.monotonic() + settings.ocr_seconds_per_file
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ocr-") as work:
        current = Path(work) / "current.pdf"
        shutil.copyfile(source, current)
        attempted, left, stopped = [], [], None
        for start in range(0, len(chosen), settings.ocr_chunk_pages):
            chunk = chosen[start:start + settings.ocr_chunk_pages]
            remaining = deadline - time.monotonic()
            budget = min(remaining, len(chunk) * settings.ocr_seconds_per_page
                         + _RUN_OVERHEAD_SECONDS)
            if budget <= 0:
                left, stopped = chosen[start:], "seconds_per_file"
                break
            output = Path(work) / f"chunk-{start}.pdf"
            try:
                _run_ocrmypdf(current, output, chunk, budget, settings, source.name)
            except processes.Deadline:
                left = chosen[start:]
                stopped = ("seconds_per_file" if budget >= remaining
                           else "seconds_per_page")
                break
            output.replace(current)
            attempted += chunk
        if beyond and stopped is None:
            stopped = "max_pages"
        still_empty = set(pdf.pages_without_text(current, settings)) if attempted else set()
        unread = [page for page in attempted if page in still_empty]
        shutil.copyfile(current, target)
    return OcrResult(pages=total, pages_ocr=len(attempted) - len(unread),
                     pages_left=left + beyond, stopped_by=stopped, pages_unread=unread)


def ocr_images(source: Path, target: Path, settings: RenditionSettings) -> OcrResult:
    """PNG, JPEG or (multi-page) TIFF to an OCR'd PDF, one page per image."""
    with tempfile.TemporaryDirectory(prefix="ocr-images-") as work:
        pages_pdf = Path(work) / "pages.pdf"
        images_to_pdf(source, pages_pdf, settings)
        return ocr_pdf(pages_pdf, target, settings)


def _run_ocrmypdf(source: Path, target: Path, pages: list[int], timeout: float,
                  settings: RenditionSettings, name: str) -> None:
    argv = [OCRMYPDF, "--quiet", "--skip-text", "--language", settings.ocr_languages,
            # a plain PDF: PDF/A would pass the whole file through ghostscript per chunk
            "--output-type", "pdf", "--optimize", "0", "--jobs", "1",
            "--tesseract-timeout", f"{settings.ocr_seconds_per_page:g}",
            # ocrmypdf's own bound on a page image it unpacks, in megapixels
            "--max-image-mpixels", f"{settings.max_image_pixels / 1e6:g}",
            "--pages", ",".join(map(str, pages))]
    if settings.ocr_deskew:
        argv.append("--deskew")
    if settings.ocr_rotate_pages:
        argv.append("--rotate-pages")
    argv += [str(source), str(target)]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
           "HOME": tempfile.gettempdir(), "OMP_THREAD_LIMIT": "1"}
    done = processes.run(argv, timeout=timeout, memory_limit=settings.memory_limit_bytes,
                         env=env)
    if done.returncode == _ENCRYPTED_PDF:
        raise PasswordProtected(f"{name} is an encrypted PDF", {"file": name})
    if done.returncode != 0 or not target.exists():
        raise RenditionFailed(f"OCR failed (ocrmypdf exit {done.returncode}): "
                              f"{done.stderr.strip()[-300:]}", {"file": name, "pages": pages})
