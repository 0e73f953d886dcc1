"""Romanian scans made by the project: text drawn on an A4 page, turned a little and
speckled like a page through an office scanner, saved as PNG, JPEG, TIFF (several pages)
or an image-only PDF. For the OCR tests and benchmark, and the demo's scanned procedure
(demo/scanned/*.md, loaded by procedura_cli/demo.py as an image-only PDF: issue 13)."""
from __future__ import annotations

import io
import random
import re
import textwrap
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

LINES = [
    "PROCEDURĂ OPERAȚIONALĂ",
    "Controlul documentelor și al înregistrărilor",
    "Scopul procedurii: stabilește modul de întocmire,",
    "verificare, aprobare și difuzare a documentelor.",
    "Șeful compartimentului răspunde de actualizarea",
    "listei de difuzare și de instruirea personalului.",
    "Înregistrările se păstrează în arhivă timp de cinci ani.",
    "Primăria municipiului, direcția juridică, ședința",
    "țară, învățământ, câmp, întâlnire, găsește.",
]


def scan_page(lines: list[str] = LINES, *, dpi: int = 200, angle: float = 2.0,
              noise: float = 0.002, seed: int = 1, page: int | None = None) -> Image.Image:
    """One A4 page (grey) with `lines` in 16 pt, turned by `angle` degrees, with a
    fraction `noise` of its pixels flipped to dark specks."""
    rnd = random.Random(seed)
    width, height = int(8.27 * dpi), int(11.69 * dpi)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, int(16 / 72 * dpi))
    y = int(1.0 * dpi)
    for line in lines + ([f"Pagina {page}"] if page else []):
        draw.text((int(0.9 * dpi), y), line, font=font, fill=20)
        y += int(0.45 * dpi)
    image = image.rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=255)
    pixels = image.load()
    for _ in range(int(width * height * noise)):
        pixels[rnd.randrange(width), rnd.randrange(height)] = rnd.randrange(0, 120)
    image.info["dpi"] = (dpi, dpi)
    return image


def save(pages: list[Image.Image], path: Path, dpi: int = 200) -> Path:
    """Save the pages by `path`'s extension: .png/.jpg (first page), .tif (all pages),
    .pdf (all pages, images only: no text layer)."""
    path = Path(path)
    kind = path.suffix.lower()
    # copies: Pillow keeps a saved image's `append_images` on the images it appended, so
    # a page saved again alone would bring the pages that followed it the first time
    first, rest = pages[0].copy(), [page.copy() for page in pages[1:]]
    if kind == ".png":
        first.save(path, "PNG", dpi=(dpi, dpi))
    elif kind in (".jpg", ".jpeg"):
        first.save(path, "JPEG", dpi=(dpi, dpi), quality=85)
    elif kind in (".tif", ".tiff"):
        first.save(path, "TIFF", dpi=(dpi, dpi), compression="tiff_deflate",
                   save_all=True, append_images=rest)
    elif kind == ".pdf":
        first.save(path, "PDF", resolution=float(dpi), save_all=True, append_images=rest)
    else:
        raise ValueError(f"no scan format for {kind}")
    return path


def pixel_bomb_png(width: int = 20000, height: int = 20000) -> bytes:
    """A 1-bit PNG of width x height white pixels: a few hundred kilobytes on disk."""
    out = io.BytesIO()
    Image.new("1", (width, height), 1).save(out, "PNG", optimize=False)
    return out.getvalue()


# what fits an A4 page in scan_page's 16 pt: about 48 characters a line, 20 lines a page
_WIDTH_CHARACTERS = 48
_LINES_PER_PAGE = 20


def procedure_lines(body: str) -> list[str]:
    """A procedure's Markdown body as the lines a printed page shows (marks dropped,
    paragraphs wrapped, a blank line between them)."""
    lines: list[str] = []
    for raw in body.splitlines():
        text = re.sub(r"^#{1,3}\s+|^[-*]\s+|\*\*", "", raw.strip())
        if not text:
            if lines and lines[-1]:
                lines.append("")
            continue
        lines += textwrap.wrap(text, _WIDTH_CHARACTERS) or [""]
    return lines


def scan_procedure(body: str, *, angle: float = 1.5, seed: int = 1) -> list[Image.Image]:
    """The procedure printed on A4 pages and scanned: each turned `angle` degrees (the
    sign alternating, as sheets go through a feeder), speckled, numbered."""
    lines = procedure_lines(body)
    pages = [lines[i:i + _LINES_PER_PAGE] for i in range(0, len(lines), _LINES_PER_PAGE)]
    return [scan_page(chunk, angle=angle if n % 2 else -angle, seed=seed + n, page=n)
            for n, chunk in enumerate(pages, start=1)]
