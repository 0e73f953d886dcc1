"""Deadlines of workflow steps, free of I/O: when a step a revision waits in is due,
when its signers are reminded and when the head of their department is told it is
late, and what each is told (docs/notifications.md, "Deadlines of workflow steps").

A step with `deadline_working_days` N, entered on day D, is due N working days after D
(working days as acknowledgements count them: no weekends, no public holidays). Its
awaited signers get one reminder from the working day before the due date; once the due
date has passed, the head (role verifier) of the awaited department gets one escalation
(a step any department may sign: the head of the owner department).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Collection
from zoneinfo import ZoneInfo

from services.common.labels import revision_label
from services.contracts.events import RevisionTransitioned
from services.contracts.models import Role
from services.notifications.domain.working_days import add_working_days, previous_working_day

# who is told a step is late: the head of the awaited signers' department
HEAD = Role.VERIFIER


class DeadlineNotice(str, Enum):
    """The feed kinds of a step's two notices, once each per step entered."""
    REMINDER = "step_deadline_reminder"
    ESCALATION = "step_deadline_escalation"


@dataclass(frozen=True)
class StepDeadline:
    """The step a revision waits in, with its deadline: what the reminder and the
    escalation need, kept from the transition that entered it."""
    step: str
    label_ro: str
    role: Role
    department: str | None        # the awaited signers' department; None: any
    due_date: date
    remind_on: date


def step_deadline(step: str, label_ro: str, role: Role, department: str | None,
                  entered_on: date, working_days: int,
                  holidays: Collection[date]) -> StepDeadline:
    due = add_working_days(entered_on, working_days, holidays)
    return StepDeadline(step, label_ro, Role(role), department, due,
                        previous_working_day(due, holidays))


def of_transition(data: RevisionTransitioned, timezone: str,
                  holidays: Collection[date]) -> StepDeadline | None:
    """The deadline of the step a transition enters, counted from the day it entered it
    in the city hall's calendar (None: it enters no step with a deadline)."""
    awaiting = data.awaiting
    if awaiting is None or not awaiting.deadline_working_days:
        return None
    entered_on = awaiting.entered_at.astimezone(ZoneInfo(timezone)).date()
    return step_deadline(awaiting.step, awaiting.label.ro, awaiting.role, awaiting.department,
                         entered_on, awaiting.deadline_working_days, holidays)


def notice_owed(due: date, remind_on: date, today: date) -> DeadlineNotice | None:
    """Which notice a step still waiting is owed on `today`: the reminder from
    `remind_on` until the due date, the escalation once the due date has passed."""
    if today > due:
        return DeadlineNotice.ESCALATION
    if today >= remind_on:
        return DeadlineNotice.REMINDER
    return None


def escalation_department(department: str | None, owner_department: str) -> str:
    """Whose head hears of a late step: the awaited department's, else the owner's."""
    return department or owner_department


# what each notice says: {step} the step's Romanian label, {revision} the revision as a
# message names it, {due} the due date
NOTICE_WORDS = {
    DeadlineNotice.REMINDER: "Termenul pentru {step} la {revision} expiră la {due}; "
                             "documentul așteaptă semnătura dumneavoastră.",
    DeadlineNotice.ESCALATION: "Termenul pentru {step} la {revision} a expirat la {due} fără "
                               "semnăturile necesare; vă rugăm să urmăriți finalizarea pasului.",
}


def notice_message(kind: DeadlineNotice, code: str, title: str, edition: int,
                   revision: int, label_ro: str, due: date) -> str:
    return NOTICE_WORDS[kind].format(step=label_ro, due=f"{due:%d.%m.%Y}",
                                     revision=revision_label(code, title, edition, revision))
