"""Use cases of the documents service: plain functions over a Database, the outbox
and (for uploads) the versioning RPC."""
from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID, uuid4

from services.common.outbox import record
from services.contracts import events
from services.contracts.confidentiality import may_read
from services.contracts.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.contracts.models import (
    ChangeNote, Document, NewDocument, Numbering, Organisation, Revision, RevisionStatus, Role,
    Signing, StagedUpload, StoreVersion, User, Version, VersionManifest)
from services.documents import domain
from services.documents.adapters import audit
from services.documents.use_cases import logins
from services.documents.domain import register as register_rules
from services.documents.adapters.repository import Repository, no_version

_TRANSITION_EVENTS = {
    "version_submitted": events.VersionSubmittedEvent,
    "version_verified": events.VersionVerifiedEvent,
    "version_endorsed": events.VersionEndorsedEvent,
    "version_approved": events.VersionApprovedEvent,
    "version_in_force": events.VersionInForceEvent,
    "version_superseded": events.VersionSupersededEvent,
    "version_rejected": events.VersionRejectedEvent,
    "document_withdrawn": events.DocumentWithdrawnEvent,
    "version_archived": events.VersionArchivedEvent,
}


def load_organisation(db, organisation: Organisation, auth=None) -> dict:
    """Create or update departments and staff (passwords are hashed here). A person whose
    password changes, or who is no longer active, loses every session and token. When
    the directory is the source of people (`auth.backend: ldap`), the file gives the
    departments and at most the break-glass account; its other people are left out."""
    directory = auth is not None and auth.backend == "ldap"
    members = [m for m in organisation.users
               if not directory or m.username == auth.break_glass_user]
    with db.transaction() as cur:
        repo = Repository(cur)
        for department in organisation.departments:
            repo.save_department(department.code, department.name)
        for member in members:
            user = User.model_validate(member.model_dump(exclude={"password", "active"}))
            stored = repo.any_password_hash(user.username)
            unchanged = stored is not None and (not member.active
                                                or logins.verifies(stored, member.password))
            repo.save_staff(user, stored if unchanged else logins.hash_password(member.password),
                            member.active)
            if stored is not None and not unchanged:
                logins.revoke_everything_of(cur, user.username, "password_changed")
            if not member.active:
                logins.revoke_everything_of(cur, user.username, "deactivated")
    return {"departments": len(organisation.departments), "users": len(members),
            "users_left_to_the_directory": len(organisation.users) - len(members)}


def readable_document(repo: Repository, actor: str, document_id: UUID,
                      lock: bool = False) -> tuple[User, Document]:
    """The document, if `actor` may see it; a confidential one is 404 to others."""
    user = repo.user(actor)
    document = repo.document(document_id, lock=lock)
    if not may_read(user, document):
        raise NotFound(f"no document {document_id}", {"document_id": str(document_id)})
    return user, document


def readable_revision(repo: Repository, actor: str, version_id: UUID,
                      lock: bool = False) -> tuple[User, Revision]:
    """The revision, if `actor` may read its document; a version of a document they may
    not read answers exactly as a version that does not exist (nothing of its document)."""
    revision = repo.revision(version_id, lock=lock)
    user = repo.user(actor)
    if not may_read(user, revision.document):
        raise no_version(version_id)
    return user, revision


def register(db, types: domain.DocumentTypes, actor: str, new: NewDocument,
             retention: register_rules.Retention | None = None) -> Document:
    retention = retention or register_rules.Retention(None)
    with db.transaction() as cur:
        repo = Repository(cur)
        user = repo.user(actor)
        if not domain.may_register(user, new.owner_department):
            raise Forbidden("only the quality office or an author of the owner department "
                            "may register a document",
                            {"owner_department": new.owner_department})
        missing = repo.missing_departments([new.owner_department, *new.distribution])
        if missing:
            raise InvalidInput(f"unknown department(s): {', '.join(missing)}",
                               {"field": "distribution" if new.owner_department not in missing
                                else "owner_department", "unknown": missing})
        types.check_code(new.type.value, new.code, new.owner_department)
        register_rules.check_external_origin(new.type, new.model_dump())
        retention_class = retention.class_for(new.type.value, new.retention_class)
        check_links(repo, user, new.links)
        document_id = uuid4()
        repo.insert_document(document_id, new, actor, retention_class)
        document = repo.document(document_id)
        audit.append(cur, actor, "register", document_id,
                     details=new.model_dump(mode="json"))
        record(cur, events.DocumentRegisteredEvent(
            subject=document_id,
            data=events.DocumentRegistered(**_facts(document), registered_by=actor)))
        return document


