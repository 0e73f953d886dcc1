"""End-to-end tests: every service as its own process (`procedura-service`), through the gateway."""
from __future__ import annotations

import time

import pytest

from devenv.running import Services
from procedura_cli.client import Client
from procedura_cli.demo import organisation
from tests.testenv import TestEnvironment


@pytest.fixture(scope="session")
def environment(stack, run_id):
    env = TestEnvironment(run_id)
    # every upload of every test is rendered (LibreOffice, OCR), and tests that compare
    # searches wait for every rendition (`settled`): two at a time, as configured, at the
    # engines' lower CPU priority (renditions.niceness), so they take the cores the
    # services under test leave, not those they need
    env.env["PROCEDURA_RENDITION_SLOTS"] = "2"
    env.create()
    yield env
    env.destroy()


@pytest.fixture(scope="session")
def services(environment):
    services = Services(environment)
    try:
        services.up()
    except Exception:   # those that did start must not outlive the run
        services.down()
        raise
    yield services
    services.down()


@pytest.fixture(scope="session")
def org():
    return organisation()


@pytest.fixture(scope="session")
def gateway(services, environment, org):
    """The gateway URL, with the demo organisation loaded."""
    from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy

    with ClusterRpcProxy(environment.config(), timeout=60) as rpc:
        rpc.documents.load_organisation(org)
    return environment.gateway


@pytest.fixture(scope="session")
def login(gateway, org):
    passwords = {u["username"]: u["password"] for u in org["users"]}
    clients: dict[str, Client] = {}

    def login(username: str) -> Client:
        if username not in clients:
            clients[username] = Client.login(gateway, username, passwords[username])
        return clients[username]

    return login


@pytest.fixture(scope="session")
def settled(gateway, environment):
    """Wait until every version is rendered and the search index agrees with the source of
    truth (an OCR'd scan is indexed again with its new text after its rendition), so a
    test comparing searches sees no earlier test's upload change the results under it.
    Fails naming what is still missing, stale or orphaned."""
    from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy
    from services.search.adapters.index import VersionIndex
    from services.search.rebuild import RpcSource, verify

    def settle(timeout: float = 240):   # below pytest-timeout (300 s), to fail naming what is left
        index = VersionIndex(environment.elasticsearch_url, environment.index)
        deadline = time.monotonic() + timeout
        with ClusterRpcProxy(environment.config(), timeout=60) as rpc:
            source = RpcSource(rpc.documents, rpc.versioning)
            while True:
                pending = rpc.renditions.progress()["pending"]
                report = verify(index, source) if pending == 0 else None
                if report is not None and report.clean:
                    return
                if time.monotonic() > deadline:
                    raise AssertionError(f"not settled within {timeout:.0f} s: {pending} "
                                         f"renditions pending; index: {report}")
                time.sleep(1)

    return settle


def dispose_content(environment, *version_ids: str) -> None:
    """Dispose of versions' content through versioning alone, one step of the register's
    disposal. The register's disposal also tells search (`document_disposed`, followed by
    services/search/projections.py `follow_disposal`); this shortcut does not, so it brings each
    version's index entry in line itself, without its text as follow_disposal leaves it,
    and the searches and `search verify` of later tests see no drift."""
    from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy
    from services.search.adapters.index import VersionIndex
    from tests.testenv import eventually

    index = VersionIndex(environment.elasticsearch_url, environment.index)
    for version_id in version_ids:   # indexed once extracted: not before, or it comes back
        eventually(lambda: index.es.exists(index=index.alias, id=version_id), timeout=60)
    with ClusterRpcProxy(environment.config(), timeout=60) as rpc:
        rpc.versioning.dispose(list(version_ids))
    for version_id in version_ids:
        index.upsert(version_id, {"content": "", "has_text": False})
