"""E-mail rules, free of I/O: who gets which message, its Romanian text with a link to
the document, and when a failed message is tried again.

Messages are made only from a person's own feed items, so the audience rules of the
feed (domain.py: a confidential document reaches only people who may read it) hold
for e-mail too.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from services.contracts.notifications import Preferences


@dataclass(frozen=True)
class Message:
    subject: str
    body: str


SIGNATURE = ("\n\n--\nAcest mesaj a fost trimis automat de Procedura. Preferințele de "
             "e-mail se schimbă din contul dumneavoastră (Preferințe).")


def address(preferences: Preferences, username: str, default_domain: str) -> str:
    return preferences.email_address or f"{username}@{default_domain}"


def document_link(link_template: str, base_url: str, item: dict) -> str:
    return link_template.format(base_url=base_url.rstrip("/"),
                                document_id=item["document_id"],
                                version_id=item.get("version_id") or "")


def immediate(item: dict, link: str) -> Message:
    """One feed item, as it happens."""
    return Message(
        subject=f"[Procedura] {item['code']} – {item['title']}",
        body=(f"Bună ziua,\n\n{item['message']}\n\nDocumentul: {link}" + SIGNATURE))


def digest(items: list[dict], links: list[str], day: date, timezone: str) -> Message:
    """A person's feed items of one day, oldest first, in one message."""
    zone = ZoneInfo(timezone)
    lines = []
    for item, link in zip(items, links):
        at = item["created_at"].astimezone(zone).strftime("%H:%M")
        lines.append(f"• {at} — {item['message']}\n  {link}")
    count = "o notificare" if len(items) == 1 else f"{len(items)} notificări"
    return Message(
        subject=f"[Procedura] Rezumatul zilei {day:%d.%m.%Y}: {count}",
        body=(f"Bună ziua,\n\nIată ce vă privește din ziua de {day:%d.%m.%Y}:\n\n"
              + "\n\n".join(lines) + SIGNATURE))


def next_attempt(now: datetime, attempts: int, base_seconds: float,
                 max_seconds: float) -> datetime:
    """After the `attempts`-th failure: base, 2×base, 4×base... seconds later, capped."""
    return now + timedelta(seconds=min(base_seconds * 2 ** (attempts - 1), max_seconds))


def gives_up(attempts: int, max_attempts: int) -> bool:
    return attempts >= max_attempts
