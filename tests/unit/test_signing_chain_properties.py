"""Properties of the signing chain for any sequence of actions by anyone."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from services.contracts.errors import Conflict, Forbidden
from services.contracts.models import Document, RevisionStatus as S, Role, User
from services.documents.domain import decide, decide_opinion, next_number
from tests.unit.test_signing_chain import CHAINS

PEOPLE = [
    User(username="ana", full_name="a", department="DJ", function="", roles=[Role.AUTHOR]),
    User(username="stefan", full_name="s", department="DJ", function="",
         roles=[Role.VERIFIER]),
    User(username="maria", full_name="m", department="RP", function="",
         roles=[Role.VERIFIER]),
    User(username="mihai", full_name="m", department="CM", function="",
         roles=[Role.ENDORSER]),
    User(username="primar", full_name="p", department="PRIMAR", function="",
         roles=[Role.APPROVER]),
    User(username="both", full_name="b", department="DJ", function="",
         roles=[Role.AUTHOR, Role.VERIFIER, Role.APPROVER]),
]
ACTIONS = ["submit", "verify", "endorse", "approve", "reject", "opinion+", "opinion-"]
DOC = Document(id=uuid.uuid4(), code="PO-DJ-01", title="t", type="PO", owner_department="DJ",
               distribution=["DJ", "RP"], confidential=False, status=S.DRAFT,
               created_at=datetime.now(timezone.utc), created_by="ana")


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(["PO", "PS", "IL", "formular"]),
       st.lists(st.tuples(st.sampled_from(PEOPLE), st.sampled_from(ACTIONS)), max_size=40))
def test_no_required_step_is_skipped_and_only_signers_move_a_revision(doc_type, attempts):
    chain = CHAINS.for_type(doc_type)
    required = [s.action for s in chain.steps]
    status, signed, opinions = S.DRAFT, [], set()
    for who, action in attempts:
        before = status
        try:
            if action.startswith("opinion"):
                step = decide_opinion(chain, who, DOC, status, "ana", action.endswith("+"),
                                      opinions)
                opinions.add(who.department)
                if step is None:
                    continue
            else:
                step = decide(chain, who, action, DOC, status, "ana")
        except (Forbidden, Conflict):
            assert status == before        # a refusal changes nothing
            continue
        assert who.username != "ana" or step.action == "submit"   # no self-signature
        status = step.new_status
        if status == S.DRAFT:
            signed, opinions = [], set()
        elif step.action != "submit":
            signed.append(step.action)
        if status == S.APPROVED:
            assert signed == required      # every step, in order, none skipped
            break
    assert status in {S.DRAFT, S.APPROVED, *(s.status for s in chain.steps)}


@given(st.lists(st.booleans(), max_size=60))
def test_numbering_never_goes_back(new_edition_requests):
    latest = None
    for new_edition in new_edition_requests:
        number = next_number(latest, new_edition)
        assert latest is None or number > latest
        assert number[1] == 0 if (new_edition and latest is not None) or latest is None \
            else number[1] == latest[1] + 1
        latest = number
