"""The nameko extensions behind Procedura's `event_handler`: garbage is dead-lettered at
once, a failing handler is retried then dead-lettered, an engine that is away is waited
for (services/common/messaging/__init__.py says why)."""
from __future__ import annotations

import logging
import traceback
from functools import partial
from typing import Callable

import eventlet
from kombu import Queue, binding
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.events import EventHandler
from nameko.messaging import QueueConsumer

from services.common.messaging.publishing import (
    RETRY_EXCHANGE, confirmed_connection, dead_letter, publish_raw)
from services.common.messaging.queues import typed
from services.common.messaging.retry import (
    ATTEMPTS, PREFIX, UNAVAILABLE_PAUSE, attempts_of, engine_unavailable, garbage_reason,
    retry_delay, routing_key_of)
from services.common.settings import Settings

log = logging.getLogger(__name__)


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

    def on_consume_ready(self, connection, channel, consumers, **kwargs):
        """kombu calls this after every (re)connection, once the queues are declared,
        bound and consumed again: each handler hears it (`consuming`)."""
        super().on_consume_ready(connection, channel, consumers, **kwargs)
        for provider in list(self._providers):
            consuming = getattr(provider, "consuming", None)
            if consuming is not None:
                consuming()

    def _undecodable(self, provider, message, exc):
        self.container.spawn_managed_thread(
            partial(provider.reject_undecodable, message, exc),
            identifier=f"{type(provider).__name__}.reject_undecodable")


class ReliableEventHandler(EventHandler):
    """nameko's EventHandler with garbage rejection, counted retries and dead letters.

    `prefetch`: a function of the service's config giving how many messages this
    handler's service may hold at once (default: one per worker). nameko's
    `requeue_on_error` is refused: handle_message_processed below never reads it, so a
    handler passing it would promise a behaviour it does not get."""

    queue_consumer = GuardedQueueConsumer()

    def __init__(self, *args, prefetch: Callable[[dict], int] | None = None, **kwargs):
        # nameko's positional order: source, event type, handler type, reliable delivery,
        # requeue_on_error
        if "requeue_on_error" in kwargs or len(args) > 4:
            raise TypeError("event_handler takes no requeue_on_error: a failure is always "
                            "retried, then dead-lettered (services/common/messaging)")
        self.prefetch_from = prefetch
        self.prefetch = None
        super().__init__(*args, **kwargs)

    def setup(self):
        if self.prefetch_from is not None:
            self.prefetch = max(1, int(self.prefetch_from(self.container.config)))
        settings = Settings.from_config(self.container.config)
        self.max_attempts = settings.delivery.max_attempts
        self.retry_delay_base = settings.delivery.retry_delay_seconds
        self.queue_type = settings.delivery.queue_type
        self.amqp_uri = self.container.config[AMQP_URI_CONFIG_KEY]
        super().setup()
        # the same queue, also bound to procedura.retry by its own name (retries)
        q = self.queue
        self.queue = typed(Queue(
            q.name, bindings=[binding(q.exchange, routing_key=q.routing_key),
                              binding(RETRY_EXCHANGE, routing_key=q.name)],
            durable=q.durable, auto_delete=q.auto_delete, exclusive=q.exclusive,
            no_ack=q.no_ack, queue_arguments=q.queue_arguments), self.queue_type)

    # what the queue consumer calls ------------------------------------------------
    def consuming(self) -> None:
        """The queue is consumed again, after the process started or its connection to
        RabbitMQ came back. A durable queue kept what came meanwhile; a broadcast queue
        without reliable delivery (exclusive, gone with its connection) did not: its
        handler overrides this to fetch what it missed from where it is kept."""

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
                publish_raw(conn, message, RETRY_EXCHANGE, self.queue.name, headers)
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
                                     attempts=attempts, queue_type=self.queue_type)
        except Exception:
            log.exception("could not dead-letter a message of %s; it stays in its queue",
                          self.queue.name)
            self.queue_consumer.requeue_message(message)
            return
        log.error("%s: %s message dead-lettered as %s: %s", self.queue.name, kind, letter,
                  reason)
        self.queue_consumer.ack_message(message)


event_handler = ReliableEventHandler.decorator
