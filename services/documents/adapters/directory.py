"""The city hall's directory (OpenLDAP or Active Directory) through ldap3: who a person
is, whether their password is right, and everyone on staff for the sync.

Procedura searches with its own read-only account, then binds as the person found; an
empty password never reaches a bind (an unauthenticated bind succeeds on most servers).
Every value put into a filter is escaped (RFC 4515). TLS is StartTLS on ldap:// or
LDAPS, the certificate always verified. A directory that does not answer within the
timeouts is DirectoryUnavailable: the caller says so (503), it never counts as "no such
person"."""
from __future__ import annotations

import logging
import math
import queue
import ssl
from dataclasses import dataclass

from ldap3 import BASE, SUBTREE, Connection, Server, Tls
from ldap3.core import exceptions as ldap_errors
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import parse_dn

from services.common.directory_settings import ROLES, DirectorySettings

log = logging.getLogger(__name__)
PAGE_SIZE = 500


class DirectoryUnavailable(Exception):
    """The directory could not be reached or did not answer in time."""


class WrongCredentials(Exception):
    """No such person, a wrong password or a disabled account (one answer for all)."""

    def __init__(self, why: str):
        super().__init__(why)
        self.why = why          # for the audit trail, never for the person logging in


class NotAdmitted(Exception):
    """The directory knows the person, but Procedura cannot admit them (no Procedura
    group while `without_group: refuse`)."""


@dataclass(frozen=True)
class DirectoryPerson:
    """What Procedura takes from the directory about one person."""
    username: str
    dn: str
    full_name: str
    email: str | None
    department: str | None
    function: str
    roles: tuple[str, ...]      # the Procedura roles of their groups (reader included)
    disabled: bool = False


def escaped(template: str, **values: str) -> str:
    """`template` with each {name} replaced by its value escaped for a filter: a `*`,
    `(`, `)`, `\\` or NUL of a user name is a character of the name, never filter syntax."""
    result = template
    for name, value in values.items():
        result = result.replace("{" + name + "}", escape_filter_chars(value))
    return result


