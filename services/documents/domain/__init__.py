"""The rules of document control, free of nameko and I/O.

The workflow of each document type is data (services/contracts/workflows.py): each
step names the role that signs it, the department it is signed in, how many different
people complete it, and whether distribution departments give opinions meanwhile. A
revision follows the version of the workflow it was submitted under.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from services.common.labels import edition_label
from services.contracts import signing
from services.contracts.errors import Conflict, Forbidden, InvalidInput
from services.contracts.models import Document, RevisionStatus, Role, User
from services.contracts.workflows import ANY, OWNER, Workflow, WorkflowStep, parse_workflow

S = RevisionStatus
STEP_EVENTS = signing.STEP_EVENTS


@dataclass(frozen=True)
class Step:
    """A step of a revision's workflow, as the rules need it."""
    action: str                    # the step's id: verify, avizare-juridica …
    status: RevisionStatus         # the status a revision waits in for it
    role: Role
    department: str = OWNER        # owner, any or a department code
    opinions: bool = False
    quorum: int = 1
    event: str | None = None       # the vocabulary's event of a classic step
    deadline_working_days: int | None = None
    label: dict = field(default_factory=dict, compare=False)
    signed_label: dict = field(default_factory=dict, compare=False)

    @property
    def own_department(self) -> bool:
        return self.department == OWNER

    @classmethod
    def of(cls, step: WorkflowStep) -> Step:
        term = step.classic
        return cls(step.id, term.status if term else S.IN_REVIEW, step.role,
                   step.department, step.opinions, step.quorum,
                   term.event if term else None, step.deadline_working_days,
                   step.label.model_dump(), step.signed_label.model_dump())

    def department_of(self, document: Document) -> str | None:
        """The department whose people sign it (None: any)."""
        if self.department == ANY:
            return None
        return document.owner_department if self.department == OWNER else self.department


@dataclass(frozen=True)
class Chain:
    steps: tuple[Step, ...]
    author_may_sign: bool = False

    @classmethod
    def of(cls, workflow: Workflow) -> Chain:
        return cls(tuple(Step.of(s) for s in workflow.steps), workflow.author_may_sign)

    def step(self, action: str) -> Step | None:
        return next((s for s in self.steps if s.action == action), None)

    def waiting_in(self, status: RevisionStatus, current_step: str | None = None
                   ) -> Step | None:
        """The step a revision in `status` (at `current_step`) waits for."""
        if current_step is not None:
            step = self.step(current_step)
            if step is not None and step.status == status:
                return step
        if status == S.IN_REVIEW:
            return None
        return next((s for s in self.steps if s.status == status), None)

    def next_step(self, step: Step | None) -> Step | None:
        """The step after `step` (None: after submission), None after the last."""
        index = -1 if step is None else self.steps.index(step)
        return self.steps[index + 1] if index + 1 < len(self.steps) else None

    def after(self, step: Step | None) -> RevisionStatus:
        """The status a revision enters once `step` (None: submission) is done."""
        following = self.next_step(step)
        return S.APPROVED if following is None else following.status

    def allowed_actions(self, status: RevisionStatus,
                        current_step: str | None = None) -> list[str]:
        """What may happen to a revision in `status` (by someone with the right role)."""
        if status == S.DRAFT:
            return ["submit"]
        step = self.waiting_in(status, current_step)
        if step is None:
            return []
        return [step.action, *(["opinion"] if step.opinions else []), "reject"]


class SigningChains:
    """The workflow Procedura ships for every document type (config/workflows.yaml,
    parsed): what a type follows until the quality office changes it."""

    def __init__(self, config: dict):
        self.workflows = {doc_type: parse_workflow(spec)
                          for doc_type, spec in config["workflows"].items()}
        if "default" not in self.workflows:
            raise ValueError("workflows: a `default` workflow is required")

    @classmethod
    def load(cls, path) -> SigningChains:
        """The workflows of the file at `path` (the settings' workflows_file)."""
        return cls(signing.read_config(path))

    def workflow_for(self, doc_type: str) -> Workflow:
        return self.workflows.get(doc_type, self.workflows["default"])

    def for_type(self, doc_type: str) -> Chain:
        return Chain.of(self.workflow_for(doc_type))


# a step of a workflow's own (not verify, endorse or approve) that passes the revision on
# to a next step is published as an endorsement ("avizare"): the nearest published event
# whose subscribers follow the revision's status and tell its next signers; the event
# version_step_completed names the step (docs/adr/0007-workflows-as-data.md)
PASSED_ON_EVENT = "version_endorsed"
APPROVED_EVENT = signing.APPROVE.event


