"""Where a page may send the browser next: a path of this site, never another site.

A `next` or `back` value comes from the address bar or a form, so anyone can write it.
Browsers are lenient: they drop tabs and newlines inside a URL, read `\\` as `/`, and
`//host` or `/\\host` as another host; proxies and frameworks may decode `%2F` once or
twice more. So the value is judged on its most decoded, normalised form with every
control and white-space character removed, and anything that could parse with a scheme
or a host is refused (the home page instead). What is sent is rebuilt from the value
itself: control characters dropped, everything outside plain URL characters percent-
encoded, so a CR/LF can never reach a header.
"""
from __future__ import annotations

import unicodedata
from urllib.parse import quote, unquote, urlsplit

HOME = "/"
MAX_LENGTH = 2048
_DECODE_ROUNDS = 4          # %25252F... deeper than this is refused, not trusted
# characters a path and query of this site may carry unencoded in a Location header
_URL_SAFE = "/?&=%#:@!$'()*+,;~-._"


def safe_next(target: str | None, login: bool = False) -> str:
    """`target` if it is a path of this site (not the login page unless `login`), else
    the home page. The answer is always plain ASCII without control characters."""
    if not isinstance(target, str) or not target or len(target) > MAX_LENGTH:
        return HOME
    checked = _judged_form(target)
    if checked is None or not _is_local_path(checked):
        return HOME
    if not login and (checked == "/login" or checked.startswith(("/login?", "/login/",
                                                                  "/login#"))):
        return HOME
    sent = quote(_without_controls(target), safe=_URL_SAFE)
    # the value sent is checked too: what the browser parses must still be local
    return sent if _is_local_path(sent) and _is_local_path(_judged_form(sent) or "") \
        else HOME


def _judged_form(value: str) -> str | None:
    """The value as the most lenient reader could see it: decoded until stable, look-alike
    characters folded (NFKC: a fullwidth solidus becomes `/`), invisible ones removed.
    None when it is still changing after a few rounds of decoding."""
    for _ in range(_DECODE_ROUNDS):
        decoded = unquote(value, errors="replace")
        if decoded == value:
            break
        value = decoded
    else:
        return None
    return _without_invisibles(unicodedata.normalize("NFKC", value))


def _without_invisibles(value: str) -> str:
    """Drop control, format (zero-width, bidi) and white-space characters, which
    browsers skip or which hide what a link really is."""
    return "".join(c for c in value
                   if not c.isspace() and unicodedata.category(c) not in ("Cc", "Cf", "Zl",
                                                                          "Zp", "Zs"))


def _without_controls(value: str) -> str:
    """Drop control and format characters (CR/LF, tab, NUL, zero-width, bidi); spaces
    stay and are percent-encoded with the rest."""
    return "".join(c for c in value if unicodedata.category(c) not in ("Cc", "Cf"))


def _is_local_path(value: str) -> bool:
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return not parts.scheme and not parts.netloc
