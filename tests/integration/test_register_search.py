"""The search projection follows changes to a document's record and its disposal, on the
real Elasticsearch: every version, idempotently, and late transition events cannot bring
older facts back."""
from __future__ import annotations

import uuid

import pytest

from services.contracts import events
from services.contracts.models import Role, User
from services.contracts.search import SearchQuery
from services.search import projections
from services.search.adapters.index import VersionIndex


class RegisterPort:
    """The documents RPC the projection asks for a record as it is now."""

    def __init__(self, record: dict):
        self.record = record

    def document_record(self, document_id: str) -> dict:
        assert document_id == self.record["id"]
        return self.record


def reader(department):
    return User(username="u", full_name="u", department=department, function="",
                roles=[Role.READER])


@pytest.fixture(scope="module")
def index(settings):
    """An index of its own: these documents must not meet the other search tests'."""
    index = VersionIndex(settings.elasticsearch_url, f"{settings.search_index}-register")
    index.ensure()
    yield index
    for name in index.es.indices.get(index=f"{index.alias}-*", ignore_unavailable=True):
        index.es.indices.delete(index=name)


def facts(document_id, **extra):
    return {"document_id": document_id, "code": "PO-AUD-07", "title": "Misiuni de audit",
            "type": "PO", "owner_department": "AUD", "distribution": ["AUD", "DJ"],
            "confidential": True, **extra}


def transition(document_id, version_id, status, seq, **extra):
    return events.VersionInForceEvent(subject=document_id, data=events.RevisionTransitioned(
        **facts(document_id, **extra), version_id=version_id, edition=1, revision=0,
        status=status, previous_status="approved", status_seq=seq, actor="x",
        actor_function="", comment=""))


def hits(index, department, q):
    index.es.indices.refresh(index=index.alias)
    result = index.search(reader(department), SearchQuery(q=q, all_versions=True))
    return {str(h.version_id) for h in result.hits}


def test_every_version_follows_a_record_change_and_late_events_do_not_undo_it(index):
    document_id = str(uuid.uuid4())
    versions = [str(uuid.uuid4()) for _ in range(3)]
    word = f"cuvzq{uuid.uuid4().hex[:6]}"
    for n, vid in enumerate(versions):
        index.upsert(vid, {**facts(document_id), "version_id": vid, "edition": 1,
                           "revision": n, "year": 2026, "created_at": "2026-11-23T10:00:00Z",
                           "content": f"Text {word}", "has_text": True, "process": None},
                     status="in_force" if n == 2 else "superseded", status_seq=5)
    assert hits(index, "DJ", word) == set(versions)

    record = {"id": document_id, **facts(document_id), "distribution": ["AUD"],
              "title": "Planificarea misiunilor", "process": "Audit public intern"}
    event = events.DocumentUpdatedEvent(subject=document_id, data=events.DocumentUpdated(
        **facts(document_id, distribution=["AUD"]), changed=["distribution"],
        updated_by="calitate"))
    for _ in range(2):                                       # repeated delivery: same result
        projections.follow_document_update(index, RegisterPort(record), event)
        assert hits(index, "DJ", word) == set()
        assert hits(index, "AUD", word) == set(versions)
    assert {index.get(v)["title"] for v in versions} == {"Planificarea misiunilor"}

    # a transition event written before the change, delivered after it
    projections.follow_transition(index, transition(document_id, versions[2], "in_force", 6))
    assert index.get(versions[2])["distribution"] == ["AUD"]
    assert index.get(versions[2])["status_seq"] == 6
    assert hits(index, "DJ", word) == set()
    # a transition of a version not indexed yet still creates a whole entry
    fresh = str(uuid.uuid4())
    projections.follow_transition(index, transition(document_id, fresh, "in_force", 1))
    assert index.get(fresh)["code"] == "PO-AUD-07"


def test_disposal_drops_the_text_but_keeps_the_record(index):
    document_id, vid = str(uuid.uuid4()), str(uuid.uuid4())
    word = f"arhzq{uuid.uuid4().hex[:6]}"
    index.upsert(vid, {**facts(document_id, confidential=False), "version_id": vid,
                       "edition": 1, "revision": 0, "year": 2026,
                       "created_at": "2026-11-23T10:00:00Z", "content": f"Text {word}",
                       "has_text": True}, status="archived", status_seq=7)
    assert hits(index, "RP", word) == {vid}
    event = events.DocumentDisposedEvent(subject=document_id, data=events.DocumentDisposed(
        **facts(document_id, confidential=False), disposed_by="calitate", reason="Decizia 5",
        versions=[events.DisposedVersion(version_id=vid, status_seq=8)]))
    projections.follow_disposal(index, event)
    projections.follow_disposal(index, event)
    assert hits(index, "RP", word) == set()
    entry = index.get(vid)
    assert (entry["status"], entry["content"], entry["has_text"]) == ("disposed", "", False)
    assert hits(index, "RP", "PO-AUD-07") >= {vid}


def test_a_completed_workflow_step_moves_the_revision_and_a_signature_short_of_it_does_not(
        index):
    """version_step_completed: a step with no event of its own (a committee, the legal
    office's opinion) is followed by its completion; a signature short of the quorum
    leaves the revision where it is."""
    document_id, version_id = str(uuid.uuid4()), str(uuid.uuid4())
    index.upsert(version_id, {**facts(document_id), "version_id": version_id, "edition": 1,
                              "revision": 0}, status="in_endorsement", status_seq=2)

    def signed(signatures, **moved):
        return events.VersionStepCompletedEvent(
            subject=document_id, data=events.VersionStepCompleted(
                **facts(document_id), version_id=version_id, edition=1, revision=0,
                step="comitet", label={"ro": "Avizare în comitet", "en": "Committee"},
                signer=f"membru{signatures}", signer_function="Membru", decision="signed",
                quorum=2, signatures=signatures, quorum_reached=signatures >= 2,
                status_seq=2 + (signatures >= 2), **moved))

    projections.follow_step(index, signed(1))
    assert (index.get(version_id)["status"], index.get(version_id)["status_seq"]) == (
        "in_endorsement", 2)
    completed = signed(2, status="in_approval", previous_status="in_endorsement")
    for _ in range(2):                                       # repeated delivery: same result
        projections.follow_step(index, completed)
        assert (index.get(version_id)["status"], index.get(version_id)["status_seq"]) == (
            "in_approval", 3)
    projections.follow_step(index, signed(1))                # a late one changes nothing
    assert index.get(version_id)["status"] == "in_approval"
