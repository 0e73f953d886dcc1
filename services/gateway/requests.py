"""The request models of the REST API that belong to no contract of their own: what the
routes read with services/gateway/params.py and what openapi.py describes, the same
classes for both."""
from __future__ import annotations

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field, field_validator

from services.contracts.models import ChangeNote, Model, Paragraphs
from services.contracts.workflows import Workflow
from services.gateway import params


class Credentials(Model):
    username: str = Field(min_length=1)
    password: str = Field(min_length=1)


class Restore(ChangeNote):
    version_id: UUID


class Upload(Model):
    """multipart/form-data: the file and the change note."""
    file: bytes = Field(json_schema_extra={"format": "binary"})
    change_summary: str = Field(default="", max_length=4000)
    component_revised: str = Field(default="", max_length=500)
    how_revised: str = Field(default="", max_length=500)
    # a document's first version only: the numbering it had before Procedura (both or none)
    edition: int | None = Field(default=None, ge=1, le=99)
    revision: int | None = Field(default=None, ge=0, le=999)


class FeedQuery(Model):
    kind: str | None = None
    limit: int = 50
    before: int | None = None

    @field_validator("limit", "before", mode="before")
    @classmethod
    def _whole_number(cls, value, info):
        # feed items are numbered from 0 in a bigint: named as every such parameter is
        return params.whole_number(value, info.field_name) if isinstance(value, str) else value


class PageQuery(Model):
    width: int = Field(default=200, ge=64, le=2000, description="pixels")
    format: Literal["png", "webp"] = "png"


class AuditQuery(Model):
    document_id: UUID | None = None
    user: str | None = None
    format: Literal["json", "csv"] = "json"


class DiffQuery(Model):
    NOT_GIVEN: ClassVar[dict[str, str]] = {
        "against": "`against` names the version to compare with"}

    against: UUID

    @field_validator("against", mode="before")
    @classmethod
    def _version(cls, value):
        return params.uuid(value, "version") if isinstance(value, str) else value


class WorkflowChange(Workflow):
    """`PUT /api/workflows/{type}`: the type's new workflow, and why it changes."""
    comment: Paragraphs = Field(default="", max_length=4000)
