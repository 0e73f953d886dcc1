"""Use cases of processes, the risk register and the register of procedures: plain
functions over a Database and the outbox."""
from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

from services.common.outbox import record
from services.contracts import events
from services.contracts.errors import Forbidden, InvalidInput
from services.contracts.forms import RegisterEntry
from services.contracts.models import Role
from services.contracts.qms import (
    Assessment, ControlMeasure, NewProcess, NewRisk, Process, ProcessChange, Risk,
    RiskAssessment, RiskChange)
from services.documents import audit, risks as scoring
from services.documents.qms_repository import QmsRepository
from services.documents.repository import Repository


def procedure_register(db, actor: str) -> list[RegisterEntry]:
    """The register of procedures: the quality office only."""
    with db.transaction() as cur:
        _require_quality_office(Repository(cur), actor, "the register of procedures")
        return QmsRepository(cur).register_entries()


def _require_quality_office(repo: Repository, actor: str, what: str) -> None:
    user = repo.user(actor)
    if not user.has(Role.QMS_ADMIN):
        raise Forbidden(f"only the quality office may manage {what}",
                        {"required_role": Role.QMS_ADMIN.value})


# fields a change may clear with null; any other null means "leave as it is"
CLEARABLE_PROCESS = {"owner"}
CLEARABLE_RISK = {"process", "owner", "deadline"}


def _settable(changes: dict, clearable: set[str]) -> dict:
    return {k: v for k, v in changes.items() if v is not None or k in clearable}


# --- processes ----------------------------------------------------------------
def create_process(db, actor: str, new: NewProcess) -> Process:
    with db.transaction() as cur:
        _require_quality_office(Repository(cur), actor, "the process list")
        repo = QmsRepository(cur)
        repo.check_department(new.department)
        if new.owner:
            repo.check_staff(new.owner)
        repo.insert_process(new)
        audit.append(cur, actor, "process_created", details=new.model_dump(mode="json"))
        return repo.process(new.code)


def change_process(db, actor: str, code: str, change: ProcessChange) -> Process:
    with db.transaction() as cur:
        _require_quality_office(Repository(cur), actor, "the process list")
        repo = QmsRepository(cur)
        changes = _settable(change.model_dump(exclude_unset=True), CLEARABLE_PROCESS)
        if changes.get("department"):
            repo.check_department(changes["department"])
        if changes.get("owner"):
            repo.check_staff(changes["owner"])
        repo.update_process(code, changes)
        audit.append(cur, actor, "process_changed", details={"code": code, **changes})
        return repo.process(code)


def processes(db) -> list[Process]:
    with db.transaction() as cur:
        return QmsRepository(cur).processes()


def process(db, code: str) -> Process:
    with db.transaction() as cur:
        return QmsRepository(cur).process(code)


# --- risks --------------------------------------------------------------------
def _controls(repo: QmsRepository, controls: list[ControlMeasure]) -> list[tuple[str, UUID | None]]:
    return [(c.measure, repo.document_by_code(c.procedure, f"controls.{i}.procedure")
             if c.procedure else None) for i, c in enumerate(controls)]


def _check_references(repo: QmsRepository, fields: dict) -> None:
    if fields.get("department"):
        repo.check_department(fields["department"])
    if fields.get("owner"):
        repo.check_staff(fields["owner"])
    if fields.get("process"):
        repo.check_process(fields["process"])


def create_risk(db, actor: str, new: NewRisk, today: date) -> Risk:
    """A new entry of the risk register; its scores are its first assessment."""
    inherent, residual = scoring.scores(new)
    with db.transaction() as cur:
        scoring.require_manager(Repository(cur).user(actor), new.department)
        repo = QmsRepository(cur)
        _check_references(repo, new.model_dump())
        controls = _controls(repo, new.controls)
        risk_id = uuid4()
        repo.insert_risk(risk_id, new, today)
        repo.set_controls(risk_id, controls)
        repo.add_assessment(risk_id, today, actor, inherent, residual, new.status.value,
                            "evaluare inițială", [])
        audit.append(cur, actor, "risk_registered",
                     details={"risk_id": str(risk_id), "code": new.code,
                              "inherent": inherent.exposure, "residual": residual.exposure})
        return repo.risk(risk_id)