def check_links(repo: Repository, user: User, links) -> None:
    """Every link names a document of the register that `user` may read (422 naming the
    link otherwise: one they may not read is as unknown as one that does not exist)."""
    ids = [link.document_id for link in links]
    known = {d.id for d in repo.documents_by_id(ids) if may_read(user, d)}
    missing = sorted({str(i) for i in ids if i not in known})
    if missing:
        raise InvalidInput(f"links name unknown document(s): {', '.join(missing)}",
                           {"field": "links", "unknown": missing})


def hidden_links(repo: Repository, user: User, document: Document) -> list:
    """The document's links to documents `user` may not read."""
    if not document.links:
        return []
    targets = {d.id: d for d in repo.documents_by_id([link.document_id
                                                      for link in document.links])}
    return [link for link in document.links
            if link.document_id in targets and not may_read(user, targets[link.document_id])]


def as_seen_by(repo: Repository, user: User, document: Document) -> Document:
    """The document as `user` sees it: without links to documents they may not read."""
    hidden = hidden_links(repo, user, document)
    if not hidden:
        return document
    return document.model_copy(update={"links": [link for link in document.links
                                                 if link not in hidden]})


def add_revision(db, versioning, actor: str, document_id: UUID, staged: StagedUpload,
                 note: ChangeNote, restored_from: UUID | None = None,
                 numbering: Numbering | None = None) -> Version:
    """Store an upload as the next revision; returns once version and draft both exist.
    `numbering`: the edition and revision of a first version (see domain.first_number)."""
    with db.transaction() as cur:
        repo = Repository(cur)
        user, document = readable_document(repo, actor, document_id, lock=True)
        if not domain.may_upload(user, document):
            raise Forbidden("only an author of the owner department may upload a version",
                            {"department": document.owner_department})
        if document.disposed_at is not None:
            raise Conflict("the document was disposed of: it takes no new versions",
                           {"status": RevisionStatus.DISPOSED.value, "allowed_actions": []})
        latest = repo.latest_number(document_id)
        edition, revision = (domain.first_number(latest, numbering) if numbering else
                             domain.next_number(latest, document.next_edition))
        request = StoreVersion(version_id=uuid4(), document_id=document_id, edition=edition,
                               revision=revision, staged=staged, author=actor,
                               change_summary=note.change_summary)
        # The document row stays locked while versioning stores the bytes, so two
        # uploads of one document cannot take the same number.
        manifest = VersionManifest.model_validate(
            versioning.store_version(request.model_dump(mode="json")))
        repo.insert_revision(manifest.id, document_id, edition, revision, actor, note,
                             restored_from)
        repo.set_current_version(document_id, manifest.id)
        audit.append(cur, actor, "restore" if restored_from else "upload", document_id,
                     manifest.id, {"edition": edition, "revision": revision,
                                   "filename": manifest.filename, "sha256": manifest.sha256,
                                   "restored_from": str(restored_from) if restored_from
                                   else None, **note.model_dump()})
        return Version.combine(repo.revision(manifest.id), manifest)


def restore(db, versioning, actor: str, document_id: UUID, version_id: UUID,
            note: ChangeNote) -> Version:
    """A superseded version comes back as a new draft revision (a new version; the old
    one stays as it is)."""
    with db.transaction() as cur:
        repo = Repository(cur)
        readable_document(repo, actor, document_id)
        revision = repo.revision(version_id)
        if revision.document.id != document_id:   # of another document: none of this one
            raise no_version(version_id)
        if revision.status != RevisionStatus.SUPERSEDED:
            raise Conflict(f"only a superseded version can be restored; this one is "
                           f"{revision.status.value}", {"status": revision.status.value})
    staged = StagedUpload.model_validate(versioning.stage_copy(str(version_id)))
    if not note.change_summary:
        note = note.model_copy(update={"change_summary": (
            f"Restaurată din Ediția {revision.edition}, Revizia {revision.revision}")})
    return add_revision(db, versioning, actor, document_id, staged, note,
                        restored_from=version_id)


