"""The fakes the use-case tests run on and the adapters the services run on answer to the
same Protocols (services/*/ports.py): every method of a port exists on both, with the
same parameters in the same order, kinds and defaults. A fake that drifted from its
adapter would let a use-case test pass against something production does not do."""
from __future__ import annotations

import inspect

import pytest

from services.documents import ports
from services.notifications import ports as notification_ports
from services.documents.adapters.access_repository import AccessRepository
from services.common.clock import CityHallClock
from services.documents.adapters.qms_repository import QmsRepository
from services.documents.adapters.repository import Repository
from services.common.unit_of_work import PostgresOutbox
from services.documents.adapters.unit_of_work import PostgresAuditTrail, PostgresUnitOfWork
from services.notifications.adapters import unit_of_work as notifications_uow
from services.notifications.adapters.ack_repository import AcknowledgementRepository
from services.notifications.adapters.deadline_repository import StepDeadlineRepository
from services.notifications.adapters.email_repository import EmailRepository
from services.notifications.adapters.repository import Repository as FeedRepository
from tests.unit import fakes

PAIRS = [
    (ports.Clock, CityHallClock, fakes.FakeClock),
    (ports.AuditTrail, PostgresAuditTrail, fakes.FakeAuditTrail),
    (ports.Outbox, PostgresOutbox, fakes.FakeOutbox),
    (ports.DocumentsRepository, Repository, fakes.FakeDocumentsRepository),
    (ports.UnitOfWork, PostgresUnitOfWork, fakes.FakeUnitOfWork),
    (ports.StaffRegister, Repository, fakes.FakeStaffRegister),
    (ports.Sessions, AccessRepository, fakes.FakeSessions),
    (ports.OrganisationUnitOfWork, PostgresUnitOfWork, fakes.FakeOrganisationUnitOfWork),
    (ports.QmsRepository, QmsRepository, fakes.FakeQmsRepository),
    (ports.QmsUnitOfWork, PostgresUnitOfWork, fakes.FakeQmsUnitOfWork),
    (notification_ports.Outbox, PostgresOutbox, fakes.FakeOutbox),
    (notification_ports.Inbox, notifications_uow.PostgresInbox, fakes.FakeInbox),
    (notification_ports.FeedRepository, FeedRepository, fakes.FakeFeed),
    (notification_ports.AcknowledgementRepository, AcknowledgementRepository,
     fakes.FakeAcknowledgements),
    (notification_ports.EmailQueue, EmailRepository, fakes.FakeEmails),
    (notification_ports.StepDeadlineRepository, StepDeadlineRepository,
     fakes.FakeStepDeadlines),
    (notification_ports.UnitOfWork, notifications_uow.PostgresUnitOfWork,
     fakes.FakeNotificationsUnitOfWork),
]


def methods(protocol) -> dict[str, inspect.Signature]:
    own = {name: value for name, value in vars(protocol).items()
           if inspect.isfunction(value) and (not name.startswith("_") or name in (
               "__enter__", "__exit__"))}
    return {name: inspect.signature(value) for name, value in own.items()}


def shape(signature: inspect.Signature) -> list[tuple]:
    """Names, kinds and defaults: annotations are strings here and may be spelt apart."""
    return [(p.name, p.kind, p.default) for p in signature.parameters.values()]


@pytest.mark.parametrize("protocol, adapter, fake", PAIRS,
                         ids=[f"{p[0].__module__.split('.')[1]}.{p[0].__name__}"
                              for p in PAIRS])
def test_the_adapter_and_the_fake_have_every_method_of_the_port(protocol, adapter, fake):
    expected = methods(protocol)
    assert expected, protocol
    for name, signature in expected.items():
        for implementation in (adapter, fake):
            assert hasattr(implementation, name), f"{implementation.__name__}.{name}"
            found = inspect.signature(getattr(implementation, name))
            assert shape(found) == shape(signature), f"{implementation.__name__}.{name}"


def test_the_units_of_work_hold_what_their_ports_name():
    held = set(ports.UnitOfWork.__annotations__)
    assert held == {"documents", "audit", "outbox"}
    assert held <= set(vars(fakes.FakeUnitOfWork(fakes.FakeDocumentsRepository())))
    held = set(notification_ports.UnitOfWork.__annotations__)
    assert held == {"feed", "acknowledgements", "deadlines", "emails", "inbox", "outbox"}
    fake = fakes.FakeNotificationsUnitOfWork(fakes.FakeClock(fakes.START.date()))
    assert held <= set(vars(fake))


def held_by(protocol) -> set[str]:
    """What a unit of work's port names, its own and those of the ports it extends."""
    return {name for klass in protocol.__mro__ for name in vars(klass).get("__annotations__", {})}


@pytest.mark.parametrize("protocol, fake, names", [
    (ports.OrganisationUnitOfWork, fakes.FakeOrganisationUnitOfWork(fakes.FakeStaffRegister(),
                                                                   fakes.FakeSessions()),
     {"staff", "sessions", "audit"}),
    (ports.QmsUnitOfWork, fakes.FakeQmsUnitOfWork(fakes.FakeDocumentsRepository()),
     {"documents", "qms", "audit", "outbox"})])
def test_the_documents_units_of_work_of_processes_and_people_hold_what_their_ports_name(
        protocol, fake, names):
    held = held_by(protocol)
    assert held == names
    assert held <= set(vars(fake))
    postgres = PostgresUnitOfWork(None)
    postgres.bind(None)          # the adapters only keep the cursor they are given
    assert held - {"outbox"} <= set(vars(postgres))
