"""Which type Procedura's durable queues are declared as: `classic` (one RabbitMQ node, as
always) or `quorum` (a RabbitMQ cluster: docs/scaling.md, "RabbitMQ cluster (measured)").

RabbitMQ 3.10 has no default queue type per vhost: the client names it when it declares
the queue (`x-queue-type`). A queue cannot change type, and a declaration with other
arguments is refused (PRECONDITION_FAILED), so a vhost is all classic or all quorum:
`delivery.queue_type` (PROCEDURA_QUEUE_TYPE) says which, the same for every process.
Exclusive and auto-delete queues (nameko's RPC reply queues, broadcast handlers without
reliable delivery) cannot be quorum: they stay classic whatever the setting."""
from __future__ import annotations

import copy

from kombu import Queue
from nameko.rpc import RpcConsumer

from services.common.settings import Settings

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
