"""Who is calling: RPCs carry the caller's broker identity; only the gateway acts for
a person, and a call that acts for no person is accepted only from the service
identities allowed to make it.

A proxy sets the AMQP `user_id` property of every call to the broker user of its own
connection (the user in AMQP_URI); RabbitMQ refuses a message whose user_id is not
the user that published it, so a caller cannot claim another's identity. The `rpc`
entrypoint here reads it: a call that names a person (the method's `actor`,
`username` or `user` argument) is accepted from the gateway, which authenticated that
person, and from the identities in the method's `callers`; a call without one only
from the identities in `callers`. The operators (procedura CLI) may make every call.
Which identity may make which call: docs/architecture.md ("Who may call what").
"""
from __future__ import annotations

import logging
from urllib.parse import urlparse

from amqp.exceptions import MessageNacked
from kombu.exceptions import OperationalError
from nameko.rpc import Rpc, RpcProxy
from nameko.standalone.rpc import ClusterProxy, ClusterRpcProxy, ServiceProxy

# registers the contracts' errors: a caller gets NotFound back, not RemoteError
from services.common import remote_errors  # noqa: F401
from services.common.db import unreachable
from services.common.broker_users import ADMIN
from services.common.messaging.queues import TransientReplyListener
from services.common.messaging.unconfirmed import AnsweringRpcConsumer
from services.common.settings import Settings
from services.common.signature import SignatureReadAtSetup
from services.contracts.errors import Forbidden, ServiceUnavailable

log = logging.getLogger(__name__)

# the argument that names the person a call acts for
PERSON_ARGUMENTS = ("actor", "username", "user")
# operators (procedura CLI, tests) may call what any service may
OPERATOR = ADMIN
# the one service that authenticates people and so may act for them
PERSON_CALLERS = frozenset({"gateway"})
# a failover of PostgreSQL's primary takes tens of seconds (docs/scaling.md)
DATABASE_RETRY_SECONDS = 5
# a quorum queue elects a new leader within seconds of its node's death (docs/scaling.md)
BROKER_RETRY_SECONDS = 2


def broker_user(config: dict) -> str:
    """The broker user of a nameko config: the identity its calls carry."""
    user = urlparse(Settings.from_config(config).secret("amqp_uri")).username
    if not user:
        raise ValueError("AMQP_URI names no user")
    return user


def refusal(method: str, person, caller: str | None, callers: frozenset[str]) -> str | None:
    """Why a call of `method` for `person` from `caller` is refused (None: accepted)."""
    if caller == OPERATOR or caller in callers:
        return None
    who = caller or "an unidentified caller"
    if person:
        if caller in PERSON_CALLERS:
            return None
        return f"{method} acts for a person and {who} may not call it"
    return f"{method} acts for no person and {who} may not call it"


