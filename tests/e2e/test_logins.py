"""Logging in and out through the gateway (issue 12): redirects stay on this site, failed
logins wait past a limit per user name and per address, a token or session can be
revoked (logout, a changed password, a person deactivated) and every gateway process
refuses it within seconds, and the session cookie is Secure over HTTPS.

The test environment trusts loopback as a reverse proxy, so each test claims a client
address of its own with X-Forwarded-For (the suite's other logins come from 127.0.0.1)."""
from __future__ import annotations

import html
import os
import re
import socket
import statistics
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import requests
from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy

from tests.e2e.test_web_interface import CSRF, web_login
from tests.testenv import ROOT, eventually

LOCAL_ONLY = [   # raw query values: encoded, double-encoded, control, backslash, look-alike
    "/%09/evil.example/", "%2F%2Fevil.example", "/%2F/evil.example", "%252F%252Fevil.example",
    "/%5Cevil.example", "%5C%5Cevil.example", "/%0a/evil.example", "/%0d%0a/evil.example",
    "https://evil.example/", "https:%2F%2Fevil.example", "//evil.example", "///evil.example",
    "/%E2%80%8B/evil.example", "%EF%BC%8F%EF%BC%8Fevil.example", "javascript:alert(1)",
    "/%20/evil.example", "%09//evil.example", "/x%0d%0aSet-Cookie:%20stolen=1",
]


def _address() -> dict:
    """A client address of this test alone (TEST-NET-2, never a real client)."""
    return {"X-Forwarded-For": f"198.51.100.{uuid.uuid4().int % 200 + 1}"}


def _token(gateway, username, password, headers=None):
    return requests.post(f"{gateway}/api/auth/token", timeout=30, headers=headers or {},
                         json={"username": username, "password": password})


def _bearer(answer) -> dict:
    assert answer.status_code == 200, answer.text
    return {"Authorization": "Bearer " + answer.json()["access_token"]}


def _local(location: str) -> bool:
    parts = urlsplit(location)
    return (location.startswith("/") and not location.startswith("//") and "\\" not in location
            and not parts.scheme and not parts.netloc and location.isprintable())


@pytest.fixture(scope="module")
def people(environment, gateway):
    """People of this module alone (their passwords change, they are deactivated)."""
    suffix = uuid.uuid4().hex[:6]
    names = {role: f"t{suffix}.{role}" for role in ("locked", "timing", "changed", "leaver",
                                                     "logout", "web", "doctor", "shared",
                                                     "off", "revoked")}
    users = [{"username": name, "full_name": f"Test {role}", "department": "DJ",
              "roles": ["reader"], "password": f"parola-{role}"} for role, name in names.items()]
    with ClusterRpcProxy(environment.config(), timeout=60) as rpc:
        rpc.documents.load_organisation({"departments": [], "users": users})
    return names


def _load(environment, username, password, active=True):
    with ClusterRpcProxy(environment.config(), timeout=60) as rpc:
        rpc.documents.load_organisation({"departments": [], "users": [{
            "username": username, "full_name": "Test", "department": "DJ",
            "roles": ["reader"], "password": password, "active": active}]})


# --- finding 5: redirects --------------------------------------------------------------

@pytest.mark.parametrize("raw", LOCAL_ONLY)
def test_the_language_switch_and_the_login_go_only_to_a_path_of_this_site(gateway, raw):
    switched = requests.get(f"{gateway}/language/en?next={raw}", allow_redirects=False,
                            timeout=30)
    assert switched.status_code == 303, switched.text[:300]
    assert _local(switched.headers["Location"]), switched.headers["Location"]
    assert "stolen" not in switched.headers.get("Set-Cookie", "")

    session, answer = web_login(gateway, "radu.munteanu", "demo-dj2", unquote(raw))
    assert answer.status_code == 303, answer.text[:300]
    assert _local(answer.headers["Location"]), answer.headers["Location"]
    # the login page keeps a next of this site only in its form
    page = requests.get(f"{gateway}/login?next={raw}", timeout=30)
    kept = re.search(r'name="next" value="([^"]*)"', page.text).group(1)
    assert page.status_code == 200 and _local(html.unescape(kept)) and "evil" not in kept


