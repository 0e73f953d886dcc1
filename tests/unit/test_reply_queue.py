"""The RPC reply queue of a Procedura process is transient (services/common/messaging/
queues.py TransientReplyListener): a durable one stays bound to a dead RabbitMQ node."""
from __future__ import annotations

from nameko.testing.services import dummy
from nameko.containers import ServiceContainer

from services.common.identity import IdentifiedRpcProxy
from services.common.messaging.queues import TransientReplyListener


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
