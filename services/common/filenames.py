"""Safe names for stored files."""
import re
import unicodedata

from services.contracts.text import clean_line

_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def sanitise_filename(name: str, fallback: str = "document") -> str:
    """Keep the last path part, drop bidirectional, control and escape characters
    (services/contracts/text.py: ValueError for a NUL), make reserved ones `_`, keep
    diacritics.

    `../../etc/passwd` → `passwd`; `C:\\a\\Procedură.docx` → `Procedură.docx`;
    `factura\u202excod.exe` → `facturaxcod.exe` (no longer reads as `exe.docx`).
    """
    # cleaned before splitting: an escape sequence may hold a `/` (OSC 8 links)
    name = clean_line(unicodedata.normalize("NFC", name or ""))
    name = re.split(r"[/\\]", name)[-1]
    name = _UNSAFE.sub("_", name).strip(" ._")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 200 - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else name[:200]
    return name or fallback
