"""The documents service: the register, revisions and their workflows, the organisation."""
from __future__ import annotations

import json
from uuid import UUID

from nameko.timer import timer

from services.common.callers import NOTIFICATIONS, GATEWAY, OPERATORS, SEARCH
from services.common.identity import IdentifiedRpcProxy, rpc
from services.common.db import DatabaseProvider
from services.common.outbox import OutboxRelay, backlog
from services.common.health import HealthBeacon
from services.contracts.confidentiality import may_read
from services.contracts.errors import EXPECTED, validate
from services.contracts.models import (
    ChangeNote, Comment, DocumentChange, NewDocument, Numbering, Organisation, PlacedUpload,
    Signing, StagedUpload)
from services.documents.adapters import audit
from services.documents.use_cases import logins, reading, revisions
# not `organisation`: load_organisation's parameter of that name (its API) would hide it
from services.documents.use_cases import organisation as organisation_loading
# not `workflows`: the RPC of that name (services/documents/workflow_rpc.py)
from services.documents.use_cases import workflows as workflow_cases
# not `signing`: the transition RPC's parameter of that name (its API) would hide it
from services.documents.use_cases import signing as signing_chain
from services.documents.use_cases import register as register_handlers
from services.documents.access import Access
from services.documents.bootstrap import DirectoryProvider, DocumentControlConfig, LoginLimits
from services.documents.directory_rpc import DirectoryAdministration
from services.documents.processes import ProcessesAndRisks
from services.documents.adapters.repository import Repository
from services.documents.adapters.unit_of_work import PostgresUnitOfWork
from services.documents.sso_access import SingleSignOn
from services.documents.workflow_rpc import Workflows


def _dump(model):
    return model.model_dump(mode="json")


