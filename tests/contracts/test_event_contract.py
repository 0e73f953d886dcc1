"""The event contract other systems of the city hall build on: the AsyncAPI document,
and the compatibility gate against the published baselines (docs/events/published)."""
from __future__ import annotations

import copy
import json
import re
import shutil
import uuid
from pathlib import Path

import jsonschema
import pytest
import yaml

from procedura_cli.contract import compatibility_problems, write_or_check
from procedura_cli.main import SCHEMAS
from services.contracts import events
from services.contracts.asyncapi import document
from services.contracts.compat import breaking_changes

ID = re.compile(r"^[A-Za-z0-9_\-]+$")          # channel and operation ids (AsyncAPI 3.0)
COMPONENT = re.compile(r"^[a-zA-Z0-9.\-_]+$")   # component keys (AsyncAPI 3.0)


# ---------------------------------------------------------------- AsyncAPI

@pytest.fixture(scope="module")
def asyncapi() -> dict:
    return yaml.safe_load((SCHEMAS / "asyncapi.yaml").read_text(encoding="utf-8"))


def _pointer(doc: dict, ref: str):
    assert ref.startswith("#/"), ref
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"{ref} does not resolve"
        node = node[part]
    return node


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_the_asyncapi_document_on_disk_is_the_generated_one(asyncapi):
    assert asyncapi == json.loads(json.dumps(document(asyncapi["info"]["version"])))


def test_the_asyncapi_document_is_valid_against_the_official_3_0_0_schema(asyncapi):
    """tests/contracts/asyncapi/: the AsyncAPI Initiative's JSON Schema, copied."""
    spec = json.loads((Path(__file__).parent / "asyncapi" / "asyncapi-3.0.0.schema.json")
                      .read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(spec)
    errors = [f"{'/'.join(map(str, e.path))}: {e.message[:200]}"
              for e in validator.iter_errors(asyncapi)]
    assert errors == []
    # and the official schema does catch a mistake in such a document
    broken = copy.deepcopy(asyncapi)
    broken["channels"]["documents_version_approved"]["address"] = 5
    del broken["operations"]["publish_documents_version_approved"]["action"]
    assert len(list(validator.iter_errors(broken))) >= 2


def test_the_asyncapi_document_has_the_3_0_structure(asyncapi):
    assert asyncapi["asyncapi"] == "3.0.0"
    assert set(asyncapi) <= {"asyncapi", "id", "info", "servers", "defaultContentType",
                             "channels", "operations", "components"}
    assert asyncapi["info"]["title"] and asyncapi["info"]["version"]
    assert set(asyncapi["servers"]) == {"local", "k8s"}
    for server in asyncapi["servers"].values():
        assert server["protocol"] == "amqp" and server["protocolVersion"] == "0.9.1"
        assert "://" not in server["host"] and server["pathname"].startswith("/")
    for key in list(asyncapi["channels"]) + list(asyncapi["operations"]):
        assert ID.match(key), key
    for section in asyncapi["components"].values():
        for key in section:
            assert COMPONENT.match(key), key
    for ref in _refs(asyncapi):     # every reference resolves inside the document
        _pointer(asyncapi, ref)
    for operation in asyncapi["operations"].values():
        assert operation["action"] in {"send", "receive"}
        channel = _pointer(asyncapi, operation["channel"]["$ref"])
        for message in operation["messages"]:
            # an operation's messages are its channel's
            assert message["$ref"].startswith(operation["channel"]["$ref"] + "/messages/")
            assert _pointer(asyncapi, message["$ref"]) in channel["messages"].values()


def test_every_event_type_is_a_channel_on_its_exchange(asyncapi):
    """New event classes (ALL_EVENTS) appear by themselves."""
    by_address = {c["address"]: c for c in asyncapi["channels"].values()}
    assert set(by_address) == set(events.ALL_EVENTS)
    for event_type, model in events.ALL_EVENTS.items():
        binding = by_address[event_type]["bindings"]["amqp"]
        assert binding["is"] == "routingKey"
        assert binding["exchange"] == {"name": f"{model.model_fields['source'].default}.events",
                                       "type": "topic", "durable": True, "autoDelete": False,
                                       "vhost": "/"}
        message = asyncapi["components"]["messages"][event_type]
        assert message["contentType"] == "application/json"
        assert message["x-schema-version"] == model.model_fields["schema_version"].default


def test_a_real_event_validates_against_its_asyncapi_payload_and_garbage_does_not(asyncapi):
    jsonschema.Draft202012Validator.check_schema(asyncapi["components"]["schemas"]
                                                 ["VersionApprovedEvent"])
    payload_ref = asyncapi["components"]["messages"]["version_stored"]["payload"]["$ref"]
    validator = jsonschema.Draft202012Validator({**asyncapi, "$ref": payload_ref})
    event = events.VersionStoredEvent(subject=uuid.uuid4(), data=events.VersionStored(
        version_id=uuid.uuid4(), document_id=uuid.uuid4(), edition=1, revision=0,
        filename="p.docx", media_type="application/pdf", size=10, sha256="ab" * 32))
    payload = json.loads(event.model_dump_json())
    validator.validate(payload)
    wrong = copy.deepcopy(payload)
    wrong["data"]["size"] = "ten"
    assert not validator.is_valid(wrong)
    # and a revision event, through the shared RevisionStatus model
    approved_ref = asyncapi["components"]["messages"]["version_approved"]["payload"]["$ref"]
    approved = jsonschema.Draft202012Validator({**asyncapi, "$ref": approved_ref})
    document_id = uuid.uuid4()
    event = events.VersionApprovedEvent(subject=document_id, data=events.RevisionTransitioned(
        document_id=document_id, code="PO-DJ-01", title="Petiții", type="PO",
        owner_department="DJ", distribution=["DJ"], confidential=False,
        version_id=uuid.uuid4(), edition=1, revision=2, status="approved",
        previous_status="in_approval", status_seq=4, actor="daniel.balan",
        actor_function="Primar", comment="Aprob"))
    payload = json.loads(event.model_dump_json())
    approved.validate(payload)
    payload["data"]["status"] = "signed"
    assert not approved.is_valid(payload)


# ---------------------------------------------------------------- compatibility

def test_no_published_event_changed_incompatibly():
    """Fails when a model changed in a way subscribers would break on, without a new
    event type (docs/events/README.md, "Versioning")."""
    assert compatibility_problems(SCHEMAS) == []


def test_the_published_baselines_and_asyncapi_are_current():
    assert write_or_check(SCHEMAS, check=True) == [], "run `procedura schemas`"


def test_every_event_type_has_a_published_baseline():
    names = {p.name for p in (SCHEMAS / "published").glob("*.json")}
    for event_type, model in events.ALL_EVENTS.items():
        version = model.model_fields["schema_version"].default
        assert f"{event_type}.v{version}.json" in names


BASE = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "data": {"$ref": "#/$defs/Data"},
    },
    "required": ["id", "data"],
    "additionalProperties": False,
    "$defs": {
        "Status": {"enum": ["draft", "approved", "in_force"], "type": "string"},
        "Data": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "status": {"$ref": "#/$defs/Status"},
                "pages": {"type": "integer"},
                "distribution": {"type": "array", "items": {"type": "string"}},
                "comment": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
            },
            "required": ["code", "status", "pages", "distribution"],
        },
    },
}


