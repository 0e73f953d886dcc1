"""The rules of document control, free of nameko and I/O.

The signing chain is data (config/signing-chains.yaml): each step names the
status it waits in, the role that signs it, whether the signer must belong to the
owner department and whether distribution departments give opinions meanwhile.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from services.common.labels import edition_label
from services.contracts import signing
from services.contracts.errors import Conflict, Forbidden, InvalidInput
from services.contracts.models import Document, RevisionStatus, Role, User

S = RevisionStatus


# a step of a chain: the vocabulary's step with its policy from the YAML file
Step = signing.StepPolicy
STEP_EVENTS = signing.STEP_EVENTS


@dataclass(frozen=True)
class Chain:
    steps: tuple[Step, ...]
    author_may_sign: bool = False

    def step(self, action: str) -> Step | None:
        return next((s for s in self.steps if s.action == action), None)

    def waiting_in(self, status: RevisionStatus) -> Step | None:
        return next((s for s in self.steps if s.status == status), None)

    def after(self, step: Step | None) -> RevisionStatus:
        """The status a revision enters once `step` (None: submission) is done."""
        index = -1 if step is None else self.steps.index(step)
        return self.steps[index + 1].status if index + 1 < len(self.steps) else S.APPROVED

    def allowed_actions(self, status: RevisionStatus) -> list[str]:
        """What may happen to a revision in `status` (by someone with the right role)."""
        if status == S.DRAFT:
            return ["submit"]
        step = self.waiting_in(status)
        if step is None:
            return []
        return [step.action, *(["opinion"] if step.opinions else []), "reject"]


class SigningChains:
    """The chain of every document type, from config/signing-chains.yaml."""

    def __init__(self, config: dict):
        steps = signing.step_policies(config)
        author_may_sign = bool(config.get("author_may_sign", False))
        self._chains = {doc_type: Chain(tuple(steps[name] for name in names), author_may_sign)
                        for doc_type, names in config["chains"].items()}
        if "default" not in self._chains:
            raise ValueError("signing chains: a `default` chain is required")

    @classmethod
    def load(cls, path) -> SigningChains:
        """The chains of the file at `path` (the settings' signing_chains_file)."""
        return cls(signing.read_config(path))

    def for_type(self, doc_type: str) -> Chain:
        return self._chains.get(doc_type, self._chains["default"])


@dataclass(frozen=True)
class Transition:
    action: str
    new_status: RevisionStatus
    event: str
    decision: str


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
           status: RevisionStatus, author: str) -> Transition:
    """What `action` by `user` does to a revision in `status`, or why it may not.

    The role is checked before the state: a user who may never take the action
    gets 403; one who may, but not now, gets 409 naming the state and what is allowed.
    """
    if action == "submit":
        if not may_upload(user, document):
            raise Forbidden("only an author of the owner department may submit",
                            {"required_role": Role.AUTHOR.value,
                             "department": document.owner_department})
        _expect(chain, status, S.DRAFT, action)
        return Transition(action, chain.after(None), "version_submitted", "submitted")

    if action == "reject":
        step = chain.waiting_in(status)
        if step is None:
            if not any(_qualifies(user, s, document) for s in chain.steps):
                raise Forbidden("only a signer of the chain may reject", {})
            raise _conflict(chain, status, action)
        _check_signer(chain, user, step, document, author)
        return Transition(action, S.DRAFT, "version_rejected", "rejected")

    step = chain.step(action)
    if step is None:
        raise _conflict(chain, status, action)
    _check_signer(chain, user, step, document, author)
    _expect(chain, status, step.status, action)
    return Transition(action, chain.after(step), step.event, "favourable")


def decide_opinion(chain: Chain, user: User, document: Document, status: RevisionStatus,
                   author: str, favourable: bool, already_given: set[str]) -> Transition | None:
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
    step = chain.waiting_in(status)
    if step is None or not step.opinions:
        raise _conflict(chain, status, "opinion")
    if user.department in already_given:
        raise Conflict(f"{user.department} has already given its opinion on this revision",
                       {"department": user.department, "status": status.value})
    if favourable:
        return None
    return Transition("opinion", S.DRAFT, "version_rejected", "unfavourable")


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


def _conflict(chain: Chain, status: RevisionStatus, action: str) -> Conflict:
    allowed = chain.allowed_actions(status)
    return Conflict(f"cannot {action} a revision in status {status.value}; "
                    f"allowed: {', '.join(allowed) or 'nothing'}",
                    {"status": status.value, "allowed_actions": allowed})


def _expect(chain: Chain, status: RevisionStatus, expected: RevisionStatus,
            action: str) -> None:
    if status != expected:
        raise _conflict(chain, status, action)


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
                author: str) -> list[str]:
    """What `user` may do now to a revision in `status`: the signing inbox.
    Empty when the revision does not wait for them."""
    step = chain.waiting_in(status)
    if step is None or (user.username == author and not chain.author_may_sign):
        return []
    actions = []
    if _qualifies(user, step, document):
        actions.append(step.action)
    if step.opinions and user.has(Role.VERIFIER) and user.department in document.distribution:
        actions.append("opinion")
    return [*actions, "reject"] if step.action in actions else actions
