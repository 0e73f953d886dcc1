"""Which type Procedura's durable queues are declared as: `classic` (one RabbitMQ node, as
always) or `quorum` (a RabbitMQ cluster: docs/scaling.md, "RabbitMQ cluster (measured)").

RabbitMQ 3.10 has no default queue type per vhost: the client names it when it declares
the queue (`x-queue-type`). A queue cannot change type, and a declaration with other
arguments is refused (PRECONDITION_FAILED), so a vhost is all classic or all quorum:
`delivery.queue_type` (PROCEDURA_QUEUE_TYPE) says which, the same for every process.
Exclusive and auto-delete queues (broadcast handlers without reliable delivery) cannot be
quorum: they stay classic whatever the setting. So do the RPC reply queues, which
`ReplyListener` below declares transient."""
from __future__ import annotations

import copy
import logging

from kombu import Queue
from nameko.messaging import QueueConsumer
from nameko.rpc import ReplyListener, RpcConsumer

from services.common.settings import Settings

log = logging.getLogger(__name__)

QUEUE_TYPES = ("classic", "quorum")


def typed(queue: Queue, queue_type: str) -> Queue:
    """`queue` declared as `queue_type` when it can be; classic: `queue` itself, unchanged
    (no argument added, so queues declared before this setting existed still match)."""
    if queue_type not in QUEUE_TYPES:
        raise ValueError(f"queue type {queue_type!r}: one of {', '.join(QUEUE_TYPES)}")
    if queue_type == "classic" or not queue.durable or queue.exclusive or queue.auto_delete:
        return queue
    quorum = copy.copy(queue)
    quorum.queue_arguments = {**(queue.queue_arguments or {}), "x-queue-type": queue_type}
    return quorum


class TypedRpcConsumer(RpcConsumer):
    """nameko's RPC consumer, its queue `rpc-<service>` declared with the configured type."""

    def setup(self):
        fresh = self.queue is None
        super().setup()
        if fresh:   # the queue consumer reads `self.queue` when it starts, not before
            queue_type = Settings.from_config(self.container.config).delivery.queue_type
            self.queue = typed(self.queue, queue_type)


class InlineReplyConsumer(QueueConsumer):
    """The queue consumer of DeadlineReplyListener: its own connection, as nameko's plain
    QueueConsumer already was in the gateway (the live feed's events have theirs,
    messaging/consumer.py GuardedQueueConsumer).

    nameko spawns a greenlet for every message it reads, and that greenlet's only work for
    a reply is to wake the caller's Event: a spawn and one more turn of eventlet's hub per
    RPC before the caller runs. Here the reply is handed over in the consumer's own
    greenlet: `Event.send` never blocks, and the caller runs on the hub's next turn
    (docs/benchmarks.md, issue 18). Only for replies: an entrypoint's message starts a
    worker, which must not run in the loop that reads the connection."""

    def handle_message(self, provider, body, message):
        try:
            provider.handle_message(body, message)
        except Exception:   # the loop that reads every reply of the process must go on
            log.exception("a reply to %s could not be handed over",
                          message.properties.get("correlation_id"))


class TransientReplyListener(ReplyListener):
    """nameko's RPC reply listener, its queue `rpc.reply-<service>-<uuid>` transient.

    nameko 2.14 declares it durable (kombu's default) with only an expiry: a durable classic
    queue lives on the node its process first connected to, and while that node is down
    RabbitMQ refuses to declare it anywhere else ("home node ... is down or inaccessible",
    404). The process's queue consumer, which also carries its RPC requests, then
    reconnects in a loop until the node is back, and every RPC the process makes meanwhile
    waits for its deadline (the cluster fault run: rabbit-1 killed, the processes that
    started on it refused 48-80 s). A transient queue goes with its node and is declared
    again on the node the process moves to; replies in flight are lost with it, and their
    callers' deadlines answer."""

    # replies acknowledged one by one (nameko's way): a reply delivered when the process's
    # connection drops goes back to its queue and reaches the process when it reconnects
    no_ack = False

    def setup(self):
        super().setup()
        queue = self.queue   # the queue consumer reads it when it starts, not before
        self.queue = Queue(queue.name, exchange=queue.exchange, routing_key=queue.routing_key,
                           durable=False, queue_arguments=queue.queue_arguments,
                           no_ack=self.no_ack)


class DeadlineReplyListener(TransientReplyListener):
    """The reply listener of calls that each have a deadline (the gateway's,
    services/gateway/rpc.py): its replies are not acknowledged, RabbitMQ forgets each as it
    sends it. nameko acknowledges a reply the moment it reads it, before anything else, so
    what an acknowledgement kept was only a reply in flight when the connection drops: for
    such a call the deadline answers it (a 503 the person asks again), as it answers a
    reply lost with its RabbitMQ node. It saves a frame per call to RabbitMQ, which no
    longer tracks the reply either (docs/benchmarks.md, "Issue 18: the RPC round trip's own
    cost"). The services' calls to each other have no deadline and keep their
    acknowledgements.

    Its replies are read by a queue consumer of its own (`InlineReplyConsumer`), which
    hands each to its waiting caller in the consumer's own greenlet."""

    no_ack = True
    queue_consumer = InlineReplyConsumer()

    def handle_message(self, body, message):
        """Wake the call waiting for this reply (nameko's, without its acknowledgement:
        there is none to send). Never blocks: it runs in the consumer's greenlet."""
        waiting = self._reply_events.pop(message.properties.get("correlation_id"), None)
        if waiting is not None:
            waiting.send(body)
