"""One typed settings object, read once from the nameko config file.

The file (config/procedura.yaml) takes environment overrides with nameko's
`${VAR:default}` syntax; code never reads os.environ for settings.

Secrets have no default anywhere: a secret that is present but equal to a value
written in the repository (an old default, a placeholder of deploy/, a demo password)
is refused wherever settings are read, and one that is missing is refused by the
component that needs it (`Settings.secret`), so a process stops at start-up naming
the setting instead of running with a credential anyone can read.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

import yaml
from nameko.extensions import DependencyProvider
from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.common.directory_settings import DirectorySettings
from services.common.oidc_settings import OidcSettings
from services.common.setting_values import comma_separated

# secret -> the environment variable that sets it (what an operator must fix)
SECRET_SETTINGS = {
    "amqp_uri": "PROCEDURA_AMQP_URI",
    "database_url": "PROCEDURA_DATABASE_URL",
    "minio.access_key": "PROCEDURA_MINIO_ACCESS_KEY",
    "minio.secret_key": "PROCEDURA_MINIO_SECRET_KEY",
    "auth_secret": "PROCEDURA_AUTH_SECRET",
    "auth.ldap.bind_password": "PROCEDURA_LDAP_BIND_PASSWORD",
    "auth.oidc.client_secret": "PROCEDURA_OIDC_CLIENT_SECRET",
}
# values found in the repository, now or in its history: defaults of earlier versions,
# the engines' own defaults and the demo's passwords (demo/organisation.yaml)
KNOWN_VALUES = frozenset({
    "guest", "procedura", "procedura-dev-secret", "dev-only-secret-not-for-production",
    "minioadmin", "postgres", "admin", "password", "secret", "changeme",
})
# placeholders (deploy/k8s) and demo passwords are recognised by their shape
KNOWN_MARKERS = ("change-me", "changeme", "placeholder", "not-a-secret")
KNOWN_PREFIXES = ("demo-",)


class InsecureSetting(Exception):
    """A secret is missing, or is a value anyone can read in the repository."""

    def __init__(self, setting: str, problem: str):
        variable = SECRET_SETTINGS.get(setting, setting)
        super().__init__(f"{variable} ({setting}) {problem}; set it in the environment "
                         f"(locally scripts/stack.sh generates it into .stack/secrets.env)")
        self.setting, self.variable = setting, variable


def known_value(value: str) -> bool:
    """Is `value` one anyone can read in the repository?"""
    folded = value.strip().lower()
    return (folded in KNOWN_VALUES or folded.startswith(KNOWN_PREFIXES)
            or any(marker in folded for marker in KNOWN_MARKERS))


def _credentials_of(url: str) -> tuple[str | None, str | None]:
    parsed = urlparse(url)
    return parsed.username, parsed.password


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MinioSettings(_Section):
    endpoint: str
    access_key: str | None = None     # secrets: missing until the environment sets them
    secret_key: str | None = None
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
    (services/common/messaging/), and the first pause between tries (doubled each time)."""
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
    # who people are (docs/identity.md): `ldap`, the city hall's directory, or `local`, the
    # users and passwords of the organisation file
    backend: Literal["local", "ldap"] = "local"
    ldap: DirectorySettings = DirectorySettings()
    # break glass: this local account logs in (audited) whatever the backend; none by default
    break_glass_user: str | None = None

    @field_validator("break_glass_user", mode="before")
    @classmethod
    def _no_break_glass(cls, value):
        return None if value == "" else value
    # single sign-on with OpenID Connect (services/common/oidc_settings.py)
    oidc: OidcSettings = OidcSettings()

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value):
        return comma_separated(value)   # "10.0.0.0/8, 127.0.0.1"


class Settings(_Section):
    amqp_uri: str | None = None        # the nameko config's AMQP_URI (a secret: its password)
    database_url: str | None = None
    minio: MinioSettings
    elasticsearch_url: str
    search_index: str = "procedura-versions"
    search_shards: int = Field(default=1, ge=1)      # of each new index
    search_replicas: int = Field(default=0, ge=0)
    tika_url: str
    upload_limit_bytes: int = Field(default=100 * 1024 * 1024, gt=0)
    # uploads one gateway process streams at once; more get 503 (details.retry_after_seconds)
    upload_concurrency: int = Field(default=16, ge=1)
    auth_secret: str | None = None
    token_ttl_seconds: int = 12 * 3600
    auth: AuthSettings = AuthSettings()
    extraction: ExtractionSettings = ExtractionSettings()
    outbox_poll_seconds: float = 0.5
    delivery: DeliverySettings = DeliverySettings()
    rpc_timeout_seconds: float = Field(default=60, gt=0)
    workflows_file: str = "config/workflows.yaml"   # the workflows Procedura ships
    document_types_file: str = "config/document-types.yaml"
    timezone: str = "Europe/Bucharest"
    health_dir: str = "/tmp"   # where each process leaves its health beacon

    @classmethod
    def from_config(cls, config: dict) -> "Settings":
        """The settings of a nameko config; InsecureSetting when a secret in it is one
        of the repository's values."""
        values = {k: v for k, v in config["procedura"].items()}
        for key in ("database_url", "auth_secret"):
            if values.get(key) == "":
                values[key] = None
        minio = dict(values.get("minio") or {})
        for key in ("access_key", "secret_key"):
            if minio.get(key) == "":
                minio[key] = None
        values["minio"] = minio
        settings = cls.model_validate({**values, "amqp_uri": config.get("AMQP_URI") or None})
        for name in SECRET_SETTINGS:
            settings._check(name, present_only=True)
        return settings

    def secret(self, name: str) -> str:
        """The secret `name` (a key of SECRET_SETTINGS), which this component needs:
        InsecureSetting, naming its variable, when it is missing or known."""
        self._check(name, present_only=False)
        return self._value(name)

    def _value(self, name: str):
        value = self
        for part in name.split("."):   # a nested section: auth.oidc.client_secret
            value = getattr(value, part)
        return value

    def _check(self, name: str, present_only: bool) -> None:
        value = self._value(name)
        if value is None or str(value).strip() == "":
            if not present_only:
                raise InsecureSetting(name, "is missing")
            return
        value = str(value)
        if name in ("amqp_uri", "database_url"):
            user, password = _credentials_of(value)
            if user and user.lower() == "guest":
                raise InsecureSetting(name, "names RabbitMQ's guest user, which is not used")
            if not password:
                if present_only:
                    return
                raise InsecureSetting(name, "has no password")
            value = password
        if known_value(value):
            raise InsecureSetting(name, "is a value written in the repository "
                                        "(a default, a placeholder or a demo password)")
        if name == "auth_secret" and len(value) < 32:
            raise InsecureSetting(name, "is shorter than 32 characters")


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
