"""SQL of the rendition worker, on the versioning schema's `versions` table (migration
005_renditions.sql): claiming a version, recording its rendition and OCR'd text, and
what `procedura doctor` and `procedura renditions rebuild` ask."""
from __future__ import annotations

import uuid
from uuid import UUID

_ROW = """id, document_id, filename, media_type, size, object_key, object_version_id,
          text_key, extraction_status, rendition_status, rendition_key,
          rendition_object_version, rendition_attempts, disposed_at"""


def lock_key(version_id: UUID) -> int:
    """The advisory lock of one version's rendition: a signed 64-bit number from its id."""
    return int.from_bytes(uuid.UUID(str(version_id)).bytes[:8], "big", signed=True)


class Renditions:
    def __init__(self, cur):
        self.cur = cur

    def lock(self, version_id: UUID) -> bool:
        """Hold this version's rendition for the caller's transaction; False when another
        worker holds it now. The lock goes with the transaction or its connection, so a
        worker that dies mid-rendition leaves nothing claimed."""
        self.cur.execute("SELECT pg_try_advisory_xact_lock(%s) AS locked",
                         (lock_key(version_id),))
        return self.cur.fetchone()["locked"]

    def pending(self, version_id: UUID) -> dict | None:
        """The version if its rendition is still to be made (and its content is kept)."""
        self.cur.execute(f"""SELECT {_ROW} FROM versions WHERE id = %s
                               AND rendition_status = 'pending' AND disposed_at IS NULL""",
                         (version_id,))
        return self.cur.fetchone()

    def count_attempt(self, version_id: UUID) -> int:
        """One more delivery took this version up; the count so far (committed by the
        caller at once, so a worker that dies on the file still counts)."""
        self.cur.execute("""UPDATE versions SET rendition_attempts = rendition_attempts + 1
                            WHERE id = %s AND rendition_status = 'pending'
                            RETURNING rendition_attempts""", (version_id,))
        row = self.cur.fetchone()
        return row["rendition_attempts"] if row else 0

    def done(self, version_id: UUID, pages: int, key: str, object_version: str | None,
             ocr_pages: int, ocr_pages_left: int, ocr_stopped: str | None) -> bool:
        """Record the rendition; False when the version was disposed of meanwhile. The
        row stays locked until the caller commits, and disposal locks it before removing
        the content: a rendition (and OCR'd text) stored here and committed is removed
        by disposal, one stored after disposal finds the version disposed."""
        self.cur.execute(
            """UPDATE versions SET rendition_status = 'done', rendition_pages = %s,
                      rendition_error = NULL, rendition_key = %s,
                      rendition_object_version = %s, rendered_at = now(),
                      ocr = %s, ocr_pages = %s, ocr_pages_left = %s, ocr_stopped = %s
               WHERE id = %s AND rendition_status = 'pending' AND disposed_at IS NULL""",
            (pages, key, object_version, ocr_pages > 0, ocr_pages, ocr_pages_left,
             ocr_stopped, version_id))
        return self.cur.rowcount == 1

    def failed(self, version_id: UUID, error: str) -> bool:
        """False when the version was disposed of meanwhile (its original gone with it,
        that is no failure of the file)."""
        self.cur.execute("""UPDATE versions SET rendition_status = 'failed',
                                   rendition_error = %s, rendered_at = now()
                            WHERE id = %s AND rendition_status = 'pending'
                              AND disposed_at IS NULL""",
                         (error, version_id))
        return self.cur.rowcount == 1

    def text_replaced(self, version_id: UUID, characters: int, truncated: bool) -> None:
        """OCR read the version's text: it is now the rendition's whole text."""
        self.cur.execute("""UPDATE versions SET extraction_status = 'done', characters = %s,
                                   truncated = %s, extraction_error = NULL
                            WHERE id = %s""", (characters, truncated, version_id))

    def to_render(self, after: UUID | None, limit: int) -> list[UUID]:
        """Versions waiting for a rendition whose text extraction has finished (those
        still being extracted are rendered when their extraction event comes)."""
        self.cur.execute("""SELECT id FROM versions
                            WHERE rendition_status = 'pending' AND disposed_at IS NULL
                              AND extraction_status <> 'pending'
                              AND (%s::uuid IS NULL OR id > %s)
                            ORDER BY id LIMIT %s""", (after, after, limit))
        return [row["id"] for row in self.cur.fetchall()]

    def reset_all(self) -> int:
        """`rebuild --all`: every kept version's rendition is to be made again."""
        self.cur.execute("""UPDATE versions SET rendition_status = 'pending',
                                   rendition_error = NULL, rendition_attempts = 0
                            WHERE disposed_at IS NULL AND rendition_status <> 'pending'""")
        return self.cur.rowcount

    def counts(self) -> dict[str, int]:
        self.cur.execute("""SELECT rendition_status, count(*) AS n FROM versions
                            WHERE disposed_at IS NULL GROUP BY rendition_status""")
        found = {row["rendition_status"]: row["n"] for row in self.cur.fetchall()}
        return {status: found.get(status, 0) for status in ("pending", "done", "failed")}

    def problems(self, pending_older_than: float, limit: int) -> dict:
        """Versions without a rendition `pending_older_than` seconds after upload, and
        failed ones (`procedura doctor`)."""
        self.cur.execute("""SELECT id, document_id, filename, created_at, rendition_attempts,
                                   extraction_status
                            FROM versions WHERE rendition_status = 'pending'
                              AND disposed_at IS NULL
                              AND created_at < now() - make_interval(secs => %s)
                            ORDER BY created_at LIMIT %s""", (pending_older_than, limit))
        pending = self.cur.fetchall()
        self.cur.execute("""SELECT id, document_id, filename, created_at, rendition_error
                            FROM versions WHERE rendition_status = 'failed'
                              AND disposed_at IS NULL
                            ORDER BY created_at LIMIT %s""", (limit,))
        failed = self.cur.fetchall()
        return {"pending": pending, "failed": failed, "counts": self.counts()}
