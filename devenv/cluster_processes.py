"""Procedura's processes of a run on the clusters (the fault run of tests/cluster, the
benchmark bench/cluster_ingest.py): scripts/cluster/services.sh (two processes of
every service, each `procedura-service` with its own broker user, pidfile, log and health beacon,
and the two gateways behind HAProxy with its health checks) started with the run's own
environment (devenv/cluster.py: its vhost, database, bucket and index), in the
run's folder (<run dir>/services/<service>-<n>/) and on ports of its own, so it meets
neither the dev stack's services nor those of `scripts/cluster.sh up services`.

The faults need `pid(name, n)`, `start(name, n)`, `folder(name, n)` and the gateways'
addresses; the load needs `url` (HAProxy); a benchmark `stop(name, n)` (a worker it
leaves out)."""
from __future__ import annotations

import os
import re
import socket
import subprocess
from pathlib import Path

import requests

from devenv.cluster import FaultRunEnvironment, scripts_env
from devenv.environment import ROOT, free_port

SERVICES_SH = ROOT / "scripts" / "cluster" / "services.sh"
# scripts/processes.sh's list, in the order they start
SERVICES = dict(re.findall(r'"(\w+):([\w.]+:\w+)"', (ROOT / "scripts" / "processes.sh").read_text()))
COPIES = (1, 2)


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def gateway_base() -> int:
    """A base B whose B+1 and B+2 are free (services.sh puts gateway N on B+N)."""
    while True:
        base = free_port() - 1
        if all(_free(base + n) for n in COPIES):
            return base


class Processes:
    copies = len(COPIES)

    def __init__(self, environment: FaultRunEnvironment):
        self.environment = environment
        self.run_dir = Path(environment.env["PROCEDURA_RUN_DIR"])
        self.dir = self.run_dir / "services"
        base = gateway_base()
        self.gateway_ports = {n: base + n for n in COPIES}
        self.haproxy_port, self.stats_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.haproxy_port}"
        # what `procedura` asks as the operator (wait-ready, doctor): the first gateway
        environment.env["PROCEDURA_GATEWAY_ADDRESS"] = f"127.0.0.1:{self.gateway_ports[1]}"
        environment.env["PROCEDURA_BASE_URL"] = self.url
        environment.gateway = self.url      # where its users (a benchmark's clients) go
        self.settings = self.run_dir / "services.environment"

    def folder(self, name: str, n: int) -> Path:
        """Process n of `name`: its log, pidfile and health beacon."""
        return self.dir / f"{name}-{n}"

    def log(self, name: str, n: int) -> Path:
        return self.folder(name, n) / f"{name}.log"

    def _write_settings(self) -> None:
        """The run's settings as services.sh's `environment` file (no passwords of the
        broker: each process gets its own user's URI from the secrets)."""
        env = dict(self.environment.env)
        env.update({"PROCEDURA_CLUSTER_AMQP_PORTS": ",".join(map(str, self.environment.amqp_ports)),
                    "PROCEDURA_CLUSTER_GATEWAY": self.url,
                    "PROCEDURA_RENDITION_SLOTS": "1"})   # the machine's 2 cores are shared
        self.settings.parent.mkdir(parents=True, exist_ok=True)
        lines = [f"# written by devenv/cluster_processes.py for fault run {self.environment.run_id}",
                 f"# engines: {self.environment.engines.describe()}"]
        lines += [f"{key}={value}" for key, value in sorted(env.items())]
        self.settings.touch(mode=0o600)
        self.settings.write_text("\n".join(lines) + "\n")

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in scripts_env().items() if k != "PROCEDURA_AMQP_URI"}
        env.update({"PROCEDURA_CLUSTER_SERVICES_DIR": str(self.dir),
                    "PROCEDURA_CLUSTER_SERVICES_ENVIRONMENT": str(self.settings),
                    "PROCEDURA_CLUSTER_HAPROXY_PORT": str(self.haproxy_port),
                    "PROCEDURA_CLUSTER_HAPROXY_STATS_PORT": str(self.stats_port),
                    "PROCEDURA_CLUSTER_GATEWAY_BASE": str(self.gateway_ports[1] - 1),
                    # fourteen processes starting at once on two busy cores
                    "PROCEDURA_CLUSTER_SERVICES_TIMEOUT": "300"})
        return env

    def _bash(self, call: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", "-c", f'. "{SERVICES_SH}" && {call}'], cwd=ROOT,
                              env=self._env(), capture_output=True, text=True, timeout=timeout)

    def up(self) -> None:
        """The schemas migrated, every process started and consuming, HAProxy seeing both
        gateways UP (services_cluster_up)."""
        self._write_settings()
        done = self._bash("services_cluster_up", timeout=900)
        if done.returncode != 0:
            raise RuntimeError(f"services.sh up failed:\n{done.stdout}\n{done.stderr}")

    def down(self) -> None:
        """HAProxy, then every process: SIGTERM (in-flight messages finish), SIGKILL
        after 10 s (services_cluster_down)."""
        self._bash("services_cluster_down", timeout=600)

    def pid(self, name: str, n: int) -> int | None:
        done = self._bash(f"services_process_pid {name} {n}", timeout=60)
        return int(done.stdout) if done.returncode == 0 and done.stdout.strip() else None

    def start(self, name: str, n: int) -> None:
        done = self._bash(f"services_process_start {name} {n}", timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr

    def stop(self, name: str, n: int) -> None:
        """As `down` stops each process: SIGTERM, SIGKILL after 10 s (svcc_stop)."""
        done = self._bash(f"svcc_stop {name} {n}", timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr

    def gateway_logs(self) -> dict[str, Path]:
        return {f"gateway-{n}": self.log("gateway", n) for n in COPIES}

    def haproxy_log(self) -> Path:
        return self.dir / "haproxy-1" / "haproxy.log"

    @staticmethod
    def gateway_healthy(url: str) -> bool:
        try:
            return requests.get(f"{url}/healthz", timeout=5).status_code == 200
        except requests.RequestException:
            return False


def alive(pid: int) -> bool:
    """The process runs (a zombie, killed and not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (ProcessLookupError, OSError):
        return False
