"""The notifications service's unit of work: one transaction of the notifications database, with
the feed, the distribution lists, the steps' deadlines, the e-mail queue, the inbox and the
outbox all on its cursor, so what an event adds is kept together or not at all."""
from __future__ import annotations

from services.common import inbox
from services.common.unit_of_work import TransactionUnitOfWork
from services.notifications.adapters.ack_repository import AcknowledgementRepository
from services.notifications.adapters.deadline_repository import StepDeadlineRepository
from services.notifications.adapters.email_repository import EmailRepository
from services.notifications.adapters.repository import Repository


class PostgresInbox:
    def __init__(self, cur):
        self.cur = cur

    def first_delivery(self, event_id, handler: str) -> bool:
        return inbox.first_delivery(self.cur, event_id, handler)


class PostgresUnitOfWork(TransactionUnitOfWork):
    def bind(self, cur) -> None:
        self.feed = Repository(cur)
        self.acknowledgements = AcknowledgementRepository(cur)
        self.deadlines = StepDeadlineRepository(cur)
        self.emails = EmailRepository(cur)
        self.inbox = PostgresInbox(cur)
