"""Logging in against the real OpenLDAP of the stack and the sync: each test in a room of
its own in the directory (tests/directory_room.py), the documents schema of this run."""
from __future__ import annotations

import itertools
import socket
import threading
import time

import pytest

from services.common.settings import AuthSettings
from services.contracts.errors import (
    Forbidden, InvalidInput, ServiceUnavailable, Unauthorized)
from services.documents.use_cases import directory_sync, logins
from services.documents.adapters.directory import Directory, WrongCredentials
from tests.directory_room import LDAPS_URL, DirectoryRoom

_rooms = itertools.count()


@pytest.fixture
def room(db, run_id):
    room = DirectoryRoom(f"{run_id}-i{next(_rooms)}")
    room.create()
    with db.transaction() as cur:
        cur.execute("INSERT INTO departments (code, name) VALUES ('DRU', 'Resurse Umane') "
                    "ON CONFLICT DO NOTHING")
        # people of earlier tests' rooms are gone from the directory: not this test's
        cur.execute("UPDATE staff SET active = false WHERE source = 'directory'")
    yield room
    room.destroy()


def directory_of(room, **changes) -> Directory:
    return Directory(room.settings(**changes))


def log_in(db, directory, username, password, address="10.9.0.1", **auth):
    limits = AuthSettings(backend="ldap", **auth)
    return logins.log_in(db, limits, username, password, address, "api", 600, directory)


def staff_row(db, username):
    with db.transaction() as cur:
        cur.execute("SELECT * FROM staff WHERE username = %s", (username,))
        return cur.fetchone()


def test_a_person_logs_in_with_their_directory_password_and_brings_what_it_says(db, room):
    room.add_person("dir.ana", "parola-ana-1", department="DRU", roles=("author", "verifier"),
                    full_name="Ana Directorescu", function="Inspector")
    user, session = log_in(db, directory_of(room), "dir.ana", "parola-ana-1")
    assert (user.username, user.department, user.function, user.full_name) == \
        ("dir.ana", "DRU", "Inspector", "Ana Directorescu")
    assert sorted(r.value for r in user.roles) == ["author", "reader", "verifier"]
    row = staff_row(db, "dir.ana")
    assert (row["source"], row["email"]) == ("directory", "dir.ana@primarie.local")
    assert logins.session_user(db, session).username == "dir.ana"
    # the next login takes the directory's changes (department, groups) at once
    room.set("dir.ana", departmentNumber="DJ")
    room.leave("dir.ana", "verifier")
    user, _ = log_in(db, directory_of(room), "dir.ana", "parola-ana-1")
    assert user.department == "DJ" and sorted(r.value for r in user.roles) == ["author", "reader"]


def test_wrong_password_unknown_user_and_empty_password_are_refused(db, room):
    room.add_person("dir.bob", "parola-bob-1")
    directory = directory_of(room)
    for username, password in (("dir.bob", "gresita"), ("dir.nobody", "parola-bob-1")):
        with pytest.raises(Unauthorized):
            log_in(db, directory, username, password)
    with pytest.raises(InvalidInput) as refused:
        log_in(db, directory, "dir.bob", "")
    assert refused.value.details == {"field": "password"}
    # OpenLDAP takes a bind with a DN and no password as an anonymous one: the directory
    # itself never tries it
    with pytest.raises(WrongCredentials):
        directory.authenticate("dir.bob", "")


@pytest.mark.parametrize("username", ["*", "dir.c*", "dir.carol)(uid=*", "*)(|(uid=*",
                                      "dir.carol\\", "(uid=dir.carol)"])
def test_filter_injection_in_the_user_name_finds_nobody(db, room, username):
    room.add_person("dir.carol", "parola-carol-1")
    with pytest.raises(Unauthorized):
        log_in(db, directory_of(room), username, "parola-carol-1")


def test_a_nul_in_the_user_name_is_named_not_searched(db, room):
    with pytest.raises(InvalidInput) as refused:
        log_in(db, directory_of(room), "dir.carol\x00", "parola-carol-1")
    assert refused.value.details == {"field": "username"}
    with pytest.raises(WrongCredentials):
        directory_of(room).authenticate("*\x00", "x")


