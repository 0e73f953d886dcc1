"""Use cases of the deadlines of workflow steps: the reminder to the awaited signers the
working day before a step is due, and the escalation to the head of their department
once it is late (domain/deadlines.py), each once per step entered. The step a revision
waits in is kept by feed.notify, from the transition's `awaiting`."""
from __future__ import annotations

import uuid
from datetime import date
from types import SimpleNamespace
from typing import Callable

from services.contracts.confidentiality import may_read
from services.contracts.events import DocumentFacts, VersionStepCompleted
from services.contracts.models import User
from services.notifications.domain import deadlines as rules
from services.notifications.ports import UnitOfWork
from services.notifications.settings import NotificationSettings
from services.notifications.use_cases.feed import publish_items

# the notices are feed items; their ids derive from (revision, step entered, kind), so
# no notice reaches a person twice, whatever the workers, retries and restarts
NOTICE_NAMESPACE = uuid.UUID("3d0b7f5e-2c41-4a8e-9b6f-5e1d7c2a9f30")

Staff = Callable[[str, str | None], list[User]]        # (role, department or any) → people
Facts = Callable[[uuid.UUID], DocumentFacts | None]    # the register's facts now


def send_notices(uow: UnitOfWork, settings: NotificationSettings, on: date, staff: Staff,
                 facts_now: Facts) -> int:
    """The reminders and escalations owed on `on`: feed items (and their e-mail, per
    preference) for who may read the document now. Returns how many items were added."""
    with uow:
        owed = uow.deadlines.owed(on)
    added = 0
    for row in owed:
        kind = rules.notice_owed(row["due_date"], row["remind_on"], on)
        if kind is None or (kind is rules.DeadlineNotice.REMINDER
                            and row["reminded_at"] is not None):
            continue
        # people and facts are asked for outside any transaction (RPCs)
        facts = facts_now(row["document_id"])
        people = [u for u in _told(kind, row, staff) if facts and may_read(u, facts)]
        with uow:
            if not uow.deadlines.claim(row["version_id"], row["status_seq"],
                                       kind is rules.DeadlineNotice.ESCALATION):
                continue   # sent by another worker, or the revision has moved on since
            event_id = uuid.uuid5(NOTICE_NAMESPACE,
                                  f"{row['version_id']}:{row['status_seq']}:{kind.value}")
            items = uow.feed.add_items(
                event_id, kind.value, SimpleNamespace(**row),
                rules.notice_message(kind, row["code"], row["title"], row["edition"],
                                     row["revision"], row["label_ro"], row["due_date"]),
                people)
            publish_items(uow, items, settings)
        added += len(items)
    return added


def step_signed(uow: UnitOfWork, data: VersionStepCompleted) -> None:
    """A committee member signed a step whose quorum is not reached yet: the step's
    reminder is not for them (one who completes it moves the revision on)."""
    if data.quorum_reached:
        return
    with uow:
        uow.deadlines.signed(data.version_id, data.status_seq, data.signer)


def _told(kind: rules.DeadlineNotice, row: dict, staff: Staff) -> list[User]:
    """The awaited signers (not the author, nor who signed already), or the head of
    their department."""
    if kind is rules.DeadlineNotice.REMINDER:
        done = {row["author"], *row["signed_by"]}
        return [u for u in staff(row["role"], row["department"]) if u.username not in done]
    return staff(rules.HEAD.value,
                 rules.escalation_department(row["department"], row["owner_department"]))
