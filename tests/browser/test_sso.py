"""Single sign-on through the city hall's issuer (issue 16, point 4), against the real
Keycloak of the local stack: a person signs in on Keycloak's own login page in Chromium
and logs out of both; the API takes Keycloak's access tokens; a replayed or foreign
callback is refused. The gateway's services find the issuer and the client secret in the
stack's secrets.env (written when Keycloak is started: PROCEDURA_SSO=keycloak)."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from services.gateway.routes.web_sso import SSO_COOKIE, SSO_ID_COOKIE
from services.gateway.ui.session import SESSION_COOKIE
from tests import keycloak

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def issuer():
    return keycloak.require()


def test_sign_in_on_keycloaks_page_then_log_out_of_both(browser, gateway, issuer):
    b = browser().open("/login")
    b.screenshot("sso-login-page")
    assert b.text("#sso-login") == "Autentificare cu contul primăriei"
    b.find("#sso-login").click()
    b.wait(lambda d: d.current_url.startswith(issuer))           # Keycloak's own page
    b.wait_for("#kc-form-login")
    assert b.driver.find_element("css selector", "html").get_attribute("lang") == "ro"
    b.screenshot("sso-keycloak-login")
    b.find("#username").send_keys("stefan.ionescu")
    b.find("#password").send_keys(b.passwords["stefan.ionescu"])
    b.find("#kc-login").click()
    b.wait(lambda d: d.current_url.startswith(gateway))
    assert b.path == "/"
    assert b.text("h1") == "Bună ziua, Ștefan Ionescu"
    assert b.driver.get_cookie(SESSION_COOKIE)["httpOnly"]
    assert b.driver.get_cookie(SSO_COOKIE) is None               # the sign-in is over
    b.screenshot("sso-home")

    b.find("form[action='/logout'] button").click()              # through Keycloak's logout
    b.wait(lambda d: d.current_url.startswith(gateway + "/login"))
    assert "V-ați deconectat" in b.flash()
    assert b.driver.get_cookie(SSO_ID_COOKIE) is None
    b.open("/")
    assert b.path.startswith("/login")                           # Procedura's session ended
    # and Keycloak's: signing in again asks for the password instead of passing through
    b.find("#sso-login").click()
    b.wait(lambda d: d.current_url.startswith(issuer))
    assert b.wait_for("#kc-form-login").is_displayed()
    b.screenshot("sso-keycloak-login-again")


def test_the_api_takes_a_keycloak_access_token(gateway, issuer):
    issued = keycloak.tokens("ana.popescu", "demo-dj")
    bearer = {"Authorization": f"Bearer {issued['access_token']}"}
    me = requests.get(f"{gateway}/api/me", headers=bearer, timeout=30)
    assert me.status_code == 200, me.text
    assert (me.json()["username"], me.json()["department"]) == ("ana.popescu", "DJ")
    assert set(me.json()["roles"]) == {"reader", "author"}
    found = requests.get(f"{gateway}/api/search", params={"q": "procedura"}, headers=bearer,
                         timeout=30)
    assert found.status_code == 200, found.text

    header, payload, signature = issued["access_token"].split(".")
    forged = f"{header}.{payload}.{signature[:-6]}AAAAAA"
    refused = requests.get(f"{gateway}/api/me", timeout=30,
                           headers={"Authorization": f"Bearer {forged}"})
    assert refused.status_code == 401
    assert refused.json()["error"]["details"] == {"token": "signature"}
    # an issuer's token ends at the issuer, not at Procedura's logout
    assert requests.post(f"{gateway}/api/auth/logout", headers=bearer,
                         timeout=30).status_code == 422


def _callback(gateway: str, username: str, password: str) -> tuple[requests.Session, str]:
    """A browser (requests) that started a sign-in at the gateway and logged in at
    Keycloak: the callback URL Keycloak sent it back to, not yet visited."""
    browser = requests.Session()
    start = browser.get(f"{gateway}/login/sso?next=/search", allow_redirects=False,
                        timeout=30)
    assert start.status_code == 303 and browser.cookies.get(SSO_COOKIE)
    query = parse_qs(urlsplit(start.headers["Location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"][0]
    back = keycloak.sign_in(start.headers["Location"], username, password, browser)
    assert back.startswith(f"{gateway}/login/sso/callback?")
    return browser, back


def test_a_replayed_callback_is_refused(gateway, issuer):
    browser, back = _callback(gateway, "radu.munteanu", "demo-dj2")
    pending = browser.cookies.get(SSO_COOKIE)
    first = browser.get(back, allow_redirects=False, timeout=30)
    assert first.status_code == 303 and first.headers["Location"] == "/search"
    assert browser.cookies.get(SESSION_COOKIE)
    # the same answer again, with the sign-in's cookie as it was (copied by an attacker)
    replay = requests.get(back, cookies={SSO_COOKIE: pending}, allow_redirects=False,
                          timeout=30)
    assert replay.status_code == 401
    assert "replayed state" in replay.text
    assert SESSION_COOKIE not in replay.cookies


def test_a_callback_for_another_browsers_sign_in_is_refused(gateway, issuer):
    # the attacker's own sign-in answer, sent into a victim's browser (login CSRF): the
    # victim's sign-in cookie has another state
    _, attackers = _callback(gateway, "radu.munteanu", "demo-dj2")
    victim = requests.Session()
    victim.get(f"{gateway}/login/sso", allow_redirects=False, timeout=30)
    answer = victim.get(attackers, allow_redirects=False, timeout=30)
    assert answer.status_code == 401
    assert "state is not the one this browser started" in answer.text
    assert not victim.cookies.get(SESSION_COOKIE)


def test_a_department_the_register_lacks_is_named_on_the_login_page(gateway, issuer, run_id):
    from tests.directory_room import DirectoryRoom
    from tests.testenv import stack_secrets

    admin = DirectoryRoom(run_id).admin
    username = f"sso.{run_id}.b"
    dn = f"uid={username},ou=people,{stack_secrets()['PROCEDURA_LDAP_BASE_DN']}"
    admin.add(dn, ["inetOrgPerson"], {
        "uid": username, "cn": "Vlad Nou", "sn": "Nou", "givenName": "Vlad",
        "mail": f"{username}@primarie.local", "departmentNumber": "XYZ",
        "userPassword": "directory-pass-2"})
    try:
        browser, back = _callback(gateway, username, "directory-pass-2")
        answer = browser.get(back, allow_redirects=False, timeout=30)
    finally:
        admin.delete(dn)
    assert answer.status_code == 422
    assert "XYZ" in answer.text and "registrul" in answer.text    # said in Romanian
    assert not browser.cookies.get(SESSION_COOKIE)
