"""A request an event handler sends on that RabbitMQ refuses (a nack: a quorum queue
without its leader after a node's death, a full queue) is RabbitMQ away, so the event
waits without an attempt counted instead of heading for the dead letters.

RabbitMQ nacks here as it does then: a queue of this run's vhost that takes nothing
(`x-max-length` 0, `x-overflow` reject-publish), the request published as nameko's RPC
proxy publishes it (confirmed, mandatory, retried: its defaults)."""
from __future__ import annotations

import uuid

import pytest
from amqp.exceptions import MessageNacked
from kombu import Connection, Queue
from kombu.exceptions import OperationalError
from nameko.amqp.publish import Publisher

from services.common.messaging.retry import engine_unavailable


def test_a_request_rabbitmq_nacks_is_rabbitmq_away_not_the_events_fault(environment):
    full = Queue(f"test-full-{uuid.uuid4().hex[:6]}", durable=False, queue_arguments={
        "x-max-length": 0, "x-overflow": "reject-publish"})
    with Connection(environment.amqp_uri) as connection:
        full(connection.default_channel).declare()
        try:
            with pytest.raises(OperationalError) as refused:
                Publisher(environment.amqp_uri).publish(
                    {"args": ["v1"], "kwargs": {}}, routing_key=full.name, mandatory=True)
            assert isinstance(refused.value.__cause__, MessageNacked)
            assert engine_unavailable(refused.value)
        finally:
            full(connection.default_channel).delete()