def test_a_path_of_this_site_is_kept(gateway):
    switched = requests.get(f"{gateway}/language/ro?next=/search%3Fq%3Dpetitii",
                            allow_redirects=False, timeout=30)
    assert switched.headers["Location"] == "/search?q=petitii"


# --- finding 6: brute force -----------------------------------------------------------

def test_failed_logins_of_one_user_name_wait_even_with_the_right_password(gateway, people,
                                                                          login):
    name, address = people["locked"], _address()
    for _ in range(5):
        assert _token(gateway, name, "wrong-password", address).status_code == 401
    refused = _token(gateway, name, "parola-locked", address)
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["code"] == "too_many_requests"
    assert 1 <= int(refused.headers["Retry-After"]) <= 900
    # from another address too: the limit is the user name's
    assert _token(gateway, name, "parola-locked", _address()).status_code == 429
    # and on the web login page, with its message
    session = requests.Session()
    page = session.get(f"{gateway}/login", timeout=30)
    answer = session.post(f"{gateway}/login", allow_redirects=False, timeout=30,
                          headers=address,
                          data={"csrf_token": CSRF.search(page.text).group(1),
                                "username": name, "password": "parola-locked", "next": "/"})
    assert answer.status_code == 429 and "Retry-After" in answer.headers
    assert "Prea multe încercări nereușite" in answer.text
    assert "procedura_session" not in answer.headers.get("Set-Cookie", "")
    # the audit trail says so, once
    trail = login("elena.dumitrascu").get("/api/audit", user=name)["items"]
    throttled = [e for e in trail if e["action"] == "login_throttled"]
    assert len(throttled) == 1 and throttled[0]["details"]["by"] == "username"


def test_failed_logins_from_one_address_wait_but_other_addresses_do_not(gateway, people):
    address = _address()
    for n in range(50):   # the address limit (auth.failures_per_address), unknown names
        assert _token(gateway, f"nobody-{uuid.uuid4().hex[:8]}", "x", address).status_code \
            == 401, n
    refused = _token(gateway, "radu.munteanu", "demo-dj2", address)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert _token(gateway, "radu.munteanu", "demo-dj2", _address()).status_code == 200
    # the suite's own address (no X-Forwarded-For) was never counted
    assert _token(gateway, "radu.munteanu", "demo-dj2").status_code == 200


def test_an_unknown_user_takes_as_long_as_a_wrong_password(gateway, people):
    address = _address()

    def seconds(username):
        started = time.monotonic()
        assert _token(gateway, username, "wrong-password", address).status_code == 401
        return time.monotonic() - started

    wrong = statistics.median(seconds(people["timing"]) for _ in range(4))
    unknown = statistics.median(seconds(f"nobody-{uuid.uuid4().hex[:8]}") for _ in range(4))
    assert unknown > 0.5 * wrong, (unknown, wrong)
    assert _token(gateway, people["timing"], "parola-timing", address).status_code == 200


# --- finding 7: revocation ------------------------------------------------------------

def test_logout_revokes_the_token_it_is_called_with(gateway, people):
    name = people["logout"]
    token = _bearer(_token(gateway, name, "parola-logout"))
    other = _bearer(_token(gateway, name, "parola-logout"))
    assert requests.get(f"{gateway}/api/search/suggest?q=po", headers=token,
                        timeout=30).status_code == 200          # remembered for 5 s
    out = requests.post(f"{gateway}/api/auth/logout", headers=token, timeout=30)
    assert out.status_code == 204
    assert requests.get(f"{gateway}/api/me", headers=token, timeout=30).status_code == 401
    eventually(lambda: requests.get(f"{gateway}/api/search/suggest?q=po", headers=token,
                                    timeout=30).status_code == 401, timeout=8)
    assert requests.get(f"{gateway}/api/me", headers=other, timeout=30).status_code == 200
    assert requests.post(f"{gateway}/api/auth/logout", timeout=30).status_code == 401


