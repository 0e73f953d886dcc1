"""The administration page's organisation import: a file made to take long or grow large
(billion laughs, deep nesting) is refused quickly with 422 naming what is wrong, and
the gateway keeps answering other requests while it is read (in a child process)."""
from __future__ import annotations

import threading
import time
import uuid

import pytest
import requests

from procedura_cli.client import Client
from tests.e2e.test_web_interface import CSRF, web_login


def _laughs() -> str:
    """Billion laughs: nine levels of ten aliases each, 10^9 entries from 400 bytes."""
    lines = ['lol0: &lol0 "lol"']
    lines += [f"lol{i}: &lol{i} [{', '.join([f'*lol{i - 1}'] * 10)}]" for i in range(1, 10)]
    return "\n".join(lines) + "\ndepartments: *lol9\nusers: *lol9\n"


def _merge_laughs() -> str:
    """The same through merge keys (`<<`), which PyYAML's safe loader copies: each level
    ten times the last, 10^7 keys from 550 bytes; reading it held the gateway ~10 s."""
    lines = ["m0: &m0 {k0: v}"]
    lines += [f"m{i}: &m{i} {{<<: [{', '.join([f'*m{i - 1}'] * 10)}], k{i}: v}}"
              for i in range(1, 8)]
    return "\n".join(lines) + "\ndepartments: []\nusers: []\n"


@pytest.fixture(scope="module")
def office(gateway, org):
    password = {u["username"]: u["password"] for u in org["users"]}["elena.dumitrascu"]
    session, answer = web_login(gateway, "elena.dumitrascu", password)
    assert answer.status_code == 303
    return session


@pytest.mark.parametrize("text,problem", [
    (_laughs(), "aliasurile (*nume) nu sunt permise"),
    (_merge_laughs(), "aliasurile (*nume) nu sunt permise"),
    ("[" * 100_000, "fișierul are mai mult de 8 niveluri imbricate"),
    ("departments:\n" + "".join(" " * n + "a:\n" for n in range(1, 1500)),
     "fișierul are mai mult de 8 niveluri imbricate"),
], ids=["billion-laughs", "merge-keys", "deep-flow", "deep-block"])
def test_a_crafted_yaml_is_422_quickly_while_the_gateway_answers_others(gateway, office,
                                                                          text, problem):
    token = CSRF.search(office.get(f"{gateway}/admin", timeout=30).text).group(1)
    answer: dict = {}

    def upload():
        started = time.monotonic()
        answer["response"] = office.post(
            f"{gateway}/admin/organisation", timeout=60, data={"csrf_token": token},
            files={"file": ("organizare.yaml", text.encode(), "application/x-yaml")})
        answer["seconds"] = time.monotonic() - started

    importing = threading.Thread(target=upload)
    importing.start()
    slowest = 0.0
    while importing.is_alive():   # meanwhile, another request to the same gateway
        started = time.monotonic()
        assert requests.get(f"{gateway}/healthz", timeout=30).status_code == 200
        slowest = max(slowest, time.monotonic() - started)
        time.sleep(0.05)
    importing.join()
    response = answer["response"]
    assert response.status_code == 422, response.text[:500]
    assert problem in response.text
    assert answer["seconds"] < 10
    assert slowest < 1.0, f"/healthz took {slowest:.1f} s while the file was read"


def test_a_good_file_is_still_loaded(gateway, office):
    department, username = f"T{uuid.uuid4().hex[:6].upper()}", f"ion.{uuid.uuid4().hex[:6]}"
    text = (f'departments:\n  - {{code: {department}, name: "Compartiment de test"}}\n'
            f"users:\n  - {{username: {username}, full_name: Ion Import, "
            f"department: {department}, roles: [reader], password: parola-import}}\n")
    token = CSRF.search(office.get(f"{gateway}/admin", timeout=30).text).group(1)
    response = office.post(f"{gateway}/admin/organisation", timeout=60,
                           data={"csrf_token": token},
                           files={"file": ("organizare.yaml", text.encode(), "text/yaml")})
    assert response.status_code == 200, response.text[:500]
    assert "organizare.yaml a fost importat (compartimente: 1" in response.text
    person = Client.login(gateway, username, "parola-import").get("/api/me")
    assert (person["department"], person["full_name"]) == (department, "Ion Import")


def test_a_file_past_the_size_limit_is_refused_by_its_size_not_as_an_expired_form(
        gateway, office):
    token = CSRF.search(office.get(f"{gateway}/admin", timeout=30).text).group(1)
    big = b"departments: []\nusers: []\n" + b"# " + b"x" * (3 * 1024 * 1024) + b"\n"
    response = office.post(f"{gateway}/admin/organisation", timeout=60,
                           data={"csrf_token": token},
                           files={"file": ("organizare.yaml", big, "application/x-yaml")})
    assert response.status_code == 413
    assert "the organisation file is larger than 2 MB" in response.text
    assert "expired" not in response.text
