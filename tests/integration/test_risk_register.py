"""The risk register on the real PostgreSQL: assessments kept as history, review_due in
the outbox in the same transaction, the database's own 1..5 checks."""
from __future__ import annotations

import uuid
from datetime import date

import psycopg2.errors
import pytest

from services.contracts.errors import Forbidden, InvalidInput
from services.contracts.qms import Assessment, NewProcess, NewRisk, RiskChange
from services.documents.use_cases import qms as qms_handlers
from services.documents.adapters.qms_repository import QmsRepository
from services.documents.adapters.unit_of_work import PostgresUnitOfWork

TODAY = date(2026, 3, 2)


def uow(db) -> PostgresUnitOfWork:
    """The use cases' unit of work on the test's database, as the service builds it."""
    return PostgresUnitOfWork(db)


def staff(cur, username, department, roles):
    cur.execute("""INSERT INTO staff (username, full_name, department, function, roles,
                                      password_hash) VALUES (%s, %s, %s, 'Șef', %s, 'x')
                   ON CONFLICT (username) DO NOTHING""",
                (username, username.title(), department, roles))


@pytest.fixture(scope="module")
def people(db):
    with db.transaction() as cur:
        cur.execute("INSERT INTO departments (code, name) VALUES ('SMC', 'Calitate') "
                    "ON CONFLICT DO NOTHING")
        staff(cur, "calitate.test", "SMC", ["reader", "qms_admin"])
        staff(cur, "sef.dj.test", "DJ", ["reader", "verifier"])
        staff(cur, "autor.dj.test", "DJ", ["reader", "author"])


def procedure(db, process=None) -> tuple[uuid.UUID, str]:
    document_id, code = uuid.uuid4(), f"PO-DJ-{uuid.uuid4().hex[:8]}"
    with db.transaction() as cur:
        cur.execute("""INSERT INTO documents (id, code, title, type, owner_department, process,
                                              created_by)
                       VALUES (%s, %s, 'Avizarea contractelor', 'PO', 'DJ', %s, 'test')""",
                    (document_id, code, process))
    return document_id, code


def new_risk(db, controls, **kw) -> dict:
    body = {"code": f"R-{uuid.uuid4().hex[:8].upper()}", "department": "DJ",
            "description": "Contracte avizate fără verificarea clauzelor", "controls": controls,
            "inherent_probability": 4, "inherent_impact": 4, "residual_probability": 2,
            "residual_impact": 3, **kw}
    return qms_handlers.create_risk(uow(db), "calitate.test", NewRisk.model_validate(body), TODAY)


def outbox_review_due(db, document_id) -> list[dict]:
    with db.transaction() as cur:
        cur.execute("""SELECT payload FROM outbox WHERE type = 'review_due'
                       AND payload->>'subject' = %s""", (str(document_id),))
        return [row["payload"] for row in cur.fetchall()]


def test_reassessing_keeps_the_history_and_flags_the_controlling_procedures(db, people):
    document_id, code = procedure(db)
    risk = new_risk(db, [{"measure": "Verificarea clauzelor de către DJ", "procedure": code},
                         {"measure": "Instruire anuală"}])
    assert (risk.inherent.exposure, risk.residual.exposure) == (16, 6)
    assert risk.controls[0].procedure.code == code and risk.controls[1].procedure is None

    assessed = qms_handlers.assess_risk(uow(db), "sef.dj.test", risk.id, Assessment(
        inherent_probability=5, inherent_impact=4, residual_probability=3, residual_impact=4,
        comment="Clauze noi după modificarea legii"), TODAY, 30)
    assert assessed.reviews_requested == [code]
    assert (assessed.inherent.exposure, assessed.residual.level) == (20, "medie")

    current, history = qms_handlers.risk(uow(db), "calitate.test", risk.id)
    assert current.residual.exposure == 12 and current.last_assessed_on == TODAY
    assert [(a.assessor, a.residual.exposure) for a in history] == [
        ("calitate.test", 6), ("sef.dj.test", 12)]

    [event] = outbox_review_due(db, document_id)
    assert event["data"]["code"] == code and event["data"]["due_date"] == "2026-04-01"
    assert event["data"]["reason"].startswith(f"riscul {risk.code} a fost reevaluat")


