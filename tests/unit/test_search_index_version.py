"""How the search service indexes a version whose text was extracted
(services/search/projections.py index_version): the register's revision (documents) and
the text (versioning, then MinIO) are asked for side by side, and a revision not committed
yet is waited for with short pauses first."""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone
from types import SimpleNamespace

import eventlet
import pytest

from services.contracts.errors import NotFound
from services.contracts.models import Revision, RevisionStatus
from services.search import projections
from tests.helpers import document

ROUND_TRIP = 0.2   # each of the three waits of a fake engine below


def revision(version_id: str) -> dict:
    return Revision(version_id=version_id, document=document(), edition=1, revision=0,
                    status=RevisionStatus.DRAFT, status_seq=1, author="ana.popescu",
                    change_summary="Ediția I", created_at=datetime.now(timezone.utc)
                    ).model_dump(mode="json")


class Documents:
    """documents.get_revision: NotFound `missing` times, then the revision; each answer
    after ROUND_TRIP."""

    def __init__(self, missing: int = 0):
        self.missing, self.asked = missing, []

    def get_revision(self, actor, version_id):
        self.asked.append(time.monotonic())
        eventlet.sleep(ROUND_TRIP)
        if len(self.asked) <= self.missing:
            raise NotFound("no revision", {})
        return revision(version_id)


class Versioning:
    def __init__(self, fail: bool = False):
        self.fail = fail

    def text_location(self, version_id):
        eventlet.sleep(ROUND_TRIP)
        if self.fail:
            raise NotFound("no text", {})
        return f"http://minio.invalid/texts/{version_id}"


class Texts:
    """MinIO's answer to the text's presigned URL, after ROUND_TRIP."""

    def get(self, url, timeout):
        eventlet.sleep(ROUND_TRIP)
        return SimpleNamespace(raise_for_status=lambda: None, encoding=None,
                               text=f"textul din {url.rsplit('/', 1)[1]}")


class Index:
    def __init__(self):
        self.written = {}

    def upsert(self, version_id, doc, status, status_seq):
        self.written[version_id] = (doc, status, status_seq)


def extracted(version_id: str):
    return SimpleNamespace(data=SimpleNamespace(version_id=version_id))


@pytest.fixture(autouse=True)
def minio(monkeypatch):
    monkeypatch.setattr(projections, "texts", Texts())


def test_the_revision_and_the_text_are_asked_for_side_by_side():
    vid, index = str(uuid.uuid4()), Index()
    started = time.monotonic()
    projections.index_version(index, Documents(), Versioning(), extracted(vid), True)
    took = time.monotonic() - started
    doc, status, seq = index.written[vid]
    assert doc["content"] == f"textul din {vid}" and doc["has_text"] is True
    assert (status, seq) == ("draft", 1)
    # one after the other: revision, location, text = 3 round trips; side by side: the
    # longer of (revision) and (location, text) = 2
    assert took < 2.5 * ROUND_TRIP, took


def test_a_revision_not_committed_yet_is_asked_again_after_a_short_pause_first():
    vid, index, documents = str(uuid.uuid4()), Index(), Documents(missing=3)
    projections.index_version(index, documents, Versioning(), extracted(vid), True)
    assert vid in index.written
    pauses = [b - a - ROUND_TRIP for a, b in zip(documents.asked, documents.asked[1:])]
    assert len(pauses) == 3
    # 0.025, 0.05, 0.1 s (it was 0.2 s each time)
    assert 0.02 <= pauses[0] < 0.1, pauses
    assert pauses[0] < pauses[1] < pauses[2] < 0.2, pauses


def test_the_pause_grows_to_the_longest_and_no_further():
    vid, documents = str(uuid.uuid4()), Documents(missing=6)
    projections.committed_revision(documents, vid, wait_seconds=15)
    pauses = [b - a - ROUND_TRIP for a, b in zip(documents.asked, documents.asked[1:])]
    assert all(p < projections.LONGEST_PAUSE + 0.05 for p in pauses), pauses
    assert pauses[-1] >= projections.LONGEST_PAUSE - 0.01, pauses


def test_a_revision_never_committed_is_not_indexed_whatever_its_text():
    vid, index = str(uuid.uuid4()), Index()
    projections.index_version(index, Documents(missing=100), Versioning(fail=True),
                              extracted(vid), True, wait_seconds=0.3)
    assert index.written == {}


def test_a_text_that_cannot_be_had_fails_the_handler_as_before():
    vid, index = str(uuid.uuid4()), Index()
    with pytest.raises(NotFound):
        projections.index_version(index, Documents(), Versioning(fail=True), extracted(vid),
                                  True)
    assert index.written == {}


def test_a_failed_extraction_indexes_the_record_without_asking_for_a_text():
    vid, index = str(uuid.uuid4()), Index()
    projections.index_version(index, Documents(), Versioning(fail=True), extracted(vid),
                              False)
    doc, _, _ = index.written[vid]
    assert (doc["content"], doc["has_text"]) == ("", False)
