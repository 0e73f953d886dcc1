"""Turn Markdown procedures into real office documents (DOCX, ODT, PDF).

Used by the demo loader (the Romanian procedures in ``demo/procedures``) and by
tests that need genuine files: well-formed, truncated or password-protected.
Only a small Markdown subset is understood: ``#``/``##``/``###`` headings,
``- `` bullet items, ``**bold**`` spans and inline ``code`` (backticks are
dropped); every other non-blank line is a paragraph. Text is never normalised,
so Romanian diacritics (comma-below and legacy cedilla forms) survive as-is.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterable, Iterator
from xml.sax.saxutils import escape

import yaml

from procedura_cli.localenv import variable

REQUIRED_KEYS = ("code", "title", "type", "owner_department", "distribution", "process",
                 "edition", "revision", "review_interval_months")
FONT_DIR = Path(variable("PROCEDURA_FONT_DIR", "/usr/share/fonts/truetype/dejavu"))
_FIXED_TIME = datetime(2024, 1, 1)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class FontNotFoundError(RuntimeError):
    """The TTF font needed to render Romanian text in PDFs is missing."""


@dataclass(frozen=True)
class Procedure:
    """A procedure source: YAML front matter (``meta``) and Markdown ``body``."""

    meta: dict
    body: str
    source: Path | None = None

    @property
    def code(self) -> str:
        return str(self.meta["code"])

    @property
    def title(self) -> str:
        return str(self.meta["title"])


@dataclass(frozen=True)
class DemoDocument:
    """A converted procedure: its metadata and the file written per format."""

    code: str
    title: str
    meta: dict
    source: Path
    files: dict[str, Path] = field(default_factory=dict)


def parse_procedure(path: str | Path) -> Procedure:
    """Read a Markdown file with ``---``-delimited YAML front matter.

    Raises ``ValueError`` if the front matter is missing or lacks a required key.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8").lstrip("\ufeff").replace("\r\n", "\n")
    m = re.match(r"---\n(.*?)\n---[ \t]*(?:\n|$)(.*)", text, re.S)
    if not m:
        raise ValueError(f"{path}: no YAML front matter between '---' lines")
    meta = yaml.safe_load(m.group(1))
    missing = [k for k in REQUIRED_KEYS if k not in meta] if isinstance(meta, dict) else REQUIRED_KEYS
    if missing:
        raise ValueError(f"{path}: front matter lacks keys {list(missing)}")
    return Procedure(meta=meta, body=m.group(2).strip("\n") + "\n", source=path)


# --- Markdown subset -------------------------------------------------------------

def _blocks(markdown: str) -> Iterator[tuple[str, int, list[tuple[str, bool]]]]:
    """Yield ``(kind, level, runs)``; kind is heading/bullet/para, runs are (text, bold)."""
    for raw in markdown.splitlines():
        line = raw.strip()
        if not line:
            continue
        if m := re.match(r"(#{1,3})\s+(.*)", line):
            yield "heading", len(m.group(1)), _runs(m.group(2))
        elif line.startswith(("- ", "* ")):
            yield "bullet", 0, _runs(line[2:])
        else:
            yield "para", 0, _runs(line)


def _runs(text: str) -> list[tuple[str, bool]]:
    parts = re.split(r"\*\*(.+?)\*\*", text.replace("`", ""))
    return [(p, i % 2 == 1) for i, p in enumerate(parts) if p]


def _normalize_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed timestamps (same order/compression) for stable output."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, _ZIP_TIME)
            zi.compress_type, zi.external_attr = info.compress_type, info.external_attr
            dst.writestr(zi, src.read(info.filename))
    return out.getvalue()


# --- Writers ---------------------------------------------------------------------

def docx_bytes(title: str, body_markdown: str) -> bytes:
    """Render Markdown as a DOCX (Word headings, 'List Bullet' items, bold runs)."""
    import docx

    doc = docx.Document()
    cp = doc.core_properties
    cp.title, cp.author, cp.last_modified_by = title, "Procedura", "Procedura"
    cp.created = cp.modified = _FIXED_TIME
    cp.revision = 1
    for kind, level, runs in _blocks(body_markdown):
        if kind == "heading":
            p = doc.add_heading("", level=level)
        else:
            p = doc.add_paragraph(style="List Bullet" if kind == "bullet" else None)
        for text, bold in runs:
            p.add_run(text).bold = bold or None
    buf = io.BytesIO()
    doc.save(buf)
    return _normalize_zip(buf.getvalue())


def odt_bytes(title: str, body_markdown: str) -> bytes:
    """Render Markdown as an ODT (outline headings, bulleted list items, bold spans)."""
    from odf import dc, style, text as odftext
    from odf.opendocument import OpenDocumentText

    doc = OpenDocumentText()
    doc.meta.addElement(dc.Title(text=title))
    heads = {}
    for lvl, size in ((1, "18pt"), (2, "15pt"), (3, "13pt")):
        heads[lvl] = style.Style(name=f"Heading {lvl}", family="paragraph")
        heads[lvl].addElement(style.TextProperties(fontsize=size, fontweight="bold"))
        doc.styles.addElement(heads[lvl])
    bold = style.Style(name="Bold", family="text")
    bold.addElement(style.TextProperties(fontweight="bold"))
    doc.automaticstyles.addElement(bold)
    bullets = odftext.ListStyle(name="Bullets")
    bullets.addElement(odftext.ListLevelStyleBullet(level=1, bulletchar="•"))
    doc.automaticstyles.addElement(bullets)

    current_list = None
    for kind, level, runs in _blocks(body_markdown):
        if kind == "heading":
            el = odftext.H(outlinelevel=level, stylename=heads[level])
        else:
            el = odftext.P()
        for chunk, is_bold in runs:
            if is_bold:
                el.addElement(odftext.Span(stylename=bold, text=chunk))
            else:
                el.addText(chunk)
        if kind == "bullet":
            if current_list is None:
                current_list = odftext.List(stylename=bullets)
                doc.text.addElement(current_list)
            item = odftext.ListItem()
            item.addElement(el)
            current_list.addElement(item)
        else:
            current_list = None
            doc.text.addElement(el)
    buf = io.BytesIO()
    doc.write(buf)
    return _normalize_zip(buf.getvalue())


