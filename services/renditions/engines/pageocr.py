"""One scanned page through Tesseract: its image out of the PDF, straightened, and
Tesseract's own PDF of it (the image with an invisible text layer) in one run.

This is where OCR's time is: the bare `tesseract` command is the floor, and everything
else here costs milliseconds (docs/benchmarks.md, "OCR", second run). A page that is one
image drawn over the whole page (what scanners and images_to_pdf write) gives that image
as it is: a JPEG goes to Tesseract without being decoded again unless it must be turned,
and Tesseract embeds a JPEG as it is. Any other page is drawn by pdftoppm. All of this
is done while Tesseract loads its languages (docs/benchmarks.md, "OCR", fourth run).
"""
from __future__ import annotations

import io
import os
import re
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from PIL import Image
from pypdf import PageObject

from . import deskew, processes
from ..errors import RenditionFailed
from ..settings import RenditionSettings

TESSERACT = "tesseract"
_MIN_SKEW = 0.3          # degrees: below this a turn costs more than it reads
_OSD_CONFIDENCE = 2.0    # Tesseract's orientation confidence needed to turn a page
_RASTER_DPI = 300
# a page image decoded in this process (the rendition worker's): 25 Mpx is 75 MB in RGB,
# an A4 page at 400 dpi is 15.5 Mpx. A larger one is drawn by pdftoppm, a child capped
# in memory like every engine, at the resolution that keeps it within this bound.
_DECODE_PIXELS = 25_000_000
_ROTATE = re.compile(r"^Rotate:\s+(\d+)", re.MULTILINE)
_CONFIDENCE = re.compile(r"^Orientation confidence:\s+([\d.]+)", re.MULTILINE)


@dataclass(frozen=True)
class PageRead:
    pdf: Path          # one page: the (straightened) image with Tesseract's text layer
    text: str          # what Tesseract read ('' when nothing)
    turned: int        # quarter turns clockwise applied (0 or 90 or 270)


@dataclass
class _Scan:
    image: Image.Image
    dpi: float
    jpeg: bytes | None   # the page's own JPEG, when it can go to Tesseract as it is


def read_page(source: Path, page: PageObject, number: int, work: Path, timeout: float,
              settings: RenditionSettings,
              meanwhile: Callable[[], None] | None = None) -> PageRead:
    """OCR page `number` of `source` within `timeout` seconds (processes.Deadline past
    it, nothing left running): the drawing, the orientation pass and the reading share
    that time. Tesseract starts first and loads its languages (a third of a page's time)
    while the page is drawn, turned and written here; then it is told which file to read
    (a list of one image on its standard input, so it embeds a JPEG as it is).
    `meanwhile` is the caller's own work for that time (joining the page read before)."""
    deadline = time.monotonic() + timeout
    left = lambda: max(0.0, deadline - time.monotonic())  # noqa: E731
    scan = _embedded(page)
    dpi = scan.dpi if scan else _raster_dpi(page)
    turns: list[int] = []

    def prepare() -> bytes:
        ready = scan or _drawn(source, number, dpi, work, left(), settings)
        turns.append(_upright(ready, work / f"osd-{number}.jpg", left, settings))
        # a list of one image (absolute: no image format's magic begins with '/')
        listed = os.fsencode(_write(ready, work.absolute() / f"page-{number}")) + b"\n"
        if meanwhile is not None:
            meanwhile()
        return listed

    base = work / f"read-{number}"
    done = processes.run([TESSERACT, "-", str(base), "-l", settings.ocr_languages,
                          "--dpi", str(round(dpi)), "pdf", "txt"], timeout=left(),
                         memory_limit=settings.memory_limit_bytes, env=_env(), feed=prepare)
    pdf, txt = base.with_suffix(".pdf"), base.with_suffix(".txt")
    if done.returncode != 0 or not pdf.exists():
        raise RenditionFailed(f"OCR of page {number} of {source.name} failed (tesseract "
                              f"exit {done.returncode}): {done.stderr.strip()[-300:]}",
                              {"file": source.name, "page": number})
    return PageRead(pdf, txt.read_text(encoding="utf-8", errors="replace")
                    if txt.exists() else "", turns[0])


def _upright(scan: _Scan, probe: Path, left, settings: RenditionSettings) -> int:
    """Turn the page upright when it lies on its side (Tesseract's orientation pass) and
    straighten it past _MIN_SKEW; the quarter turns given (0, 90 or 270)."""
    if not (settings.ocr_deskew or settings.ocr_rotate_pages):
        return 0
    skew = deskew.estimate(_preview(scan))
    turned = 0
    if settings.ocr_rotate_pages and skew.sideways:
        turned = _quarter_turn(scan, probe, left(), settings)
        if turned:
            skew = deskew.estimate(scan.image)
    if settings.ocr_deskew and abs(skew.angle) >= _MIN_SKEW:
        scan.image, scan.jpeg = deskew.straighten(scan.image, skew.angle), None
    return turned