def test_the_web_logout_ends_the_session_on_the_server(gateway, people):
    browser, answer = web_login(gateway, people["web"], "parola-web")
    assert answer.status_code == 303
    stolen = browser.cookies.get("procedura_session")
    page = browser.get(f"{gateway}/", timeout=30)
    assert page.status_code == 200
    out = browser.post(f"{gateway}/logout", allow_redirects=False, timeout=30,
                       data={"csrf_token": CSRF.search(page.text).group(1)})
    assert out.status_code == 303
    replayed = requests.get(f"{gateway}/", cookies={"procedura_session": stolen},
                            allow_redirects=False, timeout=30)
    assert replayed.status_code == 303 and replayed.headers["Location"].startswith("/login")


def test_a_changed_password_or_a_person_deactivated_ends_every_token_and_session(
        gateway, environment, people):
    name = people["changed"]
    token = _bearer(_token(gateway, name, "parola-changed"))
    browser, _ = web_login(gateway, name, "parola-changed")
    _load(environment, name, "parola-changed")            # the same password: nothing ends
    assert requests.get(f"{gateway}/api/me", headers=token, timeout=30).status_code == 200

    _load(environment, name, "parola-noua-1")
    assert requests.get(f"{gateway}/api/me", headers=token, timeout=30).status_code == 401
    assert browser.get(f"{gateway}/", allow_redirects=False, timeout=30).status_code == 303
    assert _token(gateway, name, "parola-changed").status_code == 401
    assert _token(gateway, name, "parola-noua-1").status_code == 200

    leaver = people["leaver"]
    token = _bearer(_token(gateway, leaver, "parola-leaver"))
    eventually(lambda: requests.get(f"{gateway}/api/search/suggest?q=po", headers=token,
                                    timeout=30).status_code == 200, timeout=10)
    _load(environment, leaver, "parola-leaver", active=False)
    assert requests.get(f"{gateway}/api/me", headers=token, timeout=30).status_code == 401
    eventually(lambda: requests.get(f"{gateway}/api/search/suggest?q=po", headers=token,
                                    timeout=30).status_code == 401, timeout=8)
    assert _token(gateway, leaver, "parola-leaver").status_code == 401
    trail = [e["action"] for e in requests.get(
        f"{gateway}/api/audit", params={"user": leaver}, timeout=30,
        headers=_bearer(_token(gateway, "elena.dumitrascu", "demo-smc"))).json()["items"]]
    assert "sessions_revoked" in trail


def _procedura(environment, *args):
    return subprocess.run([str(ROOT / ".venv" / "bin" / "procedura"), *args],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, **environment.env})


def test_an_operator_ends_a_persons_access_from_the_command_line(gateway, environment,
                                                                 people):
    off, revoked = people["off"], people["revoked"]
    tokens = {name: _bearer(_token(gateway, name, f"parola-{role}"))
              for role, name in (("off", off), ("revoked", revoked))}
    result = _procedura(environment, "staff", "deactivate", off)
    assert result.returncode == 0 and "1 sessions" in result.stdout, result.stderr
    result = _procedura(environment, "staff", "revoke", revoked)
    assert result.returncode == 0, result.stderr
    for name in (off, revoked):
        assert requests.get(f"{gateway}/api/me", headers=tokens[name],
                            timeout=30).status_code == 401
    assert _token(gateway, off, "parola-off").status_code == 401       # no more logins
    assert _token(gateway, revoked, "parola-revoked").status_code == 200   # may come back
    unknown = _procedura(environment, "staff", "revoke", "nobody.at.all")
    assert unknown.returncode == 1 and "no such user" in unknown.stderr


