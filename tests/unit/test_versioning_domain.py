"""The versioning service's rules without MinIO or PostgreSQL
(services/versioning/domain/): which uploads are taken, what a hashed original says,
which content may be read, which versions can be compared."""
from __future__ import annotations

from datetime import datetime, timezone
from uuid import uuid4

import pytest

from services.contracts.errors import (
    Conflict, NotFound, PayloadTooLarge, UnsupportedMediaType)
from services.versioning import domain

SHA = "ab" * 32


def version(**fields) -> dict:
    row = {"id": uuid4(), "document_id": uuid4(), "sha256": SHA, "size": 10,
           "object_version_id": "v1", "disposed_at": None,
           "extraction": {"status": "done"}}
    return {**row, **fields}


def test_an_upload_above_the_limit_is_refused_naming_the_file_and_the_limit():
    domain.check_size(100, 100)
    with pytest.raises(PayloadTooLarge) as refused:
        domain.check_size(101, 100)
    assert refused.value.details == {"field": "file", "limit": 100}


def test_a_readable_type_is_taken_and_an_unreadable_one_refused_naming_it():
    assert domain.readable_type(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "raport.pdf") == (
        "application/pdf")
    with pytest.raises(UnsupportedMediaType) as refused:
        domain.readable_type(b"\x7fELF\x02\x01\x01" + bytes(64), "program")
    assert refused.value.details["field"] == "file"
    assert refused.value.details["media_type"] in refused.value.message


def test_an_intact_original_has_no_problem_and_its_newest_version_is_asked_once():
    asked = []
    row = version()
    assert domain.integrity_problem(row, (SHA, 10), lambda: asked.append(1) or "v1") is None
    assert asked == [1]


def test_a_missing_or_changed_original_is_named_without_asking_for_its_newest_version():
    row = version()

    def never():
        raise AssertionError("the newest version is not asked")

    assert domain.integrity_problem(row, None, never) == {
        "version_id": str(row["id"]), "problem": "missing"}
    assert domain.integrity_problem(row, ("cd" * 32, 10), never) == {
        "version_id": str(row["id"]), "problem": "mismatch", "expected": SHA,
        "found": "cd" * 32}
    assert domain.integrity_problem(row, (SHA, 11), never)["problem"] == "mismatch"


def test_an_original_written_over_behind_procedura_is_named_overwritten():
    row = version()
    assert domain.integrity_problem(row, (SHA, 10), lambda: "v2") == {
        "version_id": str(row["id"]), "problem": "overwritten", "expected": SHA,
        "found": SHA}
    # a bucket without versioning pins no object version: nothing to be overwritten
    assert domain.integrity_problem(version(object_version_id=None), (SHA, 10),
                                    lambda: "v2") is None


def test_disposed_content_is_not_found_naming_when():
    domain.check_kept(version())
    when = datetime(2026, 12, 1, tzinfo=timezone.utc)
    row = version(disposed_at=when)
    with pytest.raises(NotFound) as gone:
        domain.check_kept(row)
    assert gone.value.details == {"version_id": str(row["id"]),
                                  "disposed_at": when.isoformat()}


def test_only_two_versions_of_one_document_both_with_text_are_compared():
    new = version()
    domain.check_comparable(new, version(document_id=new["document_id"]))
    other = version()
    with pytest.raises(NotFound) as refused:
        domain.check_comparable(new, other)
    assert refused.value.details == {"against": str(other["id"])}
    pending = version(document_id=new["document_id"], extraction={"status": "pending"})
    with pytest.raises(Conflict) as refused:
        domain.check_comparable(new, pending)
    assert refused.value.details == {"version_id": str(pending["id"]),
                                     "extraction": "pending"}
