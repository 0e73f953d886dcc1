#!/usr/bin/env python3
"""The local stack's Keycloak realm `procedura` (scripts/stack.sh imports it at every start).

  PROCEDURA_OIDC_CLIENT_SECRET=... PROCEDURA_LDAP_URL=... PROCEDURA_LDAP_BIND_DN=...
  PROCEDURA_LDAP_BIND_PASSWORD=... PROCEDURA_LDAP_BASE_DN=... \
      .venv/bin/python scripts/keycloak-realm.py > realm.json

Procedura is its confidential client `procedura` (Authorization Code with PKCE S256 only:
no implicit flow, no password grant), whose tokens carry what Procedura maps
(services/common/oidc_settings.py): `preferred_username`, `name`, `department`, `title`,
`groups` (procedura-<role>), and an access token whose audience names `procedura`.

The people are those of the stack's OpenLDAP (Keycloak's LDAP user federation, read-only,
StartTLS, through Procedura's search account): the demo directory, the same logins and
passwords as the rest of the demo, and whoever a test adds with ldapadd. A disabled
account (pwdAccountLockedTime, as the directory login reads it) cannot sign in. The
secrets come from the environment (never the command line, which `ps` shows)."""
from __future__ import annotations

import json
import os
import sys

# the local stack runs on loopback: a gateway there on any port (each test run has its own)
# may be sent back to; Keycloak matches a trailing * as a prefix
LOOPBACK = ("http://127.0.0.1:*", "http://localhost:*")
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


def _ldap_attribute(name: str, ldap: str, model: str, mandatory: bool = False) -> dict:
    return {"name": name, "providerId": "user-attribute-ldap-mapper",
            "config": {"ldap.attribute": [ldap], "user.model.attribute": [model],
                       "read.only": ["true"], "always.read.value.from.ldap": ["true"],
                       "is.mandatory.in.ldap": [str(mandatory).lower()]}}


def directory(env: dict) -> dict:
    """The LDAP user federation: the people and their procedura-* groups, read-only."""
    base = env["PROCEDURA_LDAP_BASE_DN"]
    return {
        "name": "procedura-directory", "providerId": "ldap",
        "config": {
            "enabled": ["true"], "priority": ["0"], "editMode": ["READ_ONLY"],
            "vendor": ["other"], "connectionUrl": [env["PROCEDURA_LDAP_URL"]],
            "startTls": ["true"], "useTruststoreSpi": ["always"],
            "authType": ["simple"], "bindDn": [env["PROCEDURA_LDAP_BIND_DN"]],
            "bindCredential": [env["PROCEDURA_LDAP_BIND_PASSWORD"]],
            "usersDn": [f"ou=people,{base}"], "searchScope": ["1"],
            "userObjectClasses": ["inetOrgPerson"],
            "customUserSearchFilter": ["(!(pwdAccountLockedTime=000001010000Z))"],
            "usernameLDAPAttribute": ["uid"], "rdnLDAPAttribute": ["uid"],
            "uuidLDAPAttribute": ["entryUUID"], "importEnabled": ["true"],
            "syncRegistrations": ["false"], "trustEmail": ["true"], "pagination": ["false"],
            # Keycloak refuses pooled connections with StartTLS
            "connectionPooling": ["false"], "connectionTimeout": ["10000"],
            "readTimeout": ["30000"],
            # read the directory at every sign-in: a change there counts at once
            "cachePolicy": ["NO_CACHE"],
        },
        "subComponents": {"org.keycloak.storage.ldap.mappers.LDAPStorageMapper": [
            _ldap_attribute("username", "uid", "username", mandatory=True),
            _ldap_attribute("first name", "givenName", "firstName"),
            _ldap_attribute("last name", "sn", "lastName", mandatory=True),
            _ldap_attribute("email", "mail", "email"),
            _ldap_attribute("department", "departmentNumber", "department"),
            _ldap_attribute("title", "title", "title"),
            {"name": "groups", "providerId": "group-ldap-mapper",
             "config": {"groups.dn": [f"ou=groups,{base}"],
                        "group.name.ldap.attribute": ["cn"],
                        "group.object.classes": ["groupOfNames"],
                        "membership.ldap.attribute": ["member"],
                        "membership.attribute.type": ["DN"],
                        "membership.user.ldap.attribute": ["uid"],
                        "mode": ["READ_ONLY"],
                        "user.roles.retrieve.strategy": ["LOAD_GROUPS_BY_MEMBER_ATTRIBUTE"],
                        "preserve.group.inheritance": ["false"],
                        "ignore.missing.groups": ["true"],
                        "drop.non.existing.groups.during.sync": ["false"]}},
        ]},
    }


def realm(env: dict) -> dict:
    return {
        "realm": "procedura", "enabled": True, "displayName": "Primăria (demo)",
        "sslRequired": "external",       # plain HTTP on loopback only
        "internationalizationEnabled": True, "supportedLocales": ["ro", "en"],
        "defaultLocale": "ro",
        "accessTokenLifespan": 300,
        "bruteForceProtected": True,
        "clients": [client(env["PROCEDURA_OIDC_CLIENT_SECRET"])],
        "components": {
            "org.keycloak.userprofile.UserProfileProvider": [{
                "providerId": "declarative-user-profile",
                "config": {"kc.user.profile.config": [json.dumps(USER_PROFILE)]}}],
            "org.keycloak.storage.UserStorageProvider": [directory(env)],
        },
    }


NEEDED = ("PROCEDURA_OIDC_CLIENT_SECRET", "PROCEDURA_LDAP_URL", "PROCEDURA_LDAP_BIND_DN",
          "PROCEDURA_LDAP_BIND_PASSWORD", "PROCEDURA_LDAP_BASE_DN")

if __name__ == "__main__":
    missing = [name for name in NEEDED if not os.environ.get(name)]
    if missing:
        sys.exit(f"keycloak-realm.py: {', '.join(missing)} not set (.stack/secrets.env)")
    json.dump(realm(os.environ), sys.stdout, ensure_ascii=False, indent=1)
