"""Fakes of the documents and notifications services' ports (services/*/ports.py): the
same methods as the PostgreSQL adapters, over dicts and lists, so the use cases run in
milliseconds without a server. test_fakes_match_ports.py checks both against the
Protocols."""
from __future__ import annotations

import copy
from datetime import date, datetime, time, timedelta, timezone
from uuid import UUID

from services.contracts.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.contracts.events import Envelope
from services.contracts.forms import RegisterEntry
from services.contracts.models import Document, Revision, RevisionStatus, Signature, User
from services.contracts.qms import (
    Control, DocumentRef, Exposure, NewProcess, NewRisk, Process, Risk, RiskAssessment)
from services.contracts.workflows import StoredWorkflow, Workflow
from services.documents.adapters.repository import no_version
from services.documents.domain import risks as scoring

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
        self.saved_workflows: dict[tuple[str, int], StoredWorkflow] = {}

    def _tick(self) -> datetime:
        self.ticks += 1
        return START + timedelta(minutes=self.ticks)

    def user(self, username: str) -> User:
        if username not in self.people:
            raise NotFound(f"no such user: {username}", {"username": username})
        return self.people[username]

    def missing_departments(self, codes: list[str]) -> list[str]:
        return sorted(set(codes) - self.departments)

    def staff(self, departments: list[str] | None, roles: list[str] | None) -> list[User]:
        return [u for _, u in sorted(self.people.items())
                if (departments is None or u.department in departments)
                and (roles is None or any(r.value in roles for r in u.roles))]

    def users(self, usernames: list[str]) -> list[User]:
        return [u for name, u in sorted(self.people.items()) if name in usernames]

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

    def revisions_in(self, statuses: tuple[RevisionStatus, ...]) -> list[Revision]:
        return [r for r in self.all_revisions() if r.status in statuses]

    def set_status(self, version_id: UUID, status: RevisionStatus,
                   current_step: str | None = None) -> int:
        fields = self.versions[version_id]
        fields["status"] = status
        fields["current_step"] = current_step
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

    def workflow(self, doc_type: str, version: int | None = None,
                 lock: bool = False) -> StoredWorkflow | None:
        versions = [v for t, v in self.saved_workflows if t == doc_type
                    and (version is None or v == version)]
        return self.saved_workflows[doc_type, max(versions)] if versions else None

    def workflow_history(self, doc_type: str) -> list[StoredWorkflow]:
        return sorted((w for (t, _), w in self.saved_workflows.items() if t == doc_type),
                      key=lambda w: w.version, reverse=True)

    def save_workflow(self, doc_type: str, version: int, workflow: Workflow,
                      changed_by: str, comment: str) -> None:
        self.saved_workflows.setdefault((doc_type, version), StoredWorkflow(
            type=doc_type, version=version, workflow=workflow, changed_by=changed_by,
            changed_at=self._tick(), comment=comment))

    def start_chain(self, version_id: UUID, workflow_version: int) -> None:
        self.versions[version_id]["workflow_version"] = workflow_version


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


# --- documents: the organisation's people and their sessions ----------------------------

class FakeStaffRegister:
    """Departments by code; people by user name, with their password hash and whether
    they are active."""

    def __init__(self):
        self.departments: dict[str, str] = {}
        self.people: dict[str, dict] = {}

    def save_department(self, code: str, name: str) -> None:
        self.departments[code] = name

    def save_staff(self, user: User, password_hash: str, active: bool = True) -> None:
        self.people[user.username] = {"user": user, "password_hash": password_hash,
                                      "active": active}

    def any_password_hash(self, username: str) -> str | None:
        person = self.people.get(username)
        return person["password_hash"] if person else None


class FakeSessions:
    """The open sessions of each person (how many), and the ones ended, with why."""

    def __init__(self, open_sessions: dict[str, int] | None = None):
        self.open = dict(open_sessions or {})
        self.revoked: list[tuple[str, str, int]] = []

    def revoke_all_of(self, username: str, why: str) -> int:
        count = self.open.pop(username, 0)
        if count:
            self.revoked.append((username, why, count))
        return count


class FakeOrganisationUnitOfWork:
    """A transaction of loading an organisation file over the fakes, undone on an
    exception."""

    def __init__(self, staff: FakeStaffRegister, sessions: FakeSessions):
        self.staff, self.sessions = staff, sessions
        self.audit = FakeAuditTrail()
        self.commits = 0

    def __enter__(self) -> FakeOrganisationUnitOfWork:
        self._parts = (self.staff, self.sessions, self.audit)
        self._before = copy.deepcopy([vars(part) for part in self._parts])
        return self

    def __exit__(self, kind, error, trace) -> bool | None:
        if error is None:
            self.commits += 1
            return None
        for part, state in zip(self._parts, self._before):
            vars(part).update(state)     # every attribute as it was when the `with` began
        return None


