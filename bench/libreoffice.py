"""LibreOffice benchmark: seconds per document of the rendition pipeline's conversion
(services/renditions/engines/libreoffice.py:convert_to_pdf) against a bare
`soffice --headless --convert-to pdf` of the same files, in the same run, by format
(DOCX, XLSX, PPTX, ODT) and size (1, 10, 50 pages).

Both start LibreOffice once per file (no kept-alive office): what ours adds is the checks
before it (encryption, a readable package), its own profile per slot, the network lock
(an empty network namespace) and the process-group deadline. The bare run gets a profile
of its own too, made before the timing (a first start builds the profile: seconds).
The files are Romanian text made here as flat ODF (text, spreadsheet, presentation) and
turned into each format by LibreOffice before the timing. Runs are interleaved.
Run: `.venv/bin/python bench/libreoffice.py --repeat 3`.
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
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.renditions.engines.libreoffice import convert_to_pdf  # noqa: E402
from services.renditions.settings import RenditionSettings  # noqa: E402

SIZES = (1, 10, 50)
LINE = ("Primăria municipiului stabilește modul de întocmire, verificare și aprobare a "
        "documentelor; șeful compartimentului răspunde de difuzarea lor. ")
NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
      'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
      'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
      'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
      'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" '
      'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
      'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
      'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"')


def flat_document(kind: str, content: str, styles: str = "") -> str:
    """A flat OpenDocument of `kind` (text, spreadsheet, presentation) holding `content`."""
    return (f'<?xml version="1.0" encoding="UTF-8"?><office:document {NS} office:version="1.2" '
            f'office:mimetype="application/vnd.oasis.opendocument.{kind}">{styles}'
            f"<office:body><office:{kind}>{content}</office:{kind}></office:body>"
            f"</office:document>")


def flat_text(pages: int) -> str:
    breaks = ('<office:automatic-styles><style:style style:name="B" style:family="paragraph">'
              '<style:paragraph-properties fo:break-before="page"/></style:style>'
              '</office:automatic-styles>')
    body = "".join(
        f'<text:p text:style-name="{"B" if n and i == 0 else "Standard"}">'
        f"{escape(f'Pagina {n + 1}. ' + LINE * 3)}</text:p>"
        for n in range(pages) for i in range(8))
    return flat_document("text", body, styles=breaks)


def flat_spreadsheet(pages: int) -> str:
    # about 50 rows of two cells print on one A4 page
    rows = "".join(
        f'<table:table-row><table:table-cell office:value-type="float" office:value="{r}">'
        f"<text:p>{r}</text:p></table:table-cell><table:table-cell office:value-type="
        f'"string"><text:p>{escape(LINE[:60])}</text:p></table:table-cell></table:table-row>'
        for r in range(pages * 50))
    return flat_document("spreadsheet",
                         f'<table:table table:name="Registru">{rows}</table:table>')


def flat_presentation(pages: int) -> str:
    slides = "".join(
        f'<draw:page draw:name="s{n}"><draw:frame svg:x="2cm" svg:y="2cm" svg:width="24cm" '
        f'svg:height="14cm"><draw:text-box><text:p>{escape(f"Slide {n + 1}. " + LINE)}'
        f"</text:p></draw:text-box></draw:frame></draw:page>" for n in range(pages))
    return flat_document("presentation", slides)


# format: (flat source maker, flat extension, LibreOffice filter to write it)
FORMATS = {"docx": (flat_text, "fodt", "docx:MS Word 2007 XML"),
           "odt": (flat_text, "fodt", "odt"),
           "xlsx": (flat_spreadsheet, "fods", "xlsx:Calc MS Excel 2007 XML"),
           "pptx": (flat_presentation, "fodp", "pptx:Impress MS PowerPoint 2007 XML")}


def bare(source: Path, out: Path, home: Path) -> float:
    out.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(out),
                    str(source)], env={"PATH": os.environ["PATH"], "HOME": str(home)},
                   check=True, capture_output=True, timeout=600)
    elapsed = time.perf_counter() - t0
    assert (out / (source.stem + ".pdf")).exists(), source
    return elapsed


def ours(source: Path, target: Path, settings: RenditionSettings) -> float:
    t0 = time.perf_counter()
    convert_to_pdf(source, target, slot=0, settings=settings)
    return time.perf_counter() - t0


def make_files(work: Path, home: Path) -> dict[tuple[str, int], Path]:
    files = {}
    for fmt, (maker, flat_ext, export) in FORMATS.items():
        for pages in SIZES:
            flat = work / f"{fmt}-{pages}.{flat_ext}"
            flat.write_text(maker(pages), encoding="utf-8")
            subprocess.run(["soffice", "--headless", "--convert-to", export, "--outdir",
                            str(work / "made"), str(flat)],
                           env={"PATH": os.environ["PATH"], "HOME": str(home)},
                           check=True, capture_output=True, timeout=600)
            files[(fmt, pages)] = work / "made" / f"{fmt}-{pages}.{fmt}"
    return files


def pdf_pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages")))


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-lo-") as tmp:
        work = Path(tmp)
        home = work / "home"
        home.mkdir()
        files = make_files(work, home)   # also builds the bare run's profile
        settings = RenditionSettings(profiles_dir=work / "profiles")
        warm = work / "warm.txt"
        warm.write_text("start", encoding="utf-8")
        ours(warm, work / "warm.pdf", settings)  # our slot's profile, built untimed
        rows: dict[tuple[str, int], dict[str, list[float]]] = {}
        start = {"bare": [], "ours": []}
        for n in range(args.repeat):
            # LibreOffice's start alone: a one-line text file
            start["bare"].append(bare(warm, work / f"start-b{n}", home))
            start["ours"].append(ours(warm, work / f"start-o{n}.pdf", settings))
            for (fmt, pages), source in files.items():
                row = rows.setdefault((fmt, pages), {"bare": [], "ours": []})
                row["bare"].append(bare(source, work / f"b{n}", home))
                row["ours"].append(ours(source, work / f"o{n}-{fmt}-{pages}.pdf", settings))
                print(f"{fmt} {pages}: bare {row['bare'][-1]:.2f} s, ours {row['ours'][-1]:.2f} s",
                      file=sys.stderr)
        print(f"LibreOffice {subprocess.run(['soffice', '--version'], capture_output=True, text=True).stdout.split()[1]}, "
              f"{args.repeat} runs per file, interleaved")
        print("| file | PDF pages | bare p50 | bare p95 | ours p50 | ours p95 | ours / bare (p50) |")
        print("|---|---|---|---|---|---|---|")
        print(f"| one-line TXT (LibreOffice's start) | 1 | {p(start['bare'], .5):.2f} | "
              f"{p(start['bare'], .95):.2f} | {p(start['ours'], .5):.2f} | "
              f"{p(start['ours'], .95):.2f} | "
              f"{p(start['ours'], .5) / p(start['bare'], .5):.2f} |")
        for (fmt, pages), row in rows.items():
            made = pdf_pages(work / f"o0-{fmt}-{pages}.pdf")
            print(f"| {fmt.upper()} {pages} p. | {made} | {p(row['bare'], .5):.2f} | "
                  f"{p(row['bare'], .95):.2f} | {p(row['ours'], .5):.2f} | "
                  f"{p(row['ours'], .95):.2f} | "
                  f"{p(row['ours'], .5) / p(row['bare'], .5):.2f} |")
        ratio = statistics.median(p(r["ours"], .5) / p(r["bare"], .5) for r in rows.values())
        print(f"median of ours / bare over the files: {ratio:.2f}")


if __name__ == "__main__":
    main()
