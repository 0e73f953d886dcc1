"""One change of one index entry, and how changes merge into the entry (free of I/O).

Every event the search service follows becomes a `Write`; the index applies them one at
a time or many in one bulk request, with the same rule: the status only moves forward
(by `status_seq`), so a late or repeated event cannot roll a revision back, and a write
that changes nothing is not written at all (a redelivered event costs no write)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Write:
    version_id: str
    doc: dict                          # fields the entry takes as they are
    status: str | None = None          # with status_seq: only forward
    status_seq: int | None = None
    defaults: dict | None = None       # fields filled only where the entry has none yet


def merged(source: dict | None, write: Write) -> dict:
    """The entry `source` (None: not indexed yet) once `write` is applied."""
    if source is None:
        return {**(write.defaults or {}), **write.doc,
                **({"status": write.status, "status_seq": write.status_seq}
                   if write.status is not None else {})}
    result = {**(write.defaults or {}), **source, **write.doc}
    if write.status is not None and (source.get("status_seq") is None
                                     or write.status_seq >= source["status_seq"]):
        result.update(status=write.status, status_seq=write.status_seq)
    return result


def merged_all(source: dict | None, writes: list[Write]) -> dict | None:
    """`source` once every write of one entry is applied, in their order of arrival
    (None: no write and no entry)."""
    for write in writes:
        source = merged(source, write)
    return source
