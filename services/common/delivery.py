"""What happens to an event a Procedura service cannot handle.

`event_handler` replaces nameko's: same arguments, same queues (durable, one per
service and handler), plus three guarantees nameko 2.14 does not give.
(`requeue_on_error` is accepted and has no effect: a failure is always retried,
then dead-lettered.)

- **Garbage is dead-lettered at once**: a body that cannot be decoded (not JSON,
  another content type), that is not a Procedura envelope, or whose type does not
  match its routing key never reaches the handler. Without this, nameko (through
  kombu) logs and discards an undecodable body, and a handler that fails on a
  malformed envelope with `requeue_on_error` takes it back forever: a hot loop.
- **A handler that keeps failing is retried, then dead-lettered**: each failure
  republishes the message to the tail of its own queue with the attempt count in
  the `x-procedura-attempts` header (through the topic exchange `procedura.retry`,
  where each queue is bound by its own name: a service's broker user may publish there
  only to its own queues, services/common/broker_users.py), after a growing pause
  (`delivery.retry_delay_seconds`, doubled each time); after `delivery.max_attempts` it goes
  to the durable queue `procedura.dead-letters` with why, from where and when.
- **An engine that is away is waited for, not counted**: a failure because
  Elasticsearch, MinIO, Tika or another service does not answer (a connection
  refused or timed out, a 503) is not the message's fault. The message goes back to
  its queue after a pause (`delivery.retry_delay_seconds` × 5, at most 30 s) without
  an attempt being counted, so an outage of any length ends with the events handled,
  not dead-lettered, and without a hot loop filling the log.
- **Nothing is lost on the way**: every republish waits for the broker's confirm
  before the original is acked; if the broker is away the original is left
  unacked and the broker delivers it again. A copy may therefore arrive twice,
  which idempotent handlers (inbox, status_seq) absorb.

`procedura events dead-letters list|replay` (procedura_cli/events_cli.py) reads
and replays the dead letters with `list_dead_letters` and `replay_dead_letters`.
"""
from __future__ import annotations

import logging
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from typing import Callable, Iterable

import eventlet
from kombu import Connection, Exchange, Queue, binding
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.events import EventHandler
from nameko.messaging import QueueConsumer
from pydantic import ValidationError

from services.common.settings import Settings
from services.contracts import events

log = logging.getLogger(__name__)

DEAD_LETTERS_EXCHANGE = Exchange("procedura.dead-letters", type="topic", durable=True,
                                 delivery_mode=2)
DEAD_LETTERS_QUEUE = "procedura.dead-letters"
# retries go back to their own queue through this exchange (routing key = the queue's
# name), not through the default exchange, which would let a service's user publish to
# any queue at all
RETRY_EXCHANGE = Exchange("procedura.retry", type="topic", durable=True, delivery_mode=2)
PREFIX = "x-procedura-"
ATTEMPTS = PREFIX + "attempts"
MAX_DELAY = 60.0
ENVELOPE_FIELDS = ("id", "type", "source", "time", "subject", "data")


def dead_letters_queue() -> Queue:
    """Every service's dead letters, routing key = the service's name."""
    return Queue(DEAD_LETTERS_QUEUE, exchange=DEAD_LETTERS_EXCHANGE, routing_key="#",
                 durable=True)


def confirmed_connection(amqp_uri: str) -> Connection:
    """A connection whose publishes wait for the broker's ack (publisher confirms)."""
    return Connection(amqp_uri, transport_options={"confirm_publish": True})


# ---------------------------------------------------------------- pure decisions

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
    than from the message)? Connection refused or timed out, or a 503."""
    import elastic_transport
    import requests

    from services.contracts.errors import ServiceUnavailable

    if isinstance(exc, (ServiceUnavailable, ConnectionError, TimeoutError,
                        elastic_transport.ConnectionError,
                        elastic_transport.ConnectionTimeout,
                        requests.ConnectionError, requests.Timeout)):
        return True
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


# ---------------------------------------------------------------- publishing

def _publish_raw(connection: Connection, message, exchange, routing_key: str,
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
                reason: str, attempts: int) -> str:
    """Put `message` in `procedura.dead-letters`; returns the dead letter's id."""
    letter_id = str(uuid.uuid4())
    dead_letters_queue()(connection.default_channel).declare()
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
    _publish_raw(connection, message, DEAD_LETTERS_EXCHANGE, service, headers,
                 message_id=letter_id)
    return letter_id


# ---------------------------------------------------------------- nameko extensions

