"""Page images and the rendition's address (issue 13, points 3 and 4), on the real MinIO
and PostgreSQL with the real pdftoppm: a 1,000-page rendition costs nothing until a page
is asked for; a page is drawn once, then served from the bucket; what is out of range is
refused naming the field; a pending, failed or disposed rendition says so."""
from __future__ import annotations

import io
import time
import uuid
from datetime import datetime, timezone

import pytest
import requests
from PIL import Image

from procedura_cli.badfiles import text_pdf
from services.contracts.errors import Conflict, InvalidInput, NotFound
from services.renditions.use_cases import pages
from services.renditions.engines import pdf
from services.renditions.engines.local_copies import LocalCopies
from services.renditions.settings import RenditionSettings

pytestmark = pytest.mark.integration

THOUSAND = text_pdf([[f"Pagina {n} din procedura"] for n in range(1, 1001)])


@pytest.fixture(scope="module")
def versioning_db(environment):
    from services.common.db import Database, make_green
    from services.common.migrations import migrate

    make_green()
    migrate(environment.database_url, "versioning", "services.versioning.migrations")
    database = Database(environment.database_url, "versioning")
    yield database
    database.close()


@pytest.fixture
def rendition_settings(tmp_path):
    return RenditionSettings(page_cache_dir=tmp_path / "copies",
                             page_cache_bytes=64 * 1024 ** 2)


def stored_version(db, store, pdf_bytes: bytes | None, status: str = "done",
                   pages_count: int | None = None, error: str | None = None) -> uuid.UUID:
    """A version row as the rendition worker leaves it, its rendition (if any) in MinIO."""
    version_id, document_id = uuid.uuid4(), uuid.uuid4()
    key, object_version = f"renditions/{document_id}/{version_id}.pdf", None
    if pdf_bytes is not None:
        object_version = store.client.put_object(
            store.bucket, key, io.BytesIO(pdf_bytes), len(pdf_bytes),
            content_type="application/pdf").version_id
    with db.transaction() as cur:
        cur.execute(
            """INSERT INTO versions (id, document_id, edition, revision, filename, media_type,
                                     size, sha256, object_key, text_key, author,
                                     rendition_status, rendition_pages, rendition_error,
                                     rendition_key, rendition_object_version, rendered_at)
               VALUES (%s, %s, 1, 0, 'p.pdf', 'application/pdf', 1, %s, %s, %s, 'ana.popescu',
                       %s, %s, %s, %s, %s, %s)""",
            (version_id, document_id, "0" * 64, f"originals/{document_id}/{version_id}/p.pdf",
             f"texts/{document_id}/{version_id}.txt", status, pages_count, error,
             key if pdf_bytes is not None else None, object_version,
             datetime.now(timezone.utc) if status == "done" else None))
    return version_id


def page_objects(store, version_id) -> list[tuple[str, str]]:
    """(key, object version) of every page image of a version, every object version."""
    return sorted((o.object_name, o.version_id) for o in store.client.list_objects(
        store.bucket, prefix=f"pages/{version_id}/", recursive=True, include_version=True))


def fetched(answer: dict) -> bytes:
    response = requests.get(answer["location"], timeout=30)
    response.raise_for_status()
    return response.content


def test_page_500_of_1000_is_drawn_when_asked_then_served_from_the_bucket(
        versioning_db, store, rendition_settings, tmp_path):
    version_id = stored_version(versioning_db, store, THOUSAND, pages_count=1000)
    assert page_objects(store, version_id) == []          # nothing drawn before an ask

    first = pages.page_image(versioning_db, store, rendition_settings, version_id, 500, 200,
                             "png")

    assert (first["media_type"], first["pages"]) == ("image/png", 1000)
    (tmp_path / "same.pdf").write_bytes(THOUSAND)
    assert fetched(first) == pdf.page_image(tmp_path / "same.pdf", 500, 200, rendition_settings)
    assert Image.open(io.BytesIO(fetched(first))).width == 200
    drawn = page_objects(store, version_id)
    assert [key for key, _ in drawn] == [f"pages/{version_id}/500-200.png"]

    # the second ask: the same image from the bucket, nothing drawn or written again
    started = time.monotonic()
    second = pages.page_image(versioning_db, store, rendition_settings, version_id, 500, 200,
                              "png")
    assert time.monotonic() - started < 1.0
    assert second["etag"] == first["etag"]
    assert page_objects(store, version_id) == drawn
    assert fetched(second) == fetched(first)

    # another page of the same rendition is drawn from the one local copy
    pages.page_image(versioning_db, store, rendition_settings, version_id, 1000, 200, "png")
    copies = LocalCopies(rendition_settings.page_cache_dir, rendition_settings.page_cache_bytes)
    assert len(copies.names()) == 1 and copies.names()[0].startswith(str(version_id))