# --- documents: processes, the risk register, the register of procedures ---------------

class FakeQmsRepository:
    """Processes, risks, their control measures and assessments in dicts, over the
    documents and people of a FakeDocumentsRepository (read, never changed here)."""

    def __init__(self, documents: FakeDocumentsRepository):
        self.documents = documents
        self.data = {"processes": {}, "risks": {}, "controls": {}, "assessments": []}
        self.ticks = 0

    def _tick(self) -> datetime:
        self.ticks += 1
        return START + timedelta(hours=self.ticks)

    # --- register of procedures ----------------------------------------------
    def register_entries(self) -> list[RegisterEntry]:
        entries = []
        for document in self.documents.documents():
            in_force = self.documents.in_force(document.id)
            revision = self.documents.revision(in_force) if in_force else None
            entries.append(RegisterEntry.model_validate({
                **document.model_dump(), "document_id": document.id,
                "status": revision.status if revision else None,
                **({k: getattr(revision, k) for k in (
                    "edition", "revision", "registry_number", "registry_date",
                    "effective_date")} if revision else {})}))
        return entries

    # --- processes ------------------------------------------------------------
    def check_department(self, code: str, field: str = "department") -> None:
        if code not in self.documents.departments:
            raise InvalidInput(f"no department {code}", {"field": field, "department": code})

    def check_staff(self, username: str, field: str = "owner") -> None:
        if username not in self.documents.people:
            raise InvalidInput(f"no member of staff {username}",
                               {"field": field, "username": username})

    def insert_process(self, new: NewProcess) -> None:
        if any(p["code"] == new.code or p["name"] == new.name
               for p in self.data["processes"].values()):
            raise Conflict(f"a process with code {new.code} or name „{new.name}” exists",
                           {"field": "code", "code": new.code})
        self.data["processes"][new.code] = {**new.model_dump(), "updated_at": self._tick()}

    def update_process(self, code: str, changes: dict) -> None:
        self.process(code, lambda _: False)
        if not changes:
            return
        if any(c != code and p["name"] == changes.get("name")
               for c, p in self.data["processes"].items()):
            raise Conflict(f"another process is named „{changes.get('name')}”",
                           {"field": "name"})
        self.data["processes"][code].update(changes, updated_at=self._tick())

    def process(self, code: str, readable, lock: bool = False) -> Process:
        if code not in self.data["processes"]:
            raise NotFound(f"no process {code}", {"process": code})
        row = self.data["processes"][code]
        owner = self.documents.people.get(row["owner"]) if row["owner"] else None
        procedures = [_ref(d) for d in self.documents.documents()
                      if d.process in (row["code"], row["name"]) and readable(d)]
        return Process(**row, owner_name=owner.full_name if owner else None,
                       procedures=procedures)

    def processes(self, readable) -> list[Process]:
        return [self.process(code, readable) for code in sorted(self.data["processes"])]

    # --- risks ----------------------------------------------------------------
    def document_by_code(self, code: str, field: str, readable) -> UUID:
        found = next((d for d in self.documents.documents() if d.code == code), None)
        if found is None or not readable(found):
            raise InvalidInput(f"no document with code {code}", {"field": field, "code": code})
        return found.id

    def hidden_controls(self, risk_id: UUID, readable) -> dict[str, UUID]:
        return {measure: document_id
                for measure, document_id in self.data["controls"].get(risk_id, [])
                if document_id and not readable(self.documents.document(document_id))}

    def check_process(self, code: str) -> None:
        if code not in self.data["processes"]:
            raise InvalidInput(f"no process {code}", {"field": "process", "process": code})

    def insert_risk(self, risk_id: UUID, new: NewRisk, assessed_on: date) -> None:
        if any(r["code"] == new.code for r in self.data["risks"].values()):
            raise Conflict(f"a risk with code {new.code} already exists",
                           {"field": "code", "code": new.code})
        self.data["risks"][risk_id] = {
            **new.model_dump(exclude={"controls"}), "id": risk_id,
            "last_assessed_on": assessed_on, "updated_at": self._tick()}

    def update_risk(self, risk_id: UUID, changes: dict) -> None:
        self.data["risks"][risk_id].update(changes, updated_at=self._tick())

    def set_controls(self, risk_id: UUID, controls: list[tuple[str, UUID | None]]) -> None:
        self.data["controls"][risk_id] = list(controls)

    def risk(self, risk_id: UUID, readable, lock: bool = False) -> Risk:
        if risk_id not in self.data["risks"]:
            raise NotFound(f"no risk {risk_id}", {"risk_id": str(risk_id)})
        row = self.data["risks"][risk_id]
        controls = []
        for measure, document_id in self.data["controls"].get(risk_id, []):
            document = self.documents.document(document_id) if document_id else None
            controls.append(Control(measure=measure, procedure=_ref(document)
                                    if document and readable(document) else None))
        fields = {k: v for k, v in row.items() if not k.startswith(("inherent_", "residual_"))}
        return Risk(**fields, controls=controls,
                    inherent=scoring.score(row["inherent_probability"], row["inherent_impact"]),
                    residual=scoring.score(row["residual_probability"], row["residual_impact"]))

    def risks(self, readable, department: str | None = None,
              process: str | None = None) -> list[Risk]:
        rows = sorted(self.data["risks"].values(), key=lambda r: r["code"])
        return [self.risk(r["id"], readable) for r in rows
                if department in (None, r["department"]) and process in (None, r["process"])]

    def controlled_documents(self, risk_id: UUID) -> list[UUID]:
        return list(dict.fromkeys(d for _, d in self.data["controls"].get(risk_id, []) if d))

    def add_assessment(self, risk_id: UUID, assessed_on: date, assessor: str,
                       inherent: Exposure, residual: Exposure, status: str, comment: str,
                       reviews: list[str]) -> int:
        self.data["assessments"].append({
            "id": len(self.data["assessments"]) + 1, "risk_id": risk_id,
            "assessed_on": assessed_on, "assessor": assessor, "inherent": inherent,
            "residual": residual, "status": status, "comment": comment,
            "created_at": self._tick(), "reviews_requested": list(reviews)})
        return len(self.data["assessments"])

    def assessments(self, risk_id: UUID, readable) -> list[RiskAssessment]:
        shown = {d.code for d in self.documents.documents() if readable(d)}
        return [RiskAssessment(**{**a, "reviews_requested": [
                    c for c in a["reviews_requested"] if c in shown]})
                for a in self.data["assessments"] if a["risk_id"] == risk_id]


