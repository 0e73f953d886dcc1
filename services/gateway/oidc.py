"""The city hall's OpenID Connect issuer, as the gateway sees it (issue 16, point 4).

Authlib builds the authorization request (PKCE S256) and exchanges the code; joserfc
(Authlib's JOSE library) checks every token's signature against the issuer's published
keys (JWKS). Nothing here does token cryptography by hand. A token is taken only when its
signature verifies with a key of the issuer, in an asymmetric algorithm (never `none` or
HMAC, which would let anyone holding the client secret forge one), its `iss` is the
issuer, its `aud` names Procedura, and it has not expired; an ID token must also carry
the nonce of the sign-in it answers."""
from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from typing import Callable
from urllib.parse import urlencode

import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError, ExpiredTokenError, InvalidClaimError, JoseError, MissingClaimError)
from joserfc.jwk import KeySet

from services.common.oidc_settings import OidcSettings
from services.contracts.errors import ServiceUnavailable, Unauthorized

log = logging.getLogger(__name__)
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
              "EdDSA")
DISCOVERY_SECONDS = 3600     # the issuer's endpoints are read again after this long
KEYS_REFETCH_SECONDS = 60    # an unknown key id fetches the keys again at most this often


@dataclass(frozen=True)
class Profile:
    """A person as the issuer describes them (claims mapped by `auth.oidc.claims`)."""
    username: str
    full_name: str
    department: str
    function: str
    roles: tuple[str, ...]

    def as_dict(self) -> dict:
        return {**asdict(self), "roles": list(self.roles)}


