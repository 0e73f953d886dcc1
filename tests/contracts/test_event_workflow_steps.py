"""The events of workflows as data (issue 15): `version_step_completed` for every signature
of a step, and the step a revision waits in (`current_step`, `awaiting`) on its
transitions, added to the revision events without breaking their published contract."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import jsonschema
import pydantic
import pytest

from procedura_cli.contract import compatibility_problems
from procedura_cli.main import SCHEMAS
from services.contracts import events
from services.contracts.compat import breaking_changes

DOCUMENT_ID = uuid.uuid4()
FACTS = dict(document_id=DOCUMENT_ID, code="PO-DRU-04", title="Recrutarea personalului",
             type="PO", owner_department="DRU", distribution=["DRU", "DJ"],
             confidential=False)


def legal_opinion(**changes) -> events.VersionStepCompletedEvent:
    data = dict(FACTS, version_id=uuid.uuid4(), edition=1, revision=0,
                step="avizare-juridica",
                label={"ro": "Avizare juridică", "en": "Legal endorsement"},
                signer="ioana.dumitru", signer_function="Șef serviciu juridic",
                decision="favourable", quorum=2, signatures=1, quorum_reached=False,
                status_seq=3)
    data.update(changes)
    return events.VersionStepCompletedEvent(subject=DOCUMENT_ID,
                                           data=events.VersionStepCompleted(**data))


def submitted(**changes) -> events.VersionSubmittedEvent:
    data = dict(FACTS, version_id=uuid.uuid4(), edition=1, revision=0,
                status="in_verification", previous_status="draft", status_seq=1,
                actor="ana.popescu", actor_function="Inspector", comment="")
    data.update(changes)
    return events.VersionSubmittedEvent(subject=DOCUMENT_ID,
                                        data=events.RevisionTransitioned(**data))


def test_version_step_completed_is_a_documents_event_with_its_schema():
    model = events.ALL_EVENTS["version_step_completed"]
    assert model is events.VersionStepCompletedEvent
    assert model.model_fields["source"].default == "documents"
    assert (SCHEMAS / "version_step_completed.json").exists()
    assert (SCHEMAS / "published" / "version_step_completed.v1.json").exists()
    assert "`version_step_completed`" in (SCHEMAS / "README.md").read_text(encoding="utf-8")


def test_a_step_signature_validates_against_its_schema_and_parses_back():
    event = legal_opinion()
    payload = json.loads(event.model_dump_json())
    jsonschema.validate(payload, events.json_schemas()["version_step_completed"])
    assert events.parse(payload) == event
    assert payload["data"]["label"] == {"ro": "Avizare juridică", "en": "Legal endorsement"}
    assert payload["data"]["quorum_reached"] is False
    assert payload["subject"] == str(DOCUMENT_ID)


def test_a_decision_is_favourable_unfavourable_or_signed():
    for decision in ("favourable", "unfavourable", "signed"):
        assert legal_opinion(decision=decision).data.decision == decision
    with pytest.raises(pydantic.ValidationError, match="decision"):
        legal_opinion(decision="approved")
    payload = json.loads(legal_opinion().model_dump_json())
    payload["data"]["decision"] = "approved"
    assert not jsonschema.Draft202012Validator(
        events.json_schemas()["version_step_completed"]).is_valid(payload)
    with pytest.raises(pydantic.ValidationError, match="label.en"):
        legal_opinion(label={"ro": "Avizare juridică"})


def test_a_transition_names_the_step_awaited_and_who_signs_it():
    entered = datetime(2026, 12, 7, 9, 30, tzinfo=timezone.utc)
    event = submitted(current_step="verify", awaiting={
        "step": "verify", "label": {"ro": "Verificare", "en": "Verification"},
        "role": "verifier", "department": "DRU", "quorum": 1, "opinions": False,
        "deadline_working_days": 5, "entered_at": entered})
    payload = json.loads(event.model_dump_json())
    jsonschema.validate(payload, events.json_schemas()["version_submitted"])
    assert events.parse(payload) == event
    awaiting = payload["data"]["awaiting"]
    assert awaiting["role"] == "verifier" and awaiting["department"] == "DRU"
    assert awaiting["label"] == {"ro": "Verificare", "en": "Verification"}
    assert awaiting["deadline_working_days"] == 5
    assert datetime.fromisoformat(awaiting["entered_at"]) == entered
    # a committee of any department giving opinions, with no deadline
    committee = submitted(status="in_endorsement", current_step="comisie", awaiting=dict(
        awaiting, step="comisie", role="endorser", department=None, quorum=2,
        label={"ro": "Comisie de avizare", "en": "Endorsement committee"},
        opinions=True, deadline_working_days=None)).data.awaiting
    assert committee.department is None and committee.deadline_working_days is None
    assert committee.quorum == 2 and committee.label.ro == "Comisie de avizare"
    with pytest.raises(pydantic.ValidationError, match="awaiting.role"):
        submitted(awaiting=dict(awaiting, role="mayor"))


def test_a_transition_published_before_workflows_still_parses():
    """Messages in queues (and consumers) from before issue 15 have neither field."""
    payload = json.loads(submitted().model_dump_json())
    del payload["data"]["current_step"], payload["data"]["awaiting"]
    event = events.parse(payload)
    assert event.data.current_step is None and event.data.awaiting is None
    jsonschema.validate(payload, events.json_schemas()["version_submitted"])


def test_the_new_fields_are_an_additive_change_of_every_revision_event():
    """Against the baselines published before the fields existed (the gate itself runs
    on the committed baselines in test_event_contract.py)."""
    assert compatibility_problems(SCHEMAS) == []
    current = events.json_schemas()
    revision_events = [t for t, m in events.ALL_EVENTS.items()
                       if m.model_fields["data"].annotation is events.RevisionTransitioned]
    assert "version_approved" in revision_events and "document_withdrawn" in revision_events
    for event_type in revision_events:
        before = json.loads(json.dumps(current[event_type]))
        data = before["$defs"]["RevisionTransitioned"]["properties"]
        del data["current_step"], data["awaiting"]
        before["$defs"].pop("Awaiting"), before["$defs"].pop("StepLabel")
        assert breaking_changes(before, current[event_type]) == [], event_type
        # the gate would see the opposite (dropping them again) as breaking
        assert "data.awaiting: removed field" in breaking_changes(current[event_type], before)
