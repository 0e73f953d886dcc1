"""A workflow the quality office sends is refused with a 422 naming the field as a path
(services/contracts/workflows.py); the defaults Procedura ships are today's chains."""
import pytest

from services.contracts.errors import InvalidInput
from services.contracts.models import Role
from services.contracts.workflows import (
    WORKFLOWS_FILE, Labels, load_workflows, parse_workflow)

LEGAL = {"id": "avizare-juridica", "label": {"ro": "Avizare juridică", "en": "Legal review"},
         "signed_label": {"ro": "Avizat juridic", "en": "Legally reviewed"},
         "role": "verifier", "department": "DJ"}
VERIFY = {"id": "verify", "label": {"ro": "Verificare", "en": "Verification"},
          "role": "verifier", "department": "owner"}
APPROVE = {"id": "approve", "label": {"ro": "Aprobare", "en": "Approval"},
           "role": "approver", "department": "any"}


def _refused(data) -> dict:
    with pytest.raises(InvalidInput) as refused:
        parse_workflow(data)
    return refused.value.details


def test_a_workflow_with_a_step_of_its_own_is_read_with_its_labels():
    workflow = parse_workflow({"steps": [VERIFY, LEGAL, APPROVE]})
    assert [s.id for s in workflow.steps] == ["verify", "avizare-juridica", "approve"]
    assert workflow.author_may_sign is False
    legal = workflow.step("avizare-juridica")
    assert (legal.role, legal.department, legal.quorum, legal.opinions) == (
        Role.VERIFIER, "DJ", 1, False)
    assert legal.signed_label == Labels(ro="Avizat juridic", en="Legally reviewed")
    assert legal.classic is None and workflow.step("verify").classic is not None
    assert workflow.departments() == ["DJ"]


def test_the_signed_label_defaults_to_the_forms_words_or_the_label():
    workflow = parse_workflow({"steps": [VERIFY, {**LEGAL, "signed_label": None}, APPROVE]})
    assert [s.signed_label.ro for s in workflow.steps] == [
        "Verificat", "Avizare juridică", "Aprobat"]
    assert workflow.step("approve").signed_label.en == "Approved"


@pytest.mark.parametrize("steps,field", [
    ([VERIFY, {**LEGAL, "role": "juristul"}, APPROVE], "steps[1].role"),
    ([VERIFY, {**LEGAL, "quorum": 0}, APPROVE], "steps[1].quorum"),
    ([VERIFY, APPROVE, {**LEGAL, "id": "Avizare juridică"}], "steps[2].id"),
    ([VERIFY, {**LEGAL, "department": "legal office"}], "steps[1].department"),
    ([VERIFY, {**LEGAL, "deadline_working_days": 0}], "steps[1].deadline_working_days"),
    ([VERIFY, {**LEGAL, "label": {"ro": "", "en": "Legal"}}], "steps[1].label.ro"),
    ([VERIFY, {**LEGAL, "id": "reject"}], "steps[1].id"),
    ([], "steps"),
])
def test_a_bad_step_is_refused_naming_it_as_a_path(steps, field):
    details = _refused({"steps": steps})
    assert details["field"] == field
    assert [p["field"] for p in details["fields"]] == [field]


def test_a_repeated_id_is_refused_naming_the_second():
    details = _refused({"steps": [VERIFY, LEGAL, {**LEGAL, "role": "approver"}]})
    assert details["field"] == "steps[2].id"


def test_a_workflow_without_steps_or_with_unknown_fields_is_refused():
    assert _refused({"author_may_sign": True})["field"] == "steps"
    assert _refused({"steps": [VERIFY], "colour": "red"})["field"] == "colour"
    assert _refused({"steps": [{**VERIFY, "signers": 2}]})["field"] == "steps[0].signers"


def test_the_shipped_workflows_are_the_chains_of_today():
    workflows = load_workflows(WORKFLOWS_FILE)
    three = ["verify", "endorse", "approve"]
    assert {t: [s.id for s in w.steps] for t, w in workflows.items()} == {
        "default": three, "PS": three, "PO": three, "IL": ["verify", "approve"],
        "formular": ["verify", "approve"], "extern": ["verify", "approve"]}
    verify, endorse, approve = workflows["PO"].steps
    assert (verify.role, verify.department, verify.opinions) == (Role.VERIFIER, "owner", False)
    assert (endorse.role, endorse.department, endorse.opinions) == (Role.ENDORSER, "any", True)
    assert (approve.role, approve.department) == (Role.APPROVER, "any")
    assert [(s.label.ro, s.label.en) for s in workflows["PO"].steps] == [
        ("Verificare", "Verification"), ("Avizare", "Endorsement"), ("Aprobare", "Approval")]
    assert all(s.quorum == 1 and s.deadline_working_days is None
               for w in workflows.values() for s in w.steps)
    assert not any(w.author_may_sign for w in workflows.values())
