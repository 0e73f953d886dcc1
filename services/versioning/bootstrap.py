"""What the versioning service and the extraction worker are built from: object
storage and Tika, wired from the settings (nameko DependencyProviders)."""
from __future__ import annotations

from nameko.extensions import DependencyProvider

from services.common.settings import Settings
from services.versioning.adapters.storage import ObjectStore
from services.versioning.adapters.tika import Tika


class ObjectStoreProvider(DependencyProvider):
    def setup(self):
        settings = Settings.from_config(self.container.config)
        settings.secret("minio.access_key"), settings.secret("minio.secret_key")
        self.store = ObjectStore(settings.minio)

    def start(self):
        self.store.ensure_buckets()

    def get_dependency(self, worker_ctx):
        return self.store


class TikaProvider(DependencyProvider):
    def setup(self):
        settings = Settings.from_config(self.container.config)
        self.tika = Tika(settings.tika_url, settings.extraction.timeout_seconds,
                         settings.extraction.max_characters, settings.extraction.concurrency)

    def get_dependency(self, worker_ctx):
        return self.tika