class DocumentsService(ProcessesAndRisks, Access, DirectoryAdministration, SingleSignOn,
                       Workflows):
    name = "documents"

    health_beacon = HealthBeacon()

    db = DatabaseProvider("documents", "services.documents.migrations")
    outbox = OutboxRelay("documents")
    versioning = IdentifiedRpcProxy("versioning")
    control = DocumentControlConfig()
    access = LoginLimits()
    directory = DirectoryProvider()   # None unless auth.backend is ldap

    def _uow(self) -> PostgresUnitOfWork:
        """The use cases' unit of work on this worker's database: built here alone."""
        return PostgresUnitOfWork(self.db)

    @rpc(callers=GATEWAY)
    def health(self) -> dict:
        """Readiness: the broker answered (this call) and the database does."""
        return {"service": self.name, "database": self.db.ping()}

    @rpc(expected_exceptions=EXPECTED, callers=GATEWAY)
    def load_organisation(self, organisation: dict) -> dict:
        """Create or update departments and staff from an organisation file."""
        return organisation_loading.load_organisation(
            self._uow(), validate(Organisation, organisation), self.access)

    @rpc(expected_exceptions=EXPECTED, callers=NOTIFICATIONS)
    def get_user(self, username: str) -> dict:
        with self.db.transaction() as cur:
            return _dump(Repository(cur).user(username))

    @rpc(expected_exceptions=EXPECTED, callers=("gateway", "notifications"))
    def staff(self, departments: list[str] | None = None,
              roles: list[str] | None = None) -> list[dict]:
        """Active staff of these departments and/or with one of these roles, resolved now."""
        with self.db.transaction() as cur:
            return [_dump(u) for u in Repository(cur).staff(departments, roles)]

    @rpc(expected_exceptions=EXPECTED, callers=NOTIFICATIONS)
    def users(self, usernames: list[str]) -> list[dict]:
        """The active staff among `usernames`, as they are now (who has left is not): for
        notifications, deciding who may still read a changed document."""
        with self.db.transaction() as cur:
            return [_dump(u) for u in Repository(cur).users(list(usernames))]

    @rpc(expected_exceptions=EXPECTED)
    def register(self, actor: str, document: dict) -> dict:
        """Register a document in the register (no version yet)."""
        return _dump(revisions.register(self._uow(), self.control.types, actor,
                                        validate(NewDocument, document),
                                        self.control.retention))

    @rpc(expected_exceptions=EXPECTED)
    def update(self, actor: str, document_id: str, change: dict) -> dict:
        """Change a document's record: title, process, distribution, confidentiality,
        retention, links, external origin (document_updated)."""
        return _dump(register_handlers.update_document(
            self._uow(), self.control.retention, actor, UUID(document_id),
            validate(DocumentChange, change)))

    @rpc(expected_exceptions=EXPECTED)
    def archive(self, actor: str, version_id: str, comment: str = "") -> dict:
        """The quality office archives a withdrawn or superseded revision."""
        return _dump(register_handlers.archive(
            self._uow(), actor, UUID(version_id),
            validate(Comment, {"comment": comment}).comment))

    @rpc(expected_exceptions=EXPECTED)
    def dispose(self, actor: str, document_id: str, reason: str) -> dict:
        """After the retention period, delete the content of every version of the
        document (a quality office decision with its reason)."""
        return _dump(register_handlers.dispose(
            self._uow(), self.versioning, self.control.retention, actor, UUID(document_id),
            validate(Comment, {"comment": reason}).comment, self.control.calendar.today()))

    @rpc(expected_exceptions=EXPECTED)
    def disposal_date(self, actor: str, document_id: str) -> str:
        """The first day the document's content may be disposed of (409 if never/not yet
        archived)."""
        return register_handlers.disposal_date(self._uow(), self.control.retention, actor,
                                               UUID(document_id)).isoformat()

    @rpc(expected_exceptions=EXPECTED, callers=SEARCH + NOTIFICATIONS)
    def document_record(self, document_id: str) -> dict:
        """A document as the register holds it now, confidential or not: for trusted
        system callers only (the search projection, notifications following who may read
        it), never for a person."""
        with self.db.transaction() as cur:
            return _dump(Repository(cur).document(UUID(document_id)))

    @rpc(expected_exceptions=EXPECTED)
    def get(self, actor: str, document_id: str) -> dict:
        with self.db.transaction() as cur:
            repo = Repository(cur)
            user, document = reading.readable_document(repo, actor, UUID(document_id))
            return _dump(reading.as_seen_by(repo, user, document))

    @rpc(expected_exceptions=EXPECTED)
    def list(self, actor: str) -> list[dict]:
        """Every document `actor` may see."""
        with self.db.transaction() as cur:
            repo = Repository(cur)
            user = repo.user(actor)
            return [_dump(reading.as_seen_by(repo, user, d))
                    for d in repo.documents() if may_read(user, d)]

    @rpc(expected_exceptions=EXPECTED)
    def add_revision(self, actor: str, document_id: str, staged: dict, note: dict,
                     numbering: dict | None = None, session_id: str | None = None) -> dict:
        """Turn a staged upload (or one the gateway placed at its final key) into the
        next draft revision of the document; a first version may carry the edition and
        revision it had before Procedura. With `session_id`, that session must be live
        and `actor`'s (Unauthorized otherwise, before anything else): the gateway's upload
        then asks once instead of checking the session with `session_user` first."""
        if session_id is not None:
            logins.check_session(self.db, session_id, actor)
        upload = (PlacedUpload if isinstance(staged, dict) and "object_key" in staged
                  else StagedUpload)
        return _dump(revisions.add_revision(
            self._uow(), self.versioning, actor, UUID(document_id),
            validate(upload, staged), validate(ChangeNote, note),
            numbering=validate(Numbering, numbering) if numbering else None))

    @rpc(expected_exceptions=EXPECTED)
    def restore(self, actor: str, document_id: str, version_id: str, note: dict) -> dict:
        """A superseded version back as a new draft revision."""
        return _dump(revisions.restore(self._uow(), self.versioning, actor, UUID(document_id),
                                       UUID(version_id), validate(ChangeNote, note)))

    @rpc(expected_exceptions=EXPECTED)
    def new_edition(self, actor: str, document_id: str) -> dict:
        """The next upload starts a new edition (revision 0)."""
        return _dump(revisions.request_new_edition(self._uow(), actor, UUID(document_id)))

    @rpc(expected_exceptions=EXPECTED)
    def withdraw(self, actor: str, version_id: str, reason: str) -> dict:
        """The quality office withdraws the revision in force."""
        return _dump(revisions.withdraw(self._uow(), actor, UUID(version_id),
                                        validate(Comment, {"comment": reason}).comment))

    @rpc(expected_exceptions=EXPECTED, callers=SEARCH)
    def get_revision(self, actor: str | None, version_id: str) -> dict:
        return _dump(revisions.get_revision(self._uow(), actor, UUID(version_id)))

    @rpc(expected_exceptions=EXPECTED, callers=SEARCH)
    def all_revisions(self) -> list[dict]:
        """Every revision of every document, confidential ones included: for trusted
        system callers only (the search index rebuild), never for a person."""
        with self.db.transaction() as cur:
            return [_dump(r) for r in Repository(cur).all_revisions()]

    @rpc(expected_exceptions=EXPECTED)
    def list_revisions(self, actor: str, document_id: str) -> list[dict]:
        with self.db.transaction() as cur:
            repo = Repository(cur)
            reading.readable_document(repo, actor, UUID(document_id))
            return [_dump(r) for r in repo.revisions(UUID(document_id))]

    @rpc(expected_exceptions=EXPECTED)
    def transition(self, actor: str, version_id: str, action: str, signing: dict) -> dict:
        """submit, verify, opinion, endorse, approve or reject a revision."""
        return _dump(signing_chain.transition(
            self._uow(), self.control.chains, self.control.types, actor, UUID(version_id),
            action, validate(Signing, signing), self.control.calendar.today(),
            self.control.calendar.now()))

    @rpc(expected_exceptions=EXPECTED)
    def reviewed(self, actor: str, document_id: str, comment: str = "") -> dict:
        """"Reviewed, no change": the next review date moves on, no new revision."""
        return _dump(signing_chain.reviewed_without_change(
            self._uow(), self.control.types, actor, UUID(document_id),
            validate(Comment, {"comment": comment}).comment, self.control.calendar.today()))

    @rpc(expected_exceptions=EXPECTED)
    def signatures(self, actor: str, version_id: str) -> list[dict]:
        """Every step signed on a revision: who, function, when, decision, comment, and a
        workflow step's signed label."""
        return [_dump(s) for s in workflow_cases.signatures(
            self._uow(), self.control.chains, actor, UUID(version_id))]

    @rpc(expected_exceptions=EXPECTED)
    def audit_trail(self, actor: str, document_id: str | None = None,
                    username: str | None = None) -> list[dict]:
        """The audit trail of a document or of a user (quality office only)."""
        with self.db.transaction() as cur:
            reading.require_quality_office(Repository(cur), actor)
            rows = audit.entries(cur, UUID(document_id) if document_id else None, username)
            return json.loads(json.dumps(rows, default=str))

    @rpc(expected_exceptions=EXPECTED, callers=SEARCH)
    def signing_inbox(self, actor: str) -> list[dict]:
        """Revisions waiting for `actor`'s signature or opinion, with what they may do
        (search asks too, for `scope=work`, for the person the gateway names)."""
        return [{"revision": _dump(revision), "actions": actions}
                for revision, actions in signing_chain.signing_inbox(
                    self._uow(), self.control.chains, actor)]

    @rpc(expected_exceptions=EXPECTED, callers=OPERATORS)
    def outbox_backlog(self, older_than: float) -> dict:
        """For `procedura doctor`: how many events of this service's outbox are still not
        relayed `older_than` seconds after they were recorded, and when the oldest was
        ({"count": int, "oldest": ISO timestamp or None})."""
        return backlog(self.db, older_than)

    @rpc(callers=OPERATORS)
    def verify_audit(self, anchors: list[str] | None = None) -> dict:
        """Recompute the hash chain of the whole audit trail; `anchors`, hashes written
        down at an earlier verification, must still be in it."""
        with self.db.transaction() as cur:
            return audit.verify(cur, anchors or ())

    @timer(interval=30)
    def bring_into_force(self) -> int:
        """Approved revisions whose effective date has come enter into force."""
        return signing_chain.bring_due_into_force(self._uow(), self.control.types,
                                                  self.control.calendar.today())

    @timer(interval=3600)
    def announce_reviews(self) -> int:
        """review_due, N days before each document's periodic review."""
        return signing_chain.announce_reviews(self._uow(), self.control.types,
                                              self.control.calendar.today())
