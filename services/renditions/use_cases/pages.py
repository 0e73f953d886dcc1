"""What the gateway asks of a rendition (issue 13, points 3 and 4): the address of the
PDF, and one page of it as an image.

A page image is drawn the first time it is asked for (pdftoppm, in a child process, from
a local copy of the rendition) and kept in the stored bucket under `page_key`; later asks
cost one stat. So a 1,000-page file costs nothing until someone looks at its pages, and
then only the pages looked at.
"""
from __future__ import annotations

import hashlib
from uuid import UUID

from services.contracts.errors import Conflict, NotFound
from services.renditions import domain
from services.renditions.domain import MEDIA_TYPES, page_key
from services.renditions.engines import pdf, webp
from services.renditions.errors import RenditionFailed
from services.renditions.engines.local_copies import LocalCopies
from services.renditions.adapters.page_objects import PageObjects
from services.renditions.settings import RenditionSettings

def rendition_location(db, store, version_id: UUID) -> str:
    """A short-lived URL of the version's PDF rendition (exactly the object version
    stored). Conflict naming the status while it is pending or failed; NotFound when the
    version's content was disposed of."""
    row = _rendered(db, version_id)
    return store.location(row["rendition_key"], version_id=row["rendition_object_version"])


def page_image(db, store, settings: RenditionSettings, version_id: UUID,
               page: int, width: int, fmt: str) -> dict:
    """Page `page` (1-based) of the rendition, `width` pixels wide, as PNG or WebP:
    `{"location", "etag", "media_type", "pages"}`. InvalidInput naming `page`, `width`
    or `format` when out of range."""
    domain.check_page_request(page, width, fmt, settings.page_image_min_width,
                              settings.page_image_max_width)
    row = _rendered(db, version_id)
    pages = row["rendition_pages"] or 0
    domain.check_page_within(page, pages)
    key = page_key(version_id, page, width, fmt)
    # which rendition: its object version (the bucket is versioned), else when it was made
    rendition = row["rendition_object_version"] or str(row["rendered_at"])
    objects = PageObjects(store)
    drawn_from, object_version = objects.drawn_from(key)
    if drawn_from != rendition:      # not drawn yet, or drawn from an older rendition
        image = _draw(objects, settings, row, page, width, fmt)
        try:
            object_version = _put_unless_disposed(db, objects, version_id, key, image,
                                                  MEDIA_TYPES[fmt], rendition)
        except NotFound:   # disposed of while drawn: the copy fetched for it goes too
            forget_disposed(settings, [version_id])
            raise
    etag = hashlib.sha256(f"{key}\n{rendition}".encode()).hexdigest()[:40]
    # the URL names the object version: exactly the image the ETag stands for
    return {"location": objects.location(key, object_version), "etag": f'"{etag}"',
            "media_type": MEDIA_TYPES[fmt], "pages": pages}


def forget_disposed(settings: RenditionSettings, version_ids) -> int:
    """A disposal: the local copies of these versions' renditions leave this machine's
    page cache; how many went (idempotent). Their renditions and page images in the
    object storage went with the originals, under each version's row lock
    (services/versioning/use_cases.py `dispose`); a copy fetched while the disposal ran
    is removed by the draw that fetched it, which then finds the version disposed."""
    copies = LocalCopies(settings.page_cache_dir, settings.page_cache_bytes)
    return sum(copies.forget(f"{version_id}-") for version_id in version_ids)


def forget_disposed_before(db, settings: RenditionSettings) -> int:
    """The copies of versions disposed of while no worker of this machine heard it (a
    disposal reaches the processes running then): they go at the next disposal heard."""
    held = {name.split(".")[0][:36] for name in
            LocalCopies(settings.page_cache_dir, settings.page_cache_bytes).names()}
    ids = [name for name in held if _is_uuid(name)]
    if not ids:
        return 0
    with db.transaction() as cur:
        cur.execute("""SELECT id::text AS id FROM versions WHERE id = ANY(%s::uuid[])
                       AND disposed_at IS NOT NULL""", (ids,))
        disposed = [row["id"] for row in cur.fetchall()]
    return forget_disposed(settings, disposed)


def _draw(objects: PageObjects, settings: RenditionSettings, row: dict, page: int,
          width: int, fmt: str) -> bytes:
    copies = LocalCopies(settings.page_cache_dir, settings.page_cache_bytes)
    name = f"{row['id']}-{row['rendition_object_version'] or 'current'}.pdf"

    def fetch(path):
        objects.download(row["rendition_key"], row["rendition_object_version"], path)

    with copies.copy(name, fetch) as path:
        try:
            png = pdf.page_image(path, page, width, settings)
        except RenditionFailed as exc:   # the engine's own error: no type the gateway maps
            raise Conflict(f"page {page} of the rendition of version {row['id']} could not "
                           f"be drawn: {exc.message}",
                           {"version_id": str(row["id"]), "page": page,
                            "status": "done"}) from None
    return png if fmt == "png" else webp.from_png(png)


def _put_unless_disposed(db, objects: PageObjects, version_id: UUID, key: str,
                         image: bytes, media_type: str, rendition: str) -> str | None:
    """Store a page image drawn while its version may have been disposed of: under a
    lock of the version's row, which disposal takes to remove the content
    (services/versioning/adapters/repository.py find_to_dispose), so the image is
    stored before disposal removes every page image, or not at all."""
    with db.transaction() as cur:
        cur.execute("SELECT disposed_at FROM versions WHERE id = %s FOR KEY SHARE",
                    (version_id,))
        _check_kept(cur.fetchone(), version_id)
        return objects.put(key, image, media_type, rendition)


def _is_uuid(text: str) -> bool:
    try:
        return str(UUID(text)) == text
    except ValueError:
        return False


_ROW = """SELECT id, document_id, disposed_at, rendition_status, rendition_pages,
                 rendition_error, rendition_key, rendition_object_version, rendered_at
          FROM versions WHERE id = %s"""


def _rendered(db, version_id: UUID) -> dict:
    """The version's rendition, when it is there to be read: NotFound for an unknown or
    disposed version, Conflict naming the status while pending or failed."""
    with db.transaction() as cur:
        cur.execute(_ROW, (version_id,))
        row = cur.fetchone()
    _check_kept(row, version_id)
    status = row["rendition_status"]
    if status != "done":
        because = f": {row['rendition_error']}" if status == "failed" else ""
        raise Conflict(f"the PDF rendition of version {version_id} is {status}{because}",
                       {"version_id": str(version_id), "status": status,
                        "rendition": {"status": status, "error": row["rendition_error"]}})
    return row


def _check_kept(row: dict | None, version_id: UUID) -> None:
    """NotFound for an unknown version or one whose content was disposed of."""
    if row is None:
        raise NotFound(f"no version {version_id}", {"version_id": str(version_id)})
    if row["disposed_at"] is not None:
        raise NotFound(f"the content of version {version_id} was disposed of after its "
                       f"retention period", {"version_id": str(version_id),
                                             "disposed_at": row["disposed_at"].isoformat()})