def _embedded(page: PageObject) -> _Scan | None:
    """The page's one image, when the page is nothing but that image over all of it."""
    try:
        if int(page.get("/Rotate", 0)) % 360:
            return None
        resources = page.get("/Resources") or {}
        if "/Font" in resources:
            return None
        xobjects = resources.get("/XObject") or {}
        images = [x.get_object() for x in xobjects.values()]
        if len(images) != 1 or images[0].get("/Subtype") != "/Image":
            return None
        obj = images[0]
        width, height = int(obj["/Width"]), int(obj["/Height"])
        box_w, box_h = float(page.mediabox.width), float(page.mediabox.height)
        # bounded before a pixel is decoded; an image not covering the page is drawn
        if (width * height > _DECODE_PIXELS or not box_w or not box_h
                or abs(width / height - box_w / box_h) > 0.01 * box_w / box_h):
            return None
        filters = obj.get("/Filter")
        dpi = width / (box_w / 72)
        if filters == "/DCTDecode" and obj.get("/ColorSpace") in ("/DeviceGray", "/DeviceRGB"):
            raw = obj._data  # the JPEG's own bytes, as stored
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                return _Scan(Image.open(io.BytesIO(raw)), dpi, raw)
        image = page.images[0].image
        if image.mode not in ("1", "L", "RGB"):
            image = image.convert("RGB")
        return _Scan(image, dpi, None)
    except Exception:  # anything pypdf cannot give cleanly is drawn by pdftoppm instead
        return None


def _raster_dpi(page: PageObject) -> int:
    """What a page that is not a scanner's is drawn at: 300 dpi, less for a page so
    large that 300 dpi would pass _DECODE_PIXELS."""
    try:
        inches = float(page.mediabox.width) * float(page.mediabox.height) / 72 ** 2
    except (TypeError, ValueError, KeyError):
        inches = 8.27 * 11.69
    return max(72, min(_RASTER_DPI, int((_DECODE_PIXELS / max(inches, 1.0)) ** 0.5)))


def _drawn(source: Path, number: int, dpi: int, work: Path, timeout: float,
           settings: RenditionSettings) -> _Scan:
    """The page drawn by pdftoppm (a child, capped in memory) at `dpi`."""
    out = work / f"drawn-{number}"
    argv = ["pdftoppm", "-r", str(dpi), "-gray", "-jpeg", "-jpegopt", "quality=90",
            "-f", str(number), "-l", str(number), "-singlefile", str(source), str(out)]
    done = processes.run(argv, timeout=timeout, memory_limit=settings.memory_limit_bytes)
    jpeg = out.with_suffix(".jpg")
    if done.returncode != 0 or not jpeg.exists():
        raise RenditionFailed(f"page {number} of {source.name} could not be drawn for OCR",
                              {"file": source.name, "page": number})
    raw = jpeg.read_bytes()
    return _Scan(Image.open(io.BytesIO(raw)), float(dpi), raw)


def _quarter_turn(scan: _Scan, probe: Path, timeout: float,
                  settings: RenditionSettings) -> int:
    """Ask Tesseract's orientation detection which way a sideways page lies; turn it."""
    scan.image.convert("L").save(probe, "JPEG", quality=85, dpi=(scan.dpi, scan.dpi))
    done = processes.run([TESSERACT, str(probe), "-", "--psm", "0", "--dpi",
                          str(round(scan.dpi))], timeout=timeout,
                         memory_limit=settings.memory_limit_bytes, env=_env())
    said = done.stdout + done.stderr
    rotate, confidence = _ROTATE.search(said), _CONFIDENCE.search(said)
    if not rotate or not confidence or float(confidence.group(1)) < _OSD_CONFIDENCE:
        return 0
    degrees = int(rotate.group(1))
    if degrees not in (90, 270):
        return 0
    # OSD's "Rotate" is clockwise; Pillow turns counter-clockwise
    scan.image, scan.jpeg = scan.image.rotate(-degrees, expand=True), None
    return degrees


def _preview(scan: _Scan) -> Image.Image:
    """The page for the skew estimate: a JPEG decoded at half size by its own DCT
    scaling (a third of the full decode's time), anything else as it is."""
    if scan.jpeg is None:
        return scan.image
    preview = Image.open(io.BytesIO(scan.jpeg))
    preview.draft("L", (preview.width // 2, preview.height // 2))
    return preview


def _write(scan: _Scan, stem: Path) -> Path:
    if scan.jpeg is not None:
        path = stem.with_suffix(".jpg")
        path.write_bytes(scan.jpeg)
    elif scan.image.mode == "1":  # bilevel: Tesseract stores it as CCITT G4, small
        path = stem.with_suffix(".png")
        scan.image.save(path, "PNG", compress_level=1)
    else:
        path = stem.with_suffix(".jpg")
        scan.image.save(path, "JPEG", quality=90)
    return path


def _env() -> dict:
    # one thread: the worker's slots are the parallelism, as the benchmark measures
    return processes.child_environment(LANG="C.UTF-8", HOME=tempfile.gettempdir(),
                                       OMP_THREAD_LIMIT="1")
