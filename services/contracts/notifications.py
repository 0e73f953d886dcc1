"""RPC payloads of the notifications service: acknowledgements, their reports and
each person's e-mail preference."""
from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from uuid import UUID

from pydantic import Field

from services.contracts.models import Model


class EmailDelivery(str, Enum):
    OFF = "off"
    IMMEDIATE = "immediate"
    DAILY_DIGEST = "daily_digest"


class Preferences(Model):
    """What `GET/PUT /api/me/preferences` show and take."""
    email_delivery: EmailDelivery = EmailDelivery.OFF
    # None: <username>@<the configured domain>
    email_address: str | None = Field(
        default=None, max_length=254, pattern=r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


class Acknowledgement(Model):
    """One person on the distribution list of a revision in force."""
    version_id: UUID
    document_id: UUID
    code: str
    title: str
    edition: int
    revision: int
    due_date: date
    username: str
    full_name: str
    department: str
    function: str
    notified_at: datetime | None
    acknowledged_at: datetime | None
    overdue: bool


class ReportPerson(Model):
    username: str
    full_name: str
    department: str
    function: str
    notified_at: datetime | None
    acknowledged_at: datetime | None
    overdue: bool


class AcknowledgementReport(Model):
    """`notifications.acknowledgement_report(version_id)`: the electronic "Lista de
    difuzare" of one revision (the forms engineer's form reads exactly this)."""
    version_id: UUID
    due_date: date | None
    confirmed: int
    pending: int
    people: list[ReportPerson]
