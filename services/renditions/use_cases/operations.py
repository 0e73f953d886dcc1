"""The operators' side of the rendition worker: `procedura renditions rebuild` (the
backlog rendered in the worker's background) and its progress, and `procedura doctor`'s
rendition problems."""
from __future__ import annotations

import logging

import eventlet

from services.common.db import problems_report
from services.common.settings import Settings
from services.contracts.errors import InvalidInput, ServiceUnavailable
from services.versioning.adapters.storage import ObjectStore

from ..engines.engine import Engine
from ..adapters.repository import Renditions
from .rendering import render

log = logging.getLogger(__name__)


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
        return problems_report(Renditions(cur).problems(pending_older_than, limit))
