"""The contracts other programs rely on are what tests/contracts/golden/ recorded: the
gateway's routes and their method names, RPC names, parameters and callers, event handler
queues, and the OpenAPI document. See tests/contracts/unchanged.py."""
from __future__ import annotations

import json

import pytest

from tests.contracts.unchanged import GOLDEN, current


def _differences(expected, actual, path=""):
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual)):
            where = f"{path}/{key}"
            if key not in actual:
                yield f"{where}: missing"
            elif key not in expected:
                yield f"{where}: new"
            else:
                yield from _differences(expected[key], actual[key], where)
    elif isinstance(expected, list) and isinstance(actual, list) and expected != actual:
        gone = [item for item in expected if item not in actual]
        new = [item for item in actual if item not in expected]
        yield f"{path}: gone {gone!r}, new {new!r}" if gone or new else f"{path}: reordered"
    elif expected != actual:
        yield f"{path}: {expected!r} became {actual!r}"


@pytest.mark.parametrize("filename", ["entrypoints.json", "openapi.json"])
def test_contract_is_unchanged(filename):
    expected = json.loads((GOLDEN / filename).read_text(encoding="utf-8"))
    actual = json.loads(json.dumps(current()[filename]))
    differences = list(_differences(expected, actual))
    assert not differences, (f"{filename} changed (if on purpose, run "
                             f"`python -m tests.contracts.unchanged`): "
                             + "; ".join(differences[:20]))


def test_the_golden_files_name_every_service_and_many_routes():
    entrypoints = json.loads((GOLDEN / "entrypoints.json").read_text(encoding="utf-8"))
    assert len(entrypoints) == 7
    assert len(entrypoints["gateway"]["routes"]) >= 80
    assert len(entrypoints["search"]["event_queues"]) >= 10
