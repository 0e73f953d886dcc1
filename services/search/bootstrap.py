"""What the search service is built from: its Elasticsearch index, wired from the
settings (nameko DependencyProviders)."""
from __future__ import annotations

from nameko.extensions import DependencyProvider

from services.common.settings import Settings
from services.search.adapters.index import VersionIndex
from services.search.batching import BatchedIndex, BatchWriter


class IndexProvider(DependencyProvider):
    """The index, its writes gathered into bulk requests (services/search/batching.py).
    The writer's greenthread is a managed thread of the container: nameko kills those
    only after every worker has finished, so a stopping service still writes the
    batches its last handlers wait for."""

    def setup(self):
        settings = Settings.from_config(self.container.config)
        self.index = VersionIndex(settings.elasticsearch_url, settings.search_index,
                                  settings.search_shards, settings.search_replicas)
        self.writer = BatchWriter(self.index.write_many)
        self.batched = BatchedIndex(self.index, self.writer)

    def start(self):
        self.index.ensure()
        self.container.spawn_managed_thread(self.writer.run,
                                            identifier="IndexProvider.batch_writer")

    def get_dependency(self, worker_ctx):
        return self.batched
