"""Procedura's engines clustered on 127.0.0.1 (scripts/cluster.sh, issue 19): where they
listen, which are up, and an isolated environment on them for the cluster fault run
(tests/cluster) and the benchmarks (bench/cluster_ingest.py).

Where that Procedura keeps its state: each engine clustered when its cluster
is up (scripts/cluster.sh), else the dev stack's single node. A vhost, a database, buckets
and an index of the run's own either way, removed at the end.

    RabbitMQ      the 3-node cluster (5772-5774, quorum queues, a vhost of the run with the
                  cluster's policies) or the dev stack's broker
    PostgreSQL    the pg_auto_failover formation (its multi-host URL, a database of the
                  run) or the dev stack's server
    Elasticsearch the 3-node cluster (9241-9243: every node in PROCEDURA_ELASTICSEARCH_URL,
                  the run's index with 3 shards and 1 replica, as the prod overlay) or the
                  dev stack's node
    MinIO         the distributed deployment through its balancer (127.0.0.1:9160, the
                  servers that are ready: scripts/cluster/minio.sh) or the dev stack's
    Tika          the dev stack's
"""
from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg2
import requests

from devenv.environment import HOST, ROOT, TestEnvironment, admin_database_url, stack_secrets
from services.common import broker_users
from services.common.broker_users import password_key

# where scripts/cluster/*.sh put the nodes (the same PROCEDURA_CLUSTER_* variables move them)
NODES = (1, 2, 3)
AMQP_BASE = int(os.environ.get("PROCEDURA_CLUSTER_AMQP_BASE", "5771"))           # node N: BASE+N
MGMT_BASE = int(os.environ.get("PROCEDURA_CLUSTER_RABBITMQ_MGMT_BASE", "15771"))
ES_HTTP_BASE = int(os.environ.get("PROCEDURA_CLUSTER_ES_HTTP_BASE", "9240"))
# the balancer in front of MinIO's four servers (scripts/cluster/minio.sh): the services'
# one endpoint
MINIO_LB_PORT = int(os.environ.get("PROCEDURA_CLUSTER_MINIO_LB_PORT", "9160"))
MINIO_SERVERS = (1, 2, 3, 4)
CLUSTER_SH = ROOT / "scripts" / "cluster.sh"
POSTGRES_SH = CLUSTER_SH.parent / "cluster" / "postgres.sh"
STACK = Path(os.environ.get("PROCEDURA_STACK_DIR", ROOT / ".stack"))
# as scripts/cluster/rabbitmq.sh sets them on its `procedura` vhost
DELIVERY_LIMIT = int(os.environ.get("PROCEDURA_CLUSTER_DELIVERY_LIMIT", "720"))
# the run's index on the Elasticsearch cluster: deploy/k8s/overlays/prod's shards and
# replicas (tests/cluster/test_elasticsearch_cluster.py checks the cluster honours them)
SEARCH_SHARDS, SEARCH_REPLICAS = 3, 1
POLICIES = {
    "procedura-events": {"pattern": "^evt-", "apply-to": "queues", "priority": 1,
                         "definition": {"delivery-limit": DELIVERY_LIMIT,
                                        "dead-letter-exchange": "procedura.dead-letters",
                                        "dead-letter-strategy": "at-least-once",
                                        "overflow": "reject-publish"}},
    "procedura-rpc": {"pattern": "^rpc-", "apply-to": "queues", "priority": 1,
                      "definition": {"delivery-limit": DELIVERY_LIMIT}}}


def scripts_env() -> dict[str, str]:
    """The cluster scripts' environment: the stack's folder resolved, as the formation
    was created (pg_autoctl keys its configuration by the data folder's path, and a git
    worktree reaches .stack through a symbolic link)."""
    return {**os.environ, "PROCEDURA_STACK_DIR": str(STACK.resolve())}


