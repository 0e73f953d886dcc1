"""The OpenAPI 3.1 description of Procedura's REST API (`GET /api/openapi.json`),
generated from the pydantic contracts.

Describing an endpoint is one line of ENDPOINTS: method, path (the gateway's rule,
`<name>` parameters), summary, and the models of its query, body and answer.
tests/contracts/test_openapi.py fails when a route of the gateway is missing here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, create_model
from pydantic.json_schema import models_json_schema

from services.contracts.api import (
    AcknowledgementRecorded, AcknowledgementsQuery, DeliveryQuery, DepartmentAcknowledgements,
    Disposal, DisposalDate, EmailDeliveryEntry, FormQuery, RegisterQuery, ReportQuery,
    RiskQuery, RiskWithAssessments)
from services.contracts.forms import AcknowledgementReport
from services.contracts.models import (
    Comment, Document, DocumentChange, DocumentType, Feed, FeedItem, Inbox, Model,
    NewDocument, Signature, Signing, User, Version)
from services.contracts.notifications import Acknowledgement, Preferences
from services.contracts.qms import (
    Assessment, NewProcess, NewRisk, Process, ProcessChange, Risk, RiskAssessment, RiskChange)
from services.contracts.search import SearchQuery, SearchResult, SuggestQuery, Suggestions
from services.contracts.signing import ACTIONS
from services.contracts.workflows import STEP_ID, Progress, StoredWorkflow
from services.gateway.requests import (
    AuditQuery, Credentials, DiffQuery, FeedQuery, PageQuery, Restore, Upload,
    WorkflowChange)

# --- answers that have no contract of their own elsewhere --------------------------

class ErrorBody(Model):
    code: str
    message: str
    details: dict[str, Any]


class Error(Model):
    error: ErrorBody


class TokenAnswer(Model):
    access_token: str
    token_type: Literal["bearer"]
    expires_in: int
    user: User


class WordChange(Model):
    op: Literal["equal", "insert", "delete", "replace"]
    old: str
    new: str


class Hunk(Model):
    op: Literal["equal", "insert", "delete", "replace"]
    old_start: int
    new_start: int
    old: list[str]
    new: list[str]
    words: list[WordChange]


class TextDiff(Model):
    version_id: UUID
    against: UUID
    hunks: list[Hunk]
    unified: str
    inserted_words: int
    deleted_words: int


class AuditEntry(Model):
    id: int
    at: datetime
    actor: str
    action: str
    document_id: UUID | None
    version_id: UUID | None
    details: dict[str, Any]
    hash: str


class Marked(Model):
    marked: int


def items_of(model: type[BaseModel]) -> type[BaseModel]:
    """`{"items": [model]}`, the shape of every list the API answers."""
    return create_model(f"{model.__name__}List", __base__=Model, items=(list[model], ...))


# --- the table ---------------------------------------------------------------------

BINARY, CSV_OR_JSON, EVENT_STREAM, NO_CONTENT = "binary", "csv", "event-stream", "none"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FORM_MEDIA = (DOCX, "application/pdf")
PAGE_MEDIA = ("image/png", "image/webp")
REGISTER_MEDIA = (DOCX, "application/pdf", "text/csv")


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str                      # the gateway's rule: /api/documents/<document_id>
    summary: str
    response: Any = None           # a model, or BINARY / EVENT_STREAM
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    status: int = 200
    multipart: bool = False
    public: bool = False           # no bearer token needed
    tag: str = "documents"
    media: tuple[str, ...] = ()    # a BINARY answer's media types (octet-stream if none)
    csv: bool = False              # a JSON answer that `format=csv` turns into a spreadsheet
    raw_body: bool = False         # the body is the bytes of a file
    refused: bool = False          # always refused (409): described without a 2xx
    throttled: bool = False        # may answer 429 with Retry-After (failed logins)
    cached: bool = False           # ETag on the answer, 304 on If-None-Match


E = Endpoint
ENDPOINTS: list[Endpoint] = [
    E("POST", "/api/auth/token", "Log in: a bearer token", TokenAnswer, Credentials,
      public=True, tag="auth", throttled=True),
    E("POST", "/api/auth/logout", "Log out: revoke the bearer token this request carries "
      "(no gateway accepts it again)", NO_CONTENT, status=204, tag="auth"),
    E("GET", "/api/me", "The logged-in user", User, tag="auth"),
    E("GET", "/api/me/inbox", "Revisions waiting for my signature or opinion", Inbox,
      tag="signing"),
    E("GET", "/api/openapi.json", "This description", dict, public=True, tag="meta"),
    E("GET", "/api/events/schemas/<schema_file>", "The JSON Schema of an event, "
      "<type>.v<schema_version>.json (an event's dataschema ends with it)", dict,
      public=True, tag="meta"),
    E("POST", "/api/documents", "Register a document", Document, NewDocument, status=201),
    E("GET", "/api/documents", "Documents I may see", items_of(Document)),
    E("GET", "/api/documents/<document_id>", "One document", Document),
    E("POST", "/api/documents/<document_id>/versions", "Upload a new version", Version,
      Upload, status=201, multipart=True),
    E("GET", "/api/documents/<document_id>/versions", "Version history", items_of(Version)),
    E("POST", "/api/documents/<document_id>/restore", "An older version as a new draft",
      Version, Restore, status=201),
    E("POST", "/api/documents/<document_id>/new-edition",
      "The next upload starts a new edition", Document),
    E("POST", "/api/documents/<document_id>/reviewed", "Periodic review, no change",
      Document, Comment),
    E("GET", "/api/versions/<version_id>", "One version", Version, tag="versions"),
    E("GET", "/api/versions/<version_id>/content", "The original file", BINARY,
      tag="versions"),
    E("GET", "/api/versions/<version_id>/text", "The extracted text", BINARY, tag="versions"),
    E("GET", "/api/versions/<version_id>/rendition", "The version as a PDF, shown inline "
      "(byte ranges answer 206); 409 naming the status while it is pending or failed",
      BINARY, media=("application/pdf",), cached=True, tag="versions"),
    E("GET", "/api/versions/<version_id>/pages/<page>", "One page of the PDF rendition as "
      "an image, drawn on first ask and cached (Cache-Control: immutable); 422 naming "
      "page, width or format when out of range; 409 while the rendition is pending or "
      "failed", BINARY, query=PageQuery, media=PAGE_MEDIA, cached=True, tag="versions"),
    E("POST", "/api/versions/<version_id>/<action>", "A step of the signing chain", Version,
      Signing, tag="signing"),
    E("POST", "/api/versions/<version_id>/steps/<step_id>", "Sign a step of the "
      "revision's workflow", Version, Signing, tag="workflows"),
    E("GET", "/api/versions/<version_id>/workflow", "Where the revision stands in its "
      "workflow: who signed each step, who is awaited", Progress, tag="workflows"),
    E("GET", "/api/versions/<version_id>/diff", "Word-level differences of two versions",
      TextDiff, query=DiffQuery, tag="versions"),
    E("GET", "/api/versions/<version_id>/signatures", "Who signed which step",
      items_of(Signature), tag="signing"),
    E("GET", "/api/search", "Full-text search with facets and highlights", SearchResult,
      query=SearchQuery, tag="search"),
    E("GET", "/api/search/suggest", "Codes and titles as the user types", Suggestions,
      query=SuggestQuery, tag="search"),
    E("GET", "/api/feed", "My feed", Feed, query=FeedQuery, tag="feed"),
    E("GET", "/api/feed/stream", "My feed, live (server-sent events)", EVENT_STREAM,
      tag="feed"),
    E("POST", "/api/feed/read-all", "Mark my whole feed read", Marked, tag="feed"),
    E("POST", "/api/feed/<item_id>/read", "Mark one feed item read", FeedItem, tag="feed"),
    E("GET", "/api/audit", "Audit trail (quality office)", items_of(AuditEntry),
      query=AuditQuery, tag="audit"),
    # acknowledgements and e-mail preferences
    E("POST", "/api/versions/<version_id>/acknowledge",
      "\"Am luat la cunoștință\": confirm a revision in force", AcknowledgementRecorded,
      tag="acknowledgements"),
    E("GET", "/api/versions/<version_id>/acknowledgements",
      "Who confirmed a revision, who has not", AcknowledgementReport, query=ReportQuery,
      csv=True, tag="acknowledgements"),
    E("GET", "/api/acknowledgements", "Acknowledgements of a department",
      DepartmentAcknowledgements, query=AcknowledgementsQuery, csv=True,
      tag="acknowledgements"),
    E("GET", "/api/me/acknowledgements", "What I still have to confirm",
      items_of(Acknowledgement), tag="acknowledgements"),
    E("GET", "/api/me/preferences", "My e-mail preference", Preferences, tag="notifications"),
    E("PUT", "/api/me/preferences", "Change my e-mail preference", Preferences, Preferences,
      tag="notifications"),
    E("GET", "/api/email/deliveries", "The e-mail delivery log (quality office)",
      items_of(EmailDeliveryEntry), query=DeliveryQuery, tag="notifications"),
    # forms
    E("GET", "/api/versions/<version_id>/forms/<kind>",
      "Lista responsabililor or Lista de difuzare of a revision (DOCX or PDF)", BINARY,
      query=FormQuery, media=FORM_MEDIA, tag="forms"),
    E("GET", "/api/documents/<document_id>/forms/editii",
      "Situația edițiilor și a reviziilor (DOCX or PDF)", BINARY, query=FormQuery,
      media=FORM_MEDIA, tag="forms"),
    E("GET", "/api/register", "The register of procedures (DOCX, PDF or CSV)", BINARY,
      query=RegisterQuery, media=REGISTER_MEDIA, tag="forms"),
    # processes and risks
    E("GET", "/api/processes", "The process list", items_of(Process), tag="risks"),
    E("POST", "/api/processes", "Add a process", Process, NewProcess, status=201, tag="risks"),
    E("GET", "/api/processes/<code>", "One process", Process, tag="risks"),
    E("PUT", "/api/processes/<code>", "Change a process", Process, ProcessChange, tag="risks"),
    E("GET", "/api/risks", "The risk register", items_of(Risk), query=RiskQuery, tag="risks"),
    E("POST", "/api/risks", "Register a risk with its first assessment", Risk, NewRisk,
      status=201, tag="risks"),
    E("GET", "/api/risks/<risk_id>", "A risk and its assessments", RiskWithAssessments,
      tag="risks"),
    E("PUT", "/api/risks/<risk_id>", "Change a risk's description", Risk, RiskChange,
      tag="risks"),
    E("POST", "/api/risks/<risk_id>/assessments", "Re-assess a risk", RiskAssessment,
      Assessment, status=201, tag="risks"),
    # the register: record changes, archive, disposal, immutable versions
    E("PATCH", "/api/documents/<document_id>", "Change a document's record", Document,
      DocumentChange),
    E("POST", "/api/versions/<version_id>/archive", "Archive a withdrawn or superseded "
      "revision", Version, Comment, tag="versions"),
    E("GET", "/api/documents/<document_id>/disposal", "When the content may be disposed of",
      DisposalDate),
    E("POST", "/api/documents/<document_id>/dispose", "Dispose of the content after "
      "retention", Document, Disposal),
    E("GET", "/api/workflows", "The workflow of every document type",
      items_of(StoredWorkflow), tag="workflows"),
    E("GET", "/api/workflows/<doc_type>", "A document type's workflow", StoredWorkflow,
      tag="workflows"),
    E("PUT", "/api/workflows/<doc_type>", "Change a document type's workflow (the quality "
      "office): a new version", StoredWorkflow, WorkflowChange, tag="workflows"),
    E("GET", "/api/workflows/<doc_type>/history", "Every version of a type's workflow, the "
      "newest first", items_of(StoredWorkflow), tag="workflows"),
    E("DELETE", "/api/versions/<version_id>", "Never: stored versions are kept (409)",
      refused=True, tag="versions"),
    E("PUT", "/api/versions/<version_id>/content", "Never: a change is a new revision (409)",
      raw_body=True, refused=True, tag="versions"),
]

_PARAMETER = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")
# the file name of an event's JSON Schema: <type>.v<schema_version>.json (the end of its
# CloudEvents dataschema; GET /api/events/schemas/<schema_file>)
SCHEMA_FILE = r"^([a-z_]+)\.v([1-9][0-9]*)\.json$"
_PATH_PARAMETERS = {
    "document_id": {"type": "string", "format": "uuid"},
    "version_id": {"type": "string", "format": "uuid"},
    "item_id": {"type": "string", "pattern": "^[0-9]+$"},
    "page": {"type": "integer", "minimum": 1},
    "action": {"type": "string", "enum": [a for a in ACTIONS]},
    "risk_id": {"type": "string", "format": "uuid"},
    "kind": {"type": "string", "enum": ["responsabili", "difuzare"]},
    "code": {"type": "string", "pattern": "^[A-Z][A-Z0-9.-]{1,31}$"},
    "step_id": {"type": "string", "pattern": STEP_ID, "maxLength": 40},
    "doc_type": {"type": "string", "enum": [t.value for t in DocumentType]},
    "schema_file": {"type": "string", "pattern": SCHEMA_FILE},
}
ERRORS = {"401": "Not logged in or token expired", "403": "Not allowed",
          "404": "Not found (or not visible to this user)", "409": "Not in this state",
          "413": "Too large", "415": "Unsupported media type", "422": "Invalid input",
          "503": "A service is unavailable"}


def openapi_path(rule: str) -> str:
    return _PARAMETER.sub(r"{\1}", rule)


def _models() -> list[tuple[type[BaseModel], str]]:
    models = [(Error, "serialization")]
    for e in ENDPOINTS:
        if isinstance(e.response, type) and issubclass(e.response, BaseModel):
            models.append((e.response, "serialization"))
        if e.body is not None:
            models.append((e.body, "validation"))
    return models


def _ref(schema_of: dict, model, mode: str) -> dict:
    return schema_of[(model, mode)]


def _query_parameters(model: type[BaseModel]) -> list[dict]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    required = set(schema.get("required", ()))
    return [{"name": name, "in": "query", "required": name in required,
             "schema": {k: v for k, v in prop.items() if k != "title"}}
            for name, prop in schema["properties"].items()]


@lru_cache(maxsize=1)
def spec() -> dict:
    """The whole document (built once per process)."""
    schema_of, schemas = _components()
    return {
        "openapi": "3.1.0",
        "info": {"title": "Procedura", "version": "1",
                 "description": "Document control for ISO 9001 and OSGG 600/2018. Errors are "
                                "`{\"error\": {\"code\", \"message\", \"details\"}}`."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": _paths(schema_of),
        "components": {"schemas": schemas,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


def _components() -> tuple[dict, dict]:
    """The reference of each model by (model, mode), and every schema the references and
    the query parameters name."""
    schema_of, top = models_json_schema(_models(),
                                        ref_template="#/components/schemas/{model}")
    schemas = dict(top.get("$defs", {}))
    for e in ENDPOINTS:
        if e.query is not None:
            for name, schema in (e.query.model_json_schema(
                    ref_template="#/components/schemas/{model}").get("$defs") or {}).items():
                schemas.setdefault(name, schema)
    return schema_of, schemas


def _paths(schema_of: dict) -> dict[str, dict]:
    paths: dict[str, dict] = {}
    for e in ENDPOINTS:
        paths.setdefault(openapi_path(e.path), {})[e.method.lower()] = _operation(e, schema_of)
    return paths


def _operation(e: Endpoint, schema_of: dict) -> dict:
    path = openapi_path(e.path)
    operation: dict[str, Any] = {
        "operationId": f"{e.method.lower()}_{re.sub(r'[^a-z0-9]+', '_', path.lower())}"
                       .strip("_"),
        "summary": e.summary, "tags": [e.tag], "parameters": _parameters(e),
        "responses": _responses(e, schema_of),
    }
    if e.refused:
        operation["x-always-refused"] = True
    if e.raw_body:
        operation["requestBody"] = {"content": {"application/octet-stream": {
            "schema": {"type": "string", "format": "binary"}}}}
    if e.body is not None:
        media = "multipart/form-data" if e.multipart else "application/json"
        operation["requestBody"] = {
            "required": e.multipart,
            "content": {media: {"schema": _ref(schema_of, e.body, "validation")}}}
    if e.public:
        operation["security"] = []
    return operation


def _parameters(e: Endpoint) -> list[dict]:
    parameters = [{"name": name, "in": "path", "required": True,
                   "schema": _PATH_PARAMETERS.get(name, {"type": "string"})}
                  for name in _PARAMETER.findall(e.path)]
    if e.query is not None:
        parameters += _query_parameters(e.query)
    return parameters


def _responses(e: Endpoint, schema_of: dict) -> dict:
    def error():
        return {"application/json": {"schema": _ref(schema_of, Error, "serialization")}}

    responses = {} if e.refused else {str(e.status): _response(e, schema_of)}
    for status, description in ERRORS.items():
        responses[status] = {"description": description, "content": error()}
    if e.refused:
        responses["409"] = {"description": e.summary, "content": error()}
    if e.throttled:
        responses["429"] = {
            "description": "Too many failed logins of this user name or from this "
                           "address: try again after Retry-After seconds",
            "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
            "content": error()}
    if e.cached:
        responses[str(e.status)]["headers"] = {name: {"schema": {"type": "string"}}
                                               for name in ("ETag", "Cache-Control")}
        responses["304"] = {"description": "Not modified: If-None-Match names the current ETag"}
    return responses


def _response(e: Endpoint, schema_of: dict) -> dict:
    if e.response == NO_CONTENT:
        return {"description": e.summary}
    if e.response == BINARY:
        return {"description": e.summary,
                "content": {media: {"schema": {"type": "string", "format": "binary"}}
                            for media in e.media or ("application/octet-stream",)}}
    if e.response == EVENT_STREAM:
        return {"description": e.summary,
                "content": {"text/event-stream": {"schema": {"type": "string"}}}}
    if e.response is dict:
        return {"description": e.summary,
                "content": {"application/json": {"schema": {"type": "object"}}}}
    content = {"application/json": {"schema": _ref(schema_of, e.response, "serialization")}}
    if e.query is AuditQuery or e.csv:
        content["text/csv"] = {"schema": {"type": "string"}}
    return {"description": e.summary, "content": content}


def find(method: str, rule: str) -> Endpoint | None:
    return next((e for e in ENDPOINTS if e.method == method and e.path == rule), None)
