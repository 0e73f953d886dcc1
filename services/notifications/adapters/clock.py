"""The city hall's clock: today's date and the time now in the settings' time zone
(acknowledgement due dates, reminders, step deadlines, digests, e-mail retries)."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo


class SystemClock:
    def __init__(self, timezone: str):
        self.zone = ZoneInfo(timezone)

    def today(self) -> date:
        return datetime.now(self.zone).date()

    def now(self) -> datetime:
        return datetime.now(self.zone)
