"""Rules of the register beyond the signing chain, free of nameko and I/O: the fields
of a document's record (SCIM standard, archive file and retention, links, external
origin), who changes them, and the end of a document's life (archive, disposal)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.contracts.errors import Conflict, Forbidden, InvalidInput
from services.contracts.models import (
    EXTERNAL_FIELDS, Document, DocumentType, Revision, RevisionStatus, Role, User)
from services.contracts.signing import WAITING_STATUSES
from services.documents.domain import add_months

S = RevisionStatus

# fields a PATCH may not clear (they have no "empty" value in the register)
REQUIRED_ON_CHANGE = ("title", "distribution", "confidential")
# revisions that may be archived: nothing of them applies any more
ARCHIVABLE = (S.WITHDRAWN, S.SUPERSEDED)
# revisions a disposal takes with it besides the archived ones: never approved
NEVER_APPROVED = (S.DRAFT, *WAITING_STATUSES)


@dataclass(frozen=True)
class RetentionClass:
    name: str
    years: int | None          # None: permanent
    label: str


class Retention:
    """Retention classes of archive files and each type's default, from the `retention`
    section of config/document-types.yaml."""

    def __init__(self, config: dict | None):
        config = config or {}
        classes = config.get("classes") or {"permanent": {"years": None,
                                                          "label": "Permanent"}}
        self.classes = {name: RetentionClass(name, spec.get("years"),
                                             spec.get("label", name))
                        for name, spec in classes.items()}
        self.default = config.get("default", next(iter(self.classes)))
        self.by_type = dict(config.get("types") or {})
        for name in [self.default, *self.by_type.values()]:
            if name not in self.classes:
                raise ValueError(f"retention: unknown class {name!r}")

    def class_for(self, doc_type: str, requested: str | None) -> str:
        """The class a document gets: the one asked for (422 if unknown), else its
        type's default."""
        if requested is None:
            return self.by_type.get(doc_type, self.default)
        if requested not in self.classes:
            raise InvalidInput(f"unknown retention class {requested!r}; known: "
                               f"{', '.join(self.classes)}",
                               {"field": "retention_class", "known": list(self.classes)})
        return requested

    def disposal_date(self, retention_class: str | None, doc_type: str,
                      archived_on: date) -> date | None:
        """The first day the archive file may be disposed of (None: never)."""
        years = self.classes[retention_class or self.class_for(doc_type, None)].years
        return None if years is None else add_months(archived_on, 12 * years)


def check_external_origin(doc_type: DocumentType, fields: dict) -> None:
    """A document of external origin names its issuer, reference and validity date;
    other documents have none of them (422 naming the field)."""
    if doc_type == DocumentType.EXTERNAL:
        for name in EXTERNAL_FIELDS:
            if fields.get(name) in (None, ""):
                raise InvalidInput(f"{name} is required for a document of external origin",
                                   {"field": name, "type": doc_type.value})
    else:
        for name in EXTERNAL_FIELDS:
            if fields.get(name) not in (None, ""):
                raise InvalidInput(f"{name} is only for documents of type extern",
                                   {"field": name, "type": doc_type.value})


def may_update(user: User, document: Document) -> bool:
    """The quality office, or the head of the owner department."""
    return user.has(Role.QMS_ADMIN) or (
        user.has(Role.VERIFIER) and user.department == document.owner_department)


def merge_change(document: Document, change: dict) -> tuple[dict, list[str]]:
    """The document's register fields after `change`, and the names that really change.

    422 for a required field set to null; a field set to its current value is no change.
    """
    for name in REQUIRED_ON_CHANGE:
        if name in change and change[name] is None:
            raise InvalidInput(f"{name} cannot be empty", {"field": name})
    current = document.model_dump()
    merged = {**current, **change}
    changed = sorted(name for name in change if merged[name] != current[name])
    return merged, changed


def check_archivable(user: User, revision: Revision) -> None:
    if not user.has(Role.QMS_ADMIN):
        raise Forbidden("only the quality office archives documents",
                        {"required_role": Role.QMS_ADMIN.value})
    if revision.status not in ARCHIVABLE:
        raise Conflict(f"only a withdrawn or superseded revision can be archived; this one "
                       f"is {revision.status.value}",
                       {"status": revision.status.value,
                        "allowed_actions": ["archive"] if revision.status in ARCHIVABLE
                        else []})


def disposal_date(retention: Retention, document: Document,
                  revisions: list[Revision]) -> date:
    """When the document's content may be disposed of, or why it may not (409).

    Every revision that was ever approved must be archived (the rest were never
    approved and go with it); the retention period counts from the last archiving.
    """
    if document.disposed_at is not None:
        raise Conflict("the document's content has already been disposed of",
                       {"status": S.DISPOSED.value,
                        "disposed_at": document.disposed_at.isoformat(),
                        "allowed_actions": []})
    pending = [r for r in revisions
               if r.status not in (S.ARCHIVED, *NEVER_APPROVED)]
    archived = [r for r in revisions if r.status == S.ARCHIVED]
    # (details cross the RPC boundary, where every scalar becomes text: no None or bool)
    if pending:
        blocking = pending[0]
        raise Conflict(f"only an archived document can be disposed of: Ediția "
                       f"{blocking.edition}, Revizia {blocking.revision} is "
                       f"{blocking.status.value}",
                       {"status": blocking.status.value, "version_id": str(blocking.version_id),
                        "allowed_actions": ["archive"] if blocking.status in ARCHIVABLE
                        else []})
    if not archived:
        raise Conflict("only an archived document can be disposed of: nothing of it is "
                       "archived", {"status": document.status.value, "allowed_actions": []})
    archived_on = max(r.archived_at for r in archived).date()
    possible = retention.disposal_date(document.retention_class, document.type.value,
                                       archived_on)
    if possible is None:
        raise Conflict("the archive file is kept permanently: it is never disposed of",
                       {"retention_class": document.retention_class or "permanent"})
    return possible


def check_disposal(user: User, retention: Retention, document: Document,
                   revisions: list[Revision], reason: str, today: date) -> None:
    """A qms_admin decision, with a reason, after the retention period (409 naming the
    date it becomes possible)."""
    if not user.has(Role.QMS_ADMIN):
        raise Forbidden("only the quality office decides a disposal",
                        {"required_role": Role.QMS_ADMIN.value})
    if not reason.strip():
        raise InvalidInput("a disposal needs a reason (the decision of the selection "
                           "commission)", {"field": "reason"})
    possible = disposal_date(retention, document, revisions)
    if today < possible:
        raise Conflict(f"the retention period of the archive file ends on "
                       f"{possible.strftime('%d.%m.%Y')}: disposal is possible from then",
                       {"disposal_possible_from": possible.isoformat(),
                        "retention_class": document.retention_class or ""})
