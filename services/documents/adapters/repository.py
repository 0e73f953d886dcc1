"""SQL of the documents service: the register, revisions, signatures, the organisation."""
from __future__ import annotations

from datetime import date
from uuid import UUID

import psycopg2.errors
from psycopg2 import sql
from psycopg2.extras import Json

from services.contracts.errors import Conflict, NotFound
from services.contracts.models import (
    Document, DocumentLink, Revision, RevisionStatus, Signature, User)
from services.documents.adapters.workflow_repository import WorkflowRepository

_DOCUMENT = """
    SELECT d.*, COALESCE(r.status, 'draft') AS status
    FROM documents d LEFT JOIN revisions r ON r.version_id = d.current_version_id
"""


class Repository(WorkflowRepository):
    """Domain verbs over one transaction's cursor."""

    def __init__(self, cur):
        self.cur = cur

    # --- organisation ---------------------------------------------------------
    def save_department(self, code: str, name: str) -> None:
        self.cur.execute("""INSERT INTO departments (code, name) VALUES (%s, %s)
                            ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name""",
                         (code, name))

    def save_staff(self, user: User, password_hash: str, active: bool = True) -> None:
        self.cur.execute(
            """INSERT INTO staff (username, full_name, department, function, roles, password_hash,
                                  active)
               VALUES (%s, %s, %s, %s, %s, %s, %s)
               ON CONFLICT (username) DO UPDATE SET full_name = EXCLUDED.full_name,
                   department = EXCLUDED.department, function = EXCLUDED.function,
                   roles = EXCLUDED.roles, password_hash = EXCLUDED.password_hash,
                   active = EXCLUDED.active""",
            (user.username, user.full_name, user.department, user.function,
             [r.value for r in user.roles], password_hash, active))

    def set_active(self, username: str, active: bool) -> None:
        self.cur.execute("UPDATE staff SET active = %s WHERE username = %s", (active, username))

    def any_password_hash(self, username: str) -> str | None:
        """The stored hash of a person, active or not (None: not in the organisation)."""
        self.cur.execute("SELECT password_hash FROM staff WHERE username = %s", (username,))
        row = self.cur.fetchone()
        return row["password_hash"] if row else None

    def password_hash(self, username: str) -> str | None:
        self.cur.execute("SELECT password_hash FROM staff WHERE username = %s AND active",
                         (username,))
        row = self.cur.fetchone()
        return row["password_hash"] if row else None

    def user(self, username: str) -> User:
        self.cur.execute("""SELECT username, full_name, department, function, roles
                            FROM staff WHERE username = %s AND active""", (username,))
        row = self.cur.fetchone()
        if row is None:
            raise NotFound(f"no such user: {username}", {"username": username})
        return User.model_validate(row)

    def staff(self, departments: list[str] | None, roles: list[str] | None) -> list[User]:
        """Active staff, optionally only of these departments and with one of these roles."""
        self.cur.execute("""SELECT username, full_name, department, function, roles
                            FROM staff WHERE active
                              AND (%s::text[] IS NULL OR department = ANY(%s))
                              AND (%s::text[] IS NULL OR roles && %s)
                            ORDER BY username""", (departments, departments, roles, roles))
        return [User.model_validate(row) for row in self.cur.fetchall()]

    def users(self, usernames: list[str]) -> list[User]:
        """The active staff among `usernames`."""
        self.cur.execute("""SELECT username, full_name, department, function, roles
                            FROM staff WHERE active AND username = ANY(%s)
                            ORDER BY username""", (usernames,))
        return [User.model_validate(row) for row in self.cur.fetchall()]

    def missing_departments(self, codes: list[str]) -> list[str]:
        self.cur.execute("SELECT code FROM departments WHERE code = ANY(%s)", (codes,))
        known = {row["code"] for row in self.cur.fetchall()}
        return sorted(set(codes) - known)

    # --- documents ------------------------------------------------------------
    def insert_document(self, document_id: UUID, new, actor: str,
                        retention_class: str | None = None) -> None:
        try:
            self.cur.execute("SAVEPOINT new_document")
            self.cur.execute(
                """INSERT INTO documents (id, code, title, type, owner_department, process,
                                          distribution, confidential, created_by,
                                          scim_standard, archive_indicator, retention_class,
                                          links, issuer, external_reference, validity_date)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                (document_id, new.code, new.title, new.type.value, new.owner_department,
                 new.process, new.distribution, new.confidential, actor,
                 new.scim_standard, new.archive_indicator,
                 retention_class or new.retention_class, _links(new.links), new.issuer,
                 new.external_reference, new.validity_date))
        except psycopg2.errors.UniqueViolation:
            self.cur.execute("ROLLBACK TO SAVEPOINT new_document")
            # codes are unique across the register, so a taken code is refused whoever
            # holds it, even a document the person may not read; the answer is the same
            # for every taken code and names no document (no id, title or department)
            raise Conflict(f"a document with code {new.code} already exists",
                           {"field": "code", "code": new.code}) from None

    def document(self, document_id: UUID, lock: bool = False) -> Document:
        if lock:
            self.cur.execute("SELECT 1 FROM documents WHERE id = %s FOR UPDATE", (document_id,))
        self.cur.execute(_DOCUMENT + " WHERE d.id = %s", (document_id,))
        row = self.cur.fetchone()
        if row is None:
            raise NotFound(f"no document {document_id}", {"document_id": str(document_id)})
        return _document(row)

    def documents(self) -> list[Document]:
        self.cur.execute(_DOCUMENT + " ORDER BY d.code")
        return [_document(row) for row in self.cur.fetchall()]

    def documents_by_id(self, ids: list[UUID]) -> list[Document]:
        """Those of `ids` that name a document of the register."""
        self.cur.execute(_DOCUMENT + " WHERE d.id = ANY(%s::uuid[])", ([str(i) for i in ids],))
        return [_document(row) for row in self.cur.fetchall()]

    _UPDATABLE = ("title", "process", "distribution", "confidential", "scim_standard",
                  "archive_indicator", "retention_class", "links", "issuer",
                  "external_reference", "validity_date")

    def update_document(self, document_id: UUID, fields: dict) -> None:
        """Set the register fields named in `fields` (names from a fixed list)."""
        names = [n for n in self._UPDATABLE if n in fields]
        values = [_links(fields[n]) if n == "links" else fields[n] for n in names]
        assignments = sql.SQL(", ").join(
            sql.SQL("{} = %s").format(sql.Identifier(n)) for n in names)
        self.cur.execute(sql.SQL("UPDATE documents SET {}, updated_at = now() WHERE id = %s")
                         .format(assignments), (*values, document_id))

    def archive_revision(self, version_id: UUID) -> None:
        self.cur.execute("UPDATE revisions SET archived_at = now() WHERE version_id = %s",
                         (version_id,))

    def mark_disposed(self, document_id: UUID) -> None:
        self.cur.execute("UPDATE revisions SET disposed_at = now() WHERE document_id = %s",
                         (document_id,))
        self.cur.execute("UPDATE documents SET disposed_at = now() WHERE id = %s",
                         (document_id,))

    def set_next_review(self, document_id: UUID, due: date) -> None:
        self.cur.execute("UPDATE documents SET next_review_date = %s WHERE id = %s",
                         (due, document_id))

    def reviews_to_announce(self, until: date) -> list[Document]:
        """Documents whose review falls on or before `until` and was not announced yet."""
        self.cur.execute(_DOCUMENT + """ WHERE d.next_review_date <= %s
                             AND d.review_notified_for IS DISTINCT FROM d.next_review_date
                             ORDER BY d.next_review_date FOR UPDATE OF d SKIP LOCKED""",
                         (until,))
        return [_document(row) for row in self.cur.fetchall()]

    def review_announced(self, document_id: UUID, due: date) -> None:
        self.cur.execute("UPDATE documents SET review_notified_for = %s WHERE id = %s",
                         (due, document_id))

    def set_current_version(self, document_id: UUID, version_id: UUID) -> None:
        self.cur.execute("UPDATE documents SET current_version_id = %s WHERE id = %s",
                         (version_id, document_id))

    # --- revisions ------------------------------------------------------------
    def latest_number(self, document_id: UUID) -> tuple[int, int] | None:
        self.cur.execute("""SELECT edition, revision FROM revisions WHERE document_id = %s
                            ORDER BY edition DESC, revision DESC LIMIT 1""", (document_id,))
        row = self.cur.fetchone()
        return (row["edition"], row["revision"]) if row else None

    def insert_revision(self, version_id: UUID, document_id: UUID, edition: int,
                        revision: int, author: str, note, restored_from: UUID | None) -> None:
        self.cur.execute(
            """INSERT INTO revisions (version_id, document_id, edition, revision, status,
                                      author, change_summary, component_revised,
                                      how_revised, restored_from)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            (version_id, document_id, edition, revision, RevisionStatus.DRAFT.value,
             author, note.change_summary, note.component_revised, note.how_revised,
             restored_from))
        self.cur.execute("UPDATE documents SET next_edition = false WHERE id = %s",
                         (document_id,))

    def request_new_edition(self, document_id: UUID) -> None:
        self.cur.execute("UPDATE documents SET next_edition = true WHERE id = %s",
                         (document_id,))

    def revision(self, version_id: UUID, lock: bool = False) -> Revision:
        self.cur.execute("SELECT * FROM revisions WHERE version_id = %s"
                         + (" FOR UPDATE" if lock else ""), (version_id,))
        row = self.cur.fetchone()
        if row is None:
            raise no_version(version_id)
        return _revision(row, self.document(row["document_id"]))

    def revisions(self, document_id: UUID) -> list[Revision]:
        document = self.document(document_id)
        self.cur.execute("""SELECT * FROM revisions WHERE document_id = %s
                            ORDER BY edition DESC, revision DESC""", (document_id,))
        return [_revision(row, document) for row in self.cur.fetchall()]

    def all_revisions(self) -> list[Revision]:
        """Every revision of every document (for trusted system callers)."""
        documents = {d.id: d for d in self.documents()}
        self.cur.execute("""SELECT * FROM revisions
                            ORDER BY document_id, edition DESC, revision DESC""")
        return [_revision(row, documents[row["document_id"]]) for row in self.cur.fetchall()]

    def revisions_in(self, statuses: tuple[RevisionStatus, ...]) -> list[Revision]:
        """The revisions in one of `statuses` (the signing inbox asks for the waiting ones
        only, so its cost follows the work in progress, not the register's size)."""
        self.cur.execute("""SELECT * FROM revisions WHERE status = ANY(%s)
                            ORDER BY document_id, edition DESC, revision DESC""",
                         ([s.value for s in statuses],))
        rows = self.cur.fetchall()
        documents = {d.id: d for d in self.documents_by_id(
            list({row["document_id"] for row in rows}))}
        return [_revision(row, documents[row["document_id"]]) for row in rows]

    def set_status(self, version_id: UUID, status: RevisionStatus,
                   current_step: str | None = None) -> int:
        """The revision's new status, and the step of its workflow it waits for now."""
        self.cur.execute("""UPDATE revisions SET status = %s, current_step = %s,
                                   status_seq = status_seq + 1
                            WHERE version_id = %s RETURNING status_seq""",
                         (status.value, current_step, version_id))
        return self.cur.fetchone()["status_seq"]

    def next_registry_number(self, year: int) -> int:
        """The next registry number of `year`, inside the caller's transaction."""
        self.cur.execute("""INSERT INTO registry_counters (year, last) VALUES (%s, 1)
                            ON CONFLICT (year) DO UPDATE SET last = registry_counters.last + 1
                            RETURNING last""", (year,))
        return self.cur.fetchone()["last"]

    def register_approval(self, version_id: UUID, registry_number: str, registry_date: date,
                          effective_date: date) -> None:
        self.cur.execute("""UPDATE revisions SET registry_number = %s, registry_date = %s,
                                   effective_date = %s, approved_at = now()
                            WHERE version_id = %s""",
                         (registry_number, registry_date, effective_date, version_id))

    def in_force(self, document_id: UUID) -> UUID | None:
        """The revision of the document now in force (locked), if any."""
        self.cur.execute("""SELECT version_id FROM revisions
                            WHERE document_id = %s AND status = 'in_force' FOR UPDATE""",
                         (document_id,))
        row = self.cur.fetchone()
        return row["version_id"] if row else None

    def due_for_force(self, today: date, limit: int = 100) -> list[UUID]:
        """Approved revisions whose effective date has come (locked, skipping busy ones)."""
        self.cur.execute("""SELECT version_id FROM revisions
                            WHERE status = 'approved' AND effective_date <= %s
                            ORDER BY effective_date, approved_at
                            LIMIT %s FOR UPDATE SKIP LOCKED""", (today, limit))
        return [row["version_id"] for row in self.cur.fetchall()]

    def mark_in_force(self, version_id: UUID) -> None:
        self.cur.execute("UPDATE revisions SET in_force_at = now() WHERE version_id = %s",
                         (version_id,))

    def opinions_this_round(self, version_id: UUID) -> set[str]:
        """Departments that gave an opinion since the revision was last submitted."""
        self.cur.execute("""SELECT s.signer, st.department FROM signatures s
                            JOIN staff st ON st.username = s.signer
                            WHERE s.version_id = %s AND s.step = 'opinion'
                              AND s.id > COALESCE((SELECT max(id) FROM signatures
                                                   WHERE version_id = %s AND step = 'submit'), 0)
                         """, (version_id, version_id))
        return {row["department"] for row in self.cur.fetchall()}

    def signatures(self, version_id: UUID) -> list[Signature]:
        self.cur.execute("""SELECT step, decision, signer, function, comment, signed_at
                            FROM signatures WHERE version_id = %s ORDER BY id""", (version_id,))
        return [Signature.model_validate(row) for row in self.cur.fetchall()]

    def sign(self, version_id: UUID, step: str, decision: str, user: User,
             comment: str) -> None:
        self.cur.execute("""INSERT INTO signatures (version_id, step, decision, signer,
                                                    function, comment)
                            VALUES (%s, %s, %s, %s, %s, %s)""",
                         (version_id, step, decision, user.username, user.function, comment))


def no_version(version_id) -> NotFound:
    """The one answer for a version that does not exist, or that the asker may not read."""
    return NotFound(f"no version {version_id}", {"version_id": str(version_id)})


def _links(links) -> Json:
    """Links as JSON text: models or their dumps (whose ids may still be UUID objects)."""
    return Json([DocumentLink.model_validate(link).model_dump(mode="json")
                 for link in links or []])


def _revision(row: dict, document: Document) -> Revision:
    fields = {k: v for k, v in row.items() if k != "document_id"}
    return Revision.model_validate({**fields, "document": document})


_INTERNAL = {"review_notified_for"}


def _document(row: dict) -> Document:
    return Document.model_validate({k: v for k, v in row.items() if k not in _INTERNAL})
