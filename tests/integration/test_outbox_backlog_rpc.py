"""outbox_backlog, the RPC `procedura doctor` asks documents and notifications: each
answers from its own outbox (real PostgreSQL), events not relayed for longer than asked."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
from nameko.testing.services import worker_factory

from services.common.db import Database
from services.common.migrations import migrate
from services.common.outbox import record
from services.contracts import events
from services.contracts.errors import InvalidInput
from services.documents.service import DocumentsService
from services.notifications.service import NotificationsService

TWENTY_YEARS, FIFTEEN_YEARS = 20 * 365 * 86400, 15 * 365 * 86400


def stuck_event(db: Database) -> uuid.UUID:
    """An event recorded twenty years ago and never relayed (nothing else is that old)."""
    event = events.DocumentRegisteredEvent(subject=uuid.uuid4(), data=events.DocumentRegistered(
        document_id=uuid.uuid4(), code="PO-OB-01", title="Titlu", type="PO",
        owner_department="DJ", distribution=["DJ"], confidential=False,
        registered_by="ana.popescu"))
    with db.transaction() as cur:
        record(cur, event)
        cur.execute("UPDATE outbox SET created_at = now() - make_interval(secs => %s) "
                    "WHERE id = %s", (TWENTY_YEARS, event.id))
    return event.id


@pytest.fixture(scope="module")
def notifications_db(environment):
    migrate(environment.database_url, "notifications", "services.notifications.migrations")
    database = Database(environment.database_url, "notifications", maxconn=2)
    yield database
    database.close()


@pytest.mark.parametrize("service_class, database", [
    (DocumentsService, "db"), (NotificationsService, "notifications_db")])
def test_each_service_tells_the_events_its_outbox_has_not_relayed(service_class, database,
                                                                  request):
    db = request.getfixturevalue(database)
    service = worker_factory(service_class, db=db)
    event_id = stuck_event(db)
    try:
        found = service.outbox_backlog(FIFTEEN_YEARS)
        age = datetime.now(timezone.utc) - datetime.fromisoformat(found["oldest"])
        assert found["count"] == 1 and abs(age.total_seconds() - TWENTY_YEARS) < 3600
        assert service.outbox_backlog(25 * 365 * 86400) == {"count": 0, "oldest": None}
        with db.transaction() as cur:
            cur.execute("UPDATE outbox SET published_at = now() WHERE id = %s", (event_id,))
        assert service.outbox_backlog(FIFTEEN_YEARS) == {"count": 0, "oldest": None}
        with pytest.raises(InvalidInput):
            service.outbox_backlog(-1)
    finally:
        with db.transaction() as cur:
            cur.execute("DELETE FROM outbox WHERE id = %s", (event_id,))
