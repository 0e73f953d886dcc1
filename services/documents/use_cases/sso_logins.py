"""Single sign-on (issue 16, point 4): the person an OpenID Connect issuer vouched for.

The gateway checks the issuer's tokens (signature, issuer, audience, expiry, nonce) and
hands over the person as the issuer describes them; here they are refreshed from that
description (name, department, function, roles) and, for the web, given a session like
a password login's (logged out, revoked and deactivated the same way). Somebody the
issuer knows and Procedura does not yet is added; somebody Procedura has deactivated
stays out, whatever the issuer says."""
from __future__ import annotations

import logging
import re
import secrets

from services.contracts.errors import InvalidInput, Unauthorized
from services.contracts.models import Role, User
from services.documents.adapters import audit
from services.documents.adapters.access_repository import AccessRepository
from services.documents.use_cases.logins import KINDS, hash_password

log = logging.getLogger(__name__)
USERNAME = re.compile(r"^[a-z0-9._-]{2,64}$")      # as StaffMember.username
STATE_KEPT_SECONDS = 3600    # longer than a sign-in may take (the gateway's cookie: 10 min)


def take_state(db, state: str) -> None:
    """The state of a sign-in is taken once: Unauthorized when it was taken before."""
    if not state or len(state) > 128 or "\x00" in state:
        raise InvalidInput("the sign-in's state is missing or malformed", {"field": "state"})
    with db.transaction() as cur:
        cur.execute("DELETE FROM sso_states WHERE taken_at < now() - make_interval(secs => %s)",
                    (STATE_KEPT_SECONDS,))
        cur.execute("""INSERT INTO sso_states (state) VALUES (%s)
                       ON CONFLICT (state) DO NOTHING RETURNING state""", (state,))
        if cur.fetchone() is None:
            raise Unauthorized("this sign-in was already completed once (a replayed state); "
                               "sign in again", {"field": "state"})


def log_in(db, profile: dict, kind: str, ttl_seconds: int) -> tuple[User, str]:
    """The person of `profile` (refreshed) and the id of their new session."""
    if kind not in KINDS:
        raise InvalidInput(f"no session kind {kind}", {"field": "kind"})
    with db.transaction() as cur:
        user = _refresh(cur, profile)
        session_id = secrets.token_urlsafe(24)
        AccessRepository(cur).open_session(session_id, user.username, kind, ttl_seconds)
        audit.append(cur, user.username, "logged_in_sso", details={"session": session_id[:8]})
    return user, session_id


def person(db, profile: dict) -> User:
    """The person of an issuer's access token (the API), refreshed; no session: the
    token itself is the credential, until it expires."""
    with db.transaction() as cur:
        return _refresh(cur, profile)


def _refresh(cur, profile: dict) -> User:
    user = _user_of(cur, profile)
    cur.execute("SELECT active, full_name, department, function, roles FROM staff "
                "WHERE username = %s FOR UPDATE", (user.username,))
    row = cur.fetchone()
    roles = [r.value for r in user.roles]
    if row is None:
        # a person the issuer knows and Procedura does not: added, with no password of
        # Procedura's (nobody knows one that verifies), so only the issuer lets them in
        cur.execute("""INSERT INTO staff (username, full_name, department, function, roles,
                                          password_hash, active)
                       VALUES (%s, %s, %s, %s, %s, %s, true)""",
                    (user.username, user.full_name, user.department, user.function, roles,
                     hash_password(secrets.token_urlsafe(32))))
        audit.append(cur, user.username, "staff_added_by_sso",
                     details={"department": user.department, "roles": roles})
        return user
    if not row["active"]:
        raise Unauthorized("this account is deactivated in Procedura", {})
    if (row["full_name"], row["department"], row["function"], list(row["roles"])) != (
            user.full_name, user.department, user.function, roles):
        cur.execute("""UPDATE staff SET full_name = %s, department = %s, function = %s,
                              roles = %s WHERE username = %s""",
                    (user.full_name, user.department, user.function, roles, user.username))
    return user


def _user_of(cur, profile: dict) -> User:
    """The person the issuer describes, checked against Procedura's rules and register."""
    username = str(profile.get("username") or "")
    if not USERNAME.match(username):
        raise InvalidInput("the issuer's user name is not one Procedura accepts "
                           "(2-64 of a-z 0-9 . _ -)", {"field": "username"})
    department = str(profile.get("department") or "")
    cur.execute("SELECT 1 FROM departments WHERE code = %s", (department,))
    if cur.fetchone() is None:
        log.warning("single sign-on refused %s: department %r is not in the register",
                    username, department)
        raise InvalidInput(f"the department {department or '(none)'} that the issuer gives "
                           f"{username} is not in the register of departments",
                           {"field": "department", "department": department})
    known = {r.value for r in Role}
    # a person in no Procedura group reads, as every member of staff does
    roles = sorted({r for r in profile.get("roles") or () if r in known} | {Role.READER.value})
    return User(username=username, department=department,
                full_name=str(profile.get("full_name") or username)[:200],
                function=str(profile.get("function") or "")[:200],
                roles=[Role(r) for r in roles])
