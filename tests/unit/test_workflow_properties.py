"""Properties of any workflow the quality office may model (hypothesis draws the
workflows and what people try on a revision): no step is skipped, a step is complete
only with its quorum of different signers, a refused action changes nothing, the author
never signs their own revision unless the workflow allows it, and a workflow changed
while a revision is in its chain does not change that revision's chain."""
from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings, strategies as st

from services.contracts.errors import Conflict, Forbidden
from services.contracts.models import RevisionStatus as S, Role, Signing
from services.documents.use_cases import signing, workflows
from tests.helpers import user
from tests.unit.fakes import FakeClock, FakeDocumentsRepository, FakeUnitOfWork
from tests.unit.test_documents_use_cases import CHAINS, TYPES, draft

DEPARTMENTS = ("DJ", "CM", "PRIMAR")
SIGNING_ROLES = (Role.VERIFIER, Role.ENDORSER, Role.APPROVER)
# the author may hold every role: only the workflow's author_may_sign lets them sign
AUTHOR = user("DJ", Role.AUTHOR, *SIGNING_ROLES, name="ana")
SIGNERS = [user(d, r, name=f"{r.value}.{d.lower()}.{i}")
           for d in DEPARTMENTS for r in SIGNING_ROLES for i in (1, 2, 3)]
QUALITY = user("SMC", Role.QMS_ADMIN, name="elena")
PEOPLE = [AUTHOR, *SIGNERS, QUALITY]

step_ids = st.sampled_from(["verify", "endorse", "approve", "avizare-juridica", "comisie",
                            "aprobare-secretar"])
steps = st.fixed_dictionaries({
    "id": step_ids, "label": st.just({"ro": "Pas", "en": "Step"}),
    "role": st.sampled_from([r.value for r in SIGNING_ROLES]),
    "department": st.sampled_from(["owner", "any", *DEPARTMENTS]),
    "quorum": st.integers(1, 3), "opinions": st.booleans()})
workflow_shapes = st.fixed_dictionaries({
    "author_may_sign": st.booleans(),
    "steps": st.lists(steps, min_size=1, max_size=4, unique_by=lambda s: s["id"])})
ACTIONS = ["verify", "endorse", "approve", "avizare-juridica", "comisie",
           "aprobare-secretar", "reject", "submit"]


@st.composite
def attempts(draw, uow, version_id, count=40):
    """What people try, one at a time: half the time someone holding the role of the
    step the revision waits for signs it (so chains get far), else anyone tries anything."""
    for _ in range(draw(st.integers(1, count))):
        revision = uow.documents.revision(version_id)
        step = revision.current_step
        if step and draw(st.booleans()):
            role = _workflow_of(uow, revision).step(step).role
            yield draw(st.sampled_from([p for p in PEOPLE if p.has(role)])), step
        else:
            yield draw(st.sampled_from(PEOPLE)), draw(st.sampled_from(ACTIONS))


def _workflow_of(uow, revision):
    return workflows.followed(uow.documents, CHAINS, revision).workflow


def _start(workflow: dict):
    uow = FakeUnitOfWork(FakeDocumentsRepository(PEOPLE, ["SMC", *DEPARTMENTS, "RP"]))
    workflows.put_workflow(uow, CHAINS, QUALITY.username, "PO", workflow)
    version_id = draft(uow, author=AUTHOR)
    return uow, version_id


def _state(uow, version_id):
    revision = uow.documents.revision(version_id)
    return (revision.status, revision.current_step, len(uow.documents.signatures(version_id)),
            len(uow.outbox.events), revision.workflow_version)


def _try(uow, who, version_id, action) -> bool:
    """The action, or (refused) proof that the refusal changed nothing."""
    before = _state(uow, version_id)
    try:
        signing.transition(uow, CHAINS, TYPES, who.username, version_id, action, Signing(),
                           FakeClock(date(2026, 3, 2)).today())
        return True
    except (Forbidden, Conflict):
        assert _state(uow, version_id) == before
        return False


def _check_round(workflow: dict, uow, version_id) -> None:
    """Within the current round: steps signed in order, none before the one before it
    reached its quorum, never twice by one person, never by the author unless allowed."""
    order = [s["id"] for s in workflow["steps"]]
    quorum = {s["id"]: s["quorum"] for s in workflow["steps"]}
    round_ = workflows.this_round(uow.documents.signatures(version_id))
    signed: dict[str, list[str]] = {}
    for signature in round_:
        if signature.step not in quorum:
            continue
        index = order.index(signature.step)
        for earlier in order[:index]:
            assert len(signed.get(earlier, [])) >= quorum[earlier], (earlier, signature.step)
        assert signature.signer not in signed.get(signature.step, [])
        assert workflow["author_may_sign"] or signature.signer != AUTHOR.username
        signed.setdefault(signature.step, []).append(signature.signer)
    revision = uow.documents.revision(version_id)
    if revision.status in (S.APPROVED, S.IN_FORCE):
        assert all(len(signed.get(i, [])) == quorum[i] for i in order)
    elif revision.current_step is not None:
        current = order.index(revision.current_step)
        assert all(len(signed.get(i, [])) == quorum[i] for i in order[:current])
        assert len(signed.get(revision.current_step, [])) < quorum[revision.current_step]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workflow_shapes, st.data())
def test_any_workflow_is_followed_step_by_step_with_its_quorum(workflow, data):
    uow, version_id = _start(workflow)
    _try(uow, AUTHOR, version_id, "submit")
    for who, action in data.draw(attempts(uow, version_id)):
        _try(uow, who, version_id, action)
        _check_round(workflow, uow, version_id)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workflow_shapes, workflow_shapes, st.data())
def test_a_changed_workflow_never_alters_a_revision_in_its_chain(first, second, data):
    uow, version_id = _start(first)
    _try(uow, AUTHOR, version_id, "submit")
    for who, action in data.draw(attempts(uow, version_id, 10)):
        if action != "submit":
            _try(uow, who, version_id, action)
    if uow.documents.revision(version_id).status == S.DRAFT:
        return      # rejected: its next submission follows the newest workflow
    workflows.put_workflow(uow, CHAINS, QUALITY.username, "PO", second)
    for who, action in data.draw(attempts(uow, version_id)):
        if action != "submit":
            _try(uow, who, version_id, action)
        revision = uow.documents.revision(version_id)
        if revision.status == S.DRAFT:
            break
        assert revision.workflow_version == 2
        assert revision.current_step in {None, *(s["id"] for s in first["steps"])}
        _check_round(first, uow, version_id)