def test_a_page_as_webp(versioning_db, store, rendition_settings):
    version_id = stored_version(versioning_db, store, THOUSAND[:], pages_count=1000)
    answer = pages.page_image(versioning_db, store, rendition_settings, version_id, 2, 300,
                              "webp")
    image = Image.open(io.BytesIO(fetched(answer)))
    assert (answer["media_type"], image.format, image.width) == ("image/webp", "WEBP", 300)
    png = pages.page_image(versioning_db, store, rendition_settings, version_id, 2, 300, "png")
    assert png["etag"] != answer["etag"]


@pytest.mark.parametrize("page, width, fmt, field", [
    (1, 63, "png", "width"), (1, 2001, "png", "width"), (0, 200, "png", "page"),
    (1001, 200, "png", "page"), (1, 200, "gif", "format"), (1, 200, "PNG", "format")])
def test_what_is_out_of_range_is_refused_naming_the_field(
        page, width, fmt, field, versioning_db, store, rendition_settings):
    version_id = stored_version(versioning_db, store, THOUSAND, pages_count=1000)
    with pytest.raises(InvalidInput) as refused:
        pages.page_image(versioning_db, store, rendition_settings, version_id, page, width, fmt)
    assert refused.value.details["field"] == field
    assert page_objects(store, version_id) == []


def test_the_smallest_and_largest_widths_are_drawn(versioning_db, store, rendition_settings):
    version_id = stored_version(versioning_db, store, THOUSAND, pages_count=1000)
    for width in (64, 2000):
        answer = pages.page_image(versioning_db, store, rendition_settings, version_id, 1,
                                  width, "png")
        assert Image.open(io.BytesIO(fetched(answer))).width == width


def test_the_rendition_is_where_its_location_says(versioning_db, store):
    version_id = stored_version(versioning_db, store, THOUSAND, pages_count=1000)
    url = pages.rendition_location(versioning_db, store, version_id)
    assert requests.get(url, timeout=30).content == THOUSAND


@pytest.mark.parametrize("status, error", [("pending", None),
                                           ("failed", "soffice ran past 120 s")])
def test_a_pending_or_failed_rendition_is_a_conflict_naming_its_status(
        status, error, versioning_db, store, rendition_settings):
    version_id = stored_version(versioning_db, store, None, status=status, error=error)
    for ask in (lambda: pages.rendition_location(versioning_db, store, version_id),
                lambda: pages.page_image(versioning_db, store, rendition_settings, version_id,
                                         1, 200, "png")):
        with pytest.raises(Conflict) as refused:
            ask()
        assert refused.value.details["status"] == status
        assert status in refused.value.message
        if error:
            assert error in refused.value.message


def test_a_disposed_or_unknown_version_has_no_rendition(versioning_db, store,
                                                        rendition_settings):
    version_id = stored_version(versioning_db, store, THOUSAND, pages_count=1000)
    with versioning_db.transaction() as cur:
        cur.execute("UPDATE versions SET disposed_at = now() WHERE id = %s", (version_id,))
    for vid in (version_id, uuid.uuid4()):
        with pytest.raises(NotFound):
            pages.rendition_location(versioning_db, store, vid)
        with pytest.raises(NotFound):
            pages.page_image(versioning_db, store, rendition_settings, vid, 1, 200, "png")


def two_drawn(versioning_db, store, rendition_settings):
    """Two one-page versions whose first page was drawn (a copy of each rendition in the
    page cache), and the cache."""
    versions = [stored_version(versioning_db, store, text_pdf([[f"Pagina {n}"]]),
                               pages_count=1) for n in (1, 2)]
    for version_id in versions:
        pages.page_image(versioning_db, store, rendition_settings, version_id, 1, 200, "png")
    return (*versions, LocalCopies(rendition_settings.page_cache_dir,
                                   rendition_settings.page_cache_bytes))


