"""What the notifications service's use cases need of the world, as Protocols (no
framework, no I/O): each person's feed, the distribution lists and their
acknowledgements, the deadlines of workflow steps, the e-mail queue, the inbox (an event
handled once) and the outbox, held together by a unit of work (one transaction), and a
clock. adapters/ gives them
PostgreSQL and the city hall's time zone; the unit tests give them fakes
(tests/unit/fakes.py), checked against these."""
from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from services.contracts.events import Envelope
from services.contracts.notifications import EmailDelivery, Preferences


class Clock(Protocol):
    """Today and now in the city hall's time zone: due dates, reminders, digests."""

    def today(self) -> date: ...

    def now(self) -> datetime: ...


class Outbox(Protocol):
    def record(self, event: Envelope) -> None: ...


class Inbox(Protocol):
    def first_delivery(self, event_id, handler: str) -> bool: ...


class FeedRepository(Protocol):
    def add_items(self, event_id, kind: str, data, message: str, users) -> list[dict]: ...

    def recipients(self, document_id) -> dict[str, str]: ...

    def withhold(self, document_id, shown: list[str], withheld: list[str]) -> list[int]: ...


class AcknowledgementRepository(Protocol):
    def open_list(self, data, in_force_on: date, due: date, people) -> int: ...

    def close_list(self, version_id) -> None: ...

    def acknowledge(self, username: str, version_id) -> tuple[dict, bool]: ...

    def due_date(self, version_id) -> date | None: ...

    def people(self, version_id) -> list[tuple]: ...

    def of_department(self, department: str | None, limit: int = 5000) -> list[dict]: ...

    def pending_for(self, username: str) -> list[dict]: ...

    def awaiting_reminder(self, today: date, days_before: int) -> list[dict]: ...

    def recipients(self, document_id) -> dict[str, str]: ...

    def follow(self, facts, shown: list[str], withheld: list[str]) -> None: ...

    def mark_reminded(self, version_id, username: str, after: bool) -> None: ...


class StepDeadlineRepository(Protocol):
    """The step each revision waits in when it has a deadline, and its notices sent."""

    def follow(self, data, deadline) -> bool: ...

    def signed(self, version_id, status_seq: int, signer: str) -> None: ...

    def owed(self, today: date) -> list[dict]: ...

    def claim(self, version_id, status_seq: int, escalation: bool) -> bool: ...


class EmailQueue(Protocol):
    def preferring(self, usernames: list[str],
                   delivery: EmailDelivery) -> dict[str, Preferences]: ...

    def queue(self, dedupe_key: str, username: str, address: str, kind: str, subject: str,
              body: str, feed_item_ids: list[int]) -> int | None: ...

    def withhold(self, feed_item_ids: list[int]) -> int: ...


class UnitOfWork(Protocol):
    """One transaction: `with uow:` opens it; leaving the block keeps all of it or, on an
    exception, none of it."""

    feed: FeedRepository
    acknowledgements: AcknowledgementRepository
    deadlines: StepDeadlineRepository
    emails: EmailQueue
    inbox: Inbox
    outbox: Outbox

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(self, kind, error, trace) -> bool | None: ...
