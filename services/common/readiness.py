"""What a service over a database and an object store starts with: its health beacon, its
settings and the readiness RPC that the beacon and the gateway's /healthz ask. The
versioning service and its two workers (extraction, renditions) share this start; each
declares its own `db` and `store` (and what else it holds) and adds to `health` what more
it needs to be ready."""
from __future__ import annotations

from services.common.callers import GATEWAY
from services.common.health import HealthBeacon
from services.common.identity import rpc
from services.common.settings import SettingsProvider


class StoredService:
    """A nameko service's base: the subclass names it and gives it `db` and `store`."""
    name: str

    health_beacon = HealthBeacon()
    settings = SettingsProvider()

    @rpc(callers=GATEWAY)
    def health(self) -> dict:
        """Readiness: broker, database and object storage."""
        return {"service": self.name, "database": self.db.ping(), "storage": self.store.check()}
