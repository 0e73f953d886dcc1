"""What Procedura publishes without publisher confirms, and why: RPC answers, and the
gateway's RPC requests. Everything else keeps its confirms: events and the outbox relay
(services/common/outbox.py), retries and dead letters (messaging/publishing.py), where
the confirm is the guarantee, and the requests of a service to another (below).

nameko 2.14 publishes every RPC request and answer as it publishes an event: persistent,
with a publisher confirm, through a new kombu Connection object per message; an answer
is serialised twice (once to check it can be, once to send it). Under the ingest
benchmark, publishing answers was 13-15% of the documents and versioning services' CPU
(docs/benchmarks.md, "Issue 18 on a quiet machine").

**An answer** (`AnsweringRpcConsumer`, the consumer of Procedura's `rpc`,
services/common/identity.py) is:
- *not confirmed*: a confirm tells the answering service that RabbitMQ took the answer,
  and it can do nothing with that: the request is done (its effects committed) and is
  acknowledged either way; an answer RabbitMQ loses leaves the caller to its deadline,
  as a nacked answer already does (identity.py, `IdentifiedRpc.handle_result`). The
  caller never waited for that confirm: RabbitMQ delivers an answer once it routes it.
- *transient* (delivery mode 1): the reply queue `rpc.reply-<caller>-<uuid>` is neither
  durable nor kept over a broker restart, so a persistent answer in it is not kept either.
- *not mandatory* (as in nameko): an answer to a caller that went away is dropped.
- *retried* on a connection error (nameko's retry policy, as before): a kept
  connection that died with a broker restart is opened again and the answer sent on it.
- *serialised once*, sent through a producer kept with its connection and channel between
  answers (`KeptProducers`), on one key Connection made when the service starts.
Its body is what nameko's callers read: `{"result": ..., "error": ...}` in the request's
content type; a result that cannot be serialised is answered with nameko's
UnserializableValueError, as nameko does.

**A request of the gateway** (`UnconfirmedServiceProxy`, services/gateway/rpc.py) is not
confirmed either: every call of the gateway has a deadline, so a request RabbitMQ loses
is a 503 at that deadline that the person asks again, as an answer lost is. nameko's
request confirm served one more purpose: with `mandatory`, a call to a service whose
queue was never declared came back as UnknownService (a 500 at the gateway); without the
confirm it is not mandatory, and such a call is a 503 at the deadline naming the service.
The requests of a service to another keep their confirms: those calls have no deadline
(a documents worker waiting for versioning holds the document's row lock), so a request
lost without a word would hold its worker for good.

Both use transport options of their own: nameko's Publisher shares one dict between all
its instances and writes `confirm_publish` into it on every publish, and kombu's pooled
connections keep a reference to it; with confirmed and unconfirmed publishers in one
process a connection could open with the other's mode. These connections are clones of
their own key connection (never kombu's pools'), so never the confirmed publishers'.
"""
from __future__ import annotations

import logging
import os
import socket
import sys
import threading
from contextlib import contextmanager

from kombu import Connection, Producer
from kombu.pools import get_limit
from kombu.serialization import dumps, registry
from nameko.amqp.publish import Publisher
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, DEFAULT_RETRY_POLICY,
    DEFAULT_TRANSPORT_OPTIONS, LOGIN_METHOD_CONFIG_KEY, NON_PERSISTENT)
from nameko.exceptions import UnserializableValueError, serialize
from nameko.rpc import MethodProxy, ServiceProxy, get_rpc_exchange

from services.common.messaging.queues import TypedRpcConsumer

log = logging.getLogger(__name__)


def unconfirmed_connection(amqp_uri: str, ssl=None, login_method=None) -> Connection:
    """The key of the unconfirmed publishers' connections: transport options of their own
    (see above). Made once per broker address and kept: a request of the gateway made a new
    one (parsing its URI) on every call."""
    key = (amqp_uri, repr(ssl), login_method)
    connection = _CONNECTIONS.get(key)
    if connection is None:
        connection = _CONNECTIONS[key] = Connection(
            amqp_uri, ssl=ssl, login_method=login_method,
            transport_options={**DEFAULT_TRANSPORT_OPTIONS, "confirm_publish": False})
    return connection


# the keys above, by (URI, ssl, login method): a Connection that is never connected itself
# (its producers connect clones of it), so one per process serves every green thread
_CONNECTIONS: dict[tuple, Connection] = {}


class KeptProducers:
    """The producers of one key connection, each kept with its own connection and channel
    between publishes. kombu's producer pool gives a producer's connection back to its
    connection pool on every release and binds both again on the next acquire: 70-120 us
    of a publish's 190-230 (docs/benchmarks.md, "Issue 18: the RPC round trip's own
    cost"). As many at once as kombu's pool allowed (its limit, 10), the others waiting;
    a producer whose publish failed is closed, not kept."""

    def __init__(self, connection: Connection):
        self.connection = connection
        self.idle: list[Producer] = []
        self.slots = threading.BoundedSemaphore(get_limit())
        self.pid = os.getpid()

    @contextmanager
    def acquire(self):
        if self.pid != os.getpid():        # a forked child does not share its parent's sockets
            self.idle, self.pid = [], os.getpid()
        with self.slots:
            producer = self.idle.pop() if self.idle else Producer(self.connection.clone())
            try:
                yield producer
            except BaseException:
                _close(producer)
                raise
            self.idle.append(producer)


