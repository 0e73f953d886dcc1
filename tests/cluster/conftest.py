"""The 3-node RabbitMQ cluster of scripts/cluster/rabbitmq.sh, for tests marked `cluster`.

These tests kill cluster nodes: they run only when asked (`-m cluster`), never in
`make test` (`pytest tests -m "not faults"`): without a marker expression naming
`cluster`, they are deselected here."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from minio import Minio
from minio.credentials import StaticProvider
from minio.minioadmin import MinioAdmin

from devenv.cluster import (AMQP_BASE, CLUSTER_SH, ES_HTTP_BASE, MGMT_BASE, MINIO_LB_PORT,
                            NODES, STACK)
from devenv.cluster_processes import SERVICES_SH
from services.common.settings import MinioSettings
from tests.testenv import HOST, ROOT, stack_secrets

VHOST = "procedura"


def pytest_collection_modifyitems(config, items):
    if "cluster" in (config.option.markexpr or ""):
        return
    here = Path(__file__).parent
    deselected = [item for item in items if here in Path(str(item.fspath)).parents]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item not in deselected]


@dataclass
class RabbitCluster:
    admin_password: str

    def amqp_uri(self, first: int = 1, user: str = "procedura-admin",
                 password: str | None = None) -> str:
        """Every node, `first` first: kombu fails over to the next when one is away."""
        password = password or self.admin_password
        order = [first, *(n for n in NODES if n != first)]
        return ";".join(f"amqp://{user}:{password}@{HOST}:{AMQP_BASE + n}/{VHOST}"
                        for n in order)

    def api(self, path: str, node: int | None = None, method: str = "GET"):
        """The management API of `node` (the first that answers when None)."""
        last = None
        for n in ([node] if node else NODES):
            request = urllib.request.Request(
                f"http://{HOST}:{MGMT_BASE + n}/api{path}", method=method, headers={
                    "authorization": "Basic " + base64.b64encode(
                        f"procedura-admin:{self.admin_password}".encode()).decode()})
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    body = response.read()
                    return json.loads(body) if body else None
            except (urllib.error.URLError, OSError) as exc:
                last = exc
        raise last

    def queue(self, name: str) -> dict:
        return self.api(f"/queues/{quote(VHOST, safe='')}/{quote(name, safe='')}")

    def delete_queue(self, name: str) -> None:
        try:
            self.api(f"/queues/{quote(VHOST, safe='')}/{quote(name, safe='')}",
                     method="DELETE")
        except urllib.error.HTTPError as exc:
            if exc.code != 404:
                raise

    def beam_pid(self, node: int) -> int:
        """The Erlang VM of `node` (what kill -9 hits)."""
        return int((STACK / "cluster" / f"rabbitmq-{node}" / "rabbitmq.pid").read_text())

    def up(self) -> None:
        """Start whatever node is not running and wait until all three are members."""
        subprocess.run([str(CLUSTER_SH), "up", "rabbitmq"], check=True, timeout=600)

    def stop_node(self, node: int) -> None:
        """Stop `node` cleanly (rabbitmqctl stop) and wait for its VM to exit, its data
        kept: `up` brings it back."""
        subprocess.run(["bash", "-c", f'. "{CLUSTER_SH.parent}/cluster/rabbitmq.sh" && '
                        f"rmqc_stop_node {node}"], check=True, timeout=120)

    def status(self) -> subprocess.CompletedProcess:
        return subprocess.run([str(CLUSTER_SH), "status", "rabbitmq"], capture_output=True,
                              text=True, timeout=120)


@pytest.fixture(scope="session")
def rabbit_cluster() -> RabbitCluster:
    """The cluster, started if it is not (scripts/cluster.sh up rabbitmq, idempotent)."""
    cluster = RabbitCluster(stack_secrets()["PROCEDURA_AMQP_ADMIN_PASSWORD"])
    cluster.up()
    return cluster


@dataclass
class ElasticCluster:
    """The 3-node Elasticsearch of scripts/cluster/elasticsearch.sh (procedura-es-1..3)."""

    @property
    def url(self) -> str:
        """Every node, comma separated: PROCEDURA_ELASTICSEARCH_URL for the cluster."""
        return ",".join(self.node_url(n) for n in NODES)

    def node_url(self, node: int) -> str:
        return f"http://{HOST}:{ES_HTTP_BASE + node}"

    def server_pid(self, node: int) -> int:
        """The server JVM of `node` (what kill -9 hits; its launcher exits with it)."""
        return int((STACK / "cluster" / f"elasticsearch-{node}" / "run" / "server.pid")
                   .read_text())

    def up(self) -> None:
        """Start whatever node is not running and wait until the three form the cluster."""
        subprocess.run([str(CLUSTER_SH), "up", "elasticsearch"], check=True, timeout=900)

    def status(self) -> subprocess.CompletedProcess:
        return subprocess.run([str(CLUSTER_SH), "status", "elasticsearch"],
                              capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="session")
def es_cluster() -> ElasticCluster:
    """The cluster, started if it is not (scripts/cluster.sh up elasticsearch, idempotent)."""
    cluster = ElasticCluster()
    cluster.up()
    return cluster


MINIO_DRIVES = ("d1", "d2")
MINIO_API_BASE = int(os.environ.get("PROCEDURA_CLUSTER_MINIO_API_BASE", "9160"))


@dataclass
class MinioCluster:
    """The distributed MinIO of scripts/cluster/minio.sh: 4 servers x 2 drives."""
    access_key: str
    secret_key: str

    def endpoint(self, server: int) -> str:
        return f"{HOST}:{MINIO_API_BASE + server}"

    def settings(self, bucket: str, server: int = 1) -> MinioSettings:
        """Procedura's storage settings (config/procedura.yaml's minio) for `server`."""
        return MinioSettings(endpoint=self.endpoint(server), access_key=self.access_key,
                             secret_key=self.secret_key, bucket=bucket)

    @property
    def balancer(self) -> str:
        """The one endpoint of the deployment (HAProxy, servers that are ready)."""
        return f"{HOST}:{MINIO_LB_PORT}"

    def balanced_settings(self, bucket: str) -> MinioSettings:
        """Procedura's storage settings through the balancer, as the services have them."""
        return MinioSettings(endpoint=self.balancer, access_key=self.access_key,
                             secret_key=self.secret_key, bucket=bucket)

    def client(self, server: int = 1) -> Minio:
        return Minio(self.endpoint(server), access_key=self.access_key,
                     secret_key=self.secret_key, secure=False)

    def info(self, server: int = 1) -> dict:
        """What the deployment says of itself (servers, drives, erasure coding)."""
        admin = MinioAdmin(endpoint=self.endpoint(server), secure=False,
                           credentials=StaticProvider(self.access_key, self.secret_key))
        return json.loads(admin.info())

    def drive(self, server: int, drive: str) -> Path:
        return (STACK / "cluster").resolve() / f"minio-{server}" / drive

    def pid(self, server: int) -> int:
        """The `minio server` process (what kill -9 hits)."""
        return int((STACK / "cluster" / "pids" / f"minio-{server}.pid").read_text())

    def up(self) -> None:
        """Start whatever server is not running; wait until all four answer with quorum."""
        subprocess.run([str(CLUSTER_SH), "up", "minio"], check=True, timeout=600)

    def stop_server(self, server: int) -> None:
        """Stop `server` (SIGTERM) and wait for it to exit, its drives kept."""
        subprocess.run(["bash", "-c", f'. "{CLUSTER_SH.parent}/cluster/minio.sh" && '
                        f"mnc_stop_node {server}"], check=True, timeout=120)

    def status(self) -> subprocess.CompletedProcess:
        return subprocess.run([str(CLUSTER_SH), "status", "minio"], capture_output=True,
                              text=True, timeout=120)


