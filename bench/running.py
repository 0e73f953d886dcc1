"""A running Procedura for a benchmark: an isolated environment (own vhost, database,
buckets, index) on the local stack, every service as a process, or on the clusters, two
processes of every service behind HAProxy; the demo organisation loaded. Torn down on
exit."""
from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devenv.cluster import Engines, FaultRunEnvironment  # noqa: E402
from devenv.cluster_processes import Processes  # noqa: E402
from devenv.environment import TestEnvironment  # noqa: E402
from devenv.running import Services  # noqa: E402
from procedura_cli.demo import organisation  # noqa: E402


def password_of(org: dict, username: str) -> str:
    return next(u["password"] for u in org["users"] if u["username"] == username)


def load_organisation(environment) -> dict:
    """The demo organisation (its people with their passwords), loaded into `environment`."""
    from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy

    org = organisation()
    with ClusterRpcProxy(environment.config(), timeout=60) as rpc:
        rpc.documents.load_organisation(org)
    return org


@contextlib.contextmanager
def running_procedura(prefix: str, upload_limit: int | None = None,
                      env: dict[str, str] | None = None):
    """Yields (environment, organisation); `env` overrides settings of the services."""
    environment = (TestEnvironment(f"{prefix}{os.getpid()}", upload_limit=upload_limit)
                   if upload_limit else TestEnvironment(f"{prefix}{os.getpid()}"))
    environment.env.update(env or {})
    environment.create()
    services = Services(environment)
    services.up()
    try:
        yield environment, load_organisation(environment)
    finally:
        services.down()
        environment.destroy()


@contextlib.contextmanager
def running_procedura_on_clusters(prefix: str, engines: Engines,
                                  upload_limit: int | None = None,
                                  env: dict[str, str] | None = None):
    """Yields (environment, organisation, processes) on `engines` (devenv/cluster.py):
    two processes of every service and two gateways behind HAProxy, as the cluster fault
    run starts them; `environment.gateway` is HAProxy."""
    environment = (FaultRunEnvironment(f"{prefix}{os.getpid()}", engines,
                                       upload_limit=upload_limit)
                   if upload_limit else FaultRunEnvironment(f"{prefix}{os.getpid()}", engines))
    environment.env.update(env or {})
    environment.create()
    processes = Processes(environment)
    try:
        processes.up()
        yield environment, load_organisation(environment), processes
    finally:
        processes.down()
        environment.destroy()
