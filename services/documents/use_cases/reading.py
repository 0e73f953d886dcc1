"""Who may read what, the check every use case of documents starts with: a confidential
document, or a revision of one, is not found by anyone who may not read it."""
from __future__ import annotations

from uuid import UUID

from services.contracts.confidentiality import may_read
from services.contracts.errors import Forbidden, InvalidInput, NotFound
from services.contracts.models import Document, Revision, Role, User
from services.documents.adapters.repository import Repository, no_version


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


def require_quality_office(repo: Repository, actor: str) -> User:
    user = repo.user(actor)
    if not user.has(Role.QMS_ADMIN):
        raise Forbidden("only the quality office may read the audit trail",
                        {"required_role": Role.QMS_ADMIN.value})
    return user
