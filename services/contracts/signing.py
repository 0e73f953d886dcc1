"""The words of the signing chain, in one place: its steps and the other actions on a
revision, with the status each step waits in, the event it emits and its labels.

The workflows (services/contracts/workflows.py: config/workflows.yaml ships the
defaults, the quality office changes them) are the policy: which steps each document
type has, who signs each and how; this module is the vocabulary (what the steps and
actions are called in the REST API, the events, the statuses, the web interface and the
forms). Every service and the gateway take their lists from here: the actions of the
REST API, the statuses search calls "work", who is told a revision waits, the labels
of the web pages. The three steps named here (verify, endorse, approve) wait in their
own status and emit their own event; a workflow's other steps wait in `in_review`.

Plain Python over the contracts' models: no nameko, no I/O at import.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from services.contracts.models import RevisionStatus, Role

# the workflows Procedura ships (Settings.workflows_file)
CHAINS_FILE = Path(__file__).resolve().parents[2] / "config" / "workflows.yaml"

# the labels a term may have: `action` (its button), `status` (the status a step waits
# in), `signed` (the line of a signature: "Verified by"), `audit` (its entry in the
# history); each {"en": msgid of the web interface's catalog, "ro": its translation}
LABEL_KINDS = ("action", "status", "signed", "audit")


@dataclass(frozen=True, eq=False)   # each term is one object: compared and hashed as such
class Term:
    action: str                            # the verb of the REST API: verify, endorse …
    status: RevisionStatus | None = None   # the status a step waits in (None: no step)
    event: str | None = None               # the event its decision emits
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    form_operation: str | None = None      # its row of "Lista responsabililor"
    awaiting_ro: str | None = None         # what the next signer is told ("… așteaptă …")

    @property
    def audit_key(self) -> str:
        """The action its history entry is recorded under (the event, else the action)."""
        return self.event or self.action

    def label(self, kind: str, locale: str = "en") -> str:
        return self.labels[kind][locale]


def _labels(**kinds: tuple[str, str]) -> dict[str, dict[str, str]]:
    return {kind: {"en": en, "ro": ro} for kind, (en, ro) in kinds.items()}


SUBMIT = Term(
    "submit", event="version_submitted", form_operation="Elaborat",
    labels=_labels(action=("Submit for verification", "Trimite la verificare"),
                   signed=("Elaborated by", "Elaborat de"),
                   audit=("submitted", "trimitere la verificare")))
VERIFY = Term(
    "verify", RevisionStatus.IN_VERIFICATION, "version_verified", form_operation="Verificat",
    awaiting_ro="așteaptă verificarea dumneavoastră.",
    labels=_labels(action=("Verify", "Verifică"),
                   status=("In verification", "În verificare"),
                   signed=("Verified by", "Verificat de"),
                   audit=("verified", "verificare")))
OPINION = Term(
    "opinion",
    labels=_labels(action=("Give opinion", "Dă avizul"), signed=("Opinion of", "Aviz de la"),
                   audit=("opinion", "aviz")))
ENDORSE = Term(
    "endorse", RevisionStatus.IN_ENDORSEMENT, "version_endorsed", form_operation="Avizat",
    awaiting_ro="așteaptă avizarea sau analiza compartimentului dumneavoastră.",
    labels=_labels(action=("Endorse", "Avizează"),
                   status=("In endorsement", "În avizare"),
                   signed=("Endorsed by", "Avizat de"),
                   audit=("endorsed", "avizare")))
APPROVE = Term(
    "approve", RevisionStatus.IN_APPROVAL, "version_approved", form_operation="Aprobat",
    awaiting_ro="așteaptă aprobarea dumneavoastră.",
    labels=_labels(action=("Approve", "Aprobă"),
                   status=("In approval", "În aprobare"),
                   signed=("Approved by", "Aprobat de"),
                   audit=("approved", "aprobare")))
REJECT = Term(
    "reject", event="version_rejected",
    labels=_labels(action=("Reject", "Respinge"), signed=("Rejected by", "Respins de"),
                   audit=("rejected", "respingere")))
WITHDRAW = Term(
    "withdraw", event="document_withdrawn",
    labels=_labels(action=("Withdraw", "Retrage"), signed=("Withdrawn by", "Retras de"),
                   audit=("withdrawn", "retragere")))

# the steps the vocabulary names, in the order today's chains sign them (a workflow
# takes any of them, and steps of its own: config/workflows.yaml)
STEPS: tuple[Term, ...] = (VERIFY, ENDORSE, APPROVE)
# the actions on a revision that are not steps: the author submits; a department on the
# distribution list gives an opinion; a signer rejects; the quality office withdraws
OTHER_ACTIONS: tuple[Term, ...] = (SUBMIT, OPINION, REJECT, WITHDRAW)
TERMS: tuple[Term, ...] = (SUBMIT, VERIFY, OPINION, ENDORSE, APPROVE, REJECT, WITHDRAW)
# the actions of the REST API, in the order its OpenAPI document lists them: written out,
# never computed, because that order is part of the published document
ACTIONS: tuple[str, ...] = ("submit", "verify", "opinion", "endorse", "approve", "reject",
                            "withdraw")

STEP_EVENTS: dict[str, str] = {term.action: term.event for term in STEPS}
STEP_EVENT_TYPES: tuple[str, ...] = tuple(term.event for term in STEPS)
# the statuses a revision waits in for a signature (in_review: a step of a workflow
# that is not one of the vocabulary's)
WAITING_STATUSES: tuple[RevisionStatus, ...] = (
    *(term.status for term in STEPS), RevisionStatus.IN_REVIEW)
# the statuses of a revision on its way to coming into force (search's `scope=work`)
WORK_STATUSES: tuple[RevisionStatus, ...] = (
    RevisionStatus.DRAFT, *WAITING_STATUSES, RevisionStatus.APPROVED)

_BY_ACTION = {term.action: term for term in TERMS}
_BY_STATUS = {term.status: term for term in STEPS}


def term_for_action(action: str) -> Term | None:
    return _BY_ACTION.get(action)


def term_for_status(status: RevisionStatus | str | None) -> Term | None:
    """The step a revision in `status` waits for (None: it waits for no signature)."""
    return _BY_STATUS.get(status)


@dataclass(frozen=True)
class StepPolicy:
    """A step of the vocabulary as the default workflow sets it: who signs it and how."""
    action: str               # a step of the vocabulary: verify, endorse, approve
    status: RevisionStatus    # the status a revision has while this step is pending
    role: Role                # the role that signs it
    own_department: bool = False   # the signer must belong to the owner department
    opinions: bool = False    # distribution departments give opinions while it waits

    @property
    def term(self) -> Term:
        return _BY_ACTION[self.action]

    @property
    def event(self) -> str:
        """The event emitted when the step is signed."""
        return self.term.event


def step_policies(config: dict) -> dict[str, StepPolicy]:
    """The `steps:` of a signing-chains configuration (already parsed: {action: {status,
    role, own_department, opinions}}), by action.
    A step the vocabulary lacks, or one waiting in another status than the vocabulary
    says, is refused: its labels, events and inbox would be missing."""
    unknown = set(config["steps"]) - set(STEP_EVENTS)
    if unknown:
        raise ValueError(f"signing chains: unknown steps {sorted(unknown)}")
    policies = {}
    for action, spec in config["steps"].items():
        status = RevisionStatus(spec["status"])
        if status != _BY_ACTION[action].status:
            raise ValueError(f"signing chains: the step {action} waits in "
                             f"{_BY_ACTION[action].status.value}, not {status.value}")
        policies[action] = StepPolicy(action, status, Role(spec["role"]),
                                      bool(spec.get("own_department", False)),
                                      bool(spec.get("opinions", False)))
    return policies


def read_config(path: str | Path) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def workflow_steps(config: dict) -> dict:
    """The vocabulary's steps of a workflows configuration (config/workflows.yaml, parsed)
    as step_policies reads them: as the `default` workflow sets them, then as the first
    other type that has one does."""
    steps: dict[str, dict] = {}
    workflows = config["workflows"]
    for workflow in (workflows["default"], *workflows.values()):
        for spec in workflow["steps"]:
            term = _BY_ACTION.get(spec["id"])
            if term not in STEPS or spec["id"] in steps:
                continue
            steps[spec["id"]] = {"status": term.status.value, "role": spec["role"],
                                 "own_department": spec.get("department", "owner") == "owner",
                                 "opinions": bool(spec.get("opinions", False))}
    return {"steps": {term.action: steps[term.action] for term in STEPS
                      if term.action in steps}}


def load_steps(path: str | Path) -> tuple[StepPolicy, ...]:
    """The vocabulary's steps of config/workflows.yaml (or the file at `path`), in the
    vocabulary's order."""
    return tuple(step_policies(workflow_steps(read_config(path))).values())


@lru_cache(maxsize=1)
def default_steps() -> tuple[StepPolicy, ...]:
    """The steps of the policy file Procedura ships (CHAINS_FILE), read once, for a
    caller that is not given the steps the settings name."""
    return load_steps(CHAINS_FILE)