class Directory:
    """One directory: a few search connections kept open (the pool), a new connection
    for each person's bind."""

    def __init__(self, settings: DirectorySettings):
        if not settings.urls:
            raise ValueError("auth.ldap.urls is empty (PROCEDURA_LDAP_URL)")
        self.settings = settings
        tls = Tls(validate=ssl.CERT_REQUIRED, version=ssl.PROTOCOL_TLS_CLIENT,
                  ca_certs_file=settings.ca_file)
        self._servers = [Server(url, connect_timeout=settings.connect_timeout_seconds, tls=tls,
                                get_info=None) for url in settings.urls]
        self._idle: queue.LifoQueue = queue.LifoQueue(maxsize=settings.pool_size)
        wanted = settings.attributes
        self._attributes = sorted({wanted.username, wanted.display_name, "cn", wanted.email,
                                   wanted.department, wanted.function}
                                  | ({settings.roles.attribute}
                                     if settings.roles.source == "attribute" else set()))

    @property
    def address(self) -> str:
        return ", ".join(self.settings.urls)

    # --- connections ---------------------------------------------------------------
    def _connect(self, user: str | None, password: str | None) -> Connection:
        """A bound connection (TLS established first) to the first server that answers
        (each tried once, in order: no pause between them); DirectoryUnavailable when
        none does, WrongCredentials when the bind is refused."""
        reasons = []
        for server in self._servers:
            connection = Connection(server, user=user, password=password,
                                    # whole seconds: ldap3 packs it into SO_RCVTIMEO so
                                    receive_timeout=max(1, math.ceil(self.settings.timeout_seconds)),
                                    auto_referrals=False, raise_exceptions=True,
                                    client_strategy="SYNC", read_only=True)
            try:
                connection.open()
                if self.settings.starttls and not server.ssl:
                    connection.start_tls()
                connection.bind()
                return connection
            except ldap_errors.LDAPInvalidCredentialsResult:
                _close(connection)
                raise WrongCredentials("wrong_password") from None
            except (ldap_errors.LDAPException, OSError) as exc:
                _close(connection)
                reasons.append(f"{server.name}: {_reason(exc)}")
        raise DirectoryUnavailable(f"the directory ({self.address}) cannot be reached: "
                                   + "; ".join(reasons))

    def _search_connection(self) -> Connection:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            try:
                return self._connect(self.settings.bind_dn, self.settings.bind_password)
            except WrongCredentials:
                raise DirectoryUnavailable(f"the directory ({self.address}) refuses "
                                           "Procedura's search account (auth.ldap.bind_dn)"
                                           ) from None

    def _search(self, base: str, search_filter: str, attributes: list[str],
                scope=SUBTREE) -> list[dict]:
        """Entries as {"dn", "attributes"}; a connection that failed is dropped, the
        search tried once more on a new one (a pooled connection the server closed)."""
        for attempt in (1, 2):
            connection = self._search_connection()
            try:
                # paged (RFC 2696): Active Directory answers at most 1000 entries a page
                response = connection.extend.standard.paged_search(
                    base, search_filter, scope, attributes=attributes, paged_size=PAGE_SIZE,
                    time_limit=max(1, math.ceil(self.settings.timeout_seconds)),
                    generator=False)
                entries = [{"dn": e["dn"], "attributes": e["attributes"]}
                           for e in response or () if e.get("type") == "searchResEntry"]
            except ldap_errors.LDAPNoSuchObjectResult:
                self._give_back(connection)
                return []
            except (ldap_errors.LDAPException, OSError) as exc:
                _close(connection)
                if attempt == 2 or isinstance(exc, ldap_errors.LDAPResponseTimeoutError):
                    raise DirectoryUnavailable(f"the directory ({self.address}) did not "
                                               f"answer: {_reason(exc)}") from None
                continue
            self._give_back(connection)
            return entries
        raise AssertionError("unreachable")

    def _give_back(self, connection: Connection) -> None:
        try:
            self._idle.put_nowait(connection)
        except queue.Full:
            _close(connection)

    def close(self) -> None:
        while True:
            try:
                _close(self._idle.get_nowait())
            except queue.Empty:
                return

    # --- people ----------------------------------------------------------------------
    def authenticate(self, username: str, password: str) -> DirectoryPerson:
        """The person whose directory password this is. WrongCredentials for an unknown
        name, a wrong password or a disabled account; NotAdmitted; DirectoryUnavailable."""
        if not password:
            raise WrongCredentials("empty_password")   # never an unauthenticated bind
        person = self.find(username)
        if person is None:
            raise WrongCredentials("unknown_user")
        if person.disabled:
            raise WrongCredentials("disabled")
        _close(self._connect(person.dn, password))
        self._admit(person)
        return person

    def find(self, username: str) -> DirectoryPerson | None:
        """The person of this user name (disabled or not), None if the directory has none
        or more than one."""
        settings = self.settings
        entries = self._search(settings.user_base,
                               escaped(settings.user_filter, username=username),
                               self._attributes)
        if len(entries) != 1:
            if entries:
                log.warning("directory: %d entries answer to the user name %r; none is used",
                            len(entries), username)
            return None
        return self._person(entries[0], self._disabled_among([entries[0]["dn"]]))

    def everyone(self) -> list[DirectoryPerson]:
        """Every person of the user search base (for the sync)."""
        settings = self.settings
        entries = self._search(settings.user_base, settings.people_filter, self._attributes)
        disabled = set()
        if settings.disabled_filter:
            disabled = {e["dn"].lower() for e in self._search(
                settings.user_base, f"(&{settings.people_filter}{settings.disabled_filter})",
                ["1.1"])}
        people = []
        for entry in entries:
            try:
                people.append(self._person(entry, disabled))
            except ValueError as exc:
                log.warning("directory: %s is skipped: %s", entry["dn"], exc)
        return people

    def admitted(self, person: DirectoryPerson) -> bool:
        try:
            self._admit(person)
            return True
        except NotAdmitted:
            return False

    def _admit(self, person: DirectoryPerson) -> None:
        if self.settings.roles.without_group == "refuse" and not person.roles:
            raise NotAdmitted(f"{person.username} is in no Procedura group of the directory")

    def _disabled_among(self, dns: list[str]) -> set[str]:
        flt = self.settings.disabled_filter
        if not flt:
            return set()
        return {dn.lower() for dn in dns
                if self._search(dn, flt, ["1.1"], scope=BASE)}

    def _person(self, entry: dict, disabled: set[str]) -> DirectoryPerson:
        wanted, values = self.settings.attributes, entry["attributes"]
        username = _first(values, wanted.username)
        if not username:
            raise ValueError(f"no {wanted.username}")
        roles = self._roles_of(entry)
        if not roles and self.settings.roles.without_group == "reader":
            roles = ("reader",)
        return DirectoryPerson(
            username=username.lower(), dn=entry["dn"],
            full_name=_first(values, wanted.display_name) or _first(values, "cn") or username,
            email=_first(values, wanted.email), department=_first(values, wanted.department),
            function=_first(values, wanted.function) or "", roles=roles,
            disabled=entry["dn"].lower() in disabled)

    def _roles_of(self, entry: dict) -> tuple[str, ...]:
        """Procedura roles of the person's groups; reader for anyone with one of them."""
        rules = self.settings.roles
        if rules.source == "attribute":
            names = [_rdn_value(dn) for dn in _all(entry["attributes"], rules.attribute)]
        else:
            groups = self._search(rules.group_base, escaped(rules.group_filter, dn=entry["dn"]),
                                  [rules.group_name])
            names = [_first(g["attributes"], rules.group_name) for g in groups]
        roles = {name[len(rules.prefix):].lower() for name in names
                 if name and name.lower().startswith(rules.prefix.lower())}
        roles &= set(ROLES)
        if roles:
            roles.add("reader")
        return tuple(role for role in ROLES if role in roles)


def _first(values: dict, attribute: str) -> str | None:
    found = _all(values, attribute)
    return str(found[0]).strip() if found else None


def _all(values: dict, attribute: str) -> list:
    for key, value in values.items():      # attribute names are case-insensitive
        if key.lower() == attribute.lower():
            if isinstance(value, (list, tuple)):
                return [v for v in value if v not in (None, "")]
            return [] if value in (None, "") else [value]
    return []


def _rdn_value(dn: str) -> str:
    try:
        return parse_dn(dn)[0][1]
    except Exception:    # noqa: BLE001 - a malformed DN is no group of ours
        return ""


def _close(connection: Connection) -> None:
    try:
        connection.unbind()
    except Exception:   # noqa: BLE001 - closing a connection that already broke
        pass


def _reason(exc: Exception) -> str:
    return str(exc).strip() or exc.__class__.__name__
