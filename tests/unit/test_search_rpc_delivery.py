"""The search RPC is a read: the gateway sends its requests transient, so RabbitMQ does
not write them to disk; every other proxy of the gateway stays persistent (it carries
changes)."""
from services.gateway.rpc import TRANSIENT, TimedRpcProxy
from services.gateway.service import GatewayService


def test_only_the_search_requests_are_transient():
    modes = {name: proxy.options.get("delivery_mode")
             for name, proxy in vars(GatewayService).items()
             if isinstance(proxy, TimedRpcProxy)}
    assert modes == {"documents": None, "versioning": None, "search": TRANSIENT,
                     "notifications": None, "renditions": None}
    assert TRANSIENT == 1   # AMQP's non-persistent delivery mode
