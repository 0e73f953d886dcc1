"""What an RPC does on every call, done once instead: the entrypoint's signature is read
when the service starts (services/common/signature.py: RPCs and the gateway's HTTP
routes), and the connection that keys the
pool of unconfirmed publishers is made once per broker address
(services/common/messaging/unconfirmed.py), and its producers are kept with their
connections between publishes."""
from __future__ import annotations

import inspect
from types import SimpleNamespace

import pytest
from kombu import Connection
from nameko.exceptions import IncorrectSignature

from services.common.identity import IdentifiedRpc
from services.gateway.entrypoints import HttpEntrypoint
from services.common.messaging.unconfirmed import KeptProducers, unconfirmed_connection


class Search:
    def search(self, user: dict, query: dict) -> str:
        return ""


def entrypoint() -> IdentifiedRpc:
    rpc = IdentifiedRpc()
    rpc.container = SimpleNamespace(service_cls=Search, service_name="search")
    rpc.method_name = "search"
    rpc.rpc_consumer = SimpleNamespace(register_provider=lambda provider: None)
    rpc.setup()
    return rpc


def test_a_call_s_arguments_are_checked_against_the_signature_read_at_setup(monkeypatch):
    rpc = entrypoint()

    def inspected(*args, **kwargs):
        raise AssertionError("the method inspected again on a call")

    monkeypatch.setattr(inspect, "getcallargs", inspected)
    rpc.check_signature([{"username": "ana"}], {"query": {"q": "lucru"}})
    with pytest.raises(IncorrectSignature, match="query"):
        rpc.check_signature([{"username": "ana"}], {})
    with pytest.raises(IncorrectSignature):
        rpc.check_signature([{}, {}, {}], {})
    with pytest.raises(IncorrectSignature, match="scope"):
        rpc.check_signature([{}, {}], {"scope": "work"})


class Gateway:
    def get_version(self, request, version_id):
        return ""


def test_an_http_route_s_arguments_are_checked_against_the_signature_read_at_setup(
        monkeypatch):
    route = HttpEntrypoint("GET", "/api/versions/<version_id>")
    route.container = SimpleNamespace(service_cls=Gateway, service_name="gateway")
    route.method_name = "get_version"
    route.server = SimpleNamespace(register_provider=lambda provider: None)
    route.setup()

    def inspected(*args, **kwargs):
        raise AssertionError("the route inspected again on a request")

    monkeypatch.setattr(inspect, "getcallargs", inspected)
    route.check_signature((object(),), {"version_id": "v-1"})
    with pytest.raises(IncorrectSignature, match="version_id"):
        route.check_signature((object(),), {})


def test_the_unconfirmed_publishers_connection_is_made_once_per_broker():
    uri = "amqp://gateway:secret@127.0.0.1:5672/procedura"
    first = unconfirmed_connection(uri)
    assert unconfirmed_connection(uri) is first
    assert first.transport_options["confirm_publish"] is False
    other = unconfirmed_connection(uri.replace("procedura", "procedura-other"))
    assert other is not first and other.virtual_host == "procedura-other"
    assert unconfirmed_connection(uri, login_method="PLAIN") is not first


def test_a_producer_is_kept_between_publishes_and_dropped_when_its_publish_fails():
    producers = KeptProducers(Connection("memory://"))
    with producers.acquire() as first:
        first.publish({"n": 1}, routing_key="answers")
    with producers.acquire() as again:
        assert again is first           # its connection and channel with it
    with pytest.raises(OSError):
        with producers.acquire() as failing:
            raise OSError("the broker went away")
    assert producers.idle == []
    with producers.acquire() as fresh:
        assert fresh is not failing


def test_a_request_that_never_went_out_leaves_no_call_waiting(monkeypatch):
    """The gateway's reply listener keeps a place per call for its answer: a request whose
    publish failed (the broker away) gives its place up, as one past its deadline does
    (services/gateway/rpc.py)."""
    from services.common.messaging import unconfirmed
    from services.common.messaging.queues import DeadlineReplyListener

    def refused(*args, **kwargs):
        raise OSError("the broker went away")

    monkeypatch.setattr(unconfirmed, "publish_unconfirmed", refused)
    monkeypatch.setattr(unconfirmed, "unconfirmed_connection", lambda *a, **k: None)
    listener = DeadlineReplyListener()
    listener.routing_key = "replies"
    container = SimpleNamespace(config={"AMQP_URI": "memory://"}, service_name="gateway")
    worker = SimpleNamespace(container=container, context_data={}, call_id_stack=[],
                             call_id="gateway.ask.1", origin_call_id=None)
    proxy = unconfirmed.UnconfirmedServiceProxy(worker, "search", listener)
    with pytest.raises(OSError):
        proxy.search.call_async({}, {})
    assert listener._reply_events == {}

    monkeypatch.setattr(unconfirmed, "publish_unconfirmed", lambda *a, **k: None)
    sent = proxy.search
    sent.call_async({}, {})
    assert list(listener._reply_events) == [sent.publisher.correlation_id]
    sent.forget()
    assert listener._reply_events == {}
