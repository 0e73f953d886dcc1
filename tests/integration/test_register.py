"""The register on the real PostgreSQL (and MinIO for disposal): record fields, changes
with their event in the same transaction, archive and the disposal date rule."""
from __future__ import annotations

import io
import uuid
from datetime import date, timedelta

import psycopg2.errors
import pytest

from services.contracts.errors import Conflict, Forbidden, InvalidInput
from services.contracts.models import DocumentChange, NewDocument
from services.documents.adapters.unit_of_work import PostgresUnitOfWork
from services.documents.use_cases import register as register_handlers
from services.documents.domain import DocumentTypes, add_months
from services.documents.use_cases.revisions import register
from services.documents.domain.register import Retention

TYPES = DocumentTypes({"types": {"PO": {"code": "PO-{department}-{nn}"},
                                 "extern": {"code": "EXT-{any}"}}})
RETENTION = Retention({"classes": {"permanent": {"years": None}, "10y": {"years": 10},
                                   "5y": {"years": 5}},
                       "default": "10y", "types": {"extern": "5y"}})


@pytest.fixture
def uow(db):
    """The use cases' unit of work on this test's database."""
    return PostgresUnitOfWork(db)


@pytest.fixture(scope="module")
def people(db):
    with db.transaction() as cur:
        for code, name in (("SMC", "Managementul Calității"), ("RP", "Relații cu Publicul")):
            cur.execute("INSERT INTO departments (code, name) VALUES (%s, %s) "
                        "ON CONFLICT DO NOTHING", (code, name))
        for username, department, roles in (("calitate", "SMC", "{reader,qms_admin,author}"),
                                            ("sef.dj.reg", "DJ", "{reader,verifier}"),
                                            ("autor.dj", "DJ", "{reader,author}")):
            cur.execute("""INSERT INTO staff (username, full_name, department, roles,
                                              password_hash)
                           VALUES (%s, %s, %s, %s, 'x') ON CONFLICT DO NOTHING""",
                        (username, username, department, roles))
    return {"quality": "calitate", "head": "sef.dj.reg", "author": "autor.dj"}


def code(prefix="PO-DJ"):
    return f"{prefix}-{uuid.uuid4().int % 10**8:08d}"


def po(**extra) -> NewDocument:
    return NewDocument(**{"code": code(), "title": "Avizarea contractelor", "type": "PO",
                          "owner_department": "DJ", "distribution": ["DJ", "RP"], **extra})


def outbox(db, document_id, event_type) -> list[dict]:
    with db.transaction() as cur:
        cur.execute("""SELECT payload FROM outbox WHERE type = %s AND payload->>'subject' = %s
                       ORDER BY created_at""", (event_type, str(document_id)))
        return [row["payload"] for row in cur.fetchall()]


def audit_actions(db, document_id) -> list[str]:
    with db.transaction() as cur:
        cur.execute("SELECT action FROM audit_log WHERE document_id = %s ORDER BY id",
                    (document_id,))
        return [row["action"] for row in cur.fetchall()]


def test_an_external_document_is_registered_with_its_origin_and_retention(db, uow, people):
    extern = dict(code=code("EXT"), title="Ordinul SGG nr. 600/2018", type="extern",
                  owner_department="SMC", distribution=["DJ"], scim_standard=9,
                  archive_indicator="I-A-3")
    with pytest.raises(InvalidInput) as raised:
        register(uow, TYPES, people["quality"], NewDocument(**extern), RETENTION)
    assert raised.value.details["field"] == "issuer"
    document = register(uow, TYPES, people["quality"], NewDocument(
        **extern, issuer="Secretariatul General al Guvernului",
        external_reference="OSGG 600/2018", validity_date=date(2030, 12, 31)), RETENTION)
    assert (document.scim_standard, document.archive_indicator, document.retention_class,
            document.issuer) == (9, "I-A-3", "5y", "Secretariatul General al Guvernului")
    # the database itself refuses an external document without its origin
    with pytest.raises(psycopg2.errors.CheckViolation):
        with db.transaction() as cur:
            cur.execute("UPDATE documents SET issuer = NULL WHERE id = %s", (document.id,))


