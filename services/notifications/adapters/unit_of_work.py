"""The unit of work on PostgreSQL: one transaction of the notifications database, with
the feed, the distribution lists, the e-mail queue, the inbox and the outbox all on its
cursor, so what an event adds is kept together or not at all."""
from __future__ import annotations

from services.common import inbox, outbox
from services.common.db import Database
from services.contracts.events import Envelope
from services.notifications.adapters.ack_repository import AcknowledgementRepository
from services.notifications.adapters.email_repository import EmailRepository
from services.notifications.adapters.repository import Repository


class PostgresInbox:
    def __init__(self, cur):
        self.cur = cur

    def first_delivery(self, event_id, handler: str) -> bool:
        return inbox.first_delivery(self.cur, event_id, handler)


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
        self.feed = Repository(cur)
        self.acknowledgements = AcknowledgementRepository(cur)
        self.emails = EmailRepository(cur)
        self.inbox = PostgresInbox(cur)
        self.outbox = PostgresOutbox(cur)
        return self

    def __exit__(self, kind, error, trace) -> bool | None:
        return self._transaction.__exit__(kind, error, trace)