class GuardedQueueConsumer(QueueConsumer):
    """nameko's queue consumer, but a body that cannot be decoded is handed to its
    entrypoint's `reject_undecodable` (kombu's default logs and discards it).

    Its prefetch is the container's worker count, or less when a handler asks for less
    (`prefetch=`): a handler that waits for a scarce slot (the rendition worker's
    LibreOffice and OCR) must not take every worker of its service, or the service's RPCs
    (page images) wait behind the whole backlog. RPCs have a consumer of their own."""

    @property
    def prefetch_count(self):
        asked = [p.prefetch for p in self._providers if getattr(p, "prefetch", None)]
        return min([self.container.max_workers, *asked])

    def get_consumers(self, consumer_cls, channel):
        for provider in self._providers:
            consumer = consumer_cls(
                queues=[provider.queue],
                callbacks=[partial(self.handle_message, provider)],
                on_decode_error=partial(self._undecodable, provider),
                accept=self.accept)
            consumer.qos(prefetch_count=self.prefetch_count)
            self._consumers[provider] = consumer
        return self._consumers.values()

    def _undecodable(self, provider, message, exc):
        self.container.spawn_managed_thread(
            partial(provider.reject_undecodable, message, exc),
            identifier=f"{type(provider).__name__}.reject_undecodable")


class ReliableEventHandler(EventHandler):
    """nameko's EventHandler with garbage rejection, counted retries and dead letters.

    `prefetch`: a function of the service's config giving how many messages this
    handler's service may hold at once (default: one per worker)."""

    queue_consumer = GuardedQueueConsumer()

    def __init__(self, *args, prefetch: Callable[[dict], int] | None = None, **kwargs):
        self.prefetch_from = prefetch
        self.prefetch = None
        super().__init__(*args, **kwargs)

    def setup(self):
        if self.prefetch_from is not None:
            self.prefetch = max(1, int(self.prefetch_from(self.container.config)))
        settings = Settings.from_config(self.container.config)
        self.max_attempts = settings.delivery.max_attempts
        self.retry_delay_base = settings.delivery.retry_delay_seconds
        self.amqp_uri = self.container.config[AMQP_URI_CONFIG_KEY]
        super().setup()
        # the same queue, also bound to procedura.retry by its own name (retries)
        q = self.queue
        self.queue = Queue(
            q.name, bindings=[binding(q.exchange, routing_key=q.routing_key),
                              binding(RETRY_EXCHANGE, routing_key=q.name)],
            durable=q.durable, auto_delete=q.auto_delete, exclusive=q.exclusive,
            no_ack=q.no_ack, queue_arguments=q.queue_arguments)

    # what the queue consumer calls ------------------------------------------------
    def handle_message(self, body, message):
        reason = garbage_reason(body, routing_key_of(message.delivery_info, message.headers))
        if reason is not None:
            self._give_up(message, "garbage", reason, attempts_of(message.headers))
            return
        super().handle_message(body, message)

    def reject_undecodable(self, message, exc):
        self._give_up(message, "garbage", f"cannot be decoded: {exc}",
                      attempts_of(message.headers))

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return
        error = "".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip()
        if engine_unavailable(exc_info[1]):
            log.warning("%s: an engine is away, the message waits (no attempt counted): %s",
                        self.queue.name, error)
            eventlet.sleep(min(self.retry_delay_base * 5, UNAVAILABLE_PAUSE))
            self.queue_consumer.requeue_message(message)
            return
        attempts = attempts_of(message.headers) + 1
        if attempts >= self.max_attempts:
            self._give_up(message, "failed", error, attempts)
            return
        eventlet.sleep(retry_delay(attempts, self.retry_delay_base))
        headers = dict(message.headers or {})
        headers[ATTEMPTS] = attempts
        headers[PREFIX + "routing-key"] = routing_key_of(message.delivery_info,
                                                         message.headers) or ""
        headers[PREFIX + "exchange"] = (message.headers or {}).get(PREFIX + "exchange") or (
            message.delivery_info or {}).get("exchange") or ""
        headers[PREFIX + "last-error"] = error[-2000:]
        try:
            with confirmed_connection(self.amqp_uri) as conn:
                _publish_raw(conn, message, RETRY_EXCHANGE, self.queue.name, headers)
        except Exception:   # broker away: leave it to the broker to deliver it again
            log.exception("could not retry a message of %s; it stays in its queue",
                          self.queue.name)
            self.queue_consumer.requeue_message(message)
            return
        log.warning("%s failed (attempt %d of %d), will retry: %s", self.queue.name,
                    attempts, self.max_attempts, error)
        self.queue_consumer.ack_message(message)

    def _give_up(self, message, kind: str, reason: str, attempts: int) -> None:
        try:
            with confirmed_connection(self.amqp_uri) as conn:
                letter = dead_letter(conn, message, service=self.container.service_name,
                                     queue=self.queue.name, kind=kind, reason=reason,
                                     attempts=attempts)
        except Exception:
            log.exception("could not dead-letter a message of %s; it stays in its queue",
                          self.queue.name)
            self.queue_consumer.requeue_message(message)
            return
        log.error("%s: %s message dead-lettered as %s: %s", self.queue.name, kind, letter,
                  reason)
        self.queue_consumer.ack_message(message)