def test_links_name_documents_of_the_register(db, uow, people):
    form = register(uow, TYPES, people["quality"], po(), RETENTION)
    linked = register(uow, TYPES, people["quality"], po(links=[
        {"relation": "form", "document_id": str(form.id)}]), RETENTION)
    assert [(l.relation.value, l.document_id) for l in linked.links] == [("form", form.id)]
    with pytest.raises(InvalidInput) as raised:
        register(uow, TYPES, people["quality"], po(links=[
            {"relation": "reference", "document_id": str(uuid.uuid4())}]), RETENTION)
    assert raised.value.details["field"] == "links"


def test_a_change_is_audited_and_its_event_written_in_the_same_transaction(db, uow, people):
    document = register(uow, TYPES, people["quality"], po(confidential=True), RETENTION)
    updated = register_handlers.update_document(
        uow, RETENTION, people["head"], document.id,
        DocumentChange(title="Avizarea contractelor de achiziție", distribution=["DJ"],
                       scim_standard=11))
    assert (updated.title, updated.distribution, updated.scim_standard) == (
        "Avizarea contractelor de achiziție", ["DJ"], 11)
    assert updated.updated_at is not None
    [event] = outbox(db, document.id, "document_updated")
    assert event["data"]["changed"] == ["distribution", "scim_standard", "title"]
    assert event["data"]["distribution"] == ["DJ"] and event["data"]["confidential"] is True
    assert event["data"]["updated_by"] == people["head"]
    assert audit_actions(db, document.id) == ["register", "update"]

    # refused changes leave neither a change nor an event
    for actor, change, error, field in (
            (people["head"], {"distribution": ["DJ", "XYZ"]}, InvalidInput, "distribution"),
            (people["head"], {"retention_class": "7y"}, InvalidInput, "retention_class"),
            (people["head"], {"issuer": "Guvernul"}, InvalidInput, "issuer"),
            (people["head"], {"title": None}, InvalidInput, "title"),
            (people["author"], {"title": "Alt titlu"}, Forbidden, None)):
        with pytest.raises(error) as raised:
            register_handlers.update_document(uow, RETENTION, actor, document.id,
                                              DocumentChange(**change))
        if field:
            assert raised.value.details["field"] == field
    assert len(outbox(db, document.id, "document_updated")) == 1
    # the same values again: nothing changes, nothing is told
    register_handlers.update_document(uow, RETENTION, people["quality"], document.id,
                                      DocumentChange(distribution=["DJ"]))
    assert len(outbox(db, document.id, "document_updated")) == 1


class RecordingVersioning:
    """The versioning port of the documents service, as far as disposal uses it."""

    def __init__(self):
        self.disposed: list[list[str]] = []

    def dispose(self, version_ids: list[str]) -> int:
        self.disposed.append(version_ids)
        return 2 * len(version_ids)


def revision(db, document_id, n: int, status: str) -> uuid.UUID:
    version_id = uuid.uuid4()
    with db.transaction() as cur:
        cur.execute("""INSERT INTO revisions (version_id, document_id, edition, revision,
                                              status, author)
                       VALUES (%s, %s, 1, %s, %s, 'autor.dj')""",
                    (version_id, document_id, n, status))
        cur.execute("UPDATE documents SET current_version_id = %s WHERE id = %s",
                    (version_id, document_id))
    return version_id


