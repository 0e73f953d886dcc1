"""The search contract: what the gateway asks the search service, and what it gets back."""
from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from services.contracts.models import DEPARTMENT_CODE, DocumentType, Model, RevisionStatus

MAX_QUERY_CHARACTERS = 1000
MAX_PAGE_SIZE = 100

# in_force: the revisions in force (default); work: the revisions in the signing chain the
# user may work on (drafts, revisions waiting for their step, approved and not yet in
# force); all: every version, history included (= all_versions=true)
Scope = Literal["in_force", "work", "all"]


class SearchQuery(Model):
    """`GET /api/search`. An empty `q` (or one with no word to look for) gives no hits
    but the facets of everything the user may see under the filters (docs/search.md)."""
    q: str = Field(default="", max_length=MAX_QUERY_CHARACTERS)
    type: DocumentType | None = None
    department: str | None = Field(default=None, pattern=DEPARTMENT_CODE)
    process: str | None = Field(default=None, max_length=200)
    status: RevisionStatus | None = None
    year: int | None = Field(default=None, ge=1900, le=2999)
    document_id: UUID | None = None
    scope: Scope = "in_force"
    all_versions: bool = False
    sort: Literal["relevance", "date"] = "relevance"
    page: int = Field(default=1, ge=1, le=1000)
    size: int = Field(default=20, ge=1, le=MAX_PAGE_SIZE)


class SearchHit(Model):
    document_id: UUID
    version_id: UUID
    code: str
    title: str
    type: str | None = None
    owner_department: str | None = None
    process: str | None = None
    edition: int
    revision: int
    status: RevisionStatus
    created_at: datetime | None = None
    score: float | None
    highlights: list[str]


class SearchResult(Model):
    total: int
    hits: list[SearchHit]
    facets: dict[str, dict[str, int]]


class SuggestQuery(Model):
    """`GET /api/search/suggest`: codes and titles as the user types."""
    q: str = Field(default="", max_length=200)
    size: int = Field(default=8, ge=1, le=20)
    scope: Scope = "in_force"


class Suggestion(Model):
    document_id: UUID
    version_id: UUID
    code: str
    title: str


class Suggestions(Model):
    items: list[Suggestion]
