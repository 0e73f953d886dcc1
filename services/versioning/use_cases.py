"""Use cases of the versioning service and its extraction worker."""
from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta, timezone
from uuid import UUID

import eventlet

from services.common.filenames import sanitise_filename
from services.common.labels import edition_label
from services.common.db import problems_report
from services.common.outbox import record
from services.common.settings import Settings
from services.contracts import events
from services.contracts.errors import InvalidInput
from services.contracts.models import (
    PlacedUpload, StagedUpload, StoreVersion, VersionManifest)
from services.versioning.adapters.storage import (
    ObjectStore, original_key, page_prefix, rendition_key, text_key)
from services.versioning.adapters.tika import (
    ExtractionFailed, Tika, TikaDropped, TikaUnavailable)
from services.versioning import domain
from services.versioning.domain import media_types
from services.versioning.domain.diff import diff_texts
from services.versioning.adapters.repository import Repository, manifest

log = logging.getLogger(__name__)


def store_version(db, store: ObjectStore, settings: Settings,
                  request: StoreVersion) -> VersionManifest:
    """Check, hash and move a staged upload to its immutable key (or check one the
    gateway placed there itself); record version_stored.

    Idempotent: asking again for the same version id returns the stored manifest.
    """
    staged = request.staged
    with db.transaction() as cur:
        existing = Repository(cur).find(request.version_id)
    if existing is not None:
        if isinstance(staged, PlacedUpload):
            if staged.object_version_id != existing["object_version_id"]:
                _remove_placed(store, staged)   # a second copy; the first one stays
        else:
            store.discard(staged.staging_key)
        return manifest(existing)
    if isinstance(staged, PlacedUpload):
        return _store_placed(db, store, settings, request, staged)
    filename = sanitise_filename(staged.filename)
    try:
        media_type, size, sha256 = _inspect(store, settings, staged.staging_key, filename)
        key = original_key(request.document_id, request.version_id, filename)
        object_version = store.promote(staged.staging_key, key)
    except Exception:
        store.discard(staged.staging_key)
        raise
    return _record(db, store, request, filename, media_type, size, sha256, key,
                   object_version)


def _store_placed(db, store: ObjectStore, settings: Settings, request: StoreVersion,
                  placed: PlacedUpload) -> VersionManifest:
    """An upload the gateway streamed to its final key and hashed on the way: its size
    and first bytes read back in one ranged request (the type told from them), nothing
    copied. Refused (and its object version removed) as a staged one would be."""
    filename = sanitise_filename(placed.filename)
    key = original_key(request.document_id, request.version_id, filename)
    if placed.object_key != key or placed.version_id != request.version_id:
        # not this version's object: it is not removed, whoever it is
        raise InvalidInput("the upload is not at its version's key",
                           {"field": "staged.object_key", "expected": key})
    try:
        domain.check_size(placed.size, settings.upload_limit_bytes)
        size, head = store.head(key, placed.object_version_id,
                                settings.extraction.detect_bytes)
        if size != placed.size:
            raise InvalidInput("the placed upload's size differs from the one declared",
                               {"field": "staged.size", "size": size})
        media_type = (domain.readable_type(head, filename) if size else
                      media_types.by_name(filename) or media_types.UNKNOWN)
    except Exception:
        _remove_placed(store, placed)
        raise
    return _record(db, store, request, filename, media_type, size, placed.sha256, key,
                   placed.object_version_id)


def _remove_placed(store: ObjectStore, placed: PlacedUpload) -> None:
    try:
        store.remove_version(placed.object_key, placed.object_version_id)
    except Exception:   # MinIO itself away: `procedura doctor` lists what is left
        log.warning("could not remove the placed upload %s", placed.object_key,
                    exc_info=True)


def _record(db, store: ObjectStore, request: StoreVersion, filename: str, media_type: str,
            size: int, sha256: str, key: str, object_version: str | None) -> VersionManifest:
    try:
        with db.transaction() as cur:
            repo = Repository(cur)
            repo.insert(request, filename, media_type, size, sha256, key,
                        text_key(request.document_id, request.version_id), object_version)
            stored = events.VersionStored(
                version_id=request.version_id, document_id=request.document_id,
                edition=request.edition, revision=request.revision, filename=filename,
                media_type=media_type, size=size, sha256=sha256)
            record(cur, events.VersionStoredEvent(subject=request.document_id, data=stored))
            return manifest(repo.get(request.version_id))
    except BaseException:
        # no manifest, no object: a request that fails stores nothing (only the object
        # version this call wrote goes; a concurrent call for the same key keeps its own)
        store.remove_version(key, object_version)
        raise


