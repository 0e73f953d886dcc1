"""Who may read a confidential document: THE rule of Procedura, in one place.

A document that is not confidential is for everyone. A confidential one is for the
quality office and for the departments that hold it: its owner department and the
departments on its distribution list. Whatever names a document to a person (a list,
a count, a report, a feed item, a reminder, an e-mail, an answer to a code or a link)
asks `may_read`; the documents and notifications services import it from here, and
search builds its Elasticsearch filter from the same two pieces (READS_EVERYTHING and
HOLDER_FIELDS; tests/integration/test_confidentiality_rule.py checks that they agree).

Plain Python over the contracts' models: no nameko, no I/O, so domain code can use it.
"""
from __future__ import annotations

from typing import Protocol, Sequence

from services.contracts.models import Role, User

# the role that reads every document, confidential or not: the quality office
READS_EVERYTHING = Role.QMS_ADMIN
# the fields of a document that name the departments allowed to read it when it is
# confidential (a department code, or a list of them)
HOLDER_FIELDS = ("owner_department", "distribution")


class Classified(Protocol):
    """What the rule needs of a document: a Document, an event's DocumentFacts, a row."""
    confidential: bool
    owner_department: str
    distribution: Sequence[str]


def holders(document: Classified) -> set[str]:
    """The departments that hold the document (HOLDER_FIELDS)."""
    found: set[str] = set()
    for field in HOLDER_FIELDS:
        value = getattr(document, field)
        found.update([value] if isinstance(value, str) else value)
    return found


def may_read(user: User, document: Classified) -> bool:
    """Whether `user` may know that `document` exists (its code, title, versions)."""
    return (not document.confidential or user.has(READS_EVERYTHING)
            or user.department in holders(document))
