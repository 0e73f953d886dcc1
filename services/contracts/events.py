"""The events Procedura publishes, in one envelope.

Each service publishes to the topic exchange `<service>.events` with the event
type as routing key; a subscriber of the city hall binds its own durable queue
there with plain AMQP. `docs/events/*.json` are generated from these models
(`make schemas`) and a test fails when they are stale.

Versioning the contract: adding an optional field keeps `schema_version`;
removing or changing a field is a new `schema_version` (see docs/events/README.md).
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Literal
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.contracts.models import DocumentType, RevisionStatus, Role


class EventData(BaseModel):
    # a tolerant reader: a field added later (an additive change keeps the event type,
    # docs/events/README.md) is ignored by a consumer that does not know it yet
    model_config = ConfigDict(extra="ignore", frozen=True)


class DocumentFacts(EventData):
    """What a subscriber needs to know about the document an event concerns."""
    document_id: UUID
    code: str
    title: str
    type: DocumentType
    owner_department: str
    distribution: list[str]
    confidential: bool


class DocumentRegistered(DocumentFacts):
    registered_by: str


class StepLabel(EventData):
    """A workflow step's name in both languages of Procedura."""
    ro: str
    en: str


class Awaiting(EventData):
    """The workflow step a revision now waits in, as its definition says (the one the
    revision's chain started with): who may sign it, so a subscriber (notifications
    too) needs no workflow file to tell them."""
    step: str
    label: StepLabel
    role: Role
    # the resolved department code of the signers; None: any department
    department: str | None
    quorum: int
    # the distribution departments give their opinions while the step waits
    opinions: bool
    deadline_working_days: int | None
    entered_at: datetime


class RevisionTransitioned(DocumentFacts):
    """A revision moved along the signing chain."""
    version_id: UUID
    edition: int
    revision: int
    status: RevisionStatus
    previous_status: RevisionStatus
    # increases by one on every transition of this revision: consumers keep the
    # highest they have seen, so late or repeated deliveries cannot roll back.
    status_seq: int
    actor: str
    actor_function: str
    comment: str
    # who elaborated the revision (a rejection goes back to them)
    author: str | None = None
    # set from approval on
    registry_number: str | None = None
    effective_date: date | None = None
    # the workflow step the revision waits in (in_review and the classic waiting
    # statuses alike), and who is awaited there; None outside a waiting status
    current_step: str | None = None
    awaiting: Awaiting | None = None


class VersionStepCompleted(DocumentFacts):
    """One signature of a workflow step (classic steps too): who signed, how, and
    whether the step's quorum of different signers is reached by it."""
    version_id: UUID
    edition: int
    revision: int
    step: str
    label: StepLabel
    signer: str
    signer_function: str
    # "signed" where the step gives no opinion (verification, approval...)
    decision: Literal["favourable", "unfavourable", "signed"]
    quorum: int
    # different signers of the step since the revision's last submission, this one included
    signatures: int
    quorum_reached: bool
    status_seq: int


class ReviewDue(DocumentFacts):
    """The periodic review of a document is due on `due_date`."""
    due_date: date
    # why, when not the periodic interval: e.g. a risk the document controls was re-assessed
    reason: str | None = None


class NotificationCreated(EventData):
    """A feed item for one person (what `GET /api/feed/stream` pushes to their browser)."""
    item_id: int
    username: str
    kind: str
    document_id: UUID
    version_id: UUID | None
    code: str
    title: str
    message: str
    created_at: datetime


class VersionStored(EventData):
    version_id: UUID
    document_id: UUID
    edition: int
    revision: int
    filename: str
    media_type: str
    size: int
    sha256: str


class VersionTextExtracted(EventData):
    version_id: UUID
    document_id: UUID
    characters: int
    truncated: bool


class VersionExtractionFailed(EventData):
    version_id: UUID
    document_id: UUID
    error: str


class VersionRendered(EventData):
    """The PDF rendition of a version is stored: its pages, and the pages OCR read or
    (stopped by a limit) left unread."""
    version_id: UUID
    document_id: UUID
    pages: int
    ocr_pages: int
    ocr_pages_left: int


class VersionRenditionFailed(EventData):
    version_id: UUID
    document_id: UUID
    error: str


class AcknowledgementRecorded(EventData):
    """A person confirmed "Am luat la cunoștință" for a revision in force."""
    version_id: UUID
    document_id: UUID
    code: str
    edition: int
    revision: int
    username: str
    department: str
    due_date: date
    acknowledged_at: datetime
    # confirmed after the due date
    late: bool


