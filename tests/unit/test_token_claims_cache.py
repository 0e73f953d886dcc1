"""A gateway process checks each bearer token once and remembers its claims until the
token expires (services/common/tokens.py): a search box sends the same token on every
keystroke. Expired, forged and refused tokens stay refused."""
import time
from dataclasses import dataclass

import pytest

from services.common import tokens as tokens_module
from services.common.tokens import Tokens
from services.contracts.errors import Unauthorized


@pytest.fixture
def clock(monkeypatch):
    """The wall clock, as both the tokens' cache and itsdangerous read it."""
    now = [time.time()]
    monkeypatch.setattr(time, "time", lambda: now[0])
    return now


def counting(tokens: Tokens) -> list[int]:
    """Counts the signature checks of `tokens`."""
    checks = [0]
    loads = tokens._serializer.loads

    def counted(*args, **kwargs):
        checks[0] += 1
        return loads(*args, **kwargs)

    tokens._serializer.loads = counted
    return checks


def test_a_token_is_checked_once_while_it_lives(clock):
    tokens = Tokens("a-secret-of-sixteen+", 60)
    header = "Bearer " + tokens.issue("ana.popescu", "s-1")
    checks = counting(tokens)
    for _ in range(5):
        claims = tokens.claims(header)
        assert (claims.username, claims.session_id) == ("ana.popescu", "s-1")
    assert checks[0] == 1
    # another token (another session) is checked on its own
    assert tokens.claims("Bearer " + tokens.issue("ana.popescu", "s-2")).session_id == "s-2"
    assert checks[0] == 2


def test_a_remembered_token_is_refused_once_it_expires(clock):
    tokens = Tokens("a-secret-of-sixteen+", 60)
    header = "Bearer " + tokens.issue("ana.popescu", "s-1")
    tokens.claims(header)
    clock[0] += 59
    assert tokens.claims(header).username == "ana.popescu"
    clock[0] += 3
    with pytest.raises(Unauthorized, match="expired"):
        tokens.claims(header)


def test_refused_tokens_stay_refused_and_are_checked_each_time(clock):
    tokens = Tokens("a-secret-of-sixteen+", 60)
    forged = "Bearer " + Tokens("another-secret-16chars", 60).issue("ana", "s")
    checks = counting(tokens)
    for _ in range(3):
        with pytest.raises(Unauthorized, match="invalid"):
            tokens.claims(forged)
    assert checks[0] == 3
    assert tokens._checked == {}


def test_the_tokens_themselves_are_not_kept(clock):
    tokens = Tokens("a-secret-of-sixteen+", 60)
    token = tokens.issue("ana.popescu", "s-1")
    tokens.claims("Bearer " + token)
    assert token not in repr(tokens._checked) and token.encode() not in tokens._checked


def test_the_memory_is_bounded(clock, monkeypatch):
    monkeypatch.setattr(tokens_module, "REMEMBERED_TOKENS", 3)
    tokens = Tokens("a-secret-of-sixteen+", 60)
    for session in range(10):
        tokens.claims("Bearer " + tokens.issue("ana", f"s-{session}"))
        assert len(tokens._checked) <= 3


@dataclass
class Profile:
    username: str

    def as_dict(self) -> dict:
        return {"username": self.username}


class FakeIssuer:
    """The single sign-on issuer's port (services/common/tokens.py Issuer), counting the
    tokens it verifies."""

    def __init__(self, expires: float):
        self.expires = expires
        self.verified = 0

    def issued(self, token: str) -> bool:
        return token.startswith("issuer.")

    def access_token_claims(self, token: str) -> dict:
        self.verified += 1
        if time.time() >= self.expires:
            raise Unauthorized("the token has expired", {"token": "exp"})
        return {"preferred_username": token.split(".")[1], "exp": int(self.expires)}

    def profile(self, claims: dict) -> Profile:
        return Profile(claims["preferred_username"])


def test_an_issuers_token_is_verified_once_until_its_exp(clock):
    issuer = FakeIssuer(expires=clock[0] + 30)
    tokens = Tokens("a-secret-of-sixteen+", 60, issuer)
    for _ in range(4):
        claims = tokens.claims("Bearer issuer.radu.signature")
        assert (claims.username, claims.session_id) == ("radu", None)
        assert claims.token_id.startswith("issuer:") and "signature" not in claims.token_id
    assert issuer.verified == 1
    clock[0] += 31
    with pytest.raises(Unauthorized, match="expired"):
        tokens.claims("Bearer issuer.radu.signature")
    assert issuer.verified == 2
