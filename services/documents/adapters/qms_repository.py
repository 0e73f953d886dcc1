"""SQL of processes, the risk register and the register of procedures (documents schema)."""
from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from uuid import UUID

import psycopg2.errors
from psycopg2 import sql

from services.contracts.errors import Conflict, InvalidInput, NotFound
from services.contracts.forms import RegisterEntry
from services.contracts.qms import (
    Control, DocumentRef, Exposure, NewProcess, NewRisk, Process, Risk, RiskAssessment)
from services.documents.domain import risks as scoring
from services.documents.ports import Readable

_HELD = "d.confidential, d.owner_department, d.distribution"


class QmsRepository:
    """Domain verbs over one transaction's cursor."""

    def __init__(self, cur):
        self.cur = cur

    # --- register of procedures ----------------------------------------------
    def register_entries(self) -> list[RegisterEntry]:
        """Every document with the revision in force, if any."""
        self.cur.execute("""
            SELECT d.id AS document_id, d.code, d.title, d.type, d.owner_department, d.process,
                   d.confidential, d.next_review_date, r.status, r.edition, r.revision,
                   r.registry_number, r.registry_date, r.effective_date
            FROM documents d
            LEFT JOIN revisions r ON r.document_id = d.id AND r.status = 'in_force'
            ORDER BY d.code""")
        return [RegisterEntry.model_validate(row) for row in self.cur.fetchall()]

    # --- processes ------------------------------------------------------------
    def check_department(self, code: str, field: str = "department") -> None:
        self.cur.execute("SELECT 1 FROM departments WHERE code = %s", (code,))
        if self.cur.fetchone() is None:
            raise InvalidInput(f"no department {code}", {"field": field, "department": code})

    def check_staff(self, username: str, field: str = "owner") -> None:
        self.cur.execute("SELECT 1 FROM staff WHERE username = %s AND active", (username,))
        if self.cur.fetchone() is None:
            raise InvalidInput(f"no member of staff {username}",
                               {"field": field, "username": username})

    def insert_process(self, new: NewProcess) -> None:
        try:
            self.cur.execute("SAVEPOINT new_process")
            self.cur.execute("""INSERT INTO processes (code, name, department, owner, description)
                                VALUES (%s, %s, %s, %s, %s)""",
                             (new.code, new.name, new.department, new.owner, new.description))
        except psycopg2.errors.UniqueViolation:
            self.cur.execute("ROLLBACK TO SAVEPOINT new_process")
            raise Conflict(f"a process with code {new.code} or name „{new.name}” exists",
                           {"field": "code", "code": new.code}) from None

    def update_process(self, code: str, changes: dict) -> None:
        self.process(code, lambda _: False, lock=True)   # 404 if there is none
        if not changes:
            return
        try:
            self.cur.execute("SAVEPOINT change_process")
            for column, value in changes.items():   # column names come from the model
                self.cur.execute(sql.SQL("UPDATE processes SET {} = %s WHERE code = %s")
                                 .format(sql.Identifier(column)), (value, code))
            self.cur.execute("UPDATE processes SET updated_at = now() WHERE code = %s", (code,))
        except psycopg2.errors.UniqueViolation:
            self.cur.execute("ROLLBACK TO SAVEPOINT change_process")
            raise Conflict(f"another process is named „{changes.get('name')}”",
                           {"field": "name"}) from None

    def process(self, code: str, readable: Readable, lock: bool = False) -> Process:
        self.cur.execute(_PROCESS + " WHERE p.code = %s" + (" FOR UPDATE OF p" if lock else ""),
                         (code,))
        row = self.cur.fetchone()
        if row is None:
            raise NotFound(f"no process {code}", {"process": code})
        return self._process(row, readable)

    def processes(self, readable: Readable) -> list[Process]:
        self.cur.execute(_PROCESS + " ORDER BY p.code")
        return [self._process(row, readable) for row in self.cur.fetchall()]

    def _process(self, row: dict, readable: Readable) -> Process:
        # a document belongs to a process named by code or, as the demo's do, by name
        self.cur.execute(f"""SELECT d.id, d.code, d.title, {_HELD} FROM documents d
                             WHERE d.process = %s OR d.process = %s ORDER BY d.code""",
                         (row["code"], row["name"]))
        return Process(**row, procedures=[_ref(r) for r in self.cur.fetchall()
                                          if readable(_held(r))])

    # --- risks ----------------------------------------------------------------
    def document_by_code(self, code: str, field: str, readable: Readable) -> UUID:
        """The id of the document with `code`; one the person may not read answers
        exactly as a code that does not exist (same error, same words)."""
        self.cur.execute(f"SELECT d.id, {_HELD} FROM documents d WHERE d.code = %s", (code,))
        row = self.cur.fetchone()
        if row is None or not readable(_held(row)):
            raise InvalidInput(f"no document with code {code}", {"field": field, "code": code})
        return row["id"]

    def hidden_controls(self, risk_id: UUID, readable: Readable) -> dict[str, UUID]:
        """The risk's measures implemented by a document the person may not read:
        measure → document id."""
        self.cur.execute(f"""SELECT c.measure, c.document_id, {_HELD} FROM risk_controls c
                             JOIN documents d ON d.id = c.document_id
                             WHERE c.risk_id = %s ORDER BY c.position""", (risk_id,))
        return {r["measure"]: r["document_id"] for r in self.cur.fetchall()
                if not readable(_held(r))}

    def check_process(self, code: str) -> None:
        self.cur.execute("SELECT 1 FROM processes WHERE code = %s", (code,))
        if self.cur.fetchone() is None:
            raise InvalidInput(f"no process {code}", {"field": "process", "process": code})

    def insert_risk(self, risk_id: UUID, new: NewRisk, assessed_on: date) -> None:
        try:
            self.cur.execute("SAVEPOINT new_risk")
            self.cur.execute(
                """INSERT INTO risks (id, code, department, process, owner, objective,
                       description, cause, consequence, strategy, status, deadline,
                       observations, inherent_probability, inherent_impact,
                       residual_probability, residual_impact, last_assessed_on)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
                           %s, %s)""",
                (risk_id, new.code, new.department, new.process, new.owner, new.objective,
                 new.description, new.cause, new.consequence, new.strategy.value,
                 new.status.value, new.deadline, new.observations, new.inherent_probability,
                 new.inherent_impact, new.residual_probability, new.residual_impact,
                 assessed_on))
        except psycopg2.errors.UniqueViolation:
            self.cur.execute("ROLLBACK TO SAVEPOINT new_risk")
            raise Conflict(f"a risk with code {new.code} already exists",
                           {"field": "code", "code": new.code}) from None

    def update_risk(self, risk_id: UUID, changes: dict) -> None:
        for column, value in changes.items():   # column names come from the model
            self.cur.execute(sql.SQL("UPDATE risks SET {} = %s WHERE id = %s")
                             .format(sql.Identifier(column)), (value, risk_id))
        self.cur.execute("UPDATE risks SET updated_at = now() WHERE id = %s", (risk_id,))

    def set_controls(self, risk_id: UUID, controls: list[tuple[str, UUID | None]]) -> None:
        self.cur.execute("DELETE FROM risk_controls WHERE risk_id = %s", (risk_id,))
        for position, (measure, document_id) in enumerate(controls):
            self.cur.execute("""INSERT INTO risk_controls (risk_id, position, measure, document_id)
                                VALUES (%s, %s, %s, %s)""",
                             (risk_id, position, measure, document_id))

    def risk(self, risk_id: UUID, readable: Readable, lock: bool = False) -> Risk:
        self.cur.execute("SELECT * FROM risks WHERE id = %s" + (" FOR UPDATE" if lock else ""),
                         (risk_id,))
        row = self.cur.fetchone()
        if row is None:
            raise NotFound(f"no risk {risk_id}", {"risk_id": str(risk_id)})
        return self._risk(row, readable)

    def risks(self, readable: Readable, department: str | None = None,
              process: str | None = None) -> list[Risk]:
        self.cur.execute("""SELECT * FROM risks
                            WHERE (%s::text IS NULL OR department = %s)
                              AND (%s::text IS NULL OR process = %s)
                            ORDER BY code""", (department, department, process, process))
        return [self._risk(row, readable) for row in self.cur.fetchall()]

    def _risk(self, row: dict, readable: Readable) -> Risk:
        # a measure implemented by a document the person may not read is shown without it
        self.cur.execute(f"""SELECT c.measure, d.id, d.code, d.title, {_HELD}
                             FROM risk_controls c LEFT JOIN documents d ON d.id = c.document_id
                             WHERE c.risk_id = %s ORDER BY c.position""", (row["id"],))
        controls = [Control(measure=c["measure"],
                            procedure=_ref(c) if c["id"] and readable(_held(c)) else None)
                    for c in self.cur.fetchall()]
        fields = {k: v for k, v in row.items() if not k.startswith(("inherent_", "residual_"))}
        return Risk(**fields, controls=controls,
                    inherent=scoring.score(row["inherent_probability"], row["inherent_impact"]),
                    residual=scoring.score(row["residual_probability"], row["residual_impact"]))

    def controlled_documents(self, risk_id: UUID) -> list[UUID]:
        self.cur.execute("""SELECT DISTINCT document_id FROM risk_controls
                            WHERE risk_id = %s AND document_id IS NOT NULL""", (risk_id,))
        return [row["document_id"] for row in self.cur.fetchall()]

    def add_assessment(self, risk_id: UUID, assessed_on: date, assessor: str,
                       inherent: Exposure, residual: Exposure, status: str, comment: str,
                       reviews: list[str]) -> int:
        self.cur.execute(
            """INSERT INTO risk_assessments (risk_id, assessed_on, assessor,
                   inherent_probability, inherent_impact, residual_probability, residual_impact,
                   status, comment, reviews_requested)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
            (risk_id, assessed_on, assessor, inherent.probability, inherent.impact,
             residual.probability, residual.impact, status, comment, reviews))
        return self.cur.fetchone()["id"]

    def assessments(self, risk_id: UUID, readable: Readable) -> list[RiskAssessment]:
        self.cur.execute("SELECT * FROM risk_assessments WHERE risk_id = %s ORDER BY id",
                         (risk_id,))
        rows = self.cur.fetchall()
        codes = sorted({code for r in rows for code in r["reviews_requested"]})
        # the procedures asked to review themselves, named only to who may read them
        # (codes never change, so the code of a history entry still finds its document)
        self.cur.execute(f"SELECT d.code, {_HELD} FROM documents d WHERE d.code = ANY(%s)",
                         (codes,))
        shown = {d["code"] for d in self.cur.fetchall() if readable(_held(d))}
        return [RiskAssessment(
            id=r["id"], risk_id=r["risk_id"], assessed_on=r["assessed_on"],
            assessor=r["assessor"], status=r["status"], comment=r["comment"],
            created_at=r["created_at"],
            reviews_requested=[c for c in r["reviews_requested"] if c in shown],
            inherent=scoring.score(r["inherent_probability"], r["inherent_impact"]),
            residual=scoring.score(r["residual_probability"], r["residual_impact"]))
            for r in rows]


def _held(row: dict) -> SimpleNamespace:
    """What the confidentiality rule reads of a document row."""
    return SimpleNamespace(confidential=row["confidential"],
                           owner_department=row["owner_department"],
                           distribution=row["distribution"])


def _ref(row: dict) -> DocumentRef:
    return DocumentRef(id=row["id"], code=row["code"], title=row["title"])


_PROCESS = """SELECT p.code, p.name, p.department, p.owner, s.full_name AS owner_name,
                     p.description, p.updated_at
              FROM processes p LEFT JOIN staff s ON s.username = p.owner"""
