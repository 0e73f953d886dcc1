"""An environment of a test module's own beside the session's (other settings, private
servers): created, every service started as its own process, the demo organisation
loaded; stopped and destroyed afterwards."""
from __future__ import annotations

from contextlib import contextmanager

from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy
from tests.e2e.conftest import Services


def load_organisation(environment, org: dict) -> None:
    with ClusterRpcProxy(environment.config(), timeout=60) as rpc:
        rpc.documents.load_organisation(org)


@contextmanager
def services_running(environment, org: dict):
    """Yields the environment's Services."""
    environment.create()
    services = Services(environment)
    try:
        services.up()
        load_organisation(environment, org)
        yield services
    finally:
        services.down()
        environment.destroy()
