"""Finding 1 of the security review (issue 12): no secret has a default, RabbitMQ knows
each service by its own user, and an RPC for no person comes only from a service allowed
to make it. Every service runs as its own process, as scripts/services.sh starts it."""
from __future__ import annotations

import subprocess
import uuid

import pytest
import requests
from amqp.exceptions import AccessRefused, NotFound, PreconditionFailed
from itsdangerous import URLSafeTimedSerializer
from kombu import Connection, Exchange, Queue

from services.common.broker_users import SUBSCRIBER
from services.common.messaging import list_dead_letters
from services.common.identity import IdentifiedClusterRpcProxy
from services.gateway.ui.session import SESSION_COOKIE
from tests.e2e.test_walking_skeleton import register, unique_code
from tests.testenv import AMQP_PORT, ROOT, eventually, free_port

OLD_DEFAULT = "dev-only-secret-not-for-production"   # config/procedura.yaml's, until now
REFUSED = (AccessRefused, NotFound, PreconditionFailed)


def test_a_token_signed_with_the_old_default_secret_is_refused(gateway, login):
    login("elena.dumitrascu").get("/api/documents")            # a real token works
    forged = URLSafeTimedSerializer(OLD_DEFAULT, salt="procedura-api-token").dumps(
        {"u": "elena.dumitrascu"})
    response = requests.get(f"{gateway}/api/documents", timeout=10,
                            headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401, response.text


def test_a_session_cookie_signed_with_the_old_default_secret_goes_to_log_in(gateway):
    forged = URLSafeTimedSerializer(OLD_DEFAULT, salt="procedura-web-session").dumps(
        {"u": "elena.dumitrascu", "c": "x" * 32})
    response = requests.get(f"{gateway}/", cookies={SESSION_COOKIE: forged}, timeout=10,
                            allow_redirects=False)
    assert response.status_code in (302, 303), response.status_code
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("service,target,variable,value", [
    ("gateway", "services.gateway.service:GatewayService", "PROCEDURA_AUTH_SECRET", None),
    ("gateway", "services.gateway.service:GatewayService", "PROCEDURA_AUTH_SECRET",
     OLD_DEFAULT),
    ("versioning", "services.versioning.service:VersioningService",
     "PROCEDURA_MINIO_SECRET_KEY", "procedura-dev-secret"),
    ("documents", "services.documents.service:DocumentsService", "PROCEDURA_AMQP_URI", None),
])
def test_a_service_refuses_to_start_without_its_secret_or_with_one_of_the_repository(
        environment, service, target, variable, value):
    env = environment.environ(service)
    env["PROCEDURA_GATEWAY_ADDRESS"] = f"127.0.0.1:{free_port()}"
    env["PROCEDURA_HEALTH_DIR"] = str(ROOT / ".stack" / "test-runs" / "refused")
    env.pop(variable, None)
    if value is not None:
        env[variable] = value
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "nameko"), "run", "--config",
         str(ROOT / "config" / "procedura.yaml"), target],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        output, _ = process.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        pytest.fail(f"{service} started with {variable}={value!r}:\n{output[-2000:]}")
    assert process.returncode != 0
    assert f"InsecureSetting: {variable}" in output, output[-3000:]


def test_rabbitmqs_guest_user_cannot_connect(stack):
    with pytest.raises(AccessRefused):
        with Connection(f"amqp://guest:guest@127.0.0.1:{AMQP_PORT}/", connect_timeout=5) as c:
            c.connect()


def test_a_service_user_cannot_consume_another_services_rpc_queue(services, environment):
    with Connection(environment.amqp_uri_of("search")) as conn:
        conn.connect()
        Queue("rpc-search", channel=conn.channel()).queue_declare(passive=True)  # its own
        with pytest.raises(REFUSED):
            conn.channel().basic_consume("rpc-documents", callback=lambda message: None)
        with pytest.raises(REFUSED):
            conn.channel().basic_get("rpc-documents")


def _publish(uri: str, exchange: str, routing_key: str, **properties) -> None:
    with Connection(uri, transport_options={"confirm_publish": True}) as conn:
        conn.Producer().publish({"args": [], "kwargs": {}}, exchange=exchange,
                                routing_key=routing_key, serializer="json", retry=False,
                                **properties)


