"""What an upload is and whether Procedura can read it, told without a network call.

Uploads never wait for Tika (docs/adr/0004-uploads-never-wait-for-tika.md): libmagic
(Debian's libmagic1, through python-magic) reads the first bytes, the file name only
narrows a container the bytes were recognised as (a zip called .docx is a DOCX; a PDF
called .docx stays a PDF), and whether the type can be read is looked up in what the
pinned Tika parses (tika-types.json beside this file, written by scripts/tika-types.py).
Parsing itself is left to the extraction worker.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import magic

UNKNOWN = "application/octet-stream"
TYPES_FILE = Path(__file__).with_name("tika-types.json")

# libmagic's names that Tika's registry does not know, as Tika names the same bytes
LIBMAGIC_NAMES = {
    "application/cdfv2": "application/x-tika-msoffice",
    "application/x-ole-storage": "application/x-tika-msoffice",
    "application/vnd.ms-office": "application/x-tika-msoffice",
    # an OLE container holding an EncryptedPackage: a password-protected OOXML file
    "application/encrypted": "application/x-tika-ooxml-protected",
    "text/x-c": "text/x-csrc",
    "text/x-c++": "text/x-c++src",
}


@lru_cache(maxsize=1)
def _tika() -> dict:
    return json.loads(TYPES_FILE.read_text())


def tika_version() -> str:
    """The Tika version whose types these are."""
    return _tika()["tika_version"]


def _canonical(media_type: str) -> str:
    name = media_type.split(";")[0].strip().lower()
    name = LIBMAGIC_NAMES.get(name, name)
    return _tika()["aliases"].get(name, name)


def _supertype(name: str) -> str | None:
    """Tika's supertype of a type: declared, else by its structured suffix, else
    text/plain for any text (as Tika's MediaTypeRegistry has it)."""
    declared = _tika()["supertypes"].get(name)
    if declared:
        return declared
    kind, _, sub = name.partition("/")
    for suffix, parent in (("+xml", "application/xml"), ("+zip", "application/zip"),
                           ("+json", "application/json")):
        if sub.endswith(suffix):
            return parent
    if kind == "text" and name != "text/plain":
        return "text/plain"
    return None


def _lineage(name: str) -> list[str]:
    """The type and its supertypes, nearest first."""
    chain = [name]
    while (parent := _supertype(chain[-1])) and parent not in chain:
        chain.append(parent)
    return chain


def readable(media_type: str) -> bool:
    """Tika has a parser for this type, or for one of its supertypes."""
    parsed = set(_tika()["parsed"])
    return any(t in parsed for t in _lineage(_canonical(media_type)))


def by_name(filename: str) -> str | None:
    """The type Tika gives a file name's extension (None when it knows none)."""
    _, dot, extension = filename.rpartition(".")
    return _tika()["extensions"].get(extension.lower()) if dot else None


def detect(head: bytes, filename: str) -> str:
    """The media type of a file from its first bytes and its name."""
    found = _canonical(magic.from_buffer(head, mime=True)) if head else UNKNOWN
    named = by_name(filename)
    if named is None or named == found:
        return found
    if found == UNKNOWN:
        # bytes libmagic does not know: trust a name, but never call them text
        return named if not named.startswith("text/") else found
    if found in _lineage(named)[1:]:   # the name narrows what the bytes are
        return named
    return found
