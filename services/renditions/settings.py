"""Limits of the rendition engine.

Not yet read from config/procedura.yaml: the session that wires renditions into the
services adds a `renditions:` section and builds this object from it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RenditionSettings:
    # LibreOffice: one user profile per worker slot under this folder (two soffice
    # processes sharing a profile block each other or fail).
    profiles_dir: Path = Path("/tmp/procedura-renditions/profiles")
    conversion_seconds: float = 120.0
    # OCR (issue 13: pages per file 500 by default, seconds per page, seconds per file)
    ocr_languages: str = "ron+eng"
    ocr_max_pages: int = 500
    ocr_seconds_per_page: float = 60.0
    ocr_seconds_per_file: float = 1800.0
    # pages handed to one ocrmypdf run: what a file deadline can lose at most
    ocr_chunk_pages: int = 8
    ocr_deskew: bool = True
    ocr_rotate_pages: bool = True
    # images: A3 at 600 dpi is 70 Mpx; above this an image is refused before decoding
    max_image_pixels: int = 100_000_000
    image_dpi: int = 300
    # address space of every child process (tesseract, ghostscript, soffice), bytes
    memory_limit_bytes: int = 2 * 1024 ** 3
    page_image_min_width: int = 64
    page_image_max_width: int = 2000
    # page images: local copies of the renditions they are drawn from, least recently
    # used removed past this many bytes (services/renditions/local_copies.py)
    page_cache_dir: Path = Path("/tmp/procedura-renditions/copies")
    page_cache_bytes: int = 2 * 1024 ** 3
