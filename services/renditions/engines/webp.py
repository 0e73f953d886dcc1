"""A drawn page as WebP, lossless or lossy, whichever is smaller for that page.

A page of typeset text is a few flat colours: lossless WebP keeps it sharp at a fifth of
the PNG's bytes, while lossy WebP blurs the letters and weighs more than the PNG. A scan is
noise and greys: lossy is a quarter of lossless. Which one a page is shows on a band
across its middle, at its own scale (a shrunk copy would blur text into greys), so only
one full-size encoding is paid for."""
from __future__ import annotations

import io

from PIL import Image

from services.contracts.errors import Conflict

LOSSY_QUALITY = 82    # a scanned page's letters stay legible
PROBE_ROWS = 256


def from_png(png: bytes) -> bytes:
    try:
        with Image.open(io.BytesIO(png)) as image:
            image.load()
            top = max(0, image.height // 2 - PROBE_ROWS // 2)
            probe = image.crop((0, top, image.width, min(image.height, top + PROBE_ROWS)))
            lossless = len(_encoded(probe, True)) <= len(_encoded(probe, False))
            return _encoded(image, lossless)
    except Image.DecompressionBombError as exc:   # a page far taller than wide
        raise Conflict(f"the page is too large to draw as WebP at this width: {exc}",
                       {"field": "width"}) from None


def _encoded(image: Image.Image, lossless: bool) -> bytes:
    out = io.BytesIO()
    if lossless:
        image.save(out, "WEBP", lossless=True, quality=80)   # quality: effort, when lossless
    else:
        image.save(out, "WEBP", quality=LOSSY_QUALITY)
    return out.getvalue()
