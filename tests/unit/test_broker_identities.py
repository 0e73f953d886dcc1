"""Each service's broker permissions cover its own queues and exchanges only, and an RPC
acting for no person is accepted only from the identities allowed to make it."""
import re

from services.common import broker_users
from services.common.identity import refusal


def allowed(pattern: str, name: str) -> bool:
    return re.fullmatch(pattern, name) is not None


def test_a_service_may_consume_its_own_queues_and_no_other_services():
    _, _, read = broker_users.permissions("search")
    assert allowed(read, "rpc-search")
    assert allowed(read, "evt-documents-version_approved--search.on_approved")
    assert allowed(read, "rpc.reply-search-8c1e44c3-51b6-4bc6-8f0c-3c51f9a0a111")
    assert not allowed(read, "rpc-documents")
    assert not allowed(read, "evt-documents-version_approved--notifications.on_approved")
    assert not allowed(read, "rpc.reply-gateway-8c1e44c3-51b6-4bc6-8f0c-3c51f9a0a111")


def test_every_rendition_worker_hears_of_disposals_on_a_queue_of_its_own():
    configure, _, read = broker_users.permissions("renditions")
    queue = "evt-documents-document_disposed--renditions.on_document_disposed-8c1e44c3"
    assert allowed(configure, queue) and allowed(read, queue)
    assert allowed(read, "documents.events") and allowed(read, "versioning.events")
    assert not allowed(read, "evt-documents-document_disposed--search.on_disposed")


def test_a_service_publishes_only_to_its_own_events_exchange():
    _, write, _ = broker_users.permissions("notifications")
    assert allowed(write, "notifications.events") and allowed(write, "nameko-rpc")
    assert not allowed(write, "documents.events")
    assert not allowed(write, "versioning.events")
    assert not allowed(write, "amq.default")      # the default exchange reaches any queue
    [retry] = [r for r in broker_users.topic_permissions("notifications")
               if r[0] == "procedura.retry"]
    assert allowed(retry[1], "evt-documents-version_approved--notifications.on_approved")
    assert not allowed(retry[1], "evt-documents-version_approved--search.on_approved")


def test_rpc_calls_are_limited_to_the_services_a_service_uses():
    [(exchange, write, read), *_] = broker_users.topic_permissions("notifications")
    assert exchange == "nameko-rpc"
    assert allowed(write, "documents.get_user")
    assert allowed(write, "8c1e44c3-51b6-4bc6-8f0c-3c51f9a0a111")          # a reply
    assert not allowed(write, "versioning.get") and not allowed(write, "search.search")
    assert allowed(read, "notifications.*") and not allowed(read, "documents.*")


def test_the_subscriber_binds_to_events_exchanges_and_publishes_nowhere():
    configure, write, read = broker_users.permissions(broker_users.SUBSCRIBER)
    assert allowed(configure, "subscriber.registratura")
    assert allowed(read, "documents.events") and allowed(read, "subscriber.registratura")
    for exchange in ("documents.events", "nameko-rpc", "amq.default",
                     "procedura.dead-letters"):
        assert not allowed(write, exchange) and not allowed(configure, exchange)
    assert not allowed(read, "rpc-documents") and not allowed(read, "procedura.dead-letters")


def test_every_user_has_a_password_key_of_its_own():
    keys = [broker_users.password_key(u) for u in broker_users.users()]
    assert len(set(keys)) == len(keys) and all(k.startswith("PROCEDURA_AMQP_") for k in keys)
    assert "guest" not in broker_users.users()


def test_only_the_gateway_acts_for_a_person_unless_a_method_allows_another():
    assert refusal("documents.get", "ana.popescu", "gateway", frozenset()) is None
    assert refusal("documents.get", "ana.popescu", None, frozenset()) is not None
    why = refusal("documents.transition", "daniel.balan", "search", frozenset())
    assert "acts for a person and search may not call it" in why
    assert refusal("documents.get_user", "ana.popescu", "notifications",
                   frozenset({"notifications"})) is None


def test_a_call_for_no_person_only_from_an_allowed_identity():
    callers = frozenset({"search"})
    assert refusal("documents.document_record", None, "search", callers) is None
    assert refusal("documents.document_record", None, broker_users.ADMIN, callers) is None
    why = refusal("documents.document_record", None, "notifications", callers)
    assert "notifications may not call it" in why
    assert refusal("documents.document_record", "", None, callers) is not None
