"""Use cases of the signing chain: each step a revision takes (submit, verify, opinion,
endorse, approve, reject), its coming into force and superseding the revision before,
the signing inbox, and the periodic review."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from uuid import UUID

from services.contracts import events
from services.contracts.confidentiality import may_read
from services.contracts.errors import Conflict, Forbidden, InvalidInput
from services.contracts.models import Document, Revision, RevisionStatus, Role, Signing, User
from services.contracts.signing import WAITING_STATUSES
from services.documents import domain
from services.documents.ports import UnitOfWork
from services.documents.use_cases.reading import readable_document, readable_revision
from services.documents.use_cases.workflows import chain_of, signers_of


def transition(uow: UnitOfWork, chains: domain.SigningChains, types: domain.DocumentTypes,
               actor: str, version_id: UUID, action: str, signing: Signing,
               today: date, now: datetime | None = None,
               at_step: str | None = None) -> Revision:
    """One action on a revision in its workflow (submit, a step's signature, an opinion,
    reject); the last step's completion registers the revision and, when its effective
    date has come, brings it into force. `chains`: the workflows Procedura ships; `now`:
    when a next step starts waiting (default: the current time); `at_step`: the step the
    caller acts on, when the action does not name it (an opinion given on a step)."""
    with uow:
        repo = uow.documents
        user, revision = readable_revision(repo, actor, version_id, lock=True)
        chain, workflow = chain_of(repo, chains, revision)
        if at_step is not None:
            _expect_step(chain, revision, at_step)
        if action == "opinion":
            step = _opinion(uow, chain, user, revision, signing)
            if step is None:
                return repo.revision(version_id)
        else:
            step = domain.decide(chain, user, action, revision.document, revision.status,
                                 revision.author, revision.current_step,
                                 signers_of(repo.signatures(version_id), action))
            repo.sign(version_id, step.action, step.decision, user, signing.comment)
            if action == "submit":
                repo.start_chain(version_id, workflow.version)
        awaiting = _awaiting(chain.step(step.next_step) if step.next_step else None,
                             revision.document, now or datetime.now(timezone.utc))
        if step.step is not None and action != "reject":
            _step_signed(uow, revision, step, user, awaiting)
        if step.complete:
            _decided(uow, types, revision, step, user, signing, today, awaiting)
        else:   # a committee's step waits for more of its signers
            uow.audit.append(user.username, "step_signed", revision.document.id, version_id,
                             {"step": step.action, "signatures": step.signatures,
                              "quorum": step.step.quorum, "comment": signing.comment})
        return repo.revision(version_id)


def _expect_step(chain: domain.Chain, revision: Revision, step_id: str) -> None:
    """409 unless the revision waits in the step `step_id` now."""
    waiting = chain.waiting_in(revision.status, revision.current_step)
    if waiting is None or waiting.action != step_id:
        raise Conflict(f"the revision does not wait in the step {step_id}; it is "
                       f"{revision.status.value}" + (f" at {waiting.action}" if waiting else ""),
                       {"step": step_id, "status": revision.status.value,
                        "current_step": waiting.action if waiting else None})


def _opinion(uow: UnitOfWork, chain: domain.Chain, user: User, revision: Revision,
             signing: Signing) -> domain.Transition | None:
    """A distribution department's opinion: recorded; an unfavourable one is the
    transition back to draft it causes (None: a favourable one)."""
    repo, version_id = uow.documents, revision.version_id
    if signing.favourable is None:
        raise InvalidInput("an opinion says whether it is favourable",
                           {"field": "favourable"})
    step = domain.decide_opinion(chain, user, revision.document, revision.status,
                                 revision.author, signing.favourable,
                                 repo.opinions_this_round(version_id), revision.current_step)
    repo.sign(version_id, "opinion", "favourable" if signing.favourable else "unfavourable",
              user, signing.comment)
    if step is None:
        uow.audit.append(user.username, "opinion", revision.document.id, version_id,
                         {"decision": "favourable", "comment": signing.comment})
    return step


def _step_signed(uow: UnitOfWork, revision: Revision, step: domain.Transition,
                 user: User, awaiting: events.Awaiting | None) -> None:
    """version_step_completed: one signature of a step, and whether its quorum is reached
    (the revision's status_seq as it is once the step has moved it); a step that moves
    the revision says where to, so a step with no event of its own can be followed."""
    signed = step.step
    moved = dict(status=step.new_status, previous_status=revision.status,
                 author=revision.author, current_step=step.next_step,
                 awaiting=awaiting, transition_event=step.event) if step.complete else {}
    uow.outbox.record(events.VersionStepCompletedEvent(
        subject=revision.document.id, data=events.VersionStepCompleted(
            **_facts(revision.document), version_id=revision.version_id,
            edition=revision.edition, revision=revision.revision, step=signed.action,
            label=events.StepLabel(**signed.label), signer=user.username,
            signer_function=user.function,
            decision="favourable" if signed.opinions else "signed", quorum=signed.quorum,
            signatures=step.signatures, quorum_reached=step.complete,
            status_seq=revision.status_seq + (1 if step.complete else 0), **moved)))


def _awaiting(step: domain.Step | None, document: Document,
              now: datetime) -> events.Awaiting | None:
    """The step a revision enters, as its subscribers are told of it (None: no step)."""
    if step is None:
        return None
    return events.Awaiting(
        step=step.action, label=events.StepLabel(**step.label), role=step.role,
        department=step.department_of(document), quorum=step.quorum,
        opinions=step.opinions, deadline_working_days=step.deadline_working_days,
        entered_at=now)


def _decided(uow: UnitOfWork, types: domain.DocumentTypes, revision: Revision,
             step: domain.Transition, user: User, signing: Signing, today: date,
             awaiting: events.Awaiting | None = None) -> None:
    """The revision moves as `step` says; approval registers it (and brings it into
    force when its effective date has come)."""
    repo, version_id = uow.documents, revision.version_id
    registration = {}
    if step.new_status == RevisionStatus.APPROVED:
        effective = domain.effective_date(signing.effective_date, today)
        number = domain.registry_number(repo.next_registry_number(today.year), today.year)
        repo.register_approval(version_id, number, today, effective)
        registration = {"registry_number": number, "effective_date": effective}
    _move(uow, revision.document, revision, step.new_status, step.event, user,
          signing.comment, current_step=step.next_step, awaiting=awaiting, **registration)
    if registration and registration["effective_date"] <= today:
        _bring_into_force(uow, version_id, user, types)


def signing_inbox(uow: UnitOfWork, chains: domain.SigningChains,
                  actor: str) -> list[tuple[Revision, list[str]]]:
    """The revisions waiting for `actor`'s signature or opinion, oldest first."""
    with uow:
        repo = uow.documents
        user = repo.user(actor)
        inbox, seen = [], {}
        for revision in repo.revisions_in(WAITING_STATUSES):
            document = revision.document
            if not may_read(user, document):
                continue
            chain = _chain(repo, chains, revision, seen)
            step = chain.waiting_in(revision.status, revision.current_step)
            signed = signers_of(repo.signatures(revision.version_id), step.action) \
                if step else set()
            actions = domain.waiting_for(chain, user, document, revision.status,
                                         revision.author, revision.current_step, signed)
            if "opinion" in actions and user.department in repo.opinions_this_round(
                    revision.version_id):
                actions.remove("opinion")
            if actions:
                inbox.append((revision, actions))
        return sorted(inbox, key=lambda item: item[0].created_at)


def _chain(repo, chains: domain.SigningChains, revision: Revision,
           seen: dict) -> domain.Chain:
    """The chain a waiting `revision` follows, each (type, version) read once per inbox."""
    key = (revision.document.type.value, revision.workflow_version)
    if key not in seen:
        seen[key] = chain_of(repo, chains, revision)[0]
    return seen[key]


def bring_due_into_force(uow: UnitOfWork, types: domain.DocumentTypes, today: date) -> int:
    """Approved revisions whose effective date has come enter into force (the timer)."""
    count = 0
    with uow:
        repo = uow.documents
        for version_id in repo.due_for_force(today):
            _bring_into_force(uow, version_id, None, types)
            count += 1
    return count


def announce_reviews(uow: UnitOfWork, types: domain.DocumentTypes, today: date) -> int:
    """review_due for every document whose periodic review is near (once per due date)."""
    until = today + timedelta(days=types.review_notice_days)
    with uow:
        repo = uow.documents
        documents = repo.reviews_to_announce(until)
        for document in documents:
            repo.review_announced(document.id, document.next_review_date)
            uow.audit.append("system", "review_due", document.id,
                             details={"due_date": document.next_review_date.isoformat()})
            uow.outbox.record(events.ReviewDueEvent(
                subject=document.id, data=events.ReviewDue(
                    **_facts(document), due_date=document.next_review_date)))
    return len(documents)


def reviewed_without_change(uow: UnitOfWork, types: domain.DocumentTypes, actor: str,
                            document_id: UUID, comment: str, today: date) -> Document:
    """"Reviewed, no change": the next review moves one interval on, no new revision."""
    with uow:
        repo = uow.documents
        user, document = readable_document(repo, actor, document_id, lock=True)
        head = user.has(Role.VERIFIER) and user.department == document.owner_department
        if not (head or user.has(Role.QMS_ADMIN)):
            raise Forbidden("the head of the owner department or the quality office "
                            "records a review", {"department": document.owner_department})
        if document.next_review_date is None:
            raise Conflict("nothing of this document is in force to review",
                           {"status": document.status.value})
        due = domain.add_months(today, types.review_months(document.type.value))
        repo.set_next_review(document_id, due)
        uow.audit.append(actor, "reviewed_without_change", document_id,
                         details={"comment": comment, "next_review_date": due.isoformat()})
        return repo.document(document_id)


def _bring_into_force(uow: UnitOfWork, version_id: UUID, user: User | None,
                      types: domain.DocumentTypes) -> None:
    """The revision comes into force; the one in force before is superseded; the next
    periodic review is due one interval after its effective date."""
    repo = uow.documents
    revision = repo.revision(version_id)
    document = revision.document
    repo.set_next_review(document.id, domain.add_months(
        revision.effective_date, types.review_months(document.type.value)))
    previous = repo.in_force(document.id)
    if previous is not None and previous != version_id:
        old = repo.revision(previous)
        _move(uow, document, old, RevisionStatus.SUPERSEDED, "version_superseded", user,
              f"înlocuită de Ediția {revision.edition}, Revizia {revision.revision}")
    _move(uow, document, revision, RevisionStatus.IN_FORCE, "version_in_force", user,
          "", registry_number=revision.registry_number, effective_date=revision.effective_date)
    repo.mark_in_force(version_id)


def _move(uow: UnitOfWork, document: Document, revision: Revision, status: RevisionStatus,
          event_type: str | None, user: User | None, comment: str,
          current_step: str | None = None, awaiting: events.Awaiting | None = None,
          **extra) -> None:
    """Change a revision's status (and the step it waits for, `awaiting` its signers)
    and record the event in the same transaction (`event_type` None: a step with no
    event of its own, whose version_step_completed says where the revision went)."""
    seq = uow.documents.set_status(revision.version_id, status, current_step)
    uow.audit.append(user.username if user else "system",
                     event_type or "version_step_completed", document.id,
                     revision.version_id, {"from": revision.status.value, "to": status.value,
                                           "comment": comment,
                                           **({"step": current_step} if current_step else {}),
                                           **{k: str(v) for k, v in extra.items()}})
    if event_type is None:
        return
    uow.outbox.record(events.ALL_EVENTS[event_type](
        subject=document.id, data=events.RevisionTransitioned(
            **_facts(document), version_id=revision.version_id, edition=revision.edition,
            revision=revision.revision, status=status, previous_status=revision.status,
            status_seq=seq, actor=user.username if user else "system",
            actor_function=user.function if user else "", comment=comment,
            author=revision.author, current_step=current_step, awaiting=awaiting,
            **extra)))


def _facts(document: Document) -> dict:
    return dict(document_id=document.id, code=document.code, title=document.title,
                type=document.type, owner_department=document.owner_department,
                distribution=document.distribution, confidential=document.confidential)
