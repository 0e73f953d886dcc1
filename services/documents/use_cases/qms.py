"""Use cases of processes, the risk register and the register of procedures: plain
functions over a unit of work (ports.QmsUnitOfWork): the register's people and documents,
the processes and risks, the audit trail and the outbox in one transaction."""
from __future__ import annotations

from datetime import date
from functools import partial
from uuid import UUID, uuid4

from services.contracts import events
from services.contracts.confidentiality import may_read
from services.contracts.errors import Forbidden, InvalidInput
from services.contracts.forms import RegisterEntry
from services.contracts.models import Role
from services.contracts.qms import (
    Assessment, ControlMeasure, NewProcess, NewRisk, Process, ProcessChange, Risk,
    RiskAssessment, RiskChange)
from services.documents.domain import risks as scoring
from services.documents.ports import (
    DocumentsRepository, QmsRepository, QmsUnitOfWork, Readable)


def procedure_register(uow: QmsUnitOfWork, actor: str) -> list[RegisterEntry]:
    """The register of procedures: the quality office only, who may read every document
    (confidentiality.READS_EVERYTHING), confidential ones included."""
    with uow:
        _require_quality_office(uow.documents, actor, "the register of procedures")
        return uow.qms.register_entries()


def _require_quality_office(people: DocumentsRepository, actor: str, what: str) -> None:
    user = people.user(actor)
    if not user.has(Role.QMS_ADMIN):
        raise Forbidden(f"only the quality office may manage {what}",
                        {"required_role": Role.QMS_ADMIN.value})


def _reader(uow: QmsUnitOfWork, actor: str) -> Readable:
    """The confidentiality rule for the person a view is made for."""
    return partial(may_read, uow.documents.user(actor))


# fields a change may clear with null; any other null means "leave as it is"
CLEARABLE_PROCESS = {"owner"}
CLEARABLE_RISK = {"process", "owner", "deadline"}


def _settable(changes: dict, clearable: set[str]) -> dict:
    return {k: v for k, v in changes.items() if v is not None or k in clearable}


# --- processes ----------------------------------------------------------------
def create_process(uow: QmsUnitOfWork, actor: str, new: NewProcess) -> Process:
    with uow:
        _require_quality_office(uow.documents, actor, "the process list")
        repo = uow.qms
        repo.check_department(new.department)
        if new.owner:
            repo.check_staff(new.owner)
        repo.insert_process(new)
        uow.audit.append(actor, "process_created", details=new.model_dump(mode="json"))
        return repo.process(new.code, _reader(uow, actor))


def change_process(uow: QmsUnitOfWork, actor: str, code: str,
                   change: ProcessChange) -> Process:
    with uow:
        _require_quality_office(uow.documents, actor, "the process list")
        repo = uow.qms
        changes = _settable(change.model_dump(exclude_unset=True), CLEARABLE_PROCESS)
        if changes.get("department"):
            repo.check_department(changes["department"])
        if changes.get("owner"):
            repo.check_staff(changes["owner"])
        repo.update_process(code, changes)
        uow.audit.append(actor, "process_changed", details={"code": code, **changes})
        return repo.process(code, _reader(uow, actor))


def processes(uow: QmsUnitOfWork, actor: str) -> list[Process]:
    """The process list; each process names only the procedures `actor` may read."""
    with uow:
        return uow.qms.processes(_reader(uow, actor))


def process(uow: QmsUnitOfWork, actor: str, code: str) -> Process:
    with uow:
        return uow.qms.process(code, _reader(uow, actor))


# --- risks --------------------------------------------------------------------
def _controls(repo: QmsRepository, controls: list[ControlMeasure], readable: Readable,
              hidden: dict[str, UUID] | None = None) -> list[tuple[str, UUID | None]]:
    """The measures with the ids of their documents, named by code: a code the person
    may not read is refused as an unknown one. `hidden`: the measures whose document the
    person cannot see (so sends back without it) keep it."""
    hidden = hidden or {}
    return [(c.measure, repo.document_by_code(c.procedure, f"controls.{i}.procedure", readable)
             if c.procedure else hidden.get(c.measure)) for i, c in enumerate(controls)]


def _check_references(repo: QmsRepository, fields: dict) -> None:
    if fields.get("department"):
        repo.check_department(fields["department"])
    if fields.get("owner"):
        repo.check_staff(fields["owner"])
    if fields.get("process"):
        repo.check_process(fields["process"])


