"""RPCs of processes, the risk register and the register of procedures: a mixin of
DocumentsService (which provides `self._uow()`, the use cases' unit of work, and
`self.control`)."""
from __future__ import annotations

from uuid import UUID


from services.common.identity import rpc
from services.contracts.errors import EXPECTED, NotFound, validate
from services.contracts.qms import Assessment, NewProcess, NewRisk, ProcessChange, RiskChange
from services.documents.use_cases import qms


def _dump(model) -> dict:
    return model.model_dump(mode="json")


def _risk_id(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise NotFound(f"no risk {value}", {"risk_id": value}) from None


class ProcessesAndRisks:
    @rpc(expected_exceptions=EXPECTED)
    def procedure_register(self, actor: str) -> list[dict]:
        """Every document with its revision in force (the quality office's register)."""
        return [_dump(e) for e in qms.procedure_register(self._uow(), actor)]

    @rpc(expected_exceptions=EXPECTED)
    def list_processes(self, actor: str) -> list[dict]:
        """The process list, each with its owner and the procedures that belong to it
        (those `actor` may read)."""
        return [_dump(p) for p in qms.processes(self._uow(), actor)]

    @rpc(expected_exceptions=EXPECTED)
    def get_process(self, actor: str, code: str) -> dict:
        return _dump(qms.process(self._uow(), actor, code))

    @rpc(expected_exceptions=EXPECTED)
    def create_process(self, actor: str, process: dict) -> dict:
        """Add a process to the process list (quality office)."""
        return _dump(qms.create_process(self._uow(), actor, validate(NewProcess, process)))

    @rpc(expected_exceptions=EXPECTED)
    def change_process(self, actor: str, code: str, change: dict) -> dict:
        return _dump(qms.change_process(self._uow(), actor, code,
                                        validate(ProcessChange, change)))

    @rpc(expected_exceptions=EXPECTED)
    def list_risks(self, actor: str, department: str | None = None,
                   process: str | None = None) -> list[dict]:
        """The risk register, optionally of one department or process; control measures
        name only the documents `actor` may read."""
        return [_dump(r) for r in qms.risks(self._uow(), actor, department, process)]

    @rpc(expected_exceptions=EXPECTED)
    def get_risk(self, actor: str, risk_id: str) -> dict:
        """A risk and the history of its assessments, as `actor` may see them."""
        risk, history = qms.risk(self._uow(), actor, _risk_id(risk_id))
        return {**_dump(risk), "assessments": [_dump(a) for a in history]}

    @rpc(expected_exceptions=EXPECTED)
    def create_risk(self, actor: str, risk: dict) -> dict:
        """Register a risk with its first assessment (quality office or department head)."""
        return _dump(qms.create_risk(self._uow(), actor, validate(NewRisk, risk),
                                     self.control.calendar.today()))

    @rpc(expected_exceptions=EXPECTED)
    def change_risk(self, actor: str, risk_id: str, change: dict) -> dict:
        return _dump(qms.change_risk(self._uow(), actor, _risk_id(risk_id),
                                     validate(RiskChange, change)))

    @rpc(expected_exceptions=EXPECTED)
    def assess_risk(self, actor: str, risk_id: str, assessment: dict) -> dict:
        """Re-assess a risk; the procedures implementing its measures get review_due."""
        return _dump(qms.assess_risk(
            self._uow(), actor, _risk_id(risk_id), validate(Assessment, assessment),
            self.control.calendar.today(), self.control.types.review_notice_days))
