"""Messages and formats of the web interface: Romanian by default, English selectable.

Every text goes through the gettext catalogs in locale/ (msgids in English). `make venv`
compiles them to .mo (`pybabel compile`); a tree without .mo files (a fresh clone)
compiles the .po in memory, so the interface is never left untranslated.
"""
from __future__ import annotations

import io
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from services.contracts import signing
from services.gateway import local_time

LOCALES = ("ro", "en")
DEFAULT = "ro"
LOCALE_DIR = Path(__file__).parent / "locale"
LANG_COOKIE = "procedura_lang"


@lru_cache(maxsize=None)
def translations(locale: str) -> Translations:
    locale = locale if locale in LOCALES else DEFAULT
    directory = LOCALE_DIR / locale / "LC_MESSAGES"
    mo, po = directory / "messages.mo", directory / "messages.po"
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as fh:
            found = Translations(fh)
    else:
        with po.open("rb") as fh:
            found = _compiled(read_po(fh, locale=locale))
    # the signing chain's words are translated where they are defined
    # (services/contracts/signing.py), so a new step needs no catalog entry
    found.add_fallback(_compiled(_vocabulary(locale)))
    return found


def _compiled(catalog: Catalog) -> Translations:
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def _vocabulary(locale: str) -> Catalog:
    catalog = Catalog(locale=locale)
    for term in signing.TERMS:
        for labels in term.labels.values():
            catalog.add(labels["en"], labels.get(locale, labels["en"]))
    return catalog


def choose(cookie: str | None, accept_language: str | None) -> str:
    """The user's choice (cookie), else Romanian: the city hall's language."""
    return cookie if cookie in LOCALES else DEFAULT


def roman(number: int) -> str:
    out = ""
    for value, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"),
                           (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"),
                           (5, "V"), (4, "IV"), (1, "I")):
        while number >= value:
            out, number = out + letters, number - value
    return out


def format_date(value) -> str:
    """dd.mm.yyyy (a datetime in the city hall's time zone)."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value or " " in value \
            else date.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.astimezone(local_time.zone()) if value.tzinfo else value
        return value.strftime("%d.%m.%Y")
    return value.strftime("%d.%m.%Y")


def format_datetime(value) -> str:
    """dd.mm.yyyy HH:MM in the city hall's time zone."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo:
        value = value.astimezone(local_time.zone())
    return value.strftime("%d.%m.%Y %H:%M")


def format_size(size: int | None) -> str:
    if size is None:
        return ""
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return ""
