"""The documents service's unit of work: the register's repository, the audit trail and
the outbox on one transaction's cursor (services/common/unit_of_work.py), so a change, its
audit entry and its events are kept together or not at all; the processes and risks, the
people and their sessions on the same cursor (ports.QmsUnitOfWork,
ports.OrganisationUnitOfWork)."""
from __future__ import annotations

from services.common.unit_of_work import TransactionUnitOfWork
from services.documents.adapters import audit
from services.documents.adapters.access_repository import AccessRepository
from services.documents.adapters.qms_repository import QmsRepository
from services.documents.adapters.repository import Repository


class PostgresAuditTrail:
    def __init__(self, cur):
        self.cur = cur

    def append(self, actor: str, action: str, document_id=None, version_id=None,
               details: dict | None = None) -> None:
        audit.append(self.cur, actor, action, document_id, version_id, details)


class PostgresUnitOfWork(TransactionUnitOfWork):
    def bind(self, cur) -> None:
        self.documents = Repository(cur)
        self.staff = self.documents          # the organisation's people: the same tables
        self.qms = QmsRepository(cur)
        self.sessions = AccessRepository(cur)
        self.audit = PostgresAuditTrail(cur)
