"""Fakes of the documents and notifications services' ports (services/*/ports.py): the
same methods as the PostgreSQL adapters, over dicts and lists, so the use cases run in
milliseconds without a server. test_fakes_match_ports.py checks both against the
Protocols."""
from __future__ import annotations

import copy
from datetime import date, datetime, time, timedelta, timezone
from uuid import UUID

from services.contracts.errors import Conflict, NotFound
from services.contracts.events import Envelope
from services.contracts.models import Document, Revision, RevisionStatus, Signature, User
from services.documents.adapters.repository import no_version

START = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


class FakeClock:
    def __init__(self, today: date):
        self.day = today

    def today(self) -> date:
        return self.day

    def now(self) -> datetime:
        return datetime.combine(self.day, time(12, 0), tzinfo=timezone.utc)

    def advance(self, days: int) -> None:
        self.day += timedelta(days=days)


class FakeDocumentsRepository:
    """The register in dicts: people, documents, revisions, signatures, the registry
    counter of each year."""

    def __init__(self, people: list[User] = (), departments: list[str] = ()):
        self.people = {u.username: u for u in people}
        self.departments = set(departments) | {u.department for u in people}
        self.records: dict[UUID, dict] = {}       # document id → Document fields
        self.versions: dict[UUID, dict] = {}      # version id → Revision fields, document id
        self.signed: list[tuple[UUID, str, Signature]] = []   # version, department, signature
        self.counters: dict[int, int] = {}
        self.ticks = 0

    def _tick(self) -> datetime:
        self.ticks += 1
        return START + timedelta(minutes=self.ticks)

    def user(self, username: str) -> User:
        if username not in self.people:
            raise NotFound(f"no such user: {username}", {"username": username})
        return self.people[username]

    def missing_departments(self, codes: list[str]) -> list[str]:
        return sorted(set(codes) - self.departments)

    def insert_document(self, document_id: UUID, new, actor: str,
                        retention_class: str | None = None) -> None:
        if any(r["code"] == new.code for r in self.records.values()):
            raise Conflict(f"a document with code {new.code} already exists",
                           {"field": "code", "code": new.code})
        fields = new.model_dump(exclude={"retention_class"})
        self.records[document_id] = {
            **fields, "id": document_id, "created_by": actor, "created_at": self._tick(),
            "retention_class": retention_class or new.retention_class,
            "review_notified_for": None}

    def document(self, document_id: UUID, lock: bool = False) -> Document:
        if document_id not in self.records:
            raise NotFound(f"no document {document_id}", {"document_id": str(document_id)})
        fields = dict(self.records[document_id])
        current = self.versions.get(fields.get("current_version_id"))
        fields["status"] = current["status"] if current else RevisionStatus.DRAFT
        fields.pop("review_notified_for")
        return Document.model_validate(fields)

    def documents(self) -> list[Document]:
        return sorted((self.document(i) for i in self.records), key=lambda d: d.code)

    def documents_by_id(self, ids: list[UUID]) -> list[Document]:
        return [self.document(i) for i in ids if i in self.records]

    def update_document(self, document_id: UUID, fields: dict) -> None:
        self.records[document_id].update(fields, updated_at=self._tick())

    def archive_revision(self, version_id: UUID) -> None:
        self.versions[version_id]["archived_at"] = self._tick()

    def mark_disposed(self, document_id: UUID) -> None:
        at = self._tick()
        for fields in self.versions.values():
            if fields["document_id"] == document_id:
                fields["disposed_at"] = at
        self.records[document_id]["disposed_at"] = at

    def set_next_review(self, document_id: UUID, due: date) -> None:
        self.records[document_id]["next_review_date"] = due

    def reviews_to_announce(self, until: date) -> list[Document]:
        due = [r for r in self.records.values() if r.get("next_review_date")
               and r["next_review_date"] <= until
               and r["review_notified_for"] != r["next_review_date"]]
        return [self.document(r["id"])
                for r in sorted(due, key=lambda r: r["next_review_date"])]

    def review_announced(self, document_id: UUID, due: date) -> None:
        self.records[document_id]["review_notified_for"] = due

    def set_current_version(self, document_id: UUID, version_id: UUID) -> None:
        self.records[document_id]["current_version_id"] = version_id

    def latest_number(self, document_id: UUID) -> tuple[int, int] | None:
        numbers = [(v["edition"], v["revision"]) for v in self.versions.values()
                   if v["document_id"] == document_id]
        return max(numbers) if numbers else None

    def insert_revision(self, version_id: UUID, document_id: UUID, edition: int,
                        revision: int, author: str, note, restored_from: UUID | None) -> None:
        self.versions[version_id] = {
            "version_id": version_id, "document_id": document_id, "edition": edition,
            "revision": revision, "status": RevisionStatus.DRAFT, "status_seq": 0,
            "author": author, "change_summary": note.change_summary,
            "component_revised": note.component_revised, "how_revised": note.how_revised,
            "restored_from": restored_from, "created_at": self._tick()}
        self.records[document_id]["next_edition"] = False

    def request_new_edition(self, document_id: UUID) -> None:
        self.records[document_id]["next_edition"] = True

    def revision(self, version_id: UUID, lock: bool = False) -> Revision:
        if version_id not in self.versions:
            raise no_version(version_id)
        fields = dict(self.versions[version_id])
        document = self.document(fields.pop("document_id"))
        return Revision.model_validate({**fields, "document": document})

    def revisions(self, document_id: UUID) -> list[Revision]:
        self.document(document_id)
        return sorted((self.revision(v) for v, f in self.versions.items()
                       if f["document_id"] == document_id),
                      key=lambda r: (r.edition, r.revision), reverse=True)

    def all_revisions(self) -> list[Revision]:
        return [self.revision(v) for v in self.versions]

    def set_status(self, version_id: UUID, status: RevisionStatus) -> int:
        fields = self.versions[version_id]
        fields["status"] = status
        fields["status_seq"] += 1
        return fields["status_seq"]

    def next_registry_number(self, year: int) -> int:
        self.counters[year] = self.counters.get(year, 0) + 1
        return self.counters[year]

    def register_approval(self, version_id: UUID, registry_number: str, registry_date: date,
                          effective_date: date) -> None:
        self.versions[version_id].update(
            registry_number=registry_number, registry_date=registry_date,
            effective_date=effective_date, approved_at=self._tick())

    def in_force(self, document_id: UUID) -> UUID | None:
        return next((v for v, f in self.versions.items() if f["document_id"] == document_id
                     and f["status"] == RevisionStatus.IN_FORCE), None)

    def due_for_force(self, today: date, limit: int = 100) -> list[UUID]:
        due = [f for f in self.versions.values() if f["status"] == RevisionStatus.APPROVED
               and f["effective_date"] <= today]
        due.sort(key=lambda f: (f["effective_date"], f["approved_at"]))
        return [f["version_id"] for f in due[:limit]]

    def mark_in_force(self, version_id: UUID) -> None:
        self.versions[version_id]["in_force_at"] = self._tick()

    def opinions_this_round(self, version_id: UUID) -> set[str]:
        """Departments that gave an opinion since the revision was last submitted."""
        departments: set[str] = set()
        for signed_version, department, signature in self.signed:
            if signed_version != version_id:
                continue
            if signature.step == "submit":
                departments = set()
            elif signature.step == "opinion":
                departments.add(department)
        return departments

    def signatures(self, version_id: UUID) -> list[Signature]:
        return [s for v, _, s in self.signed if v == version_id]

    def sign(self, version_id: UUID, step: str, decision: str, user: User,
             comment: str) -> None:
        self.signed.append((version_id, user.department, Signature(
            step=step, decision=decision, signer=user.username, function=user.function,
            comment=comment, signed_at=self._tick())))


