"""Providers of the documents service beyond the shared ones."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import yaml
from nameko.extensions import DependencyProvider

from services.common.settings import Settings
from services.documents.domain import DocumentTypes, SigningChains
from services.documents.domain.register import Retention


class Calendar:
    """Today's date in the city hall's time zone (registry years, effective dates)."""

    def __init__(self, timezone: str):
        self.zone = ZoneInfo(timezone)

    def today(self) -> date:
        return datetime.now(self.zone).date()


class DocumentControlConfig(DependencyProvider):
    """The signing chains and document types (read once from their YAML files) and
    the calendar."""

    def setup(self):
        settings = Settings.from_config(self.container.config)
        with open(settings.signing_chains_file, encoding="utf-8") as fh:
            self.chains = SigningChains(yaml.safe_load(fh))
        with open(settings.document_types_file, encoding="utf-8") as fh:
            types = yaml.safe_load(fh)
        self.types = DocumentTypes(types)
        self.retention = Retention(types.get("retention"))
        self.calendar = Calendar(settings.timezone)

    def get_dependency(self, worker_ctx):
        return self


class LoginLimits(DependencyProvider):
    """How many failed logins make a user name or an address wait (settings `auth`)."""

    def setup(self):
        self.limits = Settings.from_config(self.container.config).auth

    def get_dependency(self, worker_ctx):
        return self.limits
