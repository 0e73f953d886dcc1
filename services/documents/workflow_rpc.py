"""RPCs of the workflows: each document type's workflow, its history, the quality office
changing it, a step signed by its id, and where a revision stands in its workflow: a
mixin of DocumentsService (which provides `_uow()` and `self.control`)."""
from __future__ import annotations

from uuid import UUID

from services.common.identity import rpc
from services.contracts.errors import EXPECTED, NotFound, validate
from services.contracts.models import Comment, Signing
from services.contracts.workflows import RESERVED_IDS
from services.documents.use_cases import signing as signing_chain
from services.documents.use_cases import workflows


def _dump(model) -> dict:
    return model.model_dump(mode="json")


class Workflows:
    @rpc(expected_exceptions=EXPECTED)
    def workflows(self, actor: str) -> list[dict]:
        """The newest workflow of every document type."""
        return [_dump(w) for w in workflows.workflows(self._uow(), self.control.chains, actor)]

    @rpc(expected_exceptions=EXPECTED)
    def workflow(self, actor: str, doc_type: str) -> dict:
        return _dump(workflows.workflow(self._uow(), self.control.chains, actor, doc_type))

    @rpc(expected_exceptions=EXPECTED)
    def workflow_history(self, actor: str, doc_type: str) -> list[dict]:
        """Every version of the type's workflow, the newest first."""
        return [_dump(w) for w in workflows.history(self._uow(), self.control.chains, actor,
                                                     doc_type)]

    @rpc(expected_exceptions=EXPECTED)
    def put_workflow(self, actor: str, doc_type: str, workflow: dict,
                     comment: str = "") -> dict:
        """The quality office saves a new version of the type's workflow (403 for anyone
        else, 422 naming the field); audited as workflow_changed."""
        return _dump(workflows.put_workflow(
            self._uow(), self.control.chains, actor, doc_type, workflow,
            validate(Comment, {"comment": comment}).comment))

    @rpc(expected_exceptions=EXPECTED)
    def sign_step(self, actor: str, version_id: str, step_id: str, signing: dict) -> dict:
        """Sign the step `step_id` of a revision's workflow (same 403/409 as transition).
        Where the step takes the departments' opinions, a `favourable` makes the call
        the opinion of the person's department (as POST .../opinion), on that step only."""
        if step_id in RESERVED_IDS:
            raise NotFound(f"no step {step_id}", {"step": step_id})
        signed = validate(Signing, signing)
        opinion = signed.favourable is not None
        return _dump(signing_chain.transition(
            self._uow(), self.control.chains, self.control.types, actor, UUID(version_id),
            "opinion" if opinion else step_id, signed, self.control.calendar.today(),
            self.control.calendar.now(), at_step=step_id if opinion else None))

    @rpc(expected_exceptions=EXPECTED)
    def version_progress(self, actor: str, version_id: str) -> dict:
        """Where a revision stands in its workflow: the steps done, current and waiting,
        who signed each and who is awaited."""
        return workflows.progress(self._uow(), self.control.chains, actor, UUID(version_id))
