"""Messaging decisions free of I/O: what is garbage, how long to wait, and that every
event handler of every Procedura service has the dead-letter guarantees."""
from __future__ import annotations

import importlib
import inspect
import json
import re
import uuid

from nameko.events import EventHandler
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from services.common.messaging import ReliableEventHandler
from services.common.messaging.retry import (
    ATTEMPTS, attempts_of, garbage_reason, retry_delay, routing_key_of)
from services.contracts import events
from tests.testenv import ROOT


def _event() -> dict:
    event = events.VersionTextExtractedEvent(subject=uuid.uuid4(), data=events.VersionTextExtracted(
        version_id=uuid.uuid4(), document_id=uuid.uuid4(), characters=3, truncated=False))
    return json.loads(event.model_dump_json())


def test_a_procedura_event_is_not_garbage():
    assert garbage_reason(_event(), "version_text_extracted") is None
    assert garbage_reason(_event(), None) is None   # sent straight to the queue


def test_garbage_is_named_for_what_is_wrong():
    assert garbage_reason("text", "x") == "not a JSON object but str"
    assert garbage_reason([1], "x") == "not a JSON object but list"
    assert garbage_reason({"hello": 1}, "x") == "unknown event type None"
    assert garbage_reason({**_event(), "type": "nope"}, "nope") == "unknown event type 'nope'"
    assert "arrived with routing key 'version_stored'" in garbage_reason(
        _event(), "version_stored")
    broken = _event()
    broken["data"]["characters"] = "many"
    assert "data.characters" in garbage_reason(broken, "version_text_extracted")
    missing = _event()
    del missing["id"]
    assert "id: Field required" in garbage_reason(missing, None)


def test_the_routing_key_of_a_retry_is_the_original_one():
    assert routing_key_of({"exchange": "documents.events", "routing_key": "a"}, {}) == "a"
    # a retry goes straight to its queue through the default exchange
    assert routing_key_of({"exchange": "", "routing_key": "evt-q"},
                          {"x-procedura-routing-key": "a"}) == "a"
    assert routing_key_of({"exchange": "", "routing_key": "evt-q"}, {}) is None


def test_retries_wait_longer_each_time_up_to_a_minute():
    assert [retry_delay(n, 1.0) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert retry_delay(30, 1.0) == 60.0
    assert retry_delay(3, 0) == 0


def test_the_attempt_count_is_read_defensively():
    assert attempts_of(None) == 0
    assert attempts_of({ATTEMPTS: 2}) == 2
    assert attempts_of({ATTEMPTS: "x"}) == 0
    assert attempts_of({ATTEMPTS: -4}) == 0


def _service_classes():
    """Every service scripts/services.sh runs, from its list (new services are picked up)."""
    text = (ROOT / "scripts" / "processes.sh").read_text()
    for module, name in re.findall(r'"\w+:([\w.]+):(\w+)"', text):
        yield getattr(importlib.import_module(module), name)


def test_every_event_handler_of_every_service_dead_letters():
    handlers = []
    for cls in _service_classes():
        for name, method in inspect.getmembers(cls, inspect.isfunction):
            for entrypoint in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ()):
                if isinstance(entrypoint, EventHandler):
                    handlers.append(f"{cls.__name__}.{name}")
                    assert isinstance(entrypoint, ReliableEventHandler), (
                        f"{cls.__name__}.{name}: use services.common.messaging.event_handler")
    assert len(handlers) >= 10, handlers


def test_an_engine_that_is_away_is_told_apart_from_a_bad_message():
    import elastic_transport
    import requests

    from services.common.messaging.retry import engine_unavailable
    from services.contracts.errors import ServiceUnavailable
    from services.versioning.adapters.tika import TikaUnavailable

    away = [ConnectionRefusedError("refused"), TimeoutError("slow"),
            ServiceUnavailable("Tika is not answering", {}),
            elastic_transport.ConnectionError("Connection refused"),
            requests.ConnectionError("MinIO away"), TikaUnavailable("no answer")]
    for exc in away:
        assert engine_unavailable(exc), exc
    try:   # wrapped: the handler's own error caused by an engine that is away
        try:
            raise elastic_transport.ConnectionTimeout("timed out")
        except elastic_transport.ConnectionTimeout as cause:
            raise RuntimeError("could not index") from cause
    except RuntimeError as wrapped:
        assert engine_unavailable(wrapped)
    for exc in (ValueError("bad payload"), KeyError("version_id"),
                RuntimeError("a bug in the handler")):
        assert not engine_unavailable(exc), exc


