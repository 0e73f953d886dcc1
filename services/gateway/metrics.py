"""Where /metrics is served. With `METRICS_ADDRESS` (PROCEDURA_METRICS_ADDRESS) set, on
that address only, a listener of its own: in Kubernetes a port that neither the Service
nor the Ingress publishes and that a NetworkPolicy opens to the monitoring namespace
alone (deploy/k8s/base/gateway.yaml), so staff never reach it. Without it (the local
stack, on 127.0.0.1), on the gateway's own address."""
from __future__ import annotations

from nameko.web.server import parse_address

from services.gateway.entrypoints import ExclusiveWebServer, HttpEntrypoint


def metrics_address(config: dict) -> str | None:
    return str(config.get("METRICS_ADDRESS") or "").strip() or None


class MetricsServer(ExclusiveWebServer):
    """The gateway's kind of server on METRICS_ADDRESS; it listens only when an entrypoint
    uses it."""

    @property
    def bind_addr(self):   # None when unset (nameko reads every property when it binds)
        address = metrics_address(self.container.config)
        return parse_address(address) if address else None

    def start(self):
        if self._providers:
            super().start()

    def stop(self):
        if self._gt is not None:
            super().stop()

    def kill(self):
        if self._gt is not None:
            super().kill()


class MetricsEntrypoint(HttpEntrypoint):
    metrics_server = MetricsServer()

    def setup(self):
        if metrics_address(self.container.config):
            self.server = self.metrics_server
        super().setup()


metrics_http = MetricsEntrypoint.decorator
