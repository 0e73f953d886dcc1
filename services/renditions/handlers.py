"""Use cases of the rendition worker: a version's rendition made once, after its text
extraction; the OCR'd text handed to search; the backlog rebuilt; problems reported."""
from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from uuid import UUID

import eventlet
import psycopg2
import urllib3
from minio.error import S3Error, ServerError

from services.common.outbox import record
from services.common.settings import Settings
from services.contracts import events
from services.contracts.errors import InvalidInput, ServiceUnavailable
from services.versioning.adapters.storage import ObjectStore, page_prefix, rendition_key

from . import kinds, pdf
from .engine import Engine
from .errors import RenditionFailed
from .make import Made, make_rendition
from .repository import Renditions

log = logging.getLogger(__name__)

# deliveries that took a version up without finishing it (the worker stopped or died on
# it) before it is failed: a file that kills the worker must not do so forever
MAX_ATTEMPTS = 3
_LIMITS = {"max_pages": "the limit of {ocr_max_pages} pages read by OCR per file",
           "seconds_per_file": "the limit of {ocr_seconds_per_file:g} s of OCR per file",
           "seconds_per_page": "the limit of {ocr_seconds_per_page:g} s of OCR per page"}


def render(db, store: ObjectStore, engine: Engine, settings: Settings,
           version_id: UUID) -> str:
    """Make, store and record the rendition of one version; returns the outcome.

    Idempotent: a version already rendered, failed, disposed of or being rendered by
    another worker right now is "already handled". A file that cannot be rendered ends
    `failed` naming why; MinIO or PostgreSQL away raises ServiceUnavailable (the message
    waits, services/common/delivery.py)."""
    try:
        with engine.slot() as slot, db.transaction() as held:
            claims = Renditions(held)
            # held until this transaction ends: a second delivery of the same version
            # (at-least-once, or a rebuild) finds it taken and leaves it
            if not claims.lock(version_id):
                return "already handled"
            row = claims.pending(version_id)
            if row is None:
                return "already handled"
            with db.transaction() as cur:
                attempts = Renditions(cur).count_attempt(version_id)
            if attempts > MAX_ATTEMPTS:
                return _failed(claims, row, f"the rendition worker stopped {attempts - 1} "
                                            f"times while rendering this file")
            if row["size"] == 0:
                return _failed(claims, row, "the file is empty (0 bytes): there is "
                                            "nothing to show")
            return _render(claims, store, engine, settings, row, slot)
    except (psycopg2.OperationalError, psycopg2.InterfaceError, urllib3.exceptions.HTTPError,
            ServerError, ConnectionError) as exc:
        raise ServiceUnavailable(f"rendition of {version_id} waits: {exc}") from exc


def _render(claims: Renditions, store: ObjectStore, engine: Engine, settings: Settings,
            row: dict, slot: int) -> str:
    engine.settings.work_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{row['id']}-", dir=engine.settings.work_dir))
    try:
        original = work / _local_name(row)
        try:
            store.download(row["object_key"], row["object_version_id"], original)
        except S3Error as exc:
            if exc.code not in ("NoSuchKey", "NoSuchVersion"):
                raise
            return _failed(claims, row, "the original is missing from storage")
        try:
            made = make_rendition(original, row["media_type"], work, slot=slot,
                                  settings=engine.settings)
        except RenditionFailed as exc:
            return _failed(claims, row, exc.message)
        except (S3Error, ServerError, psycopg2.Error, urllib3.exceptions.HTTPError):
            raise
        except Exception as exc:  # a fault of ours on this file: said, not looped on
            log.exception("rendition of %s failed", row["id"])
            return _failed(claims, row, f"the rendition could not be made: {exc}")
        return _store(claims, store, engine, settings, row, made)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _local_name(row: dict) -> str:
    """The original on disk, named by its detected type (a lying extension is not
    believed), with the stem of its own name so messages name the file."""
    found = kinds.kind_of(row["media_type"])
    extension = found[1] if found else Path(row["filename"]).suffix
    stem = Path(row["filename"]).stem.strip(". ")[:100] or "document"
    return f"{stem}{extension}"


def _store(claims: Renditions, store: ObjectStore, engine: Engine, settings: Settings,
           row: dict, made: Made) -> str:
    version_id, document_id = row["id"], row["document_id"]
    if made.is_original:   # the PDF itself, exactly the object version stored
        key, object_version = row["object_key"], row["object_version_id"]
    else:
        key = rendition_key(document_id, version_id)
        object_version = store.put_file(key, made.path, "application/pdf")
    ocr = made.ocr
    ocr_pages = ocr.pages_ocr if ocr else 0
    ocr_left = len(ocr.pages_left) if ocr else 0
    stopped = (_LIMITS[ocr.stopped_by].format(**vars(engine.settings))
               if ocr and ocr.stopped_by in _LIMITS else None)
    if not claims.done(version_id, made.pages, key, object_version, ocr_pages, ocr_left,
                       stopped):
        # disposed of while it was being made: the rendition goes with the rest
        if not made.is_original:
            store.remove_version(key, object_version)
        return "already handled"
    if ocr_pages:
        _replace_text(claims, store, engine, settings, row, made.path)
    record(claims.cur, events.VersionRenderedEvent(
        subject=document_id, data=events.VersionRendered(
            version_id=version_id, document_id=document_id, pages=made.pages,
            ocr_pages=ocr_pages, ocr_pages_left=ocr_left)))
    _forget_previous(store, row, key, object_version)
    return "done"


