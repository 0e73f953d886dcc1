"""A TIFF of 300 pages, as an office scanner's feeder makes them (bilevel, CCITT group 4,
300 dpi), becomes a 300-page PDF in the rendition worker's child process
(services/renditions/engines/child.py, which calls images.py) with its memory bounded: one page is
decoded at a time, so the child's peak stays far below the 2.6 GB the 300 decoded pages
would take (issue 13, bad input: a TIFF with 300 pages)."""
from __future__ import annotations

import hashlib
import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont, TiffImagePlugin
from pypdf import PdfReader

from procedura_cli import scans
from services.renditions.settings import RenditionSettings

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent.parent
PAGES = 300
# seen: 105 MiB (VmHWM) for the 300 pages below (Python, Pillow and pypdf alone are ~45 MiB and
# the 10 MB PDF is held while written); all pages decoded at once would be 2.6 GB
PEAK_RSS_BOUND = 250 * 1024 ** 2


def long_tiff(path: Path, pages: int = PAGES, dpi: int = 300) -> Path:
    """A multi-page bilevel TIFF of the Romanian scan (procedura_cli/scans.py), each page
    numbered ("Pagina n") at its foot. One page is scanned and copied, its speckles kept
    few, so the file is made in seconds and stays small enough to upload; the pages are
    appended one at a time, so this process never holds them all (a child forked from it
    would start with that memory as its own peak)."""
    base = scans.scan_page(dpi=dpi, angle=1.5, seed=7, noise=0.0005)
    base = base.point(lambda v: 255 if v > 160 else 0, "1")
    font = ImageFont.truetype(scans.FONT, int(16 / 72 * dpi))
    with TiffImagePlugin.AppendingTiffWriter(str(path), new=True) as tiff:
        for n in range(1, pages + 1):
            page = base.copy()
            ImageDraw.Draw(page).text((int(0.9 * dpi), int(10.5 * dpi)), f"Pagina {n}",
                                      font=font, fill=0)
            page.save(tiff, "TIFF", dpi=(dpi, dpi), compression="group4")
            tiff.newFrame()
    return path


# The child's own peak is read from /proc/self/status (VmHWM, the high-water mark of the
# memory of the program it became) as it exits. Not os.wait4's ru_maxrss: Linux keeps the
# largest resident size of a process across exec, so a child forked from this test process
# (hundreds of MiB late in a full run) would report that size as its own peak.
_REPORTING_PEAK = """
import atexit, runpy, sys

def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            sys.stderr.write("\\nVmHWM " + line.split()[1] + "\\n")

atexit.register(peak)
sys.argv = ["child", *sys.argv[1:]]
runpy.run_module("services.renditions.engines.child", run_name="__main__")
"""


def run_child(source: Path, target: Path, tmp_path: Path, **settings) -> tuple[dict, int]:
    """`python -m services.renditions.engines.child ocr_images` under the engines' address
    space cap, as the worker runs it (child.run_ocr); answers its JSON answer and its own peak
    resident memory in bytes."""
    limit = RenditionSettings().memory_limit_bytes

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    child = subprocess.run(
        [sys.executable, "-c", _REPORTING_PEAK, "ocr_images", str(source), str(target),
         json.dumps(settings)], cwd=str(ROOT), capture_output=True, text=True,
        stdin=subprocess.DEVNULL, preexec_fn=cap)
    assert child.returncode == 0, \
        f"exit {child.returncode}: {child.stdout[-500:]} {child.stderr[-2000:]}"
    peaks = [int(line.split()[1]) for line in child.stderr.splitlines()
             if line.startswith("VmHWM ")]
    assert len(peaks) == 1, child.stderr[-2000:]
    return json.loads(child.stdout.strip().splitlines()[-1]), peaks[0] * 1024   # KiB


def test_a_tiff_of_300_pages_becomes_a_300_page_pdf_within_bounded_memory(tmp_path):
    source = long_tiff(tmp_path / "dosar.tif")
    with Image.open(source) as tiff:
        assert (tiff.n_frames, tiff.mode) == (PAGES, "1")
        decoded = tiff.width * tiff.height * PAGES          # Pillow: a byte a pixel in "1"
    target = tmp_path / "rendition.pdf"

    # no OCR (a limit of 0 pages): what is measured is images.py turning 300 pages to PDF
    answer, peak = run_child(source, target, tmp_path, ocr_max_pages=0)

    assert answer["pages"] == PAGES and answer["pages_ocr"] == 0
    assert answer["pages_left"] == list(range(1, PAGES + 1))
    assert answer["stopped_by"] == "max_pages"
    reader = PdfReader(target)
    assert len(reader.pages) == PAGES
    # every page A4 at the TIFF's 300 dpi (595 x 842 points), none lost or doubled
    sizes = {(round(float(p.mediabox.width)), round(float(p.mediabox.height)))
             for p in reader.pages}
    assert sizes == {(595, 842)}, sizes
    assert decoded > 2_500_000_000
    assert peak < PEAK_RSS_BOUND, (
        f"the child peaked at {peak / 1024 ** 2:.0f} MiB for {PAGES} pages "
        f"({decoded / 1024 ** 2:.0f} MiB decoded); bound {PEAK_RSS_BOUND / 1024 ** 2:.0f} MiB")
    # each page is its own TIFF page, in order: the numbers at their feet differ
    assert len({image_of(reader.pages[n]) for n in (0, 1, PAGES - 1)}) == 3


def image_of(page) -> str:
    """A digest of the one image a page of the rendition draws."""
    images = page["/Resources"]["/XObject"]
    assert len(images) == 1, list(images)
    return hashlib.sha256(next(iter(images.values())).get_object().get_data()).hexdigest()