def change_risk(db, actor: str, risk_id: UUID, change: RiskChange) -> Risk:
    with db.transaction() as cur:
        repo = QmsRepository(cur)
        risk = repo.risk(risk_id, lock=True)
        user = Repository(cur).user(actor)
        scoring.require_manager(user, risk.department)
        changes = _settable(change.model_dump(mode="json", exclude_unset=True),
                            CLEARABLE_RISK)
        if changes.get("department"):   # moving a risk: the new department's head may not
            scoring.require_manager(user, changes["department"])
        _check_references(repo, changes)
        controls = changes.pop("controls", None)
        if controls is not None:
            repo.set_controls(risk_id, _controls(repo, change.controls or []))
        repo.update_risk(risk_id, changes)
        audit.append(cur, actor, "risk_changed",
                     details={"risk_id": str(risk_id), "code": risk.code,
                              "fields": sorted(changes) + (["controls"] if controls is not None
                                                           else [])})
        return repo.risk(risk_id)


def risks(db, department: str | None, process: str | None) -> list[Risk]:
    with db.transaction() as cur:
        return QmsRepository(cur).risks(department, process)


def risk(db, risk_id: UUID) -> tuple[Risk, list[RiskAssessment]]:
    with db.transaction() as cur:
        repo = QmsRepository(cur)
        return repo.risk(risk_id), repo.assessments(risk_id)


def assess_risk(db, actor: str, risk_id: UUID, assessment: Assessment, today: date,
                notice_days: int) -> RiskAssessment:
    """Re-assess a risk: the assessment is kept in its history, the risk takes the new
    scores, and every procedure implementing its control measures gets `review_due`
    (with the reason), in the same transaction."""
    inherent, residual = scoring.scores(assessment)
    assessed_on = assessment.assessed_on or today
    if assessed_on > today:
        raise InvalidInput(f"an assessment cannot be dated in the future "
                           f"({assessed_on:%d.%m.%Y})", {"field": "assessed_on"})
    with db.transaction() as cur:
        documents_repo = Repository(cur)
        repo = QmsRepository(cur)
        risk = repo.risk(risk_id, lock=True)
        scoring.require_manager(documents_repo.user(actor), risk.department)
        status = assessment.status or risk.status
        due = scoring.review_due_date(assessed_on, notice_days)
        reason = scoring.review_reason(risk.code, assessed_on, residual)
        told = []
        for document_id in repo.controlled_documents(risk_id):
            document = documents_repo.document(document_id)
            told.append(document.code)
            audit.append(cur, actor, "review_due", document.id,
                         details={"due_date": due.isoformat(), "reason": reason,
                                  "risk_id": str(risk_id)})
            record(cur, events.ReviewDueEvent(subject=document.id, data=events.ReviewDue(
                document_id=document.id, code=document.code, title=document.title,
                type=document.type, owner_department=document.owner_department,
                distribution=document.distribution, confidential=document.confidential,
                due_date=due, reason=reason)))
        assessment_id = repo.add_assessment(risk_id, assessed_on, actor, inherent, residual,
                                            status.value, assessment.comment, sorted(told))
        repo.update_risk(risk_id, {
            "inherent_probability": inherent.probability, "inherent_impact": inherent.impact,
            "residual_probability": residual.probability, "residual_impact": residual.impact,
            "status": status.value, "last_assessed_on": assessed_on})
        audit.append(cur, actor, "risk_assessed",
                     details={"risk_id": str(risk_id), "code": risk.code,
                              "inherent": inherent.exposure, "residual": residual.exposure,
                              "reviews_requested": sorted(told)})
        return next(a for a in repo.assessments(risk_id) if a.id == assessment_id)

