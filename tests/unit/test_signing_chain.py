import pytest

from services.contracts.errors import Conflict, Forbidden
from services.contracts.models import RevisionStatus as S, Role
from pathlib import Path

import yaml

from services.documents.domain import (
    Chain, DocumentTypes, SigningChains, decide, decide_opinion, effective_date, next_number,
    registry_number, waiting_for)
from services.contracts.errors import InvalidInput
from tests.helpers import document, user

CHAINS = SigningChains(yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "config" / "workflows.yaml").read_text()))
DEFAULT_CHAIN = CHAINS.for_type("PO")


AUTHOR = user("DJ", Role.AUTHOR, name="ana")
VERIFIER = user("DJ", Role.VERIFIER, name="stefan")
OTHER_VERIFIER = user("RP", Role.VERIFIER, name="maria")
APPROVER = user("PRIMAR", Role.APPROVER, name="primar")


ENDORSER = user("CM", Role.ENDORSER, name="mihai")


def test_the_po_chain_goes_through_verification_endorsement_and_approval():
    doc = document()
    steps = [(AUTHOR, "submit", S.DRAFT), (VERIFIER, "verify", S.IN_VERIFICATION),
             (ENDORSER, "endorse", S.IN_ENDORSEMENT), (APPROVER, "approve", S.IN_APPROVAL)]
    results = [decide(DEFAULT_CHAIN, who, action, doc, status, "ana")
               for who, action, status in steps]
    assert [r.new_status for r in results] == [S.IN_VERIFICATION, S.IN_ENDORSEMENT,
                                               S.IN_APPROVAL, S.APPROVED]
    assert [r.event for r in results] == ["version_submitted", "version_verified",
                                          "version_endorsed", "version_approved"]


def test_chains_are_configured_per_document_type():
    assert [s.action for s in CHAINS.for_type("IL").steps] == ["verify", "approve"]
    assert [s.action for s in CHAINS.for_type("manualul_calitatii").steps] == [
        "verify", "endorse", "approve"]   # no chain of its own: the default


def test_a_conflict_names_the_state_and_the_allowed_actions():
    with pytest.raises(Conflict) as raised:
        decide(DEFAULT_CHAIN, APPROVER, "approve", document(), S.IN_ENDORSEMENT, "ana")
    assert raised.value.details == {"status": "in_endorsement",
                                    "allowed_actions": ["endorse", "opinion", "reject"]}


def test_distribution_departments_give_opinions_while_in_endorsement():
    doc = document(distribution=["DJ", "RP"])
    assert decide_opinion(DEFAULT_CHAIN, OTHER_VERIFIER, doc, S.IN_ENDORSEMENT, "ana",
                          True, set()) is None
    back = decide_opinion(DEFAULT_CHAIN, OTHER_VERIFIER, doc, S.IN_ENDORSEMENT, "ana",
                          False, set())
    assert back.new_status == S.DRAFT and back.decision == "unfavourable"
    with pytest.raises(Conflict):     # once per round
        decide_opinion(DEFAULT_CHAIN, OTHER_VERIFIER, doc, S.IN_ENDORSEMENT, "ana", True,
                       {"RP"})
    with pytest.raises(Conflict):     # not while in verification
        decide_opinion(DEFAULT_CHAIN, OTHER_VERIFIER, doc, S.IN_VERIFICATION, "ana", True,
                       set())
    with pytest.raises(Forbidden):    # a department not on the list
        decide_opinion(DEFAULT_CHAIN, user("DE", Role.VERIFIER), doc, S.IN_ENDORSEMENT,
                       "ana", True, set())


def test_effective_dates_never_precede_approval_and_registry_numbers_name_the_year():
    from datetime import date
    assert effective_date(None, date(2026, 11, 23)) == date(2026, 11, 23)
    assert effective_date(date(2027, 1, 1), date(2026, 11, 23)) == date(2027, 1, 1)
    with pytest.raises(InvalidInput) as raised:
        effective_date(date(2026, 11, 1), date(2026, 11, 23))
    assert raised.value.details["field"] == "effective_date"
    assert registry_number(436, 2026) == "436/2026"


def test_role_is_checked_before_state():
    doc = document()
    with pytest.raises(Forbidden):   # wrong role, and wrong state too: 403 wins
        decide(DEFAULT_CHAIN, APPROVER, "verify", doc, S.DRAFT, "ana")
    with pytest.raises(Conflict):    # right role, wrong state
        decide(DEFAULT_CHAIN, APPROVER, "approve", doc, S.DRAFT, "ana")


def test_verification_belongs_to_the_head_of_the_owner_department():
    with pytest.raises(Forbidden):
        decide(DEFAULT_CHAIN, OTHER_VERIFIER, "verify", document(), S.IN_VERIFICATION, "ana")


def test_an_author_may_not_sign_later_steps_of_their_own_revision_unless_configured():
    both = user("DJ", Role.AUTHOR, Role.VERIFIER, name="ana")
    with pytest.raises(Forbidden):
        decide(DEFAULT_CHAIN, both, "verify", document(), S.IN_VERIFICATION, "ana")
    permissive = Chain(steps=DEFAULT_CHAIN.steps, author_may_sign=True)
    assert decide(permissive, both, "verify", document(), S.IN_VERIFICATION,
                  "ana").new_status == S.IN_ENDORSEMENT


