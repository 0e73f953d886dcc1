"""Every event of Procedura is a CloudEvents 1.0 event in structured JSON (issue 15), so a
subscriber of the city hall can read it with a CloudEvents SDK; the attributes were added
without breaking the published contract (docs/events/README.md, "CloudEvents")."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import jsonschema
import pytest
from cloudevents.core.exceptions import CloudEventValidationError
from cloudevents.core.formats.json import JSONFormat
from cloudevents.v1.http import from_json

from procedura_cli.contract import compatibility_problems
from procedura_cli.main import SCHEMAS
from services.contracts import events
from services.contracts.compat import breaking_changes

CLOUDEVENTS = ("specversion", "datacontenttype", "dataschema")
DOCUMENT_ID = uuid.uuid4()


def step_completed() -> events.VersionStepCompletedEvent:
    return events.VersionStepCompletedEvent(
        subject=DOCUMENT_ID, time=datetime(2026, 12, 7, 10, 15, tzinfo=timezone.utc),
        data=events.VersionStepCompleted(
            document_id=DOCUMENT_ID, code="PO-DRU-04", title="Recrutarea personalului",
            type="PO", owner_department="DRU", distribution=["DRU", "DJ"],
            confidential=False, version_id=uuid.uuid4(), edition=1, revision=0,
            step="avizare-juridica",
            label={"ro": "Avizare juridică", "en": "Legal endorsement"},
            signer="ioana.dumitru", signer_function="Șef serviciu juridic",
            decision="favourable", quorum=1, signatures=1, quorum_reached=True,
            status_seq=3))


def published_schema(uri: str) -> dict:
    """What a subscriber fetches at `dataschema`: the published baseline of that name."""
    assert uri.startswith(events.DATASCHEMA_BASE), uri
    name = uri[len(events.DATASCHEMA_BASE):]
    return json.loads((SCHEMAS / "published" / name).read_text(encoding="utf-8"))


def test_every_event_carries_the_cloudevents_attributes():
    for event_type, model in events.ALL_EVENTS.items():
        properties = events.json_schemas()[event_type]["properties"]
        assert properties["specversion"]["const"] == "1.0", event_type
        assert properties["datacontenttype"]["const"] == "application/json", event_type
        assert properties["dataschema"]["format"] == "uri", event_type
        # optional: messages from before them are still valid
        assert not set(CLOUDEVENTS) & set(events.json_schemas()[event_type]["required"])
        version = model.model_fields["schema_version"].default
        uri = events.dataschema_uri(event_type, version)
        assert uri == f"https://procedura.example/events/{event_type}.v{version}.json"
        assert published_schema(uri) == json.loads(json.dumps(events.json_schemas()[event_type]))


def test_a_real_envelope_is_read_by_the_official_sdk():
    """The body the outbox relay publishes (the envelope's JSON), read as a subscriber
    would with the CloudEvents SDK from PyPI."""
    event = step_completed()
    body = event.model_dump_json()
    cloud_event = from_json(body)
    assert cloud_event["specversion"] == "1.0"
    assert cloud_event["type"] == "version_step_completed"
    assert cloud_event["source"] == "documents"
    assert cloud_event["id"] == str(event.id)
    assert cloud_event["subject"] == str(DOCUMENT_ID)
    assert cloud_event["time"] == "2026-12-07T10:15:00Z"
    assert cloud_event["datacontenttype"] == "application/json"
    assert cloud_event["dataschema"] == (
        "https://procedura.example/events/version_step_completed.v1.json")
    assert cloud_event["schema_version"] == 1          # an extension attribute
    assert cloud_event.data["step"] == "avizare-juridica"
    assert cloud_event.data["label"]["ro"] == "Avizare juridică"
    assert cloud_event.data["quorum_reached"] is True
    # the data validates against the schema its dataschema names
    jsonschema.validate({**json.loads(body), "data": cloud_event.data},
                        published_schema(cloud_event["dataschema"]))
    # and what the SDK read is the event Procedura sent
    assert events.parse({**cloud_event.get_attributes(), "data": cloud_event.data}) == event


def test_the_sdk_core_api_reads_it_once_schema_version_is_set_aside():
    """The SDK's newer core API refuses extension names with other characters than a-z
    and 0-9, such as `schema_version` (kept for the subscribers that read it; its value
    is in `dataschema` too): the README tells subscribers to set it aside first."""
    payload = json.loads(step_completed().model_dump_json())
    with pytest.raises(CloudEventValidationError, match="schema_version"):
        JSONFormat().read(None, json.dumps(payload).encode())
    payload.pop("schema_version")
    cloud_event = JSONFormat().read(None, json.dumps(payload).encode())
    assert cloud_event.get_type() == "version_step_completed"
    assert cloud_event.get_source() == "documents"
    assert cloud_event.get_subject() == str(DOCUMENT_ID)
    assert cloud_event.get_dataschema().endswith("/version_step_completed.v1.json")
    assert cloud_event.get_data()["signer"] == "ioana.dumitru"


def test_a_message_from_before_cloudevents_still_parses():
    """Messages still in queues, or dead letters replayed, have none of the attributes."""
    payload = json.loads(step_completed().model_dump_json())
    old = {k: v for k, v in payload.items() if k not in CLOUDEVENTS}
    event = events.parse(old)
    assert event.specversion == "1.0" and event.datacontenttype == "application/json"
    assert event.dataschema == events.dataschema_uri("version_step_completed", 1)
    jsonschema.validate(old, events.json_schemas()["version_step_completed"])
    # a dataschema given by the sender is kept, a wrong specversion refused
    assert events.parse({**payload, "dataschema": "urn:x"}).dataschema == "urn:x"
    with pytest.raises(ValueError, match="specversion"):
        events.parse({**payload, "specversion": "0.3"})


def test_the_attributes_are_an_additive_change_of_every_published_event():
    """The gate against the committed baselines, and, for every type, the envelope as it
    was published before the attributes: compatible one way, breaking the other."""
    assert compatibility_problems(SCHEMAS) == []
    for event_type, schema in events.json_schemas().items():
        before = json.loads(json.dumps(schema))
        for name in CLOUDEVENTS:
            del before["properties"][name]
        assert breaking_changes(before, schema) == [], event_type
        assert breaking_changes(schema, before) == [f"{name}: removed field"
                                                    for name in schema["properties"]
                                                    if name in CLOUDEVENTS], event_type


def test_the_readme_example_is_an_event_the_sdk_and_procedura_read():
    readme = (SCHEMAS / "README.md").read_text(encoding="utf-8")
    example = readme.split("Example, `version_step_completed`", 1)[1]
    body = example.split("```json\n", 1)[1].split("```", 1)[0]
    cloud_event = from_json(body)
    event = events.parse(json.loads(body))
    assert isinstance(event, events.VersionStepCompletedEvent)
    assert cloud_event["dataschema"] == event.dataschema == events.dataschema_uri(
        "version_step_completed", 1)
    assert cloud_event.data["label"] == {"ro": "Avizare juridică", "en": "Legal endorsement"}
    jsonschema.validate(json.loads(body), published_schema(cloud_event["dataschema"]))