def _ref(document: Document) -> DocumentRef:
    return DocumentRef(id=document.id, code=document.code, title=document.title)


class FakeQmsUnitOfWork(FakeUnitOfWork):
    """The register's fake transaction with the processes and risks in it too."""

    def __init__(self, documents: FakeDocumentsRepository):
        super().__init__(documents)
        self.qms = FakeQmsRepository(documents)

    def __enter__(self) -> FakeQmsUnitOfWork:
        self._qms_before = copy.deepcopy(self.qms.data)
        return super().__enter__()

    def __exit__(self, kind, error, trace) -> bool | None:
        if error is not None:
            self.qms.data = self._qms_before
        return super().__exit__(kind, error, trace)


# --- notifications --------------------------------------------------------------------

class FakeInbox:
    def __init__(self):
        self.seen: set[tuple] = set()

    def first_delivery(self, event_id, handler: str) -> bool:
        if (event_id, handler) in self.seen:
            return False
        self.seen.add((event_id, handler))
        return True


class FakeFeed:
    """Each person's feed items, withheld or shown."""

    def __init__(self, clock: FakeClock):
        self.clock = clock
        self.items: list[dict] = []

    def add_items(self, event_id, kind: str, data, message: str, users) -> list[dict]:
        added = []
        for user in users:
            if any(i["username"] == user.username and i["event_id"] == event_id
                   for i in self.items):
                continue
            item = {"item_id": len(self.items) + 1, "username": user.username, "kind": kind,
                    "document_id": data.document_id,
                    "version_id": getattr(data, "version_id", None), "code": data.code,
                    "title": data.title, "message": message, "created_at": self.clock.now()}
            self.items.append({**item, "department": user.department, "event_id": event_id,
                               "withheld": False})
            added.append(item)
        return added

    def recipients(self, document_id) -> dict[str, str]:
        return {i["username"]: i["department"] for i in self.items
                if i["document_id"] == document_id}

    def withhold(self, document_id, shown: list[str], withheld: list[str]) -> list[int]:
        newly = []
        for item in self.items:
            if item["document_id"] != document_id:
                continue
            if item["username"] in shown:
                item["withheld"] = False
            elif item["username"] in withheld and not item["withheld"]:
                item["withheld"] = True
                newly.append(item["item_id"])
        return newly

    def shown_to(self, username: str) -> list[dict]:
        return [i for i in self.items if i["username"] == username and not i["withheld"]]


