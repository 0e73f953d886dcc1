"""The quality office's workflow editor as a plain form: a fieldset per step, read back
into the Workflow shape the documents service's `put_workflow` takes; its buttons (add a
step, remove one, move it up or down) are submit buttons `op` = add, remove:2, up:2,
down:2 that the server applies and answers with the form again, so the editor works
without JavaScript. A refusal of `put_workflow` (422, each problem naming its field as
`steps[2].role` or `steps.2.role`) becomes a Romanian message next to that field."""
from __future__ import annotations

import re

from services.contracts.errors import InvalidInput
from services.contracts.models import Role
from services.gateway.ui.render import N_

MAX_STEPS = 30
STEP_FIELDS = ("id", "label_ro", "label_en", "signed_ro", "signed_en", "role", "department",
               "quorum", "deadline")
# what a refused field means, as the quality office reads it (translated where shown)
FIELD_MESSAGES = {
    "id": N_("Use lowercase letters, digits and dashes (e.g. avizare-juridica), at most "
             "40; each step has its own."),
    "label": N_("Give the step's name in Romanian and in English."),
    "signed_label": N_("Give the signature's line in Romanian and in English, or leave "
                       "both empty."),
    "role": N_("Choose one of the roles."),
    "department": N_("Choose the owner department, any department or a department of the "
                     "organisation."),
    "opinions": N_("Tick the box or leave it empty."),
    "quorum": N_("The quorum is a whole number from 1 to 50."),
    "deadline_working_days": N_("The deadline is a whole number of working days from 1 to "
                                "365, or empty."),
    "steps": N_("A workflow has at least one step, each with its own id."),
    "author_may_sign": N_("Tick the box or leave it empty."),
}
OTHER_PROBLEM = N_("This value is not accepted.")
_PATH = re.compile(r"^steps(?:\[(\d+)\]|\.(\d+))(?:\.([a-z_]+))?")


def steps_from_form(form) -> list[dict]:
    """The steps of the form, as its fields hold them (strings; nothing checked yet)."""
    try:
        count = min(int(form.get("steps", "0")), MAX_STEPS)
    except ValueError:
        count = 0
    steps = []
    for i in range(count):
        step = {name: form.get(f"step-{i}-{name}", "").strip() for name in STEP_FIELDS}
        step["opinions"] = form.get(f"step-{i}-opinions") == "on"
        steps.append(step)
    return steps


def apply(op: str, steps: list[dict]) -> list[dict]:
    """The steps after the editor's button `op` (add, remove:i, up:i, down:i)."""
    steps = list(steps)
    verb, _, where = op.partition(":")
    i = int(where) if where.isdigit() else -1
    if verb == "add" and len(steps) < MAX_STEPS:
        steps.append(blank_step())
    elif verb == "remove" and 0 <= i < len(steps):
        del steps[i]
    elif verb == "up" and 0 < i < len(steps):
        steps[i - 1], steps[i] = steps[i], steps[i - 1]
    elif verb == "down" and 0 <= i < len(steps) - 1:
        steps[i], steps[i + 1] = steps[i + 1], steps[i]
    return steps


def blank_step() -> dict:
    return {"id": "", "label_ro": "", "label_en": "", "signed_ro": "", "signed_en": "",
            "role": Role.VERIFIER.value, "department": "owner", "opinions": False,
            "quorum": "1", "deadline": ""}


def form_step(step: dict) -> dict:
    """A stored WorkflowStep as the form's fields."""
    label, signed = step.get("label") or {}, step.get("signed_label") or {}
    deadline = step.get("deadline_working_days")
    return {"id": step.get("id", ""), "label_ro": label.get("ro", ""),
            "label_en": label.get("en", ""), "signed_ro": signed.get("ro", ""),
            "signed_en": signed.get("en", ""), "role": step.get("role", ""),
            "department": step.get("department", ""), "opinions": bool(step.get("opinions")),
            "quorum": str(step.get("quorum", 1)),
            "deadline": "" if deadline is None else str(deadline)}


def workflow(steps: list[dict], author_may_sign: bool) -> dict:
    """The Workflow dict of the form's steps. Numbers that are not numbers go as typed:
    the documents service refuses them, naming the field."""
    return {"author_may_sign": author_may_sign, "steps": [_step(s) for s in steps]}


def _step(fields: dict) -> dict:
    step = {"id": fields["id"], "label": {"ro": fields["label_ro"], "en": fields["label_en"]},
            "role": fields["role"], "department": fields["department"],
            "opinions": fields["opinions"], "quorum": _number(fields["quorum"]),
            "deadline_working_days": _number(fields["deadline"]) if fields["deadline"]
            else None}
    if fields["signed_ro"] or fields["signed_en"]:
        # a line in one language only: the other takes the step's own label
        step["signed_label"] = {"ro": fields["signed_ro"] or fields["label_ro"],
                                "en": fields["signed_en"] or fields["label_en"]}
    return step


def _number(text: str):
    return int(text) if re.fullmatch(r"-?\d{1,6}", text) else text


def field_errors(exc: InvalidInput) -> tuple[dict[str, str], list[str]]:
    """The problems of a refusal: {"2.role": msgid} for a step's field, and the msgids of
    the workflow's own (the step list, author_may_sign, or a field not named)."""
    details = exc.details or {}
    fields = [p.get("field", "") for p in details.get("fields") or []]
    if details.get("field"):
        fields.append(details["field"])
    by_step, general = {}, []
    for path in fields or [""]:
        found = _PATH.match(path)
        if found:
            index = found.group(1) or found.group(2)
            name = found.group(3) or "id"
            by_step[f"{index}.{name}"] = FIELD_MESSAGES.get(name, OTHER_PROBLEM)
        else:
            message = FIELD_MESSAGES.get(path.split(".")[0], FIELD_MESSAGES["steps"])
            if message not in general:
                general.append(message)
    return by_step, general
