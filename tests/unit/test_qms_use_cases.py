"""Processes, the risk register and the register of procedures (use_cases/qms.py) over
fakes (tests/unit/fakes.py): who may manage them, the references they check, what a
person who may not read a confidential procedure is shown, and a re-assessment asking the
procedures of its measures for a review in the same transaction. The SQL is proved on
PostgreSQL by tests/integration/test_risk_register.py."""
from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID, uuid4

import pytest

from services.contracts.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.contracts.models import ChangeNote, NewDocument, RevisionStatus, Role
from services.contracts.qms import Assessment, NewProcess, NewRisk, ProcessChange, RiskChange
from services.documents.use_cases import qms
from tests.helpers import user
from tests.unit.fakes import FakeDocumentsRepository, FakeQmsUnitOfWork

TODAY = date(2026, 3, 2)
QUALITY = user("SMC", Role.QMS_ADMIN, name="elena")
DJ_HEAD = user("DJ", Role.VERIFIER, name="sef.dj")
DJ_AUTHOR = user("DJ", Role.AUTHOR, name="ana")
RU_HEAD = user("RU", Role.VERIFIER, name="sef.ru")


@pytest.fixture
def uow():
    return FakeQmsUnitOfWork(FakeDocumentsRepository([QUALITY, DJ_HEAD, DJ_AUTHOR, RU_HEAD]))


def procedure(uow, code: str, confidential: bool = False, process: str | None = None,
              in_force: bool = False) -> UUID:
    """A procedure of DJ (confidential: DJ's alone), with a revision in force if asked."""
    document_id = uuid4()
    uow.documents.insert_document(document_id, NewDocument(
        code=code, title=f"Procedura {code}", type="PO", owner_department="DJ",
        distribution=["DJ"], confidential=confidential, process=process), "ana")
    if in_force:
        version_id = uuid4()
        uow.documents.insert_revision(version_id, document_id, 1, 0, "ana", ChangeNote(), None)
        uow.documents.set_current_version(document_id, version_id)
        uow.documents.set_status(version_id, RevisionStatus.IN_FORCE)
        uow.documents.register_approval(version_id, "12/2026", TODAY, TODAY)
    return document_id


def new_risk(code: str = "R-DJ-01", controls: list[dict] = (), **fields) -> NewRisk:
    return NewRisk.model_validate({
        "code": code, "department": "DJ", "description": "Contracte avizate fără verificare",
        "controls": list(controls), "inherent_probability": 4, "inherent_impact": 4,
        "residual_probability": 2, "residual_impact": 3, **fields})


# --- the register of procedures ------------------------------------------------
def test_the_register_of_procedures_is_the_quality_offices_with_confidential_ones(uow):
    procedure(uow, "PO-DJ-01", in_force=True)
    procedure(uow, "PO-DJ-02", confidential=True)
    with pytest.raises(Forbidden):
        qms.procedure_register(uow, DJ_HEAD.username)
    entries = qms.procedure_register(uow, QUALITY.username)
    assert [(e.code, e.status, e.edition, e.registry_number) for e in entries] == [
        ("PO-DJ-01", RevisionStatus.IN_FORCE, 1, "12/2026"), ("PO-DJ-02", None, None, None)]


# --- processes ------------------------------------------------------------------
def test_only_the_quality_office_adds_a_process_and_it_is_audited(uow):
    new = NewProcess(code="P-ACH", name="Achiziții publice", department="DJ",
                     owner=DJ_HEAD.username)
    with pytest.raises(Forbidden) as refused:
        qms.create_process(uow, DJ_HEAD.username, new)
    assert refused.value.details == {"required_role": "qms_admin"}
    process = qms.create_process(uow, QUALITY.username, new)
    assert (process.code, process.owner_name, process.procedures) == ("P-ACH", "sef.dj", [])
    assert [(e["actor"], e["action"]) for e in uow.audit.entries] == [
        ("elena", "process_created")]
    with pytest.raises(Conflict):
        qms.create_process(uow, QUALITY.username, new)


@pytest.mark.parametrize("fields, field", [
    ({"department": "XX"}, "department"), ({"owner": "nimeni"}, "owner")])
