"""Single sign-on with OpenID Connect (`auth.oidc`): which issuer, Procedura's client at
it, and which claims name a person, their department and their roles.

An empty `issuer` turns single sign-on off (the login page offers no button and the API
takes Procedura's own tokens only). The client secret has no default: the local stack
generates it with the realm (scripts/stack.sh, PROCEDURA_OIDC_CLIENT_SECRET)."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class OidcClaims(BaseModel):
    """Where each fact about a person is in the issuer's tokens (a dotted path reaches
    into an object, e.g. `realm_access.roles`)."""
    model_config = ConfigDict(extra="forbid", frozen=True)

    username: str = "preferred_username"
    full_name: str = "name"
    department: str = "department"
    function: str = "title"
    roles: str = "groups"
    # a group or role named <prefix><role> gives that Procedura role (procedura-author);
    # the others (the issuer's own, another application's) are ignored
    role_prefix: str = "procedura-"


class OidcSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    issuer: str = ""                  # e.g. http://127.0.0.1:8180/realms/procedura
    client_id: str = "procedura"
    client_secret: str | None = None  # a secret: no default (PROCEDURA_OIDC_CLIENT_SECRET)
    scopes: str = "openid profile email"
    # the address staff open Procedura at: the issuer sends the browser back to
    # <base_url>/login/sso/callback, and after its logout to <base_url>/login
    base_url: str = "http://127.0.0.1:8080"
    # the audience an access token must name to be taken by the API (empty: client_id)
    audience: str = ""
    claims: OidcClaims = OidcClaims()
    # seconds of clock difference with the issuer tolerated on exp/iat/nbf
    leeway_seconds: int = Field(default=30, ge=0, le=300)
    # the issuer's answers (discovery, keys, the code's exchange) wait at most this long
    timeout_seconds: float = Field(default=10.0, gt=0, le=60)

    @field_validator("issuer", "audience", "base_url", mode="before")
    @classmethod
    def _unset_is_empty(cls, value):
        # `${VAR:}` of the config file reads as None when the variable is unset
        return "" if value is None else value

    @field_validator("issuer", "base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        # the `iss` claim is compared exactly; Keycloak's has no trailing slash
        return value.strip().rstrip("/")

    @field_validator("client_secret")
    @classmethod
    def _empty_is_missing(cls, value):
        return value or None

    @property
    def enabled(self) -> bool:
        return bool(self.issuer)

    @property
    def accepted_audience(self) -> str:
        return self.audience or self.client_id
