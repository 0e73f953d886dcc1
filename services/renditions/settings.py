"""Limits of the rendition engine and its worker, read from the `renditions:` section of
config/procedura.yaml (`RenditionSettings.from_config`); the defaults below are the ones
a test or a script gets without a config."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RenditionSettings:
    # renditions one worker process makes at once; each slot owns a LibreOffice profile
    slots: int = 2
    # LibreOffice: one user profile per worker slot under this folder (two soffice
    # processes sharing a profile block each other or fail).
    profiles_dir: Path = Path("/tmp/procedura-renditions/profiles")
    # the worker's scratch space: an original and its rendition while one is made
    work_dir: Path = Path("/tmp/procedura-renditions/work")
    conversion_seconds: float = 120.0
    # OCR (issue 13: pages per file 500 by default, seconds per page, seconds per file)
    ocr_languages: str = "ron+eng"
    ocr_max_pages: int = 500
    ocr_seconds_per_page: float = 60.0
    ocr_seconds_per_file: float = 1800.0
    ocr_deskew: bool = True
    ocr_rotate_pages: bool = True
    # images: A3 at 600 dpi is 70 Mpx; above this an image is refused before decoding
    max_image_pixels: int = 100_000_000
    image_dpi: int = 300
    # address space of every child process (tesseract, ghostscript, soffice), bytes
    memory_limit_bytes: int = 2 * 1024 ** 3
    # CPU priority of conversions and OCR (nice, 0-19): below the services' own, so a
    # backlog of renditions takes the cores only while nobody's request needs them.
    # Page images, drawn while a person waits, keep the worker's own priority.
    niceness: int = 10
    page_image_min_width: int = 64
    page_image_max_width: int = 2000
    # page images: renditions downloaded to draw pages from, kept up to this many bytes
    page_cache_dir: Path = Path("/tmp/procedura-renditions/pages")
    page_cache_bytes: int = 512 * 1024 ** 2

    @classmethod
    def from_config(cls, config: dict) -> "RenditionSettings":
        """The `renditions:` section of a nameko config (absent: the defaults). An
        unknown key is refused, naming it, so a misspelt limit is not silently ignored."""
        section = dict(config.get("renditions") or {})
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(section) - set(known))
        if unknown:
            raise ValueError(f"renditions: unknown settings {', '.join(unknown)}")
        values = {}
        for name, value in section.items():
            default = known[name].default
            if value is None or value == "":
                continue
            if isinstance(default, Path):
                value = Path(value)
            elif isinstance(default, bool):
                value = value if isinstance(value, bool) else str(value).lower() == "true"
            elif isinstance(default, (int, float)):
                value = type(default)(value)
            values[name] = value
        settings = cls(**values)
        if settings.slots < 1:
            raise ValueError("renditions.slots must be at least 1")
        if not 0 <= settings.niceness <= 19:
            raise ValueError(f"renditions.niceness must be from 0 to 19, not {settings.niceness}")
        return settings
