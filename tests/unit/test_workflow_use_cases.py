"""The workflows' use cases over fakes: the quality office changes a type's workflow (a
new version, audited; 403 for anyone else; 422 for a department the organisation lacks),
a revision goes through a step of the legal office's and a committee's quorum, and one
already in its chain finishes under the version it started with."""
from __future__ import annotations

from datetime import date

import pytest

from services.contracts.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.contracts.models import RevisionStatus as S, Role, Signing
from services.documents.use_cases import signing, workflows
from tests.helpers import user
from tests.unit.fakes import FakeClock, FakeDocumentsRepository, FakeUnitOfWork
from tests.unit.test_documents_use_cases import CHAINS, TYPES, draft

AUTHOR = user("DJ", Role.AUTHOR, name="ana")
HEAD = user("DJ", Role.VERIFIER, name="sef.dj")
DRU_HEAD = user("DRU", Role.VERIFIER, name="sef.dru")
LEGAL_HEAD = user("DJU", Role.VERIFIER, name="sef.dju")
ENDORSERS = [user("CM", Role.ENDORSER, name=f"membru{i}") for i in (1, 2, 3)]
APPROVER = user("PRIMAR", Role.APPROVER, name="primar")
QUALITY = user("SMC", Role.QMS_ADMIN, name="elena")
PEOPLE = [AUTHOR, HEAD, DRU_HEAD, LEGAL_HEAD, *ENDORSERS, APPROVER, QUALITY]

VERIFY = {"id": "verify", "label": {"ro": "Verificare", "en": "Verification"},
          "role": "verifier", "department": "owner"}
LEGAL = {"id": "avizare-juridica", "label": {"ro": "Avizare juridică", "en": "Legal review"},
         "signed_label": {"ro": "Avizat juridic", "en": "Legally reviewed"},
         "role": "verifier", "department": "DJU"}
COMMITTEE = {"id": "comisie", "label": {"ro": "Avizare comisie", "en": "Committee"},
             "role": "endorser", "department": "any", "quorum": 2}
APPROVE = {"id": "approve", "label": {"ro": "Aprobare", "en": "Approval"},
           "role": "approver", "department": "any"}


@pytest.fixture
def uow():
    return FakeUnitOfWork(FakeDocumentsRepository(PEOPLE, ["SMC", "CM", "PRIMAR", "RP"]))


@pytest.fixture
def clock():
    return FakeClock(date(2026, 3, 2))


def sign(uow, clock, who, version_id, action):
    return signing.transition(uow, CHAINS, TYPES, who.username, version_id, action,
                              Signing(), clock.today())


def put(uow, steps, who=QUALITY, doc_type="PO"):
    return workflows.put_workflow(uow, CHAINS, who.username, doc_type, {"steps": steps},
                                  "avizul juridic e obligatoriu")


def test_every_type_has_the_shipped_workflow_as_version_one(uow):
    listed = workflows.workflows(uow, CHAINS, AUTHOR.username)
    assert [w.type for w in listed][:3] == ["PS", "PO", "IL"]
    assert {w.version for w in listed} == {1}
    po = workflows.workflow(uow, CHAINS, AUTHOR.username, "PO")
    assert [s.id for s in po.workflow.steps] == ["verify", "endorse", "approve"]
    assert [s.id for s in workflows.workflow(
        uow, CHAINS, AUTHOR.username, "manualul_calitatii").workflow.steps] == [
        "verify", "endorse", "approve"]   # no workflow of its own shipped: the default
    with pytest.raises(NotFound):
        workflows.workflow(uow, CHAINS, AUTHOR.username, "PX")