def _replace_text(claims: Renditions, store: ObjectStore, engine: Engine,
                  settings: Settings, row: dict, rendition: Path) -> None:
    """OCR read pages: the version's text becomes the rendition's whole text (its text
    layer, OCR'd pages and pages that had text alike), and search indexes it again."""
    text = "\n\n".join(page.strip() for page in pdf.page_texts(rendition, engine.settings))
    text = text.strip()
    limit = settings.extraction.max_characters
    truncated = len(text) > limit
    text = text[:limit]
    store.put_text(row["text_key"], text)
    claims.text_replaced(row["id"], len(text), truncated)
    record(claims.cur, events.VersionTextExtractedEvent(
        subject=row["document_id"], data=events.VersionTextExtracted(
            version_id=row["id"], document_id=row["document_id"], characters=len(text),
            truncated=truncated)))


def _forget_previous(store: ObjectStore, row: dict, key: str,
                     object_version: str | None) -> None:
    """A rendition made again (rebuild --all): the one before it and the page images
    drawn from it go."""
    old_key, old_version = row["rendition_key"], row["rendition_object_version"]
    try:
        if (old_key and old_key != row["object_key"]
                and (old_key, old_version) != (key, object_version)):
            store.remove_version(old_key, old_version)
        if old_key:
            store.purge_prefix(page_prefix(row["id"]))
    except Exception:   # garbage left behind is doctor's to report, not a failure
        log.warning("could not remove the earlier rendition of %s", row["id"], exc_info=True)


def _failed(claims: Renditions, row: dict, reason: str) -> str:
    if claims.failed(row["id"], reason):
        record(claims.cur, events.VersionRenditionFailedEvent(
            subject=row["document_id"], data=events.VersionRenditionFailed(
                version_id=row["id"], document_id=row["document_id"], error=reason)))
    log.info("rendition of %s failed: %s", row["id"], reason)
    return "failed"


# ------------------------------------------------------------------ operations

def rebuild(db, store: ObjectStore, engine: Engine, settings: Settings, scope: str) -> dict:
    """`procedura renditions rebuild`: "missing" renders every version still without a
    rendition (existing versions after an upgrade); "all" makes every rendition again.
    The work runs in the background of this worker, `slots` at a time; `progress`
    follows it."""
    if scope not in ("missing", "all"):
        raise InvalidInput("scope must be missing or all", {"field": "scope"})
    reset = 0
    if scope == "all":
        with db.transaction() as cur:
            reset = Renditions(cur).reset_all()
    started = not engine.rebuilding
    if started:
        engine.rebuilding = True
        engine.spawn(lambda: _render_backlog(db, store, engine, settings))
    return {"scope": scope, "reset": reset, "started": started, **progress(db)}


def _render_backlog(db, store: ObjectStore, engine: Engine, settings: Settings) -> None:
    pool = eventlet.GreenPool(engine.settings.slots)
    try:
        while True:
            with db.transaction() as cur:
                batch = Renditions(cur).to_render(None, 100)
            if not batch:
                return
            outcomes = list(pool.imap(
                lambda vid: _render_quietly(db, store, engine, settings, vid), batch))
            if all(o == "waits" for o in outcomes):   # storage away: try again later
                eventlet.sleep(10)
    finally:
        engine.rebuilding = False


def _render_quietly(db, store, engine, settings, version_id) -> str:
    try:
        return render(db, store, engine, settings, version_id)
    except ServiceUnavailable:
        log.warning("rebuild: %s waits for storage", version_id, exc_info=True)
        return "waits"


def progress(db) -> dict:
    """How many kept versions have a rendition, failed, or wait for one (`waiting`: their
    text is extracted; `extracting`: not yet, they are rendered after it)."""
    with db.transaction() as cur:
        counts = Renditions(cur).counts()
        cur.execute("""SELECT count(*) AS n FROM versions WHERE rendition_status = 'pending'
                         AND disposed_at IS NULL AND extraction_status = 'pending'""")
        extracting = cur.fetchone()["n"]
    return {**counts, "waiting": counts["pending"] - extracting, "extracting": extracting}


def problems(db, pending_older_than: float, limit: int = 100) -> dict:
    """For `procedura doctor`: versions without a rendition for too long, failed ones."""
    with db.transaction() as cur:
        found = Renditions(cur).problems(pending_older_than, limit)

    def row(r: dict) -> dict:
        return {k: (str(v) if k in ("id", "document_id") else
                    v.isoformat() if k == "created_at" else v) for k, v in r.items()}

    return {"pending": [row(r) for r in found["pending"]],
            "failed": [row(r) for r in found["failed"]], "counts": found["counts"]}
