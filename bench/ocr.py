"""OCR benchmark: seconds per page of the rendition pipeline (services/renditions/ocr.py:
OCRmyPDF driving Tesseract) against the plain `tesseract` command on the same page images,
in the same run.

The pages are Romanian scans made by procedura_cli/scans.py (A4 at 200 dpi, turned
2 degrees, speckled). Every engine runs on one thread (OMP_THREAD_LIMIT=1, --jobs 1), as
one rendition slot does. Measured per page:
- raw: `tesseract page.png out -l ron+eng pdf` (a PDF with a text layer, no deskew);
- pipeline, one page per run: ocr_pdf on a one-page image-only PDF (ocrmypdf's start
  counted for every page), with and without --deskew/--rotate-pages;
- pipeline, one file: ocr_pdf on all pages at once in chunks of `ocr_chunk_pages`
  (the start shared), as seconds per page of the whole file.
Run: `.venv/bin/python bench/ocr.py --pages 8`.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from procedura_cli import scans  # noqa: E402
from services.renditions.ocr import ocr_pdf  # noqa: E402
from services.renditions.settings import RenditionSettings  # noqa: E402

ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
       "OMP_THREAD_LIMIT": "1"}


# words of scans.LINES with diacritics: how many each run reads back (quality, not time)
WORDS = ["PROCEDURĂ", "OPERAȚIONALĂ", "înregistrărilor", "stabilește", "întocmire",
         "Înregistrările", "păstrează", "arhivă", "Primăria", "direcția", "ședința",
         "învățământ", "întâlnire"]


def words_read(pdf: Path) -> int:
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    text = text.translate(str.maketrans("şţŞŢ", "șțȘȚ"))
    return sum(w in text for w in WORDS)


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def raw_tesseract(png: Path, out: Path, languages: str) -> float:
    t0 = time.perf_counter()
    subprocess.run(["tesseract", str(png), str(out), "-l", languages, "pdf"], env=ENV,
                   check=True, capture_output=True)
    return time.perf_counter() - t0


def pipeline_page(pdf: Path, out: Path, settings: RenditionSettings) -> float:
    t0 = time.perf_counter()
    result = ocr_pdf(pdf, out, settings)
    assert result.pages_ocr == 1, result
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=8)
    args = parser.parse_args()
    full = RenditionSettings()
    plain = RenditionSettings(ocr_deskew=False, ocr_rotate_pages=False)
    rows: dict[str, list[float]] = {"raw tesseract": [], "pipeline (deskew, rotate)": [],
                                    "pipeline (no deskew, no rotate)": []}
    read: dict[str, list[int]] = {name: [] for name in rows}
    with tempfile.TemporaryDirectory(prefix="bench-ocr-") as work:
        d = Path(work)
        pages = [scans.scan_page(seed=n, page=n) for n in range(1, args.pages + 1)]
        for n, page in enumerate(pages, start=1):
            png = scans.save([page], d / f"p{n}.png")
            one = scans.save([page], d / f"p{n}.pdf")
            # interleaved, so a burst of load on the shared machine hits all three alike
            rows["raw tesseract"].append(raw_tesseract(png, d / f"t{n}", full.ocr_languages))
            rows["pipeline (deskew, rotate)"].append(pipeline_page(one, d / f"o{n}.pdf", full))
            rows["pipeline (no deskew, no rotate)"].append(
                pipeline_page(one, d / f"q{n}.pdf", plain))
            for name, out in zip(rows, (d / f"t{n}.pdf", d / f"o{n}.pdf", d / f"q{n}.pdf")):
                read[name].append(words_read(out))
            print(f"page {n}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in rows.items()),
                  file=sys.stderr)
        whole = scans.save(pages, d / "all.pdf")
        t0 = time.perf_counter()
        result = ocr_pdf(whole, d / "all-ocr.pdf", full)
        per_page_file = (time.perf_counter() - t0) / args.pages
        assert result.pages_ocr == args.pages, result
        t0 = time.perf_counter()
        result = ocr_pdf(whole, d / "all-plain.pdf", plain)
        per_page_plain = (time.perf_counter() - t0) / args.pages
    raw50 = p(rows["raw tesseract"], 0.5)
    print(f"pages: {args.pages} (A4, 200 dpi), languages {full.ocr_languages}, one thread")
    print(f"| run | s/page p50 | p95 | p50 / raw p50 | words read of {len(WORDS)} (mean) |")
    print("|---|---|---|---|---|")
    for name, values in rows.items():
        print(f"| {name} | {p(values, 0.5):.2f} | {p(values, 0.95):.2f} | "
              f"{p(values, 0.5) / raw50:.2f} | {statistics.mean(read[name]):.1f} |")
    for label, value in (("deskew, rotate", per_page_file),
                         ("no deskew, no rotate", per_page_plain)):
        print(f"| pipeline, one {args.pages}-page file, chunks of {full.ocr_chunk_pages} "
              f"({label}) | {value:.2f} (mean) | | {value / raw50:.2f} | |")


if __name__ == "__main__":
    main()
