"""A room of its own in the stack's OpenLDAP for one test run: `ou=<run>,dc=procedura,dc=local`
with its people and groups, laid out as the demo directory, so runs do not meet and the
demo directory is never touched. Written as the directory's admin (ldap3); the e2e test
adds and deletes people with ldapadd/ldapdelete, as an IT office would."""
from __future__ import annotations

import ssl

from ldap3 import SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import (
    LDAPEntryAlreadyExistsResult, LDAPNoSuchObjectResult, LDAPObjectClassViolationResult)

from services.common.directory_settings import DirectorySettings
from tests.testenv import port, stack_secrets

HOST = "127.0.0.1"
LDAP_URL = f"ldap://{HOST}:{port('PROCEDURA_LDAP_PORT', 3389)}"
LDAPS_URL = f"ldaps://{HOST}:{port('PROCEDURA_LDAPS_PORT', 3636)}"
ADMIN_DN = "cn=admin,dc=procedura,dc=local"


class DirectoryRoom:
    def __init__(self, run_id: str):
        secrets = stack_secrets()
        missing = [k for k in ("PROCEDURA_LDAP_ADMIN_PASSWORD", "PROCEDURA_LDAP_BIND_PASSWORD",
                               "PROCEDURA_LDAP_BASE_DN", "PROCEDURA_LDAP_CA_FILE") if not secrets.get(k)]
        if missing:
            raise RuntimeError(f"the stack's secrets lack {', '.join(missing)}: run "
                               "scripts/stack.sh up (it starts OpenLDAP and writes them)")
        self.secrets = secrets
        self.base = f"ou={run_id},{secrets['PROCEDURA_LDAP_BASE_DN']}"
        self.people = f"ou=people,{self.base}"
        self.groups = f"ou=groups,{self.base}"
        self.ca_file = secrets["PROCEDURA_LDAP_CA_FILE"]
        self._admin = None

    # --- what Procedura is configured with ---------------------------------------------
    def settings(self, **changes) -> DirectorySettings:
        values = dict(urls=(LDAP_URL,), ca_file=self.ca_file, base_dn=self.base,
                      bind_dn=self.secrets["PROCEDURA_LDAP_BIND_DN"],
                      bind_password=self.secrets["PROCEDURA_LDAP_BIND_PASSWORD"],
                      user_base=self.people, connect_timeout_seconds=2, timeout_seconds=3)
        roles = {"group_base": self.groups, **changes.pop("roles", {})}
        return DirectorySettings(**{**values, **changes}, roles=roles)

    def environment(self) -> dict[str, str]:
        """The variables a Procedura process reads to use this room (config/procedura.yaml)."""
        return {"PROCEDURA_AUTH_BACKEND": "ldap", "PROCEDURA_LDAP_URL": LDAP_URL,
                "PROCEDURA_LDAP_CA_FILE": self.ca_file, "PROCEDURA_LDAP_BASE_DN": self.base,
                "PROCEDURA_LDAP_BIND_DN": self.secrets["PROCEDURA_LDAP_BIND_DN"],
                "PROCEDURA_LDAP_BIND_PASSWORD": self.secrets["PROCEDURA_LDAP_BIND_PASSWORD"],
                "PROCEDURA_LDAP_USER_BASE": self.people, "PROCEDURA_LDAP_GROUP_BASE": self.groups,
                "PROCEDURA_LDAP_SYNC_INTERVAL": "0"}

    # --- the IT office's side ------------------------------------------------------------
    @property
    def admin(self) -> Connection:
        if self._admin is None:
            tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=self.ca_file)
            self._admin = Connection(Server(LDAP_URL, tls=tls, connect_timeout=5), ADMIN_DN,
                                     self.secrets["PROCEDURA_LDAP_ADMIN_PASSWORD"],
                                     raise_exceptions=True, receive_timeout=10)
            self._admin.open()
            self._admin.start_tls()
            self._admin.bind()
        return self._admin

    def create(self) -> None:
        self.destroy()
        for dn in (self.base, self.people, self.groups):
            self.admin.add(dn, ["organizationalUnit"], {"ou": dn.split(",")[0][3:]})

    def destroy(self) -> None:
        try:
            self.admin.search(self.base, "(objectClass=*)", SUBTREE, attributes=["1.1"])
        except LDAPNoSuchObjectResult:
            return
        # the deepest first
        for dn in sorted((e["dn"] for e in self.admin.response if e.get("dn")),
                         key=lambda d: d.count(","), reverse=True):
            self.admin.delete(dn)

    def person_dn(self, username: str) -> str:
        return f"uid={username},{self.people}"

    def add_person(self, username: str, password: str, department: str | None = "DJ",
                   roles: tuple[str, ...] = ("author",), full_name: str = "Test Person",
                   function: str = "Consilier", locked: bool = False) -> str:
        dn = self.person_dn(username)
        attributes = {"uid": username, "cn": full_name, "sn": full_name.split()[-1],
                      "displayName": full_name, "mail": f"{username}@primarie.local",
                      "title": function, "userPassword": password}
        if department:
            attributes["departmentNumber"] = department
        if locked:
            attributes["pwdAccountLockedTime"] = "000001010000Z"
        self.admin.add(dn, ["inetOrgPerson"], attributes)
        for role in roles:
            self.join(username, role)
        return dn

    def join(self, username: str, role: str) -> None:
        group = f"cn=procedura-{role},{self.groups}"
        try:
            self.admin.add(group, ["groupOfNames"], {"cn": f"procedura-{role}",
                                                     "member": self.person_dn(username)})
        except LDAPEntryAlreadyExistsResult:
            self.admin.modify(group, {"member": [("MODIFY_ADD", [self.person_dn(username)])]})

    def leave(self, username: str, role: str) -> None:
        group = f"cn=procedura-{role},{self.groups}"
        try:
            self.admin.modify(group, {"member": [("MODIFY_DELETE", [self.person_dn(username)])]})
        except LDAPObjectClassViolationResult:   # its last member: a groupOfNames has one
            self.admin.delete(group)

    def set(self, username: str, **attributes: str) -> None:
        self.admin.modify(self.person_dn(username),
                          {name: [("MODIFY_REPLACE", [value] if value else [])]
                           for name, value in attributes.items()})

    def lock(self, username: str) -> None:
        self.set(username, pwdAccountLockedTime="000001010000Z")

    def unlock(self, username: str) -> None:
        self.admin.modify(self.person_dn(username),
                          {"pwdAccountLockedTime": [("MODIFY_DELETE", [])]})

    def delete(self, username: str) -> None:
        self.admin.delete(self.person_dn(username))
