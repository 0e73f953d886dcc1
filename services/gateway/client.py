"""Who is asking, as far as the gateway can tell: the client's address (for the login
limits) and whether the site is served over HTTPS (for Secure cookies).

The peer of the TCP connection is the client, unless it is a reverse proxy named in
`auth.trusted_proxies`: then its X-Forwarded-For and X-Forwarded-Proto are believed.
Anyone else's forwarding headers are ignored, or a guesser could claim a new address
on every attempt."""
from __future__ import annotations

import ipaddress


class TrustedProxies:
    def __init__(self, proxies: tuple[str, ...] | list[str]):
        self._networks = tuple(ipaddress.ip_network(p, strict=False) for p in proxies)

    def trusts(self, address: str | None) -> bool:
        try:
            ip = ipaddress.ip_address((address or "").strip())
        except ValueError:
            return False
        return any(ip in network for network in self._networks)

    def address(self, request) -> str:
        """The client's address: the peer, or behind trusted proxies the last address
        of X-Forwarded-For that is not itself a trusted proxy."""
        peer = request.remote_addr or "unknown"
        if not self.trusts(peer):
            return peer
        hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",")
                if h.strip()]
        for hop in reversed(hops):
            try:
                ipaddress.ip_address(hop)
            except ValueError:
                break       # garbage from further out: the last good hop is the client
            if not self.trusts(hop):
                return hop
            peer = hop
        return peer

    def https(self, request) -> bool:
        """The browser reached the site over HTTPS: this server's own scheme, or the
        first X-Forwarded-Proto of a trusted proxy."""
        if request.scheme == "https":
            return True
        forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip()
        return self.trusts(request.remote_addr) and forwarded.lower() == "https"