class FakeAcknowledgements:
    """Distribution lists of revisions in force and each person's record on them."""

    def __init__(self, clock: FakeClock):
        self.clock = clock
        self.lists: dict = {}       # version id → the list's facts
        self.records: dict = {}     # (version id, username) → the person's record

    def _row(self, version_id, username: str) -> dict:
        facts, record = self.lists[version_id], self.records[(version_id, username)]
        return {**{k: facts[k] for k in ("document_id", "code", "title", "edition",
                                         "revision", "due_date", "confidential",
                                         "closed_at")},
                "version_id": version_id, "username": username, **record}

    def _shown(self, version_id=None, username: str | None = None) -> list[dict]:
        return [self._row(v, u) for (v, u), r in self.records.items() if not r["withheld"]
                and (version_id is None or v == version_id)
                and (username is None or u == username)]

    def open_list(self, data, in_force_on: date, due: date, people) -> int:
        self.lists.setdefault(data.version_id, {
            "document_id": data.document_id, "code": data.code, "title": data.title,
            "edition": data.edition, "revision": data.revision,
            "distribution": list(data.distribution), "confidential": data.confidential,
            "in_force_on": in_force_on, "due_date": due, "closed_at": None})
        added = 0
        for user, notified_at in people:
            if (data.version_id, user.username) not in self.records:
                self.records[(data.version_id, user.username)] = {
                    "full_name": user.full_name, "department": user.department,
                    "function": user.function, "notified_at": notified_at,
                    "acknowledged_at": None, "withheld": False,
                    "reminded_before_at": None, "reminded_after_at": None}
                added += 1
        return added

    def close_list(self, version_id) -> None:
        if version_id in self.lists and self.lists[version_id]["closed_at"] is None:
            self.lists[version_id]["closed_at"] = self.clock.now()

    def acknowledge(self, username: str, version_id) -> tuple[dict, bool]:
        record = self.records.get((version_id, username))
        if record is None or record["withheld"]:
            if version_id not in self.lists:
                raise Conflict("the distribution list of this revision is not open",
                               {"version_id": str(version_id)})
            raise Forbidden("you are not on the distribution list of this revision",
                            {"version_id": str(version_id), "username": username})
        if record["acknowledged_at"] is not None:
            return self._row(version_id, username), False
        if self.lists[version_id]["closed_at"] is not None:
            raise Conflict("this revision is no longer in force; there is nothing to confirm",
                           {"version_id": str(version_id)})
        record["acknowledged_at"] = self.clock.now()
        return self._row(version_id, username), True

    def due_date(self, version_id) -> date | None:
        return self.lists[version_id]["due_date"] if version_id in self.lists else None

    def people(self, version_id) -> list[tuple]:
        rows = sorted(self._shown(version_id), key=lambda r: (r["department"], r["full_name"]))
        return [(r["username"], r["full_name"], r["department"], r["function"],
                 r["notified_at"], r["acknowledged_at"]) for r in rows]

    def of_department(self, department: str | None, limit: int = 5000) -> list[dict]:
        return [r for r in self._shown()
                if department is None or r["department"] == department][:limit]

    def pending_for(self, username: str) -> list[dict]:
        return sorted((r for r in self._shown(username=username)
                       if r["acknowledged_at"] is None and r["closed_at"] is None),
                      key=lambda r: (r["due_date"], r["code"]))

    def awaiting_reminder(self, today: date, days_before: int) -> list[dict]:
        return [r for r in self._shown() if r["closed_at"] is None
                and r["acknowledged_at"] is None and r["reminded_after_at"] is None
                and r["due_date"] - timedelta(days=days_before) <= today]

    def recipients(self, document_id) -> dict[str, str]:
        return {u: r["department"] for (v, u), r in self.records.items()
                if self.lists[v]["document_id"] == document_id}

    def follow(self, facts, shown: list[str], withheld: list[str]) -> None:
        for version_id, facts_of_list in self.lists.items():
            if facts_of_list["document_id"] != facts.document_id:
                continue
            facts_of_list.update(confidential=facts.confidential,
                                 distribution=list(facts.distribution))
            for (v, username), record in self.records.items():
                if v == version_id and username in shown + withheld:
                    record["withheld"] = username in withheld

    def mark_reminded(self, version_id, username: str, after: bool) -> None:
        key = "reminded_after_at" if after else "reminded_before_at"
        self.records[(version_id, username)][key] = self.clock.now()


