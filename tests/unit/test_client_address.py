"""The client's address and scheme (services/gateway/client.py): forwarding headers count
only from a trusted proxy."""
from types import SimpleNamespace

from services.gateway.client import TrustedProxies


def request(peer, forwarded_for=None, proto=None, scheme="http"):
    headers = {}
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    if proto is not None:
        headers["X-Forwarded-Proto"] = proto
    return SimpleNamespace(remote_addr=peer, headers=headers, scheme=scheme)


def test_without_trusted_proxies_the_peer_is_the_client_whatever_the_headers_say():
    proxies = TrustedProxies(())
    assert proxies.address(request("203.0.113.9", "198.51.100.1")) == "203.0.113.9"
    assert not proxies.https(request("203.0.113.9", proto="https"))
    assert proxies.https(request("203.0.113.9", scheme="https"))


def test_behind_a_trusted_proxy_the_last_untrusted_hop_is_the_client():
    proxies = TrustedProxies(("10.0.0.0/8", "127.0.0.1"))
    assert proxies.address(request("10.1.2.3", "198.51.100.7")) == "198.51.100.7"
    # a client cannot pick its address by sending its own X-Forwarded-For first
    assert proxies.address(request("10.1.2.3", "1.2.3.4, 198.51.100.7, 10.9.9.9")) \
        == "198.51.100.7"
    assert proxies.address(request("10.1.2.3")) == "10.1.2.3"
    assert proxies.address(request("10.1.2.3", "garbage, 10.0.0.5")) == "10.0.0.5"
    assert proxies.address(request("203.0.113.9", "198.51.100.7")) == "203.0.113.9"
    assert proxies.https(request("127.0.0.1", proto="https"))
    assert proxies.https(request("127.0.0.1", proto="HTTPS, http"))
    assert not proxies.https(request("127.0.0.1", proto="http"))
    assert not proxies.https(request("203.0.113.9", proto="https"))
