"""The unit of work on PostgreSQL: one transaction of the documents database, with the
register's repository, the audit trail and the outbox all on its cursor, so a change,
its audit entry and its events are kept together or not at all."""
from __future__ import annotations

from services.common import outbox
from services.common.db import Database
from services.contracts.events import Envelope
from services.documents.adapters import audit
from services.documents.adapters.repository import Repository


class PostgresAuditTrail:
    def __init__(self, cur):
        self.cur = cur

    def append(self, actor: str, action: str, document_id=None, version_id=None,
               details: dict | None = None) -> None:
        audit.append(self.cur, actor, action, document_id, version_id, details)


class PostgresOutbox:
    def __init__(self, cur):
        self.cur = cur

    def record(self, event: Envelope) -> None:
        outbox.record(self.cur, event)


class PostgresUnitOfWork:
    """`with uow:` opens a transaction (each `with` a new one) and commits it on leaving,
    or rolls it back on an exception."""

    def __init__(self, db: Database):
        self.db = db

    def __enter__(self) -> PostgresUnitOfWork:
        self._transaction = self.db.transaction()
        cur = self._transaction.__enter__()
        self.documents = Repository(cur)
        self.audit = PostgresAuditTrail(cur)
        self.outbox = PostgresOutbox(cur)
        return self

    def __exit__(self, kind, error, trace) -> bool | None:
        return self._transaction.__exit__(kind, error, trace)
