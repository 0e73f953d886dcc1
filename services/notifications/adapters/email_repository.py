"""SQL of e-mail: each person's preference and the delivery log."""
from __future__ import annotations

from datetime import datetime

from services.contracts.notifications import EmailDelivery, Preferences


class EmailRepository:
    def __init__(self, cur):
        self.cur = cur

    def preferences(self, username: str) -> Preferences:
        self.cur.execute("""SELECT email_delivery, email_address FROM preferences
                            WHERE username = %s""", (username,))
        row = self.cur.fetchone()
        return Preferences.model_validate(row) if row else Preferences()

    def set_preferences(self, username: str, preferences: Preferences) -> Preferences:
        self.cur.execute(
            """INSERT INTO preferences (username, email_delivery, email_address)
               VALUES (%s, %s, %s)
               ON CONFLICT (username) DO UPDATE
                 SET email_delivery = EXCLUDED.email_delivery,
                     email_address = EXCLUDED.email_address, updated_at = now()""",
            (username, preferences.email_delivery.value, preferences.email_address))
        return preferences

    def preferring(self, usernames: list[str], delivery: EmailDelivery) -> dict[str, Preferences]:
        """The preferences of those of `usernames` who chose `delivery`."""
        self.cur.execute("""SELECT username, email_delivery, email_address FROM preferences
                            WHERE username = ANY(%s) AND email_delivery = %s""",
                         (usernames, delivery.value))
        return {r["username"]: Preferences(email_delivery=r["email_delivery"],
                                           email_address=r["email_address"])
                for r in self.cur.fetchall()}

    def digest_readers(self) -> dict[str, Preferences]:
        self.cur.execute("""SELECT username, email_delivery, email_address FROM preferences
                            WHERE email_delivery = 'daily_digest'""")
        return {r["username"]: Preferences(email_delivery=r["email_delivery"],
                                           email_address=r["email_address"])
                for r in self.cur.fetchall()}

    def items_between(self, username: str, start: datetime, end: datetime) -> list[dict]:
        """A person's feed items created in [start, end), oldest first."""
        self.cur.execute("""SELECT id, kind, document_id, version_id, code, title, message,
                                   created_at FROM feed_items
                            WHERE username = %s AND created_at >= %s AND created_at < %s
                              AND NOT withheld
                            ORDER BY id""", (username, start, end))
        return self.cur.fetchall()

    def queue(self, dedupe_key: str, username: str, address: str, kind: str, subject: str,
              body: str, feed_item_ids: list[int]) -> int | None:
        """Queue a message once per key; its id, or None when it was queued before."""
        self.cur.execute(
            """INSERT INTO email_deliveries (dedupe_key, username, address, kind, subject,
                                             body, feed_item_ids)
               VALUES (%s, %s, %s, %s, %s, %s, %s)
               ON CONFLICT (dedupe_key) DO NOTHING RETURNING id""",
            (dedupe_key, username, address, kind, subject, body, feed_item_ids))
        row = self.cur.fetchone()
        return row["id"] if row else None

    def withhold(self, feed_item_ids: list[int]) -> int:
        """Messages still queued that name one of these (now withheld) items are not sent."""
        self.cur.execute("""UPDATE email_deliveries SET status = 'withheld'
                            WHERE status = 'queued' AND feed_item_ids && %s::bigint[]""",
                         (feed_item_ids,))
        return self.cur.rowcount

    def next_due(self, now: datetime) -> dict | None:
        """The oldest queued message whose time has come, locked (others skip it)."""
        self.cur.execute("""SELECT * FROM email_deliveries
                            WHERE status = 'queued' AND next_attempt_at <= %s
                            ORDER BY id LIMIT 1
                            FOR UPDATE SKIP LOCKED""", (now,))
        return self.cur.fetchone()

    def mark_sent(self, delivery_id: int, now: datetime) -> None:
        self.cur.execute("""UPDATE email_deliveries
                            SET status = 'sent', attempts = attempts + 1, sent_at = %s
                            WHERE id = %s""", (now, delivery_id))

    def mark_attempt_failed(self, delivery_id: int, error: str,
                            next_attempt_at: datetime | None) -> None:
        """A failed attempt: tried again at `next_attempt_at`, or given up (None)."""
        self.cur.execute(
            """UPDATE email_deliveries
               SET attempts = attempts + 1, last_error = %s,
                   status = CASE WHEN %s::timestamptz IS NULL THEN 'failed' ELSE 'queued' END,
                   next_attempt_at = COALESCE(%s::timestamptz, next_attempt_at)
               WHERE id = %s""", (error[:1000], next_attempt_at, next_attempt_at, delivery_id))

    def log(self, username: str | None = None, limit: int = 200) -> list[dict]:
        self.cur.execute("""SELECT id, dedupe_key, username, address, kind, subject, status,
                                   attempts, last_error, next_attempt_at, created_at, sent_at,
                                   feed_item_ids
                            FROM email_deliveries
                            WHERE (%s::text IS NULL OR username = %s)
                            ORDER BY id DESC LIMIT %s""", (username, username, limit))
        return self.cur.fetchall()