def test_a_disabled_account_is_refused_and_the_sync_deactivates_it(db, room):
    room.add_person("dir.dan", "parola-dan-1")
    directory = directory_of(room)
    _, session = log_in(db, directory, "dir.dan", "parola-dan-1")
    room.lock("dir.dan")
    with pytest.raises(Unauthorized):
        log_in(db, directory, "dir.dan", "parola-dan-1")
    result = directory_sync.sync(db, directory, "cli", None)
    assert result["report"]["deactivated"] == [{"username": "dir.dan", "why": "disabled"}]
    with pytest.raises(Unauthorized):
        logins.session_user(db, session)
    # back in the directory with their groups of today (Alfresco/alfresco-community-repo#2998)
    room.unlock("dir.dan")
    room.join("dir.dan", "endorser")
    user, _ = log_in(db, directory, "dir.dan", "parola-dan-1")
    assert sorted(r.value for r in user.roles) == ["author", "endorser", "reader"]


def test_a_person_in_no_procedura_group_reads_or_is_refused_as_configured(db, room):
    room.add_person("dir.eva", "parola-eva-1", roles=())
    user, _ = log_in(db, directory_of(room), "dir.eva", "parola-eva-1")
    assert [r.value for r in user.roles] == ["reader"]
    strict = directory_of(room, roles={"without_group": "refuse"})
    with pytest.raises(Forbidden) as refused:
        log_in(db, strict, "dir.eva", "parola-eva-1")
    assert refused.value.details["reason"] == "no_group"


def test_a_department_not_in_the_register_is_named_not_a_500(db, room, caplog):
    room.add_person("dir.fil", "parola-fil-1", department="XYZ")
    with pytest.raises(Forbidden) as refused:
        log_in(db, directory_of(room), "dir.fil", "parola-fil-1")
    assert refused.value.details == {"reason": "unknown_department", "department": "XYZ"}
    assert "XYZ" in refused.value.message and "XYZ" in caplog.text
    result = directory_sync.sync(db, directory_of(room), "cli", None)
    assert result["report"]["errors"] == [{"username": "dir.fil", "department": "XYZ", "problem":
                                           "department 'XYZ' is not in the register of departments"}]
    assert staff_row(db, "dir.fil") is None


def test_a_directory_that_cannot_be_reached_answers_503_and_open_sessions_go_on(db, room):
    room.add_person("dir.gia", "parola-gia-1")
    _, session = log_in(db, directory_of(room), "dir.gia", "parola-gia-1")
    down = directory_of(room, urls=("ldap://127.0.0.1:9",))
    with pytest.raises(ServiceUnavailable) as refused:
        log_in(db, down, "dir.gia", "parola-gia-1")
    assert refused.value.details == {"directory": "ldap://127.0.0.1:9"}
    assert logins.session_user(db, session).username == "dir.gia"
    with pytest.raises(ServiceUnavailable):
        directory_sync.sync(db, down, "timer", None)
    assert staff_row(db, "dir.gia")["active"]     # nothing deactivated


def test_a_slow_directory_times_out(db, room):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    held = []
    threading.Thread(target=lambda: [held.append(silent.accept()) for _ in range(8)],
                     daemon=True).start()
    slow = directory_of(room, urls=(f"ldap://127.0.0.1:{silent.getsockname()[1]}",),
                        timeout_seconds=1)
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable):
        log_in(db, slow, "dir.hal", "parola-hal-1")
    assert time.monotonic() - started < 5
    silent.close()


def test_the_certificate_is_verified_and_ldaps_works(db, room):
    room.add_person("dir.ion", "parola-ion-1")
    user, _ = log_in(db, directory_of(room, urls=(LDAPS_URL,)), "dir.ion", "parola-ion-1")
    assert user.username == "dir.ion"
    # the stack's CA is not among the system's: without it the server is not trusted
    for url in (LDAPS_URL, room.settings().urls[0]):
        with pytest.raises(ServiceUnavailable):
            log_in(db, directory_of(room, urls=(url,), ca_file=None), "dir.ion", "parola-ion-1")


def test_roles_from_the_memberof_attribute(db, room):
    room.add_person("dir.jan", "parola-jan-1", roles=("approver",))
    by_attribute = directory_of(room, roles={"source": "attribute"})
    user, _ = log_in(db, by_attribute, "dir.jan", "parola-jan-1")
    assert sorted(r.value for r in user.roles) == ["approver", "reader"]