def _inspect(store: ObjectStore, settings: Settings, staging_key: str,
             filename: str) -> tuple[str, int, str]:
    """(media type, size, sha256) of a staged upload, read once: refused when larger than
    the limit (before reading it) or of a type Procedura cannot read (once its first
    bytes are in, before reading the rest). No network call but MinIO's: the type is
    told here (media_types), the text is Tika's business later, in the worker."""
    limit, wanted = settings.upload_limit_bytes, settings.extraction.detect_bytes
    with store.staged(staging_key) as (declared, chunks):
        domain.check_size(declared, limit)
        digest, size, head = hashlib.sha256(), 0, bytearray()
        media_type = None
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            if media_type is None:
                head += chunk[:wanted - len(head)]
                if len(head) >= wanted:
                    media_type = domain.readable_type(bytes(head), filename)
        if media_type is None:   # smaller than the bytes detection reads
            media_type = (domain.readable_type(bytes(head), filename) if size else
                          # kept as it came; its extraction fails, naming why
                          media_types.by_name(filename) or media_types.UNKNOWN)
    return media_type, size, digest.hexdigest()


def extract_text(db, store: ObjectStore, tika: Tika, event, attempts: int = 4,
                 max_drops: int = 3) -> str:
    """Send a stored original to Tika and keep its text; returns the outcome.

    A file Tika cannot read, or does not finish within the timeout, is marked failed
    with the reason (no redelivery); a Tika that does not answer is retried with
    backoff, then the message is requeued. A file during which Tika died or dropped
    the connection `max_drops` times (counted across deliveries) is marked failed:
    it is the likely cause, and must not crash Tika forever.
    """
    data = event.data
    with db.transaction() as cur:
        row = Repository(cur).claim_pending(data.version_id)
    if row is None:
        return "already handled"
    if row["size"] == 0:
        return _failed(db, data, "the file is empty (0 bytes): there is no text to read")
    for attempt in range(attempts):
        # the object version the manifest pinned, not whatever lies under the key now
        response = store.open(row["object_key"], row["object_version_id"])
        try:
            extracted = tika.extract(response, row["filename"], row["media_type"])
            break
        except ExtractionFailed as exc:
            return _failed(db, data, str(exc))
        except TikaDropped as exc:
            with db.transaction() as cur:
                drops = Repository(cur).extraction_dropped(data.version_id)
            if drops >= max_drops:
                return _failed(db, data, f"Tika stopped {drops} times while reading this "
                                         f"file; last: {exc}")
            if attempt == attempts - 1:
                raise
            log.warning("Tika dropped %s (%d of %d), retrying", data.version_id, drops,
                        max_drops)
            eventlet.sleep(2 ** attempt)
        except TikaUnavailable:
            if attempt == attempts - 1:
                raise
            log.warning("Tika unavailable for %s, retrying", data.version_id)
            eventlet.sleep(2 ** attempt)
        finally:
            response.close()
            response.release_conn()
    store.put_text(row["text_key"], extracted.text)
    with db.transaction() as cur:
        if Repository(cur).extraction_done(data.version_id, len(extracted.text),
                                           extracted.truncated):
            record(cur, events.VersionTextExtractedEvent(
                subject=data.document_id, data=events.VersionTextExtracted(
                    version_id=data.version_id, document_id=data.document_id,
                    characters=len(extracted.text), truncated=extracted.truncated)))
    return "done"


def extraction_problems(db, pending_older_than: float, limit: int = 100) -> dict:
    """For `procedura doctor`: versions without text for too long, and failed ones."""
    with db.transaction() as cur:
        return problems_report(Repository(cur).extraction_problems(pending_older_than, limit))


def orphan_objects(db, store: ObjectStore, older_than: float, limit: int = 1000) -> list[dict]:
    """For `procedura doctor`: objects no manifest names, older than `older_than`
    seconds (younger ones may belong to an upload under way): staged uploads never
    stored, and originals, texts, PDF renditions or page images without their version."""
    cutoff = datetime.now(timezone.utc) - timedelta(seconds=older_than)
    found: list[dict] = []

    def orphan(where: str, key: str, size: int, modified: datetime) -> None:
        found.append({"bucket": where, "key": key, "size": size,
                      "last_modified": modified.isoformat()})

    for key, size, modified in store.listed(staging=True):
        if modified < cutoff and len(found) < limit:
            orphan("staging", key, size, modified)
    for prefix in ("originals/", "texts/", "renditions/", "pages/"):
        batch: list[tuple[str, int, datetime]] = []
        listing = store.listed(staging=False, prefix=prefix)
        while len(found) < limit:
            item = next(listing, None)
            if item is not None and item[2] < cutoff:
                batch.append(item)
            if batch and (item is None or len(batch) == 500):
                with db.transaction() as cur:
                    known = Repository(cur).known_keys([key for key, _, _ in batch])
                for key, size, modified in batch:
                    if key not in known:
                        orphan("stored", key, size, modified)
                batch = []
            if item is None:
                break
    return found[:limit]


