"""Shared fixtures. The process is monkey-patched first, as `nameko run` does."""
import eventlet

eventlet.monkey_patch()

import os  # noqa: E402
import socket  # noqa: E402

import pytest  # noqa: E402

# tests that call the services get their errors back as the contracts' classes
from services.common import remote_errors  # noqa: E402,F401
from tests.testenv import port  # noqa: E402
from tests.watchdog import Watchdog, limit_of  # noqa: E402

_watchdog = Watchdog()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _watchdog.arm(item.nodeid, limit_of(item),
                  item.config.pluginmanager.getplugin("capturemanager"))
    yield
    _watchdog.cancel()

# the stack's ports, from the variables scripts/stack.sh reads (a private stack elsewhere)
ENGINES = {"RabbitMQ": port("PROCEDURA_AMQP_PORT", 5672),
           "PostgreSQL": port("PROCEDURA_PG_PORT", 5432),
           "MinIO": port("PROCEDURA_MINIO_PORT", 9000),
           "Elasticsearch": port("PROCEDURA_ES_PORT", 9200),
           "Tika": port("PROCEDURA_TIKA_PORT", 9998),
           "OpenLDAP": port("PROCEDURA_LDAP_PORT", 3389)}


@pytest.fixture(scope="session")
def stack():
    """The real local stack (scripts/stack.sh up). A missing server fails the test:
    integration tests never skip."""
    down = []
    for name, port in ENGINES.items():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        except OSError:
            down.append(f"{name} (127.0.0.1:{port})")
    if down:
        pytest.fail(f"the local stack is not running: {', '.join(down)}; "
                    "start it with `make stack-up`", pytrace=False)
    return True


@pytest.fixture(scope="session")
def run_id():
    """Names every test resource of this run (vhost, database, buckets, index)."""
    return f"t{os.getpid()}"
