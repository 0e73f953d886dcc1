"""The rules of document control, free of nameko and I/O.

The signing chain is data: each step names the status it waits in, the role that
signs it and whether the signer must belong to the owner department. Adding the
endorsement step (or an analysis step) is a new Step, not new code.
"""
from __future__ import annotations

from dataclasses import dataclass

from services.contracts.errors import Conflict, Forbidden
from services.contracts.models import Document, RevisionStatus, Role, User

S = RevisionStatus


@dataclass(frozen=True)
class Step:
    action: str              # the verb of the REST API: verify, endorse, approve
    waits_in: RevisionStatus  # the status a revision has while this step is pending
    role: Role
    own_department: bool     # the signer must belong to the owner department
    event: str               # the event emitted when the step is signed


@dataclass(frozen=True)
class Chain:
    steps: tuple[Step, ...]
    author_may_sign: bool = False

    def step(self, action: str) -> Step | None:
        return next((s for s in self.steps if s.action == action), None)

    def after(self, step: Step | None) -> RevisionStatus:
        """The status a revision enters once `step` (None: submission) is done."""
        index = -1 if step is None else self.steps.index(step)
        return self.steps[index + 1].waits_in if index + 1 < len(self.steps) else S.APPROVED


DEFAULT_CHAIN = Chain(steps=(
    Step("verify", S.IN_VERIFICATION, Role.VERIFIER, own_department=True,
         event="version_verified"),
    Step("approve", S.IN_APPROVAL, Role.APPROVER, own_department=False,
         event="version_approved"),
))


@dataclass(frozen=True)
class Transition:
    action: str
    new_status: RevisionStatus
    event: str
    decision: str


def may_read(user: User, document: Document) -> bool:
    """Confidential documents: only their distribution list, the owner department
    and the quality office."""
    return (not document.confidential
            or user.has(Role.QMS_ADMIN)
            or user.department == document.owner_department
            or user.department in document.distribution)


def may_register(user: User, owner_department: str) -> bool:
    return user.has(Role.QMS_ADMIN) or (
        user.has(Role.AUTHOR) and user.department == owner_department)


def may_upload(user: User, document: Document) -> bool:
    return user.has(Role.AUTHOR) and user.department == document.owner_department


def next_number(latest: tuple[int, int] | None) -> tuple[int, int]:
    """An upload is the next revision of the current edition: Ediția I, Revizia 0 first."""
    if latest is None:
        return 1, 0
    edition, revision = latest
    return edition, revision + 1


def decide(chain: Chain, user: User, action: str, document: Document,
           status: RevisionStatus, author: str) -> Transition:
    """What `action` by `user` does to a revision in `status`, or why it may not.

    The role is checked before the state: a user who may never take the action
    gets 403; one who may, but not now, gets 409.
    """
    if action == "submit":
        if not may_upload(user, document):
            raise Forbidden("only an author of the owner department may submit",
                            {"required_role": Role.AUTHOR.value,
                             "department": document.owner_department})
        _expect(status, S.DRAFT, action)
        return Transition(action, chain.after(None), "version_submitted", "submitted")

    if action == "reject":
        step = next((s for s in chain.steps if s.waits_in == status), None)
        if step is None:
            if not any(_qualifies(user, s, document) for s in chain.steps):
                raise Forbidden("only a signer of the chain may reject", {})
            raise Conflict(f"a revision in status {status.value} cannot be rejected",
                           {"status": status.value})
        _check_signer(chain, user, step, document, author)
        return Transition(action, S.DRAFT, "version_rejected", "rejected")

    step = chain.step(action)
    if step is None:
        raise Conflict(f"unknown or unconfigured action {action!r}", {"action": action})
    _check_signer(chain, user, step, document, author)
    _expect(status, step.waits_in, action)
    return Transition(action, chain.after(step), step.event, "favourable")


def _qualifies(user: User, step: Step, document: Document) -> bool:
    return user.has(step.role) and (
        not step.own_department or user.department == document.owner_department)


def _check_signer(chain: Chain, user: User, step: Step, document: Document,
                  author: str) -> None:
    if not _qualifies(user, step, document):
        where = " of the owner department" if step.own_department else ""
        raise Forbidden(f"{step.action} needs the role {step.role.value}{where}",
                        {"required_role": step.role.value,
                         "department": document.owner_department if step.own_department
                         else None})
    if user.username == author and not chain.author_may_sign:
        raise Forbidden("the author of a revision may not sign its later steps",
                        {"author": author})


def _expect(status: RevisionStatus, expected: RevisionStatus, action: str) -> None:
    if status != expected:
        raise Conflict(f"cannot {action} a revision in status {status.value}",
                       {"status": status.value, "expected": expected.value})
