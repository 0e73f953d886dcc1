"""Use cases of the notifications service that go beyond one query: feed items with
their live event and e-mail, distribution lists, acknowledgements and reminders. Each
takes a unit of work (ports.py): the feed, the lists, the e-mail queue, the inbox and
the outbox of one transaction."""
from __future__ import annotations

import uuid
from datetime import date
from zoneinfo import ZoneInfo

from services.contracts.confidentiality import holders, may_read
from services.contracts import events
from services.contracts.models import User
from services.contracts.notifications import (
    Acknowledgement, AcknowledgementReport, ReportPerson)
from services.notifications.domain import acknowledgements as rules
from services.notifications.domain import deadlines
from services.notifications import domain
from services.notifications.use_cases.email_delivery import queue_immediate
from services.common.clock import CityHallClock
from services.notifications.ports import Clock, UnitOfWork
from services.notifications.settings import NotificationSettings

# reminders are feed items too; their ids derive from (revision, person, kind), so a
# reminder can never be added twice
REMINDER_NAMESPACE = uuid.UUID("6f1c0d7e-6a52-4c1e-9d0e-acd0a7e2b1f4")
CLOSING_EVENTS = {"version_superseded", "document_withdrawn"}


def clock_of(settings: NotificationSettings, clock: Clock | None = None) -> Clock:
    """The clock given, else the city hall's (a caller that gives none: the integration
    tests of the adapters, which reckon with real dates)."""
    return clock if clock is not None else CityHallClock(settings.timezone)


def publish_items(uow: UnitOfWork, items: list[dict], settings: NotificationSettings) -> None:
    """What follows every new feed item: its live event and, if wanted, its e-mail."""
    for item in items:   # for the live feed of each person's open browsers
        uow.outbox.record(events.NotificationCreatedEvent(
            subject=item["document_id"], data=events.NotificationCreated(**item)))
    queue_immediate(uow.emails, items, settings)


def notify(uow: UnitOfWork, settings: NotificationSettings, event: events.Envelope,
           users: list[User]) -> int:
    """Feed items for the people resolved now; a revision that comes into force also
    gets its distribution list, to be confirmed by its due date; a revision that enters
    a step with a deadline has it kept until a later transition (step_deadlines.py)."""
    with uow:
        if not uow.inbox.first_delivery(event.id, event.type):
            return 0
        items = uow.feed.add_items(event.id, event.type, event.data,
                                   domain.message(event.type, event.data), users)
        publish_items(uow, items, settings)
        acks = uow.acknowledgements
        if event.type == "version_in_force":
            told = {i["username"]: i["created_at"] for i in items}
            in_force_on = event.time.astimezone(ZoneInfo(settings.timezone)).date()
            due = rules.due_date(in_force_on, settings.acknowledgement.working_days,
                                 settings.holidays)
            acks.open_list(event.data, in_force_on, due,
                           [(u, told.get(u.username)) for u in users])
        elif event.type in CLOSING_EVENTS:
            acks.close_list(event.data.version_id)
        if isinstance(event.data, events.RevisionTransitioned) or (
                isinstance(event.data, events.VersionStepCompleted)
                and event.data.status is not None):
            # the step the revision waits in now, with its deadline, or none any more
            uow.deadlines.follow(event.data, deadlines.of_transition(
                event.data, settings.timezone, settings.holidays))
        return len(items)


def access_changed(before: events.DocumentFacts, now: events.DocumentFacts) -> bool:
    """Whether who may read the document, or who is on its list, may differ between the
    two sets of facts (confidentiality and the departments that hold it)."""
    return (before.confidential != now.confidential or holders(before) != holders(now)
            or set(before.distribution) != set(now.distribution))


def follow_access(uow: UnitOfWork, facts: events.DocumentFacts, resolve) -> dict:
    """A document's record changed (`facts`: as the register holds it now): everyone told
    of it keeps their feed items only while they may read it (may_read), and their
    acknowledgement (with its reminders and place in reports) only while their department
    is also on its distribution list. What they lose is withheld, not deleted: it comes
    back when they are allowed again. `resolve`: {username: department} → {username: User}
    as they are now."""
    with uow:
        feed_told = uow.feed.recipients(facts.document_id)
        list_told = uow.acknowledgements.recipients(facts.document_id)
    people = resolve({**feed_told, **list_told})   # no transaction held over the RPC
    readers = {u for u, user in people.items() if may_read(user, facts)}
    listed = {u for u, department in list_told.items()
              if u in readers and domain.on_the_list(department, facts)}
    with uow:
        hidden = uow.feed.withhold(facts.document_id, sorted(readers),
                                   sorted(set(feed_told) - readers))
        if hidden:
            uow.emails.withhold(hidden)
        uow.acknowledgements.follow(facts, sorted(listed), sorted(set(list_told) - listed))
    return {"readers": len(readers), "listed": len(listed), "withheld_items": len(hidden)}