def test_the_sync_adds_changes_and_deactivates_and_a_dry_run_changes_nothing(db, room):
    for name in ("dir.ka", "dir.kb", "dir.kc"):
        room.add_person(name, "parola-k-1")
    directory = directory_of(room)
    dry = directory_sync.sync(db, directory, "cli", None, dry_run=True)
    assert sorted(p["username"] for p in dry["report"]["added"]) == ["dir.ka", "dir.kb", "dir.kc"]
    assert staff_row(db, "dir.ka") is None
    added = directory_sync.sync(db, directory, "cli", None)
    assert added["outcome"] == "done" and len(added["report"]["added"]) == 3
    assert staff_row(db, "dir.kb")["active"]          # before any login: on distribution lists
    _, session = log_in(db, directory, "dir.kc", "parola-k-1")
    room.set("dir.ka", departmentNumber="DRU")
    room.join("dir.ka", "qms_admin")
    room.delete("dir.kc")
    result = directory_sync.sync(db, directory, "cli", None)
    assert result["report"]["changed"] == [{"username": "dir.ka", "changes": {
        "department": ["DJ", "DRU"], "roles": [["reader", "author"],
                                               ["reader", "author", "qms_admin"]]}}]
    assert result["report"]["deactivated"] == [{"username": "dir.kc", "why": "not_in_directory"}]
    assert not staff_row(db, "dir.kc")["active"]
    with pytest.raises(Unauthorized):
        logins.session_user(db, session)


def test_a_mass_deactivation_or_an_empty_answer_is_refused_unless_forced(db, room):
    names = [f"dir.m{i}" for i in range(6)]
    for name in names:
        room.add_person(name, "parola-m-1")
    directory = directory_of(room)
    directory_sync.sync(db, directory, "cli", None)
    for name in names[:4]:
        room.delete(name)
    refused = directory_sync.sync(db, directory, "cli", None)
    assert refused["outcome"] == "refused" and "4 of 6" in refused["error"]
    assert all(staff_row(db, n)["active"] for n in names)
    # a wrong search base answers with nobody
    nobody = directory_of(room, user_base=room.groups)
    assert directory_sync.sync(db, nobody, "cli", None, force=False)["outcome"] == "refused"
    forced = directory_sync.sync(db, directory, "cli", None, force=True)
    assert forced["outcome"] == "done" and len(forced["report"]["deactivated"]) == 4
    assert [staff_row(db, n)["active"] for n in names] == [False] * 4 + [True] * 2


def test_break_glass_account_logs_in_locally_and_is_audited(db, room):
    from services.contracts.models import User
    from services.documents.adapters.repository import Repository

    with db.transaction() as cur:
        Repository(cur).save_staff(User(username="dir.urgenta", full_name="Urgență",
                                        department="DJ", function="", roles=["qms_admin"]),
                                   logins.hash_password("parola-locala-1"))
    directory = directory_of(room)
    with pytest.raises(Unauthorized):   # a local account is not the directory's
        log_in(db, directory, "dir.urgenta", "parola-locala-1")
    user, _ = log_in(db, directory, "dir.urgenta", "parola-locala-1",
                     break_glass_user="dir.urgenta")
    assert user.username == "dir.urgenta"
    with db.transaction() as cur:
        cur.execute("SELECT action FROM audit_log WHERE actor = 'dir.urgenta'")
        assert [r["action"] for r in cur.fetchall()] == ["break_glass_login"]


def test_the_periodic_sync_runs_when_due_and_retries_a_directory_that_was_down(db, room):
    with db.transaction() as cur:
        cur.execute("DELETE FROM directory_syncs")
    room.add_person("dir.timer", "parola-timer-1")
    down = directory_of(room, urls=("ldap://127.0.0.1:9",), sync_interval_seconds=900)
    with pytest.raises(ServiceUnavailable):
        directory_sync.sync_if_due(db, down, retry_seconds=60)
    # tried a moment ago: not again before retry_seconds
    assert directory_sync.sync_if_due(db, directory_of(room, sync_interval_seconds=900),
                                      retry_seconds=60) is None
    done = directory_sync.sync_if_due(db, directory_of(room, sync_interval_seconds=900),
                                      retry_seconds=0)
    assert done["outcome"] == "done" and staff_row(db, "dir.timer")["active"]
    # done within the interval: not due
    assert directory_sync.sync_if_due(db, directory_of(room, sync_interval_seconds=900),
                                      retry_seconds=0) is None
    assert directory_sync.sync_if_due(db, directory_of(room, sync_interval_seconds=0),
                                      retry_seconds=0) is None


def test_failed_directory_logins_are_throttled_as_local_ones(db, room):
    from services.contracts.errors import TooManyRequests

    room.add_person("dir.lim", "parola-lim-1")
    directory = directory_of(room)
    for _ in range(5):
        with pytest.raises(Unauthorized):
            log_in(db, directory, "dir.lim", "gresita", address="10.9.7.7")
    with pytest.raises(TooManyRequests):      # the right password waits too
        log_in(db, directory, "dir.lim", "parola-lim-1", address="10.9.7.8")
