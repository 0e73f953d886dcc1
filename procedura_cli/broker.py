"""The RabbitMQ management API of the broker the procedura command talks to (wait-ready,
doctor's queue check)."""
from __future__ import annotations

from urllib.parse import unquote, urlparse

from procedura_cli.localenv import variable


def management_api(amqp_uri: str) -> tuple[str, tuple[str, str], str]:
    """The RabbitMQ management API base, credentials and vhost of an AMQP URI."""
    url = urlparse(amqp_uri)
    vhost = unquote(url.path[1:]) or "/"
    port = variable("PROCEDURA_RABBITMQ_MGMT_PORT", "15672")   # as scripts/stack.sh
    return (f"http://{url.hostname}:{port}/api", (unquote(url.username or ""),
                                                unquote(url.password or "")), vhost)
