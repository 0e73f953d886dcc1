"""Uploads never wait for Tika: the type of a file is told from its bytes (libmagic)
and its name, and whether Procedura can read it from what the pinned Tika parses."""
import os
import re

import pytest

from procedura_cli.badfiles import zip_bomb_docx
from procedura_cli.docgen import docx_bytes, encrypted_docx_bytes, odt_bytes, pdf_bytes
from services.versioning.domain import media_types
from services.versioning.domain.media_types import detect, readable
from tests.testenv import ROOT

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
BODY = "## Scop\n\nProcedura stabilește circuitul documentului în primărie.\n"


def zip_of(name: str) -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(name, "conținut")
    return out.getvalue()


@pytest.mark.parametrize("filename,data,expected", [
    ("p.docx", docx_bytes("t", BODY), DOCX),
    ("p.odt", odt_bytes("t", BODY), ODT),
    ("p.pdf", pdf_bytes("t", BODY), "application/pdf"),
    ("p.docx", pdf_bytes("t", BODY), "application/pdf"),         # the bytes win
    ("p.pdf", docx_bytes("t", BODY), DOCX),
    ("bomba.docx", zip_bomb_docx(1), DOCX),
    ("parolat.docx", encrypted_docx_bytes("t", BODY, "x"),
     "application/x-tika-ooxml-protected"),                       # libmagic's name mapped
    ("a.csv", b"nume,functie\nAna,referent\nIon,sef\n", "text/csv"),
    ("note.txt", "Înregistrarea petițiilor\n".encode(), "text/plain"),
    ("pagina.html", b"<!DOCTYPE html><html><body><p>x</p></body></html>", "text/html"),
    ("arhiva.zip", zip_of("a.txt"), "application/zip"),
    ("foaie.xlsx", zip_of("a.txt"), "application/vnd.openxmlformats-officedocument"
                                    ".spreadsheetml.sheet"),      # the name narrows a zip
    ("date.bin", os.urandom(4096), "application/octet-stream"),
    ("x.txt", b"\x00\x01\x02\xff" * 1024, "application/octet-stream"),  # never text by name
    ("x.pdf", b"\x00\x01\x02\xff" * 1024, "application/pdf"),     # unknown bytes: the name
])
def test_the_type_is_told_from_the_bytes_narrowed_by_the_name(filename, data, expected):
    assert detect(data[:65536], filename) == expected


@pytest.mark.parametrize("media_type,expected", [
    (DOCX, True), ("application/pdf", True), ("text/plain", True),
    ("text/x-web-markdown", True),                 # by its supertype, text/plain
    ("application/vnd.example+xml", True),         # by its suffix, application/xml
    ("text/xml", True), ("text/rtf", True),        # aliases
    ("application/CDFV2", True),                   # libmagic's OLE name
    ("application/octet-stream", False), ("application/x-empty", False),
    ("application/vnd.example.binary", False),
])
def test_readable_is_what_tika_or_a_supertype_parses(media_type, expected):
    assert readable(media_type) is expected


def test_the_stored_types_are_those_of_the_tika_the_stack_and_kubernetes_run():
    pinned = re.search(r"^TIKA_VERSION=(\S+)", (ROOT / "scripts" / "stack.sh").read_text(),
                       re.M).group(1)
    image = re.search(r"image: apache/tika:(\S+)", (
        ROOT / "deploy" / "k8s" / "components" / "tika" / "tika.yaml").read_text()).group(1)
    assert media_types.tika_version() == pinned, "run scripts/tika-types.py"
    assert image.startswith(pinned + "."), image
