"""Find's highlights in the viewer sit on the words as the page draws them: for a typed
PDF, a DOCX made readable by LibreOffice and a scan OCR'd by Tesseract, each searched word
(typed without diacritics, as people search) is marked from its first glyph to its last,
whether it carries ș ț ă â î or the old cedilla ş ţ, at the start, middle or end of a line.

The words' boxes come from outside the viewer: the typed PDF's own font metrics
(reportlab), poppler's `pdftotext -bbox` for LibreOffice's PDF, and the ink of each word
in the scanned image. A highlight is compared with them in PDF points: within 1.5 pt
(2 px at 100%), pdf.js's 1-px margin round a highlight aside.
Screenshots: .stack/test-runs/<run>/screenshots/viewer-highlights-*.png"""
from __future__ import annotations

import io
import re
import subprocess
import tempfile
import unicodedata
from html import unescape
from pathlib import Path
from urllib.parse import quote

import pytest
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from procedura_cli.docgen import docx_bytes
from tests.browser.test_viewer import ready, rendered
from tests.e2e.test_walking_skeleton import register, unique_code

pytestmark = pytest.mark.browser

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# Times New Roman's metrics, as city halls type; not the browser's own fallback font
SERIF = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"
FONT, SIZE, LEFT, TOP, LEADING = "HighlightSerif", 13, 72, 760, 24
DPI = 300
LINES = [
    "ștampila se aplică pe cererea depusă la registratură",
    "cererea poartă ștampila și data primirii de la județe",
    "învățământul obligatoriu se face la școală",
    "şcoala şi ţara scrise cu sedilă în actele vechi",
    "procesul-verbal al ședinței se află la secretariatul primăriei",
]
QUERY = "stampila registratura judete invatamantul scoala tara sedintei primariei"
TOLERANCE_PT = 1.5


def fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text)
                   if not unicodedata.combining(c)).lower()


SEARCHED = set(QUERY.split())


def typed_pdf() -> tuple[bytes, list[dict]]:
    """The lines in Liberation Serif, and each searched word's box (points, from the top)."""
    pdfmetrics.registerFont(TTFont(FONT, SERIF))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setFont(FONT, SIZE)
    words = []
    for i, line in enumerate(LINES):
        baseline = TOP - LEADING * i
        pdf.drawString(LEFT, baseline, line)
        for match in re.finditer(r"\S+", line):
            if fold(match[0]) in SEARCHED:
                x0 = LEFT + pdfmetrics.stringWidth(line[:match.start()], FONT, SIZE)
                words.append({"word": match[0], "x0": x0,
                              "x1": x0 + pdfmetrics.stringWidth(match[0], FONT, SIZE),
                              "y": A4[1] - baseline - SIZE / 3})
    pdf.showPage()
    pdf.save()
    return buffer.getvalue(), words


def scanned_pdf(typed: bytes, words: list[dict]) -> tuple[bytes, list[dict]]:
    """The typed page printed and scanned at 300 dpi (an image-only PDF), and each word's
    box as its ink on the scan."""
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "typed.pdf"
        source.write_bytes(typed)
        subprocess.run(["pdftoppm", "-r", str(DPI), "-gray", "-png", "-singlefile",
                        str(source), str(Path(work) / "scan")], check=True)
        image = Image.open(Path(work) / "scan.png").convert("L")
        image.load()
    px = DPI / 72
    inked = []
    for w in words:
        box = (int(w["x0"] * px) - 2, int((w["y"] - SIZE) * px),
               int(w["x1"] * px) + 2, int((w["y"] + SIZE * 0.75) * px))
        left, _, right, _ = image.crop(box).point(lambda v: 255 if v < 128 else 0).getbbox()
        inked.append({**w, "x0": (box[0] + left) / px, "x1": (box[0] + right) / px})
    out = io.BytesIO()
    image.save(out, "PDF", resolution=DPI)
    return out.getvalue(), inked


