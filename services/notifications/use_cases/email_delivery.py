"""Use cases of e-mail: queue what a person's preference asks for, send what is due.

Each takes its ports (a cursor or the Database, the Mailer, the settings) so the
integration tests drive them against real PostgreSQL and a real SMTP server.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.contracts.notifications import EmailDelivery
from services.notifications.domain import messages
from services.notifications.adapters.email_repository import EmailRepository
from services.common.clock import CityHallClock
from services.notifications.adapters.mailer import DELIVERY_ERRORS
from services.notifications.ports import Clock, EmailQueue
from services.notifications.settings import NotificationSettings

log = logging.getLogger(__name__)


def queue_immediate(emails: EmailQueue, items: list[dict],
                    settings: NotificationSettings) -> int:
    """One message per new feed item, for the people who want e-mail at once
    (inside the transaction that adds the items)."""
    if not items:
        return 0
    repo = emails
    wanted = repo.preferring(sorted({i["username"] for i in items}), EmailDelivery.IMMEDIATE)
    queued = 0
    for item in items:
        preferences = wanted.get(item["username"])
        if preferences is None:
            continue
        link = messages.document_link(settings.document_link, settings.base_url, item)
        message = messages.immediate(item, link)
        address = messages.address(preferences, item["username"], settings.email.default_domain)
        if repo.queue(f"item:{item['item_id']}", item["username"], address, "immediate",
                      message.subject, message.body, [item["item_id"]]) is not None:
            queued += 1
    return queued


def queue_digests(cur, day: date, settings: NotificationSettings) -> int:
    """One message per person who chose the daily digest and had items on `day`
    (the city hall's calendar day); a day is never digested twice."""
    zone = ZoneInfo(settings.timezone)
    start = datetime.combine(day, time.min, zone)
    end = datetime.combine(day + timedelta(days=1), time.min, zone)
    repo = EmailRepository(cur)
    queued = 0
    for username, preferences in sorted(repo.digest_readers().items()):
        items = repo.items_between(username, start, end)
        if not items:
            continue
        links = [messages.document_link(settings.document_link, settings.base_url, i)
                 for i in items]
        message = messages.digest(items, links, day, settings.timezone)
        address = messages.address(preferences, username, settings.email.default_domain)
        if repo.queue(f"digest:{username}:{day.isoformat()}", username, address,
                      "daily_digest", message.subject, message.body,
                      [i["id"] for i in items]) is not None:
            queued += 1
    return queued


def deliver_due(database, mailer, settings: NotificationSettings,
                now: datetime | None = None, clock: Clock | None = None) -> dict:
    """Send the queued messages whose time has come, one transaction each (a message
    is locked while it is being sent, so several workers never send it twice).
    A failure is tried again later with exponential backoff, then given up."""
    cfg = settings.email
    clock = clock if clock is not None else CityHallClock(settings.timezone)
    outcome = {"sent": 0, "retrying": 0, "failed": 0}
    for _ in range(cfg.batch):
        moment = now or clock.now()
        with database.transaction() as cur:
            repo = EmailRepository(cur)
            row = repo.next_due(moment)
            if row is None:
                break
            try:
                mailer.send(row["address"], row["subject"], row["body"],
                            message_id=f"<procedura-{row['id']}@{cfg.default_domain}>")
            except DELIVERY_ERRORS as exc:
                attempts = row["attempts"] + 1
                error = f"{type(exc).__name__}: {exc}"
                if messages.gives_up(attempts, cfg.max_attempts):
                    repo.mark_attempt_failed(row["id"], error, None)
                    outcome["failed"] += 1
                    log.error("e-mail %s to %s failed %d times; giving up: %s",
                              row["id"], row["address"], attempts, error)
                else:
                    repo.mark_attempt_failed(row["id"], error, messages.next_attempt(
                        moment, attempts, cfg.retry_base_seconds, cfg.retry_max_seconds))
                    outcome["retrying"] += 1
                    log.warning("e-mail %s to %s failed (attempt %d): %s",
                                row["id"], row["address"], attempts, error)
                continue
            repo.mark_sent(row["id"], moment)
            outcome["sent"] += 1
    return outcome