def test_a_refused_assessment_changes_nothing(db, people):
    document_id, code = procedure(db)
    risk = new_risk(db, [{"measure": "Verificare", "procedure": code}])
    with pytest.raises(Forbidden):    # an author is not the head of the department
        qms_handlers.assess_risk(uow(db), "autor.dj.test", risk.id, Assessment(
            inherent_probability=5, inherent_impact=5, residual_probability=1,
            residual_impact=1), TODAY, 30)
    with pytest.raises(InvalidInput):  # residual above inherent
        qms_handlers.assess_risk(uow(db), "sef.dj.test", risk.id, Assessment(
            inherent_probability=1, inherent_impact=1, residual_probability=2,
            residual_impact=2), TODAY, 30)
    _, history = qms_handlers.risk(uow(db), "calitate.test", risk.id)
    assert len(history) == 1 and outbox_review_due(db, document_id) == []


def test_a_control_naming_an_unknown_procedure_is_refused_naming_it(db, people):
    with pytest.raises(InvalidInput) as raised:
        new_risk(db, [{"measure": "Ceva", "procedure": "PO-NU-EXISTA"}])
    assert raised.value.details["field"] == "controls.0.procedure"


def test_the_database_refuses_scores_outside_1_to_5(db, people):
    risk = new_risk(db, [])
    with pytest.raises(psycopg2.errors.CheckViolation):
        with db.transaction() as cur:
            cur.execute("UPDATE risks SET residual_impact = 6 WHERE id = %s", (risk.id,))


def test_a_process_lists_the_procedures_that_name_it(db, people):
    name = f"Avizare juridică {uuid.uuid4().hex[:6]}"
    code = f"P-{uuid.uuid4().hex[:6].upper()}"
    _, by_name = procedure(db, process=name)
    _, by_code = procedure(db, process=code)
    process = qms_handlers.create_process(uow(db), "calitate.test", NewProcess(
        code=code, name=name, department="DJ", owner="sef.dj.test"))
    assert process.owner_name == "Sef.Dj.Test"
    assert sorted(p.code for p in process.procedures) == sorted([by_name, by_code])
    with pytest.raises(Forbidden):
        qms_handlers.create_process(uow(db), "sef.dj.test", NewProcess(
            code=code + "X", name=name + " 2", department="DJ"))
    with db.transaction() as cur:
        assert any(e.code == by_name for e in QmsRepository(cur).register_entries())


def test_changes_clear_only_what_may_be_empty_and_replace_the_controls(db, people):
    from services.contracts.qms import ProcessChange, RiskChange

    _, code = procedure(db)
    risk = new_risk(db, [{"measure": "Veche", "procedure": code}], owner="sef.dj.test",
                    deadline="2026-12-31")
    changed = qms_handlers.change_risk(uow(db), "sef.dj.test", risk.id, RiskChange.model_validate(
        {"description": None, "owner": None, "deadline": None, "status": "monitored",
         "controls": [{"measure": "Nouă"}]}))
    assert changed.description == risk.description          # null: left as it was
    assert (changed.owner, changed.deadline, changed.status.value) == (None, None, "monitored")
    assert [(c.measure, c.procedure) for c in changed.controls] == [("Nouă", None)]
    assert (changed.inherent, changed.residual) == (risk.inherent, risk.residual)

    p_code = f"P-{uuid.uuid4().hex[:6].upper()}"
    qms_handlers.create_process(uow(db), "calitate.test", NewProcess(
        code=p_code, name=f"Proces {p_code}", department="DJ", owner="sef.dj.test"))
    process = qms_handlers.change_process(uow(db), "calitate.test", p_code,
                                          ProcessChange.model_validate(
        {"name": None, "owner": None, "description": "Descriere"}))
    assert (process.name, process.owner, process.description) == (
        f"Proces {p_code}", None, "Descriere")