def _changed(edit) -> dict:
    schema = copy.deepcopy(BASE)
    edit(schema)
    return schema


def _data(schema) -> dict:
    return schema["$defs"]["Data"]


def test_compatible_changes_pass():
    assert breaking_changes(BASE, BASE) == []

    def new_optional_field(s):
        _data(s)["properties"]["note"] = {"type": "string", "default": ""}

    def widened_enum(s):
        s["$defs"]["Status"]["enum"].append("archived")

    def widened_type(s):
        _data(s)["properties"]["pages"] = {"type": "number"}

    def optional_made_nullable(s):
        _data(s)["properties"]["code"] = {"anyOf": [{"type": "string"}, {"type": "null"}]}

    for edit in (new_optional_field, widened_enum, widened_type, optional_made_nullable):
        assert breaking_changes(BASE, _changed(edit)) == [], edit.__name__


def test_a_removed_field_is_breaking():
    changes = breaking_changes(BASE, _changed(lambda s: _data(s)["properties"].pop("comment")))
    assert changes == ["data.comment: removed field"]


def test_a_changed_type_is_breaking():
    changes = breaking_changes(BASE, _changed(
        lambda s: _data(s)["properties"].update(pages={"type": "string"})))
    assert len(changes) == 1 and changes[0].startswith("data.pages: changed type")
    # null no longer allowed
    changes = breaking_changes(BASE, _changed(
        lambda s: _data(s)["properties"].update(comment={"type": "string"})))
    assert changes and "no longer accepts null" in changes[0]
    # inside an array
    changes = breaking_changes(BASE, _changed(
        lambda s: _data(s)["properties"]["distribution"].update(items={"type": "integer"})))
    assert changes and changes[0].startswith("data.distribution[]: changed type")
    # a changed format
    changes = breaking_changes(BASE, _changed(lambda s: s["properties"]["id"].update(
        format="date-time")))
    assert changes == ["id: changed format (uuid -> date-time)"]


