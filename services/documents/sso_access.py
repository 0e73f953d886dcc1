"""RPCs of single sign-on: a mixin of DocumentsService (which provides `self.db`). The
gateway is their only caller; it has checked the issuer's tokens before calling."""
from __future__ import annotations

from services.common.callers import GATEWAY
from services.common.identity import rpc
from services.contracts.errors import EXPECTED
from services.documents.use_cases import sso_logins


class SingleSignOn:
    @rpc(expected_exceptions=EXPECTED, callers=GATEWAY)
    def take_sso_state(self, state: str) -> None:
        """Take the state of a sign-in through the issuer; Unauthorized when it was taken
        before (a replayed callback)."""
        sso_logins.take_state(self.db, state)

    @rpc(expected_exceptions=EXPECTED, callers=GATEWAY)
    def log_in_sso(self, profile: dict, kind: str, ttl_seconds: int) -> dict:
        """`{"user", "session_id"}`: a new session of the person the issuer vouched for
        (`profile`: username, full_name, department, function, roles), refreshed from it
        or added. Unauthorized when Procedura has deactivated them; InvalidInput naming
        the field when their user name or department is not one Procedura has."""
        user, session_id = sso_logins.log_in(self.db, profile, kind, ttl_seconds)
        return {"user": user.model_dump(mode="json"), "session_id": session_id}

    @rpc(expected_exceptions=EXPECTED, callers=GATEWAY)
    def sso_user(self, profile: dict) -> dict:
        """The person of an issuer's access token, refreshed from it (the API)."""
        return sso_logins.person(self.db, profile).model_dump(mode="json")
