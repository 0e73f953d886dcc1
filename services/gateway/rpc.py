"""RPC with a deadline: a stopped service becomes a 503 naming it, not a hung request."""
from __future__ import annotations

from functools import partial

import eventlet
from kombu.exceptions import OperationalError

# registers the contracts' errors: a NotFound from a service is a 404, not a 500
from services.common import remote_errors  # noqa: F401
from services.common.identity import IdentifiedRpcProxy
from services.common.messaging.queues import DeadlineReplyListener
from services.common.messaging.unconfirmed import UnconfirmedServiceProxy
from services.common.settings import Settings
from services.contracts.errors import ServiceUnavailable

# AMQP delivery mode of a request that may be lost with the broker (a read: the caller
# gets a 503 and asks again), so RabbitMQ confirms it without writing it to disk
TRANSIENT = 1


class TimedRpcProxy(IdentifiedRpcProxy):
    """The gateway's calls: each with a deadline, so each request is published without
    a publisher confirm (services/common/messaging/unconfirmed.py): one RabbitMQ loses
    is a 503 at the deadline, as an answer lost is; for the same reason its replies are not
    acknowledged (messaging/queues.py DeadlineReplyListener)."""

    rpc_reply_listener = DeadlineReplyListener()

    def setup(self):
        super().setup()
        self.timeout = Settings.from_config(self.container.config).rpc_timeout_seconds

    def get_dependency(self, worker_ctx):
        proxy = UnconfirmedServiceProxy(worker_ctx, self.target_service,
                                        self.rpc_reply_listener, **self.options)
        return _Timed(proxy, self.target_service, self.timeout)


class _Timed:
    def __init__(self, proxy, service: str, timeout: float):
        self._proxy, self._service, self._timeout = proxy, service, timeout

    def __getattr__(self, method: str):
        return partial(self._call, getattr(self._proxy, method))

    def with_timeout(self, seconds: float) -> "_Timed":
        """The same proxy with another deadline (e.g. short, for health checks)."""
        return _Timed(self._proxy, self._service, seconds)

    def _call(self, method, *args, **kwargs):
        try:
            reply = method.call_async(*args, **kwargs)
        except (OSError, OperationalError) as exc:
            # the broker is away (stopped, restarting): a clean 503, not a 500
            raise ServiceUnavailable(
                f"the message broker is not reachable ({exc}); try again in a moment",
                {"service": self._service}) from None
        try:
            with eventlet.Timeout(self._timeout):
                return reply.result()
        except eventlet.Timeout:
            method.forget()
            raise ServiceUnavailable(
                f"the {self._service} service did not answer within {self._timeout:g} s",
                {"service": self._service}) from None
