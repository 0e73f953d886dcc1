"""Which engine makes the rendition of a media type (the type the upload's bytes were
detected as, services/versioning/media_types.py, never the file name's extension: a DOCX
called `.pdf` is converted by LibreOffice, a PDF called `.docx` is kept as a PDF)."""
from __future__ import annotations

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
