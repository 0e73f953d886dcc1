"""A document type's workflow as data: the steps a revision takes after its author
submits it, who signs each, how many of them, and what the forms call it.

The quality office changes a type's workflow through `PUT /api/workflows/{type}`; the
defaults Procedura ships are config/workflows.yaml. A step whose id is one of the
vocabulary's steps (verify, endorse, approve: services/contracts/signing.py) waits in
that step's status and emits its event; any other id waits in `in_review`, the revision's
`current_step` naming it (docs/adr/0007-workflows-as-data.md).

Plain pydantic over the contracts' models: no nameko, no I/O at import.
"""
from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from services.contracts import signing
from services.contracts.errors import InvalidInput
from services.contracts.models import DEPARTMENT_CODE, Line, Model, Role

# the defaults Procedura ships (Settings.workflows_file)
WORKFLOWS_FILE = Path(__file__).resolve().parents[2] / "config" / "workflows.yaml"
STEP_ID = r"^[a-z0-9]+(-[a-z0-9]+)*$"
OWNER, ANY = "owner", "any"
# the actions on a revision that are not steps: a step of that name could not be told
# apart from them in `allowed_actions` and the REST API
RESERVED_IDS = frozenset(term.action for term in signing.OTHER_ACTIONS)


class Labels(Model):
    """A word in both languages of the interface."""
    ro: Line = Field(min_length=1, max_length=120)
    en: Line = Field(min_length=1, max_length=120)


class WorkflowStep(Model):
    id: str = Field(pattern=STEP_ID, max_length=40)
    label: Labels
    # the row of "Lista responsabililor" and the line of a signature ("Avizat juridic");
    # by default the vocabulary's for verify, endorse, approve, else the label
    signed_label: Labels | None = None
    role: Role
    # "owner": the document's owner department; "any"; or a department's code
    department: str = OWNER
    opinions: bool = False      # distribution departments give opinions meanwhile
    quorum: int = Field(default=1, ge=1, le=50)   # different signers needed
    deadline_working_days: int | None = Field(default=None, ge=1, le=365)

    @field_validator("department")
    @classmethod
    def _department(cls, value: str) -> str:
        if value in (OWNER, ANY) or re.match(DEPARTMENT_CODE, value):
            return value
        raise ValueError("must be owner, any or a department code")

    @field_validator("id")
    @classmethod
    def _not_an_action(cls, value: str) -> str:
        if value in RESERVED_IDS:
            raise ValueError(f"{value} is an action on a revision, not a step")
        return value

    @model_validator(mode="after")
    def _signed_label(self) -> WorkflowStep:
        if self.signed_label is None:
            object.__setattr__(self, "signed_label", default_signed_label(self.id, self.label))
        return self

    @property
    def classic(self) -> signing.Term | None:
        """The vocabulary's step of this id (its status and event), None for another."""
        term = signing.term_for_action(self.id)
        return term if term in signing.STEPS else None


class Workflow(Model):
    author_may_sign: bool = False    # OSGG 600 practice: the author signs no later step
    steps: list[WorkflowStep] = Field(min_length=1, max_length=30)

    def step(self, step_id: str) -> WorkflowStep | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def departments(self) -> list[str]:
        """The department codes its steps name (checked against the organisation)."""
        return sorted({s.department for s in self.steps} - {OWNER, ANY})


class StoredWorkflow(Model):
    """A version of a type's workflow, as `GET /api/workflows/{type}` answers it."""
    type: str
    version: int = Field(ge=1)       # 1: the default Procedura ships
    workflow: Workflow
    changed_by: str
    changed_at: datetime | None = None
    comment: str = ""


class Signer(Model):
    username: str
    name: str
    function: str


class StepSignature(Signer):
    decision: str
    at: datetime


class StepProgress(Model):
    """A step of a revision's workflow and how far it is signed."""
    id: str
    label: Labels
    signed_label: Labels
    role: Role
    department: str
    quorum: int
    opinions: bool
    state: Literal["done", "current", "waiting"]
    signed_by: list[StepSignature]
    awaited: list[Signer]     # the current step's: who may still sign it


class Progress(Model):
    """Where a revision stands in the workflow it follows (`GET
    /api/versions/{id}/workflow`)."""
    type: str
    workflow_version: int
    status: str
    current_step: str | None
    steps: list[StepProgress]


def default_signed_label(step_id: str, label: Labels) -> Labels:
    """Verificat / Avizat / Aprobat for the vocabulary's steps (the forms' words), the
    step's own label for another."""
    term = signing.term_for_action(step_id)
    if term in signing.STEPS:
        return Labels(ro=term.form_operation,
                      en=term.label("signed", "en").removesuffix(" by"))
    return label


def parse_workflow(data, model: type[Workflow] = Workflow) -> Workflow:
    """A workflow from JSON or YAML (as `model`: a Workflow or a request holding one), or
    InvalidInput naming each offending field as a path (`steps[2].role`, `steps[1].id`,
    `steps`)."""
    try:
        workflow = model.model_validate(data)
    except ValidationError as exc:
        problems = [{"field": field_path(err["loc"]), "problem": err["msg"]}
                    for err in exc.errors()]
        raise InvalidInput(f"invalid {', '.join(p['field'] for p in problems)}",
                           {"field": problems[0]["field"], "fields": problems}) from None
    seen: set[str] = set()
    for index, step in enumerate(workflow.steps):
        if step.id in seen:
            field = f"steps[{index}].id"
            raise InvalidInput(f"the step id {step.id} is repeated ({field})",
                               {"field": field, "fields": [
                                   {"field": field, "problem": "ids must be unique"}]})
        seen.add(step.id)
    return workflow


def unknown_departments(workflow: Workflow, missing: list[str]) -> InvalidInput:
    """The 422 for steps naming departments the organisation lacks (`missing`)."""
    problems = [{"field": f"steps[{i}].department", "problem": f"no department {s.department}"}
                for i, s in enumerate(workflow.steps) if s.department in missing]
    return InvalidInput(f"unknown department(s): {', '.join(missing)}",
                        {"field": problems[0]["field"], "fields": problems,
                         "unknown": missing})


def field_path(loc) -> str:
    """pydantic's ("steps", 2, "role") as `steps[2].role`."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


def load_workflows(path: str | Path = WORKFLOWS_FILE) -> dict[str, Workflow]:
    """The `workflows:` of config/workflows.yaml (or the file at `path`) by type; a
    `default` is required (a type not listed uses it)."""
    with open(path, encoding="utf-8") as fh:
        config = yaml.safe_load(fh)
    workflows = {doc_type: parse_workflow(spec)
                 for doc_type, spec in config["workflows"].items()}
    if "default" not in workflows:
        raise ValueError(f"{path}: a `default` workflow is required")
    return workflows