def create_risk(uow: QmsUnitOfWork, actor: str, new: NewRisk, today: date) -> Risk:
    """A new entry of the risk register; its scores are its first assessment."""
    inherent, residual = scoring.scores(new)
    with uow:
        user = uow.documents.user(actor)
        scoring.require_manager(user, new.department)
        readable = partial(may_read, user)
        repo = uow.qms
        _check_references(repo, new.model_dump())
        controls = _controls(repo, new.controls, readable)
        risk_id = uuid4()
        repo.insert_risk(risk_id, new, today)
        repo.set_controls(risk_id, controls)
        repo.add_assessment(risk_id, today, actor, inherent, residual, new.status.value,
                            "evaluare inițială", [])
        uow.audit.append(actor, "risk_registered",
                         details={"risk_id": str(risk_id), "code": new.code,
                                  "inherent": inherent.exposure, "residual": residual.exposure})
        return repo.risk(risk_id, readable)


def change_risk(uow: QmsUnitOfWork, actor: str, risk_id: UUID, change: RiskChange) -> Risk:
    with uow:
        repo = uow.qms
        user = uow.documents.user(actor)
        readable = partial(may_read, user)
        risk = repo.risk(risk_id, readable, lock=True)
        scoring.require_manager(user, risk.department)
        changes = _settable(change.model_dump(mode="json", exclude_unset=True),
                            CLEARABLE_RISK)
        if changes.get("department"):   # moving a risk: the new department's head may not
            scoring.require_manager(user, changes["department"])
        _check_references(repo, changes)
        controls = changes.pop("controls", None)
        if controls is not None:
            repo.set_controls(risk_id, _controls(repo, change.controls or [], readable,
                                                 repo.hidden_controls(risk_id, readable)))
        repo.update_risk(risk_id, changes)
        uow.audit.append(actor, "risk_changed",
                         details={"risk_id": str(risk_id), "code": risk.code,
                                  "fields": sorted(changes) + (["controls"] if controls
                                                               is not None else [])})
        return repo.risk(risk_id, readable)


def risks(uow: QmsUnitOfWork, actor: str, department: str | None,
          process: str | None) -> list[Risk]:
    """The risk register; each control measure names its document only to who may read it."""
    with uow:
        return uow.qms.risks(_reader(uow, actor), department, process)


def risk(uow: QmsUnitOfWork, actor: str, risk_id: UUID) -> tuple[Risk, list[RiskAssessment]]:
    with uow:
        repo, readable = uow.qms, _reader(uow, actor)
        return repo.risk(risk_id, readable), repo.assessments(risk_id, readable)


def assess_risk(uow: QmsUnitOfWork, actor: str, risk_id: UUID, assessment: Assessment,
                today: date, notice_days: int) -> RiskAssessment:
    """Re-assess a risk: the assessment is kept in its history, the risk takes the new
    scores, and every procedure implementing its control measures gets `review_due`
    (with the reason), in the same transaction. The notices go to each procedure's owner
    department, who may read it (notifications asks may_read again); the assessor is told
    only of the procedures they may read."""
    inherent, residual = scoring.scores(assessment)
    assessed_on = assessment.assessed_on or today
    if assessed_on > today:
        raise InvalidInput(f"an assessment cannot be dated in the future "
                           f"({assessed_on:%d.%m.%Y})", {"field": "assessed_on"})
    with uow:
        documents_repo, repo = uow.documents, uow.qms
        user = documents_repo.user(actor)
        readable = partial(may_read, user)
        risk = repo.risk(risk_id, readable, lock=True)
        scoring.require_manager(user, risk.department)
        status = assessment.status or risk.status
        due = scoring.review_due_date(assessed_on, notice_days)
        reason = scoring.review_reason(risk.code, assessed_on, residual)
        told = []
        for document_id in repo.controlled_documents(risk_id):
            document = documents_repo.document(document_id)
            told.append(document.code)
            uow.audit.append(actor, "review_due", document.id,
                             details={"due_date": due.isoformat(), "reason": reason,
                                      "risk_id": str(risk_id)})
            uow.outbox.record(events.ReviewDueEvent(subject=document.id, data=events.ReviewDue(
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
        uow.audit.append(actor, "risk_assessed",
                         details={"risk_id": str(risk_id), "code": risk.code,
                                  "inherent": inherent.exposure, "residual": residual.exposure,
                                  "reviews_requested": sorted(told)})
        return next(a for a in repo.assessments(risk_id, readable) if a.id == assessment_id)

