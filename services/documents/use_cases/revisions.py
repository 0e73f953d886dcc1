"""Use cases of the register's documents and their revisions: registering a document,
uploading, restoring and withdrawing revisions. Plain functions over a unit of work
(ports.py) and, for uploads, the versioning RPC."""
from __future__ import annotations

from uuid import UUID, uuid4

from services.contracts import events
from services.contracts.errors import Conflict, Forbidden, InvalidInput
from services.contracts.models import (
    ChangeNote, Document, NewDocument, Numbering, PlacedUpload, Revision, RevisionStatus,
    Role, StagedUpload, StoreVersion, Version, VersionManifest)
from services.documents import domain
from services.documents.domain import register as register_rules
from services.documents.adapters.repository import Repository, no_version
from services.documents.ports import UnitOfWork
from services.documents.use_cases.reading import (
    check_links, readable_document, readable_revision)
from services.documents.use_cases.signing import _facts, _move


def register(uow: UnitOfWork, types: domain.DocumentTypes, actor: str, new: NewDocument,
             retention: register_rules.Retention | None = None) -> Document:
    retention = retention or register_rules.Retention(None)
    with uow:
        repo = uow.documents
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
        uow.audit.append(actor, "register", document_id,
                         details=new.model_dump(mode="json"))
        uow.outbox.record(events.DocumentRegisteredEvent(
            subject=document_id,
            data=events.DocumentRegistered(**_facts(document), registered_by=actor)))
        return document


def add_revision(uow: UnitOfWork, versioning, actor: str, document_id: UUID,
                 staged: StagedUpload | PlacedUpload, note: ChangeNote,
                 restored_from: UUID | None = None,
                 numbering: Numbering | None = None) -> Version:
    """Store an upload as the next revision; returns once version and draft both exist.
    A placed upload already lies at its version's key: its version id is the one the
    gateway chose for that key.
    `numbering`: the edition and revision of a first version (see domain.first_number)."""
    with uow:
        repo = uow.documents
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
        version_id = staged.version_id if isinstance(staged, PlacedUpload) else uuid4()
        request = StoreVersion(version_id=version_id, document_id=document_id, edition=edition,
                               revision=revision, staged=staged, author=actor,
                               change_summary=note.change_summary)
        # The document row stays locked while versioning stores the bytes, so two
        # uploads of one document cannot take the same number.
        manifest = VersionManifest.model_validate(
            versioning.store_version(request.model_dump(mode="json")))
        repo.insert_revision(manifest.id, document_id, edition, revision, actor, note,
                             restored_from)
        repo.set_current_version(document_id, manifest.id)
        uow.audit.append(actor, "restore" if restored_from else "upload", document_id,
                         manifest.id, {"edition": edition, "revision": revision,
                                       "filename": manifest.filename,
                                       "sha256": manifest.sha256,
                                       "restored_from": str(restored_from) if restored_from
                                       else None, **note.model_dump()})
        return Version.combine(repo.revision(manifest.id), manifest)


def restore(uow: UnitOfWork, versioning, actor: str, document_id: UUID, version_id: UUID,
            note: ChangeNote) -> Version:
    """A superseded version comes back as a new draft revision (a new version; the old
    one stays as it is)."""
    with uow:
        repo = uow.documents
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
    return add_revision(uow, versioning, actor, document_id, staged, note,
                        restored_from=version_id)


def request_new_edition(uow: UnitOfWork, actor: str, document_id: UUID) -> Document:
    """The next upload starts a new edition at revision 0."""
    with uow:
        repo = uow.documents
        user, document = readable_document(repo, actor, document_id, lock=True)
        if not (domain.may_upload(user, document) or user.has(Role.QMS_ADMIN)):
            raise Forbidden("only an author of the owner department or the quality office "
                            "may start a new edition", {"department": document.owner_department})
        repo.request_new_edition(document_id)
        uow.audit.append(actor, "new_edition", document_id)
        return repo.document(document_id)


def withdraw(uow: UnitOfWork, actor: str, version_id: UUID, reason: str) -> Revision:
    """The quality office withdraws a revision in force (with a reason)."""
    with uow:
        repo = uow.documents
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
        _move(uow, document, revision, RevisionStatus.WITHDRAWN, "document_withdrawn",
              user, reason)
        return repo.revision(version_id)


def get_revision(uow: UnitOfWork, actor: str | None, version_id: UUID) -> Revision:
    """`actor` None: a trusted service asking (search, notifications)."""
    with uow:
        repo = uow.documents
        if actor is None:
            return repo.revision(version_id)
        return readable_revision(repo, actor, version_id)[1]