def test_a_process_naming_an_unknown_department_or_person_is_refused_naming_it(
        uow, fields, field):
    new = NewProcess.model_validate({"code": "P-ACH", "name": "Achiziții publice",
                                     "department": "DJ", **fields})
    with pytest.raises(InvalidInput) as refused:
        qms.create_process(uow, QUALITY.username, new)
    assert refused.value.details["field"] == field
    assert uow.qms.data["processes"] == {} and uow.audit.entries == []


def test_a_process_names_only_the_procedures_its_reader_may_read(uow):
    procedure(uow, "PO-DJ-01", process="P-ACH")
    procedure(uow, "PO-DJ-02", process="Achiziții publice", confidential=True)
    qms.create_process(uow, QUALITY.username, NewProcess(
        code="P-ACH", name="Achiziții publice", department="DJ"))
    for reader, shown in ((QUALITY, ["PO-DJ-01", "PO-DJ-02"]), (DJ_AUTHOR, ["PO-DJ-01",
                                                                           "PO-DJ-02"]),
                          (RU_HEAD, ["PO-DJ-01"])):
        assert [p.code for p in qms.process(uow, reader.username, "P-ACH").procedures] == shown
        [listed] = qms.processes(uow, reader.username)
        assert [p.code for p in listed.procedures] == shown


def test_a_process_change_may_clear_its_owner_and_leaves_what_is_null_otherwise(uow):
    qms.create_process(uow, QUALITY.username, NewProcess(
        code="P-ACH", name="Achiziții publice", department="DJ", owner=DJ_HEAD.username))
    changed = qms.change_process(uow, QUALITY.username, "P-ACH", ProcessChange.model_validate(
        {"name": None, "owner": None, "description": "Descriere"}))
    assert (changed.name, changed.owner, changed.description) == (
        "Achiziții publice", None, "Descriere")
    assert uow.audit.entries[-1]["details"] == {"code": "P-ACH", "owner": None,
                                                "description": "Descriere"}
    with pytest.raises(NotFound):
        qms.change_process(uow, QUALITY.username, "P-NU", ProcessChange(name="Altceva"))


# --- risks ----------------------------------------------------------------------
def test_a_department_head_registers_a_risk_of_their_department_only(uow):
    with pytest.raises(Forbidden):
        qms.create_risk(uow, RU_HEAD.username, new_risk(), TODAY)
    with pytest.raises(Forbidden):
        qms.create_risk(uow, DJ_AUTHOR.username, new_risk(), TODAY)
    risk = qms.create_risk(uow, DJ_HEAD.username, new_risk(), TODAY)
    assert (risk.inherent.exposure, risk.residual.exposure, risk.last_assessed_on) == (
        16, 6, TODAY)
    [first] = qms.risk(uow, DJ_HEAD.username, risk.id)[1]
    assert (first.assessor, first.comment) == ("sef.dj", "evaluare inițială")
    assert uow.audit.entries[-1]["details"] == {"risk_id": str(risk.id), "code": "R-DJ-01",
                                                "inherent": 16, "residual": 6}
    assert uow.outbox.events == []


@pytest.mark.parametrize("author, department, code", [
    (RU_HEAD, "RU", "PO-DJ-SECRET"), (QUALITY, "DJ", "PO-NU-EXISTA")])
def test_a_measure_naming_a_procedure_its_author_may_not_read_is_as_unknown(
        uow, author, department, code):
    procedure(uow, "PO-DJ-SECRET", confidential=True)
    with pytest.raises(InvalidInput) as refused:
        qms.create_risk(uow, author.username, new_risk(
            department=department, controls=[{"measure": "Avizare", "procedure": code}]),
            TODAY)
    assert (refused.value.message, refused.value.details) == (
        f"no document with code {code}", {"field": "controls.0.procedure", "code": code})
    assert uow.qms.data["risks"] == {} and uow.audit.entries == []


