"""SQL of the notifications service: the feed."""
from __future__ import annotations

from services.contracts.errors import NotFound
from services.contracts.models import Feed, FeedItem

_ITEM = """SELECT id, kind, document_id, version_id, code, title, message, created_at,
                  read_at IS NOT NULL AS read FROM feed_items"""
# what a person is shown: an item withheld (its document is no longer for them) is not
_SHOWN = " AND NOT withheld"


class Repository:
    def __init__(self, cur):
        self.cur = cur

    def add_items(self, event_id, kind: str, data, message: str, users) -> list[dict]:
        """One item per person (none twice for one event); returns the new items."""
        added = []
        for user in users:
            self.cur.execute(
                """INSERT INTO feed_items (username, department, event_id, kind, document_id,
                                           version_id, code, title, message)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
                   ON CONFLICT (username, event_id) DO NOTHING
                   RETURNING id AS item_id, username, kind, document_id, version_id, code,
                             title, message, created_at""",
                (user.username, user.department, event_id, kind, data.document_id,
                 getattr(data, "version_id", None), data.code, data.title, message))
            row = self.cur.fetchone()
            if row is not None:
                added.append(row)
        return added

    def since(self, username: str, after: int, limit: int = 200) -> list[FeedItem]:
        """Items newer than `after`, oldest first (a live stream catching up)."""
        self.cur.execute(_ITEM + """ WHERE username = %s AND id > %s""" + _SHOWN + """
                                     ORDER BY id LIMIT %s""", (username, after, limit))
        return [FeedItem.model_validate(row) for row in self.cur.fetchall()]

    def feed(self, username: str, kind: str | None, limit: int, before: int | None) -> Feed:
        self.cur.execute(_ITEM + """ WHERE username = %s
                                       AND (%s::text IS NULL OR kind = %s)
                                       AND (%s::bigint IS NULL OR id < %s)""" + _SHOWN + """
                                     ORDER BY id DESC LIMIT %s""",
                         (username, kind, kind, before, before, limit))
        items = [FeedItem.model_validate(row) for row in self.cur.fetchall()]
        self.cur.execute("""SELECT count(*) AS n FROM feed_items
                            WHERE username = %s AND read_at IS NULL""" + _SHOWN, (username,))
        return Feed(unread=self.cur.fetchone()["n"], items=items)

    def mark_read(self, username: str, item_id: int) -> FeedItem:
        self.cur.execute("""UPDATE feed_items SET read_at = COALESCE(read_at, now())
                            WHERE id = %s AND username = %s""" + _SHOWN + " RETURNING id",
                         (item_id, username))
        if self.cur.fetchone() is None:
            raise NotFound(f"no feed item {item_id}", {"item_id": item_id})
        self.cur.execute(_ITEM + " WHERE id = %s", (item_id,))
        return FeedItem.model_validate(self.cur.fetchone())

    def mark_all_read(self, username: str) -> int:
        self.cur.execute("""UPDATE feed_items SET read_at = now()
                            WHERE username = %s AND read_at IS NULL""" + _SHOWN, (username,))
        return self.cur.rowcount

    def recipients(self, document_id) -> dict[str, str]:
        """Everyone with an item about the document: username → department (then)."""
        self.cur.execute("""SELECT DISTINCT username, department FROM feed_items
                            WHERE document_id = %s""", (document_id,))
        return {row["username"]: row["department"] for row in self.cur.fetchall()}

    def withhold(self, document_id, shown: list[str], withheld: list[str]) -> list[int]:
        """Show the document's items to `shown`, withhold them from `withheld`; returns
        the ids of the items newly withheld."""
        self.cur.execute("""UPDATE feed_items SET withheld = false
                            WHERE document_id = %s AND username = ANY(%s) AND withheld""",
                         (document_id, shown))
        self.cur.execute("""UPDATE feed_items SET withheld = true
                            WHERE document_id = %s AND username = ANY(%s) AND NOT withheld
                            RETURNING id""", (document_id, withheld))
        return [row["id"] for row in self.cur.fetchall()]
