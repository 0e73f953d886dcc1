"""The RPC reply queue of a Procedura process is transient (services/common/messaging/
queues.py TransientReplyListener): a durable one stays bound to a dead RabbitMQ node. The
gateway's replies are not acknowledged (DeadlineReplyListener)."""
from __future__ import annotations

from nameko.testing.services import dummy
from nameko.containers import ServiceContainer

from services.common.identity import IdentifiedRpcProxy
from services.common.messaging.queues import DeadlineReplyListener, TransientReplyListener
from services.gateway.rpc import TimedRpcProxy


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
