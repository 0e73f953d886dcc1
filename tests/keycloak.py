"""The local stack's Keycloak for the single sign-on tests (scripts/stack.sh, realm
`procedura` of scripts/keycloak-realm.py). It is started once, by `make test` or
`PROCEDURA_SSO=keycloak make stack-up`, never by a test; a test that needs it fails
when it does not answer.

`sign_in` does what a person's browser does at Keycloak's own login page (its form, its
cookies), with requests: the tests that are not about the browser get real codes and
tokens without driving Chromium."""
from __future__ import annotations

import html
import re
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from tests.testenv import port, stack_secrets

ISSUER = f"http://127.0.0.1:{port('PROCEDURA_KEYCLOAK_PORT', 8180)}/realms/procedura"
# a redirect address no server answers: the code is read from Keycloak's redirect itself
NOWHERE = "http://127.0.0.1:9/callback"


class Refused(Exception):
    """Keycloak's login page refused the person (wrong password, unknown, disabled)."""


def require() -> str:
    """The issuer's URL; the test fails (never skips) when Keycloak does not answer."""
    try:
        requests.get(f"{ISSUER}/.well-known/openid-configuration", timeout=5).raise_for_status()
    except requests.RequestException as exc:
        pytest.fail(f"Keycloak does not answer at {ISSUER} ({exc}); start it with "
                    "`PROCEDURA_SSO=keycloak make stack-up`", pytrace=False)
    return ISSUER


def client_secret() -> str:
    secret = stack_secrets().get("PROCEDURA_OIDC_CLIENT_SECRET")
    if not secret:
        pytest.fail("PROCEDURA_OIDC_CLIENT_SECRET is missing from the stack's secrets.env: "
                    "start Keycloak with `PROCEDURA_SSO=keycloak make stack-up`", pytrace=False)
    return secret


def sign_in(authorization_url: str, username: str, password: str,
            browser: requests.Session | None = None) -> str:
    """Log in at Keycloak's login page: the URL Keycloak sends the browser back to
    (with `code` and `state`)."""
    browser = browser or requests.Session()
    page = browser.get(authorization_url, timeout=30)
    page.raise_for_status()
    for cookie in browser.cookies:
        # Keycloak marks its cookies Secure; browsers send those to http://127.0.0.1 (a
        # secure context), requests does not unless told
        cookie.secure = False
    form = re.search(r'<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"', page.text)
    assert form, f"no login form on Keycloak's page:\n{page.text[:2000]}"
    answer = browser.post(html.unescape(form.group(1)), allow_redirects=False, timeout=30,
                          data={"username": username, "password": password,
                                "credentialId": ""})
    if answer.status_code != 302:
        raise Refused(f"Keycloak refused the login of {username} ({answer.status_code})")
    return answer.headers["Location"]


def tokens(username: str, password: str, scope: str = "openid profile email") -> dict:
    """The tokens Keycloak gives Procedura's client for this person (code flow, PKCE)."""
    session = OAuth2Session("procedura", client_secret(), scope=scope, redirect_uri=NOWHERE,
                            code_challenge_method="S256")
    verifier = secrets.token_urlsafe(48)
    url, state = session.create_authorization_url(
        f"{ISSUER}/protocol/openid-connect/auth", code_verifier=verifier,
        nonce="test-nonce")
    back = sign_in(url, username, password)
    query = parse_qs(urlsplit(back).query)
    assert query["state"] == [state]
    return session.fetch_token(f"{ISSUER}/protocol/openid-connect/token",
                               grant_type="authorization_code", code=query["code"][0],
                               code_verifier=verifier)
