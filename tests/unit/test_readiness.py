"""The start the versioning service and its two workers share (services/common/readiness.py):
each process over the versioning database and object store keeps its health beacon, its
settings and a readiness RPC that only the gateway may call."""
import inspect

from nameko.extensions import DependencyProvider

from services.common.callers import GATEWAY
from services.common.health import HealthBeacon
from services.common.readiness import StoredService
from services.common.settings import SettingsProvider
from services.renditions.worker import RenditionWorker
from services.versioning.service import VersioningService
from services.versioning.worker import ExtractionWorker


class _Answers:
    def __init__(self, answer: str):
        self.answer = answer

    def ping(self) -> str:
        return self.answer

    check = ping


def _with_stores(cls: type, **more) -> object:
    service = cls.__new__(cls)
    service.db, service.store = _Answers("db ok"), _Answers("minio ok")
    for name, value in more.items():
        setattr(service, name, value)
    return service


def _dependencies(cls: type) -> dict:
    return {name: type(dep) for name, dep in
            inspect.getmembers(cls, lambda v: isinstance(v, DependencyProvider))}


def test_each_versioning_process_keeps_its_beacon_settings_and_stores():
    for cls in (VersioningService, ExtractionWorker, RenditionWorker):
        found = _dependencies(cls)
        assert found["health_beacon"] is HealthBeacon, cls
        assert found["settings"] is SettingsProvider, cls
        assert {"db", "outbox", "store"} <= set(found), cls


def test_readiness_names_the_service_and_reports_its_stores():
    assert _with_stores(RenditionWorker).health() == {
        "service": "renditions", "database": "db ok", "storage": "minio ok"}
    assert _with_stores(VersioningService).health() == {
        "service": "versioning", "database": "db ok", "storage": "minio ok"}


def test_extraction_readiness_adds_tika():
    worker = _with_stores(ExtractionWorker, tika=_Answers("tika ok"))
    assert worker.health() == {"service": "extraction", "database": "db ok",
                               "storage": "minio ok", "tika": "tika ok"}


def test_only_the_gateway_asks_for_readiness():
    for cls in (StoredService, ExtractionWorker):
        (entrypoint,) = cls.health.nameko_entrypoints
        assert set(entrypoint.callers) == set(GATEWAY), cls
