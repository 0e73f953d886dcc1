"""What Procedura decides about an event it received, free of I/O: is it garbage, which
event type it was published as, how many attempts it has had, how long to wait before
the next, and whether a failure was an engine that is away rather than the message."""
from __future__ import annotations

from pydantic import ValidationError

from services.contracts import events

PREFIX = "x-procedura-"
ATTEMPTS = PREFIX + "attempts"
MAX_DELAY = 60.0
ENVELOPE_FIELDS = ("id", "type", "source", "time", "subject", "data")


def garbage_reason(body, routing_key: str | None) -> str | None:
    """Why `body` is not a Procedura event that may arrive with `routing_key`
    (None when it is one)."""
    if not isinstance(body, dict):
        return f"not a JSON object but {type(body).__name__}"
    kind = body.get("type")
    if not isinstance(kind, str) or kind not in events.ALL_EVENTS:
        return f"unknown event type {kind!r}"
    missing = [f for f in ENVELOPE_FIELDS if f not in body]
    if missing:   # the model would invent an id or a time: not for a received event
        return f"{', '.join(missing)}: Field required (envelope)"
    if routing_key is not None and routing_key != kind:
        return f"an event of type {kind!r} arrived with routing key {routing_key!r}"
    try:
        events.parse(body)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}"
                             for e in exc.errors()[:5])
        return f"does not match the {kind} schema: {problems}"
    return None


def routing_key_of(delivery_info: dict | None, headers: dict | None) -> str | None:
    """The event type a message was published with: its routing key on an events
    exchange, or, for a retry or replay sent straight to the queue, the one kept in
    `x-procedura-routing-key` (None when unknown: sent straight to the queue)."""
    kept = (headers or {}).get(PREFIX + "routing-key")
    if kept:
        return str(kept)
    delivery_info = delivery_info or {}
    return delivery_info.get("routing_key") if delivery_info.get("exchange") else None


def retry_delay(attempts: int, base: float) -> float:
    """The pause before attempt `attempts + 1` (doubling, at most a minute)."""
    return min(base * 2 ** max(attempts - 1, 0), MAX_DELAY)


UNAVAILABLE_PAUSE = 30.0   # seconds, at most, between two tries while an engine is away


def engine_unavailable(exc: BaseException) -> bool:
    """Did this failure come from an engine or service that does not answer (rather
    than from the message)? Connection refused or timed out, a 503, or RabbitMQ not
    taking what the handler sent on (a request to another service)."""
    import elastic_transport
    import requests
    from amqp import exceptions as amqp_errors
    from kombu.exceptions import OperationalError
    from nameko.exceptions import RpcTimeout, UnknownService

    from services.common.db import unreachable
    from services.contracts.errors import ServiceUnavailable

    if unreachable(exc):   # PostgreSQL killed or failing over
        return True
    if isinstance(exc, (ServiceUnavailable, ConnectionError, TimeoutError,
                        elastic_transport.ConnectionError,
                        elastic_transport.ConnectionTimeout,
                        requests.ConnectionError, requests.Timeout,
                        # RabbitMQ away under a publish: a connection lost, or closed by a
                        # node shutting down (ConnectionForced); a publish nacked (a quorum
                        # queue without its leader, a queue refusing more)
                        amqp_errors.RecoverableConnectionError, amqp_errors.MessageNacked,
                        # nameko's: no queue of that service yet (not started), or no answer
                        UnknownService, RpcTimeout)):
        return True
    if isinstance(exc, OperationalError):
        # kombu's, once a publish's retries are spent, raised from what failed: a
        # connection error or a nack (above: away), or a channel error it deems
        # recoverable but which is the message's own (ContentTooLarge). The channel errors
        # py-amqp deems irrecoverable come raw and are not counted as away either:
        # PreconditionFailed (a declaration that differs from the queue's), AccessRefused,
        # NotFound (no such exchange) are a bug or a configuration that waiting does not
        # mend; counted, they end as dead letters rather than keep messages waiting.
        return not isinstance(exc.__cause__, amqp_errors.ChannelError)
    status = getattr(exc, "status_code", None) or getattr(getattr(exc, "meta", None),
                                                          "status", None)
    if status == 503:
        return True
    cause = exc.__cause__ or exc.__context__
    return cause is not None and cause is not exc and engine_unavailable(cause)


def attempts_of(headers: dict | None) -> int:
    try:
        return max(int((headers or {}).get(ATTEMPTS, 0)), 0)
    except (TypeError, ValueError):
        return 0