def test_a_disposal_takes_its_versions_copies_out_of_the_page_cache(
        versioning_db, store, rendition_settings):
    disposed, kept, copies = two_drawn(versioning_db, store, rendition_settings)
    assert len(copies.names()) == 2

    assert pages.forget_disposed(rendition_settings, [disposed]) == 1

    [left] = copies.names()
    assert left.startswith(f"{kept}-")
    assert pages.forget_disposed(rendition_settings, [disposed]) == 0     # idempotent
    # a machine whose worker never drew a page has no cache folder yet
    assert pages.forget_disposed(RenditionSettings(
        page_cache_dir=rendition_settings.page_cache_dir / "absent"), [kept]) == 0


def test_copies_of_a_disposal_no_worker_heard_go_at_the_next_one(
        versioning_db, store, rendition_settings):
    missed, kept, copies = two_drawn(versioning_db, store, rendition_settings)
    with versioning_db.transaction() as cur:   # disposed while the workers were down
        cur.execute("UPDATE versions SET disposed_at = now() WHERE id = %s", (missed,))
    (copies.folder / "not-a-version.pdf").write_bytes(b"%PDF-1.4")   # left as it is

    assert pages.forget_disposed_before(versioning_db, rendition_settings) == 1

    assert [name[:36] for name in copies.names()] == sorted([str(kept), "not-a-version.pdf"])
    assert pages.forget_disposed_before(versioning_db, rendition_settings) == 0


def test_a_page_drawn_while_its_version_is_disposed_of_leaves_no_copy_behind(
        versioning_db, store, rendition_settings, monkeypatch):
    version_id = stored_version(versioning_db, store, text_pdf([["Dosar"]]), pages_count=1)
    draw = pages._draw

    def disposed_meanwhile(*args):   # the disposal commits while pdftoppm draws the page
        image = draw(*args)
        with versioning_db.transaction() as cur:
            cur.execute("UPDATE versions SET disposed_at = now() WHERE id = %s", (version_id,))
        return image

    monkeypatch.setattr(pages, "_draw", disposed_meanwhile)
    with pytest.raises(NotFound):
        pages.page_image(versioning_db, store, rendition_settings, version_id, 1, 200, "png")

    assert LocalCopies(rendition_settings.page_cache_dir,
                       rendition_settings.page_cache_bytes).names() == []
    assert page_objects(store, version_id) == []


def test_a_rebuilt_rendition_never_serves_pages_drawn_from_the_one_before(
        versioning_db, store, rendition_settings):
    version_id = stored_version(versioning_db, store, text_pdf([["Vechi"]]), pages_count=1)
    old = pages.page_image(versioning_db, store, rendition_settings, version_id, 1, 200, "png")

    new_pdf = text_pdf([["Text nou, cu totul alt rand"] * 40])
    with versioning_db.transaction() as cur:
        cur.execute("SELECT rendition_key FROM versions WHERE id = %s", (version_id,))
        key = cur.fetchone()["rendition_key"]
        rebuilt = store.client.put_object(store.bucket, key, io.BytesIO(new_pdf), len(new_pdf),
                                          content_type="application/pdf").version_id
        cur.execute("UPDATE versions SET rendition_object_version = %s WHERE id = %s",
                    (rebuilt, version_id))
    new = pages.page_image(versioning_db, store, rendition_settings, version_id, 1, 200, "png")

    assert new["etag"] != old["etag"]
    assert fetched(new) != fetched(old)
    assert len(page_objects(store, version_id)) == 2      # drawn again, as a new version


