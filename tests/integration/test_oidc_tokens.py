"""Single sign-on against the real Keycloak of the local stack (issue 16, point 4): the
gateway's issuer (services/gateway/oidc.py) takes Keycloak's own tokens and refuses a
bad signature, a wrong audience, an expired token and an ID token of another sign-in; the
documents service (services/documents/use_cases/sso_logins.py, real PostgreSQL) takes a sign-in's
state once, refreshes or adds the person the issuer vouches for, and keeps out people
Procedura has deactivated or whose department it does not have. Keycloak's people are the
stack's OpenLDAP's: one added there signs in, one disabled there cannot."""
from __future__ import annotations

import base64
import json
import time

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from services.common.oidc_settings import OidcSettings
from services.contracts.errors import InvalidInput, ServiceUnavailable, Unauthorized
from services.documents.use_cases import sso_logins
from services.gateway.oidc import Issuer
from tests import keycloak
from tests.testenv import stack_secrets


@pytest.fixture(scope="module")
def issuer_url():
    return keycloak.require()


@pytest.fixture(scope="module")
def issued(issuer_url):
    """Ana's tokens, as Keycloak gives them to Procedura's client."""
    return keycloak.tokens("ana.popescu", "demo-dj")


def issuer(url: str, clock=None, **settings) -> Issuer:
    return Issuer(OidcSettings(issuer=url, **settings), keycloak.client_secret(), clock)


def _payload(token: str) -> dict:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_keycloaks_access_token_is_taken_and_names_the_person(issuer_url, issued):
    checked = issuer(issuer_url)
    assert checked.issued(issued["access_token"])
    profile = checked.profile(checked.access_token_claims(issued["access_token"]))
    assert (profile.username, profile.department, profile.function) == (
        "ana.popescu", "DJ", "Consilier juridic")
    assert set(profile.roles) == {"reader", "author"}
    assert profile.full_name == "Ana Popescu"


def test_a_token_whose_payload_was_changed_has_a_bad_signature(issuer_url, issued):
    header, payload, signature = issued["access_token"].split(".")
    claims = {**_payload(issued["access_token"]), "groups": ["procedura-approver"]}
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
    forged = f"{header}.{forged_payload.decode()}.{signature}"
    with pytest.raises(Unauthorized) as refused:
        issuer(issuer_url).access_token_claims(forged)
    assert refused.value.details == {"token": "signature"}


def test_a_token_signed_with_another_key_under_keycloaks_key_id_is_refused(issuer_url, issued):
    kid = json.loads(base64.urlsafe_b64decode(issued["access_token"].split(".")[0] + "=="))["kid"]
    ours = RSAKey.generate_key(2048, parameters={"kid": kid})
    forged = jwt.encode({"alg": "RS256", "kid": kid}, _payload(issued["access_token"]), ours)
    with pytest.raises(Unauthorized) as refused:
        issuer(issuer_url).access_token_claims(forged)
    assert refused.value.details == {"token": "signature"}


def test_a_token_for_another_audience_is_refused(issuer_url, issued):
    # Procedura configured to take only tokens meant for another client: Ana's, meant for
    # `procedura`, are then of the wrong audience
    with pytest.raises(Unauthorized) as refused:
        issuer(issuer_url, audience="another-application").access_token_claims(
            issued["access_token"])
    assert refused.value.details == {"token": "aud"}


def test_an_expired_token_is_refused(issuer_url, issued):
    expiry = _payload(issued["access_token"])["exp"]
    later = issuer(issuer_url, clock=lambda: expiry + 31, leeway_seconds=30)
    with pytest.raises(Unauthorized) as refused:
        later.access_token_claims(issued["access_token"])
    assert refused.value.details == {"token": "exp"}
    # within the tolerated clock difference it is still good
    issuer(issuer_url, clock=lambda: expiry + 29, leeway_seconds=30).access_token_claims(
        issued["access_token"])


def test_an_id_token_of_another_sign_in_is_refused_by_its_nonce(issuer_url, issued):
    checked = issuer(issuer_url)
    assert checked.id_token_claims(issued["id_token"], "test-nonce")["sub"]
    with pytest.raises(Unauthorized) as refused:
        checked.id_token_claims(issued["id_token"], "the-nonce-of-this-sign-in")
    assert refused.value.details == {"token": "nonce"}


def test_a_token_of_another_issuer_is_not_taken_as_the_issuers(issuer_url, issued):
    other = issuer(issuer_url.replace("/procedura", "/master"))
    assert not other.issued(issued["access_token"])


