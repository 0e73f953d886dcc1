"""Hostile and awkward files for tests and benchmarks: a zip bomb dressed as DOCX, a PDF
whose cross-reference table claims a billion objects, an image-only (scanned-like) PDF,
and a plain text PDF of any number of pages written without a layout engine.

Every generator streams what it compresses, so none needs the inflated size in memory.
"""
from __future__ import annotations

import io
import zipfile
import zlib

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/></Types>')
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>')
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def zip_bomb_docx(inflated_mb: int = 1024) -> bytes:
    """A DOCX whose word/document.xml inflates to `inflated_mb` MB of one repeated
    paragraph (about a thousand times smaller compressed)."""
    head = f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{_W}"><w:body>'
    tail = "</w:body></w:document>"
    paragraph = "<w:p><w:r><w:t>Bombă de arhivă ca procedură. </w:t></w:r></w:p>" * 64
    block = paragraph.encode() * (1024 * 1024 // len(paragraph.encode()) + 1)
    block = block[: len(block) - len(block) % len(paragraph.encode())]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        info = zipfile.ZipInfo("word/document.xml", date_time=(2026, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as member:
            member.write(head.encode())
            for _ in range(inflated_mb):
                member.write(block)
            member.write(tail.encode())
    return out.getvalue()


def billion_xref_pdf(objects: int = 1_000_000_000) -> bytes:
    """A small one-page PDF whose xref subsection header and trailer claim `objects`
    objects (only six entries follow)."""
    parts = [b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"]
    offsets = []
    stream = b"BT /F1 12 Tf 72 720 Td (Referinte incrucisate false) Tj ET"
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for number, body in enumerate(bodies, start=1):
        offsets.append(sum(map(len, parts)))
        parts.append(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref_at = sum(map(len, parts))
    xref = [b"xref\n0 %d\n" % objects, b"0000000000 65535 f \n"]
    xref += [b"%010d 00000 n \n" % offset for offset in offsets]
    parts += xref
    parts.append(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
                 % (objects, xref_at))
    return b"".join(parts)


def image_only_pdf(pages: int = 1, width: int = 1240, height: int = 1754, seed: int = 1) -> bytes:
    """A scanned-like PDF: each page one grey image, no text layer (nothing to extract)."""
    raw = bytearray()
    shade = (seed * 37) % 200 + 40
    row = bytes([shade]) * width
    for _ in range(height):
        raw += row
    image = zlib.compress(bytes(raw), 6)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(pages)).encode()
    objects.append(b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages)
    content = b"q %d 0 0 %d 0 0 cm /Im0 Do Q" % (595, 842)
    for i in range(pages):
        page_no, contents_no = 3 + 2 * i, 4 + 2 * i
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents "
                       b"%d 0 R /Resources << /XObject << /Im0 %d 0 R >> >> >>"
                       % (contents_no, 3 + 2 * pages))
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    objects.append(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace "
                   b"/DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\n"
                   b"stream\n" % (width, height, len(image)) + image + b"\nendstream")
    return _pdf(objects)


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF file of these objects (numbered from 1, the catalog first) with its xref."""
    out = [b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"]
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(sum(map(len, out)))
        out.append(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref_at = sum(map(len, out))
    out.append(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out += [b"%010d 00000 n \n" % offset for offset in offsets]
    out.append(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
               % (len(objects) + 1, xref_at))
    return b"".join(out)


def _pdf_text(text: str) -> bytes:
    # the standard Helvetica speaks WinAnsi: ă/ș/ț become a/s/t, â/î stay
    table = str.maketrans("ăĂșȘşŞțȚţŢ", "aAsSsStTtT")
    latin = text.translate(table).encode("cp1252", "replace")
    return latin.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def text_pdf(pages: list[list[str]]) -> bytes:
    """A text PDF, one list of lines per page (Helvetica, 50 lines a page)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
               b"/Encoding /WinAnsiEncoding >>"]
    kids = []
    for lines in pages:
        stream = b"BT /F1 10 Tf 12 TL 50 800 Td " + b" ".join(
            b"(" + _pdf_text(line) + b") '" for line in lines) + b" ET"
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        content_no = len(objects)
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents "
                       b"%d 0 R /Resources << /Font << /F1 3 0 R >> >> >>" % content_no)
        kids.append(len(objects))
    objects[1] = (b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids)
                  + b"] /Count %d >>" % len(kids))
    return _pdf(objects)