def test_the_quality_office_alone_changes_a_workflow_each_change_a_version_audited(uow):
    with pytest.raises(Forbidden):
        put(uow, [VERIFY, LEGAL, APPROVE], who=HEAD)
    saved = put(uow, [VERIFY, LEGAL, APPROVE])
    assert (saved.version, saved.changed_by) == (2, "elena")
    assert [s.id for s in saved.workflow.steps] == ["verify", "avizare-juridica", "approve"]
    (entry,) = [e for e in uow.audit.entries if e["action"] == "workflow_changed"]
    assert (entry["details"]["old_version"], entry["details"]["new_version"]) == (1, 2)
    assert entry["details"]["comment"] == "avizul juridic e obligatoriu"
    assert [w.version for w in workflows.history(uow, CHAINS, AUTHOR.username, "PO")] == [
        2, 1]


def test_an_unknown_department_is_refused_naming_the_step(uow):
    with pytest.raises(InvalidInput) as refused:
        put(uow, [VERIFY, {**LEGAL, "department": "DJX"}, APPROVE])
    assert refused.value.details["field"] == "steps[1].department"
    assert refused.value.details["unknown"] == ["DJX"]
    assert [w.version for w in workflows.history(uow, CHAINS, QUALITY.username, "PO")] == [1]


def test_a_revision_goes_through_the_legal_offices_step(uow, clock):
    put(uow, [VERIFY, LEGAL, APPROVE])
    version_id = draft(uow)
    sign(uow, clock, AUTHOR, version_id, "submit")
    waiting = sign(uow, clock, HEAD, version_id, "verify")
    assert (waiting.status, waiting.current_step) == (S.IN_REVIEW, "avizare-juridica")
    with pytest.raises(Forbidden) as refused:
        sign(uow, clock, DRU_HEAD, version_id, "avizare-juridica")
    assert refused.value.details == {"required_role": "verifier", "department": "DJU"}
    inbox = signing.signing_inbox(uow, CHAINS, LEGAL_HEAD.username)
    assert [(r.version_id, a) for r, a in inbox] == [
        (version_id, ["avizare-juridica", "reject"])]
    assert signing.signing_inbox(uow, CHAINS, DRU_HEAD.username) == []
    assert sign(uow, clock, LEGAL_HEAD, version_id, "avizare-juridica").status == S.IN_APPROVAL
    assert sign(uow, clock, APPROVER, version_id, "approve").status == S.IN_FORCE
    steps = workflows.progress(uow, CHAINS, AUTHOR.username, version_id)["steps"]
    assert [(s["id"], s["state"], [p["username"] for p in s["signed_by"]]) for s in steps] == [
        ("verify", "done", ["sef.dj"]), ("avizare-juridica", "done", ["sef.dju"]),
        ("approve", "done", ["primar"])]
    assert steps[1]["signed_label"]["ro"] == "Avizat juridic"


def test_a_committee_step_needs_two_different_endorsers(uow, clock):
    put(uow, [VERIFY, COMMITTEE, APPROVE])
    version_id = draft(uow)
    sign(uow, clock, AUTHOR, version_id, "submit")
    sign(uow, clock, HEAD, version_id, "verify")
    first = sign(uow, clock, ENDORSERS[0], version_id, "comisie")
    assert (first.status, first.current_step) == (S.IN_REVIEW, "comisie")
    with pytest.raises(Conflict) as twice:
        sign(uow, clock, ENDORSERS[0], version_id, "comisie")
    assert twice.value.details["step"] == "comisie"
    progress = workflows.progress(uow, CHAINS, AUTHOR.username, version_id)
    committee = progress["steps"][1]
    assert (progress["current_step"], committee["state"]) == ("comisie", "current")
    assert [p["username"] for p in committee["awaited"]] == ["membru2", "membru3"]
    assert sign(uow, clock, ENDORSERS[2], version_id, "comisie").status == S.IN_APPROVAL


def test_a_revision_in_its_chain_finishes_under_the_version_it_started_with(uow, clock):
    put(uow, [VERIFY, LEGAL, APPROVE])
    version_id = draft(uow)
    sign(uow, clock, AUTHOR, version_id, "submit")
    put(uow, [VERIFY, APPROVE])                 # the legal step is dropped meanwhile
    assert sign(uow, clock, HEAD, version_id, "verify").current_step == "avizare-juridica"
    sign(uow, clock, LEGAL_HEAD, version_id, "avizare-juridica")
    assert sign(uow, clock, APPROVER, version_id, "approve").status == S.IN_FORCE
    assert uow.documents.revision(version_id).workflow_version == 2
    later = draft(uow, n=2)
    sign(uow, clock, AUTHOR, later, "submit")
    assert sign(uow, clock, HEAD, later, "verify").status == S.IN_APPROVAL   # version 3


