"""What many tests build the same way: a person of the city hall, a document of the
register, the text of a PDF, a free port, a version whose text extraction has ended."""
from __future__ import annotations

import io
import subprocess
import uuid
from datetime import datetime, timezone
from pathlib import Path

from pypdf import PdfReader

from services.contracts.models import Document, RevisionStatus, Role, User
from tests.testenv import eventually, free_port  # noqa: F401  (free_port: one definition, re-exported here)


def user(department: str = "DJ", *roles: Role, name: str = "x", function: str = "f") -> User:
    """A reader of `department` with `roles` besides."""
    return User(username=name, full_name=name, department=department, function=function,
                roles=[Role.READER, *roles])


def document(**fields) -> Document:
    """A procedure of DJ distributed to DJ and RP, a draft; `fields` change any of it."""
    base = dict(id=uuid.uuid4(), code="PO-DJ-01", title="t", type="PO",
                owner_department="DJ", distribution=["DJ", "RP"], confidential=False,
                status=RevisionStatus.DRAFT, created_at=datetime.now(timezone.utc),
                created_by="x")
    return Document(**{**base, **fields})


def pdf_text(data: bytes) -> str:
    """The text of a PDF's pages as pypdf reads it, one page after the other."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def pdftotext(path: str | Path) -> str:
    """The text of a PDF file as poppler's pdftotext reads it (what Tika is close to)."""
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def extraction_settled(client, version_id, timeout: float = 30.0, until_done: bool = False):
    """The version (as the API answers it) once its text extraction is no longer pending,
    or, with `until_done`, once it is done."""
    def check():
        version = client.get(f"/api/versions/{version_id}")
        status = version["extraction"]["status"]
        return version if (status == "done" if until_done else status != "pending") else None
    return eventually(check, timeout=timeout)
