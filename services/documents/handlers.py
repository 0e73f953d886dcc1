"""Use cases of the documents service: plain functions over a Database, the outbox
and (for uploads) the versioning RPC."""
from __future__ import annotations

from uuid import UUID, uuid4

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError

from services.common.outbox import record
from services.contracts import events
from services.contracts.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from services.contracts.models import (
    Document, NewDocument, Organisation, Revision, StagedUpload, StoreVersion, User,
    Version, VersionManifest)
from services.documents import domain
from services.documents.repository import Repository

_hasher = PasswordHasher()
_TRANSITION_EVENTS = {
    "version_submitted": events.VersionSubmittedEvent,
    "version_verified": events.VersionVerifiedEvent,
    "version_approved": events.VersionApprovedEvent,
    "version_rejected": events.VersionRejectedEvent,
}


def load_organisation(db, organisation: Organisation) -> dict:
    """Create or update departments and staff (passwords are hashed here)."""
    with db.transaction() as cur:
        repo = Repository(cur)
        for department in organisation.departments:
            repo.save_department(department.code, department.name)
        for member in organisation.users:
            user = User.model_validate(member.model_dump(exclude={"password"}))
            repo.save_staff(user, _hasher.hash(member.password))
    return {"departments": len(organisation.departments), "users": len(organisation.users)}


def authenticate(db, username: str, password: str) -> User:
    with db.transaction() as cur:
        repo = Repository(cur)
        stored = repo.password_hash(username)
        try:
            if stored is None or not _hasher.verify(stored, password):
                raise VerificationError()
        except VerificationError:
            raise Unauthorized("unknown user or wrong password", {}) from None
        return repo.user(username)


def readable_document(repo: Repository, actor: str, document_id: UUID,
                      lock: bool = False) -> tuple[User, Document]:
    """The document, if `actor` may see it; a confidential one is 404 to others."""
    user = repo.user(actor)
    document = repo.document(document_id, lock=lock)
    if not domain.may_read(user, document):
        raise NotFound(f"no document {document_id}", {"document_id": str(document_id)})
    return user, document


def register(db, actor: str, new: NewDocument) -> Document:
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
        document_id = uuid4()
        repo.insert_document(document_id, new, actor)
        document = repo.document(document_id)
        record(cur, events.DocumentRegisteredEvent(
            subject=document_id,
            data=events.DocumentRegistered(**_facts(document), registered_by=actor)))
        return document


def add_revision(db, versioning, actor: str, document_id: UUID, staged: StagedUpload,
                 change_summary: str) -> Version:
    """Store an upload as the next revision; returns once version and draft both exist."""
    with db.transaction() as cur:
        repo = Repository(cur)
        user, document = readable_document(repo, actor, document_id, lock=True)
        if not domain.may_upload(user, document):
            raise Forbidden("only an author of the owner department may upload a version",
                            {"department": document.owner_department})
        edition, revision = domain.next_number(repo.latest_number(document_id))
        request = StoreVersion(version_id=uuid4(), document_id=document_id, edition=edition,
                               revision=revision, staged=staged, author=actor,
                               change_summary=change_summary)
        # The document row stays locked while versioning stores the bytes, so two
        # uploads of one document cannot take the same number.
        manifest = VersionManifest.model_validate(
            versioning.store_version(request.model_dump(mode="json")))
        repo.insert_revision(manifest.id, document_id, edition, revision, actor, change_summary)
        repo.set_current_version(document_id, manifest.id)
        return Version.combine(repo.revision(manifest.id), manifest)


def get_revision(db, actor: str | None, version_id: UUID) -> Revision:
    """`actor` None: a trusted service asking (search, notifications)."""
    with db.transaction() as cur:
        repo = Repository(cur)
        revision = repo.revision(version_id)
        if actor is not None:
            readable_document(repo, actor, revision.document.id)
        return revision


def transition(db, actor: str, version_id: UUID, action: str, comment: str) -> Revision:
    with db.transaction() as cur:
        repo = Repository(cur)
        revision = repo.revision(version_id, lock=True)
        user, document = readable_document(repo, actor, revision.document.id)
        step = domain.decide(domain.DEFAULT_CHAIN, user, action, document, revision.status,
                             revision.author)
        seq = repo.set_status(version_id, step.new_status)
        repo.sign(version_id, step.action, step.decision, user, comment)
        event_model = _TRANSITION_EVENTS[step.event]
        record(cur, event_model(subject=document.id, data=events.RevisionTransitioned(
            **_facts(document), version_id=version_id, edition=revision.edition,
            revision=revision.revision, status=step.new_status,
            previous_status=revision.status, status_seq=seq, actor=user.username,
            actor_function=user.function, comment=comment)))
        return repo.revision(version_id)


def _facts(document: Document) -> dict:
    return dict(document_id=document.id, code=document.code, title=document.title,
                type=document.type, owner_department=document.owner_department,
                distribution=document.distribution, confidential=document.confidential)
