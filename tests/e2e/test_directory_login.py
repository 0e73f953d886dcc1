"""Issue 16's acceptance, through the gateway: the IT office adds a person to the directory
with ldapadd, into cn=procedura-author, department DRU; they log in with their directory
password and GET /api/me shows DRU and the author role; once they are deleted from the
directory and `procedura directory sync` runs, their token answers 401.

Procedura runs here with `auth.backend: ldap` on a room of its own in the stack's OpenLDAP
(tests/directory_room.py): the documents service and the gateway as their own `nameko
run` processes (the others play no part in logging in), the sync as the operators run it."""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
import requests

from procedura_cli.demo import organisation
from tests.directory_room import ADMIN_DN, LDAP_URL, DirectoryRoom
from tests import testenv
from tests.e2e.test_web_interface import CSRF, web_login
from tests.testenv import ROOT

BIN = Path(os.environ.get("PROCEDURA_VENV", ROOT / ".venv")) / "bin"
CONFIG = str(ROOT / "config" / "procedura.yaml")
PROCESSES = {"documents": "services.documents.service:DocumentsService",
             "gateway": "services.gateway.service:GatewayService"}


@pytest.fixture(scope="module")
def directory_gateway(stack, run_id, tmp_path_factory):
    room = DirectoryRoom(f"{run_id}-e2e")
    room.create()
    # a colleague who stays: a directory that answers with nobody is refused by the sync
    room.add_person("maria.ramane", "parola-maria-1", department="DRU", roles=("verifier",))
    env = testenv.TestEnvironment(f"{run_id}dir")
    env.env.update(room.environment())
    env.create()
    logs = tmp_path_factory.mktemp("directory-services")
    processes = []
    try:
        subprocess.run([str(BIN / "procedura"), "--config", CONFIG, "migrate"],
                       env=env.environ(), cwd=ROOT, check=True, capture_output=True,
                       timeout=120)
        for name, target in PROCESSES.items():
            processes.append(subprocess.Popen(
                [str(BIN / "nameko"), "run", "--config", CONFIG, target], cwd=ROOT,
                env=env.environ(name), stdout=open(logs / f"{name}.log", "w"),
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
        _wait_for_login_route(env.gateway, logs)
        from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy
        with ClusterRpcProxy(env.config(), timeout=60) as rpc:
            counts = rpc.documents.load_organisation(organisation())
        assert counts["users"] == 0   # the directory is the source of people
        yield env, room
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        env.destroy()
        room.destroy()


def _wait_for_login_route(gateway: str, logs: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            answer = requests.post(f"{gateway}/api/auth/token", timeout=5,
                                   json={"username": "nimeni", "password": "nimic-nimic"})
            if answer.status_code in (401, 503):   # the documents service answered
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    raise AssertionError("the gateway and documents did not come up:\n" + "\n".join(
        p.read_text()[-2000:] for p in logs.iterdir()))


def _ldap(tool: str, room: DirectoryRoom, *args: str, stdin: str = "") -> None:
    """An ldap-utils tool as the IT office runs it: StartTLS, the stack's CA, its admin."""
    secret = room.secrets["PROCEDURA_LDAP_ADMIN_PASSWORD"]
    result = subprocess.run([tool, "-x", "-ZZ", "-H", LDAP_URL, "-D", ADMIN_DN, "-w", secret,
                             *args], input=stdin, text=True, capture_output=True, timeout=30,
                            env={**os.environ, "LDAPTLS_CACERT": room.ca_file})
    assert result.returncode == 0, result.stderr


def test_a_person_added_with_ldapadd_logs_in_and_after_deletion_and_sync_their_token_is_refused(
        directory_gateway):
    env, room = directory_gateway
    person = room.person_dn("ion.nou")
    _ldap("ldapadd", room, stdin=f"""dn: {person}
objectClass: inetOrgPerson
uid: ion.nou
cn: Ion Nou
sn: Nou
displayName: Ion Nou
title: Inspector resurse umane
departmentNumber: DRU
userPassword: parola-din-director

dn: cn=procedura-author,{room.groups}
objectClass: groupOfNames
cn: procedura-author
member: {person}
""")
    answer = requests.post(f"{env.gateway}/api/auth/token", timeout=30,
                           json={"username": "ion.nou", "password": "parola-din-director"})
    assert answer.status_code == 200, answer.text
    headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    me = requests.get(f"{env.gateway}/api/me", headers=headers, timeout=30)
    assert me.status_code == 200
    assert me.json()["department"] == "DRU" and "author" in me.json()["roles"]

    _ldap("ldapdelete", room, f"cn=procedura-author,{room.groups}", person)
    sync = subprocess.run([str(BIN / "procedura"), "--config", CONFIG, "directory", "sync"],
                          env=env.environ(), cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert sync.returncode == 0, sync.stdout + sync.stderr
    assert "deactivated ion.nou (not_in_directory)" in sync.stdout
    assert requests.get(f"{env.gateway}/api/me", headers=headers, timeout=30).status_code == 401
    status = subprocess.run([str(BIN / "procedura"), "--config", CONFIG, "directory", "status"],
                            env=env.environ(), cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert status.returncode == 0 and ": answers" in status.stdout, status.stdout + status.stderr
    assert "1 deactivated" in status.stdout


def test_wrong_password_answers_401_and_empty_password_422(directory_gateway):
    env, _ = directory_gateway
    wrong = requests.post(f"{env.gateway}/api/auth/token", timeout=30,
                          json={"username": "ion.nimeni", "password": "gresita"})
    assert wrong.status_code == 401
    empty = requests.post(f"{env.gateway}/api/auth/token", timeout=30,
                          json={"username": "ion.nimeni", "password": ""})
    assert empty.status_code == 422 and empty.json()["error"]["details"]["field"] == "password"


def test_the_web_login_names_a_department_the_register_lacks(directory_gateway):
    env, room = directory_gateway
    room.add_person("dan.strain", "parola-dan-strain", department="XYZ")
    _, answer = web_login(env.gateway, "dan.strain", "parola-dan-strain")
    assert answer.status_code == 403
    assert "XYZ" in answer.text and 'id="login-error"' in answer.text


def test_the_quality_office_sees_the_directory_and_runs_a_dry_run_from_the_administration_page(
        directory_gateway):
    env, room = directory_gateway
    room.add_person("ema.calitate", "parola-ema-calitate", department="SMC",
                    roles=("qms_admin",))
    room.add_person("noua.colega", "parola-noua-colega", department="DJ")
    session, answer = web_login(env.gateway, "ema.calitate", "parola-ema-calitate", "/admin")
    assert answer.status_code == 303
    admin = session.get(f"{env.gateway}/admin", timeout=30)
    assert admin.status_code == 200 and 'id="directory"' in admin.text
    token = CSRF.search(admin.text).group(1)
    dry = session.post(f"{env.gateway}/admin/directory/sync", timeout=60,
                       data={"csrf_token": token, "dry_run": "1"})
    assert dry.status_code == 200 and 'id="sync-report"' in dry.text
    assert "noua.colega" in dry.text
    with_status = session.get(f"{env.gateway}/admin", timeout=30).text
    assert "noua.colega" not in with_status.split('id="directory-sync"')[1]   # not applied
