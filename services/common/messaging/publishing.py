"""How Procedura publishes a message it received again (a retry, a dead letter, a
replay): its body as it came, waiting for the broker's confirm."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from kombu import Connection, Exchange, Queue

from services.common.messaging.queues import typed
from services.common.messaging.retry import ATTEMPTS, PREFIX, routing_key_of

DEAD_LETTERS_EXCHANGE = Exchange("procedura.dead-letters", type="topic", durable=True,
                                 delivery_mode=2)
DEAD_LETTERS_QUEUE = "procedura.dead-letters"
# retries go back to their own queue through this exchange (routing key = the queue's
# name), not through the default exchange, which would let a service's user publish to
# any queue at all
RETRY_EXCHANGE = Exchange("procedura.retry", type="topic", durable=True, delivery_mode=2)


def dead_letters_queue(queue_type: str = "classic") -> Queue:
    """Every service's dead letters, routing key = the service's name."""
    return typed(Queue(DEAD_LETTERS_QUEUE, exchange=DEAD_LETTERS_EXCHANGE, routing_key="#",
                       durable=True), queue_type)


def confirmed_connection(amqp_uri: str) -> Connection:
    """A connection whose publishes wait for the broker's ack (publisher confirms)."""
    return Connection(amqp_uri, transport_options={"confirm_publish": True})


def publish_raw(connection: Connection, message, exchange, routing_key: str,
                headers: dict, message_id: str | None = None) -> None:
    """Publish `message`'s body as it came (bytes, content type and encoding kept),
    waiting for the broker's confirm."""
    props = message.properties or {}
    producer = connection.Producer()
    producer.publish(
        message.body, exchange=exchange, routing_key=routing_key, headers=headers,
        content_type=message.content_type or "application/octet-stream",
        content_encoding=message.content_encoding or "binary",
        delivery_mode=2, message_id=message_id or props.get("message_id"),
        type=props.get("type"),
        declare=[exchange] if isinstance(exchange, Exchange) else None,
        retry=False)


def dead_letter(connection: Connection, message, *, service: str, queue: str, kind: str,
                reason: str, attempts: int, queue_type: str = "classic") -> str:
    """Put `message` in `procedura.dead-letters`; returns the dead letter's id."""
    letter_id = str(uuid.uuid4())
    dead_letters_queue(queue_type)(connection.default_channel).declare()
    delivery = message.delivery_info or {}
    headers = {k: v for k, v in (message.headers or {}).items() if not k.startswith(PREFIX)}
    original_exchange = (message.headers or {}).get(PREFIX + "exchange")
    headers.update({
        PREFIX + "dead-letter-id": letter_id,
        PREFIX + "kind": kind,           # "garbage" (never replayed) or "failed"
        PREFIX + "service": service,
        PREFIX + "queue": queue,
        PREFIX + "exchange": original_exchange or delivery.get("exchange") or "",
        PREFIX + "routing-key": routing_key_of(delivery, message.headers) or "",
        PREFIX + "reason": reason[-4000:],
        ATTEMPTS: attempts,
        PREFIX + "dead-lettered-at": datetime.now(timezone.utc).isoformat(),
    })
    publish_raw(connection, message, DEAD_LETTERS_EXCHANGE, service, headers,
                 message_id=letter_id)
    return letter_id