def test_a_risk_shows_a_measures_procedure_only_to_who_may_read_it_and_keeps_it(uow):
    secret = procedure(uow, "PO-DJ-SECRET", confidential=True)
    procedure(uow, "PO-DJ-01")
    risk = qms.create_risk(uow, QUALITY.username, new_risk(department="RU", controls=[
        {"measure": "Avizare", "procedure": "PO-DJ-SECRET"}]), TODAY)
    seen = {reader: qms.risk(uow, reader, risk.id)[0].controls[0].procedure
            for reader in (DJ_HEAD.username, RU_HEAD.username)}
    assert seen[DJ_HEAD.username].code == "PO-DJ-SECRET" and seen[RU_HEAD.username] is None
    [listed] = qms.risks(uow, RU_HEAD.username, "RU", None)
    assert listed.controls[0].procedure is None
    # RU's head sends the measures back as they were shown, with a new one: the
    # procedure they may not read stays on its measure
    changed = qms.change_risk(uow, RU_HEAD.username, risk.id, RiskChange.model_validate(
        {"controls": [{"measure": "Avizare"}, {"measure": "Audit", "procedure": "PO-DJ-01"}],
         "deadline": None}))
    assert [(c.measure, c.procedure.code if c.procedure else None)
            for c in changed.controls] == [("Avizare", None), ("Audit", "PO-DJ-01")]
    assert uow.qms.data["controls"][risk.id][0] == ("Avizare", secret)
    assert uow.audit.entries[-1]["details"]["fields"] == ["deadline", "controls"]


def test_moving_a_risk_to_another_department_needs_its_head_too(uow):
    risk = qms.create_risk(uow, DJ_HEAD.username, new_risk(), TODAY)
    with pytest.raises(Forbidden):
        qms.change_risk(uow, DJ_HEAD.username, risk.id, RiskChange(department="RU"))
    assert qms.risk(uow, QUALITY.username, risk.id)[0].department == "DJ"
    moved = qms.change_risk(uow, QUALITY.username, risk.id, RiskChange(department="RU"))
    assert moved.department == "RU"


def test_a_reassessment_asks_each_procedure_of_its_measures_for_a_review_at_once(uow):
    readable = procedure(uow, "PO-DJ-01")
    secret = procedure(uow, "PO-DJ-SECRET", confidential=True)
    risk = qms.create_risk(uow, QUALITY.username, new_risk(controls=[
        {"measure": "Avizare", "procedure": "PO-DJ-01"},
        {"measure": "Control", "procedure": "PO-DJ-SECRET"}]), TODAY)
    assessed = qms.assess_risk(uow, DJ_HEAD.username, risk.id, Assessment(
        inherent_probability=5, inherent_impact=4, residual_probability=3, residual_impact=3,
        status="monitored", comment="După audit"), TODAY, 30)
    assert assessed.reviews_requested == ["PO-DJ-01", "PO-DJ-SECRET"]
    events = uow.outbox.events
    assert [(e.type, e.subject) for e in events] == [
        ("review_due", readable), ("review_due", secret)]
    assert {e.data.due_date for e in events} == {TODAY + timedelta(days=30)}
    assert events[1].data.confidential is True
    assert "riscul R-DJ-01 a fost reevaluat la 02.03.2026" in events[0].data.reason
    assert [e["action"] for e in uow.audit.entries[-3:]] == [
        "review_due", "review_due", "risk_assessed"]
    current, history = qms.risk(uow, RU_HEAD.username, risk.id)
    assert (current.status.value, current.residual.exposure) == ("monitored", 9)
    # who may not read the confidential procedure does not learn it was asked
    assert history[-1].reviews_requested == ["PO-DJ-01"]


@pytest.mark.parametrize("assessor, assessed_on, refusal", [
    (DJ_AUTHOR.username, None, Forbidden), (RU_HEAD.username, None, Forbidden),
    (DJ_HEAD.username, TODAY + timedelta(days=1), InvalidInput)])
def test_a_reassessment_refused_changes_nothing(uow, assessor, assessed_on, refusal):
    procedure(uow, "PO-DJ-01")
    risk = qms.create_risk(uow, QUALITY.username, new_risk(controls=[
        {"measure": "Avizare", "procedure": "PO-DJ-01"}]), TODAY)
    before = (len(uow.audit.entries), len(uow.qms.data["assessments"]))
    with pytest.raises(refusal):
        qms.assess_risk(uow, assessor, risk.id, Assessment(
            inherent_probability=5, inherent_impact=5, residual_probability=1,
            residual_impact=1, assessed_on=assessed_on), TODAY, 30)
    assert (len(uow.audit.entries), len(uow.qms.data["assessments"])) == before
    assert uow.outbox.events == []
    assert qms.risk(uow, QUALITY.username, risk.id)[0].residual.exposure == 6
