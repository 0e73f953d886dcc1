"""The notifications service reckons its dates with the clock it is given (ports.py
Clock): an acknowledgement's overdue flag, the day reminders are sent for and the day
digested follow a FakeClock, so no use case reads the machine's time behind a test."""
from __future__ import annotations

import inspect
from datetime import date
from zoneinfo import ZoneInfo

from nameko.testing.services import worker_factory

from services.notifications import ports
from services.common.clock import CityHallClock
from services.notifications.service import NotificationsService
from services.notifications.use_cases import feed
from tests.unit import fakes
from tests.unit.test_fakes_match_ports import methods, shape
from tests.unit.test_notifications_use_cases import SETTINGS, VERSION_ID, in_force


def test_the_system_clock_and_the_fake_have_the_clock_port():
    for name, signature in methods(ports.Clock).items():
        for implementation in (CityHallClock, fakes.FakeClock):
            found = inspect.signature(getattr(implementation, name))
            assert shape(found) == shape(signature), f"{implementation.__name__}.{name}"


def test_the_system_clock_tells_the_time_in_the_city_halls_zone():
    clock = CityHallClock("Europe/Bucharest")
    assert clock.now().tzinfo == ZoneInfo("Europe/Bucharest")
    assert clock.today() == clock.now().date()


def test_overdue_is_reckoned_on_the_day_the_clock_says():
    clock = fakes.FakeClock(date(2026, 12, 2))                     # the due date
    uow = fakes.FakeNotificationsUnitOfWork(clock)
    in_force(uow)
    report = feed.report(uow, SETTINGS, str(VERSION_ID), clock=clock)
    assert not any(p.overdue for p in report.people)
    clock.advance(1)
    report = feed.report(uow, SETTINGS, str(VERSION_ID), clock=clock)
    assert report.pending == 4 and all(p.overdue for p in report.people)
    mine = feed.listing(uow, SETTINGS, username="sef.rp", clock=clock)
    assert [a.overdue for a in mine] == [True]
    record, _ = feed.acknowledge(uow, SETTINGS, "sef.rp", str(VERSION_ID), clock)
    assert record.overdue is False                                 # confirmed: not overdue


def test_the_reminders_timer_sends_what_is_owed_on_the_clocks_day():
    clock = fakes.FakeClock(date(2026, 11, 30))
    uow = fakes.FakeNotificationsUnitOfWork(clock)
    in_force(uow)                                                  # due Wed 2.12
    service = worker_factory(NotificationsService, settings=SETTINGS, clock=clock)
    service._uow = lambda: uow
    assert service.send_reminders() == 0                           # two days before
    clock.advance(1)
    assert service.send_reminders() == 4                           # one day before
    assert service.remind() == 0                                   # once per kind
