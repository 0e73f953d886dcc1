"""The notifications service's own settings: the `notifications` section of the
config file (config/procedura.yaml), with the holidays file read once."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AcknowledgementSettings(_Section):
    working_days: int = Field(default=5, ge=1, le=60)
    remind_days_before: int = Field(default=1, ge=0, le=30)
    holidays_file: str = "config/holidays-ro.yaml"


class EmailSettings(_Section):
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_timeout_seconds: float = Field(default=10, gt=0)
    sender: str = "Procedura <procedura@primarie.local>"
    default_domain: str = "primarie.local"
    retry_base_seconds: float = Field(default=60, gt=0)
    retry_max_seconds: float = Field(default=3600, gt=0)
    max_attempts: int = Field(default=6, ge=1)
    # per-tick work of the delivery worker
    batch: int = Field(default=50, ge=1)


class NotificationSettings(_Section):
    base_url: str = "http://127.0.0.1:8080"
    # where an e-mail's link leads; {base_url}, {document_id}, {version_id}
    document_link: str = "{base_url}/documents/{document_id}"
    acknowledgement: AcknowledgementSettings = AcknowledgementSettings()
    email: EmailSettings = EmailSettings()
    timezone: str = "Europe/Bucharest"
    holidays: frozenset[date] = frozenset()

    @classmethod
    def from_config(cls, config: dict) -> "NotificationSettings":
        section = dict(config.get("notifications") or {})
        section.setdefault("timezone", config.get("procedura", {}).get(
            "timezone", "Europe/Bucharest"))
        settings = cls.model_validate(section)
        return settings.model_copy(update={"holidays": load_holidays(
            settings.acknowledgement.holidays_file)})


def load_holidays(path: str | Path) -> frozenset[date]:
    """The dates of a holidays file (`holidays: [{date: 2026-12-25, name: ...}]`)."""
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    days = set()
    for entry in data.get("holidays") or []:
        value = entry["date"] if isinstance(entry, dict) else entry
        days.add(value if isinstance(value, date) else date.fromisoformat(str(value)))
    return frozenset(days)