def test_a_new_required_field_is_breaking():
    def new_required(s):
        _data(s)["properties"]["owner"] = {"type": "string"}
        _data(s)["required"].append("owner")

    assert breaking_changes(BASE, _changed(new_required)) == ["data.owner: new required field"]
    made_required = _changed(lambda s: _data(s)["required"].append("comment"))
    assert breaking_changes(BASE, made_required) == [
        "data.comment: optional field made required"]


def test_a_narrowed_enum_is_breaking_even_in_a_shared_model():
    changes = breaking_changes(BASE, _changed(lambda s: s["$defs"]["Status"]["enum"].remove(
        "in_force")))
    assert changes == ["data.status: narrowed enum (no longer accepts in_force)"]


def test_the_gate_fails_on_a_breaking_change_to_a_real_event(tmp_path):
    """As if `version_approved` had lost `data.comment` since it was published: the
    published baseline still has it, so `procedura schemas` refuses to write."""
    folder = tmp_path / "events"
    shutil.copytree(SCHEMAS, folder)
    baseline = folder / "published" / "version_approved.v1.json"
    published = json.loads(baseline.read_text())
    published["$defs"]["RevisionTransitioned"]["properties"]["signed_on_paper"] = {
        "type": "boolean"}
    baseline.write_text(json.dumps(published))
    problems = compatibility_problems(folder)
    assert problems == ["version_approved (published v1): data.signed_on_paper: removed "
                        "field; publish it as a new event type instead"]
    assert write_or_check(folder, check=False) == problems
    assert json.loads(baseline.read_text()) == published   # nothing overwritten


def test_a_published_type_cannot_silently_disappear(tmp_path):
    folder = tmp_path / "events"
    shutil.copytree(SCHEMAS, folder)
    shutil.copy(folder / "published" / "version_stored.v1.json",
                folder / "published" / "version_archived_by_fax.v1.json")
    [problem] = compatibility_problems(folder)
    assert problem.startswith("version_archived_by_fax: published, but no event class")
    (folder / "published" / "retired").mkdir()
    shutil.move(folder / "published" / "version_archived_by_fax.v1.json",
                folder / "published" / "retired" / "version_archived_by_fax.v1.json")
    assert compatibility_problems(folder) == []


def test_an_additive_change_updates_the_baseline(tmp_path):
    """`author` (optional) was added to revision events after v1 was published: that is
    compatible, and `procedura schemas` takes it into the baseline."""
    folder = tmp_path / "events"
    shutil.copytree(SCHEMAS, folder)
    baseline = folder / "published" / "version_approved.v1.json"
    older = json.loads(baseline.read_text())
    del older["$defs"]["RevisionTransitioned"]["properties"]["author"]
    baseline.write_text(json.dumps(older))
    assert compatibility_problems(folder) == []
    assert write_or_check(folder, check=True) == ["published/version_approved.v1.json: "
                                                  "stale; run `procedura schemas`"]
    assert write_or_check(folder, check=False) == []
    assert "author" in json.loads(baseline.read_text())["$defs"]["RevisionTransitioned"][
        "properties"]
    assert write_or_check(folder, check=True) == []


def test_a_new_event_class_is_picked_up_by_itself(monkeypatch, tmp_path):
    """What another change adding e.g. `document_archived` gets from `procedura schemas`
    without touching the generator: a channel, a message and a baseline."""
    from typing import Literal

    class DocumentArchivedEvent(events.Envelope):
        type: Literal["document_archived"] = "document_archived"
        source: Literal["documents"] = "documents"
        data: events.DocumentRegistered

    monkeypatch.setitem(events.ALL_EVENTS, "document_archived", DocumentArchivedEvent)
    doc = document("0.0.0")
    assert doc["channels"]["documents_document_archived"]["address"] == "document_archived"
    assert "document_archived" in doc["components"]["messages"]
    folder = tmp_path / "events"
    shutil.copytree(SCHEMAS, folder)
    stale = write_or_check(folder, check=True)
    assert "published/document_archived.v1.json: stale; run `procedura schemas`" in stale
    assert "asyncapi.yaml: stale; run `procedura schemas`" in stale
    assert write_or_check(folder, check=False) == []
    assert (folder / "published" / "document_archived.v1.json").exists()
    assert (folder / "document_archived.json").exists()
