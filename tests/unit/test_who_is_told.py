import uuid

from services.contracts.events import RevisionTransitioned
from services.contracts.models import RevisionStatus as S, Role, User
from services.contracts.confidentiality import may_read
from services.notifications.domain import audience, message


def event(status, distribution=("DJ", "RP"), confidential=False, **extra):
    return RevisionTransitioned(
        document_id=uuid.uuid4(), code="PO-DJ-02", title="Avizarea contractelor", type="PO",
        owner_department="DJ", distribution=list(distribution), confidential=confidential,
        version_id=uuid.uuid4(), edition=2, revision=1, status=status,
        previous_status=S.DRAFT, status_seq=1, actor="stefan.ionescu", actor_function="",
        comment=extra.pop("comment", ""), author="ana.popescu", **extra)


def test_the_next_signers_are_told_by_the_status_the_revision_entered():
    assert audience("version_submitted", event(S.IN_VERIFICATION)).roles == (
        (Role.VERIFIER, "DJ"),)
    assert audience("version_verified", event(S.IN_ENDORSEMENT)).roles == (
        (Role.ENDORSER, None), (Role.VERIFIER, "RP"))   # RP gives its opinion
    assert audience("version_endorsed", event(S.IN_APPROVAL)).roles == ((Role.APPROVER, None),)


def test_a_rejection_goes_back_to_the_author_and_publication_to_the_distribution_list():
    assert audience("version_rejected", event(S.DRAFT)).usernames == ("ana.popescu",)
    for kind in ("version_approved", "version_in_force", "version_superseded",
                 "document_withdrawn"):
        assert audience(kind, event(S.IN_FORCE)).departments == ("DJ", "RP")


def test_confidential_documents_reach_only_permitted_people():
    secret = event(S.IN_APPROVAL, distribution=("AUD", "PRIMAR"), confidential=True)
    mayor = User(username="p", full_name="p", department="PRIMAR", function="",
                 roles=[Role.APPROVER])
    secretary = User(username="s", full_name="s", department="SG", function="",
                     roles=[Role.APPROVER])
    assert may_read(mayor, secret) and not may_read(secretary, secret)
    assert may_read(secretary, event(S.IN_APPROVAL))


def test_messages_are_romanian_and_name_the_edition():
    from datetime import date

    text = message("version_in_force", event(S.IN_FORCE, effective_date=date(2026, 12, 1)))
    assert text == ("PO-DJ-02 „Avizarea contractelor” (Ediția II, Revizia 1) "
                    "este în vigoare din 01.12.2026.")
    assert message("version_rejected", event(S.DRAFT, comment="Lipsesc termenele")).endswith(
        "returnată la elaborare de stefan.ionescu: Lipsesc termenele")


def test_the_next_signers_are_who_the_policy_file_names():
    from services.contracts.signing import step_policies

    steps = tuple(step_policies({"steps": {
        "verify": {"status": "in_verification", "role": "verifier", "opinions": True},
        "approve": {"status": "in_approval", "role": "approver", "own_department": True}},
        "chains": {"default": ["verify", "approve"]}}).values())
    assert audience("version_submitted", event(S.IN_VERIFICATION), steps).roles == (
        (Role.VERIFIER, None), (Role.VERIFIER, "RP"))
    assert audience("version_verified", event(S.IN_APPROVAL), steps).roles == (
        (Role.APPROVER, "DJ"),)
    assert audience("version_verified", event(S.IN_ENDORSEMENT), steps).roles == ()


def test_the_next_signer_is_told_what_waits_for_them():
    name = "PO-DJ-02 „Avizarea contractelor” (Ediția II, Revizia 1)"
    assert message("version_submitted", event(S.IN_VERIFICATION)) == (
        f"{name} așteaptă verificarea dumneavoastră.")
    assert message("version_verified", event(S.IN_ENDORSEMENT)) == (
        f"{name} așteaptă avizarea sau analiza compartimentului dumneavoastră.")
    assert message("version_endorsed", event(S.IN_APPROVAL)) == (
        f"{name} așteaptă aprobarea dumneavoastră.")
