"""The clock of the city hall: today's date and the time now in its time zone (registry
years, effective dates, the timers that bring revisions into force)."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo


class Calendar:
    def __init__(self, timezone: str):
        self.zone = ZoneInfo(timezone)

    def today(self) -> date:
        return datetime.now(self.zone).date()

    def now(self) -> datetime:
        return datetime.now(self.zone)
