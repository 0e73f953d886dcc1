"""Unit tests for procedura_cli.docgen: real DOCX/ODT/PDF files, good and bad."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import msoffcrypto
from msoffcrypto.exceptions import InvalidKeyError
import pytest
from odf import teletype
from odf import text as odftext
from odf.opendocument import load as odf_load
from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError, PdfReadError

from procedura_cli import docgen
from tests.helpers import pdf_text

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo" / "procedures"
EXPECTED = {
    "PO-AUD-01": ("Planificarea și desfășurarea misiunilor de audit public intern",
                  ["AUD", "PRIMAR", "SG"]),
    "PO-DAP-03": ("Achiziția directă de produse și servicii", ["DAP", "DE", "DJ", "AUD"]),
    "PO-DRU-01": ("Recrutarea și selecția personalului contractual", ["DRU", "DJ", "DE", "SG"]),
    "PO-RP-02": ("Înregistrarea \u015fi solu\u0163ionarea peti\u0163iilor",
                 ["RP", "DJ", "SG", "DUAT", "DE"]),
    "PS-SMC-01": ("Elaborarea, codificarea și controlul procedurilor documentate",
                  ["PRIMAR", "SG", "CM", "SMC", "DJ", "DRU", "DE", "DAP", "DUAT", "RP", "IT", "AUD"]),
}
TITLE = "Procedură operațională de test"
BODY = """# Procedură operațională PO-TST-01
## Înregistrarea şi soluţionarea petiţiilor

### 1. Scop
Paragraf cu diacritice: ă â î ș ț Ă Â Î Ș Ț şi ţ Ş Ţ.

