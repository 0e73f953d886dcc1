"""The faults of the fault run, each described by its part: how to kill it with -9, how
to bring it back, how to know it is whole again. A kind whose parts are not up (a single
node has nothing to fail over to) is listed as not run, with why, never passed silently.

    RabbitMQ node          the node of scripts/cluster/rabbitmq.sh that the gateway serving
                           the live stream is connected to (process n starts at node n:
                           rabbit-1 or rabbit-2; rabbit-1, the first of the tests' and the
                           subscriber's URIs, when no stream has begun), so that the
                           gateway's own queue for the live feed goes with it; back with
                           `scripts/cluster.sh up rabbitmq`; whole: its status
    Elasticsearch node     a node of scripts/cluster/elasticsearch.sh holding a primary of
                           the run's index (its server JVM); back with `up elasticsearch`;
                           whole: the run's index green on three nodes
    MinIO server + drive   a server of scripts/cluster/minio.sh, and one of its two drives
                           emptied while it is away (a new disk in its place); back with
                           `up minio`; whole: every drive online, none healing, and every
                           object of the run's bucket on the emptied drive again
    PostgreSQL primary     the primary of scripts/cluster/postgres.sh's formation: the
                           monitor promotes the standby; the old primary rejoins as standby
    <service> process      one of the two processes of each service (scripts/cluster/
                           services.sh, devenv/cluster_processes.py), started again after
                           its pause; whole: a fresh health beacon
    gateway                one of the two gateways behind HAProxy; whole: its /healthz
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from elasticsearch import Elasticsearch

from devenv.cluster import (CLUSTER_SH, POSTGRES_SH, STACK, Engines, FaultRunEnvironment,
                            scripts_env)
from devenv.cluster_processes import SERVICES, Processes, alive
from tests.cluster.conftest import ElasticCluster, MinioCluster
from tests.testenv import stack_secrets

RECOVERY_LIMIT = 300.0    # seconds a part may take to be whole again


@dataclass
class Part:
    kind: str                        # the fault's kind: "RabbitMQ node"
    name: str                        # which one: "rabbit-1"
    kill: Callable[[], None]         # -9 to all of it (a drive wiped too, for MinIO)
    heal: Callable[[], None]         # start it again; returns once started
    healthy: Callable[[], bool]      # the whole formation is as before the fault


@dataclass
class Fault:
    kind: str
    make: Callable[[], Part] | None  # the part, found when its turn comes (which node
                                     # is the primary then)
    not_run: str = ""                # why not, when make is None
    part: Part | None = None
    killed_at: float = 0.0           # time.monotonic()
    healed_at: float = 0.0           # when it was started again
    healthy_at: float = 0.0          # when it was whole again
    notes: list[str] = field(default_factory=list)

    @property
    def recovery(self) -> float:
        return self.healthy_at - self.killed_at


def _script(*words: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(list(words), capture_output=True, text=True, timeout=timeout,
                          env=scripts_env())


def _postgres(function: str, *args: str) -> subprocess.CompletedProcess:
    return _script("bash", "-c", f'source "{POSTGRES_SH}" && "$@"', "_", function, *args,
                   timeout=600)


def _status_ok(engine: str) -> Callable[[], bool]:
    return lambda: _script(str(CLUSTER_SH), "status", engine, timeout=120).returncode == 0


def rabbitmq_node(node: int = 1) -> Part:
    pidfile = STACK.resolve() / "cluster" / f"rabbitmq-{node}" / "rabbitmq.pid"

    def kill():
        os.kill(int(pidfile.read_text()), signal.SIGKILL)

    def heal():
        done = _script(str(CLUSTER_SH), "up", "rabbitmq")
        assert done.returncode == 0, done.stdout + done.stderr

    return Part("RabbitMQ node", f"rabbit-{node}", kill, heal, _status_ok("rabbitmq"))


def _pg_states() -> dict[str, str]:
    shown = _postgres("_pgaf_ctl", "monitor", "show", "state", "--json", "--pgdata",
                      str(STACK.resolve() / "cluster" / "postgres-monitor" / "data"))
    try:
        return {n["nodename"][len("node_"):]: n["current_group_state"]
                for n in json.loads(shown.stdout)}
    except ValueError:
        return {}


def postgres_primary() -> Part:
    primary = next(n for n, s in _pg_states().items() if s == "primary")

    def kill():
        done = _postgres("postgres_node_kill", primary)
        assert done.returncode == 0, done.stdout + done.stderr

    def heal():
        # the monitor promotes the standby on its own; the old primary comes back as
        # standby when its node is started again (pg_rewind)
        done = _postgres("postgres_node_start", primary)
        assert done.returncode == 0, done.stdout + done.stderr

    def healthy():
        states = _pg_states()
        return states.get(primary) == "secondary" and "primary" in states.values()

    return Part("PostgreSQL primary (failover)", f"node_{primary}", kill, heal, healthy)


def _beacon_fresh(folder: Path, since: float) -> bool:
    """A health beacon written by the process started at `since`, saying ok."""
    for path in folder.glob("*.json"):
        try:
            beacon = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if beacon.get("ok") and beacon.get("at", 0) >= since:
            return True
    return False


def _killed(pid: int) -> None:
    """kill -9, and wait until the process is gone (its ports and files released)."""
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)


def service_process(processes: Processes, name: str, n: int = 1) -> Part:
    started = {"at": 0.0}

    def kill():
        pid = processes.pid(name, n)
        assert pid, f"{name}-{n} is not running"
        _killed(pid)

    def heal():
        started["at"] = time.time()
        processes.start(name, n)

    def healthy():
        pid = processes.pid(name, n)
        if not pid or not alive(pid):
            return False
        if name == "gateway":
            return processes.gateway_healthy(f"http://127.0.0.1:{processes.gateway_ports[n]}")
        return _beacon_fresh(processes.folder(name, n), started["at"])

    kind = "gateway" if name == "gateway" else f"{name} process"
    return Part(kind, f"{name}-{n}", kill, heal, healthy)


def _node_number(name: str) -> int:
    return int(name.rsplit("-", 1)[1])     # procedura-es-2 -> 2


def elasticsearch_node(environment: FaultRunEnvironment) -> Part:
    """The node holding a primary of the run's index (the lowest-numbered such node that
    is not the elected master, so the fault is a shard's failover, not an election too;
    the master if it holds them all)."""
    cluster = ElasticCluster()
    es = Elasticsearch(cluster.url.split(","), request_timeout=30)
    alias = environment.index
    primaries = sorted({_node_number(row["node"]) for row in es.cat.shards(
        index=alias, format="json", h="prirep,state,node")
        if row["prirep"] == "p" and row["state"] == "STARTED"})
    assert primaries, f"no started primary of {alias}"
    master = _node_number(es.cat.master(format="json")[0]["node"])
    node = next((n for n in primaries if n != master), primaries[0])

    def kill():
        _killed(cluster.server_pid(node))
        # its launcher (the pid scripts/cluster/elasticsearch.sh keeps) exits with it;
        # `up` starts the node again only once it has
        launcher = int((STACK / "cluster" / "pids" / f"elasticsearch-{node}.pid").read_text())
        deadline = time.monotonic() + 20
        while alive(launcher) and time.monotonic() < deadline:
            time.sleep(0.2)
        if alive(launcher):
            _killed(launcher)

    def heal():
        done = _script(str(CLUSTER_SH), "up", "elasticsearch", timeout=900)
        assert done.returncode == 0, done.stdout + done.stderr

    def healthy():
        health = es.cluster.health(index=alias, timeout="1s")
        return health["status"] == "green" and health["number_of_nodes"] == 3

    role = " (the master)" if node == master else ""
    return Part("Elasticsearch node", f"procedura-es-{node}{role}", kill, heal, healthy)


MINIO_KILLED, MINIO_WIPED = 3, "d1"


def minio_server(environment: FaultRunEnvironment, server: int = MINIO_KILLED,
                 drive: str = MINIO_WIPED) -> Part:
    secrets = stack_secrets()
    cluster = MinioCluster(secrets["PROCEDURA_MINIO_ACCESS_KEY"],
                           secrets["PROCEDURA_MINIO_SECRET_KEY"])
    wiped = cluster.drive(server, drive)
    bucket = environment.bucket
    before: set[str] = set()     # the objects the emptied drive held

    def kill():
        before.update(o.object_name for o in cluster.client(1).list_objects(
            bucket, recursive=True, include_version=True))
        _killed(cluster.pid(server))
        # emptied as a new disk mounted in its place: MinIO formats it and heals onto it
        for entry in wiped.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()

    def heal():
        done = _script(str(CLUSTER_SH), "up", "minio")
        assert done.returncode == 0, done.stdout + done.stderr

    def healthy():
        # every drive online and none healing (scripts/cluster.sh status minio), and, as
        # tests/cluster/test_minio_cluster.py checks a heal, every object the emptied
        # drive held has its metadata (and shard) on it again
        if cluster.status().returncode != 0:
            return False
        still = before & {o.object_name for o in cluster.client(1).list_objects(
            bucket, recursive=True, include_version=True)}   # not removed meanwhile
        return all((wiped / bucket / name / "xl.meta").is_file() for name in still)

    return Part("MinIO server + drive wiped", f"minio-{server} (+ its {drive} emptied)",
                kill, heal, healthy)


def node_of(gateway: str) -> int:
    """The RabbitMQ node a gateway's process connects to first (scripts/cluster/
    services.sh: process n of each service starts at node n); 1 for none."""
    number = gateway.rsplit("-", 1)[-1]
    return int(number) if gateway.startswith("gateway-") and number.isdigit() else 1


def faults(engines: Engines, environment: FaultRunEnvironment,
           processes: Processes, stream_gateway: Callable[[], str] = lambda: "") -> list[Fault]:
    """Every kind of the issue, in the order run; those whose parts are not up, not run.
    `stream_gateway()`: the gateway serving the load's live stream when the RabbitMQ node
    is killed (its node is the one killed)."""
    out = [Fault("RabbitMQ node", lambda: rabbitmq_node(node_of(stream_gateway())))
           if engines.rabbitmq_cluster else
           Fault("RabbitMQ node", None, "one node (the dev stack's broker): no cluster to "
                                        "fail over to; scripts/cluster.sh up rabbitmq"),
           Fault("Elasticsearch node", lambda: elasticsearch_node(environment))
           if engines.elasticsearch_cluster else
           Fault("Elasticsearch node", None, "one node (the dev stack's): no replica to fail "
                                             "over to; scripts/cluster.sh up elasticsearch"),
           Fault("MinIO server + drive wiped", lambda: minio_server(environment))
           if engines.minio_cluster else
           Fault("MinIO server + drive wiped", None,
                 "one server (the dev stack's): no erasure set to heal from; "
                 "scripts/cluster.sh up minio"),
           Fault("PostgreSQL primary (failover)", postgres_primary) if engines.postgres_url else
           Fault("PostgreSQL primary (failover)", None,
                 "one server (the dev stack's): no standby; scripts/cluster.sh up postgres")]
    for name in SERVICES:
        kind = "gateway" if name == "gateway" else f"{name} process"
        if processes.copies > 1:
            out.append(Fault(kind, lambda name=name: service_process(processes, name)))
        else:
            out.append(Fault(kind, None, "one process only: no other to carry the load"))
    return out


def wait_until(check: Callable[[], bool], limit: float, pause: float = 1.0) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except Exception:   # a check asked while the part is away: not yet
            pass
        time.sleep(pause)
    return False


def inflict(fault: Fault, down_for: float) -> None:
    """Kill the part with -9, leave it down `down_for` seconds (the others carry the
    load), start it again, wait until it is whole again."""
    part = fault.part = fault.make()
    fault.killed_at = time.monotonic()
    part.kill()
    time.sleep(down_for)
    fault.healed_at = time.monotonic()
    part.heal()
    if not wait_until(part.healthy, RECOVERY_LIMIT):
        fault.notes.append(f"not whole again within {RECOVERY_LIMIT:.0f} s")
    fault.healthy_at = time.monotonic()
