"""PDFs the viewer tests open: pages with Romanian text, and one carrying scripts and an
embedded file (made with reportlab and pypdf, Procedura's own dependencies)."""
from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

FONT = "ViewerTestSans"   # a name of its own: "DejaVuSans" is the product's family
pdfmetrics.registerFont(TTFont(FONT, "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"))
SCRIPT_TITLE = "PDF SCRIPT RAN"


def pages(count: int, texts: dict[int, str]) -> bytes:
    """`count` A4 pages, each headed "Pagina N", with texts[N] written below on page N."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for n in range(1, count + 1):
        pdf.setFont(FONT, 16)
        pdf.drawString(72, 770, f"Pagina {n}")
        pdf.setFont(FONT, 12)
        for i, line in enumerate(texts.get(n, "").splitlines()):
            pdf.drawString(72, 720 - 18 * i, line)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def with_scripts(text: str) -> bytes:
    """A PDF whose opening runs JavaScript (an alert, a changed page title, a new window),
    again when its first page opens, and which embeds an HTML file with a script: a viewer
    that runs none of them shows only the text."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pages(2, {1: text}))))
    js = (f"app.alert('pdf'); this.title = '{SCRIPT_TITLE}'; "
          f"try {{ document.title = '{SCRIPT_TITLE}'; }} catch (e) {{}} "
          "app.launchURL('http://127.0.0.1:9/opened', true);")
    def action() -> DictionaryObject:
        return DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                                 NameObject("/JS"): TextStringObject(js)})

    writer._root_object[NameObject("/OpenAction")] = action()
    # and again when its first page opens
    writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): action()})
    writer.add_attachment("ataș.html", f"<script>document.title='{SCRIPT_TITLE}'</script>"
                          .encode())
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