class DocumentUpdated(DocumentFacts):
    """The register entry of a document changed (title, distribution, confidentiality,
    retention, links...): the facts as they are now, and which fields changed."""
    process: str | None = None
    scim_standard: int | None = None
    archive_indicator: str | None = None
    retention_class: str | None = None
    links: list[dict] = []
    issuer: str | None = None
    external_reference: str | None = None
    validity_date: date | None = None
    changed: list[str]
    updated_by: str


class DisposedVersion(EventData):
    version_id: UUID
    status_seq: int


class DocumentDisposed(DocumentFacts):
    """The content of a document (originals and text renditions of every version) was
    deleted after its retention period; the register entry and audit trail remain."""
    disposed_by: str
    reason: str
    versions: list[DisposedVersion]


# CloudEvents 1.0 (structured JSON): `dataschema` names the event's published JSON Schema,
# one URI per type and schema_version, like docs/events/published/<type>.v<N>.json; a
# breaking change is a new type, so a schema behind one URI never changes incompatibly
SPECVERSION = "1.0"
DATASCHEMA_BASE = "https://procedura.example/events/"


def dataschema_uri(event_type: str, schema_version: int) -> str:
    """The URI of the published JSON Schema of `event_type` at `schema_version`."""
    return f"{DATASCHEMA_BASE}{event_type}.v{schema_version}.json"


class Envelope(BaseModel):
    """Every event: `id`, `type`, `source`, `time`, `subject` (document id),
    `schema_version`, `data`; and, as a CloudEvents 1.0 event in structured JSON,
    `specversion`, `datacontenttype` and `dataschema`."""
    model_config = ConfigDict(extra="ignore", frozen=True)   # see EventData

    id: UUID = Field(default_factory=uuid4)
    type: str
    source: str
    time: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    subject: UUID
    schema_version: int = 1
    # optional, so that messages published before them (still in queues, or replayed
    # dead letters) keep parsing: an additive change of the envelope
    specversion: Literal["1.0"] = SPECVERSION
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str | None = Field(None, json_schema_extra={"format": "uri"})
    data: EventData

    @model_validator(mode="before")
    @classmethod
    def _name_the_schema(cls, values):
        # filled from the type and schema_version when the sender did not say it
        if isinstance(values, dict) and values.get("dataschema") is None:
            event_type = values.get("type", cls.model_fields["type"].default)
            version = values.get("schema_version", cls.model_fields["schema_version"].default)
            if isinstance(event_type, str) and isinstance(version, int):
                values = {**values, "dataschema": dataschema_uri(event_type, version)}
        return values


class DocumentRegisteredEvent(Envelope):
    """`document_registered`, published by documents on `documents.events`."""
    type: Literal["document_registered"] = "document_registered"
    source: Literal["documents"] = "documents"
    data: DocumentRegistered


class VersionSubmittedEvent(Envelope):
    """`version_submitted`, published by documents on `documents.events`."""
    type: Literal["version_submitted"] = "version_submitted"
    source: Literal["documents"] = "documents"
    data: RevisionTransitioned


class VersionVerifiedEvent(Envelope):
    """`version_verified`, published by documents on `documents.events`."""
    type: Literal["version_verified"] = "version_verified"
    source: Literal["documents"] = "documents"
    data: RevisionTransitioned


class VersionApprovedEvent(Envelope):
    """`version_approved`, published by documents on `documents.events`."""
    type: Literal["version_approved"] = "version_approved"
    source: Literal["documents"] = "documents"
    data: RevisionTransitioned


class VersionEndorsedEvent(Envelope):
    """`version_endorsed`, published by documents on `documents.events`."""
    type: Literal["version_endorsed"] = "version_endorsed"
    source: Literal["documents"] = "documents"
    data: RevisionTransitioned


class VersionStepCompletedEvent(Envelope):
    """`version_step_completed`, published by documents on `documents.events`: a person
    signed a step of a revision's workflow (beside version_verified, version_endorsed or
    version_approved for the classic steps)."""
    type: Literal["version_step_completed"] = "version_step_completed"
    source: Literal["documents"] = "documents"
    data: VersionStepCompleted


class VersionInForceEvent(Envelope):
    """`version_in_force`, published by documents on `documents.events`."""
    type: Literal["version_in_force"] = "version_in_force"
    source: Literal["documents"] = "documents"
    data: RevisionTransitioned


class VersionSupersededEvent(Envelope):
    """`version_superseded`, published by documents on `documents.events`."""
    type: Literal["version_superseded"] = "version_superseded"
    source: Literal["documents"] = "documents"
    data: RevisionTransitioned


class DocumentWithdrawnEvent(Envelope):
    """`document_withdrawn`, published by documents on `documents.events`: the revision
    in force is withdrawn (data.comment is the reason); nothing of it is in force now."""
    type: Literal["document_withdrawn"] = "document_withdrawn"
    source: Literal["documents"] = "documents"
    data: RevisionTransitioned


