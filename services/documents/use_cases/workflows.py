"""Use cases of the workflows: reading each document type's workflow and its history,
the quality office changing it (a new version, audited), the workflow a revision follows
and where it stands in it."""
from __future__ import annotations

from uuid import UUID

from services.contracts.errors import Forbidden, NotFound
from services.contracts.models import DocumentType, Revision, RevisionStatus, Role, Signature
from services.contracts.signing import WAITING_STATUSES
from services.contracts.workflows import StoredWorkflow, parse_workflow, unknown_departments
from services.documents import domain
from services.documents.ports import DocumentsRepository, UnitOfWork
from services.documents.use_cases.reading import readable_revision

TYPES = tuple(t.value for t in DocumentType)
# the comment of version 1, which the quality office reads in the history (in Romanian)
SHIPPED = "fluxul livrat cu Procedura (config/workflows.yaml)"


def stored(repo: DocumentsRepository, defaults: domain.SigningChains, doc_type: str,
           version: int | None = None, lock: bool = False) -> StoredWorkflow:
    """A version of the type's workflow (None: the newest); version 1, the shipped
    default, is written the first time it is needed."""
    if doc_type not in TYPES:
        raise NotFound(f"no document type {doc_type}", {"type": doc_type})
    found = repo.workflow(doc_type, version, lock)
    if found is None and version in (None, 1):
        repo.save_workflow(doc_type, 1, defaults.workflow_for(doc_type), "system", SHIPPED)
        found = repo.workflow(doc_type, 1, lock)
    if found is None:
        raise NotFound(f"no version {version} of the workflow of {doc_type}",
                       {"type": doc_type, "version": version})
    return found


def followed(repo: DocumentsRepository, defaults: domain.SigningChains,
             revision: Revision) -> StoredWorkflow:
    """The workflow `revision` follows: the newest for a draft (it is submitted under
    it), else the version it was submitted under (version 1 before versions existed)."""
    doc_type = revision.document.type.value
    if revision.status == RevisionStatus.DRAFT:
        return stored(repo, defaults, doc_type)
    return stored(repo, defaults, doc_type, revision.workflow_version or 1)


def chain_of(repo: DocumentsRepository, defaults: domain.SigningChains,
             revision: Revision) -> tuple[domain.Chain, StoredWorkflow]:
    workflow = followed(repo, defaults, revision)
    return domain.Chain.of(workflow.workflow), workflow


def this_round(signatures: list[Signature]) -> list[Signature]:
    """The signatures since the revision was last submitted (its current round)."""
    last = max((i for i, s in enumerate(signatures) if s.step == "submit"), default=-1)
    return signatures[last + 1:]


def signers_of(signatures: list[Signature], step_id: str) -> set[str]:
    """Who signed the step `step_id` in the current round."""
    return {s.signer for s in this_round(signatures)
            if s.step == step_id and s.decision == "favourable"}


def signatures(uow: UnitOfWork, defaults: domain.SigningChains, actor: str,
               version_id: UUID) -> list[Signature]:
    """Every signature of a revision, a step's with its signed label from the workflow the
    revision follows (404 for whoever may not read the document)."""
    with uow:
        repo = uow.documents
        _, revision = readable_revision(repo, actor, version_id)
        chain, _ = chain_of(repo, defaults, revision)
        labels = {step.action: step.signed_label for step in chain.steps}
        return [s.model_copy(update={"signed_label": labels.get(s.step)})
                for s in repo.signatures(version_id)]


def workflows(uow: UnitOfWork, defaults: domain.SigningChains, actor: str
              ) -> list[StoredWorkflow]:
    """The newest workflow of every document type (everyone may read them)."""
    with uow:
        uow.documents.user(actor)
        return [stored(uow.documents, defaults, doc_type) for doc_type in TYPES]


def workflow(uow: UnitOfWork, defaults: domain.SigningChains, actor: str,
             doc_type: str) -> StoredWorkflow:
    with uow:
        uow.documents.user(actor)
        return stored(uow.documents, defaults, doc_type)