def _register_fonts() -> str:
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    # the whole family, not only its first face: another module may have registered a
    # "DejaVuSans" alone (the mapping to bold would then be missing)
    registered = set(pdfmetrics.getRegisteredFontNames())
    if {"DejaVuSans", "DejaVuSans-Bold"} <= registered:
        return "DejaVuSans"
    paths = {name: FONT_DIR / f"{name}.ttf" for name in ("DejaVuSans", "DejaVuSans-Bold")}
    if missing := [str(p) for p in paths.values() if not p.is_file()]:
        raise FontNotFoundError(
            f"PDF generation needs DejaVu fonts with Romanian glyphs; missing {missing}. "
            "Install fonts-dejavu-core or set PROCEDURA_FONT_DIR.")
    for name, p in paths.items():
        if name not in registered:
            pdfmetrics.registerFont(TTFont(name, str(p)))
    for bold, italic in ((0, 0), (0, 1), (1, 0), (1, 1)):
        addMapping("DejaVuSans", bold, italic, "DejaVuSans-Bold" if bold else "DejaVuSans")
    return "DejaVuSans"


def pdf_bytes(title: str, body_markdown: str) -> bytes:
    """Render Markdown as a text PDF with embedded DejaVu fonts (extractable diacritics).

    Raises ``FontNotFoundError`` if the DejaVu TTF files are not installed.
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    font = _register_fonts()
    normal = ParagraphStyle("normal", fontName=font, fontSize=10.5, leading=14, spaceAfter=6)
    bullet = ParagraphStyle("bullet", parent=normal, leftIndent=16, bulletIndent=4, spaceAfter=3)
    heads = {lvl: ParagraphStyle(f"h{lvl}", parent=normal, fontName=f"{font}-Bold",
                                 fontSize=size, leading=size * 1.3, spaceBefore=8)
             for lvl, size in ((1, 17), (2, 14), (3, 12))}
    story = []
    for kind, level, runs in _blocks(body_markdown):
        markup = "".join(f"<b>{escape(t)}</b>" if b else escape(t) for t, b in runs)
        pstyle = heads[level] if kind == "heading" else bullet if kind == "bullet" else normal
        story.append(Paragraph(markup, pstyle, bulletText="•" if kind == "bullet" else None))
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, title=title, author="Procedura",
                      creator="Procedura", invariant=1).build(story)
    return buf.getvalue()


# --- Damaged and protected files ---------------------------------------------------

def truncate_bytes(data: bytes, fraction: float = 0.5) -> bytes:
    """Return the first ``fraction`` of ``data`` (a file cut short mid-transfer)."""
    if not 0 < fraction < 1:
        raise ValueError("fraction must be between 0 and 1 (exclusive)")
    return data[: int(len(data) * fraction)]


def truncated_pdf_bytes(title: str, body_markdown: str, fraction: float = 0.5) -> bytes:
    """A real PDF cut short: no xref table, trailer or ``%%EOF``."""
    return truncate_bytes(pdf_bytes(title, body_markdown), fraction)


def truncated_docx_bytes(title: str, body_markdown: str, fraction: float = 0.5) -> bytes:
    """A real DOCX cut short: the zip central directory is gone."""
    return truncate_bytes(docx_bytes(title, body_markdown), fraction)


def encrypted_docx_bytes(title: str, body_markdown: str, password: str) -> bytes:
    """A password-protected DOCX (ECMA-376 agile encryption in an OLE container)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(docx_bytes(title, body_markdown))).encrypt(password, out)
    return out.getvalue()


def encrypted_pdf_bytes(title: str, body_markdown: str, password: str) -> bytes:
    """A PDF that needs ``password`` (user password, AES-256) to be opened."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes(title, body_markdown))))
    writer.encrypt(user_password=password, owner_password=None, algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- Demo corpus -------------------------------------------------------------------

_WRITERS = {"docx": docx_bytes, "odt": odt_bytes, "pdf": pdf_bytes}


def write_demo_documents(src_dir: str | Path, out_dir: str | Path,
                         formats: Iterable[str] = ("docx", "pdf")) -> list[DemoDocument]:
    """Convert every ``*.md`` procedure in ``src_dir`` to ``out_dir/<code>.<fmt>``.

    Returns one ``DemoDocument`` per procedure, sorted by source file name.
    """
    formats = tuple(formats)
    if unknown := [f for f in formats if f not in _WRITERS]:
        raise ValueError(f"unsupported formats {unknown}; choose from {sorted(_WRITERS)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result = []
    for src in sorted(Path(src_dir).glob("*.md")):
        proc = parse_procedure(src)
        files = {fmt: out / f"{proc.code}.{fmt}" for fmt in formats}
        for fmt, target in files.items():
            target.write_bytes(_WRITERS[fmt](proc.title, proc.body))
        result.append(DemoDocument(proc.code, proc.title, proc.meta, src, files))
    return result
