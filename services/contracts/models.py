"""RPC payloads and resources shared by the services and the gateway (pydantic v2)."""
from __future__ import annotations

import re
from datetime import date, datetime
from enum import Enum
from uuid import UUID

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from services.contracts.text import clean_line, clean_text

DEPARTMENT_CODE = r"^[A-Z][A-Z0-9_]{0,15}$"


def _cleaned(clean) -> BeforeValidator:
    return BeforeValidator(lambda value: clean(value) if isinstance(value, str) else value)


# Free text people type (services/contracts/text.py): bidirectional, control and escape
# characters removed, a NUL refused (422 naming the field); cleaned before the length
# limits are checked. `Line` is one line (a title), `Paragraphs` keeps line breaks.
Line = Annotated[str, _cleaned(clean_line)]
Paragraphs = Annotated[str, _cleaned(clean_text)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DocumentType(str, Enum):
    PS = "PS"                      # procedură de sistem
    PO = "PO"                      # procedură operațională
    IL = "IL"                      # instrucțiune de lucru
    FORM = "formular"
    QUALITY_MANUAL = "manualul_calitatii"
    PROCESS_LIST = "lista_proceselor"
    RISK_REGISTER = "registrul_riscurilor"
    EXTERNAL = "extern"


class RevisionStatus(str, Enum):
    DRAFT = "draft"
    IN_VERIFICATION = "in_verification"
    IN_ENDORSEMENT = "in_endorsement"
    IN_APPROVAL = "in_approval"
    # a step of the workflow that is not one of the vocabulary's (Revision.current_step)
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    IN_FORCE = "in_force"
    SUPERSEDED = "superseded"
    WITHDRAWN = "withdrawn"
    ARCHIVED = "archived"
    DISPOSED = "disposed"


class Role(str, Enum):
    READER = "reader"
    AUTHOR = "author"
    VERIFIER = "verifier"
    ENDORSER = "endorser"
    APPROVER = "approver"
    QMS_ADMIN = "qms_admin"


class ExtractionStatus(str, Enum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


# --- organisation -----------------------------------------------------------

class User(Model):
    username: str
    full_name: str
    department: str
    function: str
    roles: list[Role]

    def has(self, role: Role) -> bool:
        return role in self.roles


class Department(Model):
    code: str = Field(pattern=DEPARTMENT_CODE)
    name: Line


class StaffMember(Model):
    """A user as loaded from the organisation file (the password is hashed on load)."""
    username: str = Field(pattern=r"^[a-z0-9._-]{2,64}$")
    full_name: Line = Field(min_length=1)
    department: str = Field(pattern=DEPARTMENT_CODE)
    function: Line = ""
    roles: list[Role]
    password: str = Field(min_length=6)
    # false: the person has left; they cannot log in and their sessions end at once
    active: bool = True


class Organisation(Model):
    departments: list[Department]
    users: list[StaffMember]


# --- documents --------------------------------------------------------------

class LinkRelation(str, Enum):
    """How a document relates to another one of the register."""
    REFERENCE = "reference"      # document de referință
    FORM = "form"                # formular asociat
    REPLACES = "replaces"        # documentul pe care îl înlocuiește
    RELATED = "related"


class DocumentLink(Model):
    relation: LinkRelation
    document_id: UUID


def _department_list(value: list[str]) -> list[str]:
    for code in value:
        if not re.match(DEPARTMENT_CODE, code):
            raise ValueError(f"{code!r} is not a department code")
    return sorted(set(value))


def _unique_links(value: list[DocumentLink]) -> list[DocumentLink]:
    seen = set()
    for link in value:
        if (link.relation, link.document_id) in seen:
            raise ValueError(f"the link {link.relation.value} {link.document_id} is repeated")
        seen.add((link.relation, link.document_id))
    return value


class RegisterFields(Model):
    """The register's description of a document beyond code, type and owner: SCIM
    standard, archive file and retention, links and, for `extern`, its origin."""
    scim_standard: int | None = Field(default=None, ge=1, le=16)
    archive_indicator: str | None = Field(default=None, max_length=32,
                                          pattern=r"^[A-Za-z0-9][A-Za-z0-9./ -]*$")
    retention_class: Line | None = Field(default=None, max_length=32)
    links: list[DocumentLink] = Field(default_factory=list, max_length=200)
    issuer: Line | None = Field(default=None, max_length=300)
    external_reference: Line | None = Field(default=None, max_length=300)
    validity_date: date | None = None

    @field_validator("links")
    @classmethod
    def _distinct_links(cls, value: list[DocumentLink]) -> list[DocumentLink]:
        return _unique_links(value)


EXTERNAL_FIELDS = ("issuer", "external_reference", "validity_date")


class NewDocument(RegisterFields):
    """What `POST /api/documents` accepts."""
    code: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    title: Line = Field(min_length=3, max_length=500)
    type: DocumentType
    owner_department: str = Field(pattern=DEPARTMENT_CODE)
    distribution: list[str] = Field(default_factory=list)
    confidential: bool = False
    process: Line | None = Field(default=None, max_length=200)

    @field_validator("distribution")
    @classmethod
    def _department_codes(cls, value: list[str]) -> list[str]:
        return _department_list(value)


class DocumentChange(Model):
    """What `PATCH /api/documents/{id}` accepts: only the fields to change (null clears
    an optional one). Code, type and owner department are not changed here."""
    title: Line | None = Field(default=None, min_length=3, max_length=500)
    process: Line | None = Field(default=None, max_length=200)
    distribution: list[str] | None = None
    confidential: bool | None = None
    scim_standard: int | None = Field(default=None, ge=1, le=16)
    archive_indicator: str | None = Field(default=None, max_length=32,
                                          pattern=r"^[A-Za-z0-9][A-Za-z0-9./ -]*$")
    retention_class: Line | None = Field(default=None, max_length=32)
    links: list[DocumentLink] | None = Field(default=None, max_length=200)
    issuer: Line | None = Field(default=None, max_length=300)
    external_reference: Line | None = Field(default=None, max_length=300)
    validity_date: date | None = None

    @field_validator("distribution")
    @classmethod
    def _department_codes(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _department_list(value)

    @field_validator("links")
    @classmethod
    def _links(cls, value):
        return None if value is None else _unique_links(value)

    def changes(self) -> dict:
        """The fields the request names (explicit nulls included)."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class Document(Model):
    id: UUID
    code: str
    title: str
    type: DocumentType
    owner_department: str
    distribution: list[str]
    confidential: bool
    process: str | None = None
    status: RevisionStatus
    current_version_id: UUID | None = None
    next_edition: bool = False
    next_review_date: date | None = None
    created_at: datetime
    created_by: str
    scim_standard: int | None = None
    archive_indicator: str | None = None
    retention_class: str | None = None
    links: list[DocumentLink] = []
    issuer: str | None = None
    external_reference: str | None = None
    validity_date: date | None = None
    updated_at: datetime | None = None
    disposed_at: datetime | None = None


class Revision(Model):
    """The workflow side of a version, owned by the documents service."""
    version_id: UUID
    document: Document
    edition: int
    revision: int
    status: RevisionStatus
    status_seq: int
    registry_number: str | None = None
    registry_date: date | None = None
    effective_date: date | None = None
    approved_at: datetime | None = None
    in_force_at: datetime | None = None
    author: str
    change_summary: str
    component_revised: str = ""
    how_revised: str = ""
    restored_from: UUID | None = None
    created_at: datetime
    archived_at: datetime | None = None
    disposed_at: datetime | None = None
    # the step of its workflow it waits for (None: it waits for none)
    current_step: str | None = None
    # the version of its type's workflow it was submitted under (None: before any
    # submission since workflows were versioned; it follows version 1)
    workflow_version: int | None = None


class ChangeNote(Model):
    """What a new revision changes: the row of "Situația edițiilor și a reviziilor"."""
    change_summary: Paragraphs = Field(default="", max_length=4000)      # why
    component_revised: Paragraphs = Field(default="", max_length=500)    # which part
    how_revised: Paragraphs = Field(default="", max_length=500)          # how


class Numbering(Model):
    """The edition and revision a document's first version carries when the procedure
    existed before Procedura (an import): later versions are numbered by Procedura."""
    edition: int = Field(ge=1, le=99)
    revision: int = Field(ge=0, le=999)


class Signature(Model):
    step: str
    decision: str
    signer: str
    function: str
    comment: str
    signed_at: datetime
    # a workflow step's line ({"ro": "Avizat juridic", "en": …}); None for the actions
    # that are not steps (submit, opinion, reject, withdraw: their words are the
    # vocabulary's)
    signed_label: dict[str, str] | None = None


# --- versions ---------------------------------------------------------------

class StagedUpload(Model):
    """A file the gateway has streamed into the staging area of object storage."""
    staging_key: str
    filename: str
    size: int


def original_key(document_id, version_id, filename: str) -> str:
    """Where a version's original lives in the versioned bucket: the gateway streams an
    upload there and versioning records it (one rule for both)."""
    return f"originals/{document_id}/{version_id}/{filename}"


class PlacedUpload(Model):
    """A file the gateway has streamed straight to its final, immutable key
    (original_key of the version id it chose), hashed and counted as it passed: storing
    it copies and rereads nothing."""
    version_id: UUID
    object_key: str
    object_version_id: str | None = None
    filename: str
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class StoreVersion(Model):
    """Ask versioning to turn a staged (or placed) upload into an immutable version."""
    version_id: UUID
    document_id: UUID
    edition: int = Field(ge=1)
    revision: int = Field(ge=0)
    staged: StagedUpload | PlacedUpload
    author: str
    change_summary: str


class Extraction(Model):
    status: ExtractionStatus
    error: str | None = None
    characters: int | None = None
    truncated: bool = False
    # the text came (also) from OCR of pages without a text layer (the rendition worker)
    ocr: bool = False
    ocr_pages: int = 0          # pages OCR read
    ocr_pages_left: int = 0     # pages without text a limit left unread
    ocr_stopped: str | None = None   # the limit that stopped OCR, in words


class Rendition(Model):
    """The PDF rendition of a version (services/renditions/worker.py)."""
    status: Literal["pending", "done", "failed"] = "pending"
    pages: int | None = None
    error: str | None = None


class VersionManifest(Model):
    """The storage side of a version, owned by the versioning service."""
    id: UUID
    document_id: UUID
    edition: int
    revision: int
    filename: str
    media_type: str
    size: int
    sha256: str
    author: str
    change_summary: str
    created_at: datetime
    extraction: Extraction
    rendition: Rendition = Rendition()
    # the object version of the original in MinIO: downloads read exactly that one
    object_version_id: str | None = None
    # approved and later: a legal hold keeps MinIO from deleting or overwriting it
    legal_hold: bool = False
    # the content was deleted after the retention period (the manifest stays)
    disposed_at: datetime | None = None


class Version(VersionManifest):
    """The version resource of the REST API: manifest plus workflow state."""
    code: str
    status: RevisionStatus
    registry_number: str | None = None
    registry_date: date | None = None
    effective_date: date | None = None
    component_revised: str = ""
    how_revised: str = ""
    restored_from: UUID | None = None

    @classmethod
    def combine(cls, revision: Revision, manifest: VersionManifest) -> "Version":
        return cls(**dict(manifest), code=revision.document.code, status=revision.status,
                   registry_number=revision.registry_number,
                   registry_date=revision.registry_date,
                   effective_date=revision.effective_date,
                   component_revised=revision.component_revised,
                   how_revised=revision.how_revised, restored_from=revision.restored_from)


class Comment(Model):
    comment: Paragraphs = Field(default="", max_length=4000)


class Signing(Comment):
    """The body of a step of the signing chain."""
    # approval: the date the revision comes into force (default: the approval date)
    effective_date: date | None = None
    # opinion (formular de analiză): favourable or not
    favourable: bool | None = None


# --- feed -------------------------------------------------------------------

class FeedItem(Model):
    id: int
    kind: str
    document_id: UUID
    version_id: UUID | None
    code: str
    title: str
    message: str
    created_at: datetime
    read: bool


class Feed(Model):
    unread: int
    items: list[FeedItem]


# --- signing inbox ----------------------------------------------------------

class InboxItem(Model):
    """A revision waiting for the user's signature or opinion (`GET /api/me/inbox`)."""
    revision: Revision
    actions: list[str]


class Inbox(Model):
    items: list[InboxItem]
