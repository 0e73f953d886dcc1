"""Deadlines of workflow steps over the fakes and a FakeClock: a step entered with
`deadline_working_days` is due that many working days later; its awaited signers get one
reminder from the working day before, the head of their department one escalation once
it has passed; a later transition clears it, a late or repeated one cannot bring it back."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

import pytest

from services.contracts import events
from services.contracts.confidentiality import may_read
from services.contracts.models import Role
from services.contracts.notifications import EmailDelivery, Preferences
from services.notifications.domain import deadlines as rules
from services.notifications.use_cases import feed, step_deadlines
from tests.helpers import user
from tests.unit.fakes import FakeClock, FakeNotificationsUnitOfWork
from tests.unit.test_notif_awaiting import LEGAL, awaiting, transition
from tests.unit.test_notifications_use_cases import SETTINGS, service_over

AUTHOR = user("DJ", Role.AUTHOR, Role.VERIFIER, name="ana")
LAWYER = user("DJ", Role.VERIFIER, name="sef.dj")
LAWYER_2 = user("DJ", Role.VERIFIER, name="adjunct.dj")
HEAD_CM = user("CM", Role.VERIFIER, name="sef.cm")
ENDORSER = user("CM", Role.ENDORSER, name="mihai")
ENDORSER_2 = user("CM", Role.ENDORSER, name="elena")
ENDORSER_3 = user("CM", Role.ENDORSER, name="radu")
STAFF = [AUTHOR, LAWYER, LAWYER_2, HEAD_CM, ENDORSER, ENDORSER_2, ENDORSER_3]
# entered on Friday 27.11.2026: 30.11 and 1.12 are public holidays, so two working days
# are due Thursday 3.12, and the reminder goes from Wednesday 2.12
ENTERED = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)


def staff(role: str, department: str | None):
    return [u for u in STAFF if u.has(Role(role))
            and (department is None or u.department == department)]


def facts_of(event):
    return lambda document_id: events.DocumentFacts(**event.data.model_dump())


def entered(step=None, **fields):
    step = step or awaiting(deadline=2)
    step = step.model_copy(update={"entered_at": ENTERED})
    return transition(step, **fields)


def notices(uow, kind=None):
    return [(i["username"], i["kind"]) for i in uow.feed.items
            if i["kind"].startswith("step_deadline") and (kind is None or i["kind"] == kind)]


@pytest.fixture
def clock():
    return FakeClock(date(2026, 11, 27))


@pytest.fixture
def uow(clock):
    return FakeNotificationsUnitOfWork(clock, preferences={
        "sef.cm": Preferences(email_delivery=EmailDelivery.IMMEDIATE)})


def send(uow, clock, event):
    return step_deadlines.send_notices(uow, SETTINGS, clock.today(), staff, facts_of(event))


def test_the_due_date_counts_working_days_and_the_reminder_the_working_day_before():
    due = rules.step_deadline("avizare-juridica", "Avizare juridică", Role.VERIFIER, "DJ",
                              date(2026, 11, 27), 2, SETTINGS.holidays)
    assert (due.due_date, due.remind_on) == (date(2026, 12, 3), date(2026, 12, 2))
    monday = rules.step_deadline("x", "X", Role.VERIFIER, None, date(2026, 12, 3), 2, ())
    assert (monday.due_date, monday.remind_on) == (date(2026, 12, 7), date(2026, 12, 4))
    owed = [rules.notice_owed(date(2026, 12, 7), date(2026, 12, 4), date(2026, 12, d))
            for d in (3, 4, 5, 7, 8)]
    assert owed == [None, rules.DeadlineNotice.REMINDER, rules.DeadlineNotice.REMINDER,
                    rules.DeadlineNotice.REMINDER, rules.DeadlineNotice.ESCALATION]


def test_a_late_step_gives_one_reminder_then_one_escalation(uow, clock):
    event = entered()
    assert feed.notify(uow, SETTINGS, event, [LAWYER, LAWYER_2]) == 2
    for day in (27, 28, 29, 30):                  # Friday, the weekend, a holiday
        clock.day = date(2026, 11, day)
        assert send(uow, clock, event) == 0
    clock.day = date(2026, 12, 2)                 # the working day before the due date
    assert send(uow, clock, event) == 2
    assert send(uow, clock, event) == 0           # once
    # the signers, not the author (a verifier of DJ herself)
    assert sorted(notices(uow)) == [("adjunct.dj", "step_deadline_reminder"),
                                    ("sef.dj", "step_deadline_reminder")]
    reminder = next(i for i in uow.feed.items if i["kind"] == "step_deadline_reminder")
    assert reminder["message"] == (
        "Termenul pentru Avizare juridică la PO-DJ-77 „Înregistrarea petițiilor” "
        "(Ediția I, Revizia 0) expiră la 03.12.2026; documentul așteaptă semnătura "
        "dumneavoastră.")
    clock.day = date(2026, 12, 3)                 # the due date: nothing more yet
    assert send(uow, clock, event) == 0
    clock.day = date(2026, 12, 4)
    # the heads (verifiers) of DJ: here the signers themselves, and the author, who
    # learns her revision is held up
    assert send(uow, clock, event) == 3
    assert sorted(notices(uow, "step_deadline_escalation")) == [
        ("adjunct.dj", "step_deadline_escalation"), ("ana", "step_deadline_escalation"),
        ("sef.dj", "step_deadline_escalation")]
    clock.advance(7)
    assert send(uow, clock, event) == 0           # once
    assert uow.outbox.types().count("notification_created") == 2 + 2 + 3


def test_the_escalation_goes_to_the_head_of_the_awaited_department(uow, clock):
    event = entered(awaiting("comisie", Role.ENDORSER, "CM", {"ro": "Avizare comisie",
                                                              "en": "Board"}, deadline=1))
    feed.notify(uow, SETTINGS, event, [ENDORSER])
    clock.day = date(2026, 12, 3)                 # due Wed 2.12: late
    assert send(uow, clock, event) == 1
    assert notices(uow) == [("sef.cm", "step_deadline_escalation")]
    assert [m["username"] for m in uow.emails.queued] == ["sef.cm"]   # and by e-mail
    escalation = uow.feed.items[-1]["message"]
    assert escalation.startswith("Termenul pentru Avizare comisie la PO-DJ-77")
    assert "a expirat la 02.12.2026" in escalation


def test_a_step_any_department_signs_escalates_to_the_owner_department_s_head(uow, clock):
    event = entered(awaiting("aprobare-sg", Role.ENDORSER, None, LEGAL, deadline=1))
    feed.notify(uow, SETTINGS, event, [ENDORSER])
    clock.day = date(2026, 12, 3)
    send(uow, clock, event)
    assert sorted(notices(uow)) == [("adjunct.dj", "step_deadline_escalation"),
                                    ("ana", "step_deadline_escalation"),
                                    ("sef.dj", "step_deadline_escalation")]


def test_a_later_transition_clears_the_deadline_and_a_late_one_cannot_bring_it_back(uow,
                                                                                   clock):
    vid, did = uuid.uuid4(), uuid.uuid4()
    first = entered(version_id=vid, document_id=did, status_seq=3)
    feed.notify(uow, SETTINGS, first, [LAWYER])
    moved_on = transition(None, kind="version_endorsed", version_id=vid, document_id=did,
                          status_seq=4)
    feed.notify(uow, SETTINGS, moved_on, [])
    feed.notify(uow, SETTINGS, first.model_copy(update={"id": uuid.uuid4()}), [LAWYER])
    clock.day = date(2026, 12, 10)
    assert send(uow, clock, first) == 0
    assert notices(uow) == []


def test_a_redelivered_transition_does_not_start_the_step_again(uow, clock):
    event = entered()
    feed.notify(uow, SETTINGS, event, [LAWYER])
    clock.day = date(2026, 12, 2)
    assert send(uow, clock, event) == 2
    assert feed.notify(uow, SETTINGS, event, [LAWYER]) == 0      # the same event again
    again = event.model_copy(update={"id": uuid.uuid4()})        # republished by a relay
    feed.notify(uow, SETTINGS, again, [LAWYER])
    assert send(uow, clock, event) == 0


def test_nobody_is_told_of_a_document_they_may_not_read(uow, clock):
    event = entered(awaiting("comisie", Role.ENDORSER, "CM", LEGAL, deadline=1),
                    confidential=True, distribution=("DJ",))
    assert not may_read(HEAD_CM, event.data)
    feed.notify(uow, SETTINGS, event, [])
    clock.day = date(2026, 12, 3)
    assert send(uow, clock, event) == 0
    # the escalation is marked as gone: not tried again every tick
    assert uow.deadlines.rows[event.data.version_id]["escalated_at"] is not None


def test_the_timer_reckons_with_the_service_s_clock_and_the_people_of_now(uow, clock):
    event = entered()
    service = service_over(uow, event)
    service.clock = clock
    service.on_revision_event(event.model_dump(mode="json"))
    assert service.remind_step_deadlines() == 0            # Friday 27.11
    clock.day = date(2026, 12, 2)
    assert service.remind_step_deadlines() == 1            # the head of DJ on staff now
    assert notices(uow) == [("sef.dj", "step_deadline_reminder")]
    assert service.send_step_deadlines("2026-12-04") == 1  # an operator's day
    assert notices(uow)[-1] == ("sef.dj", "step_deadline_escalation")


def signature(event, signer: str, signatures: int, quorum_reached: bool):
    data = event.data
    return events.VersionStepCompletedEvent(subject=data.document_id,
                                            data=events.VersionStepCompleted(
        **events.DocumentFacts(**data.model_dump()).model_dump(), version_id=data.version_id,
        edition=data.edition, revision=data.revision, step=data.awaiting.step,
        label=data.awaiting.label, signer=signer, signer_function="Membru",
        decision="favourable", quorum=data.awaiting.quorum, signatures=signatures,
        quorum_reached=quorum_reached,
        status_seq=data.status_seq + (1 if quorum_reached else 0)))


def test_a_committee_member_who_signed_before_the_quorum_is_not_reminded(uow, clock):
    event = entered(awaiting("comisie", Role.ENDORSER, "CM", {"ro": "Avizare comisie",
                                                              "en": "Board"},
                             quorum=2, deadline=2))
    service = service_over(uow, event)
    service.clock = clock
    service.documents.staff.side_effect = lambda departments, roles: [
        u.model_dump(mode="json") for u in staff(roles[0], (departments or [None])[0])]
    service.on_revision_event(event.model_dump(mode="json"))
    before = len(uow.feed.items)
    signed = signature(event, "elena", 1, False).model_dump(mode="json")
    service.on_step_signed(signed)
    service.on_step_signed(signed)                         # delivered again
    assert len(uow.feed.items) == before                   # nobody new is told
    clock.day = date(2026, 12, 2)
    assert service.remind_step_deadlines() == 2
    assert sorted(notices(uow)) == [("mihai", "step_deadline_reminder"),
                                    ("radu", "step_deadline_reminder")]