event_handler = ReliableEventHandler.decorator


# ---------------------------------------------------------------- reading dead letters

@dataclass
class DeadLetter:
    id: str
    kind: str
    service: str
    queue: str
    routing_key: str
    reason: str
    attempts: int
    dead_lettered_at: str
    event_id: str | None = None
    event_type: str | None = None
    message: object = field(default=None, repr=False)

    def summary(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "message"}


def _letter(message) -> DeadLetter:
    h = message.headers or {}
    event_id = event_type = None
    try:
        body = message.decode()
        if isinstance(body, dict):
            event_id, event_type = body.get("id"), body.get("type")
    except Exception:   # garbage stays garbage
        pass
    return DeadLetter(
        id=str(h.get(PREFIX + "dead-letter-id") or message.properties.get("message_id")),
        kind=str(h.get(PREFIX + "kind", "failed")), service=str(h.get(PREFIX + "service", "")),
        queue=str(h.get(PREFIX + "queue", "")), routing_key=str(h.get(PREFIX + "routing-key", "")),
        reason=str(h.get(PREFIX + "reason", "")), attempts=attempts_of(h),
        dead_lettered_at=str(h.get(PREFIX + "dead-lettered-at", "")),
        event_id=event_id if isinstance(event_id, str) else None,
        event_type=event_type if isinstance(event_type, str) else None, message=message)


def _each_letter(connection: Connection, visit: Callable[[DeadLetter], None]) -> None:
    """Hand every dead letter to `visit` (which may ack it); the others go back to
    the queue, in their order, when the channel closes."""
    channel = connection.channel()
    try:
        queue = dead_letters_queue()(channel)
        queue.declare()
        while True:
            message = queue.get(no_ack=False, accept=["json", "application/octet-stream",
                                                      "text/plain"])
            if message is None:
                break
            visit(_letter(message))
    finally:
        channel.close()


def list_dead_letters(connection: Connection) -> list[DeadLetter]:
    letters: list[DeadLetter] = []
    _each_letter(connection, letters.append)
    return letters


@dataclass
class ReplayOutcome:
    replayed: list[DeadLetter] = field(default_factory=list)
    skipped: list[tuple[DeadLetter, str]] = field(default_factory=list)


def _queue_exists(connection: Connection, name: str) -> bool:
    probe = connection.channel()
    try:
        probe.queue_declare(name, passive=True)
        return True
    except connection.channel_errors:
        return False
    finally:
        try:
            probe.close()
        except Exception:   # already closed by the broker's refusal
            pass


def replay_dead_letters(connection: Connection, ids: Iterable[str] | None) -> ReplayOutcome:
    """Send the dead letters `ids` (all of them when None) back to the queue they
    came from, with a fresh attempt count; garbage is never replayed."""
    wanted = None if ids is None else set(ids)
    outcome = ReplayOutcome()

    def visit(letter: DeadLetter) -> None:
        if wanted is not None and letter.id not in wanted:
            return
        if letter.kind == "garbage":
            outcome.skipped.append((letter, "garbage is never replayed"))
            return
        if not _queue_exists(connection, letter.queue):
            outcome.skipped.append((letter, f"queue {letter.queue} is gone (or exclusive "
                                            "to a process that is gone)"))
            return
        headers = {k: v for k, v in (letter.message.headers or {}).items()
                   if not k.startswith(PREFIX)}
        headers[PREFIX + "replayed-from"] = letter.id
        if letter.routing_key:
            headers[PREFIX + "routing-key"] = letter.routing_key
        exchange = (letter.message.headers or {}).get(PREFIX + "exchange")
        if exchange:
            headers[PREFIX + "exchange"] = exchange
        _publish_raw(connection, letter.message, "", letter.queue, headers)
        letter.message.ack()
        outcome.replayed.append(letter)

    _each_letter(connection, visit)
    return outcome


def drop_dead_letters(connection: Connection, ids: Iterable[str] | None,
                      garbage: bool = False) -> list[DeadLetter]:
    """Discard the dead letters `ids`, or every garbage one with `garbage`."""
    wanted = None if ids is None else set(ids)
    dropped: list[DeadLetter] = []

    def visit(letter: DeadLetter) -> None:
        if (wanted is not None and letter.id in wanted) or (
                garbage and letter.kind == "garbage"):
            letter.message.ack()
            dropped.append(letter)

    _each_letter(connection, visit)
    return dropped
