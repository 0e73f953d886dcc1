"""The gateway's listening socket: its address alone, and answers sent without waiting
for the client's acknowledgements (services/gateway/entrypoints.py listening_socket)."""
from __future__ import annotations

import socket

import pytest

from services.gateway.entrypoints import listening_socket


def test_the_connections_it_accepts_send_at_once():
    server = listening_socket(("127.0.0.1", 0))
    client = socket.create_connection(server.getsockname())
    accepted, _ = server.accept()
    try:
        # an answer longer than eventlet's 16 KB write buffer leaves in two writes: without
        # TCP_NODELAY the second waits for the client's delayed acknowledgement (~40 ms)
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        accepted.close()
        client.close()
        server.close()


def test_a_second_gateway_on_the_same_address_is_refused():
    first = listening_socket(("127.0.0.1", 0))
    try:
        with pytest.raises(OSError):
            listening_socket(first.getsockname())
    finally:
        first.close()
