"""The one reader of what a request to the REST API carries: ids in the path, whole
numbers, the JSON body, and the query or body as one of the request models
(services/gateway/requests.py). Whatever is wrong is refused with a 4xx naming the
parameter, in the words the API has always used (clients and tests read them)."""
from __future__ import annotations

import json
import re
from typing import Any, Mapping
from uuid import UUID

from pydantic import BaseModel, ValidationError

from services.contracts.errors import InvalidInput, NotFound, validate

MAX_JSON = 1024 * 1024   # bytes of a JSON request body
MAX_JSON_DEPTH = 32      # nesting of a JSON request body: no model of Procedura nears it
BIGINT_MAX = 2 ** 63 - 1   # PostgreSQL's bigint: a larger number is an error there, not here
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")
# a field missing, empty or not text: the person must give it (the log-in's words)
_NOT_GIVEN = ("missing", "string_type", "string_too_short")


def uuid(value: str, what: str) -> str:
    """The id of a `what` (document, version) in its canonical form; an id that is no
    UUID names nothing, so it is not found (404), as any other unknown id."""
    try:
        return str(UUID(value))
    except ValueError:
        raise NotFound(f"no {what} {value}", {what + "_id": value}) from None


def parse_query(model: type[BaseModel], args: Mapping[str, str]):
    """The query parameters as `model`: an empty one counts as not given, and one the
    model does not name is ignored (a query is read, never refused for its extras)."""
    given = {k: v for k, v in args.items() if v != "" and k in model.model_fields}
    return _parsed(model, given)


def parse_body(model: type[BaseModel], request):
    """The JSON body as `model`, reading only the fields it names (the others are
    ignored, as by the hand checks this replaces)."""
    body = json_body(request)
    return _parsed(model, {k: v for k, v in body.items() if k in model.model_fields})


def body_as(model: type[BaseModel], request, *, changed_only: bool = False) -> dict:
    """The JSON body checked as `model`, in the JSON form the services take; with
    `changed_only`, only the fields the client named (a change to a record)."""
    checked = validate(model, json_body(request))
    return checked.model_dump(mode="json", exclude_unset=changed_only)


def _parsed(model: type[BaseModel], data: dict[str, Any]):
    """A field not given is named alone, the first one in the model's order: with the
    model's own sentence for it (`NOT_GIVEN`), else `<field> is required`. Any other
    problem is named as every model names it (contracts.errors.validate)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
    if first["type"] in _NOT_GIVEN and len(first["loc"]) == 1:
        field = str(first["loc"][0])
        sentence = getattr(model, "NOT_GIVEN", {}).get(field, f"{field} is required")
        raise InvalidInput(sentence, {"field": field})
    return validate(model, data)   # fails again: InvalidInput naming every problem


def whole_number(value: str, field: str, maximum: int = BIGINT_MAX) -> int:
    """A parameter that must be a whole number from 0 to `maximum`, or InvalidInput naming
    it. ASCII digits only: int() also reads '١٢' or '１２', which no client means as a
    number here, and a number past bigint would fail in PostgreSQL instead."""
    if not _ASCII_DIGITS.fullmatch(value) or int(value) > maximum:
        raise InvalidInput(f"{field} must be a whole number from 0 to {maximum}",
                           {"field": field})
    return int(value)


def within_bounds(model: type[BaseModel], field: str, value: int, unit: str) -> int:
    """`value` within the bounds `model` declares for `field` (its `ge` and `le`, what the
    OpenAPI document shows), or InvalidInput naming the field and both bounds."""
    bounds = {name: getattr(rule, name) for rule in model.model_fields[field].metadata
              for name in ("ge", "le") if hasattr(rule, name)}
    low, high = bounds["ge"], bounds["le"]
    if not low <= value <= high:
        raise InvalidInput(f"{field} must be from {low} to {high} {unit}",
                           {"field": field, "minimum": low, "maximum": high})
    return value


def json_body(request) -> dict:
    """The JSON object a request carries, or InvalidInput naming what is wrong with it."""
    if (request.content_length or 0) > MAX_JSON:
        raise InvalidInput("the request body is too large", {"field": "body"})
    data = request.get_data() or b"{}"
    if len(data) > MAX_JSON:     # chunked: no Content-Length to check first
        raise InvalidInput("the request body is too large", {"field": "body"})
    too_deep = InvalidInput(f"the body nests arrays or objects more than {MAX_JSON_DEPTH} "
                            "levels deep", {"field": "body", "max_depth": MAX_JSON_DEPTH})
    try:
        body = json.loads(data)
    except RecursionError:   # json's decoder stops itself at Python's recursion limit
        raise too_deep from None
    except ValueError as exc:
        raise InvalidInput(f"malformed JSON: {exc}", {"field": "body"}) from None
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object", {"field": "body"})
    if _depth(body) > MAX_JSON_DEPTH:   # before anything walks it recursively
        raise too_deep
    where = _nul_at(body)
    if where is not None:   # PostgreSQL refuses NUL in text: name the field instead
        raise InvalidInput(f"{where} contains a NUL character", {"field": where})
    return body


def _depth(value) -> int:
    """How deep the arrays and objects of a JSON value nest, found without recursion."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return deepest


def _nul_at(value, path: str = "") -> str | None:
    """The first field (dotted path) of a JSON value whose text holds a NUL character
    (the value nests at most MAX_JSON_DEPTH deep: json_body checked)."""
    if isinstance(value, str):
        return (path or "body") if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return here.replace("\x00", "")
            found = _nul_at(item, here)
            if found is not None:
                return found
    if isinstance(value, list):
        for n, item in enumerate(value):
            found = _nul_at(item, f"{path}[{n}]")
            if found is not None:
                return found
    return None


