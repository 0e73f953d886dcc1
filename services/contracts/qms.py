"""Processes and the risk register (OSGG 600 Standard 8, ISO 9001 4.4 and 6.1): RPC
payloads and resources. Scores are 1..5; exposure = probability × impact."""
from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Annotated
from uuid import UUID

from pydantic import Field

from services.contracts.models import DEPARTMENT_CODE, Line, Model, Paragraphs

Score = Annotated[int, Field(ge=1, le=5)]
USERNAME = r"^[a-z0-9._-]{2,64}$"


class RiskStatus(str, Enum):
    OPEN = "open"              # deschis: measures being put in place
    MONITORED = "monitored"    # monitorizat: measures in place, watched
    CLOSED = "closed"          # închis


class Strategy(str, Enum):
    ACCEPT = "accept"          # acceptare (tolerare)
    TREAT = "treat"            # tratare
    TRANSFER = "transfer"      # transferare
    AVOID = "avoid"            # evitare (terminare)


class NewProcess(Model):
    """`POST /api/processes`: a process of the process list and its owner."""
    code: str = Field(pattern=r"^[A-Z][A-Z0-9.-]{1,31}$")
    name: Line = Field(min_length=3, max_length=300)
    department: str = Field(pattern=DEPARTMENT_CODE)
    owner: str | None = Field(default=None, pattern=USERNAME)
    description: Paragraphs = Field(default="", max_length=4000)


class ProcessChange(Model):
    """`PUT /api/processes/{code}`: the fields to change."""
    name: Line | None = Field(default=None, min_length=3, max_length=300)
    department: str | None = Field(default=None, pattern=DEPARTMENT_CODE)
    owner: str | None = Field(default=None, pattern=USERNAME)
    description: Paragraphs | None = Field(default=None, max_length=4000)


class DocumentRef(Model):
    id: UUID
    code: str
    title: str


class Process(Model):
    code: str
    name: str
    department: str
    owner: str | None = None
    owner_name: str | None = None
    description: str = ""
    # documents whose `process` names this process (by code or by name)
    procedures: list[DocumentRef] = Field(default_factory=list)
    updated_at: datetime


class ControlMeasure(Model):
    """A control measure; `procedure` is the code of the document that implements it."""
    measure: Paragraphs = Field(min_length=3, max_length=2000)
    procedure: str | None = Field(default=None, max_length=64)


class Control(Model):
    measure: str
    procedure: DocumentRef | None = None


class Assessment(Model):
    """`POST /api/risks/{id}/assessments`: the risk scored again."""
    inherent_probability: Score
    inherent_impact: Score
    residual_probability: Score
    residual_impact: Score
    assessed_on: date | None = None          # default: today
    status: RiskStatus | None = None         # default: unchanged
    comment: Paragraphs = Field(default="", max_length=4000)


class NewRisk(Model):
    """`POST /api/risks`: an entry of the risk register with its first assessment."""
    code: str = Field(pattern=r"^[A-Z][A-Z0-9.-]{1,31}$")
    department: str = Field(pattern=DEPARTMENT_CODE)
    process: Line | None = Field(default=None, max_length=32)
    owner: str | None = Field(default=None, pattern=USERNAME)
    objective: Paragraphs = Field(default="", max_length=2000)
    description: Paragraphs = Field(min_length=3, max_length=4000)
    cause: Paragraphs = Field(default="", max_length=4000)
    consequence: Paragraphs = Field(default="", max_length=4000)
    strategy: Strategy = Strategy.TREAT
    controls: list[ControlMeasure] = Field(default_factory=list, max_length=50)
    status: RiskStatus = RiskStatus.OPEN
    deadline: date | None = None
    observations: Paragraphs = Field(default="", max_length=4000)
    inherent_probability: Score
    inherent_impact: Score
    residual_probability: Score
    residual_impact: Score


class RiskChange(Model):
    """`PUT /api/risks/{id}`: descriptive fields; scores change only by an assessment,
    so that every change of exposure is kept in the history."""
    department: str | None = Field(default=None, pattern=DEPARTMENT_CODE)
    process: Line | None = Field(default=None, max_length=32)
    owner: str | None = Field(default=None, pattern=USERNAME)
    objective: Paragraphs | None = Field(default=None, max_length=2000)
    description: Paragraphs | None = Field(default=None, min_length=3, max_length=4000)
    cause: Paragraphs | None = Field(default=None, max_length=4000)
    consequence: Paragraphs | None = Field(default=None, max_length=4000)
    strategy: Strategy | None = None
    controls: list[ControlMeasure] | None = Field(default=None, max_length=50)
    status: RiskStatus | None = None
    deadline: date | None = None
    observations: Paragraphs | None = Field(default=None, max_length=4000)


class Exposure(Model):
    probability: int
    impact: int
    exposure: int
    level: str


class RiskAssessment(Model):
    id: int
    risk_id: UUID
    assessed_on: date
    assessor: str
    inherent: Exposure
    residual: Exposure
    status: RiskStatus
    comment: str
    created_at: datetime
    # procedures told to review themselves because of this assessment
    reviews_requested: list[str] = Field(default_factory=list)


class Risk(Model):
    id: UUID
    code: str
    department: str
    process: str | None = None
    owner: str | None = None
    objective: str
    description: str
    cause: str
    consequence: str
    strategy: Strategy
    controls: list[Control]
    status: RiskStatus
    deadline: date | None = None
    observations: str
    inherent: Exposure
    residual: Exposure
    last_assessed_on: date
    updated_at: datetime
