"""The RPC reply queue of a Procedura process is transient (services/common/messaging/
queues.py TransientReplyListener): a durable one stays bound to a dead RabbitMQ node. The
gateway's replies are not acknowledged (DeadlineReplyListener), and are handed to their
callers without a greenlet spawned for each (InlineReplyConsumer)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from nameko.containers import ServiceContainer
from nameko.messaging import QueueConsumer
from nameko.testing.services import dummy

from services.common.identity import IdentifiedRpcProxy
from services.common.messaging.queues import (
    DeadlineReplyListener, InlineReplyConsumer, TransientReplyListener)
from services.gateway.rpc import TimedRpcProxy
from services.gateway.service import GatewayService


class Caller:
    name = "caller"
    documents = IdentifiedRpcProxy("documents")

    @dummy
    def call(self):
        pass


def test_a_process_declares_its_reply_queue_transient():
    container = ServiceContainer(Caller, {"AMQP_URI": "memory://", "procedura": {}})
    listener = next(e for e in container.extensions if isinstance(e, TransientReplyListener))
    listener.setup()
    assert listener.queue.name.startswith("rpc.reply-caller-")
    assert listener.queue.durable is False
    assert listener.queue.routing_key == listener.routing_key
    assert listener.queue.queue_arguments.get("x-expires")


class Gatewaylike:
    name = "gateway"
    search = TimedRpcProxy("search")

    @dummy
    def call(self):
        pass


def test_the_gateway_s_replies_are_not_acknowledged_and_the_services_are():
    """The gateway's calls have deadlines: RabbitMQ forgets a reply as it sends it
    (DeadlineReplyListener); a service's calls have none and acknowledge each reply."""
    config = {"AMQP_URI": "memory://", "procedura": {}}
    gateway = ServiceContainer(Gatewaylike, config)
    [listener] = [e for e in gateway.extensions if isinstance(e, TransientReplyListener)]
    listener.setup()
    assert isinstance(listener, DeadlineReplyListener)
    assert listener.queue.no_ack is True and listener.queue.durable is False

    caller = ServiceContainer(Caller, config)
    [listener] = [e for e in caller.extensions if isinstance(e, TransientReplyListener)]
    listener.setup()
    assert not isinstance(listener, DeadlineReplyListener)
    assert listener.queue.no_ack is False


def test_the_gateway_s_replies_wake_their_callers_in_the_consumer_s_own_greenlet():
    """A reply is handed to the call waiting for it by the loop that read it (messaging/
    queues.py InlineReplyConsumer): no greenlet spawned per reply, no acknowledgement."""
    gateway = ServiceContainer(Gatewaylike, {"AMQP_URI": "memory://", "procedura": {}})
    [listener] = [e for e in gateway.extensions if isinstance(e, DeadlineReplyListener)]
    consumer = listener.queue_consumer
    assert isinstance(consumer, InlineReplyConsumer)
    # a connection of its own, as nameko's QueueConsumer was: the gateway has two, this one
    # and the live feed's
    whole = ServiceContainer(GatewayService, {"AMQP_URI": "memory://", "procedura": {}})
    assert sorted(type(e).__name__ for e in whole.extensions
                  if isinstance(e, QueueConsumer)) == ["GuardedQueueConsumer",
                                                       "InlineReplyConsumer"]

    def spawned(*args, **kwargs):
        raise AssertionError("a greenlet spawned for a reply")

    gateway.spawn_managed_thread = spawned
    waiting = listener.get_reply_event("call-1")
    message = SimpleNamespace(properties={"correlation_id": "call-1"},
                              delivery_info={"routing_key": "r"},
                              ack=lambda: pytest.fail("a reply acknowledged"))
    consumer.handle_message(listener, {"result": 7, "error": None}, message)
    assert waiting.ready() and waiting.wait() == {"result": 7, "error": None}
    assert listener._reply_events == {}

    # a reply nobody waits for any more (its call's deadline passed) is dropped
    consumer.handle_message(listener, {"result": 8, "error": None},
                            SimpleNamespace(properties={"correlation_id": "gone"}))


def test_a_reply_that_fails_to_be_handed_over_does_not_stop_the_consumer(caplog):
    gateway = ServiceContainer(Gatewaylike, {"AMQP_URI": "memory://", "procedura": {}})
    [listener] = [e for e in gateway.extensions if isinstance(e, DeadlineReplyListener)]

    class Broken:
        def handle_message(self, body, message):
            raise RuntimeError("broken")

    listener.queue_consumer.handle_message(
        Broken(), {}, SimpleNamespace(properties={"correlation_id": "call-2"}))
    assert "call-2" in caplog.text
