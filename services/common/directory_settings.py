"""Settings of the directory (settings `auth.ldap`): where it is, the account Procedura
searches with, and how a city hall's directory says who someone is. The defaults fit
OpenLDAP laid out as the local stack's demo directory; docs/identity.md gives the values
for Active Directory. Every `{username}` and `{dn}` of a filter is escaped before it is
put in (services/documents/adapters/directory.py)."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.common.setting_values import comma_separated

# the roles a directory group may grant (services.contracts.models.Role)
ROLES = ("reader", "author", "verifier", "endorser", "approver", "qms_admin")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DirectoryAttributes(_Section):
    """Which attribute of a person's entry holds what Procedura keeps of them."""
    username: str = "uid"                    # AD: sAMAccountName (or userPrincipalName)
    display_name: str = "displayName"        # falls back to cn
    email: str = "mail"
    department: str = "departmentNumber"     # AD: department; a code of the register
    function: str = "title"


class DirectoryRoles(_Section):
    """How a person's roles are found: the groups whose `member` they are (`groups`:
    a search under `group_base` with `group_filter`; AD's nested groups with the
    LDAP_MATCHING_RULE_IN_CHAIN filter) or the group DNs of an attribute of theirs
    (`attribute`, e.g. memberOf). A group named `<prefix><role>` grants the role."""
    source: Literal["groups", "attribute"] = "groups"
    group_base: str = "ou=groups,dc=procedura,dc=local"
    group_filter: str = "(&(objectClass=groupOfNames)(member={dn}))"
    group_name: str = "cn"
    attribute: str = "memberOf"
    prefix: str = "procedura-"
    # a person of the user search base in no Procedura group: `reader` lets them read
    # (every member of staff confirms the procedures they must know), `refuse` keeps them out
    without_group: Literal["reader", "refuse"] = "reader"


class DirectorySettings(_Section):
    # one or more servers (AD: several domain controllers), tried in turn
    urls: tuple[str, ...] = ()
    # ldap:// URLs upgrade with StartTLS; ldaps:// is TLS from the start. The certificate
    # is always verified (against ca_file, else the system's CAs).
    starttls: bool = True
    ca_file: str | None = None
    base_dn: str = "dc=procedura,dc=local"
    bind_dn: str | None = None
    bind_password: str | None = None         # a secret: PROCEDURA_LDAP_BIND_PASSWORD
    user_base: str = "ou=people,dc=procedura,dc=local"
    user_filter: str = "(&(objectClass=inetOrgPerson)(uid={username}))"
    # every person the sync considers (those it does not find are deactivated)
    people_filter: str = "(objectClass=inetOrgPerson)"
    # a disabled account (refused at login, deactivated by the sync); AD:
    # (userAccountControl:1.2.840.113556.1.4.803:=2)
    disabled_filter: str | None = "(pwdAccountLockedTime=000001010000Z)"
    attributes: DirectoryAttributes = DirectoryAttributes()
    roles: DirectoryRoles = DirectoryRoles()
    connect_timeout_seconds: float = Field(default=5, gt=0)
    timeout_seconds: float = Field(default=10, gt=0)     # one answer of the directory
    pool_size: int = Field(default=4, ge=1)              # search connections kept open
    # the periodic sync; 0: only `procedura directory sync` and the administration page
    sync_interval_seconds: int = Field(default=900, ge=0)
    # a sync that would deactivate more than this share of the people stops (unless forced)
    max_deactivate_share: float = Field(default=0.2, ge=0, le=1)
    # ... beyond this many (a few people leaving on one day is never refused)
    deactivate_floor: int = Field(default=3, ge=0)

    @field_validator("urls", mode="before")
    @classmethod
    def _comma_separated(cls, value):
        return comma_separated(value)

    @field_validator("ca_file", "bind_dn", "bind_password", "disabled_filter", mode="before")
    @classmethod
    def _empty_is_none(cls, value):
        return None if value == "" else value

    @field_validator("user_filter")
    @classmethod
    def _names_the_user(cls, value):
        if "{username}" not in value:
            raise ValueError("must contain {username}")
        return value