def test_a_service_may_call_only_the_services_it_uses_and_only_as_itself(services,
                                                                         environment):
    notifications = environment.amqp_uri_of("notifications")
    with pytest.raises(REFUSED):    # notifications calls documents, never versioning
        _publish(notifications, "nameko-rpc", "versioning.get")
    with pytest.raises(REFUSED):    # the broker checks user_id: no other identity claimed
        _publish(notifications, "nameko-rpc", "documents.document_record", user_id="search")
    with pytest.raises(REFUSED):    # nor another service's events
        _publish(notifications, "documents.events", "version_approved")
    with Connection(environment.amqp_uri) as conn:   # the retry exchange exists...
        Exchange("procedura.retry", type="topic", durable=True, passive=True)(conn).declare()
    with pytest.raises(REFUSED):    # ...and takes its retries to its own queues only
        _publish(notifications, "procedura.retry",
                 "evt-versioning-version_text_extracted--search.on_text_extracted")
    with pytest.raises(REFUSED):    # nor straight into a queue by its name
        _publish(notifications, "", "rpc-documents")


def test_a_service_retries_into_its_own_queue_and_dead_letters_under_its_own_name(
        services, environment):
    queue = "evt-versioning-version_text_extracted--search.on_text_extracted"
    # what search's handler does with a failed message: back to its own queue by name
    _publish(environment.amqp_uri_of("search"), "procedura.retry", queue)
    with Connection(environment.amqp_uri) as conn:   # not an event: search dead-letters it
        eventually(lambda: any(letter.queue == queue and letter.kind == "garbage"
                               and letter.service == "search"
                               for letter in list_dead_letters(conn)), timeout=30)


def test_an_rpc_for_no_person_from_a_service_not_allowed_is_refused(gateway, login,
                                                                    environment):
    author = login("ana.popescu")
    document = register(author, unique_code())
    with IdentifiedClusterRpcProxy(environment.config("notifications"), timeout=20) as rpc:
        # notifications resolves people (a call naming the person)...
        assert rpc.documents.get_user("ana.popescu")["username"] == "ana.popescu"
        # ...but may not read every revision of the register, confidential ones included
        with pytest.raises(Exception, match="notifications may not call it"):
            rpc.documents.all_revisions()
        with pytest.raises(Exception, match="notifications may not call it"):
            rpc.documents.get_revision(None, str(uuid.uuid4()))
    with IdentifiedClusterRpcProxy(environment.config("search"), timeout=20) as rpc:
        assert rpc.documents.document_record(document["id"])["id"] == document["id"]
        # only the gateway, which authenticated the person, acts for one
        with pytest.raises(Exception, match="acts for a person and search may not call it"):
            rpc.documents.get("elena.dumitrascu", document["id"])


def test_the_subscriber_reads_documents_events_and_publishes_nowhere(gateway, login,
                                                                     environment):
    uri = environment.amqp_uri_of(SUBSCRIBER)
    queue = f"subscriber.test-{uuid.uuid4().hex[:8]}"
    received = []
    with Connection(uri) as conn:
        channel = conn.channel()
        # it may check that the exchange exists, not declare it
        events = Exchange("documents.events", type="topic", durable=True, channel=channel,
                          passive=True)
        bound = Queue(queue, exchange=events, routing_key="document_registered",
                      channel=channel, auto_delete=True)
        bound.declare()
        code = unique_code()
        register(login("ana.popescu"), code)

        def arrived():
            message = bound.get(no_ack=True)
            if message is not None:
                received.append(message.payload)
            return any(e["data"].get("code") == code for e in received)

        eventually(arrived, timeout=30)
    for exchange, key in (("nameko-rpc", "documents.load_organisation"),
                          ("documents.events", "document_registered"),
                          ("", "rpc-documents")):
        with pytest.raises(REFUSED):
            _publish(uri, exchange, key)
    with Connection(uri) as conn, pytest.raises(REFUSED):
        conn.channel().basic_get("rpc-documents")



def test_a_message_that_is_not_a_call_leaves_the_service_running(services, environment,
                                                                  login):
    # the operators may publish anything: a message without reply_to once stopped the
    # whole documents service (nameko could not answer it)
    _publish(environment.amqp_uri, "nameko-rpc", "documents.health")
    with IdentifiedClusterRpcProxy(environment.config(), timeout=20) as rpc:
        assert rpc.documents.health()["service"] == "documents"
    assert "without reply_to" in services.log("documents")
