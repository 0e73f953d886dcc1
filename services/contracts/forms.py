"""What the generated forms are made of: the acknowledgement report of a revision
(notifications) and the rows of the register of procedures (documents)."""
from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from services.contracts.models import DocumentType, RevisionStatus


class _Read(BaseModel):
    # read side of another service's answer: fields it adds later do not break us
    model_config = ConfigDict(extra="ignore", frozen=True)


class AcknowledgingPerson(_Read):
    username: str
    full_name: str
    department: str
    function: str = ""
    notified_at: datetime | None = None
    acknowledged_at: datetime | None = None
    overdue: bool = False


class AcknowledgementReport(_Read):
    """`notifications.acknowledgement_report(version_id)`: who was told of a revision and
    who confirmed reading it ("am luat la cunoștință")."""
    version_id: UUID
    due_date: date | None = None
    confirmed: int
    pending: int
    people: list[AcknowledgingPerson]


class RegisterEntry(_Read):
    """One line of the register of procedures kept by the quality office."""
    document_id: UUID
    code: str
    title: str
    type: DocumentType
    owner_department: str
    process: str | None = None
    confidential: bool = False
    status: RevisionStatus | None = None          # of the revision in force, if any
    edition: int | None = None
    revision: int | None = None
    registry_number: str | None = None
    registry_date: date | None = None
    effective_date: date | None = None
    next_review_date: date | None = None


class FormKind(str, Enum):
    RESPONSABILI = "responsabili"
    DIFUZARE = "difuzare"
