"""The gateway's search routes look the person behind a token up at most once per
`auth.session_cache_seconds` (services/gateway/routes/api_search.py)."""
from types import SimpleNamespace

import pytest

from services.contracts.errors import Unauthorized
from services.gateway.auth import Claims
from services.gateway.routes import api_search
from services.gateway.routing import Deps


CACHE_SECONDS = 5.0


class Directory:
    """The documents service's `session_user`, counting the calls."""

    def __init__(self):
        self.calls = 0
        self.department = "DJ"
        self.gone = False

    def session_user(self, session_id):
        self.calls += 1
        if self.gone:
            raise Unauthorized("the session has ended", {})
        return {"username": session_id, "full_name": "Radu Munteanu", "function": "Consilier",
                "department": self.department, "roles": ["reader"]}


class Tokens:
    def claims(self, header):
        return Claims(header.split()[-1], header.split()[-1])


@pytest.fixture
def routes(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(api_search.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(api_search, "_users", {})
    deps = Deps(documents=Directory(), config=SimpleNamespace(
        tokens=Tokens(), settings=SimpleNamespace(
            auth=SimpleNamespace(session_cache_seconds=CACHE_SECONDS))))
    return SimpleNamespace(documents=deps.documents, clock=clock,
                           _search_user=lambda request: api_search.search_user(deps, request))


def request(username):
    return SimpleNamespace(headers={"Authorization": f"Bearer {username}"})


def test_one_lookup_per_person_within_the_delay(routes):
    for _ in range(5):
        assert routes._search_user(request("radu")).department == "DJ"
    assert routes.documents.calls == 1
    routes._search_user(request("ana"))
    assert routes.documents.calls == 2


def test_a_change_is_seen_after_the_delay(routes):
    routes._search_user(request("radu"))
    routes.documents.department = "RP"
    routes.clock[0] += CACHE_SECONDS - 0.1
    assert routes._search_user(request("radu")).department == "DJ"
    routes.clock[0] += 0.2
    assert routes._search_user(request("radu")).department == "RP"
    routes.documents.gone = True
    routes.clock[0] += CACHE_SECONDS + 1
    with pytest.raises(Unauthorized):
        routes._search_user(request("radu"))