class Issuer:
    """One OpenID Connect issuer: its endpoints and keys, read when first needed and
    kept (keys fetched again when a token names a key id not among them: rotation)."""

    def __init__(self, settings: OidcSettings, client_secret: str,
                 clock: Callable[[], int] | None = None):
        self.settings = settings
        self._secret = client_secret
        self._clock = clock      # seconds since the epoch; None: the machine's clock
        self._discovery: tuple[float, dict] | None = None
        self._keys: tuple[float, KeySet] | None = None

    # --- the sign-in (Authorization Code with PKCE) --------------------------------------
    def authorization_url(self, redirect_uri: str, state: str, nonce: str, verifier: str,
                          locale: str) -> str:
        """The issuer's login page for this sign-in, in the language of Procedura's."""
        session = self._session(redirect_uri)
        url, _ = session.create_authorization_url(
            self._endpoint("authorization_endpoint"), state=state, nonce=nonce,
            code_verifier=verifier, ui_locales=locale)
        return url

    def exchange(self, code: str, redirect_uri: str, verifier: str) -> dict:
        """The issuer's tokens for an authorization code (its ID token not yet checked)."""
        try:
            return self._session(redirect_uri).fetch_token(
                self._endpoint("token_endpoint"), grant_type="authorization_code",
                code=code, code_verifier=verifier, timeout=self.settings.timeout_seconds)
        except requests.RequestException as exc:
            raise self._away(exc) from None
        except Exception as exc:   # the issuer refused the code (OAuthError): say why
            raise Unauthorized(f"the issuer refused the sign-in: {str(exc)[:200]}",
                               {"field": "code"}) from None

    def logout_url(self, id_token: str | None, after: str) -> str | None:
        """Where the browser goes to end its session at the issuer too (RP-initiated
        logout), then comes back to `after`; None when the issuer offers no such page."""
        endpoint = self._metadata().get("end_session_endpoint")
        if not endpoint:
            return None
        query = {"client_id": self.settings.client_id, "post_logout_redirect_uri": after}
        if id_token:
            query["id_token_hint"] = id_token
        return f"{endpoint}?{urlencode(query)}"

    # --- tokens --------------------------------------------------------------------------
    def id_token_claims(self, id_token: str, nonce: str) -> dict:
        """The claims of the ID token of a sign-in: Unauthorized naming what failed."""
        return self._verify(id_token, self.settings.client_id, nonce=nonce)

    def access_token_claims(self, token: str) -> dict:
        """The claims of an access token the API was given: Unauthorized naming what
        failed (its audience must name Procedura: `auth.oidc.audience`)."""
        return self._verify(token, self.settings.accepted_audience)

    def issued(self, token: str) -> bool:
        """Does this token say it comes from the issuer (unverified: only to choose how
        to check it, never to trust it)?"""
        try:
            payload = json.loads(jws.extract_compact(token.encode()).payload)
        except (JoseError, ValueError, UnicodeError):
            return False
        return isinstance(payload, dict) and payload.get("iss") == self.settings.issuer

    def profile(self, claims: dict) -> Profile:
        names = self.settings.claims
        groups = _claim(claims, names.roles) or ()
        if isinstance(groups, str):
            groups = groups.split()
        # a group may come as its full path (/procedura-author): its last part names it
        leaves = (str(g).rsplit("/", 1)[-1] for g in groups)
        roles = tuple(leaf[len(names.role_prefix):] for leaf in leaves
                      if leaf.startswith(names.role_prefix))
        return Profile(
            username=str(_claim(claims, names.username) or "").strip().lower(),
            full_name=str(_claim(claims, names.full_name) or "").strip(),
            department=str(_claim(claims, names.department) or "").strip(),
            function=str(_claim(claims, names.function) or "").strip(),
            roles=roles)

    def _verify(self, token: str, audience: str, nonce: str | None = None) -> dict:
        try:
            decoded = jwt.decode(token, self._key_set(token), algorithms=list(ALGORITHMS))
        except BadSignatureError:
            raise Unauthorized("the token's signature does not verify with the issuer's keys",
                               {"token": "signature"}) from None
        except (JoseError, ValueError, TypeError) as exc:
            raise Unauthorized(f"the token cannot be read: {type(exc).__name__}",
                               {"token": "format"}) from None
        expected = {"iss": {"essential": True, "value": self.settings.issuer},
                    "aud": {"essential": True, "value": audience},
                    "exp": {"essential": True}, "sub": {"essential": True}}
        if nonce is not None:
            expected["nonce"] = {"essential": True, "value": nonce}
        registry = jwt.JWTClaimsRegistry(now=self._clock, leeway=self.settings.leeway_seconds,
                                         **expected)
        try:
            registry.validate(decoded.claims)
        except ExpiredTokenError:
            raise Unauthorized("the token has expired", {"token": "exp"}) from None
        except (InvalidClaimError, MissingClaimError) as exc:
            raise Unauthorized(f"the token's {exc.claim} is not accepted",
                               {"token": exc.claim}) from None
        return decoded.claims

    # --- the issuer's metadata and keys ---------------------------------------------------
    def _key_set(self, token: str) -> KeySet:
        """The issuer's keys; fetched again when the token names a key id not among them
        (the issuer rotated its keys), at most once a minute whatever tokens arrive."""
        try:
            kid = jws.extract_compact(token.encode()).protected.get("kid")
        except (JoseError, ValueError, UnicodeError):
            raise Unauthorized("the token cannot be read", {"token": "format"}) from None
        now = time.monotonic()
        if self._keys is None or (kid and kid not in _kids(self._keys[1])
                                  and now - self._keys[0] > KEYS_REFETCH_SECONDS):
            self._keys = (now, KeySet.import_key_set(self._get(self._endpoint("jwks_uri"))))
        return self._keys[1]

    def _metadata(self) -> dict:
        now = time.monotonic()
        if self._discovery is None or now - self._discovery[0] > DISCOVERY_SECONDS:
            document = self._get(f"{self.settings.issuer}/.well-known/openid-configuration")
            if document.get("issuer") != self.settings.issuer:
                raise ServiceUnavailable("the issuer's discovery document names another "
                                         "issuer", {"issuer": self.settings.issuer})
            self._discovery = (now, document)
        return self._discovery[1]

    def _endpoint(self, name: str) -> str:
        url = self._metadata().get(name)
        if not url:
            raise ServiceUnavailable(f"the issuer publishes no {name}",
                                     {"issuer": self.settings.issuer})
        return url

    def _get(self, url: str) -> dict:
        try:
            response = requests.get(url, timeout=self.settings.timeout_seconds)
            response.raise_for_status()
            return response.json()
        except (requests.RequestException, ValueError) as exc:
            raise self._away(exc) from None

    def _away(self, exc: Exception) -> ServiceUnavailable:
        log.warning("the single sign-on issuer %s did not answer: %s", self.settings.issuer,
                    exc)
        return ServiceUnavailable("the single sign-on issuer does not answer; try again "
                                  "later or log in with a password",
                                  {"issuer": self.settings.issuer})

    def _session(self, redirect_uri: str) -> OAuth2Session:
        return OAuth2Session(self.settings.client_id, self._secret,
                             token_endpoint_auth_method="client_secret_basic",
                             scope=self.settings.scopes, redirect_uri=redirect_uri,
                             code_challenge_method="S256")


def _kids(keys: KeySet) -> set:
    return {key.kid for key in keys.keys}


def _claim(claims: dict, path: str):
    """A claim by its dotted path (`realm_access.roles`); None when absent."""
    value = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value