@pytest.fixture(scope="session")
def minio_cluster() -> MinioCluster:
    """The deployment, started if it is not (scripts/cluster.sh up minio, idempotent)."""
    secrets = stack_secrets()
    cluster = MinioCluster(secrets["PROCEDURA_MINIO_ACCESS_KEY"],
                           secrets["PROCEDURA_MINIO_SECRET_KEY"])
    cluster.up()
    return cluster


SERVICES_DIR = STACK / "cluster" / "services"


class ProcessCluster:
    """Two processes of every service and two gateways behind HAProxy
    (scripts/cluster/services.sh), on the engines its `up` chose (its `environment`)."""

    def __init__(self):
        lines = (SERVICES_DIR / "environment").read_text().splitlines()
        self.engines = [line[2:] for line in lines if line.startswith("# ") and ":" in line
                        and not line.startswith("# written")]
        self.env = dict(line.split("=", 1) for line in lines
                        if line and not line.startswith("#"))
        self.url = self.env["PROCEDURA_CLUSTER_GATEWAY"]
        self.stats = f"http://{HOST}:{os.environ.get('PROCEDURA_CLUSTER_HAPROXY_STATS_PORT', '8390')}/;csv"

    def _bash(self, call: str, timeout: float = 120) -> str:
        return subprocess.run(
            ["bash", "-c", f'. "{CLUSTER_SH.parent}/cluster/rabbitmq.sh" && '
             f'. "{CLUSTER_SH.parent}/cluster/postgres.sh" && . "{SERVICES_SH}" && {call}'],
            check=True, timeout=timeout, capture_output=True, text=True).stdout

    def pid(self, name: str, n: int) -> int | None:
        """The pid of process `n` of `name` while it runs."""
        try:
            return int(self._bash(f"services_process_pid {name} {n}"))
        except subprocess.CalledProcessError:
            return None

    def start(self, name: str, n: int) -> None:
        """Start process `n` of `name` again (after a kill -9)."""
        self._bash(f"services_process_start {name} {n}")

    def servers(self) -> dict[str, str]:
        """HAProxy's view of the gateways: {"gateway-1": "UP", ...}."""
        with urllib.request.urlopen(self.stats, timeout=5) as response:
            rows = response.read().decode().splitlines()
        header = rows[0].lstrip("# ").split(",")
        return {row["svname"]: row["status"] for row in
                (dict(zip(header, line.split(","))) for line in rows[1:])
                if row.get("pxname") == "gateways" and row["svname"].startswith("gateway-")}

    def haproxy_log(self) -> str:
        return (SERVICES_DIR / "haproxy-1" / "haproxy.log").read_text(errors="replace")

    def config(self) -> dict:
        """The nameko config of procedura-admin on the chosen engines (RPC, events)."""
        from procedura_cli.localenv import local_environment
        from services.common.settings import load_config

        environ = local_environment("procedura-admin", {**os.environ, **self.env})
        saved = dict(os.environ)
        os.environ.update(environ)
        try:
            return load_config(ROOT / "config" / "procedura.yaml")
        finally:
            os.environ.clear()
            os.environ.update(saved)


@pytest.fixture(scope="session")
def process_cluster() -> ProcessCluster:
    """scripts/cluster.sh up services (idempotent); stopped afterwards if it was not
    running before, so a test run leaves behind only what it found."""
    running = subprocess.run([str(CLUSTER_SH), "status", "services"], capture_output=True,
                             timeout=120).returncode == 0
    subprocess.run([str(CLUSTER_SH), "up", "services"], check=True, timeout=900)
    yield ProcessCluster()
    if not running:
        subprocess.run([str(CLUSTER_SH), "down", "services"], check=True, timeout=300)