def poppler_words(pdf: bytes) -> tuple[float, list[dict]]:
    """The first page's width and each searched word's box on it, as poppler measures them
    from the PDF's fonts."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        xhtml = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", file.name, "-"],
                               check=True, capture_output=True, text=True).stdout
    found = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" '
                       r'yMax="([\d.]+)">([^<]*)</word>', xhtml)
    width = float(re.search(r'<page width="([\d.]+)"', xhtml)[1])
    return width, [{"word": unescape(t), "x0": float(a), "x1": float(c),
                    "y": (float(b) + float(d)) / 2}
                   for a, b, c, d, t in found if fold(unescape(t)) in SEARCHED]


@pytest.fixture(scope="module")
def shelf(login):
    """As Ana: the same Romanian lines typed, as a DOCX and scanned, each rendered."""
    author = login("ana.popescu")
    typed, typed_words = typed_pdf()
    scan, scan_words = scanned_pdf(typed, typed_words)
    uploads = {
        "typed": ("tipărit.pdf", typed, PDF),
        "docx": ("din-word.docx", docx_bytes("Probă de evidențiere", "\n\n".join(LINES) + "\n"),
                 DOCX),
        "scan": ("scanat.pdf", scan, PDF),
    }
    shelf = {}
    for kind, (name, content, media_type) in uploads.items():
        document = register(author, unique_code(), title=f"Evidențiere: {kind}")
        version = author.upload(document["id"], name, content, "", media_type)
        shelf[kind] = {"document": document["id"], "version": version["id"]}
    for kind in shelf:
        rendered(author, shelf[kind]["version"])
    rendition = author.request("GET", f"/api/versions/{shelf['docx']['version']}/rendition")
    shelf["typed"].update(words=typed_words, width=A4[0])
    shelf["scan"].update(words=scan_words, width=A4[0])
    width, words = poppler_words(rendition.content)
    shelf["docx"].update(words=words, width=width)
    return shelf


MARKS = """
const page = document.querySelector('.viewer .page[data-page-number="1"]');
const canvas = page.querySelector('canvas').getBoundingClientRect();
const box = (r) => ({left: r.left, right: r.right, top: r.top, bottom: r.bottom});
return {canvas: box(canvas), marks: [...page.querySelectorAll('.textLayer .highlight')]
  .map((m) => ({text: m.textContent, ...box(m.getBoundingClientRect())}))};
"""


@pytest.mark.parametrize("kind", ["typed", "docx", "scan"])
def test_each_highlight_covers_exactly_its_word_as_drawn(browser, shelf, kind):
    b = browser().log_in("ana.popescu")
    b.open(f"/documents/{shelf[kind]['document']}?q={quote(QUERY)}#viewer")
    viewer = ready(b)
    expected = shelf[kind]["words"]
    assert len(expected) == 10, expected            # every searched word is on the page
    b.wait(lambda d: viewer.get_attribute("data-find") == "found")
    b.wait(lambda d: len(d.execute_script(MARKS)["marks"]) >= len(expected), 30)
    shown = b.driver.execute_script(MARKS)
    b.screenshot(f"viewer-highlights-{kind}", full_page=False)
    scale = (shown["canvas"]["right"] - shown["canvas"]["left"]) / shelf[kind]["width"]
    marks = [{"text": m["text"],
              # in points on the page; pdf.js draws a highlight 1 px wider on each side
              "x0": (m["left"] + 1 - shown["canvas"]["left"]) / scale,
              "x1": (m["right"] - 1 - shown["canvas"]["left"]) / scale,
              "y": ((m["top"] + m["bottom"]) / 2 - shown["canvas"]["top"]) / scale}
             for m in shown["marks"]]
    off = []
    for word in expected:
        same = [m for m in marks if fold(m["text"]) == fold(word["word"])
                and abs(m["y"] - word["y"]) < LEADING / 2]
        assert same, f"{word['word']} not marked: {[m['text'] for m in marks]}"
        mark = min(same, key=lambda m: abs(m["x0"] - word["x0"]))
        if max(abs(mark["x0"] - word["x0"]), abs(mark["x1"] - word["x1"])) > TOLERANCE_PT:
            off.append(f"{word['word']}: marked {mark['x0']:.1f}-{mark['x1']:.1f} pt, "
                       f"drawn {word['x0']:.1f}-{word['x1']:.1f} pt")
    assert not off, off
    assert len(marks) == len(expected), [m["text"] for m in marks]   # nothing else marked
