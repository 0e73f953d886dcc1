"""Uploads the gateway streams straight to their version's key (issue 18): versioning
records them without copying or rereading them, refuses them as it refuses staged ones,
and leaves no object behind when it does. Real PostgreSQL and MinIO."""
import hashlib
import io
import uuid

import pytest

from procedura_cli.docgen import docx_bytes
from services.contracts.errors import InvalidInput, UnsupportedMediaType
from services.contracts.models import PlacedUpload, StoreVersion, original_key
from services.versioning import use_cases

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture(scope="module")
def versioning_db(environment):
    from services.common.db import Database
    from services.common.migrations import migrate

    migrate(environment.database_url, "versioning", "services.versioning.migrations")
    database = Database(environment.database_url, "versioning")
    yield database
    database.close()


def place(store, data: bytes, filename: str, document_id=None, version_id=None,
          content_type: str = DOCX) -> tuple[StoreVersion, PlacedUpload]:
    """What the gateway does: the bytes at the version's own key, hashed on the way."""
    document_id, version_id = document_id or uuid.uuid4(), version_id or uuid.uuid4()
    key = original_key(document_id, version_id, filename)
    written = store.client.put_object(store.bucket, key, io.BytesIO(data), len(data),
                                      content_type=content_type)
    placed = PlacedUpload(version_id=version_id, object_key=key,
                          object_version_id=written.version_id, filename=filename,
                          size=len(data), sha256=hashlib.sha256(data).hexdigest())
    return StoreVersion(version_id=version_id, document_id=document_id, edition=1,
                        revision=0, staged=placed, author="ana.popescu",
                        change_summary="prima"), placed


def versions_at(store, key: str) -> list[str]:
    return [o.version_id for o in store.client.list_objects(store.bucket, prefix=key,
                                                            include_version=True)]


def test_a_placed_upload_is_recorded_where_it_lies_once(versioning_db, store, settings):
    data = docx_bytes("Procedură", "# Procedură\n\nÎnregistrarea petițiilor.\n")
    request, placed = place(store, data, "procedura.docx")
    stored = use_cases.store_version(versioning_db, store, settings, request)
    assert (stored.id, stored.size, stored.sha256) == (
        request.version_id, len(data), hashlib.sha256(data).hexdigest())
    assert stored.media_type == DOCX and stored.filename == "procedura.docx"
    # nothing copied: the object version the gateway wrote is the one the manifest pins
    assert versions_at(store, placed.object_key) == [placed.object_version_id]
    with versioning_db.transaction() as cur:
        cur.execute("SELECT object_version_id FROM versions WHERE id = %s",
                    (request.version_id,))
        assert cur.fetchone()["object_version_id"] == placed.object_version_id
        cur.execute("SELECT count(*) AS n FROM outbox WHERE type = 'version_stored' "
                    "AND payload->'data'->>'version_id' = %s", (str(request.version_id),))
        assert cur.fetchone()["n"] == 1
    # asked again (a retried call): the same manifest, the object kept, no second event
    assert use_cases.store_version(versioning_db, store, settings, request) == stored
    assert versions_at(store, placed.object_key) == [placed.object_version_id]


def test_a_placed_upload_of_an_unreadable_type_is_refused_and_removed(
        versioning_db, store, settings):
    request, placed = place(store, b"\x00\x01\x02 nu e un document" * 100, "date.bin",
                            content_type="application/octet-stream")
    with pytest.raises(UnsupportedMediaType):
        use_cases.store_version(versioning_db, store, settings, request)
    assert versions_at(store, placed.object_key) == []
    with versioning_db.transaction() as cur:
        assert use_cases.Repository(cur).find(request.version_id) is None


def test_a_placed_upload_whose_size_differs_is_refused_and_removed(versioning_db, store,
                                                                    settings):
    request, placed = place(store, b"Procedura operationala.\n" * 10, "p.txt",
                            content_type="text/plain")
    lying = request.model_copy(update={"staged": placed.model_copy(update={"size": 7})})
    with pytest.raises(InvalidInput) as raised:
        use_cases.store_version(versioning_db, store, settings, lying)
    assert raised.value.details["field"] == "staged.size"
    assert versions_at(store, placed.object_key) == []


def test_an_empty_placed_upload_is_kept_and_its_extraction_will_say_why(
        versioning_db, store, settings):
    request, placed = place(store, b"", "gol.txt", content_type="text/plain")
    stored = use_cases.store_version(versioning_db, store, settings, request)
    assert stored.size == 0 and stored.media_type == "text/plain"


def test_an_upload_placed_at_another_versions_key_is_refused_and_left_alone(
        versioning_db, store, settings):
    data = b"Procedura operationala.\n" * 10
    request, placed = place(store, data, "p.txt", content_type="text/plain")
    other = request.model_copy(update={"version_id": uuid.uuid4()})
    with pytest.raises(InvalidInput) as raised:
        use_cases.store_version(versioning_db, store, settings, other)
    assert raised.value.details["field"] == "staged.object_key"
    # not this version's object: whoever wrote it keeps it
    assert versions_at(store, placed.object_key) == [placed.object_version_id]
    store.remove_version(placed.object_key, placed.object_version_id)


def test_a_placed_upload_that_is_not_there_is_refused(versioning_db, store, settings):
    request, placed = place(store, b"Procedura.\n", "p.txt", content_type="text/plain")
    store.remove_version(placed.object_key, placed.object_version_id)
    with pytest.raises(InvalidInput) as raised:
        use_cases.store_version(versioning_db, store, settings, request)
    assert raised.value.details["field"] == "staged"
