"""No password of an AMQP_URI that names every node of a RabbitMQ cluster reaches a log
line: `procedura-service --config config/procedura.yaml`, as every Procedura process runs, with
three URLs whose brokers refuse the connection, logs "Error connecting to broker" with
each password masked (nameko alone masks the first only). No broker needed: the line is
written before any connection succeeds."""
from __future__ import annotations

import logging
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack

from nameko.utils import sanitize_url

from services.common.identity import rpc
from services.common.log_masking import MaskPasswords, mask_passwords
from services.common.messaging import event_handler
from tests.testenv import ROOT

PASSWORDS = ("first-n0de-pw", "second-n0de-pw", "third-n0de-pw")


class Clerk:
    """A service with Procedura's RPC and event handler: both consume from the broker."""
    name = "clerk"

    @rpc
    def hello(self, name):
        return f"Bună ziua, {name}"

    @event_handler("documents", "document_registered")
    def on_registered(self, payload):
        pass


def _refusing_port(stack: ExitStack) -> int:
    """A loopback port bound but not listening (a connection to it is refused), held
    for the test so nothing else takes it."""
    sock = stack.enter_context(socket.socket())
    sock.bind(("127.0.0.1", 0))
    return sock.getsockname()[1]


def _three_node_uri(ports: list[int]) -> str:
    return ";".join(f"pyamqp://clerk:{password}@127.0.0.1:{port}/procedura"
                    for password, port in zip(PASSWORDS, ports))


def _log_until(process: subprocess.Popen, text: str, seconds: float) -> str:
    """What the process wrote to stderr until a line holds `text` (or the time is up)."""
    seen = ""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stderr, selectors.EVENT_READ)
        deadline = time.monotonic() + seconds
        while text not in seen and time.monotonic() < deadline:
            if selector.select(timeout=0.5):
                chunk = os.read(process.stderr.fileno(), 65536).decode(errors="replace")
                if not chunk:
                    break   # the process ended
                seen += chunk
    return seen


def test_a_service_process_masks_every_password_of_a_three_node_amqp_uri():
    with ExitStack() as stack:
        ports = [_refusing_port(stack) for _ in PASSWORDS]
        env = {**os.environ, "PROCEDURA_AMQP_URI": _three_node_uri(ports),
               "PROCEDURA_LOG_LEVEL": "INFO"}
        process = subprocess.Popen(
            [sys.executable, "-m", "procedura_cli.service_process", "--config",
             str(ROOT / "config" / "procedura.yaml"), f"{__name__}:Clerk"],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)
        try:
            log = _log_until(process, "Error connecting to broker", 60)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(10)
            process.stderr.close()
    line = next((l for l in log.splitlines() if "Error connecting to broker" in l), None)
    assert line is not None, log
    for password in PASSWORDS:
        assert password not in log
    # the line still names each node, its password masked
    for port in ports:
        assert f"clerk:***@127.0.0.1:{port}/procedura" in line, line


def test_nameko_alone_leaves_the_second_and_third_password_in_clear():
    """Why the filter exists: if a nameko release masks every URL, this fails and the
    filter may go."""
    sanitized = sanitize_url(_three_node_uri([5772, 5773, 5774]))
    assert PASSWORDS[0] not in sanitized
    assert PASSWORDS[1] in sanitized and PASSWORDS[2] in sanitized


def test_every_url_password_is_masked_and_nothing_else():
    assert mask_passwords("amqp://u:p@h:1/v;amqp://u:q@h:2/v and postgresql://a:b@db/x") == \
        "amqp://u:***@h:1/v;amqp://u:***@h:2/v and postgresql://a:***@db/x"
    for untouched in ("http://elasticsearch-0:9200/versions/_doc/a@b",
                      "no url here: user:pass@host", "http://host:9200,http://other:9200"):
        assert mask_passwords(untouched) == untouched


def test_a_record_with_arguments_and_a_traceback_is_masked(caplog):
    record = None
    try:
        raise ConnectionError("cannot reach amqp://clerk:second-n0de-pw@rabbitmq-1:5672/")
    except ConnectionError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "relay to %s failed",
                                   ("amqp://clerk:first-n0de-pw@rabbitmq-0:5672/",),
                                   sys.exc_info())
    assert MaskPasswords().filter(record) is True
    text = logging.Formatter("%(message)s").format(record)
    assert "first-n0de-pw" not in text and "second-n0de-pw" not in text
    assert "relay to amqp://clerk:***@rabbitmq-0:5672/ failed" in text
    assert "amqp://clerk:***@rabbitmq-1:5672/" in text
