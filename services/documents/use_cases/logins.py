"""Logging in and out: a right password opens a session (an API token or a web session,
each a row that can be revoked); wrong ones are counted, and past a limit per user name
or per client address further attempts wait (429) and the audit trail says so.

An unknown user name costs the same as a wrong password (a hash is verified either way),
so the time of the answer does not tell which names exist."""
from __future__ import annotations

import math
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.common.settings import AuthSettings
from services.contracts.errors import InvalidInput, NotFound, TooManyRequests, Unauthorized
from services.contracts.models import User
from services.documents.adapters import audit
from services.documents.use_cases import directory_login
from services.documents.adapters.access_repository import AccessRepository
from services.documents.adapters.repository import Repository
from services.documents.adapters.unit_of_work import PostgresAuditTrail
from services.documents.ports import AuditTrail, Sessions

KINDS = ("api", "web")
MAX_NAME = 64      # longer than any user name (StaffMember.username): cut before storing
_hasher = PasswordHasher()
# verified when the user name is unknown; nobody knows its password
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(32))


def log_in(db, limits: AuthSettings, username: str, password: str, address: str,
           kind: str, ttl_seconds: int, directory=None) -> tuple[User, str]:
    """The person and the id of their new session; Unauthorized for a wrong user name or
    password, TooManyRequests while the user name or the address has to wait. With the
    `ldap` backend the directory checks the password (services/documents/use_cases/directory_login.py),
    except for the break-glass account, a local one (audited)."""
    if kind not in KINDS:
        raise InvalidInput(f"no session kind {kind}", {"field": "kind"})
    for field, value in (("username", username), ("password", password)):
        if "\x00" in value:   # PostgreSQL refuses NUL in text: name it instead
            raise InvalidInput(f"{field} contains a NUL character", {"field": field})
    if not password:   # never a bind without a password (it would succeed, anonymous)
        raise InvalidInput("password is required", {"field": "password"})
    name, address = username[:MAX_NAME], address[:64]
    break_glass = limits.break_glass_user is not None and username == limits.break_glass_user
    with db.transaction() as cur:
        access = AccessRepository(cur)
        access.lock_attempts_of(name)
        wait = _wait(access, limits, name, address)
        if wait:
            raise TooManyRequests("too many failed logins; try again later",
                                  {"retry_after_seconds": wait})
        if limits.backend == "ldap" and not break_glass:
            user = directory_login.authenticate(cur, directory, username, password)
        else:
            user = _local_user(Repository(cur), username, password)
        if user is not None:
            access.forget_failures(name, limits.failure_window_seconds)
            session_id = secrets.token_urlsafe(24)
            access.open_session(session_id, user.username, kind, ttl_seconds)
            if break_glass:
                audit.append(cur, user.username, "break_glass_login",
                             details={"address": address, "kind": kind})
            return user, session_id
        access.record_failure(name, address)
        _audit_if_now_waiting(cur, access, limits, name, address)
    raise Unauthorized("unknown user or wrong password", {})


def _local_user(people: Repository, username: str, password: str) -> User | None:
    """The person whose local password this is (the organisation file's)."""
    stored = people.password_hash(username)
    if verifies(stored or _DUMMY_HASH, password) and stored is not None:
        return people.user(username)
    return None


def session_user(db, session_id: str) -> User:
    """The person of a live session: not logged out, not revoked, not expired, and
    still active."""
    with db.transaction() as cur:
        user = AccessRepository(cur).live_session_user(session_id)
    if user is None:
        raise Unauthorized("the session has ended; log in again", {})
    return user


def check_session(db, session_id: str, username: str) -> None:
    """Unauthorized unless the session is live and `username`'s (a call that carries the
    session it acts in, instead of the gateway asking `session_user` first)."""
    if session_user(db, session_id).username != username:
        raise Unauthorized("the session has ended; log in again", {})


def log_out(db, session_id: str) -> None:
    with db.transaction() as cur:
        username = AccessRepository(cur).revoke(session_id, "logged_out")
        if username:
            audit.append(cur, username, "logged_out", details={"session": session_id[:8]})


def revoke_person(db, username: str, deactivate: bool) -> int:
    """An operator ends a person's access now; with `deactivate` they cannot log in
    again until an organisation file names them active."""
    with db.transaction() as cur:
        people = Repository(cur)
        if people.any_password_hash(username) is None:
            raise NotFound(f"no such user: {username}", {"username": username})
        if deactivate:
            people.set_active(username, False)
        return revoke_everything_of(cur, username, "deactivated" if deactivate
                                    else "revoked_by_operator")


def revoke_everything_of(cur, username: str, why: str) -> int:
    """End every session and token of a person (a changed password, deactivated),
    inside the caller's transaction; audited when there was any."""
    return end_sessions(AccessRepository(cur), PostgresAuditTrail(cur), username, why)


def end_sessions(sessions: Sessions, audit_trail: AuditTrail, username: str, why: str) -> int:
    """revoke_everything_of on the ports of a unit of work."""
    count = sessions.revoke_all_of(username, why)
    if count:
        audit_trail.append(username, "sessions_revoked", details={"why": why,
                                                                  "sessions": count})
    return count


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verifies(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _wait(access: AccessRepository, limits: AuthSettings, name: str, address: str) -> int:
    window = limits.failure_window_seconds
    seconds = max(access.seconds_until_below("username", name, limits.failures_per_user,
                                             window),
                  access.seconds_until_below("address", address,
                                             limits.failures_per_address, window))
    return math.ceil(seconds) if seconds > 0 else 0


def _audit_if_now_waiting(cur, access: AccessRepository, limits: AuthSettings, name: str,
                          address: str) -> None:
    """One audit entry when a failure makes the user name or the address wait (not one
    per refused attempt: a flood must not flood the audit trail)."""
    window = limits.failure_window_seconds
    for column, value, limit in (("username", name, limits.failures_per_user),
                                 ("address", address, limits.failures_per_address)):
        if access.failures_within(column, value, window) == limit:
            audit.append(cur, name, "login_throttled",
                         details={"by": column, "address": address, "failures": limit,
                                  "window_seconds": window})
