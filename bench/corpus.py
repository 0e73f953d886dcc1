"""A generated ingest corpus: DOCX, ODT, text PDFs of 1-200 pages and image-only
(scanned-like) PDFs, with Romanian text drawn from the demo procedures and one unique
token per file. Written directly (zip + XML, raw PDF objects) so thousands of files take
seconds, not the minutes a layout engine would need on a busy machine."""
from __future__ import annotations

import io
import random
import re
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from procedura_cli.badfiles import image_only_pdf, text_pdf
from procedura_cli.docgen import parse_procedure

ROOT = Path(__file__).resolve().parent.parent
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
PDF = "application/pdf"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


@dataclass
class Item:
    token: str            # only in the body: searchable once the text is indexed
    kind: str             # docx | odt | pdf | scan
    pages: int
    filename: str
    media_type: str
    data: bytes


def sentences() -> list[str]:
    text = " ".join(parse_procedure(p).body for p in sorted(
        (ROOT / "demo" / "procedures").glob("*.md")))
    text = re.sub(r"[#*\-|>]+", " ", text)
    return [s.strip() for s in re.split(r"(?<=[.;:])\s+", text) if len(s.strip()) > 30]


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def docx(paragraphs: list[str]) -> bytes:
    body = "".join(f"<w:p><w:r><w:t xml:space=\"preserve\">{_xml(p)}</w:t></w:r></w:p>"
                   for p in paragraphs)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml",
                    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
                    'openxmlformats.org/package/2006/content-types"><Default Extension="rels"'
                    ' ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                    '<Default Extension="xml" ContentType="application/xml"/><Override '
                    'PartName="/word/document.xml" ContentType="application/vnd.openxml'
                    'formats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        zf.writestr("_rels/.rels",
                    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://'
                    'schemas.openxmlformats.org/package/2006/relationships"><Relationship '
                    'Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    'relationships/officeDocument" Target="word/document.xml"/></Relationships>')
        zf.writestr("word/document.xml", f'<?xml version="1.0" encoding="UTF-8"?>'
                                         f'<w:document xmlns:w="{W}"><w:body>{body}'
                                         f'</w:body></w:document>')
    return out.getvalue()


def odt(paragraphs: list[str]) -> bytes:
    body = "".join(f"<text:p>{_xml(p)}</text:p>" for p in paragraphs)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("mimetype", ODT, compress_type=zipfile.ZIP_STORED)
        zf.writestr("META-INF/manifest.xml",
                    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
                    '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                    f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODT}"/>'
                    '<manifest:file-entry manifest:full-path="content.xml" '
                    'manifest:media-type="text/xml"/></manifest:manifest>',
                    compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("content.xml",
                    '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
                    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
                    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
                    f'office:version="1.2"><office:body><office:text>{body}</office:text>'
                    '</office:body></office:document-content>',
                    compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _pages(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.70:
        return rng.randint(1, 5)
    if roll < 0.95:
        return rng.randint(6, 40)
    return rng.randint(41, 200)


def generate(count: int, seed: int = 8) -> list[Item]:
    """`count` files: 40% DOCX, 20% ODT, 35% text PDF, 5% image-only PDF."""
    rng = random.Random(seed)
    pool = sentences()
    items = []
    for i in range(count):
        token = f"jeton{uuid.UUID(int=rng.getrandbits(128)).hex[:12]}"
        roll = rng.random()
        kind = "docx" if roll < 0.40 else "odt" if roll < 0.60 else "pdf" if roll < 0.95 \
            else "scan"
        pages = _pages(rng) if kind != "scan" else rng.randint(1, 3)
        lines = [rng.choice(pool)[:110] for _ in range(pages * 50)]
        lines[rng.randrange(len(lines))] += f" {token}"
        if kind == "docx":
            data, media = docx(lines), DOCX
        elif kind == "odt":
            data, media = odt(lines), ODT
        elif kind == "pdf":
            data, media = text_pdf([lines[p * 50:(p + 1) * 50] for p in range(pages)]), PDF
        else:
            data, media = image_only_pdf(pages, 620, 877, seed=i), PDF
        ext = "pdf" if kind == "scan" else kind
        items.append(Item(token, kind, pages, f"doc-{i:05d}-{token}.{ext}", media, data))
    return items