@dataclass(frozen=True)
class Transition:
    action: str
    new_status: RevisionStatus
    event: str | None              # None: the step waits for more signatures
    decision: str
    step: Step | None = None       # the step signed (None: submission, an opinion)
    next_step: str | None = None   # the step the revision waits for afterwards
    signatures: int = 1            # of the step, this one included
    complete: bool = True          # the step's quorum is reached


def may_register(user: User, owner_department: str) -> bool:
    return user.has(Role.QMS_ADMIN) or (
        user.has(Role.AUTHOR) and user.department == owner_department)


def may_upload(user: User, document: Document) -> bool:
    return user.has(Role.AUTHOR) and user.department == document.owner_department


def next_number(latest: tuple[int, int] | None,
                new_edition: bool = False) -> tuple[int, int]:
    """An upload is the next revision of the current edition (Ediția I, Revizia 0 first);
    after a "new edition" request, revision 0 of the next edition."""
    if latest is None:
        return 1, 0
    edition, revision = latest
    return (edition + 1, 0) if new_edition else (edition, revision + 1)


def first_number(latest: tuple[int, int] | None, numbering) -> tuple[int, int]:
    """The edition and revision given with a document's first version: a procedure that
    existed before Procedura keeps its numbering ("Ediția II, Revizia 3"). Once a document
    has a version, the numbers follow from it (next_number), so they never go back."""
    if latest is not None:
        raise Conflict(
            f"an edition and revision can be given only with a document's first version; "
            f"this one has versions (latest: {edition_label(*latest)}), so the next is "
            f"numbered after it (ask for a new edition to start the next one)",
            {"field": "edition", "latest": {"edition": latest[0], "revision": latest[1]}})
    return numbering.edition, numbering.revision


def may_withdraw(user: User) -> bool:
    return user.has(Role.QMS_ADMIN)


def decide(chain: Chain, user: User, action: str, document: Document,
           status: RevisionStatus, author: str, current_step: str | None = None,
           signed: frozenset[str] | set[str] = frozenset()) -> Transition:
    """What `action` by `user` does to a revision in `status` (waiting for
    `current_step`, already signed this round by the people `signed`), or why it may not.

    The role is checked before the state: a user who may never take the action
    gets 403; one who may, but not now, gets 409 naming the state and what is allowed.
    """
    if action == "submit":
        if not may_upload(user, document):
            raise Forbidden("only an author of the owner department may submit",
                            {"required_role": Role.AUTHOR.value,
                             "department": document.owner_department})
        _expect(chain, status, current_step, S.DRAFT, action)
        first = chain.next_step(None)
        return Transition(action, first.status, "version_submitted", "submitted",
                          next_step=first.action)
    if action == "reject":
        return _reject(chain, user, document, status, author, current_step)
    step = chain.step(action)
    if step is None:
        raise _conflict(chain, status, current_step, action)
    _check_signer(chain, user, step, document, author)
    if chain.waiting_in(status, current_step) is not step:
        raise _conflict(chain, status, current_step, action)
    if user.username in signed:
        raise Conflict(f"{user.username} has already signed the step {step.action} of "
                       f"this revision", {"step": step.action, "status": status.value,
                                          "quorum": step.quorum})
    count = len(signed) + 1
    if count < step.quorum:
        return Transition(action, status, None, "favourable", step, step.action, count, False)
    following = chain.next_step(step)
    if following is None:
        return Transition(action, S.APPROVED, APPROVED_EVENT, "favourable", step, None, count)
    event = step.event if step.event not in (None, APPROVED_EVENT) else PASSED_ON_EVENT
    return Transition(action, following.status, event, "favourable", step,
                      following.action, count)


def _reject(chain: Chain, user: User, document: Document, status: RevisionStatus,
            author: str, current_step: str | None) -> Transition:
    step = chain.waiting_in(status, current_step)
    if step is None:
        if not any(_qualifies(user, s, document) for s in chain.steps):
            raise Forbidden("only a signer of the chain may reject", {})
        raise _conflict(chain, status, current_step, "reject")
    _check_signer(chain, user, step, document, author)
    return Transition("reject", S.DRAFT, "version_rejected", "rejected", step)


