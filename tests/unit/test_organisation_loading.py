"""Loading the organisation file (use_cases/organisation.py) over fakes: departments and
people saved with hashed passwords, sessions ended when a password changes or a person
leaves, the directory's people left to it, and all or nothing."""
from __future__ import annotations

import pytest

from services.common.settings import AuthSettings
from services.contracts.models import Organisation
from services.documents.use_cases import logins
from services.documents.use_cases.organisation import load_organisation
from tests.unit.fakes import FakeOrganisationUnitOfWork, FakeSessions, FakeStaffRegister


def organisation(*people: dict) -> Organisation:
    return Organisation.model_validate({
        "departments": [{"code": "DJ", "name": "Direcția Juridică"},
                        {"code": "SMC", "name": "Calitate"}],
        "users": [{"full_name": p["username"].title(), "department": "DJ",
                   "roles": ["reader"], **p} for p in people]})


ANA = {"username": "ana.popescu", "password": "parola-ana", "roles": ["reader", "author"]}
ION = {"username": "ion.ionescu", "password": "parola-ion"}


@pytest.fixture
def uow():
    return FakeOrganisationUnitOfWork(FakeStaffRegister(),
                                      FakeSessions({"ana.popescu": 2, "ion.ionescu": 1}))


def test_departments_and_people_are_saved_with_their_passwords_hashed(uow):
    counts = load_organisation(uow, organisation(ANA, ION))
    assert counts == {"departments": 2, "users": 2, "users_left_to_the_directory": 0}
    assert uow.staff.departments == {"DJ": "Direcția Juridică", "SMC": "Calitate"}
    ana = uow.staff.people["ana.popescu"]
    assert [r.value for r in ana["user"].roles] == ["reader", "author"] and ana["active"]
    assert ana["password_hash"] != "parola-ana"
    assert logins.verifies(ana["password_hash"], "parola-ana")
    assert uow.commits == 1 and uow.sessions.revoked == [] and uow.audit.entries == []


def test_loading_again_keeps_a_password_and_ends_the_sessions_of_a_changed_one(uow):
    load_organisation(uow, organisation(ANA, ION))
    kept = uow.staff.any_password_hash("ion.ionescu")
    load_organisation(uow, organisation({**ANA, "password": "alta-parola"}, ION))
    assert uow.staff.any_password_hash("ion.ionescu") == kept
    assert logins.verifies(uow.staff.any_password_hash("ana.popescu"), "alta-parola")
    assert uow.sessions.revoked == [("ana.popescu", "password_changed", 2)]
    assert uow.audit.entries == [{
        "actor": "ana.popescu", "action": "sessions_revoked", "document_id": None,
        "version_id": None, "details": {"why": "password_changed", "sessions": 2}}]


def test_who_has_left_keeps_the_stored_password_and_loses_every_session(uow):
    load_organisation(uow, organisation(ANA, ION))
    stored = uow.staff.any_password_hash("ion.ionescu")
    load_organisation(uow, organisation(ANA, {**ION, "password": "oricare-alta",
                                              "active": False}))
    ion = uow.staff.people["ion.ionescu"]
    assert (ion["active"], ion["password_hash"]) == (False, stored)
    assert uow.sessions.revoked == [("ion.ionescu", "deactivated", 1)]
    assert [e["details"]["why"] for e in uow.audit.entries] == ["deactivated"]


def test_with_the_directory_the_file_gives_departments_and_the_break_glass_account(uow):
    auth = AuthSettings(backend="ldap", break_glass_user="ion.ionescu")
    counts = load_organisation(uow, organisation(ANA, ION), auth)
    assert counts == {"departments": 2, "users": 1, "users_left_to_the_directory": 1}
    assert set(uow.staff.people) == {"ion.ionescu"} and len(uow.staff.departments) == 2


class FailingStaffRegister(FakeStaffRegister):
    """The register refusing one person (as PostgreSQL would a broken row)."""

    def save_staff(self, user, password_hash, active=True):
        if user.username == "ion.ionescu":
            raise RuntimeError("the database refused the row")
        super().save_staff(user, password_hash, active)


def test_a_file_that_fails_half_way_leaves_nothing_of_it():
    uow = FakeOrganisationUnitOfWork(FailingStaffRegister(), FakeSessions({"ana.popescu": 1}))
    with pytest.raises(RuntimeError):
        load_organisation(uow, organisation({**ANA, "active": False}, ION))
    assert (uow.staff.departments, uow.staff.people, uow.commits) == ({}, {}, 0)
    assert uow.sessions.open == {"ana.popescu": 1} and uow.audit.entries == []
