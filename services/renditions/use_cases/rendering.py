"""Use cases of the rendition worker: a version's rendition made once, after its text
extraction, and the OCR'd text handed to search (the operators' rebuild and reports:
services/renditions/use_cases/operations.py)."""
from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from uuid import UUID

import psycopg2
import urllib3
from minio.error import S3Error, ServerError

from services.common.outbox import record
from services.common.settings import Settings
from services.contracts import events
from services.contracts.errors import ServiceUnavailable
from services.versioning.adapters.storage import ObjectStore, page_prefix, rendition_key

from .. import domain
from ..engines import pdf
from ..engines.engine import Engine
from ..errors import RenditionFailed
from ..engines.make import Made, make_rendition
from ..adapters.repository import Renditions

log = logging.getLogger(__name__)



def render(db, store: ObjectStore, engine: Engine, settings: Settings,
           version_id: UUID) -> str:
    """Make, store and record the rendition of one version; returns the outcome.

    Idempotent: a version already rendered, failed, disposed of or being rendered by
    another worker right now is "already handled". A file that cannot be rendered ends
    `failed` naming why; MinIO or PostgreSQL away raises ServiceUnavailable (the message
    waits, services/common/messaging/)."""
    counted = False
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
            counted = True
            given_up = domain.gave_up(attempts)
            if given_up:
                return _failed(claims, row, given_up)
            if row["size"] == 0:
                return _failed(claims, row, "the file is empty (0 bytes): there is "
                                            "nothing to show")
            return _render(claims, store, engine, settings, row, slot)
    except (psycopg2.OperationalError, psycopg2.InterfaceError, urllib3.exceptions.HTTPError,
            ServerError, ConnectionError) as exc:
        if counted:   # storage away is not the file's fault
            _uncount(db, version_id)
        raise ServiceUnavailable(f"rendition of {version_id} waits: {exc}") from exc


def _uncount(db, version_id: UUID) -> None:
    try:
        with db.transaction() as cur:
            cur.execute("""UPDATE versions SET rendition_attempts =
                                  greatest(rendition_attempts - 1, 0)
                           WHERE id = %s AND rendition_status = 'pending'""", (version_id,))
    except psycopg2.Error:   # PostgreSQL is what is away: the count stays
        pass


def _render(claims: Renditions, store: ObjectStore, engine: Engine, settings: Settings,
            row: dict, slot: int) -> str:
    engine.settings.work_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{row['id']}-", dir=engine.settings.work_dir))
    try:
        original = work / domain.local_name(row["filename"], row["media_type"])
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
    stopped = domain.ocr_stopped(ocr.stopped_by, vars(engine.settings)) if ocr else None
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
    text, truncated = domain.whole_text(pdf.page_texts(rendition, engine.settings),
                                        settings.extraction.max_characters)
    store.put_text(row["text_key"], text)
    claims.text_replaced(row["id"], len(text), truncated)
    record(claims.cur, events.VersionTextExtractedEvent(
        subject=row["document_id"], data=events.VersionTextExtracted(
            version_id=row["id"], document_id=row["document_id"], characters=len(text),
            truncated=truncated)))


def _forget_previous(store: ObjectStore, row: dict, key: str,
                     object_version: str | None) -> None:
    """The version's rendition is now `key` at `object_version`: every other rendition
    of it goes, the one before a `rebuild --all` and any an earlier attempt stored
    without recording it (its worker killed between the two, or storage failing after
    the put), and the page images drawn from the one before."""
    ours = rendition_key(row["document_id"], row["id"])
    try:
        if key != ours:      # a PDF that is its own rendition keeps none of ours
            store.purge(ours)
        elif object_version is not None:   # unversioned, the put replaced the rest
            store.purge(ours, keep=object_version)
        if row["rendition_key"]:
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
