"""The directory as a dependency of the documents service: built once in setup() when
`auth.backend` is ldap (a process refuses to start without the search account's
password, naming it), its pooled connections closed in stop(); None with the local
backend."""
from __future__ import annotations

from nameko.extensions import DependencyProvider

from services.common.settings import Settings
from services.documents.adapters.directory import Directory


class DirectoryProvider(DependencyProvider):
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