@pytest.fixture(scope="module")
def forgetful_gateway(environment, services):
    """A second gateway process of this environment that remembers people for 5 minutes
    (a misconfigured replica): what `procedura doctor` is there to notice."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{probe.getsockname()[1]}"
    log = open(Path(environment.env["PROCEDURA_RUN_DIR"]) / "forgetful-gateway.log", "ab")
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "nameko"), "run", "--config",
         str(ROOT / "config" / "procedura.yaml"), "services.gateway.service:GatewayService"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        env={**environment.environ("gateway"), "PROCEDURA_GATEWAY_ADDRESS": address,
             "PROCEDURA_SESSION_CACHE_SECONDS": "60"})
    try:
        def up():
            try:
                return requests.get(f"http://{address}/healthz", timeout=2).ok
            except requests.RequestException:
                return False
        eventually(up, timeout=60)
        yield f"http://{address}"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        log.close()


def test_doctor_reports_a_revoked_token_a_gateway_still_accepts(gateway, environment, people,
                                                                forgetful_gateway):
    name = people["doctor"]
    token = _bearer(_token(gateway, name, "parola-doctor"))
    for url in (gateway, forgetful_gateway):       # each now remembers the person
        assert requests.get(f"{url}/api/search/suggest?q=po", headers=token,
                            timeout=30).status_code == 200
    assert requests.post(f"{gateway}/api/auth/logout", headers=token,
                         timeout=30).status_code == 204
    # the other process refuses it at once where it does not remember people
    assert requests.get(f"{forgetful_gateway}/api/me", headers=token,
                        timeout=30).status_code == 401

    def doctor(url):
        result = subprocess.run(
            [str(ROOT / ".venv" / "bin" / "procedura"), "doctor", "--accept-failed",
             "--revoked-after", "6", "--gateway", url], capture_output=True, text=True,
            timeout=300, env={**os.environ, **environment.env})
        return [line for line in result.stdout.splitlines()
                if line.startswith("revoked-cached") and name in line], result

    time.sleep(7)   # longer than the gateway's 5 s and doctor's --revoked-after
    found, result = doctor(forgetful_gateway)
    assert len(found) == 1 and "logged_out" in found[0], result.stdout + result.stderr
    assert result.returncode == 1
    found, result = doctor(gateway)
    assert not found, result.stdout + result.stderr


def test_failed_logins_and_logouts_count_on_every_gateway_process(gateway, people,
                                                                   forgetful_gateway):
    name, address = people["shared"], _address()
    for url in (gateway, forgetful_gateway, gateway, forgetful_gateway, gateway):
        assert _token(url, name, "wrong-password", address).status_code == 401
    assert _token(forgetful_gateway, name, "parola-shared", _address()).status_code == 429


# --- finding 10: the session cookie over HTTPS ----------------------------------------

def test_the_session_cookie_is_secure_when_the_site_is_served_over_https(gateway, people):
    https = {"X-Forwarded-Proto": "https"}      # as the city hall's TLS proxy sends it
    page = requests.get(f"{gateway}/login", headers=https, timeout=30)
    assert "Secure" in page.headers["Set-Cookie"]
    answer = requests.post(
        f"{gateway}/login", allow_redirects=False, timeout=30, headers=https,
        cookies={"procedura_login_csrf": page.cookies.get("procedura_login_csrf")},
        data={"csrf_token": CSRF.search(page.text).group(1), "username": "radu.munteanu",
              "password": "demo-dj2", "next": "/"})
    assert answer.status_code == 303
    cookie = answer.headers["Set-Cookie"]
    assert "procedura_session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie
    language = requests.get(f"{gateway}/language/en?next=/", headers=https,
                            allow_redirects=False, timeout=30)
    assert "Secure" in language.headers["Set-Cookie"]
