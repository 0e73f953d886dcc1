"""The search contract: what the gateway asks the search service, and what it gets back."""
from __future__ import annotations

from uuid import UUID

from pydantic import Field

from services.contracts.models import DEPARTMENT_CODE, DocumentType, Model, RevisionStatus

class SearchQuery(Model):
    q: str = Field(default="", max_length=500)
    type: DocumentType | None = None
    department: str | None = Field(default=None, pattern=DEPARTMENT_CODE)
    status: RevisionStatus | None = None
    all_versions: bool = False
    page: int = Field(default=1, ge=1, le=1000)
    size: int = Field(default=20, ge=1, le=100)


class SearchHit(Model):
    document_id: UUID
    version_id: UUID
    code: str
    title: str
    edition: int
    revision: int
    status: RevisionStatus
    score: float | None
    highlights: list[str]


class SearchResult(Model):
    total: int
    hits: list[SearchHit]
    facets: dict[str, dict[str, int]]