def _as_kombu_raises(exc: Exception) -> Exception:
    """`exc` as a publish with retries (nameko's Publisher: an RPC request) raises it once
    they are spent: kombu's Connection.ensure, here with none, so it never connects."""
    from kombu import Connection

    def publish():
        raise exc
    with Connection("amqp://127.0.0.1:1//") as connection:
        try:
            connection.ensure(None, publish, max_retries=0)()
        except Exception as raised:   # noqa: BLE001 - what the handler would get
            return raised
    raise AssertionError("kombu raised nothing")


def test_rabbitmq_going_away_under_a_publish_is_waited_for_a_refused_declaration_is_not():
    from amqp import exceptions as amqp_errors
    from kombu.exceptions import OperationalError

    from services.common.messaging.retry import engine_unavailable

    lost = amqp_errors.RecoverableConnectionError("connection already closed")
    forced = amqp_errors.ConnectionForced("CONNECTION_FORCED - broker forced connection "
                                          "closure with reason 'shutdown'")
    for exc in (lost, forced, _as_kombu_raises(forced),
                _as_kombu_raises(OSError("Server unexpectedly closed connection"))):
        assert engine_unavailable(exc), repr(exc)
    assert isinstance(_as_kombu_raises(forced), OperationalError)
    # a bug or a configuration that waiting does not mend: counted, then dead-lettered
    for exc in (amqp_errors.PreconditionFailed("PRECONDITION_FAILED - inequivalent arg "
                                               "'x-queue-type'"),
                amqp_errors.AccessRefused("ACCESS_REFUSED - write access"),
                amqp_errors.NotFound("NOT_FOUND - no exchange 'documents.events'"),
                amqp_errors.FrameError("a frame RabbitMQ could not read")):
        assert not engine_unavailable(exc), repr(exc)
        assert not engine_unavailable(_as_kombu_raises(exc)), repr(exc)


def test_a_publish_rabbitmq_nacks_is_waited_for_a_message_too_large_is_not():
    from amqp import exceptions as amqp_errors
    from kombu.exceptions import EncodeError

    from services.common.messaging.retry import engine_unavailable

    nacked = amqp_errors.MessageNacked()
    assert engine_unavailable(nacked)
    assert engine_unavailable(_as_kombu_raises(nacked))   # the usual form: after retries
    too_large = _as_kombu_raises(amqp_errors.ContentTooLarge("CONTENT_TOO_LARGE"))
    for exc in (too_large, EncodeError("cannot serialise the request")):
        assert not engine_unavailable(exc), repr(exc)


def test_a_service_not_there_or_not_answering_is_waited_for_a_wrong_call_is_not():
    from nameko.amqp.publish import UndeliverableMessage
    from nameko.exceptions import MethodNotFound, RemoteError, RpcTimeout, UnknownService

    from services.common.messaging.retry import engine_unavailable

    for exc in (UnknownService("versioning"), RpcTimeout(30)):
        assert engine_unavailable(exc), repr(exc)
    for exc in (MethodNotFound("store_versoin"), RemoteError("KeyError", "version_id"),
                UndeliverableMessage()):
        assert not engine_unavailable(exc), repr(exc)


def test_rendition_handlers_hold_no_more_workers_than_there_are_slots():
    """The rendition worker's event handlers wait for a LibreOffice/OCR slot; with the
    default prefetch (one message per worker) a backlog took all ten workers and page
    images waited behind it (bench/pages.py --backlog). Their consumer asks for the slots."""
    from nameko.containers import ServiceContainer

    from services.renditions.worker import RenditionWorker
    config = {"AMQP_URI": "memory://", "max_workers": 10,
              "renditions": {"slots": 2}}
    container = ServiceContainer(RenditionWorker, config)
    # those that wait for a slot (a disposal's handler only removes files: it waits for none)
    handlers = [e for e in container.entrypoints
                if isinstance(e, EventHandler) and e.prefetch_from is not None]
    assert len(handlers) == 2
    consumer = handlers[0].queue_consumer
    assert consumer.prefetch_count == 10    # nothing registered yet: one per worker
    for handler in handlers:
        # what ReliableEventHandler.setup does before registering with its consumer
        handler.prefetch = handler.prefetch_from(config)
        consumer.register_provider(handler)
    assert consumer.prefetch_count == 2
