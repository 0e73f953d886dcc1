"""An RPC's answer that cannot be sent (the broker away past the publish's retries; when
answers were confirmed, a RabbitMQ node of the cluster dying under the publish nacked
it) does not stop the whole process: it is logged, the request is acknowledged (done
once, not redone), and the caller's deadline answers the caller
(services/common/identity.py IdentifiedRpc.handle_result)."""
from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
from kombu.exceptions import OperationalError

from services.common.identity import IdentifiedRpc


class Consumer:
    """nameko's RpcConsumer as the entrypoint uses it, its answer's publish refused."""

    def __init__(self, refuse: bool):
        self.refuse = refuse
        self.acked = []
        self.queue_consumer = SimpleNamespace(ack_message=self.acked.append)

    def handle_result(self, message, result, exc_info):
        if self.refuse:
            raise OperationalError("")      # kombu's wrapping of a connection error
        self.queue_consumer.ack_message(message)
        return result, exc_info


def entrypoint(consumer: Consumer) -> IdentifiedRpc:
    rpc = IdentifiedRpc()
    rpc.container = SimpleNamespace(service_name="search")
    rpc.method_name = "search"
    rpc.rpc_consumer = consumer
    return rpc


def test_a_refused_answer_is_logged_and_its_request_acknowledged(caplog):
    consumer = Consumer(refuse=True)
    with caplog.at_level(logging.WARNING, logger="services.common.identity"):
        answered = entrypoint(consumer).handle_result("request", None, {"hits": []}, None)
    assert answered == ({"hits": []}, None)
    assert consumer.acked == ["request"]
    assert "the answer of search.search was not delivered" in caplog.text


def test_a_delivered_answer_is_as_before():
    consumer = Consumer(refuse=False)
    assert entrypoint(consumer).handle_result("request", None, 3, None) == (3, None)
    assert consumer.acked == ["request"]


def test_another_error_still_stops_the_process():
    class Broken(Consumer):
        def handle_result(self, message, result, exc_info):
            raise RuntimeError("a bug")

    with pytest.raises(RuntimeError):
        entrypoint(Broken(refuse=False)).handle_result("request", None, 3, None)