def _failed(db, data, reason: str) -> str:
    with db.transaction() as cur:
        if Repository(cur).extraction_failed(data.version_id, reason):
            record(cur, events.VersionExtractionFailedEvent(
                subject=data.document_id, data=events.VersionExtractionFailed(
                    version_id=data.version_id, document_id=data.document_id, error=reason)))
    return "failed"


def verify_integrity(db, store: ObjectStore, batch: int = 200) -> dict:
    """Hash every stored original again, as the object version its manifest pinned,
    and compare it with the manifest: `missing` (that version is gone), `mismatch` (its
    bytes differ), `overwritten` (intact, and downloads still serve it, but something
    wrote a newer object over it behind Procedura's back)."""
    checked, problems, after = 0, [], None
    while True:
        with db.transaction() as cur:
            rows = Repository(cur).stored(after, batch)
        if not rows:
            return {"checked": checked, "problems": problems}
        for row in rows:
            key = row["object_key"]
            problem = domain.integrity_problem(
                row, store.stored_sha256(key, row["object_version_id"]),
                lambda: store.newest_version(key))
            if problem is not None:
                problems.append(problem)
            checked += 1
        after = rows[-1]["id"]


def stage_copy(db, store: ObjectStore, version_id: UUID) -> StagedUpload:
    with db.transaction() as cur:
        row = Repository(cur).get(version_id)
    key = store.stage_copy(row["object_key"], row["object_version_id"])
    return StagedUpload(staging_key=key, filename=row["filename"], size=row["size"])


def content_location(db, store: ObjectStore, version_id: UUID, kind: str) -> str:
    """A short-lived URL of the original (exactly the object version stored) or text."""
    with db.transaction() as cur:
        row = Repository(cur).get(version_id)
    domain.check_kept(row)
    if kind == "text":
        return store.location(row["text_key"])
    return store.location(row["object_key"], version_id=row["object_version_id"])


def protect(db, store: ObjectStore, version_id: UUID) -> bool:
    """Approved and later: a legal hold on the original's object version, so neither
    Procedura nor anyone with the bucket's keys can delete or overwrite it."""
    with db.transaction() as cur:
        repo = Repository(cur)
        row = repo.get(version_id)
        if row["legal_hold"] or row["disposed_at"] is not None:
            return row["legal_hold"]
        if not store.hold(row["object_key"], row["object_version_id"]):
            return False
        repo.set_legal_hold(version_id)
        return True


def dispose(db, store: ObjectStore, version_ids: list[UUID]) -> int:
    """Delete the originals, texts, PDF renditions and cached page images of these
    versions (every object version, holds lifted first); the manifests stay, marked
    disposed. Idempotent."""
    removed = 0
    for version_id in version_ids:
        with db.transaction() as cur:
            repo = Repository(cur)
            row = repo.find_to_dispose(version_id)
            if row is None:
                continue
            removed += store.purge(row["object_key"]) + store.purge(row["text_key"])
            # where the rendition worker writes one, even if it has not recorded it yet
            removed += store.purge(rendition_key(row["document_id"], version_id))
            removed += store.purge_prefix(page_prefix(version_id))
            repo.mark_disposed(version_id)
    return removed


def integrity_alarm(db, version_id: UUID, found: str, size: int, detected_by: str) -> None:
    """A download did not hash to the manifest: keep the alarm, log it loudly."""
    with db.transaction() as cur:
        row = Repository(cur).get(version_id)
        cur.execute("""INSERT INTO integrity_alarms (version_id, expected, found, size,
                                                     detected_by)
                       VALUES (%s, %s, %s, %s, %s)""",
                    (version_id, row["sha256"], found, size, detected_by))
    log.error("integrity alarm: version %s read as sha256 %s (%s bytes), manifest says %s",
              version_id, found, size, row["sha256"])


def diff(db, store: ObjectStore, version_id: UUID, against_id: UUID) -> dict:
    """What changed from `against_id` to `version_id` (two versions of one document)."""
    with db.transaction() as cur:
        repo = Repository(cur)
        new, old = repo.get(version_id), repo.get(against_id)
    domain.check_comparable(new, old)
    result = diff_texts(store.read_text(old["text_key"]), store.read_text(new["text_key"]),
                        old_label=_label(old), new_label=_label(new))
    return {"version_id": str(version_id), "against": str(against_id), **result.as_dict()}


def _label(row: dict) -> str:
    return edition_label(row["edition"], row["revision"])
