"""What other programs rely on, read from the code: the gateway's routes and the names of
the methods behind them, every RPC method with its parameters and callers, every event
handler (its method name is its RabbitMQ queue's), and the OpenAPI document.

`python -m tests.contracts.unchanged` writes tests/contracts/golden/ from the code as it is;
test_unchanged.py compares the code with those files. A restructuring leaves them as they
are; a change of contract rewrites them on purpose, in its own commit."""
from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path

from nameko.events import EventHandler
from nameko.rpc import Rpc

from services.gateway import openapi
from services.gateway.entrypoints import HttpEntrypoint
from tests.deploy.manifests import SERVICES   # the nameko target of each process

GOLDEN = Path(__file__).parent / "golden"



def service_class(target: str) -> type:
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)


def _entrypoints(cls: type):
    for name, method in inspect.getmembers(cls, inspect.isfunction):
        for entrypoint in getattr(method, "nameko_entrypoints", ()):
            yield name, method, entrypoint


def entrypoints() -> dict:
    """Per service: its name, routes (gateway), RPC methods and event handlers."""
    found = {}
    for key, target in SERVICES.items():
        cls = service_class(target)
        routes, rpcs, handlers = {}, {}, []
        for name, method, entrypoint in _entrypoints(cls):
            if isinstance(entrypoint, HttpEntrypoint):
                for verb in entrypoint.method.split(","):
                    routes[f"{verb.strip().upper()} {entrypoint.url}"] = name
            elif isinstance(entrypoint, Rpc):
                params = list(inspect.signature(method).parameters)[1:]
                rpcs[name] = {"parameters": params,
                              "callers": sorted(getattr(entrypoint, "callers", ()))}
            elif isinstance(entrypoint, EventHandler):
                handlers.append(f"evt-{entrypoint.source_service}-{entrypoint.event_type}"
                                f"--{cls.name}.{name}")
        found[key] = {"name": cls.name, "routes": dict(sorted(routes.items())),
                      "rpc": dict(sorted(rpcs.items())), "event_queues": sorted(handlers)}
    return found


def current() -> dict[str, object]:
    return {"entrypoints.json": entrypoints(), "openapi.json": openapi.spec()}


def dump(value: object) -> str:
    return json.dumps(value, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    GOLDEN.mkdir(exist_ok=True)
    for filename, value in current().items():
        (GOLDEN / filename).write_text(dump(value), encoding="utf-8")
        print("wrote", GOLDEN / filename)