def history(uow: UnitOfWork, defaults: domain.SigningChains, actor: str,
            doc_type: str) -> list[StoredWorkflow]:
    """Every version of the type's workflow, the newest first."""
    with uow:
        uow.documents.user(actor)
        stored(uow.documents, defaults, doc_type)
        return uow.documents.workflow_history(doc_type)


def put_workflow(uow: UnitOfWork, defaults: domain.SigningChains, actor: str,
                 doc_type: str, data: dict, comment: str = "") -> StoredWorkflow:
    """The quality office saves a new version of the type's workflow. Revisions already
    in their chain finish under the version they started with."""
    with uow:
        repo = uow.documents
        if not repo.user(actor).has(Role.QMS_ADMIN):
            raise Forbidden("only the quality office changes a workflow",
                            {"required_role": Role.QMS_ADMIN.value})
        new = parse_workflow(data)
        missing = repo.missing_departments(new.departments())
        if missing:
            raise unknown_departments(new, missing)
        old = stored(repo, defaults, doc_type, lock=True)
        repo.save_workflow(doc_type, old.version + 1, new, actor, comment)
        uow.audit.append(actor, "workflow_changed", details={
            "type": doc_type, "old_version": old.version, "new_version": old.version + 1,
            "comment": comment, "workflow": new.model_dump(mode="json")})
        return repo.workflow(doc_type, old.version + 1)


def progress(uow: UnitOfWork, defaults: domain.SigningChains, actor: str,
             version_id: UUID) -> dict:
    """Where a revision stands in its workflow: each step done, current or waiting,
    who signed it and who is awaited (404 for whoever may not read the document)."""
    with uow:
        repo = uow.documents
        _, revision = readable_revision(repo, actor, version_id)
        chain, workflow = chain_of(repo, defaults, revision)
        signatures = this_round(repo.signatures(version_id))
        current = chain.waiting_in(revision.status, revision.current_step)
        states = _states(chain, revision.status, current)
        steps = [_step_progress(repo, chain, step, state, signatures, revision)
                 for step, state in zip(chain.steps, states)]
        return {"type": revision.document.type.value, "workflow_version": workflow.version,
                "status": revision.status.value,
                "current_step": current.action if current else None, "steps": steps}


def _states(chain: domain.Chain, status: RevisionStatus,
            current: domain.Step | None) -> list[str]:
    if current is not None:
        index = chain.steps.index(current)
        return ["done" if i < index else "current" if i == index else "waiting"
                for i in range(len(chain.steps))]
    waiting = status in (RevisionStatus.DRAFT, *WAITING_STATUSES)
    return ["waiting" if waiting else "done"] * len(chain.steps)


def _step_progress(repo: DocumentsRepository, chain: domain.Chain, step: domain.Step,
                   state: str, signatures: list[Signature], revision: Revision) -> dict:
    signed = [s for s in signatures if s.step == step.action]
    signers = {s.signer for s in signed}
    awaited = []
    if state == "current":
        department = step.department_of(revision.document)
        awaited = [{"username": u.username, "name": u.full_name, "function": u.function}
                   for u in repo.staff([department] if department else None,
                                       [step.role.value])
                   if u.username not in signers
                   and (chain.author_may_sign or u.username != revision.author)]
    return {"id": step.action, "label": step.label, "signed_label": step.signed_label,
            "role": step.role.value, "department": step.department, "quorum": step.quorum,
            "opinions": step.opinions, "state": state,
            "signed_by": [{"username": s.signer, "name": _name(repo, s.signer),
                           "function": s.function, "decision": s.decision,
                           "at": s.signed_at.isoformat()} for s in signed],
            "awaited": awaited}


def _name(repo: DocumentsRepository, username: str) -> str:
    """The signer's name (their user name once they have left)."""
    found = repo.users([username])
    return found[0].full_name if found else username
