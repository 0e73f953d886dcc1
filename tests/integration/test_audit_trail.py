"""The audit trail on the real PostgreSQL: append-only, and tampering is detected."""
from __future__ import annotations

import uuid

import psycopg2.errors
import pytest

from services.documents import audit


def test_entries_chain_and_verify(db):
    document_id = uuid.uuid4()
    with db.transaction() as cur:
        audit.append(cur, "ana.popescu", "register", document_id, details={"code": "PO-X"})
        audit.append(cur, "ana.popescu", "upload", document_id, uuid.uuid4(),
                     {"sha256": "ab" * 32, "titlu": "Procedură — ş ț"})
    with db.transaction() as cur:
        rows = audit.entries(cur, document_id)
        assert [r["action"] for r in rows] == ["register", "upload"]
        assert audit.verify(cur)["ok"]


@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET actor = 'mallory'",
    "DELETE FROM audit_log",
    "TRUNCATE audit_log",
])
def test_the_application_cannot_change_or_remove_entries(db, statement):
    with db.transaction() as cur:
        audit.append(cur, "ana.popescu", "register", uuid.uuid4())
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        with db.transaction() as cur:
            cur.execute(statement)


def test_tampering_behind_the_trigger_breaks_the_chain(db):
    with db.transaction() as cur:
        audit.append(cur, "stefan.ionescu", "version_verified", uuid.uuid4())
        cur.execute("SELECT max(id) AS id FROM audit_log")
        forged = cur.fetchone()["id"]
        audit.append(cur, "daniel.balan", "version_approved", uuid.uuid4())
    with db.transaction() as cur:   # someone with the owner's rights edits history
        cur.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_or_delete")
        cur.execute("UPDATE audit_log SET actor = 'mallory' WHERE id = %s", (forged,))
        cur.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_or_delete")
    with db.transaction() as cur:
        result = audit.verify(cur)
    assert result == {"ok": False, "entries": result["entries"], "broken_at": forged}
