"""The audit trail on the real PostgreSQL: append-only, and tampering is detected."""
from __future__ import annotations

import uuid

import psycopg2.errors
import pytest

from services.documents.adapters import audit


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


@pytest.fixture
def private_trail(environment):
    """A documents schema of its own: this test rewrites its whole chain."""
    from services.common.db import Database
    from services.common.migrations import migrate

    schema = f"audit_{uuid.uuid4().hex[:8]}"
    migrate(environment.database_url, schema, "services.documents.migrations")
    database = Database(environment.database_url, schema, maxconn=2)
    yield database
    with database.transaction() as cur:
        cur.execute(f"DROP SCHEMA {schema} CASCADE")
    database.close()


def test_a_chain_rewritten_from_a_forged_entry_on_is_caught_by_a_hash_written_down_earlier(
        private_trail):
    """Whoever holds the owner's rights can recompute every hash after a change, so the
    chain verifies again; a hash the quality office wrote down before is then missing."""
    db = private_trail
    with db.transaction() as cur:
        for actor in ("ana.popescu", "stefan.ionescu", "daniel.balan"):
            audit.append(cur, actor, "version_signed", uuid.uuid4())
    with db.transaction() as cur:
        before = audit.verify(cur)
    assert before == {"ok": True, "entries": 3, "last_hash": before["last_hash"],
                      "anchors_missing": []}
    anchor = before["last_hash"]
    with db.transaction() as cur:
        assert audit.verify(cur, [anchor.upper()])["ok"]     # written down in capitals

    with db.transaction() as cur:   # the owner rewrites history and every hash after it
        cur.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_or_delete")
        cur.execute("SELECT * FROM audit_log ORDER BY id")
        prev = audit.GENESIS
        for row in cur.fetchall():
            actor = "mallory" if row["actor"] == "stefan.ionescu" else row["actor"]
            forged = audit.entry_hash(prev, row["at"], actor, row["action"],
                                      row["document_id"], row["version_id"], row["details"])
            cur.execute("UPDATE audit_log SET actor = %s, prev_hash = %s, hash = %s "
                        "WHERE id = %s", (actor, prev, forged, row["id"]))
            prev = forged
        cur.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_or_delete")
    with db.transaction() as cur:
        assert audit.verify(cur)["ok"]                         # the chain alone holds
        caught = audit.verify(cur, [anchor])
    assert caught["ok"] is False and caught["anchors_missing"] == [anchor]
