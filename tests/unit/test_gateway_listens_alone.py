"""The gateway's HTTP server listens on its address alone: started on a port another
process already serves, it fails naming the address in use, instead of sharing that port's
requests with it (eventlet's default SO_REUSEPORT; two test environments given one port
once answered each other's requests)."""
from __future__ import annotations

import errno
import socket
from contextlib import contextmanager
from typing import Iterator

import pytest
import requests
from nameko.containers import ServiceContainer

from services.gateway.entrypoints import http


class Tiny:
    name = "tiny"

    @http("GET", "/ping")
    def ping(self, request):
        return "pong"


def _listening(reuse_port: bool) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


@contextmanager
def serving(service) -> Iterator[int]:
    """`service` served by nameko on a port nothing else serves (the system's choice);
    yields the port, stops the service afterwards."""
    probe = _listening(False)
    port = probe.getsockname()[1]
    probe.close()
    container = ServiceContainer(service, {"WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"})
    container.start()
    try:
        yield port
    finally:
        container.stop()


@pytest.mark.parametrize("other_reuses_port", [True, False])
def test_a_port_already_served_is_refused(other_reuses_port):
    other = _listening(other_reuses_port)
    port = other.getsockname()[1]
    container = ServiceContainer(Tiny, {"WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"})
    try:
        with pytest.raises(OSError) as refused:
            container.start()
        assert refused.value.errno == errno.EADDRINUSE
    finally:
        container.kill()
        other.close()


def test_a_free_port_is_served():
    with serving(Tiny) as port:
        assert requests.get(f"http://127.0.0.1:{port}/ping", timeout=5).text == "pong"
