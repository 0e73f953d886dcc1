"""Answers and query strings of the REST API that have no RPC contract of their own:
the shapes the gateway builds around the services' payloads (the wire format is the
gateway's; these models describe it for /api/openapi.json and check it in tests)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from services.contracts.models import DEPARTMENT_CODE, Model, Paragraphs
from services.contracts.notifications import Acknowledgement
from services.contracts.qms import Risk, RiskAssessment


class AcknowledgementRecorded(Acknowledgement):
    """`POST /api/versions/{id}/acknowledge`: the person's record; `recorded` is false
    when it had been confirmed before (the first confirmation is kept)."""
    recorded: bool


class DepartmentAcknowledgements(Model):
    """`GET /api/acknowledgements`: every record of a department's people (of all
    departments when `department` is null)."""
    department: str | None
    confirmed: int
    pending: int
    items: list[Acknowledgement]


class EmailDeliveryEntry(Model):
    """One message of the e-mail delivery log."""
    id: int
    dedupe_key: str
    username: str
    address: str
    kind: str
    subject: str
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime
    created_at: datetime
    sent_at: datetime | None
    feed_item_ids: list[int]


class DisposalDate(Model):
    """`GET /api/documents/{id}/disposal`: the first day the content may be disposed of."""
    disposal_possible_from: date


class Disposal(Model):
    """`POST /api/documents/{id}/dispose`: the quality office's decision."""
    reason: Paragraphs = Field(default="", max_length=4000)


class RiskWithAssessments(Risk):
    """`GET /api/risks/{id}`: a risk and the history of its assessments."""
    assessments: list[RiskAssessment]


class AcknowledgementsQuery(Model):
    department: str | None = Field(default=None, pattern=DEPARTMENT_CODE)
    format: Literal["json", "csv"] = "json"


class ReportQuery(Model):
    format: Literal["json", "csv"] = "json"


class FormQuery(Model):
    format: Literal["docx", "pdf"] = "pdf"


class RegisterQuery(Model):
    format: Literal["docx", "pdf", "csv"] = "pdf"


class RiskQuery(Model):
    department: str | None = None
    process: str | None = None


class DeliveryQuery(Model):
    username: str | None = None
    limit: int = Field(default=200, ge=1, le=1000)
