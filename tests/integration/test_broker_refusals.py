"""A message RabbitMQ refuses inside an RPC (a nack while a quorum queue elects its
leader after its node's death: the cluster fault run met one) is a 503 the caller tries
again, not a 500, and the service answers again as soon as RabbitMQ takes messages.

RabbitMQ refuses here as it does then: a real nack of a confirmed publish, brought by a
policy on the called service's request queue (`max-length` 0, `overflow`
reject-publish) on a vhost of this module's own."""
from __future__ import annotations

from urllib.parse import quote

import pytest
import requests
from nameko.testing.services import dummy, entrypoint_hook
from nameko.testing.utils import get_container

from services.common.callers import DOCUMENTS, GATEWAY
from services.common.identity import IdentifiedRpcProxy, rpc
from services.contracts.errors import EXPECTED, ServiceUnavailable
from services.gateway.rpc import TimedRpcProxy
from tests.integration.running import running
from tests.testenv import TestEnvironment, eventually, rabbit_auth

POLICY = "refuse-versioning-requests"


class Storing:
    """Stands in for versioning: the broker user and the request queue it has."""
    name = "versioning"

    @rpc(callers=DOCUMENTS)
    def store(self, value):
        return {"stored": value}


class Registering:
    """Stands in for documents: its handler calls versioning, as `add_revision` calls
    `store_version` (a confirmed request: the services' calls to each other)."""
    name = "documents"

    versioning = IdentifiedRpcProxy("versioning")

    @rpc(callers=GATEWAY, expected_exceptions=EXPECTED)
    def register(self, value):
        return self.versioning.store(value)


class Gatewaylike:
    name = "gateway"

    documents = TimedRpcProxy("documents")

    @dummy
    def ask(self, value):
        return self.documents.register(value)


@pytest.fixture(scope="module")
def own(stack, run_id):
    env = TestEnvironment(f"{run_id}n")
    env.create()
    yield env
    env.destroy()


@pytest.fixture(scope="module")
def gateway(own):
    with running(own.config("versioning"), Storing), \
            running(own.config("documents"), Registering), \
            running(own.config("gateway"), Gatewaylike) as runner:
        yield get_container(runner, Gatewaylike)


def queue_policy(own, queue: str):
    url = f"{own.management}/queues/{quote(own.vhost, safe='')}/{queue}"
    return requests.get(url, auth=rabbit_auth(), timeout=10).json().get("policy")


def test_a_call_whose_inner_request_rabbitmq_refuses_is_a_503_then_answers_again(own,
                                                                                  gateway):
    policy_url = f"{own.management}/policies/{quote(own.vhost, safe='')}/{POLICY}"
    with entrypoint_hook(gateway, "ask") as ask:
        assert ask("before") == {"stored": "before"}
        response = requests.put(policy_url, auth=rabbit_auth(), timeout=10, json={
            "pattern": "^rpc-versioning$", "apply-to": "queues", "priority": 100,
            "definition": {"max-length": 0, "overflow": "reject-publish"}})
        assert response.status_code in (201, 204), response.text
        try:
            eventually(lambda: queue_policy(own, "rpc-versioning") == POLICY, timeout=30)
            with pytest.raises(ServiceUnavailable) as refused:
                ask("refused")
            assert "message broker did not take a message" in str(refused.value)
            # (the details cross the RPC as text; the gateway puts them in Retry-After)
            assert refused.value.details == {"retry_after_seconds": "2"}
        finally:
            requests.delete(policy_url, auth=rabbit_auth(), timeout=10)
        eventually(lambda: queue_policy(own, "rpc-versioning") is None, timeout=30)
        # the same services answer again: neither process nor connection was lost
        assert ask("after") == {"stored": "after"}