# --- confidentiality (issue 12, findings 2 and 3) -------------------------------------
def secret_procedure(db, process=None) -> tuple[uuid.UUID, str]:
    """A confidential procedure of AUD, on nobody else's list: DJ may not read it."""
    document_id, code = uuid.uuid4(), f"PO-AUD-{uuid.uuid4().hex[:8]}"
    with db.transaction() as cur:
        cur.execute("INSERT INTO departments (code, name) VALUES ('AUD', 'Audit') "
                    "ON CONFLICT DO NOTHING")
        cur.execute("""INSERT INTO documents (id, code, title, type, owner_department, process,
                                              distribution, confidential, created_by)
                       VALUES (%s, %s, 'Misiuni de audit secrete', 'PO', 'AUD', %s,
                               '{AUD}', true, 'test')""", (document_id, code, process))
    return document_id, code


def test_naming_a_confidential_procedure_answers_as_naming_none(db, people):
    _, secret = secret_procedure(db)
    risk = new_risk(db, [])
    answers = []
    for code in (secret, f"PO-AUD-{uuid.uuid4().hex[:8]}"):
        with pytest.raises(InvalidInput) as raised:
            qms_handlers.change_risk(uow(db), "sef.dj.test", risk.id, RiskChange.model_validate(
                {"controls": [{"measure": "Audit", "procedure": code}]}))
        answers.append((raised.value.message.replace(code, "CODE"),
                        {**raised.value.details, "code": "CODE"}))
    assert answers[0] == answers[1]
    assert answers[0][1] == {"field": "controls.0.procedure", "code": "CODE"}


def test_risk_views_name_only_the_procedures_the_reader_may_read(db, people):
    secret_id, secret = secret_procedure(db)
    _, open_code = procedure(db)
    risk = new_risk(db, [{"measure": "Audit intern", "procedure": secret},
                         {"measure": "Avizare", "procedure": open_code}])   # by the quality office
    assert [c.procedure.code for c in risk.controls] == [secret, open_code]

    assessed = qms_handlers.assess_risk(uow(db), "sef.dj.test", risk.id, Assessment(
        inherent_probability=5, inherent_impact=4, residual_probability=3, residual_impact=4),
        TODAY, 30)
    assert assessed.reviews_requested == [open_code]            # told only what DJ may read
    [notice] = outbox_review_due(db, secret_id)                 # AUD is still asked to review
    assert notice["data"]["owner_department"] == "AUD" and notice["data"]["confidential"]

    for reader, shown in (("sef.dj.test", [None, open_code]),
                          ("calitate.test", [secret, open_code])):
        current, history = qms_handlers.risk(uow(db), reader, risk.id)
        assert [c.procedure.code if c.procedure else None for c in current.controls] == shown
        [listed] = [r for r in qms_handlers.risks(uow(db), reader, "DJ", None) if r.id == risk.id]
        assert listed.controls == current.controls
        assert history[-1].reviews_requested == sorted(c for c in shown if c)

    # the head sends back what they see: the measure keeps the procedure they cannot see
    qms_handlers.change_risk(uow(db), "sef.dj.test", risk.id, RiskChange.model_validate(
        {"controls": [{"measure": "Audit intern"}, {"measure": "Avizare", "procedure": open_code}]}))
    current, _ = qms_handlers.risk(uow(db), "calitate.test", risk.id)
    assert [c.procedure.code for c in current.controls] == [secret, open_code]


def test_a_process_names_only_the_procedures_the_reader_may_read(db, people):
    code = f"P-{uuid.uuid4().hex[:6].upper()}"
    _, secret = secret_procedure(db, process=code)
    _, open_code = procedure(db, process=code)
    qms_handlers.create_process(uow(db), "calitate.test", NewProcess(
        code=code, name=f"Proces {code}", department="DJ"))
    for reader, shown in (("sef.dj.test", [open_code]),
                          ("calitate.test", sorted([secret, open_code]))):
        assert [p.code for p in qms_handlers.process(uow(db), reader, code).procedures] == shown
        [listed] = [p for p in qms_handlers.processes(uow(db), reader) if p.code == code]
        assert [p.code for p in listed.procedures] == shown
