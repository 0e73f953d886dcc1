"""Who is told that a revision waits in a step of its workflow, from the event alone
(`awaiting`): the people with the step's role in its department (any department: None),
not the author, and the heads of the distribution departments when the step takes
opinions; told in Romanian under the step's label. Events published before workflows
(no `awaiting`) keep today's rule (tests/unit/test_who_is_told.py)."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from services.contracts import events
from services.contracts.models import RevisionStatus as S, Role
from services.notifications.domain import audience, message
from tests.unit.fakes import FakeNotificationsUnitOfWork
from tests.unit.test_notifications_use_cases import clock, service_over  # noqa: F401

NAME = "PO-DJ-77 „Înregistrarea petițiilor” (Ediția I, Revizia 0)"
LEGAL = {"ro": "Avizare juridică", "en": "Legal endorsement"}


def awaiting(step="avizare-juridica", role=Role.VERIFIER, department="DJ", label=LEGAL,
             opinions=False, quorum=1, deadline=None):
    return events.Awaiting(step=step, label=label, role=role, department=department,
                           quorum=quorum, opinions=opinions, deadline_working_days=deadline,
                           entered_at=datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc))


# a step of the workflow's own waits in in_review; any waiting status does here: the
# audience of an event with `awaiting` follows `awaiting` alone
def transition(waits, status=S.IN_ENDORSEMENT, author="ana", confidential=False,
               distribution=("DJ", "RP"), kind="version_verified", status_seq=3,
               document_id=None, version_id=None):
    document_id = document_id or uuid.uuid4()
    data = events.RevisionTransitioned(
        document_id=document_id, code="PO-DJ-77", title="Înregistrarea petițiilor",
        type="PO", owner_department="DJ", distribution=list(distribution),
        confidential=confidential, version_id=version_id or uuid.uuid4(), edition=1,
        revision=0, status=status, previous_status=S.IN_VERIFICATION, status_seq=status_seq,
        actor="sef.dj", actor_function="Director", comment="", author=author,
        current_step=waits.step if waits else None, awaiting=waits)
    return events.ALL_EVENTS[kind](subject=document_id, data=data)


def test_the_signers_of_the_step_entered_are_told_and_never_its_author():
    told = audience("version_verified", transition(awaiting()).data)
    assert told.roles == ((Role.VERIFIER, "DJ"),)
    assert told.excluded == ("ana",)
    anyone = audience("version_endorsed", transition(awaiting(
        "aprobare-sg", Role.APPROVER, None, {"ro": "Aprobare SG", "en": "SG approval"}),
        kind="version_endorsed").data)
    assert anyone.roles == ((Role.APPROVER, None),)


def test_a_step_with_opinions_also_tells_the_heads_of_the_other_listed_departments():
    told = audience("version_verified", transition(
        awaiting("comisie", Role.ENDORSER, "CM", {"ro": "Avizare comisie", "en": "Board"},
                 opinions=True), distribution=("DJ", "RP", "DE")).data)
    assert told.roles == ((Role.ENDORSER, "CM"), (Role.VERIFIER, "DE"), (Role.VERIFIER, "RP"))


def test_the_step_is_named_by_its_label_a_classic_one_in_todays_words():
    assert message("version_verified", transition(awaiting()).data) == (
        f"{NAME} așteaptă Avizare juridică de la dumneavoastră.")
    committee = awaiting("comisie", Role.ENDORSER, None, {"ro": "Avizare comisie",
                                                          "en": "Board"},
                         opinions=True, quorum=2)
    assert message("version_verified", transition(committee).data) == (
        f"{NAME} așteaptă Avizare comisie de la dumneavoastră sau avizul compartimentului "
        f"dumneavoastră (sunt necesare 2 semnături).")
    verify = awaiting("verify", label={"ro": "Verificare", "en": "Verification"})
    assert message("version_submitted", transition(verify, S.IN_VERIFICATION,
                                                   kind="version_submitted").data) == (
        f"{NAME} așteaptă verificarea dumneavoastră.")
    renamed = awaiting("approve", Role.APPROVER, None,
                       {"ro": "Aprobare primar", "en": "Mayor's approval"})
    assert message("version_endorsed", transition(renamed, S.IN_APPROVAL).data) == (
        f"{NAME} așteaptă Aprobare primar de la dumneavoastră.")


def test_the_service_tells_the_step_s_signers_who_may_read_it_but_not_the_author(clock):  # noqa: F811
    uow = FakeNotificationsUnitOfWork(clock)
    # the author is a head of DJ herself: she may not sign her own revision
    event = transition(awaiting(), author="sef.dj")
    service = service_over(uow, event)
    assert service.on_revision_event(event.model_dump(mode="json")) == 0
    event = transition(awaiting())
    assert service_over(uow, event).on_revision_event(event.model_dump(mode="json")) == 1
    [item] = [i for i in uow.feed.items if i["event_id"] == event.id]
    assert (item["username"], item["kind"]) == ("sef.dj", "version_verified")
    assert item["message"] == f"{NAME} așteaptă Avizare juridică de la dumneavoastră."
    # a confidential document of DJ, awaited in RP: RP's head may read it only if listed
    secret = transition(awaiting(department="RP"), confidential=True, distribution=("DJ",))
    assert service_over(uow, secret).on_revision_event(secret.model_dump(mode="json")) == 0
    shown = transition(awaiting(department="RP"), confidential=True, distribution=("DJ", "RP"))
    assert service_over(uow, shown).on_revision_event(shown.model_dump(mode="json")) == 1


def test_an_event_without_awaiting_keeps_today_s_rule():
    old = transition(None, S.IN_ENDORSEMENT)
    assert old.data.awaiting is None
    assert audience("version_verified", old.data).roles == (
        (Role.ENDORSER, None), (Role.VERIFIER, "RP"))
    assert audience("version_verified", old.data).excluded == ()
    assert message("version_verified", old.data).endswith(
        "așteaptă avizarea sau analiza compartimentului dumneavoastră.")
