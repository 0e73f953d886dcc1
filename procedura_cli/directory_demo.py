"""The demo directory as LDIF: the people and roles of demo/organisation.yaml laid out the
way a city hall's OpenLDAP holds them (docs/identity.md), for scripts/stack.sh to load
into the stack's slapd. Standard library and PyYAML only: the stack script runs it with
the system's python3, before any virtualenv exists.

  python3 procedura_cli/directory_demo.py ORGANISATION.yaml BASE_DN SEARCH_ACCOUNT_DN

Layout: people uid=<username>,ou=people,<base> (inetOrgPerson: uid, cn, sn, givenName,
displayName, mail, title = function, departmentNumber = department code, userPassword in
clear, which slapd hashes as it stores it); one groupOfNames cn=procedura-<role>,
ou=groups,<base> per role; the read-only search account under ou=services (its password
is set afterwards from secrets.env); the password policy that lets an account be
disabled. Departments stay in Procedura's own register."""
from __future__ import annotations

import base64
import secrets
import sys
from pathlib import Path

import yaml

ROLE_GROUP_PREFIX = "procedura-"
MAIL_DOMAIN = "primarie.local"   # the demo's; notifications' default_domain is the same


def value_line(attribute: str, value: str) -> str:
    """One attribute line; base64 (`::`) when LDIF cannot carry the value as it is
    (non-ASCII letters such as ă ș ț, a leading space, colon or '<')."""
    safe = value.isascii() and value.isprintable() and not value.startswith((" ", ":", "<"))
    if safe:
        return f"{attribute}: {value}"
    return f"{attribute}:: {base64.b64encode(value.encode()).decode()}"


def entry(dn: str, attributes: list[tuple[str, str]]) -> str:
    return "\n".join([value_line("dn", dn)] + [value_line(a, v) for a, v in attributes]) + "\n"


def base_entries(base: str, organisation: str, search_account: str) -> list[str]:
    dc = base.split(",")[0].split("=", 1)[1]
    account_cn = search_account.split(",")[0].split("=", 1)[1]
    return [
        entry(base, [("objectClass", "dcObject"), ("objectClass", "organization"),
                     ("dc", dc), ("o", organisation)]),
        *(entry(f"ou={ou},{base}", [("objectClass", "organizationalUnit"), ("ou", ou)])
          for ou in ("people", "groups", "services", "policies")),
        # a random password here; scripts/stack.sh sets the one of secrets.env at once
        entry(search_account, [("objectClass", "organizationalRole"),
                               ("objectClass", "simpleSecurityObject"), ("cn", account_cn),
                               ("description", "Procedura: searches people and groups"),
                               ("userPassword", secrets.token_urlsafe(32))]),
        # ppolicy honours pwdAccountLockedTime (a disabled account) only under a policy
        entry(f"cn=default,ou=policies,{base}", [
            ("objectClass", "person"), ("objectClass", "pwdPolicy"), ("cn", "default"),
            ("sn", "default"), ("pwdAttribute", "userPassword"), ("pwdLockout", "TRUE")]),
    ]


def person_entry(base: str, user: dict) -> str:
    name = user["full_name"]
    given, _, surname = name.rpartition(" ")
    attributes = [("objectClass", "inetOrgPerson"), ("uid", user["username"]), ("cn", name),
                  ("sn", surname or name), ("displayName", name),
                  ("mail", user.get("email") or f"{user['username']}@{MAIL_DOMAIN}"),
                  ("departmentNumber", user["department"]),
                  ("userPassword", user["password"])]
    if given:
        attributes.insert(4, ("givenName", given))
    if user.get("function"):
        attributes.append(("title", user["function"]))
    return entry(person_dn(base, user["username"]), attributes)


def person_dn(base: str, username: str) -> str:
    return f"uid={username},ou=people,{base}"


def role_entries(base: str, users: list[dict]) -> list[str]:
    members: dict[str, list[str]] = {}
    for user in users:
        for role in user.get("roles", []):
            members.setdefault(role, []).append(person_dn(base, user["username"]))
    return [entry(f"cn={ROLE_GROUP_PREFIX}{role},ou=groups,{base}",
                  [("objectClass", "groupOfNames"), ("cn", f"{ROLE_GROUP_PREFIX}{role}")]
                  + [("member", dn) for dn in dns])
            for role, dns in members.items()]


def demo_ldif(organisation: dict, base: str, search_account: str) -> str:
    name = organisation.get("organisation", {}).get("name", "Procedura")
    users = organisation.get("users", [])
    entries = (base_entries(base, name, search_account)
               + [person_entry(base, user) for user in users]
               + role_entries(base, users))
    return "\n".join(entries)


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    path, base, search_account = argv
    organisation = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    sys.stdout.write(demo_ldif(organisation, base, search_account))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
