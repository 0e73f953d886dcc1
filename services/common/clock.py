"""The city hall's clock: today's date and the time now in the settings' time zone. The
documents service dates registrations, effective dates and its timers by it; the
notifications service its acknowledgement due dates, reminders, step deadlines, digests
and e-mail retries (the use cases take it as their Clock port; tests a FakeClock)."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo


class CityHallClock:
    def __init__(self, timezone: str):
        self.zone = ZoneInfo(timezone)

    def today(self) -> date:
        return datetime.now(self.zone).date()

    def now(self) -> datetime:
        return datetime.now(self.zone)
