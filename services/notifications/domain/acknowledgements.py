"""Acknowledgement rules ("Am luat la cunoștință"), free of I/O: due dates, when a
reminder is owed, what is overdue, and the CSV of a revision's distribution list."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import Enum
from typing import Collection, Iterable
from zoneinfo import ZoneInfo

from services.common.labels import edition_label, revision_label
from services.common.spreadsheet import csv_text
from services.contracts.notifications import Acknowledgement, ReportPerson
from services.notifications.domain.working_days import add_working_days


class Reminder(str, Enum):
    """The feed kinds of the two reminders each person may get, once each."""
    BEFORE = "acknowledgement_reminder"
    AFTER = "acknowledgement_overdue"


def due_date(in_force_on: date, working_days: int, holidays: Collection[date]) -> date:
    return add_working_days(in_force_on, working_days, holidays)


def is_overdue(due: date | None, acknowledged_at: datetime | None, today: date) -> bool:
    """Not confirmed, and the due date has passed."""
    return due is not None and acknowledged_at is None and today > due


def reminder_owed(due: date, today: date, days_before: int) -> Reminder | None:
    """Which reminder a person who has not confirmed is owed today, if any: the
    "before" one from `days_before` days ahead until the due date, the "after" one
    once it has passed."""
    if today > due:
        return Reminder.AFTER
    if today >= due - timedelta(days=days_before):
        return Reminder.BEFORE
    return None


def reminder_message(kind: Reminder, code: str, title: str, edition: int, revision: int,
                     due: date) -> str:
    name = revision_label(code, title, edition, revision)
    if kind is Reminder.BEFORE:
        return (f"Vă rugăm să confirmați „Am luat la cunoștință” pentru {name} "
                f"până la {due:%d.%m.%Y}.")
    return (f"Termenul de confirmare pentru {name} a expirat la {due:%d.%m.%Y}; "
            f"vă rugăm să confirmați „Am luat la cunoștință”.")


CSV_COLUMNS = ("Nume și prenume", "Utilizator", "Compartiment", "Funcția",
               "Data difuzării", "Data confirmării", "Termen depășit")


def _when(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%d.%m.%Y %H:%M") if moment else ""


def report_csv(people: Iterable[ReportPerson], timezone: str) -> str:
    """The distribution list of one revision as a spreadsheet (dates dd.mm.yyyy HH:MM,
    the city hall's time)."""
    zone = ZoneInfo(timezone)

    def when(moment: datetime | None) -> str:
        return _when(moment, zone)

    return csv_text(CSV_COLUMNS, ((p.full_name, p.username, p.department, p.function,
                                   when(p.notified_at), when(p.acknowledged_at),
                                   "da" if p.overdue else "nu") for p in people))


LISTING_COLUMNS = ("Cod", "Titlu", "Ediția/Revizia", "Termen de confirmare",
                   *CSV_COLUMNS)


def listing_csv(records: Iterable[Acknowledgement], timezone: str) -> str:
    """A department's acknowledgements, one row per revision and person."""
    zone = ZoneInfo(timezone)
    return csv_text(LISTING_COLUMNS, (
        (a.code, a.title, edition_label(a.edition, a.revision), f"{a.due_date:%d.%m.%Y}",
         a.full_name, a.username, a.department, a.function, _when(a.notified_at, zone),
         _when(a.acknowledged_at, zone), "da" if a.overdue else "nu") for a in records))