def test_disposal_only_after_the_retention_period_of_the_archive_file(db, uow, people):
    document = register(uow, TYPES, people["quality"], po(retention_class="5y"), RETENTION)
    superseded = revision(db, document.id, 0, "superseded")
    in_force = revision(db, document.id, 1, "in_force")
    versioning, today = RecordingVersioning(), date.today()

    with pytest.raises(Conflict) as raised:                 # a revision in force
        register_handlers.archive(uow, people["quality"], in_force, "")
    assert raised.value.details["status"] == "in_force"
    with pytest.raises(Forbidden):
        register_handlers.archive(uow, people["head"], superseded, "")
    archived = register_handlers.archive(uow, people["quality"], superseded, "Dosar I-A-1")
    assert archived.status.value == "archived" and archived.archived_at is not None
    [event] = outbox(db, document.id, "version_archived")
    assert event["data"]["previous_status"] == "superseded"

    with pytest.raises(Conflict) as raised:                 # the in-force one blocks it
        register_handlers.dispose(uow, versioning, RETENTION, people["quality"], document.id,
                                  "Decizia comisiei nr. 3", today)
    assert raised.value.details["version_id"] == str(in_force)
    with db.transaction() as cur:
        cur.execute("UPDATE revisions SET status = 'withdrawn' WHERE version_id = %s",
                    (in_force,))
    register_handlers.archive(uow, people["quality"], in_force, "")

    with pytest.raises(Conflict) as raised:                 # retention not over
        register_handlers.dispose(uow, versioning, RETENTION, people["quality"], document.id,
                                  "Decizia comisiei nr. 3", today)
    possible = date.fromisoformat(raised.value.details["disposal_possible_from"])
    assert possible == add_months(today, 60)       # 5 years from the last archiving
    assert register_handlers.disposal_date(uow, RETENTION, people["quality"],
                                           document.id) == possible
    with pytest.raises(Conflict):                           # the day before is still early
        register_handlers.dispose(uow, versioning, RETENTION, people["quality"], document.id,
                                  "Decizia comisiei nr. 3", possible - timedelta(days=1))
    assert versioning.disposed == []

    disposed = register_handlers.dispose(uow, versioning, RETENTION, people["quality"],
                                         document.id, "Decizia comisiei nr. 3", possible)
    assert disposed.disposed_at is not None and disposed.status.value == "disposed"
    assert sorted(versioning.disposed[0]) == sorted([str(superseded), str(in_force)])
    with db.transaction() as cur:
        cur.execute("SELECT status FROM revisions WHERE document_id = %s", (document.id,))
        assert {row["status"] for row in cur.fetchall()} == {"disposed"}
    [event] = outbox(db, document.id, "document_disposed")
    assert event["data"]["reason"] == "Decizia comisiei nr. 3"
    assert len(event["data"]["versions"]) == 2
    # the register entry and the whole audit trail remain
    assert audit_actions(db, document.id)[-1] == "dispose"
    assert "register" in audit_actions(db, document.id)
    with pytest.raises(Conflict):                           # once is enough
        register_handlers.dispose(uow, versioning, RETENTION, people["quality"], document.id,
                                  "din nou", possible)


def test_disposal_deletes_every_object_version_even_under_legal_hold(settings):
    from services.versioning.adapters.storage import ObjectStore

    store = ObjectStore(settings.minio)
    store.ensure_buckets()
    assert store.object_lock, "the test bucket is created with object lock"
    key = f"originals/{uuid.uuid4()}/v/p.docx"
    staged = f"staging/{uuid.uuid4()}"
    store.client.put_object(store.staging, staged, io.BytesIO(b"original"), 8)
    version = store.promote(staged, key)
    assert version
    assert store.hold(key, version)
    # while held, not even the bucket's owner can delete that version
    with pytest.raises(Exception) as raised:
        store.client.remove_object(store.bucket, key, version_id=version)
    assert "InvalidRequest" in str(raised.value) or "locked" in str(raised.value).lower()
    store.client.put_object(store.bucket, key, io.BytesIO(b"altered"), 7)   # a second version
    assert store.purge(key) == 2
    assert list(store.client.list_objects(store.bucket, prefix=key, include_version=True)) == []
    assert store.purge(key) == 0                                             # idempotent
