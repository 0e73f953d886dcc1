"""The renditions' rules, free of I/O and framework: which engine makes the rendition of
a media type (the type the upload's bytes were detected as, services/versioning/domain/
media_types.py, never the file name's extension: a DOCX called `.pdf` is converted by
LibreOffice, a PDF called `.docx` is kept as a PDF), and the arithmetic of the limits: how
often a file may stop the worker, which limit stopped OCR, how much OCR'd text is kept,
which page images may be asked for and where they are kept."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath

from services.contracts.errors import InvalidInput

PDF, IMAGE, OFFICE = "pdf", "image", "office"

# the extension LibreOffice (and the checks before it, services/renditions/engines/libreoffice.py)
# reads a file by, for the media types it converts
OFFICE_EXTENSIONS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.ms-word.document.macroenabled.12": ".docm",
    "application/msword": ".doc",
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/rtf": ".rtf",
    "text/rtf": ".rtf",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.ms-excel.sheet.macroenabled.12": ".xlsm",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/vnd.ms-powerpoint.presentation.macroenabled.12": ".pptm",
    "application/vnd.ms-powerpoint": ".ppt",
    "application/vnd.oasis.opendocument.presentation": ".odp",
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "text/csv": ".csv",
    # an OLE file Tika names no further: LibreOffice tells Word, Excel and PowerPoint apart
    "application/x-tika-msoffice": ".doc",
    # an encrypted OOXML package: refused as password-protected before LibreOffice
    "application/x-tika-ooxml-protected": ".docx",
}
# other text is laid out as plain text
TEXT_TYPES = ("application/json", "application/xml")
IMAGE_TYPES = ("image/png", "image/jpeg", "image/tiff", "image/bmp", "image/gif")


def kind_of(media_type: str) -> tuple[str, str] | None:
    """(engine, extension to read the file by), or None when no rendition is made."""
    name = media_type.split(";")[0].strip().lower()
    if name == "application/pdf":
        return PDF, ".pdf"
    if name in IMAGE_TYPES:
        return IMAGE, "." + name.rsplit("/", 1)[1]
    if name in OFFICE_EXTENSIONS:
        return OFFICE, OFFICE_EXTENSIONS[name]
    if name.startswith("text/") or name in TEXT_TYPES or name.endswith(("+xml", "+json")):
        return OFFICE, ".txt"
    return None


def local_name(filename: str, media_type: str) -> str:
    """The original on disk, named by its detected type (a lying extension is not
    believed), with the stem of its own name so messages name the file."""
    found = kind_of(media_type)
    extension = found[1] if found else PurePath(filename).suffix
    stem = PurePath(filename).stem.strip(". ")[:100] or "document"
    return f"{stem}{extension}"


# deliveries that took a version up without finishing it (the worker stopped or died on
# it) before it is failed: a file that kills the worker must not do so forever
MAX_ATTEMPTS = 3


def gave_up(attempts: int) -> str | None:
    """Why a version taken up `attempts` times (this delivery counted) is failed without
    another try; None while it may still be tried."""
    if attempts > MAX_ATTEMPTS:
        return f"the rendition worker stopped {attempts - 1} times while rendering this file"
    return None


_LIMITS = {"max_pages": "the limit of {ocr_max_pages} pages read by OCR per file",
           "seconds_per_file": "the limit of {ocr_seconds_per_file:g} s of OCR per file",
           "seconds_per_page": "the limit of {ocr_seconds_per_page:g} s of OCR per page"}


def ocr_stopped(stopped_by: str | None, limits: Mapping) -> str | None:
    """The limit that stopped OCR before every page was read, in words naming its value
    (`limits`: the rendition settings' fields); None when none did."""
    return _LIMITS[stopped_by].format(**limits) if stopped_by in _LIMITS else None


def whole_text(pages: list[str], max_characters: int) -> tuple[str, bool]:
    """The text of a rendition OCR read: its pages (text layer and OCR'd alike) one
    blank line apart, cut at `max_characters` as Tika's text is; and whether it was cut."""
    text = "\n\n".join(page.strip() for page in pages).strip()
    return text[:max_characters], len(text) > max_characters


MEDIA_TYPES = {"png": "image/png", "webp": "image/webp"}


def page_key(version_id, page: int, width: int, fmt: str) -> str:
    """Where a page image is kept in the stored bucket, under the version's own prefix
    (services/versioning/adapters/storage.py page_prefix), which its disposal removes."""
    return f"pages/{version_id}/{page}-{width}.{fmt}"


def check_page_request(page, width, fmt: str, min_width: int, max_width: int) -> None:
    """InvalidInput naming `format`, `width` or `page` for a page image that can never be
    drawn, whatever the rendition (asked before the rendition is looked up)."""
    if fmt not in MEDIA_TYPES:
        raise InvalidInput("format must be png or webp", {"field": "format", "format": fmt})
    if not _whole(width) or not min_width <= width <= max_width:
        raise InvalidInput(f"width must be from {min_width} to {max_width} pixels",
                           {"field": "width", "minimum": min_width, "maximum": max_width})
    if not _whole(page):
        raise InvalidInput("page must be a whole number", {"field": "page"})


def check_page_within(page: int, pages: int) -> None:
    """InvalidInput naming `page` when the rendition has no such page."""
    if not 1 <= page <= pages:
        raise InvalidInput(f"page must be from 1 to {pages}: the rendition has {pages} "
                           f"page{'s' if pages != 1 else ''}",
                           {"field": "page", "minimum": 1, "maximum": pages})


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
