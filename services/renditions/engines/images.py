"""Scanned images (PNG, JPEG, TIFF of one or many pages) to an image-only PDF, one page
per image, ready for OCR.

An image's size is read from its header and refused above the limit before a pixel is
decoded: a 20,000 x 20,000 PNG is a few kilobytes on disk and 1.2 GB in memory.
"""
from __future__ import annotations

import io
import warnings
from pathlib import Path

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError
from pypdf import PdfReader, PdfWriter

from ..errors import CorruptFile, ImageTooLarge
from ..settings import RenditionSettings


def images_to_pdf(source: Path, target: Path, settings: RenditionSettings) -> int:
    """Write `source`'s pages as a PDF to `target`; answer the number of pages."""
    source, target = Path(source), Path(target)
    writer = PdfWriter()
    pages = 0
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb warning: our limit below is the one that decides
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(source) as image:
                for frame in ImageSequence.Iterator(image):
                    _check_size(frame, source, pages + 1, settings)
                    writer.append(PdfReader(io.BytesIO(_frame_pdf(frame, settings))))
                    pages += 1
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(f"{source.name} is too large an image: {exc}",
                            {"file": source.name}) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise CorruptFile(f"{source.name} is not a readable image: {exc}",
                          {"file": source.name}) from None
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as out:
        writer.write(out)
    return pages


def _check_size(frame: Image.Image, source: Path, page: int, settings: RenditionSettings):
    width, height = frame.size
    if width * height > settings.max_image_pixels:
        raise ImageTooLarge(
            f"{source.name}: page {page} is {width} x {height} pixels, more than the "
            f"{settings.max_image_pixels:,} allowed", {"file": source.name, "page": page,
                                                       "width": width, "height": height})


def _frame_pdf(frame: Image.Image, settings: RenditionSettings) -> bytes:
    dpi = frame.info.get("dpi") or (settings.image_dpi, settings.image_dpi)
    resolution = float(dpi[0]) if dpi[0] and dpi[0] > 1 else float(settings.image_dpi)
    page = ImageOps.exif_transpose(frame)
    if page.mode not in ("1", "L", "RGB"):
        page = page.convert("RGB")
    out = io.BytesIO()
    page.save(out, "PDF", resolution=resolution)
    return out.getvalue()