def _quiet(command: list[str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          env=scripts_env())


def rabbitmq_cluster_up() -> bool:
    return _quiet([str(CLUSTER_SH), "status", "rabbitmq"], 120).returncode == 0


def elasticsearch_cluster_up() -> bool:
    return _quiet([str(CLUSTER_SH), "status", "elasticsearch"], 120).returncode == 0


def minio_cluster_up() -> bool:
    """Every server up with quorum, every drive online, and the balancer running."""
    return _quiet([str(CLUSTER_SH), "status", "minio"], 120).returncode == 0


def postgres_cluster_uri() -> str | None:
    """The formation's multi-host URL when it has a primary and a standby, else None."""
    if _quiet([str(CLUSTER_SH), "status", "postgres"], 120).returncode != 0:
        return None
    done = _quiet(["bash", str(POSTGRES_SH), "uri"], 120)
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


@dataclass
class Engines:
    rabbitmq_cluster: bool
    postgres_url: str | None       # the formation's URL (database procedura) or None
    elasticsearch_cluster: bool = False
    minio_cluster: bool = False

    @classmethod
    def found(cls) -> "Engines":
        return cls(rabbitmq_cluster_up(), postgres_cluster_uri(), elasticsearch_cluster_up(),
                   minio_cluster_up())

    @property
    def all_clustered(self) -> bool:
        return bool(self.rabbitmq_cluster and self.postgres_url and self.elasticsearch_cluster
                    and self.minio_cluster)

    def processes(self) -> dict[str, int]:
        """The running clusters' processes by name, each the root of its tree (the scripts'
        pidfiles: a node's launcher, pg_autoctl above its postgres), for a benchmark's CPU
        figures: rabbitmq-N, postgres-monitor|a|b, elasticsearch-N, minio-N and
        haproxy-minio (MinIO's balancer)."""
        files = {}
        if self.rabbitmq_cluster:
            files |= {f"rabbitmq-{n}": STACK / "cluster" / "pids" / f"rabbitmq-{n}.pid"
                      for n in NODES}
        if self.postgres_url:
            files |= {f"postgres-{node}": STACK / "cluster" / f"postgres-{node}" /
                      "pg_autoctl.run.pid" for node in ("monitor", "a", "b")}
        if self.elasticsearch_cluster:
            files |= {f"elasticsearch-{n}": STACK / "cluster" / "pids" /
                      f"elasticsearch-{n}.pid" for n in NODES}
        if self.minio_cluster:
            files |= {f"minio-{n}": STACK / "cluster" / "pids" / f"minio-{n}.pid"
                      for n in MINIO_SERVERS}
            files["haproxy-minio"] = STACK / "cluster" / "pids" / "minio-balancer.pid"
        return {name: int(path.read_text().split()[0]) for name, path in files.items()}

    def describe(self) -> str:
        return (f"RabbitMQ: {'3-node cluster, quorum queues' if self.rabbitmq_cluster else 'dev stack (one node)'}; "
                f"PostgreSQL: {'pg_auto_failover primary + standby' if self.postgres_url else 'dev stack (one server)'}; "
                f"Elasticsearch: {f'3-node cluster, index of {SEARCH_SHARDS} shards x {SEARCH_REPLICAS} replica' if self.elasticsearch_cluster else 'dev stack (one node)'}; "
                f"MinIO: {'4 servers x 2 drives (EC:4) behind their balancer' if self.minio_cluster else 'dev stack (one server)'}; "
                "Tika: dev stack")


class FaultRunEnvironment(TestEnvironment):
    """TestEnvironment on the clusters that are up: a service's AMQP URI names every node
    (kombu moves to the next when one dies), the database URL every PostgreSQL node
    (libpq finds the primary: target_session_attrs=read-write)."""

    def __init__(self, run_id: str, engines: Engines, **options):
        super().__init__(run_id, **options)     # upload_limit
        self.engines = engines
        self.secrets = stack_secrets()
        self.env.update({"PROCEDURA_QUEUE_TYPE": "classic",
                         "PROCEDURA_RABBITMQ_MGMT_PORT": str(urlsplit(self.management).port)})
        if engines.rabbitmq_cluster:
            self.management = f"http://{HOST}:{MGMT_BASE + NODES[0]}/api"
            self.env.update({"PROCEDURA_QUEUE_TYPE": "quorum",
                             "PROCEDURA_AMQP_PORT": str(AMQP_BASE + NODES[0]),
                             "PROCEDURA_RABBITMQ_MGMT_PORT": str(MGMT_BASE + NODES[0])})
        if engines.postgres_url:
            self.env["PROCEDURA_DATABASE_URL"] = with_database(engines.postgres_url,
                                                               self.database)
        if engines.elasticsearch_cluster:
            self.elasticsearch_url = ",".join(f"http://{HOST}:{ES_HTTP_BASE + n}" for n in NODES)
            self.env.update({"PROCEDURA_ELASTICSEARCH_URL": self.elasticsearch_url,
                             "PROCEDURA_SEARCH_SHARDS": str(SEARCH_SHARDS),
                             "PROCEDURA_SEARCH_REPLICAS": str(SEARCH_REPLICAS)})
        if engines.minio_cluster:
            self.minio_endpoint = f"{HOST}:{MINIO_LB_PORT}"
            self.env["PROCEDURA_MINIO_ENDPOINT"] = self.minio_endpoint

    @property
    def amqp_ports(self) -> list[int]:
        """The broker's AMQP ports, the first one first (a process's URI lists them all)."""
        if self.engines.rabbitmq_cluster:
            return [AMQP_BASE + n for n in NODES]
        return [int(self.env["PROCEDURA_AMQP_PORT"])]

    def amqp_cluster_uri(self, identity: str) -> str:
        password = quote(self.secrets[password_key(identity)], safe="")
        vhost = quote(self.vhost, safe="")
        return ";".join(f"pyamqp://{identity}:{password}@{HOST}:{AMQP_BASE + n}/{vhost}"
                        for n in NODES)

    def environ(self, identity: str = broker_users.ADMIN) -> dict[str, str]:
        env = super().environ(identity)
        if self.engines.rabbitmq_cluster:
            env["PROCEDURA_AMQP_URI"] = self.amqp_cluster_uri(identity)
            if identity == broker_users.ADMIN:
                # the procedura command reads the management API off its URI
                # (procedura_cli/broker.py): one node for the operator, asked when the
                # cluster is whole again (wait-ready, doctor, audit)
                env["PROCEDURA_AMQP_URI"] = env["PROCEDURA_AMQP_URI"].split(";")[0]
                env["PROCEDURA_RABBITMQ_MGMT_PORT"] = str(MGMT_BASE + NODES[0])
        return env

    def _admin_auth(self) -> tuple[str, str]:
        return broker_users.ADMIN, self.secrets["PROCEDURA_AMQP_ADMIN_PASSWORD"]

    def create(self) -> None:
        self.destroy()
        vhost = quote(self.vhost, safe="")
        requests.put(f"{self.management}/vhosts/{vhost}", auth=self._admin_auth(),
                     timeout=30).raise_for_status()
        broker_users.apply(self.management, self._admin_auth(), self.vhost)
        if self.engines.rabbitmq_cluster:
            for name, policy in POLICIES.items():
                requests.put(f"{self.management}/policies/{vhost}/{name}",
                             data=json.dumps(policy), auth=self._admin_auth(),
                             headers={"content-type": "application/json"},
                             timeout=30).raise_for_status()
        with _Admin(self._admin_url()) as cur:
            cur.execute(f'CREATE DATABASE "{self.database}"')

    def destroy(self) -> None:
        requests.delete(f"{self.management}/vhosts/{quote(self.vhost, safe='')}",
                        auth=self._admin_auth(), timeout=30)
        with _Admin(self._admin_url()) as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        # on the engines the run used (a cluster's, or the dev stack's)
        self.destroy_index()
        self.destroy_buckets()

    def _admin_url(self) -> str:
        if self.engines.postgres_url:
            return with_database(self.engines.postgres_url, "procedura")
        return admin_database_url()


class _Admin:
    def __init__(self, url: str):
        self.url = url

    def __enter__(self):
        self.conn = psycopg2.connect(self.url)
        self.conn.autocommit = True
        return self.conn.cursor()

    def __exit__(self, *exc):
        self.conn.close()
