"""The AsyncAPI 3.0 document of Procedura's events, generated from the models in
services/contracts/events.py (`procedura schemas` writes docs/events/asyncapi.yaml).

One channel per event type: the routing key (= the type) on the topic exchange
`<source>.events`; one `send` operation per channel (Procedura publishes); the
message payload is the event's JSON Schema, its shared models under
`components/schemas`. Any event class added to `ALL_EVENTS` appears here by itself.
"""
from __future__ import annotations

import copy
import inspect
from typing import Any

from services.contracts import events

AMQP_BINDING = "0.3.0"
SERVERS = {
    "local": {"host": "127.0.0.1:5672", "protocol": "amqp", "protocolVersion": "0.9.1",
              "pathname": "/",
              "description": "The local stack (scripts/stack.sh); vhost `/`, user "
                             "procedura-subscriber (password in .stack/secrets.env)."},
    "k8s": {"host": "rabbitmq:5672", "protocol": "amqp", "protocolVersion": "0.9.1",
            "pathname": "/",
            "description": "Inside the cluster (deploy/k8s): the `rabbitmq` Service of "
                           "Procedura's namespace; credentials from the procedura Secret."},
}


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: (v.replace("#/$defs/", "#/components/schemas/")
                    if k == "$ref" and isinstance(v, str) else _rewrite_refs(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_rewrite_refs(v) for v in node]
    return node


def _add_schema(schemas: dict, name: str, schema: dict) -> None:
    if name in schemas and schemas[name] != schema:
        raise ValueError(f"two different models are both called {name}: rename one")
    schemas[name] = schema


def channel_id(source: str, event_type: str) -> str:
    return f"{source}_{event_type}"


def _message(event_type: str, model) -> dict:
    summary = " ".join(inspect.getdoc(model).split()) if model.__doc__ else event_type
    return {
        "name": event_type,
        "title": event_type,
        "summary": summary,
        "contentType": "application/json",
        "payload": {"$ref": f"#/components/schemas/{model.__name__}"},
        "correlationId": {"description": "The event's id; subscribers dedupe by it.",
                          "location": "$message.payload#/id"},
        "bindings": {"amqp": {"messageType": event_type, "bindingVersion": AMQP_BINDING}},
        "x-schema-version": model.model_fields["schema_version"].default,
    }


def _channel(source: str, event_type: str) -> dict:
    return {
        "address": event_type,
        "title": f"{source}.events / {event_type}",
        "description": f"Routing key `{event_type}` on the topic exchange "
                       f"`{source}.events`; bind a durable queue of your own to it.",
        "messages": {event_type: {"$ref": f"#/components/messages/{event_type}"}},
        "bindings": {"amqp": {
            "is": "routingKey",
            "exchange": {"name": f"{source}.events", "type": "topic", "durable": True,
                         "autoDelete": False, "vhost": "/"},
            "bindingVersion": AMQP_BINDING}},
    }


def _operation(source: str, event_type: str) -> dict:
    cid = channel_id(source, event_type)
    return {
        "action": "send",
        "channel": {"$ref": f"#/channels/{cid}"},
        "summary": f"{source} publishes {event_type} (persistent, publisher confirms, "
                   "at least once)",
        "messages": [{"$ref": f"#/channels/{cid}/messages/{event_type}"}],
        "bindings": {"amqp": {"deliveryMode": 2, "bindingVersion": AMQP_BINDING}},
    }


def document(version: str) -> dict:
    """The AsyncAPI document (a plain dict, ready for YAML)."""
    schemas: dict[str, dict] = {}
    messages: dict[str, dict] = {}
    channels: dict[str, dict] = {}
    operations: dict[str, dict] = {}
    for event_type, model in sorted(events.ALL_EVENTS.items()):
        source = model.model_fields["source"].default
        schema = copy.deepcopy(model.model_json_schema())
        for name, definition in schema.pop("$defs", {}).items():
            _add_schema(schemas, name, _rewrite_refs(definition))
        _add_schema(schemas, model.__name__, _rewrite_refs(schema))
        messages[event_type] = _message(event_type, model)
        cid = channel_id(source, event_type)
        channels[cid] = _channel(source, event_type)
        operations[f"publish_{cid}"] = _operation(source, event_type)
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Procedura events",
            "version": version,
            "description": (
                "What Procedura publishes for the other systems of the city hall. Every "
                "message is JSON in one envelope (id, type, source, time, subject, "
                "schema_version, data), a CloudEvents 1.0 event in structured JSON "
                "(specversion, datacontenttype, dataschema: the URI of the event's "
                "published JSON Schema). Delivery is at least once: dedupe by `id`. "
                "Versioning policy and how to subscribe: docs/events/README.md. "
                "Generated from services/contracts/events.py by `procedura schemas`."),
        },
        "defaultContentType": "application/json",
        "servers": copy.deepcopy(SERVERS),
        "channels": channels,
        "operations": operations,
        "components": {"schemas": dict(sorted(schemas.items())), "messages": messages},
    }
