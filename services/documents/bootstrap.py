"""The documents service's providers beyond the shared ones: they wire the settings and
the adapters (the YAML of the default workflows and document types, the clock, the
directory)."""
from __future__ import annotations

import yaml
from nameko.extensions import DependencyProvider

from services.common.settings import Settings
from services.documents.domain import DocumentTypes, SigningChains
from services.common.clock import CityHallClock
from services.documents.adapters.directory import Directory
from services.documents.domain.register import Retention


class DocumentControlConfig(DependencyProvider):
    """The workflows Procedura ships and the document types (read once from their YAML
    files) and the calendar."""

    def setup(self):
        settings = Settings.from_config(self.container.config)
        self.chains = SigningChains.load(settings.workflows_file)
        with open(settings.document_types_file, encoding="utf-8") as fh:
            types = yaml.safe_load(fh)
        self.types = DocumentTypes(types)
        self.retention = Retention(types.get("retention"))
        self.calendar = CityHallClock(settings.timezone)

    def get_dependency(self, worker_ctx):
        return self


class LoginLimits(DependencyProvider):
    """How many failed logins make a user name or an address wait (settings `auth`)."""

    def setup(self):
        self.limits = Settings.from_config(self.container.config).auth

    def get_dependency(self, worker_ctx):
        return self.limits


class DirectoryProvider(DependencyProvider):
    """The directory, built once in setup() when `auth.backend` is ldap (a process refuses
    to start without the search account's password, naming it), its pooled connections
    closed in stop(); None with the local backend."""

    def setup(self):
        settings = Settings.from_config(self.container.config)
        self.backend = settings.auth.backend
        self.directory = None
        if self.backend == "ldap":
            settings.secret("auth.ldap.bind_password")
            self.directory = Directory(settings.auth.ldap)

    def stop(self):
        if self.directory is not None:
            self.directory.close()

    def get_dependency(self, worker_ctx):
        return self.directory
