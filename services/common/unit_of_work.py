"""A unit of work on PostgreSQL: one transaction of a service's database, its adapters all
on its cursor, so a change and the events it records in the outbox are kept together or
not at all. Each service names what its use cases find on it (`bind`)."""
from __future__ import annotations

from services.common import outbox
from services.common.db import Database
from services.contracts.events import Envelope


class PostgresOutbox:
    def __init__(self, cur):
        self.cur = cur

    def record(self, event: Envelope) -> None:
        outbox.record(self.cur, event)


class TransactionUnitOfWork:
    """`with uow:` opens a transaction (each `with` a new one) and commits it on leaving,
    or rolls it back on an exception."""

    def __init__(self, db: Database):
        self.db = db

    def bind(self, cur) -> None:
        """Put the service's adapters on the transaction's cursor."""
        raise NotImplementedError

    def __enter__(self):
        self._transaction = self.db.transaction()
        cur = self._transaction.__enter__()
        self.outbox = PostgresOutbox(cur)
        self.bind(cur)
        return self

    def __exit__(self, kind, error, trace) -> bool | None:
        return self._transaction.__exit__(kind, error, trace)