def request_new_edition(db, actor: str, document_id: UUID) -> Document:
    """The next upload starts a new edition at revision 0."""
    with db.transaction() as cur:
        repo = Repository(cur)
        user, document = readable_document(repo, actor, document_id, lock=True)
        if not (domain.may_upload(user, document) or user.has(Role.QMS_ADMIN)):
            raise Forbidden("only an author of the owner department or the quality office "
                            "may start a new edition", {"department": document.owner_department})
        repo.request_new_edition(document_id)
        audit.append(cur, actor, "new_edition", document_id)
        return repo.document(document_id)


def withdraw(db, actor: str, version_id: UUID, reason: str) -> Revision:
    """The quality office withdraws a revision in force (with a reason)."""
    with db.transaction() as cur:
        repo = Repository(cur)
        user, revision = readable_revision(repo, actor, version_id, lock=True)
        document = revision.document
        if not domain.may_withdraw(user):
            raise Forbidden("only the quality office may withdraw a document",
                            {"required_role": Role.QMS_ADMIN.value})
        if revision.status != RevisionStatus.IN_FORCE:
            raise Conflict(f"only a revision in force can be withdrawn; this one is "
                           f"{revision.status.value}", {"status": revision.status.value,
                                                        "allowed_actions": []})
        if not reason.strip():
            raise InvalidInput("a withdrawal needs a reason", {"field": "comment"})
        repo.sign(version_id, "withdraw", "withdrawn", user, reason)
        _move(repo, cur, document, revision, RevisionStatus.WITHDRAWN, "document_withdrawn",
              user, reason)
        return repo.revision(version_id)


def require_quality_office(repo: Repository, actor: str) -> User:
    user = repo.user(actor)
    if not user.has(Role.QMS_ADMIN):
        raise Forbidden("only the quality office may read the audit trail",
                        {"required_role": Role.QMS_ADMIN.value})
    return user


def get_revision(db, actor: str | None, version_id: UUID) -> Revision:
    """`actor` None: a trusted service asking (search, notifications)."""
    with db.transaction() as cur:
        repo = Repository(cur)
        if actor is None:
            return repo.revision(version_id)
        return readable_revision(repo, actor, version_id)[1]


def transition(db, chains: domain.SigningChains, types: domain.DocumentTypes, actor: str,
               version_id: UUID, action: str, signing: Signing, today: date) -> Revision:
    """One step of the signing chain; approval registers the revision and, when its
    effective date has come, brings it into force."""
    with db.transaction() as cur:
        repo = Repository(cur)
        user, revision = readable_revision(repo, actor, version_id, lock=True)
        document = revision.document
        chain = chains.for_type(document.type.value)
        if action == "opinion":
            if signing.favourable is None:
                raise InvalidInput("an opinion says whether it is favourable",
                                   {"field": "favourable"})
            step = domain.decide_opinion(chain, user, document, revision.status,
                                         revision.author, signing.favourable,
                                         repo.opinions_this_round(version_id))
            repo.sign(version_id, "opinion",
                      "favourable" if signing.favourable else "unfavourable", user,
                      signing.comment)
            if step is None:
                audit.append(cur, user.username, "opinion", document.id, version_id,
                             {"decision": "favourable", "comment": signing.comment})
                return repo.revision(version_id)
        else:
            step = domain.decide(chain, user, action, document, revision.status,
                                 revision.author)
            repo.sign(version_id, step.action, step.decision, user, signing.comment)
        registration = {}
        if step.new_status == RevisionStatus.APPROVED:
            effective = domain.effective_date(signing.effective_date, today)
            number = domain.registry_number(repo.next_registry_number(today.year), today.year)
            repo.register_approval(version_id, number, today, effective)
            registration = {"registry_number": number, "effective_date": effective}
        _move(repo, cur, document, revision, step.new_status, step.event, user,
              signing.comment, **registration)
        if registration and registration["effective_date"] <= today:
            _bring_into_force(repo, cur, version_id, user, types)
        return repo.revision(version_id)


def bring_due_into_force(db, types: domain.DocumentTypes, today: date) -> int:
    """Approved revisions whose effective date has come enter into force (the timer)."""
    count = 0
    with db.transaction() as cur:
        repo = Repository(cur)
        for version_id in repo.due_for_force(today):
            _bring_into_force(repo, cur, version_id, None, types)
            count += 1
    return count


