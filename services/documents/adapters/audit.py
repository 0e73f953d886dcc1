"""The audit trail: who registered, uploaded, signed, withdrew, restored — append-only,
each entry chained to the previous one by its hash."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Collection
from uuid import UUID

from psycopg2.extras import Json

GENESIS = "0" * 64
_LOCK = 0x4155444954  # serialises appends, so each entry chains to the one before


def entry_hash(prev_hash: str, at: datetime, actor: str, action: str, document_id,
               version_id, details: dict) -> str:
    """sha256 over the previous hash and a canonical form of the entry."""
    canonical = json.dumps({
        "prev": prev_hash, "at": at.astimezone(timezone.utc).isoformat(), "actor": actor,
        "action": action,
        "document_id": str(document_id) if document_id else None,
        "version_id": str(version_id) if version_id else None, "details": details,
    }, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def append(cur, actor: str, action: str, document_id: UUID | None = None,
           version_id: UUID | None = None, details: dict | None = None) -> None:
    """Add an entry inside the caller's transaction (the same one as the change)."""
    details = details or {}
    cur.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
    cur.execute("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")
    row = cur.fetchone()
    prev = row["hash"] if row else GENESIS
    cur.execute("SELECT date_trunc('milliseconds', clock_timestamp()) AS at")
    at = cur.fetchone()["at"]
    cur.execute("""INSERT INTO audit_log (at, actor, action, document_id, version_id, details,
                                          prev_hash, hash)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s)""",
                (at, actor, action, document_id, version_id, Json(details), prev,
                 entry_hash(prev, at, actor, action, document_id, version_id, details)))


def entries(cur, document_id: UUID | None = None, actor: str | None = None,
            limit: int = 1000) -> list[dict]:
    cur.execute("""SELECT id, at, actor, action, document_id, version_id, details, hash
                   FROM audit_log
                   WHERE (%s::uuid IS NULL OR document_id = %s)
                     AND (%s::text IS NULL OR actor = %s)
                   ORDER BY id LIMIT %s""", (document_id, document_id, actor, actor, limit))
    return cur.fetchall()


def verify(cur, anchors: Collection[str] = (), batch: int = 5000) -> dict:
    """Recompute the chain; the first entry whose hash does not follow is reported.

    An intact chain proves no entry was changed alone; someone with the table owner's
    rights could still rewrite every hash after a changed entry. `anchors` are hashes
    written down earlier (the last hash a previous verification printed): each must
    still be in the chain, or it was rewritten."""
    prev, last_id, checked = GENESIS, 0, 0
    expected_anchors = {a.lower() for a in anchors}
    while True:
        cur.execute("""SELECT id, at, actor, action, document_id, version_id, details,
                              prev_hash, hash
                       FROM audit_log WHERE id > %s ORDER BY id LIMIT %s""", (last_id, batch))
        rows = cur.fetchall()
        if not rows:
            missing = sorted(expected_anchors)
            return {"ok": not missing, "entries": checked, "last_hash": prev,
                    "anchors_missing": missing}
        for row in rows:
            expected = entry_hash(prev, row["at"], row["actor"], row["action"],
                                  row["document_id"], row["version_id"], row["details"])
            if row["prev_hash"] != prev or row["hash"] != expected:
                return {"ok": False, "entries": checked, "broken_at": row["id"]}
            expected_anchors.discard(row["hash"])
            prev, last_id, checked = row["hash"], row["id"], checked + 1