def _acknowledgement(row: dict, on: date) -> Acknowledgement:
    return Acknowledgement(**{k: row[k] for k in Acknowledgement.model_fields
                              if k != "overdue"},
                           overdue=rules.is_overdue(row["due_date"], row["acknowledged_at"], on))


def acknowledge(uow: UnitOfWork, settings: NotificationSettings, username: str,
                version_id: str, clock: Clock | None = None) -> tuple[Acknowledgement, bool]:
    """Confirm "Am luat la cunoștință"; a second confirmation returns the first record."""
    with uow:
        row, new = uow.acknowledgements.acknowledge(username, uuid.UUID(version_id))
        if new:
            uow.outbox.record(events.AcknowledgementRecordedEvent(
                subject=row["document_id"], data=events.AcknowledgementRecorded(
                    version_id=row["version_id"], document_id=row["document_id"],
                    code=row["code"], edition=row["edition"], revision=row["revision"],
                    username=username, department=row["department"],
                    due_date=row["due_date"], acknowledged_at=row["acknowledged_at"],
                    late=row["acknowledged_at"].astimezone(ZoneInfo(settings.timezone)).date()
                    > row["due_date"])))
    return _acknowledgement(row, clock_of(settings, clock).today()), new


def report(uow: UnitOfWork, settings: NotificationSettings, version_id: str,
           on: date | None = None, clock: Clock | None = None) -> AcknowledgementReport:
    """The distribution list of one revision as it stands on `on` (default: today)."""
    on = on or clock_of(settings, clock).today()
    with uow:
        repo = uow.acknowledgements
        due = repo.due_date(uuid.UUID(version_id))
        rows = repo.people(uuid.UUID(version_id))
    # trusted rows of our own table: constructed, not validated again (thousands per list)
    people = [ReportPerson.model_construct(
                  username=username, full_name=full_name, department=department,
                  function=function, notified_at=notified_at, acknowledged_at=acknowledged_at,
                  overdue=rules.is_overdue(due, acknowledged_at, on))
              for username, full_name, department, function, notified_at, acknowledged_at
              in rows]
    confirmed = sum(1 for p in people if p.acknowledged_at is not None)
    return AcknowledgementReport(version_id=version_id, due_date=due, confirmed=confirmed,
                                 pending=len(people) - confirmed, people=people)


def listing(uow: UnitOfWork, settings: NotificationSettings, *, department: str | None = None,
            username: str | None = None, on: date | None = None,
            clock: Clock | None = None) -> list[Acknowledgement]:
    """A department's records (all: None), or what one person still has to confirm."""
    on = on or clock_of(settings, clock).today()
    with uow:
        repo = uow.acknowledgements
        rows = repo.pending_for(username) if username else repo.of_department(department)
    return [_acknowledgement(r, on) for r in rows]


def send_reminders(uow: UnitOfWork, settings: NotificationSettings, on: date) -> int:
    """The reminders owed on `on`: a feed item each (and its e-mail, per preference),
    once per kind per person."""
    days_before = settings.acknowledgement.remind_days_before
    with uow:
        acks = uow.acknowledgements
        feed = uow.feed
        added = []
        for row in acks.awaiting_reminder(on, days_before):
            kind = rules.reminder_owed(row["due_date"], on, days_before)
            if kind is None or (kind is rules.Reminder.BEFORE
                                and row["reminded_before_at"] is not None):
                continue
            acks.mark_reminded(row["version_id"], row["username"],
                               after=kind is rules.Reminder.AFTER)
            person = _Person(row["username"], row["department"])
            event_id = uuid.uuid5(REMINDER_NAMESPACE,
                                  f"{row['version_id']}:{row['username']}:{kind.value}")
            added += feed.add_items(
                event_id, kind.value, _Facts(row),
                rules.reminder_message(kind, row["code"], row["title"], row["edition"],
                                       row["revision"], row["due_date"]),
                [person])
        publish_items(uow, added, settings)
        return len(added)


class _Person:
    def __init__(self, username: str, department: str):
        self.username, self.department = username, department


class _Facts:
    """What a feed item needs of a revision (as an event's data gives it)."""

    def __init__(self, row: dict):
        self.document_id, self.version_id = row["document_id"], row["version_id"]
        self.code, self.title = row["code"], row["title"]
