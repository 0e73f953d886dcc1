"""Render a tabular form (title, heading lines, a table) as DOCX, PDF or CSV.

The forms of OSGG 600 and of the quality office are all the same shape: a title,
a few lines naming the document, one table. `Form` holds that shape; the functions
here only lay it out. The text is never normalised, so ș ț ă â î stay as they are;
PDFs embed DejaVu Sans, which carries them (Debian fonts-dejavu-core).
"""
from __future__ import annotations

import functools
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from services.common.spreadsheet import csv_text

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FORMATS = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
}


class FontMissing(RuntimeError):
    """The TTF font that carries Romanian letters in PDFs is not installed."""


@dataclass(frozen=True)
class Form:
    """One generated form: `columns` are the table's headings, each row one string per column.

    `widths` are relative column widths (default: equal)."""
    title: str
    heading: list[str]
    columns: list[str]
    rows: list[list[str]]
    widths: list[float] = field(default_factory=list)
    footer: str = ""
    landscape: bool = True
    font_size: float = 9.0     # of the table (smaller for forms with many columns)

    def __post_init__(self):
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"a row of {len(row)} cells in a table of "
                                 f"{len(self.columns)} columns: {row!r}")

    def relative_widths(self) -> list[float]:
        widths = self.widths or [1.0] * len(self.columns)
        total = float(sum(widths))
        return [w / total for w in widths]


def ro_date(value: date | None) -> str:
    """dd.mm.yyyy, or empty when there is no date."""
    return value.strftime("%d.%m.%Y") if value else ""


def render(form: Form, fmt: str) -> bytes:
    if fmt == "docx":
        return to_docx(form)
    if fmt == "pdf":
        return to_pdf(form)
    if fmt == "csv":
        return to_csv(form)
    raise ValueError(f"no form format {fmt!r}; one of {sorted(FORMATS)}")


def to_csv(form: Form) -> bytes:
    # a BOM so that spreadsheet programs read the diacritics as UTF-8
    return ("\ufeff" + csv_text(form.columns, form.rows)).encode("utf-8")


def to_docx(form: Form) -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(10)
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    if form.landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))
    for line in form.heading:
        doc.add_paragraph(line)
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(form.title)
    run.bold = True
    run.font.size = Pt(13)

    table = doc.add_table(rows=1, cols=len(form.columns))
    table.style = "Table Grid"
    usable = section.page_width - section.left_margin - section.right_margin
    widths = [int(usable * w) for w in form.relative_widths()]
    for cell, text, width in zip(table.rows[0].cells, form.columns, widths):
        cell.width = width
        cell.text = ""
        heading = cell.paragraphs[0].add_run(text)
        heading.bold = True
    for row in form.rows:
        cells = table.add_row().cells
        for cell, text, width in zip(cells, row, widths):
            cell.width = width
            cell.text = text
    if form.footer:
        doc.add_paragraph()
        doc.add_paragraph(form.footer).runs[0].font.size = Pt(8)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


@functools.cache
def _register_fonts(font_dir: Path = FONT_DIR) -> None:
    """Once per process: reportlab keeps registered fonts globally."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for name, filename in (("DejaVuSans", "DejaVuSans.ttf"),
                           ("DejaVuSans-Bold", "DejaVuSans-Bold.ttf")):
        path = font_dir / filename
        if not path.is_file():
            raise FontMissing(f"{path} is missing: install fonts-dejavu-core "
                              "(scripts/stack.sh install does)")
        pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily("DejaVuSans", normal="DejaVuSans", bold="DejaVuSans-Bold")


def to_pdf(form: Form) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import (LongTable, Paragraph, SimpleDocTemplate, Spacer,
                                    TableStyle)

    _register_fonts()
    size = landscape(A4) if form.landscape else A4
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=size, leftMargin=1.5 * cm, rightMargin=1.5 * cm,
                            topMargin=1.5 * cm, bottomMargin=1.5 * cm, title=form.title,
                            author="Procedura", creator="Procedura")
    body = ParagraphStyle("body", fontName="DejaVuSans", fontSize=form.font_size,
                          leading=form.font_size * 1.28)
    head = ParagraphStyle("head", parent=body, fontName="DejaVuSans-Bold")
    line = ParagraphStyle("line", parent=body, fontSize=10, leading=14)
    title = ParagraphStyle("title", parent=body, fontName="DejaVuSans-Bold", fontSize=13,
                           leading=17, alignment=1, spaceBefore=8, spaceAfter=10)
    small = ParagraphStyle("small", parent=body, fontSize=7.5, textColor=colors.grey)

    def para(text: str, style) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    story = [para(text, line) for text in form.heading]
    story.append(para(form.title, title))
    data = [[para(c, head) for c in form.columns]]
    data += [[para(c, body) for c in row] for row in form.rows]
    widths = [doc.width * w for w in form.relative_widths()]
    table = LongTable(data, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))
    story.append(table)
    if form.footer:
        story += [Spacer(1, 10), para(form.footer, small)]
    doc.build(story)
    return out.getvalue()
