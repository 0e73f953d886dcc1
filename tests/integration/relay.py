"""A TCP relay to RabbitMQ that a test cuts as a node killed with -9 is cut: every
connection closed (its clients read an end of file), new ones refused until it opens again.
"""
from __future__ import annotations

import socket

import eventlet

from tests.testenv import free_port


class Relay:
    """TCP from a port of its own to RabbitMQ, which the test can cut."""

    def __init__(self, upstream_port: int):
        self.upstream = ("127.0.0.1", upstream_port)
        self.port = free_port()
        self.sockets: list[socket.socket] = []
        self.accepting = None
        self.listener = None
        self.open()

    def open(self) -> None:
        """Connections accepted again (a no-op while they are)."""
        if self.listener is not None:
            return
        self.listener = eventlet.listen(("127.0.0.1", self.port))
        self.accepting = eventlet.spawn(self._accept, self.listener)

    def _accept(self, listener) -> None:
        while True:
            client, _ = listener.accept()
            upstream = eventlet.connect(self.upstream)
            self.sockets += [client, upstream]
            eventlet.spawn(self._pipe, client, upstream)
            eventlet.spawn(self._pipe, upstream, client)

    @staticmethod
    def _pipe(source, sink) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except (OSError, EOFError):
            pass
        finally:   # either side gone: both go (the other pipe closes its own reader)
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        """Every connection closed, new ones refused: as a node killed with -9."""
        self.accepting.kill()
        self.listener.close()
        self.listener = None
        for s in self.sockets:   # the pipes wake up to an end of file and stop
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.sockets = []

    def close(self) -> None:
        if self.listener is not None:
            self.cut()