class FakeStepDeadlines:
    """The step each revision waits in with its deadline, one record per revision."""

    def __init__(self, clock: FakeClock):
        self.clock = clock
        self.rows: dict = {}        # version id → the record

    def follow(self, data, deadline) -> bool:
        kept = self.rows.get(data.version_id)
        if kept is not None and kept["status_seq"] >= data.status_seq:
            return False
        step = ({"step": deadline.step, "label_ro": deadline.label_ro,
                 "role": deadline.role.value, "department": deadline.department,
                 "due_date": deadline.due_date, "remind_on": deadline.remind_on}
                if deadline else dict.fromkeys(("step", "label_ro", "role", "department",
                                                "due_date", "remind_on")))
        self.rows[data.version_id] = {
            "version_id": data.version_id, "status_seq": data.status_seq,
            "document_id": data.document_id, "code": data.code, "title": data.title,
            "edition": data.edition, "revision": data.revision,
            "owner_department": data.owner_department, "author": data.author, **step,
            "signed_by": [], "reminded_at": None, "escalated_at": None}
        return True

    def signed(self, version_id, status_seq: int, signer: str) -> None:
        row = self.rows.get(version_id)
        if row is not None and row["status_seq"] == status_seq \
                and signer not in row["signed_by"]:
            row["signed_by"].append(signer)

    def owed(self, today: date) -> list[dict]:
        return sorted((dict(r) for r in self.rows.values() if r["due_date"] is not None
                       and r["escalated_at"] is None and r["remind_on"] <= today),
                      key=lambda r: (r["due_date"], str(r["version_id"])))

    def claim(self, version_id, status_seq: int, escalation: bool) -> bool:
        row = self.rows.get(version_id)
        column = "escalated_at" if escalation else "reminded_at"
        if (row is None or row["status_seq"] != status_seq or row["due_date"] is None
                or row[column] is not None):
            return False
        row[column] = self.clock.now()
        return True


class FakeEmails:
    """The e-mail queue and who prefers which delivery."""

    def __init__(self, preferences: dict | None = None):
        self.preferences = dict(preferences or {})   # username → Preferences
        self.queued: list[dict] = []

    def preferring(self, usernames: list[str], delivery) -> dict:
        return {u: p for u, p in self.preferences.items()
                if u in usernames and p.email_delivery == delivery}

    def queue(self, dedupe_key: str, username: str, address: str, kind: str, subject: str,
              body: str, feed_item_ids: list[int]) -> int | None:
        if any(m["dedupe_key"] == dedupe_key for m in self.queued):
            return None
        self.queued.append({"dedupe_key": dedupe_key, "username": username,
                            "address": address, "kind": kind, "subject": subject,
                            "feed_item_ids": feed_item_ids, "status": "queued"})
        return len(self.queued)

    def withhold(self, feed_item_ids: list[int]) -> int:
        hit = [m for m in self.queued if m["status"] == "queued"
               and set(m["feed_item_ids"]) & set(feed_item_ids)]
        for message in hit:
            message["status"] = "withheld"
        return len(hit)


class FakeNotificationsUnitOfWork:
    """A transaction over the notifications fakes, undone on an exception."""

    def __init__(self, clock: FakeClock, preferences: dict | None = None):
        self.feed = FakeFeed(clock)
        self.acknowledgements = FakeAcknowledgements(clock)
        self.deadlines = FakeStepDeadlines(clock)
        self.emails = FakeEmails(preferences)
        self.inbox = FakeInbox()
        self.outbox = FakeOutbox()
        self.commits = 0

    def _state(self) -> list:
        return [self.feed.items, self.acknowledgements.lists, self.acknowledgements.records,
                self.emails.queued, self.inbox.seen, self.outbox.events,
                self.deadlines.rows]

    def __enter__(self) -> FakeNotificationsUnitOfWork:
        self._before = copy.deepcopy(self._state())
        return self

    def __exit__(self, kind, error, trace) -> bool | None:
        if error is None:
            self.commits += 1
        else:
            (self.feed.items, self.acknowledgements.lists, self.acknowledgements.records,
             self.emails.queued, self.inbox.seen, self.outbox.events,
             self.deadlines.rows) = self._before
        return None
