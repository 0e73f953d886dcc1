"""RPC payloads of the notifications service: acknowledgements, their reports and
each person's e-mail preference."""
from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from uuid import UUID

import re

from pydantic import Field, field_validator

from services.contracts.models import Model


class EmailDelivery(str, Enum):
    OFF = "off"
    IMMEDIATE = "immediate"
    DAILY_DIGEST = "daily_digest"


class Preferences(Model):
    """What `GET/PUT /api/me/preferences` show and take."""
    email_delivery: EmailDelivery = EmailDelivery.OFF
    # None: <username>@<the configured domain>
    email_address: str | None = Field(default=None, max_length=254)

    @field_validator("email_address")
    @classmethod
    def _one_plain_address(cls, value: str | None) -> str | None:
        # one address, nothing that could add a header or a second recipient
        if value is not None and not re.fullmatch(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+",
                                                  value):
            raise ValueError(f"{value!r} is not an e-mail address (name@domain)")
        return value


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