class ReviewDueEvent(Envelope):
    """`review_due`, published by documents on `documents.events`, N days before the
    periodic review date (config/document-types.yaml)."""
    type: Literal["review_due"] = "review_due"
    source: Literal["documents"] = "documents"
    data: ReviewDue


class NotificationCreatedEvent(Envelope):
    """`notification_created`, published by notifications on `notifications.events`."""
    type: Literal["notification_created"] = "notification_created"
    source: Literal["notifications"] = "notifications"
    data: NotificationCreated


class VersionRejectedEvent(Envelope):
    """`version_rejected`, published by documents on `documents.events`."""
    type: Literal["version_rejected"] = "version_rejected"
    source: Literal["documents"] = "documents"
    data: RevisionTransitioned


class VersionStoredEvent(Envelope):
    """`version_stored`, published by versioning on `versioning.events`."""
    type: Literal["version_stored"] = "version_stored"
    source: Literal["versioning"] = "versioning"
    data: VersionStored


class VersionTextExtractedEvent(Envelope):
    """`version_text_extracted`, published by versioning on `versioning.events`."""
    type: Literal["version_text_extracted"] = "version_text_extracted"
    source: Literal["versioning"] = "versioning"
    data: VersionTextExtracted


class VersionExtractionFailedEvent(Envelope):
    """`version_extraction_failed`, published by versioning on `versioning.events`."""
    type: Literal["version_extraction_failed"] = "version_extraction_failed"
    source: Literal["versioning"] = "versioning"
    data: VersionExtractionFailed


class VersionRenderedEvent(Envelope):
    """`version_rendered`, published by versioning on `versioning.events` (the rendition
    worker relays the versioning outbox)."""
    type: Literal["version_rendered"] = "version_rendered"
    source: Literal["versioning"] = "versioning"
    data: VersionRendered


class VersionRenditionFailedEvent(Envelope):
    """`version_rendition_failed`, published by versioning on `versioning.events`: no
    rendition could be made (data.error says why); the original stays downloadable."""
    type: Literal["version_rendition_failed"] = "version_rendition_failed"
    source: Literal["versioning"] = "versioning"
    data: VersionRenditionFailed


class AcknowledgementRecordedEvent(Envelope):
    """`acknowledgement_recorded`, published by notifications on `notifications.events`:
    the first confirmation of a person (a repeated one publishes nothing)."""
    type: Literal["acknowledgement_recorded"] = "acknowledgement_recorded"
    source: Literal["notifications"] = "notifications"
    data: AcknowledgementRecorded


class DocumentUpdatedEvent(Envelope):
    """`document_updated`, published by documents on `documents.events`: the register
    entry changed (PATCH /api/documents/{id})."""
    type: Literal["document_updated"] = "document_updated"
    source: Literal["documents"] = "documents"
    data: DocumentUpdated


class VersionArchivedEvent(Envelope):
    """`version_archived`, published by documents on `documents.events`: a withdrawn or
    superseded revision went to the archive (its retention period starts)."""
    type: Literal["version_archived"] = "version_archived"
    source: Literal["documents"] = "documents"
    data: RevisionTransitioned


class DocumentDisposedEvent(Envelope):
    """`document_disposed`, published by documents on `documents.events`: after the
    retention period, the content of every version was deleted (status `disposed`)."""
    type: Literal["document_disposed"] = "document_disposed"
    source: Literal["documents"] = "documents"
    data: DocumentDisposed


ALL_EVENTS: dict[str, type[Envelope]] = {
    m.model_fields["type"].default: m for m in (
        DocumentRegisteredEvent, VersionSubmittedEvent, VersionVerifiedEvent,
        VersionEndorsedEvent, VersionApprovedEvent, VersionStepCompletedEvent,
        VersionInForceEvent,
        VersionSupersededEvent, VersionRejectedEvent, DocumentWithdrawnEvent, ReviewDueEvent,
        NotificationCreatedEvent, VersionStoredEvent,
        VersionTextExtractedEvent, VersionExtractionFailedEvent,
        VersionRenderedEvent, VersionRenditionFailedEvent,
        AcknowledgementRecordedEvent,
        DocumentUpdatedEvent, VersionArchivedEvent, DocumentDisposedEvent)
}


def parse(payload: dict) -> Envelope:
    """Turn a received payload into its typed envelope (raises pydantic.ValidationError)."""
    return ALL_EVENTS[payload["type"]].model_validate(payload)


def json_schemas() -> dict[str, dict]:
    """The JSON Schema of every event, keyed by event type."""
    return {name: model.model_json_schema() for name, model in sorted(ALL_EVENTS.items())}
