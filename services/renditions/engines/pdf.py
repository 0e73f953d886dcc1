"""What the renditions need to know of a PDF, from poppler's tools: its pages, the text
each page already has, and one page as an image."""
from __future__ import annotations

import re
from pathlib import Path

from . import processes
from ..errors import CorruptFile, PasswordProtected, RenditionFailed
from ..settings import RenditionSettings

_PAGES = re.compile(r"^Pages:\s+(\d+)", re.MULTILINE)
_TOOL_SECONDS = 120.0


def page_count(path: Path, settings: RenditionSettings) -> int:
    done = _tool(["pdfinfo", str(path)], path, settings)
    found = _PAGES.search(done.stdout)
    if "Incorrect password" in done.stderr:
        raise PasswordProtected(f"{Path(path).name} is password-protected",
                                {"file": Path(path).name})
    if done.returncode != 0 or not found:
        raise CorruptFile(f"{Path(path).name} is not a readable PDF: "
                          f"{done.stderr.strip()[-200:]}", {"file": Path(path).name})
    return int(found.group(1))


def page_texts(path: Path, settings: RenditionSettings) -> list[str]:
    """The text layer of every page, in order ('' for a page with none, e.g. a scan)."""
    done = _tool(["pdftotext", "-enc", "UTF-8", str(path), "-"], path, settings)
    if done.returncode != 0:
        raise CorruptFile(f"{Path(path).name} is not a readable PDF: "
                          f"{done.stderr.strip()[-200:]}", {"file": Path(path).name})
    pages = done.stdout.split("\f")
    return pages[:-1] if pages and pages[-1] == "" else pages


def pages_without_text(path: Path, settings: RenditionSettings) -> list[int]:
    """1-based numbers of the pages with no text layer: the ones OCR should read."""
    return [n for n, text in enumerate(page_texts(path, settings), start=1) if not text.strip()]


def page_image(path: Path, page: int, width: int, settings: RenditionSettings) -> bytes:
    """Page `page` (1-based) as a PNG `width` pixels wide."""
    if not settings.page_image_min_width <= width <= settings.page_image_max_width:
        raise ValueError(f"width must be from {settings.page_image_min_width} to "
                         f"{settings.page_image_max_width}")
    done = _tool(["pdftoppm", "-png", "-f", str(page), "-l", str(page), "-singlefile",
                  "-scale-to-x", str(width), "-scale-to-y", "-1", str(path)], path, settings,
                 text=False)
    if done.returncode != 0 or not done.stdout:
        raise RenditionFailed(f"page {page} of {Path(path).name} could not be drawn",
                              {"file": Path(path).name, "page": page})
    return done.stdout


def _tool(argv, path, settings, text=True):
    try:
        return processes.run(argv, timeout=_TOOL_SECONDS, memory_limit=settings.memory_limit_bytes,
                             text=text)
    except processes.Deadline as exc:
        raise RenditionFailed(f"{argv[0]} on {Path(path).name}: {exc}",
                              {"file": Path(path).name}) from None
