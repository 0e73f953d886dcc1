"""Free text as Procedura keeps it: no character that can disguise or act.

A right-to-left override (U+202E) before `xcod.exe` makes a name read as if it
ended in `exe.docx`; an escape sequence in a title rewrites an operator's terminal
when `procedura` or `psql` prints it; a NUL cannot be stored by PostgreSQL at all.
`clean_text` is the one place that says what is removed (bidirectional controls,
C0 and C1 controls, whole ESC sequences) and what is refused (NUL: never text, and a
request carrying one is answered 422 naming the field). The contracts' text fields
apply it at the boundary (services/contracts/models.py `Line`, `Paragraphs`), and
stored filenames go through it (services/common/filenames.py).
"""
from __future__ import annotations

import re

# ESC sequences, removed whole so no half of one is left to act: string commands
# (OSC, DCS, SOS, PM, APC, ended by BEL or ST), CSI, then any other two-character one.
# (C1 introducers such as U+009B are removed as single characters below: what follows
# them is printable and inert once they are gone.)
_ESCAPES = re.compile(
    r"\x1b[\]PX^_].*?(?:\x07|\x1b\\|$)"
    r"|\x1b\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"
    r"|\x1b[\x20-\x7e]?", re.S)
# bidirectional controls (embeddings, overrides, isolates, marks)
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# C0 except tab and line feed, DEL, C1 (carriage returns are made line feeds first)
_CONTROLS = re.compile("[\x01-\x08\x0b-\x1f\x7f-\x9f" + _BIDI + "]")


def clean_text(value: str, multiline: bool = True) -> str:
    """`value` without bidirectional, control and escape characters, ends stripped.
    Multi-line text keeps its tabs and line breaks (CR LF becomes LF); a single line
    has each of them made a space. ValueError for a NUL."""
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    value = _ESCAPES.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    if not multiline:
        value = value.replace("\n", " ").replace("\t", " ")
    return _CONTROLS.sub("", value).strip()


def clean_line(value: str) -> str:
    """`clean_text` for a one-line field (a title, a name, a reference)."""
    return clean_text(value, multiline=False)