def decide_opinion(chain: Chain, user: User, document: Document, status: RevisionStatus,
                   author: str, favourable: bool, already_given: set[str],
                   current_step: str | None = None) -> Transition | None:
    """A department on the distribution list gives its opinion (formular de analiză).

    Its head (role verifier) speaks for it, once per round. Returns the transition
    an unfavourable opinion causes (back to draft), None for a favourable one.
    """
    if not (user.has(Role.VERIFIER) and user.department in document.distribution):
        raise Forbidden("opinions are given by the head of a department on the "
                        "distribution list", {"required_role": Role.VERIFIER.value,
                                              "distribution": document.distribution})
    if user.username == author and not chain.author_may_sign:
        raise Forbidden("the author of a revision may not give an opinion on it",
                        {"author": author})
    step = chain.waiting_in(status, current_step)
    if step is None or not step.opinions:
        raise _conflict(chain, status, current_step, "opinion")
    if user.department in already_given:
        raise Conflict(f"{user.department} has already given its opinion on this revision",
                       {"department": user.department, "status": status.value})
    if favourable:
        return None
    return Transition("opinion", S.DRAFT, "version_rejected", "unfavourable")


def _qualifies(user: User, step: Step, document: Document) -> bool:
    department = step.department_of(document)
    return user.has(step.role) and (department is None or user.department == department)


def _check_signer(chain: Chain, user: User, step: Step, document: Document,
                  author: str) -> None:
    if not _qualifies(user, step, document):
        department = step.department_of(document)
        where = ("" if department is None else " of the owner department"
                 if step.own_department else f" of the department {department}")
        raise Forbidden(f"{step.action} needs the role {step.role.value}{where}",
                        {"required_role": step.role.value, "department": department})
    if user.username == author and not chain.author_may_sign:
        raise Forbidden("the author of a revision may not sign its later steps",
                        {"author": author})


def _conflict(chain: Chain, status: RevisionStatus, current_step: str | None,
              action: str) -> Conflict:
    allowed = chain.allowed_actions(status, current_step)
    return Conflict(f"cannot {action} a revision in status {status.value}; "
                    f"allowed: {', '.join(allowed) or 'nothing'}",
                    {"status": status.value, "allowed_actions": allowed})


def _expect(chain: Chain, status: RevisionStatus, current_step: str | None,
            expected: RevisionStatus, action: str) -> None:
    if status != expected:
        raise _conflict(chain, status, current_step, action)


def effective_date(requested: date | None, approved_on: date) -> date:
    """When an approved revision comes into force: the date asked for, never before
    the approval (default: the approval date itself)."""
    if requested is None:
        return approved_on
    if requested < approved_on:
        raise InvalidInput(f"the effective date {requested.isoformat()} is before the "
                           f"approval date {approved_on.isoformat()}",
                           {"field": "effective_date", "approval_date": approved_on.isoformat()})
    return requested


def registry_number(number: int, year: int) -> str:
    """`436/2026`: unique within the calendar year."""
    return f"{number}/{year}"


class DocumentTypes:
    """Code patterns and review intervals per type, from config/document-types.yaml."""

    _PLACEHOLDERS = {"{nn}": r"\d{2,}", "{any}": r"[A-Za-z0-9][A-Za-z0-9.\-]*"}

    def __init__(self, config: dict):
        self.review_notice_days = int(config.get("review_notice_days", 30))
        self._types = config["types"]

    def check_code(self, doc_type: str, code: str, department: str) -> None:
        """Refuse a code that does not fit its type's pattern (422 naming the pattern)."""
        template = self._types.get(doc_type, {}).get("code")
        if template is None:
            return
        pattern = re.escape(template).replace(re.escape("{department}"),
                                              re.escape(department))
        for placeholder, regex in self._PLACEHOLDERS.items():
            pattern = pattern.replace(re.escape(placeholder), regex)
        if not re.fullmatch(pattern, code):
            raise InvalidInput(f"the code {code} does not fit the pattern {template} of "
                               f"type {doc_type}",
                               {"field": "code", "pattern": template,
                                "department": department})

    def review_months(self, doc_type: str) -> int:
        return int(self._types.get(doc_type, {}).get("review_months", 12))


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the last day of the month when it has fewer days)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def waiting_for(chain: Chain, user: User, document: Document, status: RevisionStatus,
                author: str, current_step: str | None = None,
                signed: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """What `user` may do now to a revision in `status`: the signing inbox.
    Empty when the revision does not wait for them (or they signed its step already)."""
    step = chain.waiting_in(status, current_step)
    if step is None or (user.username == author and not chain.author_may_sign):
        return []
    actions = []
    if _qualifies(user, step, document) and user.username not in signed:
        actions.append(step.action)
    if step.opinions and user.has(Role.VERIFIER) and user.department in document.distribution:
        actions.append("opinion")
    return [*actions, "reject"] if step.action in actions else actions
