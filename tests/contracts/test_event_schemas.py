import json
import uuid

import jsonschema
import pydantic
import pytest

from procedura_cli.main import SCHEMAS
from services.contracts import events


def test_exported_schemas_are_current():
    """Fails when a model changed and `make schemas` was not run."""
    current = events.json_schemas()
    on_disk = {p.stem: json.loads(p.read_text(encoding="utf-8"))
               for p in SCHEMAS.glob("*.json")}
    assert set(on_disk) == set(current), "run `make schemas`"
    for name, schema in current.items():
        assert on_disk[name] == json.loads(json.dumps(schema)), f"{name}: run `make schemas`"


def test_every_event_has_the_envelope():
    for name, schema in events.json_schemas().items():
        assert {"id", "type", "source", "time", "subject", "schema_version",
                "data"} <= set(schema["properties"]), name
        assert schema["properties"]["type"]["const"] == name


def test_a_published_event_validates_against_its_schema_and_parses_back():
    event = events.VersionTextExtractedEvent(
        subject=uuid.uuid4(), data=events.VersionTextExtracted(
            version_id=uuid.uuid4(), document_id=uuid.uuid4(), characters=10,
            truncated=False))
    payload = json.loads(event.model_dump_json())
    jsonschema.validate(payload, events.json_schemas()["version_text_extracted"])
    assert events.parse(payload) == event


def test_a_consumer_reads_an_event_with_a_field_it_does_not_know_yet():
    """Additive changes keep the event type (docs/events/README.md), so a consumer built
    before a field was added must still take the event: unknown fields are ignored, and
    the schemas do not forbid them. A missing required field is still refused."""
    event = events.VersionTextExtractedEvent(
        subject=uuid.uuid4(), data=events.VersionTextExtracted(
            version_id=uuid.uuid4(), document_id=uuid.uuid4(), characters=10,
            truncated=False))
    payload = json.loads(event.model_dump_json())
    newer = {**payload, "traceparent": "00-abc-01",
             "data": {**payload["data"], "language": "ro"}}
    assert events.parse(newer) == event
    schema = events.json_schemas()["version_text_extracted"]
    jsonschema.validate(newer, schema)
    assert schema.get("additionalProperties", True) is not False
    del newer["data"]["characters"]
    with pytest.raises(pydantic.ValidationError):
        events.parse(newer)
