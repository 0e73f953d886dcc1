"""What the rendition worker is built from, wired once per process: its settings (the
`renditions:` section of config/procedura.yaml), versioning's object storage (the worker
is versioning's second worker: its PDFs and page images live beside the originals) and
the engine room (slots, LibreOffice profiles, scratch folders), as nameko
DependencyProviders. The database and the outbox are versioning's, named in worker.py like
every service's."""
from __future__ import annotations

from nameko.extensions import DependencyProvider

from services.renditions.engines.engine import Engine
from services.renditions.settings import RenditionSettings
from services.versioning.bootstrap import ObjectStoreProvider

__all__ = ["EngineProvider", "ObjectStoreProvider", "rendition_slots"]


def rendition_slots(config: dict) -> int:
    """Renditions waiting for a slot hold no more of the service's workers than there are
    slots: the rest answer page images and renditions while a backlog is rendered."""
    return RenditionSettings.from_config(config).slots


class EngineProvider(DependencyProvider):
    """The engine room, prepared in setup() (what dead workers of this machine left is
    swept first) and cleaned when the worker stops; a rebuild runs in its managed
    threads."""

    def setup(self):
        self.engine = Engine(RenditionSettings.from_config(self.container.config),
                             spawn=self._spawn)
        self.engine.prepare()

    def _spawn(self, run):
        self.container.spawn_managed_thread(run, identifier="renditions.rebuild")

    def stop(self):
        self.engine.clean()

    kill = stop

    def get_dependency(self, worker_ctx):
        return self.engine
