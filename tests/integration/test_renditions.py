"""Office, text and HTML files to PDF on the real LibreOffice (issue 13): Romanian letters
survive, a conversion past its deadline leaves no process, slots convert in parallel, a
password-protected or broken file fails naming why."""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import docx
from msoffcrypto.format.ooxml import OOXMLFile
import pytest
from odf.draw import Frame, Page, TextBox
from odf.opendocument import OpenDocumentPresentation, OpenDocumentText
from odf.style import MasterPage, PageLayout, PageLayoutProperties
from odf.text import P

from services.renditions.engines import processes
from services.renditions.errors import ConversionTimedOut, CorruptFile, PasswordProtected
from services.renditions.engines.libreoffice import convert_to_pdf
from services.renditions.settings import RenditionSettings
from tests.helpers import pdftotext
from tests.testenv import eventually

pytestmark = pytest.mark.integration

TEXT = "Școală și țară: întâlnirea ședinței Ă Â Î Ș Ț"
WORDS = ["Școală", "și", "țară", "întâlnirea", "ședinței", "Ă", "Â", "Î", "Ș", "Ț"]


@pytest.fixture
def settings(tmp_path):
    return RenditionSettings(profiles_dir=tmp_path / "profiles", conversion_seconds=120)


def processes_using(marker: str) -> list[int]:
    """Live processes whose command line names `marker` (zombies have none)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                if marker.encode() in fh.read():
                    found.append(int(pid))
        except OSError:
            pass
    return found


def soffice_convert(source: Path, kind: str, out: Path, infilter: str | None = None) -> Path:
    """Make a test input with LibreOffice itself (XLSX from CSV, PPTX from ODP)."""
    argv = ["soffice", f"-env:UserInstallation={(out / 'maker-profile').as_uri()}",
            "--headless", "--convert-to", kind, "--outdir", str(out), str(source)]
    if infilter:
        argv[3:3] = [f"--infilter={infilter}"]
    processes.run(argv, timeout=120)
    made = out / f"{source.stem}.{kind}"
    assert made.exists(), f"LibreOffice made no {kind} of {source.name}"
    return made


def make_docx(d: Path) -> Path:
    document = docx.Document()
    document.add_paragraph(TEXT)
    document.save(d / "doc.docx")
    return d / "doc.docx"


def make_odt(d: Path) -> Path:
    document = OpenDocumentText()
    document.text.addElement(P(text=TEXT))
    document.save(str(d / "doc.odt"))
    return d / "doc.odt"


def make_odp(d: Path) -> Path:
    document = OpenDocumentPresentation()
    layout = PageLayout(name="PL")
    layout.addElement(PageLayoutProperties(pagewidth="28cm", pageheight="21cm",
                                           printorientation="landscape"))
    document.automaticstyles.addElement(layout)
    master = MasterPage(name="Default", pagelayoutname=layout)
    document.masterstyles.addElement(master)
    page = Page(masterpagename=master)
    document.presentation.addElement(page)
    frame = Frame(width="24cm", height="4cm", x="2cm", y="2cm")
    page.addElement(frame)
    box = TextBox()
    frame.addElement(box)
    box.addElement(P(text=TEXT))
    document.save(str(d / "slides.odp"))
    return d / "slides.odp"


def make_pptx(d: Path) -> Path:
    return soffice_convert(make_odp(d), "pptx", d)


def make_xlsx(d: Path) -> Path:
    csv = d / "sheet.csv"
    csv.write_text(f'"{TEXT}",1\n', encoding="utf-8")
    return soffice_convert(csv, "xlsx", d, infilter="CSV:44,34,76")  # 76: UTF-8


def make_rtf(d: Path) -> Path:
    escaped = "".join(c if ord(c) < 128 else f"\\u{ord(c)}?" for c in TEXT)
    (d / "doc.rtf").write_text("{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 DejaVu Sans;}}"
                               f"\\f0\\fs24 {escaped}\\par}}", encoding="ascii")
    return d / "doc.rtf"


def make_txt(d: Path) -> Path:
    (d / "doc.txt").write_text(TEXT + "\n", encoding="utf-8")
    return d / "doc.txt"


def make_html(d: Path) -> Path:
    (d / "page.html").write_text(f'<!doctype html><html><head><meta charset="utf-8">'
                                 f"<title>t</title></head><body><p>{TEXT}</p></body></html>",
                                 encoding="utf-8")
    return d / "page.html"


@pytest.mark.parametrize("make", [make_docx, make_odt, make_xlsx, make_pptx, make_rtf,
                                  make_txt, make_html], ids=lambda f: f.__name__[5:])
def test_each_format_becomes_a_pdf_with_its_romanian_letters(make, tmp_path, settings):
    source = make(tmp_path)

    pdf = convert_to_pdf(source, tmp_path / "out" / "rendition.pdf", slot=0, settings=settings)

    assert pdf.read_bytes().startswith(b"%PDF-")
    text = pdftotext(pdf)
    missing = [w for w in WORDS if w not in text]
    assert not missing, f"{source.name}: {missing} not in the rendition's text {text!r}"


def test_a_conversion_past_its_deadline_is_killed_with_no_process_left(tmp_path):
    big = tmp_path / "big.txt"
    with open(big, "w", encoding="utf-8") as fh:
        for n in range(60_000):
            fh.write(f"{n} {TEXT} " * 3 + "\n")
    settings = RenditionSettings(profiles_dir=tmp_path / "profiles", conversion_seconds=0.5)
    profile = str(settings.profiles_dir / "slot-3")

    started = time.monotonic()
    with pytest.raises(ConversionTimedOut, match="within 0.5 s"):
        convert_to_pdf(big, tmp_path / "big.pdf", slot=3, settings=settings)

    assert time.monotonic() - started < 10
    assert processes_using(profile) == []
    assert not (tmp_path / "big.pdf").exists()
    # the slot's next file is converted: nothing of the killed run holds its profile
    patient = RenditionSettings(profiles_dir=settings.profiles_dir, conversion_seconds=120)
    pdf = convert_to_pdf(make_txt(tmp_path), tmp_path / "next.pdf", slot=3, settings=patient)
    assert "Școală" in pdftotext(pdf)
    assert processes_using(profile) == []


def test_two_slots_convert_at_the_same_time(tmp_path, settings):
    sources = [make_docx(tmp_path), make_odt(tmp_path)]
    results, spans = {}, {}

    def convert(slot):
        t0 = time.monotonic()
        try:
            results[slot] = convert_to_pdf(sources[slot], tmp_path / f"p{slot}.pdf",
                                           slot=slot, settings=settings)
        except Exception as exc:  # reported below, with the slot
            results[slot] = exc
        spans[slot] = (t0, time.monotonic())

    threads = [threading.Thread(target=convert, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    for slot in (0, 1):
        assert isinstance(results[slot], Path), f"slot {slot}: {results[slot]!r}"
        assert "ședinței" in pdftotext(results[slot])
    # they overlapped: each started before the other ended
    assert spans[0][0] < spans[1][1] and spans[1][0] < spans[0][1]
    assert sorted(p.name for p in settings.profiles_dir.iterdir()) == ["slot-0", "slot-1"]


def test_a_password_protected_docx_fails_naming_why(tmp_path, settings):
    plain = make_docx(tmp_path)
    locked = tmp_path / "locked.docx"
    with open(plain, "rb") as src, open(locked, "wb") as out:
        OOXMLFile(src).encrypt("parola", out)

    with pytest.raises(PasswordProtected, match="locked.docx is password-protected"):
        convert_to_pdf(locked, tmp_path / "locked.pdf", slot=0, settings=settings)


@pytest.mark.parametrize("name,content", [
    ("truncated.docx", None),
    ("noise.xlsx", os.urandom(4096)),
], ids=["truncated-docx", "random-bytes-xlsx"])
def test_a_corrupt_file_fails_naming_why(name, content, tmp_path, settings):
    source = tmp_path / name
    if content is None:
        content = make_docx(tmp_path).read_bytes()[:-200]  # the zip's directory cut off
    source.write_bytes(content)

    with pytest.raises(CorruptFile, match=f"{name} is not a readable"):
        convert_to_pdf(source, tmp_path / "x.pdf", slot=0, settings=settings)
    assert not (tmp_path / "x.pdf").exists()


def test_a_deadline_ends_every_process_the_engine_started(tmp_path):
    marker = tmp_path / "grandchild"  # `tail -f` of it: a process to find by its argument
    marker.touch()
    with pytest.raises(processes.Deadline):
        processes.run(["sh", "-c", f'tail -f "{marker}" & tail -f "{marker}"; :'],
                      timeout=0.5)
    assert processes_using(str(marker)) == []


def test_a_grandchild_outliving_its_parent_is_ended_too(tmp_path):
    marker = tmp_path / "orphan"
    marker.touch()
    done = processes.run(["sh", "-c", f'tail -f "{marker}" >/dev/null & exit 0'], timeout=10)
    assert done.returncode == 0
    # the group was sent SIGKILL; the kernel takes a moment to end it on a busy machine
    eventually(lambda: processes_using(str(marker)) == [], timeout=5)