def test_rejection_returns_to_draft_from_any_step_by_its_signer():
    doc = document()
    assert decide(DEFAULT_CHAIN, VERIFIER, "reject", doc, S.IN_VERIFICATION,
                  "ana").new_status == S.DRAFT
    assert decide(DEFAULT_CHAIN, ENDORSER, "reject", doc, S.IN_ENDORSEMENT,
                  "ana").new_status == S.DRAFT
    assert decide(DEFAULT_CHAIN, APPROVER, "reject", doc, S.IN_APPROVAL,
                  "ana").new_status == S.DRAFT
    with pytest.raises(Forbidden):
        decide(DEFAULT_CHAIN, VERIFIER, "reject", doc, S.IN_APPROVAL, "ana")
    with pytest.raises(Conflict):
        decide(DEFAULT_CHAIN, APPROVER, "reject", doc, S.DRAFT, "ana")


def test_an_unconfigured_step_is_a_conflict_not_a_crash():
    with pytest.raises(Conflict):
        decide(CHAINS.for_type("IL"), ENDORSER, "endorse", document(), S.IN_VERIFICATION, "ana")


def test_numbering_starts_at_edition_one_revision_zero():
    assert next_number(None) == (1, 0)
    assert next_number((1, 0)) == (1, 1)
    assert next_number((2, 3)) == (2, 4)


def test_a_first_version_keeps_the_numbering_it_had_before_procedura_and_only_a_first():
    from services.contracts.models import Numbering
    from services.documents.domain import first_number

    assert first_number(None, Numbering(edition=2, revision=3)) == (2, 3)
    assert next_number((2, 3)) == (2, 4)                 # then Procedura numbers on
    with pytest.raises(Conflict) as refused:
        first_number((1, 2), Numbering(edition=5, revision=0))
    assert "Ediția I, Revizia 2" in str(refused.value)
    assert refused.value.details["latest"] == {"edition": 1, "revision": 2}


TYPES = DocumentTypes(yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "config" / "document-types.yaml").read_text()))


@pytest.mark.parametrize("doc_type,code,department", [
    ("PO", "PO-DJ-02", "DJ"), ("PS", "PS-SMC-01", "SMC"), ("PO", "PO-DJ-12345678", "DJ"),
    ("formular", "F-PO-DJ-02.01", "DJ"), ("extern", "EXT-HCL-45.2026", "SG"),
])
def test_codes_that_fit_their_type(doc_type, code, department):
    TYPES.check_code(doc_type, code, department)


@pytest.mark.parametrize("doc_type,code,department", [
    ("PO", "PO-RP-02", "DJ"),     # another department's code
    ("PO", "PS-DJ-02", "DJ"),     # another type's prefix
    ("PO", "PO-DJ-2", "DJ"),      # one digit
    ("PO", "PO-DJ-02x", "DJ"),
])
def test_codes_that_break_the_pattern_are_refused_naming_it(doc_type, code, department):
    with pytest.raises(InvalidInput) as raised:
        TYPES.check_code(doc_type, code, department)
    assert raised.value.details["pattern"] == "PO-{department}-{nn}"
    assert raised.value.details["field"] == "code"


# --- the signing inbox: who is waited for ---------------------------------------------

def test_the_inbox_waits_for_the_signer_of_the_step_and_opinions_of_distribution_heads():
    labels = {"ro": "Pas", "en": "Step"}
    chains = SigningChains({"workflows": {"default": {"steps": [
        {"id": "verify", "label": labels, "role": "verifier", "department": "owner"},
        {"id": "endorse", "label": labels, "role": "endorser", "department": "any",
         "opinions": True},
        {"id": "approve", "label": labels, "role": "approver", "department": "any"}]}}})
    chain = chains.for_type("PO")
    doc = document(code="PO-RP-02", title="Petiții", owner_department="RP",
                   distribution=["RP", "DJ"], status="in_verification",
                   created_by="andrei.nistor")
    rp_head = user("RP", "verifier", name="maria.ilie")
    dj_head = user("DJ", "verifier", name="s.i")
    endorser = user("CM", "endorser", name="mihai.tudose")
    mayor = user("PRIMAR", "approver", name="d.b")
    author = user("RP", "author", "verifier", name="andrei.nistor")
    assert waiting_for(chain, rp_head, doc, "in_verification", author.username) == [
        "verify", "reject"]
    assert waiting_for(chain, dj_head, doc, "in_verification", author.username) == []
    assert waiting_for(chain, endorser, doc, "in_endorsement", author.username) == [
        "endorse", "reject"]
    assert waiting_for(chain, dj_head, doc, "in_endorsement", author.username) == [
        "opinion"]
    assert waiting_for(chain, mayor, doc, "in_approval", author.username) == [
        "approve", "reject"]
    assert waiting_for(chain, mayor, doc, "in_force", author.username) == []
    # the author never signs the later steps of their own revision
    assert waiting_for(chain, author, doc, "in_verification", author.username) == []
