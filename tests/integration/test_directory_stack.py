"""`scripts/stack.sh up` with the ldap component: a slapd of its own in a stack directory of
this test, on free ports. Its passwords are generated into secrets.env and kept; the demo
directory answers over StartTLS and LDAPS with a certificate of the stack's own CA; what
must stay hidden stays hidden."""
from __future__ import annotations

import ssl
import stat

import pytest
from ldap3 import Connection, Server, Tls
from ldap3.core.exceptions import LDAPException

from procedura_cli.localenv import read_secrets
from services.common.settings import known_value
from tests.integration.own_stack import own_stack

BASE = "dc=procedura,dc=local"


@pytest.fixture
def own_directory():
    with own_stack("procedura-stack-ldap-", "ldap",
                   "PROCEDURA_LDAP_PORT", "PROCEDURA_LDAPS_PORT") as stack:
        yield stack


def _bind(url: str, ca_file: str | None, user: str | None, password: str | None,
          starttls: bool) -> Connection:
    tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=ca_file)
    connection = Connection(Server(url, tls=tls, connect_timeout=5), user, password,
                            raise_exceptions=True, receive_timeout=10)
    connection.open()
    if starttls:
        connection.start_tls()
    connection.bind()
    return connection


def test_the_stack_directory_holds_the_demo_people_behind_tls_with_generated_passwords(
        own_directory):
    directory, env, stack = own_directory
    stack("up")
    path = directory / "secrets.env"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    secrets = read_secrets(path)
    admin, search = secrets["PROCEDURA_LDAP_ADMIN_PASSWORD"], secrets["PROCEDURA_LDAP_BIND_PASSWORD"]
    assert admin != search and not known_value(admin) and not known_value(search)
    assert secrets["PROCEDURA_LDAP_URL"] == f"ldap://127.0.0.1:{env['PROCEDURA_LDAP_PORT']}"
    ca = secrets["PROCEDURA_LDAP_CA_FILE"]
    ldaps = f"ldaps://127.0.0.1:{env['PROCEDURA_LDAPS_PORT']}"

    # a person of demo/organisation.yaml binds with the demo password, both ways
    person = f"uid=ana.popescu,ou=people,{BASE}"
    _bind(secrets["PROCEDURA_LDAP_URL"], ca, person, "demo-dj", starttls=True).unbind()
    _bind(ldaps, ca, person, "demo-dj", starttls=False).unbind()
    # the certificate is the stack CA's: without it, no TLS
    with pytest.raises(LDAPException):
        _bind(ldaps, None, person, "demo-dj", starttls=False)

    # the search account reads people and groups, never a password (stored hashed)
    reader = _bind(secrets["PROCEDURA_LDAP_URL"], ca, secrets["PROCEDURA_LDAP_BIND_DN"], search,
                   starttls=True)
    reader.search(f"ou=people,{BASE}", "(uid=ana.popescu)",
                  attributes=["departmentNumber", "userPassword", "memberOf"])
    entry = reader.response[0]["attributes"]
    assert entry["departmentNumber"] == ["DJ"] and not entry.get("userPassword")
    assert f"cn=procedura-author,ou=groups,{BASE}" in entry["memberOf"]
    reader.unbind()
    root = _bind(secrets["PROCEDURA_LDAP_URL"], ca, f"cn=admin,{BASE}", admin, starttls=True)
    root.search(f"ou=people,{BASE}", "(uid=ana.popescu)", attributes=["userPassword"])
    assert root.response[0]["attributes"]["userPassword"][0].startswith(b"{ARGON2}")
    root.unbind()
    # nobody reads anonymously
    anonymous = _bind(secrets["PROCEDURA_LDAP_URL"], ca, None, None, starttls=True)
    with pytest.raises(LDAPException):
        anonymous.search(f"ou=people,{BASE}", "(uid=*)")
        assert anonymous.response == []

    # a second start keeps the passwords (and the people loaded once)
    stack("down")
    stack("up")
    assert read_secrets(path) == secrets
    assert admin not in stack("status").stdout
