"""Who is told what, free of I/O (the signing chain's steps are given to `audience`;
only a caller that gives none has the file Procedura ships read, once).

Per event: the owner department (review due); the departments on the distribution list (approved, in force, superseded,
withdrawn); the next signers, as the step the revision now waits in says: the event's
`awaiting` (the step of the revision's workflow: its role in its department, or in any,
and the heads of the distribution departments when it takes their opinions; never the
author), or, for an event published before workflows, the signing chain's steps
(config/signing-chains.yaml; submitted → heads of the owner department; verified → the
monitoring committee and the heads of the distribution departments, who give their
opinions; endorsed → the approvers); a rejection goes back to the author. Nobody is
told of a document they may not read (services/contracts/confidentiality.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from services.common.labels import revision_label
from services.contracts import signing
from services.contracts.events import Awaiting, ReviewDue, RevisionTransitioned
from services.contracts.models import Role


@dataclass(frozen=True)
class Audience:
    departments: tuple[str, ...] = ()                    # everyone in these departments
    roles: tuple[tuple[Role, str | None], ...] = ()      # (role, in this department or any)
    usernames: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()                       # never these, whatever they hold


DISTRIBUTION_EVENTS = {"version_approved", "version_in_force", "version_superseded",
                       "document_withdrawn"}
NOTIFIED = DISTRIBUTION_EVENTS | {signing.SUBMIT.event, *signing.STEP_EVENT_TYPES,
                                  signing.REJECT.event, "review_due"}


def audience(event_type: str, data: RevisionTransitioned | ReviewDue,
             steps: Sequence[signing.StepPolicy] | None = None) -> Audience:
    """Who is told of `event_type`. `steps`: the signing chain's steps as the settings'
    file sets them (by default the file Procedura ships)."""
    if event_type == "review_due":
        return Audience(departments=(data.owner_department,))
    if event_type in DISTRIBUTION_EVENTS:
        return Audience(departments=tuple(sorted(set(data.distribution))))
    if event_type == signing.REJECT.event:
        return Audience(usernames=(data.author,) if data.author else ())
    if data.awaiting is not None:
        return _awaited(data, data.awaiting)
    # a step was signed: tell whoever signs next, by the status the revision is in now
    step = next((s for s in (signing.default_steps() if steps is None else steps)
                 if s.status == data.status), None)
    if step is None:
        return Audience()
    signer = (step.role, data.owner_department if step.own_department else None)
    # while the step waits, the heads of the other departments on the list give opinions
    opinions = ((Role.VERIFIER, d) for d in sorted(set(data.distribution))
                if d != data.owner_department) if step.opinions else ()
    return Audience(roles=(signer, *opinions))


def _awaited(data: RevisionTransitioned, awaiting: Awaiting) -> Audience:
    """Who may sign the step the revision entered (as the definition its chain started
    with says), and the heads who give opinions meanwhile; not its author, whom the
    documents service does not let sign their own revision."""
    opinions = ((Role.VERIFIER, d) for d in sorted(set(data.distribution))
                if d != data.owner_department) if awaiting.opinions else ()
    return Audience(roles=((awaiting.role, awaiting.department), *opinions),
                    excluded=(data.author,) if data.author else ())


def on_the_list(department: str, document) -> bool:
    """Whether `department` is among those a revision of `document` in force goes to
    (and whose people confirm it): the audience of version_in_force."""
    return department in audience("version_in_force", document).departments


def message(event_type: str, data: RevisionTransitioned | ReviewDue) -> str:
    if event_type == "review_due":
        if data.reason:   # not the periodic interval: e.g. a risk was re-assessed
            return (f"{data.code} „{data.title}” trebuie analizată până la "
                    f"{data.due_date:%d.%m.%Y}: {data.reason}.")
        return (f"{data.code} „{data.title}” trebuie analizată periodic până la "
                f"{data.due_date:%d.%m.%Y}.")
    name = revision_label(data.code, data.title, data.edition, data.revision)
    if event_type == "version_approved":
        return f"{name} a fost aprobată și se aplică în compartimentul dumneavoastră."
    if event_type == "version_in_force":
        since = f" din {data.effective_date:%d.%m.%Y}" if data.effective_date else ""
        return f"{name} este în vigoare{since}."
    if event_type == "version_superseded":
        return f"{name} a fost înlocuită de o revizie nouă; nu mai este în vigoare."
    if event_type == "document_withdrawn":
        return f"{name} a fost retrasă: {data.comment or 'fără motiv precizat'}."
    if event_type == "version_rejected":
        return (f"{name} a fost returnată la elaborare de {data.actor}"
                + (f": {data.comment}" if data.comment else "."))
    if data.awaiting is not None:
        return f"{name} {awaiting_words(data.awaiting)}"
    # a step was signed: the revision now waits for the next one
    # (an event without a waiting status has always been worded as the last step's)
    step = signing.term_for_status(data.status) or signing.STEPS[-1]
    return f"{name} {step.awaiting_ro}"


def awaiting_words(awaiting: Awaiting) -> str:
    """What the signers of a step are told waits for them: a classic step under its
    usual name in today's words, any other by its label."""
    term = signing.term_for_action(awaiting.step)
    if term in signing.STEPS and awaiting.label.ro.lower() == term.label("audit", "ro"):
        return term.awaiting_ro
    also = " sau avizul compartimentului dumneavoastră" if awaiting.opinions else ""
    quorum = (f" (sunt necesare {awaiting.quorum} semnături)" if awaiting.quorum > 1
              else "")
    return f"așteaptă {awaiting.label.ro} de la dumneavoastră{also}{quorum}."
