"""The gateway: Procedura's REST API and staff web interface. It owns nothing but tokens
and reaches every service by RPC; uploads stream into the staging bucket before
versioning takes them.

Its routes are functions of the modules in services/gateway/routes/, mounted here as the
methods of GatewayService under the names they have always had (services/gateway/
routing.py); the class itself declares only what every route may use."""
from __future__ import annotations

from nameko.events import BROADCAST
from nameko.extensions import DependencyProvider

from services.common.settings import Settings
from services.contracts import events
from services.gateway import local_time
from services.gateway.auth import Tokens
from services.gateway.client import TrustedProxies
from services.gateway.entrypoints import MetricsProvider
from services.gateway.live import LiveFeed, live_feed_events
from services.gateway.oidc import Issuer
from services.gateway.routes import (
    api_acknowledgements, api_auth, api_documents, api_feed, api_meta, api_processes,
    api_register, api_renditions, api_search, api_versions, api_workflows, web_directory,
    web_login, web_pages, web_sso, web_viewer, web_workflows)
from services.gateway.routing import mount
from services.gateway.rpc import TRANSIENT, TimedRpcProxy
from services.gateway.ui.session import WebConfig


class GatewayConfig(DependencyProvider):
    """Settings, the token signer and the staging bucket client, made once."""

    def setup(self):
        from minio import Minio

        self.settings = Settings.from_config(self.container.config)
        local_time.use(self.settings.timezone)
        oidc = self.settings.auth.oidc
        # single sign-on when an issuer is set (services/gateway/oidc.py); its client
        # secret is then required (a process refuses to start without it)
        self.issuer = (Issuer(oidc, self.settings.secret("auth.oidc.client_secret"))
                       if oidc.enabled else None)
        self.tokens = Tokens(self.settings.secret("auth_secret"),
                             self.settings.token_ttl_seconds, self.issuer)
        self.proxies = TrustedProxies(self.settings.auth.trusted_proxies)
        m = self.settings.minio
        self.minio = Minio(m.endpoint, access_key=self.settings.secret("minio.access_key"),
                           secret_key=self.settings.secret("minio.secret_key"), secure=m.secure)
        self.bucket = m.bucket   # uploads go straight to their version's key (uploads.py)

    def get_dependency(self, worker_ctx):
        return self


class GatewayService:
    name = "gateway"

    config = GatewayConfig()
    request_metrics = MetricsProvider()
    live = LiveFeed()
    documents = TimedRpcProxy("documents")
    versioning = TimedRpcProxy("versioning")
    # a search is a read: its request need not reach RabbitMQ's disk (docs/benchmarks.md,
    # "Search and indexing close to Elasticsearch"); a request lost with the broker is a
    # 503 at the deadline the person asks again (no request of the gateway is confirmed:
    # services/gateway/rpc.py)
    search = TimedRpcProxy("search", delivery_mode=TRANSIENT)
    notifications = TimedRpcProxy("notifications")
    renditions = TimedRpcProxy("renditions")
    web = WebConfig()

    @live_feed_events("notifications", "notification_created", handler_type=BROADCAST,
                      reliable_delivery=False)
    def on_notification_created(self, payload: dict) -> None:
        """Hand a new feed item to its person's open streams on this process."""
        event = events.parse(payload)
        self.live.publish(event.data.model_dump(mode="json"))


mount(GatewayService, api_auth.router, api_documents.router, api_versions.router,
      api_renditions.router, api_search.router, api_feed.router, api_register.router,
      api_acknowledgements.router, api_processes.router, api_meta.router,
      api_workflows.router, web_login.router, web_pages.router, web_viewer.router, web_sso.router,
      web_directory.router, web_workflows.router)
