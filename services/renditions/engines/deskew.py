"""How far a scanned page is turned, estimated on a small copy of it in milliseconds.

Lines of text make the ink's row profile peaked: sheared by the page's skew, the profile
of the dark pixels is sharpest. Scoring shears (not rotations) of the dark pixels'
coordinates on a page shrunk to about 800 pixels wide costs a few milliseconds, where
OCRmyPDF's deskew cost 0.8 s a page and its orientation pass (a second Tesseract run)
1.0 s (docs/benchmarks.md, "OCR", second run). The same profile says whether the lines
run across the page at all: when the columns are sharper than the rows the page lies on
its side, and only then is Tesseract's orientation detection asked which side.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

_WIDTH = 800          # the shrunk copy's width: 0.1 degree is 1.4 pixels across it
_COARSE = np.arange(-6.0, 6.01, 0.5)
_FINE = np.arange(-0.25, 0.26, 0.05)
_ACROSS = np.arange(-6.0, 6.01, 1.0)  # which way lines run needs no precision
_MAX_POINTS = 6_000   # dark pixels scored: more only adds time, not precision
_MIN_INK = 500        # fewer dark pixels than this: nothing to straighten
_SIDEWAYS = 1.5       # columns this much sharper than rows: the lines run down the page


@dataclass(frozen=True)
class Skew:
    angle: float      # degrees counter-clockwise the page is turned (0 when unsure)
    sideways: bool    # its lines run down the page (turned a quarter either way)


def estimate(image: Image.Image) -> Skew:
    """The skew of `image` (a copy at half size or less is as good)."""
    small = image.convert("L")
    if small.width > _WIDTH:
        small = small.reduce(max(1, round(small.width / _WIDTH)))
    # shrinking averages specks of noise into light grey: only real strokes stay dark
    ys, xs = np.nonzero(np.asarray(small) < 128)
    if len(ys) < _MIN_INK:
        return Skew(0.0, False)
    step = max(1, len(ys) // _MAX_POINTS)
    ys, xs = ys[::step].astype(np.float32), xs[::step].astype(np.float32)
    rows, angle = _sharpest(ys, xs)
    columns, _ = _sharpest(xs, ys, fine=False)  # which way the lines run, not how far
    return Skew(angle, columns > _SIDEWAYS * rows)


def straighten(image: Image.Image, angle: float) -> Image.Image:
    """The page turned back by `angle` degrees, the corners filled white. Nearest
    neighbour: 14 ms for an A4 page at 200 dpi against 110 ms bicubic, and Tesseract
    reads it as well (words read, docs/benchmarks.md)."""
    page = image if image.mode in ("1", "L", "RGB") else image.convert("RGB")
    fill = 255 if page.mode in ("L", "1") else (255, 255, 255)
    return page.rotate(-angle, resample=Image.NEAREST, expand=False, fillcolor=fill)


def _sharpest(along: np.ndarray, across: np.ndarray, fine: bool = True
              ) -> tuple[float, float]:
    """The best score of the profile of `along` over shears by `across`, and its angle."""
    def score(degrees: float) -> float:
        # a line turned counter-clockwise by a rises to the right: y + x tan(a) is constant
        bins = np.rint(along + across * np.tan(np.radians(degrees))).astype(np.int64)
        profile = np.bincount(bins - bins.min())
        return float(np.dot(profile, profile))

    best = max(_COARSE if fine else _ACROSS, key=score)
    if fine:
        best = max(best + _FINE, key=score)
    return score(best), float(best)
