"""The notifications service's use cases over fakes (tests/unit/fakes.py): who is told of
a step, confidential items only for who may read them, following a change of access,
acknowledgements recorded once, the report and the reminders. No server: milliseconds;
tests/integration proves the PostgreSQL adapters."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

import pytest
from nameko.testing.services import worker_factory

from services.common.settings import load_config
from services.contracts import events
from services.contracts.models import Role
from services.contracts.signing import CHAINS_FILE, load_steps
from services.notifications.service import NotificationsService
from services.notifications.settings import NotificationSettings
from services.notifications.use_cases import feed
from tests.helpers import user
from tests.testenv import ROOT
from tests.unit.fakes import FakeClock, FakeNotificationsUnitOfWork

SETTINGS = NotificationSettings.from_config(load_config(ROOT / "config" / "procedura.yaml"))
ANA = user("DJ", Role.AUTHOR, name="ana")
HEAD_DJ = user("DJ", Role.VERIFIER, name="sef.dj")
HEAD_RP = user("RP", Role.VERIFIER, name="sef.rp")
CLERK_RP = user("RP", name="ion.rp")
ENDORSER = user("CM", Role.ENDORSER, name="mihai")
STAFF = [ANA, HEAD_DJ, HEAD_RP, CLERK_RP, ENDORSER]
DOCUMENT_ID, VERSION_ID = uuid.uuid4(), uuid.uuid4()
# Monday 23.11.2026 in force: five working days to confirm (30.11 and 1.12 are
# public holidays), due Wednesday 2.12
IN_FORCE_AT = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)


def revision_event(kind, status, confidential=False, distribution=("DJ", "RP"), time=None):
    data = events.RevisionTransitioned(
        document_id=DOCUMENT_ID, code="PO-DJ-77", title="Înregistrarea petițiilor", type="PO",
        owner_department="DJ", distribution=list(distribution), confidential=confidential,
        version_id=VERSION_ID, edition=1, revision=0, status=status,
        previous_status="approved", status_seq=6, actor="primar", actor_function="Primar",
        comment="", author="ana")
    return events.ALL_EVENTS[kind](subject=DOCUMENT_ID, data=data,
                                   **({"time": time} if time else {}))


def record_of(event) -> dict:
    """The document as documents.document_record answers, with the event's facts."""
    return {**event.data.model_dump(mode="json"), "id": str(DOCUMENT_ID)}


@pytest.fixture
def clock():
    return FakeClock(date(2026, 11, 23))


@pytest.fixture
def uow(clock):
    return FakeNotificationsUnitOfWork(clock)


def service_over(uow, event):
    """The service with its unit of work on the fakes and the documents service answering
    from STAFF (who is on staff now) and the event's facts (the register's now)."""
    service = worker_factory(NotificationsService, settings=SETTINGS,
                             steps=load_steps(CHAINS_FILE))
    service._uow = lambda: uow
    dump = [u.model_dump(mode="json") for u in STAFF]
    service.documents.staff.side_effect = lambda departments, roles: [
        u for u in dump if (departments is None or u["department"] in departments)
        and (roles is None or set(roles) & set(u["roles"]))]
    service.documents.users.side_effect = lambda names: [u for u in dump
                                                         if u["username"] in names]
    service.documents.document_record.return_value = record_of(event)
    return service


def told(uow) -> set[str]:
    return {i["username"] for i in uow.feed.items if not i["withheld"]}


def test_a_verified_revision_is_told_to_the_endorsers_and_the_heads_who_give_opinions(uow):
    event = revision_event("version_verified", "in_endorsement")
    assert service_over(uow, event).on_revision_event(event.model_dump(mode="json")) == 2
    assert told(uow) == {"mihai", "sef.rp"}
    assert uow.outbox.types() == ["notification_created", "notification_created"]
    assert service_over(uow, event).on_revision_event(event.model_dump(mode="json")) == 0


def test_a_confidential_revision_in_force_is_told_only_to_who_may_read_it(uow):
    event = revision_event("version_in_force", "in_force", confidential=True,
                           distribution=["DJ"], time=IN_FORCE_AT)
    service_over(uow, event).on_revision_event(event.model_dump(mode="json"))
    assert told(uow) == {"ana", "sef.dj"}          # RP is not on its list: not even told
    open_event = revision_event("version_in_force", "in_force", time=IN_FORCE_AT)
    other = FakeNotificationsUnitOfWork(FakeClock(date(2026, 11, 23)))
    service_over(other, open_event).on_revision_event(open_event.model_dump(mode="json"))
    assert told(other) == {"ana", "sef.dj", "sef.rp", "ion.rp"}


def in_force(uow) -> None:
    event = revision_event("version_in_force", "in_force", time=IN_FORCE_AT)
    assert feed.notify(uow, SETTINGS, event, [ANA, HEAD_DJ, HEAD_RP, CLERK_RP]) == 4


def test_access_is_followed_withheld_and_given_back(uow):
    in_force(uow)
    resolve = {u.username: u for u in STAFF}.__getitem__

    def people(names):
        return {n: resolve(n) for n in names}

    confidential = events.DocumentFacts(**{**revision_event(
        "version_in_force", "in_force").data.model_dump(), "confidential": True,
        "distribution": ["DJ"]})
    counts = feed.follow_access(uow, confidential, people)
    assert counts == {"readers": 2, "listed": 2, "withheld_items": 2}
    assert told(uow) == {"ana", "sef.dj"}
    assert {p.username for p in feed.report(uow, SETTINGS, str(VERSION_ID)).people} == {
        "ana", "sef.dj"}
    undone = events.DocumentFacts(**revision_event("version_in_force", "in_force").data
                                  .model_dump())
    feed.follow_access(uow, undone, people)
    assert told(uow) == {"ana", "sef.dj", "sef.rp", "ion.rp"}
    assert len(feed.report(uow, SETTINGS, str(VERSION_ID)).people) == 4


def test_an_acknowledgement_is_recorded_once_and_the_report_says_who_has_not(uow, clock):
    in_force(uow)
    first, new = feed.acknowledge(uow, SETTINGS, "sef.rp", str(VERSION_ID))
    again, new_again = feed.acknowledge(uow, SETTINGS, "sef.rp", str(VERSION_ID))
    assert (new, new_again) == (True, False)
    assert again.acknowledged_at == first.acknowledged_at
    assert uow.outbox.types().count("acknowledgement_recorded") == 1
    report = feed.report(uow, SETTINGS, str(VERSION_ID))
    assert (report.confirmed, report.pending, report.due_date) == (1, 3, date(2026, 12, 2))
    assert {p.username for p in report.people if p.acknowledged_at is None} == {
        "ana", "sef.dj", "ion.rp"}


def test_reminders_on_the_due_date_go_only_to_who_has_not_confirmed(uow):
    in_force(uow)
    feed.acknowledge(uow, SETTINGS, "ana", str(VERSION_ID))
    before = len(uow.feed.items)
    assert feed.send_reminders(uow, SETTINGS, date(2026, 12, 2)) == 3
    reminded = {i["username"] for i in uow.feed.items[before:]}
    assert reminded == {"sef.dj", "sef.rp", "ion.rp"}
    assert feed.send_reminders(uow, SETTINGS, date(2026, 12, 2)) == 0   # once per kind
