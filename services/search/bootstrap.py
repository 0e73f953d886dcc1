"""What the search service is built from: its Elasticsearch index, wired from the
settings (nameko DependencyProviders)."""
from __future__ import annotations

from nameko.extensions import DependencyProvider

from services.common.settings import Settings
from services.search.adapters.index import VersionIndex
from services.contracts.signing import load_steps


class IndexProvider(DependencyProvider):
    def setup(self):
        settings = Settings.from_config(self.container.config)
        self.index = VersionIndex(settings.elasticsearch_url, settings.search_index,
                                  settings.search_shards, settings.search_replicas,
                                  load_steps(settings.workflows_file))

    def start(self):
        self.index.ensure()

    def get_dependency(self, worker_ctx):
        return self.index
