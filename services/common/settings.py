"""One typed settings object, read once from the nameko config file.

The file (config/procedura.yaml) takes environment overrides with nameko's
`${VAR:default}` syntax; code never reads os.environ for settings.
"""
from __future__ import annotations

from pathlib import Path

import yaml
from nameko.extensions import DependencyProvider
from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MinioSettings(_Section):
    endpoint: str
    access_key: str
    secret_key: str
    bucket: str
    secure: bool = False


class ExtractionSettings(_Section):
    timeout_seconds: float = 120
    max_characters: int = 2_000_000
    detect_bytes: int = 65_536
    # extractions one worker process runs at once (each holds a Tika request open)
    concurrency: int = Field(default=4, ge=1)
    # deliveries during which Tika died or dropped the connection before a file is failed
    max_attempts: int = Field(default=3, ge=1)


class DeliverySettings(_Section):
    """How often a failing event handler is tried before its message is dead-lettered
    (services/common/delivery.py), and the first pause between tries (doubled each time)."""
    max_attempts: int = Field(default=5, ge=1)
    retry_delay_seconds: float = Field(default=1.0, ge=0)


class AuthSettings(_Section):
    """Logging in: how many failed attempts wait (per user name, and per client address,
    higher so one office behind one address is not locked out), and which proxies'
    X-Forwarded-For / X-Forwarded-Proto are believed (none unless named)."""
    failures_per_user: int = Field(default=5, ge=1)
    failures_per_address: int = Field(default=50, ge=1)
    failure_window_seconds: int = Field(default=900, ge=1)
    trusted_proxies: tuple[str, ...] = ()
    # how long a gateway process remembers the person of a session on its busiest routes
    # (search): a revoked session still works there for at most this long
    session_cache_seconds: float = Field(default=5.0, ge=0, le=60)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value):
        # an environment override is one string: "10.0.0.0/8, 127.0.0.1"
        if value is None:
            return ()
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value


class Settings(_Section):
    database_url: str
    minio: MinioSettings
    elasticsearch_url: str
    search_index: str = "procedura-versions"
    search_shards: int = Field(default=1, ge=1)      # of each new index
    search_replicas: int = Field(default=0, ge=0)
    tika_url: str
    upload_limit_bytes: int = Field(default=100 * 1024 * 1024, gt=0)
    # uploads one gateway process streams at once; more get 503 (details.retry_after_seconds)
    upload_concurrency: int = Field(default=16, ge=1)
    auth_secret: str = Field(min_length=16)
    token_ttl_seconds: int = 12 * 3600
    auth: AuthSettings = AuthSettings()
    extraction: ExtractionSettings = ExtractionSettings()
    outbox_poll_seconds: float = 0.5
    delivery: DeliverySettings = DeliverySettings()
    rpc_timeout_seconds: float = Field(default=60, gt=0)
    signing_chains_file: str = "config/signing-chains.yaml"
    document_types_file: str = "config/document-types.yaml"
    timezone: str = "Europe/Bucharest"
    health_dir: str = "/tmp"   # where each process leaves its health beacon

    @classmethod
    def from_config(cls, config: dict) -> "Settings":
        return cls.model_validate(config["procedura"])


def load_config(path: str | Path) -> dict:
    """Read a nameko config file the way `nameko run --config` does (env overrides included)."""
    from nameko.cli.main import setup_yaml_parser

    setup_yaml_parser()
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


class SettingsProvider(DependencyProvider):
    """Hands workers the service's Settings, parsed once in setup()."""

    def setup(self):
        self.settings = Settings.from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.settings
