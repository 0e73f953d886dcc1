"""The versioning service's rules, free of I/O and framework: which uploads are taken
(their size, their type: media_types.py), what a stored original's hash says of it,
which content may still be read, and which two versions can be compared (diff.py says
what changed between them)."""
from __future__ import annotations

from collections.abc import Callable

from services.contracts.errors import (
    Conflict, NotFound, PayloadTooLarge, UnsupportedMediaType)
from services.versioning.domain import media_types


def check_size(declared: int, limit: int) -> None:
    """PayloadTooLarge naming `file` for an upload larger than the limit, asked before a
    byte of it is read."""
    if declared > limit:
        raise PayloadTooLarge(f"the file is larger than {limit} bytes",
                              {"field": "file", "limit": limit})


def readable_type(head: bytes, filename: str) -> str:
    """The media type of a file Procedura can read, told from its first bytes and its
    name; UnsupportedMediaType naming `file` otherwise."""
    media_type = media_types.detect(head, filename)
    if not media_types.readable(media_type):
        raise UnsupportedMediaType(f"{media_type} is not a format Procedura can read",
                                   {"field": "file", "media_type": media_type})
    return media_type


def integrity_problem(row: dict, found: tuple[str, int] | None,
                      newest: Callable[[], str | None]) -> dict | None:
    """What a stored original hashed again says (`found`: its sha256 and size, None when
    its object version is gone; `newest()`: the key's newest object version, asked only
    of an intact original whose manifest pinned one): `missing`,
    `mismatch` (its bytes differ from the manifest's), `overwritten` (intact, but
    something wrote a newer object over it behind Procedura's back), or None (intact)."""
    version_id = str(row["id"])
    if found is None:
        return {"version_id": version_id, "problem": "missing"}
    if found != (row["sha256"], row["size"]):
        return {"version_id": version_id, "problem": "mismatch",
                "expected": row["sha256"], "found": found[0]}
    if row["object_version_id"] and newest() != row["object_version_id"]:
        return {"version_id": version_id, "problem": "overwritten",
                "expected": row["sha256"], "found": found[0]}
    return None


def check_kept(row: dict) -> None:
    """NotFound for a version whose content was disposed of after its retention period
    (its manifest stays)."""
    if row["disposed_at"] is not None:
        raise NotFound(f"the content of version {row['id']} was disposed of after its "
                       f"retention period", {"version_id": str(row["id"]),
                                             "disposed_at": row["disposed_at"].isoformat()})


def check_comparable(new: dict, old: dict) -> None:
    """Two versions are compared when they are of one document and both have their
    text: NotFound naming `against`, else Conflict naming the version without text."""
    if new["document_id"] != old["document_id"]:
        raise NotFound(f"version {old['id']} is not a version of the same document",
                       {"against": str(old["id"])})
    for row in (new, old):
        if row["extraction"]["status"] != "done":
            raise Conflict(f"version {row['id']} has no text to compare "
                           f"(extraction {row['extraction']['status']})",
                           {"version_id": str(row["id"]),
                            "extraction": row["extraction"]["status"]})