class FakeAuditTrail:
    def __init__(self):
        self.entries: list[dict] = []

    def append(self, actor: str, action: str, document_id=None, version_id=None,
               details: dict | None = None) -> None:
        self.entries.append({"actor": actor, "action": action, "document_id": document_id,
                             "version_id": version_id, "details": details or {}})


class FakeOutbox:
    def __init__(self):
        self.events: list[Envelope] = []

    def record(self, event: Envelope) -> None:
        self.events.append(event)

    def types(self) -> list[str]:
        return [e.type for e in self.events]


class FakeUnitOfWork:
    """A transaction over the fakes: on an exception everything done inside the `with`
    is undone, as PostgreSQL's rollback would."""

    def __init__(self, documents: FakeDocumentsRepository):
        self.documents = documents
        self.audit = FakeAuditTrail()
        self.outbox = FakeOutbox()
        self.commits = 0

    def __enter__(self) -> FakeUnitOfWork:
        self._before = copy.deepcopy((self.documents.__dict__, self.audit.entries,
                                      self.outbox.events))
        return self

    def __exit__(self, kind, error, trace) -> bool | None:
        if error is None:
            self.commits += 1
        else:
            state, self.audit.entries, self.outbox.events = self._before
            self.documents.__dict__.update(state)
        return None
