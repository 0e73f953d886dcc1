"""SQL of the versioning service: version manifests and their extraction state."""
from __future__ import annotations

from uuid import UUID

from services.contracts.errors import NotFound
from services.contracts.models import VersionManifest

_COLUMNS = """id, document_id, edition, revision, filename, media_type, size, sha256,
              author, change_summary, created_at, object_key, text_key,
              object_version_id, legal_hold, disposed_at,
              json_build_object('status', extraction_status, 'error', extraction_error,
                                'characters', characters, 'truncated', truncated,
                                'ocr', ocr, 'ocr_pages', ocr_pages,
                                'ocr_pages_left', ocr_pages_left,
                                'ocr_stopped', ocr_stopped) AS extraction,
              json_build_object('status', rendition_status, 'pages', rendition_pages,
                                'error', rendition_error) AS rendition"""


class Repository:
    def __init__(self, cur):
        self.cur = cur

    def find(self, version_id: UUID) -> dict | None:
        self.cur.execute(f"SELECT {_COLUMNS} FROM versions WHERE id = %s", (version_id,))
        return self.cur.fetchone()

    def find_to_dispose(self, version_id: UUID) -> dict | None:
        """The version, its row locked until the caller's transaction ends. The rendition
        worker records a rendition and stores a page image under a lock of the same row
        (services/renditions/), so neither lands in storage after disposal emptied it."""
        self.cur.execute(f"SELECT {_COLUMNS} FROM versions WHERE id = %s FOR UPDATE",
                         (version_id,))
        return self.cur.fetchone()

    def get(self, version_id: UUID) -> dict:
        row = self.find(version_id)
        if row is None:
            raise NotFound(f"no version {version_id}", {"version_id": str(version_id)})
        return row

    def history(self, document_id: UUID) -> list[VersionManifest]:
        self.cur.execute(f"""SELECT {_COLUMNS} FROM versions WHERE document_id = %s
                             ORDER BY edition DESC, revision DESC""", (document_id,))
        return [manifest(row) for row in self.cur.fetchall()]

    def insert(self, request, filename: str, media_type: str, size: int, sha256: str,
               object_key: str, text_key: str, object_version_id: str | None = None) -> None:
        self.cur.execute(
            """INSERT INTO versions (id, document_id, edition, revision, filename, media_type,
                                     size, sha256, object_key, text_key, author, change_summary,
                                     object_version_id)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            (request.version_id, request.document_id, request.edition, request.revision,
             filename, media_type, size, sha256, object_key, text_key, request.author,
             request.change_summary, object_version_id))

    def set_legal_hold(self, version_id: UUID) -> None:
        self.cur.execute("UPDATE versions SET legal_hold = true WHERE id = %s", (version_id,))

    def mark_disposed(self, version_id: UUID) -> None:
        self.cur.execute("""UPDATE versions SET disposed_at = COALESCE(disposed_at, now()),
                                   legal_hold = false WHERE id = %s""", (version_id,))

    def stored(self, after: UUID | None, limit: int) -> list[dict]:
        """Versions in id order, for a full integrity pass."""
        self.cur.execute("""SELECT id, document_id, object_key, sha256, size,
                                   object_version_id FROM versions
                            WHERE (%s::uuid IS NULL OR id > %s) AND disposed_at IS NULL
                            ORDER BY id LIMIT %s""",
                         (after, after, limit))
        return self.cur.fetchall()

    def known_keys(self, keys: list[str]) -> set[str]:
        """Those of `keys` that a manifest names (as its original, its text or its PDF
        rendition), and the cached page images of a version whose content is kept."""
        self.cur.execute("""SELECT object_key AS key FROM versions WHERE object_key = ANY(%s)
                            UNION SELECT text_key FROM versions WHERE text_key = ANY(%s)
                            UNION SELECT rendition_key FROM versions
                                  WHERE rendition_key = ANY(%s)""",
                         (keys, keys, keys))
        known = {row["key"] for row in self.cur.fetchall()}
        pages: dict[str, list[str]] = {}
        for key in keys:   # pages/{version_id}/{page}-{width}.{format}
            parts = key.split("/")
            if parts[0] == "pages" and len(parts) == 3 and _is_uuid(parts[1]):
                pages.setdefault(parts[1], []).append(key)
        if pages:
            self.cur.execute("""SELECT id::text AS id FROM versions
                                WHERE id = ANY(%s::uuid[]) AND disposed_at IS NULL""",
                             (list(pages),))
            for row in self.cur.fetchall():
                known.update(pages[row["id"]])
        return known

    def claim_pending(self, version_id: UUID) -> dict | None:
        """The version, locked, if its text is still to be extracted."""
        self.cur.execute(f"""SELECT {_COLUMNS} FROM versions
                             WHERE id = %s AND extraction_status = 'pending'""", (version_id,))
        return self.cur.fetchone()

    def extraction_done(self, version_id: UUID, characters: int, truncated: bool) -> bool:
        self.cur.execute("""UPDATE versions SET extraction_status = 'done', characters = %s,
                                   truncated = %s, extraction_error = NULL
                            WHERE id = %s AND extraction_status = 'pending'""",
                         (characters, truncated, version_id))
        return self.cur.rowcount == 1

    def extraction_dropped(self, version_id: UUID) -> int:
        """Count one delivery in which Tika dropped this file; returns the count so far."""
        self.cur.execute("""UPDATE versions SET extraction_attempts = extraction_attempts + 1
                            WHERE id = %s AND extraction_status = 'pending'
                            RETURNING extraction_attempts""", (version_id,))
        row = self.cur.fetchone()
        return row["extraction_attempts"] if row else 0

    def extraction_problems(self, pending_older_than: float, limit: int) -> dict:
        """Versions pending longer than `pending_older_than` seconds, and failed ones."""
        self.cur.execute("""SELECT id, document_id, filename, created_at, extraction_attempts
                            FROM versions WHERE extraction_status = 'pending'
                              AND created_at < now() - make_interval(secs => %s)
                            ORDER BY created_at LIMIT %s""", (pending_older_than, limit))
        pending = self.cur.fetchall()
        self.cur.execute("""SELECT id, document_id, filename, created_at, extraction_error
                            FROM versions WHERE extraction_status = 'failed'
                            ORDER BY created_at LIMIT %s""", (limit,))
        failed = self.cur.fetchall()
        self.cur.execute("""SELECT extraction_status, count(*) AS n FROM versions
                            GROUP BY extraction_status""")
        counts = {row["extraction_status"]: row["n"] for row in self.cur.fetchall()}
        return {"pending": pending, "failed": failed, "counts": counts}

    def extraction_failed(self, version_id: UUID, error: str) -> bool:
        self.cur.execute("""UPDATE versions SET extraction_status = 'failed',
                                   extraction_error = %s
                            WHERE id = %s AND extraction_status = 'pending'""",
                         (error, version_id))
        return self.cur.rowcount == 1


def _is_uuid(text: str) -> bool:
    try:
        UUID(text)
        return True
    except ValueError:
        return False


def manifest(row: dict) -> VersionManifest:
    return VersionManifest.model_validate(
        {k: v for k, v in row.items() if k not in ("object_key", "text_key")})
