"""Working days of the city hall: no weekends, no public holidays (free of I/O)."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Collection


def is_working_day(day: date, holidays: Collection[date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: date, days: int, holidays: Collection[date]) -> date:
    """The `days`-th working day after `start` (`start` itself does not count, whatever
    it is); 0 gives `start`."""
    if days < 0:
        raise ValueError("days must not be negative")
    day, left = start, days
    while left:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            left -= 1
    return day


def previous_working_day(day: date, holidays: Collection[date]) -> date:
    """The last working day before `day` (`day` itself does not count, whatever it is)."""
    day -= timedelta(days=1)
    while not is_working_day(day, holidays):
        day -= timedelta(days=1)
    return day
