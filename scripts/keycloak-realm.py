#!/usr/bin/env python3
"""The local stack's Keycloak realm `procedura` (scripts/stack.sh imports it at start).

  .venv/bin/python scripts/keycloak-realm.py CLIENT_SECRET > realm.json

Procedura is its confidential client `procedura` (Authorization Code with PKCE S256 only:
no implicit flow, no password grant), whose tokens carry what Procedura maps
(services/common/oidc_settings.py): `preferred_username`, `name`, `department`, `title`,
`groups` (procedura-<role>), and an access token whose audience names `procedura`.

The people are the demo organisation's (demo/organisation.yaml, their demo passwords):
the same logins as the rest of the demo. Nothing here is a secret of a real installation:
the client secret comes from .stack/secrets.env, generated on the first start."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
# the local stack runs on loopback: a gateway there on any port (each test run has its own)
# may be sent back to; Keycloak matches a trailing * as a prefix
LOOPBACK = ("http://127.0.0.1:*", "http://localhost:*")
ROLES = ("reader", "author", "verifier", "endorser", "approver", "qms_admin")
# Keycloak 24+ keeps only the attributes its user profile declares; department and title
# are Procedura's, so unmanaged attributes are kept (admins may edit them)
USER_PROFILE = {
    "attributes": [
        {"name": "username", "displayName": "${username}",
         "permissions": {"view": ["admin", "user"], "edit": ["admin"]},
         "validations": {"length": {"min": 2, "max": 64}}},
        {"name": "email", "displayName": "${email}",
         "permissions": {"view": ["admin", "user"], "edit": ["admin"]}},
        {"name": "firstName", "displayName": "${firstName}",
         "permissions": {"view": ["admin", "user"], "edit": ["admin"]}},
        {"name": "lastName", "displayName": "${lastName}",
         "permissions": {"view": ["admin", "user"], "edit": ["admin"]}},
    ],
    "unmanagedAttributePolicy": "ADMIN_EDIT",
}


def _mapper(name: str, kind: str, config: dict) -> dict:
    return {"name": name, "protocol": "openid-connect", "protocolMapper": kind,
            "config": {"id.token.claim": "true", "access.token.claim": "true",
                       "userinfo.token.claim": "true", **config}}


def _attribute(attribute: str) -> dict:
    return _mapper(attribute, "oidc-usermodel-attribute-mapper",
                   {"user.attribute": attribute, "claim.name": attribute,
                    "jsonType.label": "String"})


def client(secret: str) -> dict:
    return {
        "clientId": "procedura", "name": "Procedura", "enabled": True,
        "protocol": "openid-connect", "publicClient": False,
        "clientAuthenticatorType": "client-secret", "secret": secret,
        "standardFlowEnabled": True, "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": False, "serviceAccountsEnabled": False,
        "redirectUris": list(LOOPBACK),
        "attributes": {"pkce.code.challenge.method": "S256",
                       "post.logout.redirect.uris": "##".join(LOOPBACK)},
        "protocolMappers": [
            _mapper("audience procedura", "oidc-audience-mapper",
                    {"included.client.audience": "procedura", "id.token.claim": "false"}),
            _mapper("groups", "oidc-group-membership-mapper",
                    {"claim.name": "groups", "full.path": "false"}),
            _attribute("department"),
            _attribute("title"),
        ],
    }


def users(organisation: dict) -> list[dict]:
    people = []
    for person in organisation["users"]:
        first, _, last = person["full_name"].partition(" ")
        people.append({
            "username": person["username"], "enabled": person.get("active", True),
            "firstName": first, "lastName": last or first, "emailVerified": True,
            "email": f"{person['username']}@procedura.local",
            "attributes": {"department": [person["department"]],
                           "title": [person.get("function", "")]},
            "credentials": [{"type": "password", "value": person["password"],
                             "temporary": False}],
            "groups": [f"/procedura-{role}" for role in person["roles"]],
        })
    return people


def realm(secret: str) -> dict:
    organisation = yaml.safe_load((ROOT / "demo" / "organisation.yaml").read_text("utf-8"))
    return {
        "realm": "procedura", "enabled": True, "displayName": "Primăria (demo)",
        "sslRequired": "external",       # plain HTTP on loopback only
        "internationalizationEnabled": True, "supportedLocales": ["ro", "en"],
        "defaultLocale": "ro",
        "accessTokenLifespan": 300,
        "bruteForceProtected": True,
        "groups": [{"name": f"procedura-{role}"} for role in ROLES],
        "clients": [client(secret)],
        "users": users(organisation),
        "components": {"org.keycloak.userprofile.UserProfileProvider": [{
            "providerId": "declarative-user-profile",
            "config": {"kc.user.profile.config": [json.dumps(USER_PROFILE)]}}]},
    }


if __name__ == "__main__":
    if len(sys.argv) != 2 or len(sys.argv[1]) < 32:
        sys.exit("usage: keycloak-realm.py CLIENT_SECRET (32 characters or more)")
    json.dump(realm(sys.argv[1]), sys.stdout, ensure_ascii=False, indent=1)