- **SEAP** — Sistemul electronic de achiziții publice;
- al doilea element
"""
DIACRITICS = "Paragraf cu diacritice: ă â î ș ț Ă Â Î Ș Ț şi ţ Ş Ţ."


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_parse_demo_procedure(code: str) -> None:
    proc = docgen.parse_procedure(DEMO_DIR / f"{code}.md")
    title, distribution = EXPECTED[code]
    assert proc.code == code
    assert proc.title == title
    assert proc.meta["distribution"] == distribution
    assert proc.body.startswith("# Procedur")
    assert "---" not in proc.body.splitlines()[0]


def test_parse_keeps_legacy_cedilla_letters() -> None:
    proc = docgen.parse_procedure(DEMO_DIR / "PO-RP-02.md")
    assert "\u015f" in proc.title and "\u0163" in proc.title
    assert "\u0219" not in proc.title and "\u021b" not in proc.title
    assert proc.meta["process"] == "Rela\u0163ia cu cetăţenii"


def test_parse_rejects_missing_front_matter(tmp_path: Path) -> None:
    bad = tmp_path / "bad.md"
    bad.write_text("# Fără antet\n", encoding="utf-8")
    with pytest.raises(ValueError, match="front matter"):
        docgen.parse_procedure(bad)


def test_docx_round_trip() -> None:
    data = docgen.docx_bytes(TITLE, BODY)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read("word/document.xml")
    assert "soluţionarea".encode() in xml and "ș ț".encode() in xml
    doc = docx.Document(io.BytesIO(data))
    paras = [(p.style.name, p.text) for p in doc.paragraphs]
    assert ("Heading 1", "Procedură operațională PO-TST-01") in paras
    assert ("Heading 2", "Înregistrarea şi soluţionarea petiţiilor") in paras
    assert ("Heading 3", "1. Scop") in paras
    assert ("Normal", DIACRITICS) in paras
    bullet = next(p for p in doc.paragraphs if p.style.name == "List Bullet")
    assert bullet.text == "SEAP — Sistemul electronic de achiziții publice;"
    assert bullet.runs[0].text == "SEAP" and bullet.runs[0].bold
    assert not bullet.runs[1].bold
    assert doc.core_properties.title == TITLE


def test_docx_is_deterministic() -> None:
    assert docgen.docx_bytes(TITLE, BODY) == docgen.docx_bytes(TITLE, BODY)


def test_odt_round_trip() -> None:
    data = docgen.odt_bytes(TITLE, BODY)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.namelist()[0] == "mimetype"
        assert z.read("mimetype") == b"application/vnd.oasis.opendocument.text"
    doc = odf_load(io.BytesIO(data))
    headings = [teletype.extractText(h) for h in doc.getElementsByType(odftext.H)]
    paras = [teletype.extractText(p) for p in doc.getElementsByType(odftext.P)]
    assert headings[:2] == ["Procedură operațională PO-TST-01",
                            "Înregistrarea şi soluţionarea petiţiilor"]
    assert DIACRITICS in paras
    assert "SEAP — Sistemul electronic de achiziții publice;" in paras


def test_pdf_text_is_extractable_with_diacritics() -> None:
    proc = docgen.parse_procedure(DEMO_DIR / "PO-DAP-03.md")
    data = docgen.pdf_bytes(proc.title, proc.body)
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    text = pdf_text(data)
    assert "Procedură operațională PO-DAP-03" in text
    assert "Achiziția directă de produse și servicii" in text
    assert PdfReader(io.BytesIO(data)).metadata.title == proc.title


def test_pdf_keeps_cedilla_letters() -> None:
    text = pdf_text(docgen.pdf_bytes(TITLE, BODY))
    assert "Procedură operațională" in text
    assert "Înregistrarea şi soluţionarea petiţiilor" in text
    assert "şi ţ Ş Ţ" in text


def test_pdf_missing_font_raises_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from reportlab.pdfbase import pdfmetrics

    monkeypatch.setattr(docgen, "FONT_DIR", tmp_path)
    monkeypatch.setattr(pdfmetrics, "getRegisteredFontNames", lambda: [])
    with pytest.raises(docgen.FontNotFoundError, match="DejaVuSans"):
        docgen.pdf_bytes(TITLE, BODY)


def test_encrypted_docx() -> None:
    data = docgen.encrypted_docx_bytes(TITLE, BODY, "parola-ță")
    assert not zipfile.is_zipfile(io.BytesIO(data))
    office = msoffcrypto.OfficeFile(io.BytesIO(data))
    assert office.is_encrypted()
    with pytest.raises(InvalidKeyError):
        office.load_key(password="greșită")
        office.decrypt(io.BytesIO())
    office = msoffcrypto.OfficeFile(io.BytesIO(data))
    office.load_key(password="parola-ță")
    plain = io.BytesIO()
    office.decrypt(plain)
    doc = docx.Document(plain)
    assert DIACRITICS in [p.text for p in doc.paragraphs]


def test_encrypted_pdf() -> None:
    data = docgen.encrypted_pdf_bytes(TITLE, BODY, "secret")
    reader = PdfReader(io.BytesIO(data))
    assert reader.is_encrypted
    with pytest.raises(FileNotDecryptedError):
        reader.pages[0].extract_text()
    reader = PdfReader(io.BytesIO(data), password="secret")
    assert "Procedură operațională" in reader.pages[0].extract_text()


def test_truncated_pdf_is_broken() -> None:
    full = docgen.pdf_bytes(TITLE, BODY)
    cut = docgen.truncated_pdf_bytes(TITLE, BODY)
    assert full.startswith(cut) and len(cut) == len(full) // 2
    assert b"%%EOF" not in cut
    with pytest.raises(PdfReadError):
        PdfReader(io.BytesIO(cut), strict=True)
    with pytest.raises(PdfReadError):
        pdf_text(cut)


def test_truncated_docx_is_broken() -> None:
    cut = docgen.truncated_docx_bytes(TITLE, BODY)
    assert cut.startswith(b"PK") and not zipfile.is_zipfile(io.BytesIO(cut))
    with pytest.raises(zipfile.BadZipFile):
        docx.Document(io.BytesIO(cut))


def test_truncate_bytes_validates_fraction() -> None:
    with pytest.raises(ValueError):
        docgen.truncate_bytes(b"abc", 1.0)


def test_write_demo_documents(tmp_path: Path) -> None:
    docs = docgen.write_demo_documents(DEMO_DIR, tmp_path, formats=("docx", "odt", "pdf"))
    assert [d.code for d in docs] == sorted(EXPECTED)
    for d in docs:
        assert d.title == EXPECTED[d.code][0]
        assert d.meta["distribution"] == EXPECTED[d.code][1]
        assert {f: p.name for f, p in d.files.items()} == {
            f: f"{d.code}.{f}" for f in ("docx", "odt", "pdf")}
        assert all(p.is_file() and p.parent == tmp_path for p in d.files.values())
    rp = next(d for d in docs if d.code == "PO-RP-02")
    assert "Procedură operaţională PO-RP-02" in pdf_text(rp.files["pdf"].read_bytes())
    assert docx.Document(rp.files["docx"]).paragraphs[0].text == "Procedură operaţională PO-RP-02"
    assert docgen.parse_procedure(DEMO_DIR / "PO-AUD-01.md").meta["confidential"] is True


def test_write_demo_documents_rejects_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unsupported"):
        docgen.write_demo_documents(DEMO_DIR, tmp_path, formats=("rtf",))