def test_an_issuer_that_does_not_answer_is_a_503_naming_it(issued):
    away = issuer("http://127.0.0.1:9/realms/procedura", timeout_seconds=2)
    with pytest.raises(ServiceUnavailable) as refused:
        away.access_token_claims(issued["access_token"])
    assert refused.value.details == {"issuer": "http://127.0.0.1:9/realms/procedura"}


# --- the documents service's side, on the real PostgreSQL --------------------------------
def _profile(**changes) -> dict:
    return {"username": "sso.person", "full_name": "Persoana SSO", "department": "DJ",
            "function": "Consilier", "roles": ["author"], **changes}


def test_a_sign_ins_state_is_taken_once(db):
    state = f"state-{time.time_ns()}"
    sso_logins.take_state(db, state)
    with pytest.raises(Unauthorized) as replayed:
        sso_logins.take_state(db, state)
    assert "replayed" in replayed.value.message and replayed.value.details == {"field": "state"}


def test_a_person_the_issuer_vouches_for_is_added_then_refreshed(db):
    user, session_id = sso_logins.log_in(db, _profile(username="sso.new"), "web", 600)
    assert {r.value for r in user.roles} == {"author", "reader"} and session_id
    again = sso_logins.person(db, _profile(username="sso.new", roles=[], function="Șef"))
    assert [r.value for r in again.roles] == ["reader"]   # no Procedura group: a reader
    with db.transaction() as cur:
        cur.execute("SELECT function, roles FROM staff WHERE username = 'sso.new'")
        assert cur.fetchone() == {"function": "Șef", "roles": ["reader"]}


def test_a_department_not_in_the_register_is_named(db):
    with pytest.raises(InvalidInput) as refused:
        sso_logins.log_in(db, _profile(username="sso.lost", department="XYZ"), "web", 600)
    assert refused.value.details == {"field": "department", "department": "XYZ"}


def test_a_person_procedura_deactivated_stays_out(db):
    sso_logins.person(db, _profile(username="sso.gone"))
    with db.transaction() as cur:
        cur.execute("UPDATE staff SET active = false WHERE username = 'sso.gone'")
    with pytest.raises(Unauthorized):
        sso_logins.log_in(db, _profile(username="sso.gone"), "web", 600)
    with pytest.raises(Unauthorized):
        sso_logins.person(db, _profile(username="sso.gone"))


def test_a_user_name_procedura_does_not_accept_is_named(db):
    with pytest.raises(InvalidInput) as refused:
        sso_logins.person(db, _profile(username="a*)(uid=*"))
    assert refused.value.details == {"field": "username"}


# --- Keycloak's people are the directory's ------------------------------------------------
@pytest.fixture
def directory_person(issuer_url, run_id):
    """A person of the stack's OpenLDAP (where Keycloak finds people), in procedura-author
    of DRU, removed at the end; the IT office's side is the directory admin's (ldap3)."""
    from tests.directory_room import DirectoryRoom

    admin = DirectoryRoom(run_id).admin
    base = stack_secrets()["PROCEDURA_LDAP_BASE_DN"]
    username = f"sso.{run_id}"
    dn, group = f"uid={username},ou=people,{base}", f"cn=procedura-author,ou=groups,{base}"
    admin.add(dn, ["inetOrgPerson"], {
        "uid": username, "cn": "Dana Sso", "sn": "Sso", "givenName": "Dana",
        "displayName": "Dana Sso", "mail": f"{username}@primarie.local",
        "title": "Inspector", "departmentNumber": "DRU", "userPassword": "directory-pass-1"})
    admin.modify(group, {"member": [("MODIFY_ADD", [dn])]})
    yield admin, dn, username
    admin.modify(group, {"member": [("MODIFY_DELETE", [dn])]})
    admin.delete(dn)


def test_a_person_added_to_the_directory_signs_in_and_a_disabled_one_cannot(
        issuer_url, directory_person):
    admin, dn, username = directory_person
    issued = keycloak.tokens(username, "directory-pass-1")
    checked = issuer(issuer_url)
    profile = checked.profile(checked.access_token_claims(issued["access_token"]))
    assert (profile.username, profile.department, profile.roles) == (username, "DRU",
                                                                     ("author",))
    assert profile.full_name == "Dana Sso"

    admin.modify(dn, {"pwdAccountLockedTime": [("MODIFY_REPLACE", ["000001010000Z"])]})
    with pytest.raises(keycloak.Refused):
        keycloak.tokens(username, "directory-pass-1")