def _close(producer: Producer) -> None:
    try:
        producer.connection.release()
    except Exception as exc:  # already broken: it is dropped either way
        log.debug("closing a failed producer's connection: %r", exc)


_PRODUCERS: dict[Connection, KeptProducers] = {}


def publish_unconfirmed(connection: Connection, body, **options) -> None:
    """Publish on a kept producer of `connection` (above), not mandatory, retried on a
    connection error, without waiting for RabbitMQ."""
    producers = _PRODUCERS.get(connection)
    if producers is None:
        producers = _PRODUCERS[connection] = KeptProducers(connection)
    with producers.acquire() as producer:
        _settle(producer)
        producer.publish(body, mandatory=False, retry=True,
                         retry_policy=DEFAULT_RETRY_POLICY, **options)


def _settle(producer) -> None:
    """Read, without waiting, what RabbitMQ sent this connection since its last publish.
    Nothing else reads it (no confirm is awaited), and a channel RabbitMQ closed (a message
    it refused: too large, a routing key the user may not publish to) discards every
    later message on it without a word: reading the close reopens the channel, and the
    refusal is logged (the message refused is lost: its caller's deadline answers)."""
    connection = producer.connection
    if connection is None or not connection.connected:
        return     # opened by the publish
    try:
        connection.drain_events(timeout=0)
    except socket.timeout:
        return     # nothing was sent: the usual case
    except connection.connection_errors:
        return     # the publish's retry opens the connection again
    except connection.channel_errors as exc:
        log.warning("RabbitMQ refused an unconfirmed message and closed its channel "
                    "(reopened): %r", exc)


def answer_body(request, result, exc_info):
    """(content type, content encoding, body) of the answer to `request`, encoded as the
    request was, and the (result, exc_info) nameko's worker reports: a result that cannot
    be serialised becomes UnserializableValueError, as in nameko's Responder."""
    serializer = registry.type_to_name[request.properties["content_type"]]
    error = serialize(exc_info[1]) if exc_info is not None else None
    try:
        content_type, encoding, body = dumps({"result": result, "error": error}, serializer)
    except Exception:
        exc_info = sys.exc_info()
        error = serialize(UnserializableValueError(result))  # always serialisable
        result = None
        content_type, encoding, body = dumps({"result": None, "error": error}, serializer)
    return (content_type, encoding, body), (result, exc_info)


class AnsweringRpcConsumer(TypedRpcConsumer):
    """The RPC consumer of Procedura's `rpc` entrypoints: nameko's, its queue typed
    (messaging/queues.py), its answers published as above."""

    def setup(self):
        super().setup()
        config = self.container.config
        self.answers = unconfirmed_connection(config[AMQP_URI_CONFIG_KEY],
                                              config.get(AMQP_SSL_CONFIG_KEY),
                                              config.get(LOGIN_METHOD_CONFIG_KEY))
        self.exchange = get_rpc_exchange(config)

    def handle_result(self, message, result, exc_info):
        (content_type, encoding, body), (result, exc_info) = answer_body(
            message, result, exc_info)
        publish_unconfirmed(
            self.answers, body, content_type=content_type, content_encoding=encoding,
            exchange=self.exchange, routing_key=message.properties["reply_to"],
            correlation_id=message.properties.get("correlation_id"),
            delivery_mode=NON_PERSISTENT)
        self.queue_consumer.ack_message(message)
        return result, exc_info


class UnconfirmedPublisher(Publisher):
    """nameko's Publisher as an RPC proxy uses it (request, serializer, delivery mode,
    headers, user_id), published as above."""

    correlation_id = None   # of the request last published (or tried)

    def publish(self, payload, **kwargs):
        self.correlation_id = kwargs.get("correlation_id")
        options = {k: v for k, v in self.publish_kwargs.items() if k != "headers"}
        headers = {**self.publish_kwargs.get("headers", {}), **kwargs.pop("headers", {}),
                   **kwargs.pop("extra_headers", {})}
        # nameko asks for `mandatory` to learn of an unknown service, which only a confirm
        # reports: without one, an unroutable request is dropped
        kwargs.pop("mandatory", None)
        options.update(kwargs)
        options.setdefault("delivery_mode", self.delivery_mode)
        options.setdefault("serializer", self.serializer)
        publish_unconfirmed(unconfirmed_connection(self.amqp_uri, self.ssl,
                                                   self.login_method),
                            payload, headers=headers, **options)


class _UnconfirmedMethodProxy(MethodProxy):
    publisher_cls = UnconfirmedPublisher

    def _call(self, *args, **kwargs):
        try:
            return super()._call(*args, **kwargs)
        except BaseException:   # never sent: no answer will come
            self.forget()
            raise

    def forget(self) -> None:
        """The caller stops waiting for this call's answer (its deadline passed, or the
        request never went out): its reply listener no longer keeps a place for it, and
        drops the answer if it still comes."""
        self.reply_listener._reply_events.pop(self.publisher.correlation_id, None)


class UnconfirmedServiceProxy(ServiceProxy):
    """nameko's ServiceProxy whose requests are published without confirms."""

    def __getattr__(self, name):
        return _UnconfirmedMethodProxy(self.worker_ctx, self.service_name, name,
                                       self.reply_listener, **self.options)
