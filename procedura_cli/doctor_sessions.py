"""`procedura doctor`'s check of revoked sessions still cached: a token or web session
revoked (logout, a changed password, a person deactivated) must stop working on every
gateway within seconds. The gateway remembers the person behind a session for a few
seconds on its busiest routes (services/gateway/routes/api_search.py); a revoked session it
still accepts after that is a finding.

The documents service lists the sessions revoked longer ago than `revoked_after`
seconds and not yet expired; each is presented to the gateway in a token naming it,
signed with the auth secret as the gateway's own are, on a route that remembers the
person (search suggestions) and one that does not (/api/me). A 2xx answer means the
gateway still accepts it. With several gateway replicas, this checks the one the
address reaches."""
from __future__ import annotations

import requests

PROBES = ("/api/search/suggest?q=a", "/api/me")


def revoked_session_findings(documents, gateway: str, tokens, revoked_after: float,
                             finding) -> list:
    """`finding(kind, item, detail)` for each revoked session the gateway accepts."""
    found = []
    for session in documents.revoked_sessions(revoked_after, 200):
        headers = {"Authorization": "Bearer " + tokens.issue(session["username"],
                                                             session["id"])}
        for path in PROBES:
            status = requests.get(gateway.rstrip("/") + path, headers=headers,
                                  timeout=10).status_code
            if 200 <= status < 300:
                found.append(finding(
                    "revoked-cached", session["id"][:8],
                    f"{session['kind']} session of {session['username']} revoked at "
                    f"{session['revoked_at']} ({session['revoked_why']}), still accepted "
                    f"by {gateway}{path.split('?')[0]}"))
                break
    return found
