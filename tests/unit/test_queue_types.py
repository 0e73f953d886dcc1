"""The type Procedura's queues are declared as: classic exactly as before unless
`delivery.queue_type` says quorum, and then every durable queue (event handlers, RPC,
dead letters), never an exclusive or auto-delete one (nameko's reply queues)."""
from __future__ import annotations

import pytest
from kombu import Exchange, Queue
from nameko.containers import ServiceContainer
from nameko.events import BROADCAST
from nameko.rpc import ReplyListener

from services.common.identity import IdentifiedRpc, rpc
from services.common.messaging import ReliableEventHandler, event_handler
from services.common.messaging.publishing import dead_letters_queue
from services.common.messaging.queues import TypedRpcConsumer, typed
from services.common.settings import Settings, load_config
from tests.testenv import ROOT


class Clerk:
    name = "clerk"

    @rpc
    def hello(self, name):
        return f"Bună ziua, {name}"

    @event_handler("documents", "document_created")
    def on_created(self, payload):
        pass

    @event_handler("documents", "document_deleted", handler_type=BROADCAST,
                   reliable_delivery=False)
    def on_deleted(self, payload):
        pass


@pytest.fixture
def config(monkeypatch):
    """config/procedura.yaml as a process reads it, PROCEDURA_QUEUE_TYPE as given."""
    def read(queue_type: str | None) -> dict:
        monkeypatch.delenv("PROCEDURA_QUEUE_TYPE", raising=False)
        if queue_type is not None:
            monkeypatch.setenv("PROCEDURA_QUEUE_TYPE", queue_type)
        return load_config(ROOT / "config" / "procedura.yaml")
    return read


def _queues(config: dict) -> dict[str, Queue]:
    container = ServiceContainer(Clerk, config)
    for extension in container.extensions:
        if isinstance(extension, (ReliableEventHandler, TypedRpcConsumer)):
            extension.setup()
    found = {e.queue.name: e.queue for e in container.extensions
             if isinstance(e, (ReliableEventHandler, TypedRpcConsumer))}
    return found


def _type(queue: Queue) -> str | None:
    return (queue.queue_arguments or {}).get("x-queue-type")


def test_the_setting_is_classic_unless_the_environment_says_quorum(config):
    assert Settings.from_config(config(None)).delivery.queue_type == "classic"
    assert Settings.from_config(config("quorum")).delivery.queue_type == "quorum"
    with pytest.raises(ValueError, match="queue_type"):
        Settings.from_config(config("mirrored"))


def test_classic_declares_every_queue_as_before(config):
    queues = _queues(config(None))
    assert set(queues) == {"rpc-clerk", "evt-documents-document_created--clerk.on_created",
                           next(n for n in queues if "document_deleted" in n)}
    assert all(_type(q) is None and not q.queue_arguments for q in queues.values())
    assert dead_letters_queue().queue_arguments is None


def test_quorum_declares_every_durable_queue_as_quorum(config):
    queues = _queues(config("quorum"))
    assert _type(queues["rpc-clerk"]) == "quorum"
    handler = queues["evt-documents-document_created--clerk.on_created"]
    assert _type(handler) == "quorum" and handler.durable
    # still bound to its events exchange and to procedura.retry by its own name
    assert {b.routing_key for b in handler.bindings} == {"document_created", handler.name}
    assert _type(dead_letters_queue("quorum")) == "quorum"


def test_exclusive_and_auto_delete_queues_stay_classic(config):
    broadcast = next(q for n, q in _queues(config("quorum")).items()
                     if "document_deleted" in n)
    assert broadcast.exclusive and _type(broadcast) is None
    reply = Queue("rpc.reply-clerk-x", exchange=Exchange("nameko-rpc"), auto_delete=True)
    assert typed(reply, "quorum") is reply
    assert ReplyListener.__module__ == "nameko.rpc"   # nameko's own reply queue, untouched


def test_an_unknown_type_is_refused():
    with pytest.raises(ValueError, match="one of classic, quorum"):
        typed(Queue("q", durable=True), "stream")


def test_procedura_rpc_uses_the_typed_consumer():
    assert isinstance(IdentifiedRpc.rpc_consumer, TypedRpcConsumer)
