"""A running Procedura for a benchmark: an isolated environment on the local stack
(own vhost, database, buckets, index), every service as a process, the demo
organisation loaded. Torn down on exit."""
from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devenv.environment import TestEnvironment  # noqa: E402
from devenv.running import Services  # noqa: E402
from procedura_cli.demo import organisation  # noqa: E402


def password_of(org: dict, username: str) -> str:
    return next(u["password"] for u in org["users"] if u["username"] == username)


@contextlib.contextmanager
def running_procedura(prefix: str, upload_limit: int | None = None,
                      env: dict[str, str] | None = None):
    """Yields (environment, organisation); `env` overrides settings of the services."""
    from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy

    environment = (TestEnvironment(f"{prefix}{os.getpid()}", upload_limit=upload_limit)
                   if upload_limit else TestEnvironment(f"{prefix}{os.getpid()}"))
    environment.env.update(env or {})
    environment.create()
    services = Services(environment)
    services.up()
    try:
        org = organisation()
        with ClusterRpcProxy(environment.config(), timeout=60) as rpc:
            rpc.documents.load_organisation(org)
        yield environment, org
    finally:
        services.down()
        environment.destroy()