def test_each_signature_of_a_step_is_published_and_the_next_step_is_awaited(uow, clock):
    put(uow, [VERIFY, {**COMMITTEE, "deadline_working_days": 5}, APPROVE])
    version_id = draft(uow)
    sign(uow, clock, AUTHOR, version_id, "submit")
    sign(uow, clock, HEAD, version_id, "verify")
    sign(uow, clock, ENDORSERS[0], version_id, "comisie")
    sign(uow, clock, ENDORSERS[1], version_id, "comisie")
    published = [e for e in uow.outbox.events if e.type != "document_registered"]
    assert [e.type for e in published] == [
        "version_submitted", "version_step_completed", "version_verified",
        "version_step_completed", "version_step_completed", "version_endorsed"]
    submitted, _, verified, first, second, passed = (e.data for e in published)
    assert (submitted.current_step, submitted.awaiting.step) == ("verify", "verify")
    assert (submitted.awaiting.department, submitted.awaiting.role) == ("DJ", Role.VERIFIER)
    awaiting = verified.awaiting
    assert (verified.status, verified.current_step) == (S.IN_REVIEW, "comisie")
    assert (awaiting.step, awaiting.department, awaiting.quorum,
            awaiting.deadline_working_days, awaiting.label.ro) == (
        "comisie", None, 2, 5, "Avizare comisie")
    assert [(d.signer, d.signatures, d.quorum_reached, d.decision) for d in (first, second)] == [
        ("membru1", 1, False, "signed"), ("membru2", 2, True, "signed")]
    assert first.status_seq == verified.status_seq
    assert second.status_seq == passed.status_seq
    assert (passed.status, passed.awaiting.step) == (S.IN_APPROVAL, "approve")


def test_the_list_of_responsible_people_follows_the_revisions_workflow(uow, clock):
    from datetime import datetime, timezone

    from services.gateway import forms

    put(uow, [VERIFY, LEGAL, COMMITTEE, APPROVE])
    version_id = draft(uow)
    for who, action in ((AUTHOR, "submit"), (HEAD, "verify"),
                        (LEGAL_HEAD, "avizare-juridica"), (ENDORSERS[0], "comisie"),
                        (ENDORSERS[1], "comisie")):
        sign(uow, clock, who, version_id, action)
    progress = workflows.progress(uow, CHAINS, AUTHOR.username, version_id)
    form = forms.responsabili(uow.documents.revision(version_id),
                              uow.documents.signatures(version_id),
                              {u.username: u for u in PEOPLE},
                              datetime(2026, 3, 2, 12, tzinfo=timezone.utc),
                              forms.workflow_operations(progress))
    assert [(r[0], r[1], r[2]) for r in form.rows] == [
        ("1", "Elaborat", "ana"), ("2", "Verificat", "sef.dj"),
        ("3", "Avizat juridic", "sef.dju"), ("4", "Avizare comisie", "membru1"),
        ("5", "Avizare comisie", "membru2"), ("6", "Aprobat", "")]


def test_the_signatures_of_a_step_carry_its_signed_label(uow, clock):
    put(uow, [VERIFY, LEGAL, APPROVE])
    version_id = draft(uow)
    for who, action in ((AUTHOR, "submit"), (HEAD, "verify"), (LEGAL_HEAD, "avizare-juridica")):
        sign(uow, clock, who, version_id, action)
    signed = workflows.signatures(uow, CHAINS, AUTHOR.username, version_id)
    assert [(s.step, s.signed_label and s.signed_label["ro"]) for s in signed] == [
        ("submit", None), ("verify", "Verificat"), ("avizare-juridica", "Avizat juridic")]
