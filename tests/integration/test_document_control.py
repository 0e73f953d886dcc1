"""Registration numbers and the one-in-force rule, on the real PostgreSQL."""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg2.errors
import pytest

from services.documents.domain import DocumentTypes
from services.documents.adapters.repository import Repository
from services.documents.adapters.unit_of_work import PostgresUnitOfWork

TYPES = DocumentTypes({"types": {"PO": {"code": "PO-{department}-{nn}", "review_months": 12}},
                       "review_notice_days": 30})


def new_document(cur) -> uuid.UUID:
    document_id = uuid.uuid4()
    cur.execute("""INSERT INTO documents (id, code, title, type, owner_department, created_by)
                   VALUES (%s, %s, 'Titlu', 'PO', 'DJ', 'test')""",
                (document_id, f"PO-DJ-{uuid.uuid4().hex[:8]}"))
    return document_id


def new_revision(cur, document_id, revision: int, status: str) -> uuid.UUID:
    version_id = uuid.uuid4()
    cur.execute("""INSERT INTO revisions (version_id, document_id, edition, revision, status,
                                          author)
                   VALUES (%s, %s, 1, %s, %s, 'ana')""",
                (version_id, document_id, revision, status))
    return version_id


@pytest.fixture
def uow(db):
    """The use cases' unit of work on this test's database."""
    return PostgresUnitOfWork(db)


def test_fifty_concurrent_approvals_get_fifty_consecutive_numbers(db):
    year = 3000 + uuid.uuid4().int % 1000   # a year of its own for this run

    def approve(_):
        with db.transaction() as cur:
            number = Repository(cur).next_registry_number(year)
            cur.execute("SELECT pg_sleep(0.02)")  # hold the number while others wait
            return number

    with ThreadPoolExecutor(max_workers=50) as pool:
        numbers = list(pool.map(approve, range(50)))
    assert sorted(numbers) == list(range(1, 51))


def test_a_rolled_back_approval_gives_its_number_back(db):
    year = 4000 + uuid.uuid4().int % 1000
    with db.transaction() as cur:
        assert Repository(cur).next_registry_number(year) == 1
    with pytest.raises(RuntimeError):
        with db.transaction() as cur:
            assert Repository(cur).next_registry_number(year) == 2
            raise RuntimeError("the approval failed after numbering")
    with db.transaction() as cur:
        assert Repository(cur).next_registry_number(year) == 2


def test_the_database_refuses_a_second_revision_in_force(db):
    with db.transaction() as cur:
        document_id = new_document(cur)
        new_revision(cur, document_id, 0, "in_force")
        second = new_revision(cur, document_id, 1, "approved")
    with pytest.raises(psycopg2.errors.UniqueViolation):
        with db.transaction() as cur:
            cur.execute("UPDATE revisions SET status = 'in_force' WHERE version_id = %s",
                        (second,))
    # another document may have its own revision in force
    with db.transaction() as cur:
        new_revision(cur, new_document(cur), 0, "in_force")


def test_the_timer_brings_due_revisions_into_force_and_supersedes_the_previous(db, uow):
    from datetime import date, timedelta

    from services.documents.use_cases.signing import bring_due_into_force

    today = date.today()
    with db.transaction() as cur:
        document_id = new_document(cur)
        old = new_revision(cur, document_id, 0, "in_force")
        due = new_revision(cur, document_id, 1, "approved")
        later = new_revision(cur, new_document(cur), 0, "approved")
        cur.execute("UPDATE revisions SET effective_date = %s WHERE version_id = %s",
                    (today + timedelta(days=10), due))
        cur.execute("UPDATE revisions SET effective_date = %s WHERE version_id = %s",
                    (today + timedelta(days=400), later))

    def status(version_id):
        with db.transaction() as cur:
            cur.execute("SELECT status FROM revisions WHERE version_id = %s", (version_id,))
            return cur.fetchone()["status"]

    bring_due_into_force(uow, TYPES, today)              # not yet
    assert (status(old), status(due)) == ("in_force", "approved")
    assert bring_due_into_force(uow, TYPES, today + timedelta(days=10)) >= 1
    assert (status(old), status(due), status(later)) == ("superseded", "in_force", "approved")
    with db.transaction() as cur:
        cur.execute("""SELECT type FROM outbox WHERE payload->'data'->>'version_id' IN (%s, %s)
                       ORDER BY created_at""", (str(old), str(due)))
        assert [r["type"] for r in cur.fetchall()] == ["version_superseded", "version_in_force"]


def test_review_due_is_announced_once_per_due_date_and_a_review_moves_it_on(db, uow):
    from datetime import date, timedelta

    from services.documents.use_cases.signing import announce_reviews, reviewed_without_change

    today = date.today()
    with db.transaction() as cur:
        document_id = new_document(cur)
        cur.execute("UPDATE documents SET next_review_date = %s WHERE id = %s",
                    (today + timedelta(days=20), document_id))
        cur.execute("""INSERT INTO staff (username, full_name, department, roles, password_hash)
                       VALUES ('sef.dj', 'Șef DJ', 'DJ', '{reader,verifier}', 'x')
                       ON CONFLICT DO NOTHING""")

    def announced():
        with db.transaction() as cur:
            cur.execute("""SELECT count(*) AS n FROM outbox WHERE type = 'review_due'
                           AND payload->>'subject' = %s""", (str(document_id),))
            return cur.fetchone()["n"]

    announce_reviews(uow, TYPES, today - timedelta(days=15))   # 35 days before: not yet
    assert announced() == 0
    announce_reviews(uow, TYPES, today)                        # 20 days before: due
    announce_reviews(uow, TYPES, today + timedelta(days=1))    # not twice
    assert announced() == 1
    document = reviewed_without_change(uow, TYPES, "sef.dj", document_id, "Fără modificări",
                                       today)
    assert document.next_review_date == today.replace(year=today.year + 1) \
        if not (today.month == 2 and today.day == 29) else True
    announce_reviews(uow, TYPES, today)                        # the new date is a year away
    assert announced() == 1
