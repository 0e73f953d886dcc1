"""RPCs of logging in and out: a mixin of DocumentsService (which provides `self.db`,
`self.access`, the login settings, and `self.directory`). The gateway is their only
caller besides `procedura doctor`."""
from __future__ import annotations

import json

from services.common.callers import GATEWAY, OPERATORS
from services.common.identity import rpc
from services.contracts.errors import EXPECTED
from services.documents.use_cases import logins
from services.documents.adapters.access_repository import AccessRepository


class Access:
    @rpc(expected_exceptions=EXPECTED)
    def log_in(self, username: str, password: str, address: str, kind: str,
               ttl_seconds: int) -> dict:
        """`{"user", "session_id"}` when the password is right: a new session (`kind`
        api: a bearer token; web: the web interface's cookie). Unauthorized otherwise;
        TooManyRequests (details.retry_after_seconds) while the user name or the client
        `address` has failed too often."""
        user, session_id = logins.log_in(self.db, self.access, username, password, address,
                                         kind, ttl_seconds, self.directory)
        return {"user": user.model_dump(mode="json"), "session_id": session_id}

    @rpc(expected_exceptions=EXPECTED, callers=GATEWAY)
    def session_user(self, session_id: str) -> dict:
        """The person of a live session; Unauthorized once it is logged out, revoked,
        expired or its person deactivated."""
        return logins.session_user(self.db, session_id).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED, callers=GATEWAY)
    def log_out(self, session_id: str) -> None:
        """End a session or token (idempotent)."""
        logins.log_out(self.db, session_id)

    @rpc(expected_exceptions=EXPECTED)
    def revoke_sessions(self, username: str) -> int:
        """End every session and token of a person now (`procedura staff revoke`);
        how many ended. NotFound for someone not in the organisation."""
        return logins.revoke_person(self.db, username, deactivate=False)

    @rpc(expected_exceptions=EXPECTED)
    def deactivate(self, username: str) -> int:
        """The person may no longer log in, and every session and token of theirs ends
        (`procedura staff deactivate`); how many ended."""
        return logins.revoke_person(self.db, username, deactivate=True)

    @rpc(expected_exceptions=EXPECTED, callers=OPERATORS)
    def revoked_sessions(self, revoked_before_seconds: float, limit: int = 200) -> list[dict]:
        """Sessions revoked at least this long ago and not expired yet, newest first:
        `procedura doctor` checks that no gateway still accepts them."""
        with self.db.transaction() as cur:
            rows = AccessRepository(cur).revoked_live(revoked_before_seconds, limit)
        return json.loads(json.dumps(rows, default=str))