def test_the_local_copies_stay_within_their_bound(versioning_db, store, tmp_path):
    # room for about one copy: each new rendition asked for pushes the older out
    settings = RenditionSettings(page_cache_dir=tmp_path / "copies",
                                 page_cache_bytes=len(THOUSAND) + 1000)
    first, second = (stored_version(versioning_db, store, THOUSAND, pages_count=1000)
                     for _ in range(2))
    pages.page_image(versioning_db, store, settings, first, 1, 100, "png")
    time.sleep(0.01)
    pages.page_image(versioning_db, store, settings, second, 1, 100, "png")

    held = LocalCopies(settings.page_cache_dir, settings.page_cache_bytes).names()
    assert len(held) == 1 and held[0].startswith(str(second))
    assert not [p for p in (tmp_path / "copies").iterdir() if p.name.startswith(".")]


def test_asks_at_once_for_pages_of_a_new_rendition_download_it_once(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    copies, fetched_times = LocalCopies(tmp_path / "copies", 10 * 1024 ** 2), []

    def fetch(path):
        fetched_times.append(path)
        time.sleep(0.2)                       # a download that takes a while
        path.write_bytes(THOUSAND)

    def draw(page):
        with copies.copy("v-1.pdf", fetch) as path:
            return pdf.page_image(path, page, 100, RenditionSettings())

    with ThreadPoolExecutor(8) as pool:
        images = list(pool.map(draw, range(1, 9)))

    assert len(fetched_times) == 1
    assert all(Image.open(io.BytesIO(image)).width == 100 for image in images)
    assert sorted(p.name for p in (tmp_path / "copies").iterdir()) == ["v-1.pdf"]


def test_a_page_the_pdf_does_not_give_is_a_conflict_naming_it_not_an_internal_error(
        versioning_db, store, rendition_settings):
    # the manifest says 5 pages, the stored PDF has 3: pdftoppm cannot draw page 5
    version_id = stored_version(versioning_db, store, text_pdf([["a"], ["b"], ["c"]]),
                                pages_count=5)
    with pytest.raises(Conflict) as refused:
        pages.page_image(versioning_db, store, rendition_settings, version_id, 5, 200, "png")
    assert refused.value.details["page"] == 5 and "page 5" in refused.value.message
    assert page_objects(store, version_id) == []


def test_a_rendition_lost_from_the_bucket_is_not_found_naming_the_rebuild(
        versioning_db, store, rendition_settings):
    version_id = stored_version(versioning_db, store, THOUSAND, pages_count=1000)
    with versioning_db.transaction() as cur:
        cur.execute("SELECT rendition_key FROM versions WHERE id = %s", (version_id,))
        key = cur.fetchone()["rendition_key"]
    assert store.purge(key) == 1
    with pytest.raises(NotFound) as refused:
        pages.page_image(versioning_db, store, rendition_settings, version_id, 1, 200, "png")
    assert "renditions rebuild" in refused.value.message


def test_object_storage_away_is_a_service_unavailable_naming_it(versioning_db, settings,
                                                                 rendition_settings):
    from services.contracts.errors import ServiceUnavailable
    from services.versioning.adapters.storage import ObjectStore

    version_id = stored_version(versioning_db, ObjectStore(settings.minio), None,
                                pages_count=3)
    # nothing listens on port 9: MinIO as it is when stopped
    away = ObjectStore(settings.minio.model_copy(update={"endpoint": "127.0.0.1:9"}))
    with pytest.raises(ServiceUnavailable) as refused:
        pages.page_image(versioning_db, away, rendition_settings, version_id, 1, 200, "png")
    assert refused.value.details["service"] == "storage"


def test_webp_keeps_a_text_page_exact_and_is_smaller_than_png_for_text_and_scans(
        versioning_db, store, rendition_settings, tmp_path):
    from procedura_cli import scans

    scan = scans.save([scans.scan_page(seed=3, page=1)], tmp_path / "scan.pdf").read_bytes()
    for kind, data in (("text", text_pdf([["Înregistrarea petițiilor"] * 30])),
                       ("scan", scan)):
        version_id = stored_version(versioning_db, store, data, pages_count=1)
        png, webp = (fetched(pages.page_image(versioning_db, store, rendition_settings,
                                              version_id, 1, 400, fmt))
                     for fmt in ("png", "webp"))
        assert len(webp) < len(png), (kind, len(webp), len(png))
        if kind == "text":   # lossless: the letters exactly as drawn
            assert (Image.open(io.BytesIO(webp)).convert("RGB").tobytes()
                    == Image.open(io.BytesIO(png)).convert("RGB").tobytes())
