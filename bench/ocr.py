"""OCR benchmark: seconds per page of the rendition pipeline (services/renditions/engines/ocr.py:
a deskew estimate, then one Tesseract run per page) against the plain `tesseract` command
on the same page images, in the same run.

The pages are Romanian scans made by procedura_cli/scans.py (A4 at 200 dpi, turned
2 degrees, speckled). Every engine runs on one thread (OMP_THREAD_LIMIT=1, --jobs 1), as
one rendition slot does. Measured per page, interleaved page by page:
- raw: `tesseract page.png out -l ron+eng pdf` (a PDF with a text layer, no deskew);
- pipeline, one page per run: ocr_pdf on a one-page image-only PDF (its page checks
  counted for every page), with and without deskew/rotation;
- with --ocrmypdf, the previous pipeline as a reference: `ocrmypdf --skip-text
  --output-type pdf --optimize 0 --jobs 1 --deskew --rotate-pages` on the same PDF;
- pipeline, one file: ocr_pdf on all pages at once, as seconds per page of the file.
Run: `.venv/bin/python bench/ocr.py --pages 12 --ocrmypdf`.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from procedura_cli import scans  # noqa: E402
from services.renditions.engines.ocr import ocr_pdf  # noqa: E402
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


def cpu() -> float:
    """CPU seconds of this process and its finished children: unlike the wall clock,
    not stretched by other work on a shared machine."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(step) -> tuple[float, float]:
    wall, used = time.perf_counter(), cpu()
    step()
    return time.perf_counter() - wall, cpu() - used


def raw_tesseract(png: Path, out: Path, languages: str) -> tuple[float, float]:
    return timed(lambda: subprocess.run(["tesseract", str(png), str(out), "-l", languages,
                                         "pdf"], env=ENV, check=True, capture_output=True))


def ocrmypdf_page(pdf: Path, out: Path, languages: str) -> tuple[float, float]:
    return timed(lambda: subprocess.run(
        ["ocrmypdf", "--quiet", "--skip-text", "--language", languages, "--output-type",
         "pdf", "--optimize", "0", "--jobs", "1", "--deskew", "--rotate-pages", str(pdf),
         str(out)], env=ENV, check=True, capture_output=True))


def pipeline_page(pdf: Path, out: Path, settings: RenditionSettings) -> tuple[float, float]:
    def step():
        result = ocr_pdf(pdf, out, settings)
        assert result.pages_ocr == 1, result
    return timed(step)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=12)
    parser.add_argument("--ocrmypdf", action="store_true",
                        help="also time the previous pipeline (OCRmyPDF) as a reference")
    args = parser.parse_args()
    full = RenditionSettings()
    plain = RenditionSettings(ocr_deskew=False, ocr_rotate_pages=False)
    rows: dict[str, list[tuple[float, float]]] = {"raw tesseract": [], "pipeline (deskew, rotate)": [],
                                    "pipeline (no deskew, no rotate)": []}
    if args.ocrmypdf:
        rows["ocrmypdf --deskew --rotate-pages (before)"] = []
    read: dict[str, list[int]] = {name: [] for name in rows}
    started_load = os.getloadavg()[0]   # one minute's: other work on the machine
    with tempfile.TemporaryDirectory(prefix="bench-ocr-") as work:
        d = Path(work)
        pages = [scans.scan_page(seed=n, page=n) for n in range(1, args.pages + 1)]
        for n, page in enumerate(pages, start=1):
            png = scans.save([page], d / f"p{n}.png")
            one = scans.save([page], d / f"p{n}.pdf")
            # interleaved, each first in turn, so a burst of load on the shared machine
            # hits all three alike
            runs = [("raw tesseract",
                     lambda: raw_tesseract(png, d / f"t{n}", full.ocr_languages)),
                    ("pipeline (deskew, rotate)",
                     lambda: pipeline_page(one, d / f"o{n}.pdf", full)),
                    ("pipeline (no deskew, no rotate)",
                     lambda: pipeline_page(one, d / f"q{n}.pdf", plain))]
            for name, run in runs[n % 3:] + runs[:n % 3]:
                rows[name].append(run())
            if args.ocrmypdf:
                rows["ocrmypdf --deskew --rotate-pages (before)"].append(
                    ocrmypdf_page(one, d / f"m{n}.pdf", full.ocr_languages))
            outs = (d / f"t{n}.pdf", d / f"o{n}.pdf", d / f"q{n}.pdf", d / f"m{n}.pdf")
            for name, out in zip(rows, outs):
                read[name].append(words_read(out))
            print(f"page {n}: " + ", ".join(f"{k} {v[-1][0]:.2f} s ({v[-1][1]:.2f} cpu)"
                                            for k, v in rows.items()), file=sys.stderr)
        whole = scans.save(pages, d / "all.pdf")
        per_file = {}
        for label, settings in (("deskew, rotate", full), ("no deskew, no rotate", plain)):
            wall, used = timed(lambda: ocr_pdf(whole, d / "all-ocr.pdf", settings))
            per_file[label] = (wall / args.pages, used / args.pages)
    raw = rows["raw tesseract"]
    print(f"pages: {args.pages} (A4, 200 dpi), languages {full.ocr_languages}, one thread; "
          f"load average at the start {started_load:.1f}, at the end {os.getloadavg()[0]:.1f}")
    print(f"| run | wall s/page p50 | p95 | CPU s/page p50 | p95 | p50 / raw | p95 / raw | "
          f"CPU p50 / raw | CPU p95 / raw | words read of {len(WORDS)} (mean) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, values in rows.items():
        wall, used = [v[0] for v in values], [v[1] for v in values]
        rwall, rused = [v[0] for v in raw], [v[1] for v in raw]
        print(f"| {name} | {p(wall, 0.5):.2f} | {p(wall, 0.95):.2f} | {p(used, 0.5):.2f} | "
              f"{p(used, 0.95):.2f} | {p(wall, 0.5) / p(rwall, 0.5):.2f} | "
              f"{p(wall, 0.95) / p(rwall, 0.95):.2f} | {p(used, 0.5) / p(rused, 0.5):.2f} | "
              f"{p(used, 0.95) / p(rused, 0.95):.2f} | {statistics.mean(read[name]):.1f} |")
    rwall50 = p([v[0] for v in raw], 0.5)
    rused50 = p([v[1] for v in raw], 0.5)
    for label, (wall, used) in per_file.items():
        print(f"| pipeline, one {args.pages}-page file ({label}), mean | {wall:.2f} | | "
              f"{used:.2f} | | {wall / rwall50:.2f} | | {used / rused50:.2f} | | |")


if __name__ == "__main__":
    main()
