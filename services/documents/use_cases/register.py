"""Use cases of the register: changing a document's record (metadata, distribution),
archiving a revision and disposing of a document's content after its retention."""
from __future__ import annotations

from datetime import date
from uuid import UUID

from services.contracts import events
from services.contracts.errors import Forbidden, InvalidInput
from services.contracts.models import Document, DocumentChange, Revision, RevisionStatus
from services.documents.domain import register as rules
from services.documents.use_cases.reading import (
    as_seen_by, check_links, hidden_links, readable_document, readable_revision)
from services.documents.use_cases.signing import _facts, _move
from services.documents.ports import UnitOfWork


def update_document(uow: UnitOfWork, retention: rules.Retention, actor: str,
                    document_id: UUID, change: DocumentChange) -> Document:
    """Change the register fields of a document (the quality office or the head of the
    owner department); audited, and `document_updated` in the same transaction."""
    with uow:
        repo = uow.documents
        user, document = readable_document(repo, actor, document_id, lock=True)
        if not rules.may_update(user, document):
            raise Forbidden("only the quality office or the head of the owner department "
                            "may change a document's record",
                            {"department": document.owner_department})
        fields = change.changes()
        if "retention_class" in fields:
            fields["retention_class"] = retention.class_for(document.type.value,
                                                            fields["retention_class"])
        if fields.get("distribution") is not None:
            missing = repo.missing_departments(fields["distribution"])
            if missing:
                raise InvalidInput(f"unknown department(s): {', '.join(missing)}",
                                   {"field": "distribution", "unknown": missing})
        if "links" in fields:
            links = fields["links"] or []
            if any(link.document_id == document_id for link in links):
                raise InvalidInput("a document cannot link to itself", {"field": "links"})
            check_links(repo, user, links)
            # links the user cannot see stay: they send back only what they were shown
            hidden = [link for link in hidden_links(repo, user, document)
                      if link not in links]
            kept = [*links, *hidden]
            if set(kept) == set(document.links):   # the same links: no change of order
                kept = document.links
            fields["links"] = [link.model_dump() for link in kept]
        merged, changed = rules.merge_change(document, fields)
        rules.check_external_origin(document.type, merged)
        if not changed:
            return as_seen_by(repo, user, document)
        repo.update_document(document_id, {name: fields[name] for name in changed})
        updated = repo.document(document_id)
        before, after = document.model_dump(mode="json"), updated.model_dump(mode="json")
        uow.audit.append(actor, "update", document_id, details={
            name: {"from": before[name], "to": after[name]} for name in changed})
        uow.outbox.record(events.DocumentUpdatedEvent(
            subject=document_id, data=updated_facts(updated, changed, actor)))
        return as_seen_by(repo, user, updated)


def updated_facts(document: Document, changed: list[str], actor: str) -> events.DocumentUpdated:
    facts = document.model_dump(mode="json")
    return events.DocumentUpdated(
        **_facts(document), process=document.process, scim_standard=document.scim_standard,
        archive_indicator=document.archive_indicator,
        retention_class=document.retention_class, links=facts["links"],
        issuer=document.issuer, external_reference=document.external_reference,
        validity_date=document.validity_date, changed=changed, updated_by=actor)


def archive(uow: UnitOfWork, actor: str, version_id: UUID, comment: str) -> Revision:
    """The quality office archives a withdrawn or superseded revision."""
    with uow:
        repo = uow.documents
        user, revision = readable_revision(repo, actor, version_id, lock=True)
        document = revision.document
        rules.check_archivable(user, revision)
        repo.sign(version_id, "archive", "archived", user, comment)
        repo.archive_revision(version_id)
        _move(uow, document, revision, RevisionStatus.ARCHIVED, "version_archived",
              user, comment)
        return repo.revision(version_id)


def disposal_date(uow: UnitOfWork, retention: rules.Retention, actor: str,
                  document_id: UUID) -> date:
    """The first day the document's content may be disposed of (409 when it may not)."""
    with uow:
        repo = uow.documents
        _, document = readable_document(repo, actor, document_id)
        return rules.disposal_date(retention, document, repo.revisions(document_id))


def dispose(uow: UnitOfWork, versioning, retention: rules.Retention, actor: str,
            document_id: UUID, reason: str, today: date) -> Document:
    """After the retention period, a qms_admin decision deletes the content of every
    version; the register entry, revisions (now `disposed`) and audit trail remain.

    The document row stays locked while versioning deletes the objects; versioning's
    disposal is idempotent, so if this transaction fails afterwards, asking again
    finishes the job.
    """
    with uow:
        repo = uow.documents
        user, document = readable_document(repo, actor, document_id, lock=True)
        revisions = repo.revisions(document_id)
        rules.check_disposal(user, retention, document, revisions, reason, today)
        deleted = versioning.dispose([str(r.version_id) for r in revisions])
        disposed = []
        for revision in revisions:
            seq = repo.set_status(revision.version_id, RevisionStatus.DISPOSED)
            repo.sign(revision.version_id, "dispose", "disposed", user, reason)
            disposed.append(events.DisposedVersion(version_id=revision.version_id,
                                                   status_seq=seq))
        repo.mark_disposed(document_id)
        uow.audit.append(actor, "dispose", document_id, details={
            "reason": reason, "retention_class": document.retention_class,
            "archive_indicator": document.archive_indicator,
            "versions": [str(r.version_id) for r in revisions],
            "objects_deleted": deleted})
        uow.outbox.record(events.DocumentDisposedEvent(
            subject=document_id, data=events.DocumentDisposed(
                **_facts(document), disposed_by=actor, reason=reason, versions=disposed)))
        return repo.document(document_id)