def announce_reviews(db, types: domain.DocumentTypes, today: date) -> int:
    """review_due for every document whose periodic review is near (once per due date)."""
    until = today + timedelta(days=types.review_notice_days)
    with db.transaction() as cur:
        repo = Repository(cur)
        documents = repo.reviews_to_announce(until)
        for document in documents:
            repo.review_announced(document.id, document.next_review_date)
            audit.append(cur, "system", "review_due", document.id,
                         details={"due_date": document.next_review_date.isoformat()})
            record(cur, events.ReviewDueEvent(subject=document.id, data=events.ReviewDue(
                **_facts(document), due_date=document.next_review_date)))
    return len(documents)


def reviewed_without_change(db, types: domain.DocumentTypes, actor: str, document_id: UUID,
                            comment: str, today: date) -> Document:
    """"Reviewed, no change": the next review moves one interval on, no new revision."""
    with db.transaction() as cur:
        repo = Repository(cur)
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
        audit.append(cur, actor, "reviewed_without_change", document_id,
                     details={"comment": comment, "next_review_date": due.isoformat()})
        return repo.document(document_id)


def _bring_into_force(repo: Repository, cur, version_id: UUID, user: User | None,
                      types: domain.DocumentTypes) -> None:
    """The revision comes into force; the one in force before is superseded; the next
    periodic review is due one interval after its effective date."""
    revision = repo.revision(version_id)
    document = revision.document
    repo.set_next_review(document.id, domain.add_months(
        revision.effective_date, types.review_months(document.type.value)))
    previous = repo.in_force(document.id)
    if previous is not None and previous != version_id:
        old = repo.revision(previous)
        _move(repo, cur, document, old, RevisionStatus.SUPERSEDED, "version_superseded",
              user, f"înlocuită de Ediția {revision.edition}, Revizia {revision.revision}")
    _move(repo, cur, document, revision, RevisionStatus.IN_FORCE, "version_in_force", user,
          "", registry_number=revision.registry_number, effective_date=revision.effective_date)
    repo.mark_in_force(version_id)


def _move(repo: Repository, cur, document: Document, revision: Revision,
          status: RevisionStatus, event_type: str, user: User | None, comment: str,
          **extra) -> None:
    """Change a revision's status and record the event in the same transaction."""
    seq = repo.set_status(revision.version_id, status)
    audit.append(cur, user.username if user else "system", event_type, document.id,
                 revision.version_id, {"from": revision.status.value, "to": status.value,
                                       "comment": comment,
                                       **{k: str(v) for k, v in extra.items()}})
    record(cur, _TRANSITION_EVENTS[event_type](
        subject=document.id, data=events.RevisionTransitioned(
            **_facts(document), version_id=revision.version_id, edition=revision.edition,
            revision=revision.revision, status=status, previous_status=revision.status,
            status_seq=seq, actor=user.username if user else "system",
            actor_function=user.function if user else "", comment=comment,
            author=revision.author, **extra)))


def _facts(document: Document) -> dict:
    return dict(document_id=document.id, code=document.code, title=document.title,
                type=document.type, owner_department=document.owner_department,
                distribution=document.distribution, confidential=document.confidential)


def signing_inbox(db, chains: domain.SigningChains, actor: str) -> list[tuple[Revision, list[str]]]:
    """The revisions waiting for `actor`'s signature or opinion, oldest first."""
    waiting = {RevisionStatus.IN_VERIFICATION, RevisionStatus.IN_ENDORSEMENT,
               RevisionStatus.IN_APPROVAL}
    with db.transaction() as cur:
        repo = Repository(cur)
        user = repo.user(actor)
        inbox = []
        for revision in repo.all_revisions():
            document = revision.document
            if revision.status not in waiting or not may_read(user, document):
                continue
            actions = domain.waiting_for(chains.for_type(document.type.value), user, document,
                                         revision.status, revision.author)
            if "opinion" in actions and user.department in repo.opinions_this_round(
                    revision.version_id):
                actions.remove("opinion")
            if actions:
                inbox.append((revision, actions))
        return sorted(inbox, key=lambda item: item[0].created_at)
