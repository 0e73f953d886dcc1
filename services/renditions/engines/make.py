"""One version's PDF rendition from its original on local disk, by the engine its media
type calls for (services/renditions/domain.py)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import domain
from . import pdf
from .child import run_ocr
from ..errors import UnsupportedFile
from .libreoffice import convert_to_pdf
from .ocr import OcrResult
from ..settings import RenditionSettings


@dataclass(frozen=True)
class Made:
    path: Path                    # the rendition PDF
    pages: int
    is_original: bool             # a PDF with a text layer is its own rendition
    ocr: OcrResult | None = None  # what OCR read, when it ran


def make_rendition(original: Path, media_type: str, work: Path, *, slot: int,
                   settings: RenditionSettings) -> Made:
    """The rendition of `original` (already named by its detected type's extension)
    written under `work`; RenditionFailed (a subclass naming why) when none can be made.
    Pages without a text layer are OCR'd whatever the format: a PDF's, an image's, and
    those of an office file that shows a scan as a picture."""
    found = domain.kind_of(media_type)
    if found is None:
        raise UnsupportedFile(f"Procedura makes no PDF of {media_type} files",
                              {"media_type": media_type})
    kind, _ = found
    target = work / "rendition.pdf"
    if kind == domain.PDF:
        pages = pdf.page_count(original, settings)   # a password or a broken file says so
        if not pdf.pages_without_text(original, settings):
            return Made(original, pages, True)
        result = run_ocr("ocr_pdf", original, target, settings)
        if result.pages_ocr == 0 and not result.pages_left:
            # nothing to read on its image pages (blank ones): the original says it all
            return Made(original, pages, True, result)
        return Made(target, result.pages, False, result)
    if kind == domain.IMAGE:
        result = run_ocr("ocr_images", original, target, settings)
        return Made(target, result.pages, False, result)
    converted = convert_to_pdf(original, work / "converted.pdf", slot=slot,
                               settings=settings)
    pages = pdf.page_count(converted, settings)
    if not pdf.pages_without_text(converted, settings):
        return Made(converted, pages, False)
    # a page with no text: a scan pasted as a picture (or a blank page), read like one
    result = run_ocr("ocr_pdf", converted, target, settings)
    if result.pages_ocr == 0:
        return Made(converted, pages, False, result)
    return Made(target, result.pages, False, result)
