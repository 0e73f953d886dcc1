"""The OpenAPI description covers every /api route of the gateway, with schemas."""
from __future__ import annotations

import inspect

import jsonschema
import pytest

from services.gateway import openapi
from services.gateway.entrypoints import HttpEntrypoint
from services.gateway.service import GatewayService

FALLBACK = "/api/<path:rest>"   # the JSON 404 of unknown paths, not an endpoint


def gateway_routes() -> set[tuple[str, str]]:
    """Every (method, rule) the gateway registers, read from its entrypoints."""
    routes = set()
    for _, method in inspect.getmembers(GatewayService, inspect.isfunction):
        for entrypoint in getattr(method, "nameko_entrypoints", ()):
            if isinstance(entrypoint, HttpEntrypoint):
                for verb in entrypoint.method.split(","):
                    routes.add((verb.strip().upper(), entrypoint.url))
    return routes


def test_every_api_route_of_the_gateway_is_described():
    api = {(m, rule) for m, rule in gateway_routes()
           if rule.startswith("/api/") and rule != FALLBACK}
    assert len(api) >= 20
    spec = openapi.spec()
    missing = [f"{m} {rule}" for m, rule in sorted(api)
               if m.lower() not in spec["paths"].get(openapi.openapi_path(rule), {})]
    assert not missing, ("describe them in services/gateway/openapi.py ENDPOINTS: "
                         + ", ".join(missing))


def test_nothing_is_described_that_the_gateway_does_not_serve():
    served = gateway_routes()
    extra = [f"{e.method} {e.path}" for e in openapi.ENDPOINTS if (e.method, e.path) not in served]
    assert not extra


def test_every_operation_has_a_success_answer_with_a_schema_and_json_errors():
    spec = openapi.spec()
    for path, operations in spec["paths"].items():
        for verb, operation in operations.items():
            success = [s for s in operation["responses"] if s.startswith("2")]
            if operation.get("x-always-refused"):   # immutable versions: only a 409
                assert not success and "409" in operation["responses"], (verb, path)
                success = ["409"]
            assert len(success) == 1, (verb, path)
            answer = operation["responses"][success[0]]
            if success[0] == "204":      # no content: nothing to describe (logout)
                assert "content" not in answer, (verb, path)
            else:
                assert all("schema" in media for media in answer["content"].values()), (
                    verb, path)
            assert operation["responses"]["422"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"}
            if verb in ("post", "put", "patch") and "requestBody" in operation:
                assert operation["requestBody"]["content"]
            for parameter in operation["parameters"]:
                if parameter["in"] == "path":
                    assert "{" + parameter["name"] + "}" in path


def test_every_reference_resolves_and_every_schema_is_valid_json_schema():
    spec = openapi.spec()
    schemas = spec["components"]["schemas"]
    text = str(spec)
    import re
    for name in set(re.findall(r"#/components/schemas/([A-Za-z0-9_-]+)", text)):
        assert name in schemas, name
    for name, schema in schemas.items():
        jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("model, value", [
    ("Version", "version"), ("Document", "document")])
def test_resources_carry_the_fields_of_the_rest_contract(model, value):
    schema = openapi.spec()["components"]["schemas"][model]
    required = {"version": {"id", "document_id", "edition", "revision", "status", "filename",
                            "media_type", "size", "sha256", "extraction"},
                "document": {"id", "code", "title", "type", "owner_department",
                             "distribution", "confidential", "status"}}[value]
    assert required <= set(schema["properties"])
