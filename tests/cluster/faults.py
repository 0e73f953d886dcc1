"""The faults of the fault run, each described by its part: how to kill it with -9, how
to bring it back, how to know it is whole again. A kind whose parts are not up (a single
node has nothing to fail over to) is listed as not run, with why, never passed silently.

    RabbitMQ node          rabbit-1 of scripts/cluster/rabbitmq.sh (the first node of every
                           process's URI: most connections are there); back with `up`
    Elasticsearch node     scripts/cluster/elasticsearch.sh (not merged in this branch)
    MinIO server + drive   scripts/cluster/minio.sh (not merged in this branch)
    PostgreSQL primary     the primary of scripts/cluster/postgres.sh's formation: the
                           monitor promotes the standby; the old primary rejoins as standby
    <service> process      one of the two processes of each service (tests/cluster/
                           processes.py), started again after its pause
    gateway                one of the two gateways behind HAProxy
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from tests.cluster.conftest import CLUSTER_SH, STACK
from tests.cluster.engines import POSTGRES_SH, Engines, scripts_env
from tests.cluster.processes import SERVICES, Processes, _alive

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


def service_process(processes: Processes, name: str, n: int = 1) -> Part:
    started = {"at": 0.0}

    def kill():
        for pid in processes.pids(name, n):
            os.kill(pid, signal.SIGKILL)
        processes.children[(name, n)].wait(timeout=30)

    def heal():
        started["at"] = time.time()
        processes.start(name, n)

    def healthy():
        alive = all(_alive(pid) for pid in processes.pids(name, n)) and processes.pids(name, n)
        if name == "gateway":
            return bool(alive) and processes.gateway_healthy(
                f"http://127.0.0.1:{processes.gateway_ports[n]}")
        return bool(alive) and _beacon_fresh(processes.folder(name, n), started["at"])

    kind = "gateway" if name == "gateway" else f"{name} process"
    return Part(kind, f"{name}-{n}", kill, heal, healthy)


def faults(engines: Engines, processes: Processes) -> list[Fault]:
    """Every kind of the issue, in the order run; those whose parts are not up, not run."""
    out = [Fault("RabbitMQ node", rabbitmq_node) if engines.rabbitmq_cluster else
           Fault("RabbitMQ node", None, "one node (the dev stack's broker): no cluster to "
                                        "fail over to; scripts/cluster.sh up rabbitmq"),
           Fault("Elasticsearch node", None, "the services use the dev stack's single node: "
                                             "scripts/cluster/elasticsearch.sh is not merged"),
           Fault("MinIO server + drive wiped", None,
                 "the services use the dev stack's single server: scripts/cluster/minio.sh "
                 "is not merged"),
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