class IdentifiedRpc(SignatureReadAtSetup, Rpc):
    """nameko's @rpc, plus the caller check above. `callers`: the service identities
    (besides the gateway for a person) that may call this method."""

    # rpc-<service> (quorum on a cluster); answers unconfirmed and transient (messaging/unconfirmed.py)
    rpc_consumer = AnsweringRpcConsumer()

    def __init__(self, expected_exceptions=(), callers=(), **kwargs):
        self.callers = frozenset(callers)
        super().__init__(expected_exceptions=expected_exceptions, **kwargs)

    def setup(self):
        super().setup()     # reads the method's signature (SignatureReadAtSetup)
        self._person = next((p for p in PERSON_ARGUMENTS if p in self._signature.parameters),
                            None)

    def handle_message(self, body, message):
        if not (message.properties or {}).get("reply_to"):
            # not a call from an RPC proxy: nameko would fail answering it and stop the
            # whole service, so it is dropped (acknowledged) with a warning
            log.warning("dropped: a message for %s.%s without reply_to",
                        self.container.service_name, self.method_name)
            self.rpc_consumer.queue_consumer.ack_message(message)
            return
        person = None
        if self._person is not None and isinstance(body, dict):
            try:
                bound = self._signature.bind(None, *body.get("args", ()),
                                             **body.get("kwargs", {}))
                person = bound.arguments.get(self._person)
            except TypeError:
                pass   # nameko answers a bad signature itself
        caller = (message.properties or {}).get("user_id")
        why = refusal(f"{self.container.service_name}.{self.method_name}", person,
                      caller, self.callers)
        if why is not None:
            log.warning("refused: %s", why)
            raise Forbidden(why, {"caller": caller or ""})
        super().handle_message(body, message)


    def handle_result(self, message, worker_ctx, result, exc_info):
        try:
            return super().handle_result(message, worker_ctx, result,
                                         engine_away(exc_info))
        except OperationalError as exc:
            # the answer could not be sent (the broker away past the publish's retries;
            # answers are not confirmed, so a node dying under it no longer nacks it:
            # messaging/unconfirmed.py): nameko would let the error stop the whole process
            # (the cluster fault run lost search-1 so). The caller's deadline answers it
            # instead (a 503 it tries again), the process lives on, and the request, done
            # once, is acknowledged so that it is not done twice.
            log.warning("the answer of %s.%s was not delivered: %r",
                        self.container.service_name, self.method_name, exc)
            try:
                self.rpc_consumer.queue_consumer.ack_message(message)
            except Exception as lost:   # its channel went with the node: redelivered
                log.warning("the request of %s.%s could not be acknowledged: %r",
                            self.container.service_name, self.method_name, lost)
            return result, exc_info


def engine_away(exc_info):
    """An engine away answers the caller ServiceUnavailable, a 503 it tries again, rather
    than nameko's RemoteError, a 500: PostgreSQL killed or failing over, or RabbitMQ not
    taking what the handler sent on (a call to another service or a publish refused with
    a nack while a quorum queue elects its leader after a node's death, or lost with the
    connection: kombu's OperationalError; the cluster fault run had an upload answered
    500 so)."""
    if exc_info is None:
        return exc_info
    if unreachable(exc_info[1]):
        error = ServiceUnavailable(
            "the database is not reachable (failing over?); try again in a moment",
            {"retry_after_seconds": DATABASE_RETRY_SECONDS})
    elif isinstance(exc_info[1], (OperationalError, MessageNacked)):
        error = ServiceUnavailable(
            "the message broker did not take a message (a node failing over?); try again "
            "in a moment", {"retry_after_seconds": BROKER_RETRY_SECONDS})
    else:
        return exc_info
    return ServiceUnavailable, error, exc_info[2]


rpc = IdentifiedRpc.decorator


class IdentifiedRpcProxy(RpcProxy):
    """nameko's RpcProxy whose calls carry this process's broker user; its replies come
    to a transient queue (TransientReplyListener)."""

    rpc_reply_listener = TransientReplyListener()

    def setup(self):
        self.options["user_id"] = broker_user(self.container.config)
        super().setup()


class _IdentifiedCluster(ClusterProxy):
    def __init__(self, worker_ctx, reply_listener, user_id: str):
        super().__init__(worker_ctx, reply_listener)
        self._user_id = user_id

    def __getattr__(self, name):
        if name not in self._proxies:
            self._proxies[name] = ServiceProxy(self._worker_ctx, name, self._reply_listener,
                                               user_id=self._user_id)
        return self._proxies[name]


class IdentifiedClusterRpcProxy(ClusterRpcProxy):
    """nameko's standalone ClusterRpcProxy (CLI, tests) whose calls carry its broker user."""

    def __init__(self, config, *args, **kwargs):
        super().__init__(config, *args, **kwargs)
        user = broker_user(config)
        # its reply queue is named after its user (rpc.reply-<user>-<uuid>), which that
        # user's permissions allow (services/common/broker_users.py)
        self._worker_ctx.container.service_name = user
        self._proxy = _IdentifiedCluster(self._worker_ctx, self._reply_listener, user)
