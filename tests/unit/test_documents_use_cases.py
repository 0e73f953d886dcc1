"""The documents service's use cases over fakes (tests/unit/fakes.py): the signing chain
for a PO and an IL, who may sign, opinions, registry numbers per year, effective dates
from the clock, coming into force and superseding, and confidentiality. No server: each
test runs in milliseconds; the PostgreSQL adapters are proved by tests/integration."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from uuid import uuid4

import pytest
import yaml
from nameko.testing.services import worker_factory

from services.contracts.errors import Conflict, Forbidden, NotFound
from services.contracts.models import (
    ChangeNote, NewDocument, PlacedUpload, RevisionStatus as S, Role, Signing, StagedUpload,
    original_key)
from services.documents.domain import DocumentTypes, SigningChains
from services.documents.service import DocumentsService
from services.documents.use_cases import reading, revisions, signing
from tests.helpers import user
from tests.unit.fakes import FakeClock, FakeDocumentsRepository, FakeUnitOfWork

CONFIG = Path(__file__).resolve().parents[2] / "config"
CHAINS = SigningChains(yaml.safe_load((CONFIG / "workflows.yaml").read_text()))
TYPES = DocumentTypes(yaml.safe_load((CONFIG / "document-types.yaml").read_text()))

AUTHOR = user("DJ", Role.AUTHOR, name="ana")
HEAD = user("DJ", Role.VERIFIER, name="sef.dj")
AUTHOR_AND_HEAD = user("DJ", Role.AUTHOR, Role.VERIFIER, name="ion")
ENDORSER = user("CM", Role.ENDORSER, name="mihai")
APPROVER = user("PRIMAR", Role.APPROVER, name="primar")
RP_HEAD = user("RP", Role.VERIFIER, name="sef.rp")
QUALITY = user("SMC", Role.QMS_ADMIN, name="elena")
OUTSIDER = user("RU", name="radu")
PEOPLE = [AUTHOR, HEAD, AUTHOR_AND_HEAD, ENDORSER, APPROVER, RP_HEAD, QUALITY, OUTSIDER]


class FakeVersioning:
    """versioning.store_version as the documents service sees it: a manifest back."""

    def store_version(self, request: dict) -> dict:
        return {"id": request["version_id"], "document_id": request["document_id"],
                "edition": request["edition"], "revision": request["revision"],
                "filename": request["staged"]["filename"], "media_type": "application/pdf",
                "size": 1, "sha256": "0" * 64, "author": request["author"],
                "change_summary": request["change_summary"],
                "created_at": "2026-01-05T09:00:00+00:00", "extraction": {"status": "done"}}


@pytest.fixture
def uow():
    return FakeUnitOfWork(FakeDocumentsRepository(PEOPLE, ["SMC", "CM", "PRIMAR"]))


@pytest.fixture
def clock():
    return FakeClock(date(2026, 3, 2))


def draft(uow, type_="PO", author=AUTHOR, confidential=False, n=1):
    """A registered document of DJ (distributed to DJ and RP) with one draft revision."""
    code = f"{type_}-DJ-{n:02d}"
    document = revisions.register(uow, TYPES, author.username, NewDocument(
        code=code, title=f"Procedura {code}", type=type_, owner_department="DJ",
        distribution=["DJ", "RP"], confidential=confidential))
    staged = StagedUpload(staging_key=str(uuid4()), filename="p.pdf", size=1)
    version = revisions.add_revision(uow, FakeVersioning(), author.username, document.id,
                                     staged, ChangeNote(change_summary="prima"))
    return version.id


def sign(uow, clock, who, version_id, action, **signing_fields):
    return signing.transition(uow, CHAINS, TYPES, who.username, version_id, action,
                              Signing(**signing_fields), clock.today())


def chain_events(uow) -> list[str]:
    """The revision's named events (each signature's version_step_completed aside:
    test_workflow_use_cases.py follows those)."""
    return [t for t in uow.outbox.types()
            if t not in ("document_registered", "version_step_completed")]


def test_a_po_goes_through_verification_endorsement_and_approval_into_force(uow, clock):
    version_id = draft(uow)
    steps = [(AUTHOR, "submit"), (HEAD, "verify"), (ENDORSER, "endorse"),
             (APPROVER, "approve")]
    statuses = [sign(uow, clock, who, version_id, action).status for who, action in steps]
    assert statuses == [S.IN_VERIFICATION, S.IN_ENDORSEMENT, S.IN_APPROVAL, S.IN_FORCE]
    assert chain_events(uow) == ["version_submitted", "version_verified", "version_endorsed",
                                 "version_approved", "version_in_force"]
    assert [s.signer for s in uow.documents.signatures(version_id)] == [
        "ana", "sef.dj", "mihai", "primar"]


def test_an_il_needs_only_verification_and_approval(uow, clock):
    version_id = draft(uow, type_="IL")
    sign(uow, clock, AUTHOR, version_id, "submit")
    assert sign(uow, clock, HEAD, version_id, "verify").status == S.IN_APPROVAL
    assert sign(uow, clock, APPROVER, version_id, "approve").status == S.IN_FORCE
    assert chain_events(uow) == ["version_submitted", "version_verified", "version_approved",
                                 "version_in_force"]


def test_a_wrong_role_is_refused_and_nothing_is_kept(uow, clock):
    version_id = draft(uow)
    sign(uow, clock, AUTHOR, version_id, "submit")
    before = (list(uow.outbox.events), len(uow.audit.entries))
    with pytest.raises(Forbidden):
        sign(uow, clock, ENDORSER, version_id, "verify")
    with pytest.raises(Forbidden):
        sign(uow, clock, RP_HEAD, version_id, "verify")   # a head, of another department
    assert uow.documents.revision(version_id).status == S.IN_VERIFICATION
    assert (uow.outbox.events, len(uow.audit.entries)) == before


def test_the_author_may_not_sign_a_later_step_of_their_own_revision(uow, clock):
    version_id = draft(uow, author=AUTHOR_AND_HEAD)
    sign(uow, clock, AUTHOR_AND_HEAD, version_id, "submit")
    with pytest.raises(Forbidden):
        sign(uow, clock, AUTHOR_AND_HEAD, version_id, "verify")
    assert sign(uow, clock, HEAD, version_id, "verify").status == S.IN_ENDORSEMENT


def in_endorsement(uow, clock):
    version_id = draft(uow)
    sign(uow, clock, AUTHOR, version_id, "submit")
    sign(uow, clock, HEAD, version_id, "verify")
    return version_id


def test_a_favourable_opinion_is_recorded_and_the_status_stays(uow, clock):
    version_id = in_endorsement(uow, clock)
    events_before = len(uow.outbox.events)
    revision = sign(uow, clock, RP_HEAD, version_id, "opinion", favourable=True)
    assert revision.status == S.IN_ENDORSEMENT
    assert len(uow.outbox.events) == events_before
    assert uow.audit.entries[-1]["action"] == "opinion"
    assert uow.documents.opinions_this_round(version_id) == {"RP"}
    with pytest.raises(Conflict):   # once per round
        sign(uow, clock, RP_HEAD, version_id, "opinion", favourable=True)


def test_an_unfavourable_opinion_returns_the_revision_to_draft(uow, clock):
    version_id = in_endorsement(uow, clock)
    revision = sign(uow, clock, RP_HEAD, version_id, "opinion", favourable=False,
                    comment="lipsește anexa")
    assert revision.status == S.DRAFT
    assert uow.outbox.types()[-1] == "version_rejected"
    assert uow.outbox.events[-1].data.comment == "lipsește anexa"


def approve(uow, clock, version_id, **signing_fields):
    for who, action in ((AUTHOR, "submit"), (HEAD, "verify"), (ENDORSER, "endorse")):
        sign(uow, clock, who, version_id, action)
    return sign(uow, clock, APPROVER, version_id, "approve", **signing_fields)


def test_registry_numbers_count_per_year_and_the_effective_date_is_the_clocks_today(uow,
                                                                                    clock):
    first = approve(uow, clock, draft(uow, n=1))
    second = approve(uow, clock, draft(uow, n=2))
    clock.advance(days=365)   # 2027
    third = approve(uow, clock, draft(uow, n=3))
    assert [r.registry_number for r in (first, second, third)] == [
        "1/2026", "2/2026", "1/2027"]
    assert (first.effective_date, first.registry_date) == (date(2026, 3, 2), date(2026, 3, 2))
    assert third.effective_date == date(2027, 3, 2)


def test_coming_into_force_supersedes_the_revision_in_force_before(uow, clock):
    old = draft(uow)
    approve(uow, clock, old)
    staged = StagedUpload(staging_key="k2", filename="p2.pdf", size=1)
    document_id = uow.documents.revision(old).document.id
    new = revisions.add_revision(uow, FakeVersioning(), AUTHOR.username, document_id, staged,
                                 ChangeNote(change_summary="a doua")).id
    assert approve(uow, clock, new).status == S.IN_FORCE
    assert uow.documents.revision(old).status == S.SUPERSEDED
    assert uow.outbox.types()[-3:] == ["version_approved", "version_superseded",
                                       "version_in_force"]
    assert uow.documents.document(document_id).next_review_date == date(2027, 3, 2)


class RecordingVersioning(FakeVersioning):
    def __init__(self):
        self.asked: list[dict] = []

    def store_version(self, request: dict) -> dict:
        self.asked.append(request)
        return super().store_version(request)


def test_an_upload_placed_at_its_key_becomes_the_revision_of_the_version_it_names(uow):
    document = revisions.register(uow, TYPES, AUTHOR.username, NewDocument(
        code="PO-DJ-09", title="Procedura", type="PO", owner_department="DJ"))
    version_id = uuid4()
    placed = PlacedUpload(version_id=version_id,
                          object_key=original_key(document.id, version_id, "p.pdf"),
                          object_version_id="v1", filename="p.pdf", size=1,
                          sha256="0" * 64)
    versioning = RecordingVersioning()
    version = revisions.add_revision(uow, versioning, AUTHOR.username, document.id, placed,
                                     ChangeNote(change_summary="prima"))
    assert version.id == version_id
    assert uow.documents.revision(version_id).status == S.DRAFT
    [asked] = versioning.asked
    assert asked["version_id"] == str(version_id) and asked["staged"]["object_key"] == (
        placed.object_key)


def test_a_placed_upload_by_someone_who_may_not_upload_asks_versioning_nothing(uow):
    document = revisions.register(uow, TYPES, AUTHOR.username, NewDocument(
        code="PO-DJ-10", title="Procedura", type="PO", owner_department="DJ"))
    version_id = uuid4()
    placed = PlacedUpload(version_id=version_id,
                          object_key=original_key(document.id, version_id, "p.pdf"),
                          filename="p.pdf", size=1, sha256="0" * 64)
    versioning = RecordingVersioning()
    with pytest.raises(Forbidden):
        revisions.add_revision(uow, versioning, ENDORSER.username, document.id, placed,
                               ChangeNote(change_summary="prima"))
    assert versioning.asked == []


def test_a_future_effective_date_waits_for_the_timer(uow, clock):
    version_id = draft(uow)
    later = clock.today() + timedelta(days=10)
    assert approve(uow, clock, version_id, effective_date=later).status == S.APPROVED
    assert signing.bring_due_into_force(uow, TYPES, clock.today()) == 0
    clock.advance(days=10)
    assert signing.bring_due_into_force(uow, TYPES, clock.today()) == 1
    assert uow.documents.revision(version_id).status == S.IN_FORCE
    assert uow.outbox.types()[-1] == "version_in_force"
    assert uow.audit.entries[-1]["actor"] == "system"


def test_a_confidential_document_is_not_found_by_an_outsider(uow, clock):
    version_id = draft(uow, confidential=True)
    document_id = uow.documents.revision(version_id).document.id
    with pytest.raises(NotFound):
        reading.readable_document(uow.documents, OUTSIDER.username, document_id)
    with pytest.raises(NotFound) as refused:
        sign(uow, clock, OUTSIDER, version_id, "submit")
    assert refused.value.details == {"version_id": str(version_id)}
    with pytest.raises(NotFound):
        revisions.get_revision(uow, OUTSIDER.username, version_id)
    _, seen = reading.readable_document(uow.documents, RP_HEAD.username, document_id)
    assert seen.confidential   # RP holds it: on the distribution list


def test_the_signing_inbox_lists_what_waits_for_each_person(uow, clock):
    version_id = draft(uow)
    sign(uow, clock, AUTHOR, version_id, "submit")
    assert [(r.version_id, a) for r, a in signing.signing_inbox(uow, CHAINS, "sef.dj")] == [
        (version_id, ["verify", "reject"])]
    assert signing.signing_inbox(uow, CHAINS, "mihai") == []


def test_the_service_hands_its_rpcs_and_timers_to_the_use_cases(uow, clock):
    service = worker_factory(DocumentsService)
    service._uow = lambda: uow
    service.control.chains, service.control.types, service.control.calendar = (
        CHAINS, TYPES, clock)
    version_id = draft(uow, type_="IL")
    for who, action in (("ana", "submit"), ("sef.dj", "verify")):
        service.transition(who, str(version_id), action, {"comment": ""})
    inbox = service.signing_inbox("primar")
    assert [item["revision"]["status"] for item in inbox] == ["in_approval"]
    later = (clock.today() + timedelta(days=1)).isoformat()
    answer = service.transition("primar", str(version_id), "approve",
                                {"comment": "", "effective_date": later})
    assert (answer["status"], answer["registry_number"]) == ("approved", "1/2026")
    clock.advance(days=1)
    assert service.bring_into_force() == 1
