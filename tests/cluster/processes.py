"""Procedura's processes of the fault run, started the way scripts/services.sh starts
them (`nameko run` in a session of its own, its secrets in its environment, its own
RabbitMQ user), but `copies` of each, every process with its own pid file, log and
health beacon under <run dir>/<service>-<n>/, and the gateways behind an HAProxy of the
run (health-checked on /healthz, a dead gateway's connections refused go to the other).

scripts/cluster/services.sh (two of every process, HAProxy on 8380) replaces this once
merged: the fault run needs only `pids(name)`, `start(name, n)` and `url`."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import requests

from devenv.environment import ROOT, TestEnvironment, free_port
from services.common.broker_users import password_key, users

VENV = ROOT / ".venv" / "bin"
CONFIG = ROOT / "config" / "procedura.yaml"
# scripts/processes.sh's list, as scripts/services.sh starts them
SERVICES = dict(re.findall(r'"(\w+):([\w.]+:\w+)"', (ROOT / "scripts" / "processes.sh").read_text()))
HAPROXY = """global
    maxconn 400
defaults
    mode http
    timeout connect 2s
    timeout client 300s
    timeout server 300s
    # a live stream is a long answer: HAProxy keeps it open
    timeout tunnel 1h
    retries 3
    # only a connection refused is tried again on the other gateway: a request a
    # gateway had begun is not sent twice (an upload would be stored twice)
    retry-on conn-failure
    option redispatch
frontend procedura
    bind 127.0.0.1:{port}
    default_backend gateways
backend gateways
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    default-server inter 1s fall 2 rise 2
{servers}
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie of ours (killed, not yet reaped) is gone too
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


class Processes:
    def __init__(self, environment: TestEnvironment, copies: int = 2):
        self.environment = environment
        self.copies = copies
        self.run_dir = Path(environment.env["PROCEDURA_RUN_DIR"])
        self.gateway_ports = {n: free_port() for n in range(1, copies + 1)}
        self.haproxy_port = free_port()
        self.url = f"http://127.0.0.1:{self.haproxy_port}"
        # `procedura wait-ready` asks the gateway of the environment's address
        environment.env["PROCEDURA_GATEWAY_ADDRESS"] = f"127.0.0.1:{self.gateway_ports[1]}"
        self.children: dict[tuple[str, int], subprocess.Popen] = {}
        self.haproxy: subprocess.Popen | None = None

    def folder(self, name: str, n: int) -> Path:
        return self.run_dir / f"{name}-{n}"

    def _environ(self, name: str, n: int) -> dict[str, str]:
        env = {**os.environ, **self.environment.environ(name)}
        for user in users():       # its own broker password only, as scripts/services.sh
            if user != name:
                env.pop(password_key(user), None)
        env["PROCEDURA_HEALTH_DIR"] = str(self.folder(name, n))
        env["PROCEDURA_RENDITION_SLOTS"] = "1"     # the machine's 2 cores are shared
        if name == "gateway":
            env["PROCEDURA_GATEWAY_ADDRESS"] = f"127.0.0.1:{self.gateway_ports[n]}"
            env["PROCEDURA_BASE_URL"] = self.url
        return env

    def migrate(self) -> None:
        subprocess.run([str(VENV / "procedura"), "--config", str(CONFIG), "migrate"],
                       env={**os.environ, **self.environment.environ()}, check=True,
                       capture_output=True, timeout=300)

    def start(self, name: str, n: int) -> None:
        folder = self.folder(name, n)
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / "nameko.log", "ab") as log:
            self.children[(name, n)] = subprocess.Popen(
                [str(VENV / "nameko"), "run", "--config", str(CONFIG), SERVICES[name]],
                cwd=ROOT, env=self._environ(name, n), stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)
        (folder / "pid").write_text(str(self.children[(name, n)].pid))

    def pids(self, name: str, n: int) -> list[int]:
        child = self.children.get((name, n))
        return [child.pid] if child and child.poll() is None else []

    def up(self) -> None:
        self.migrate()
        for name in SERVICES:
            for n in range(1, self.copies + 1):
                self.start(name, n)
        self.wait_ready()
        self.start_haproxy()

    def wait_ready(self, timeout: float = 240) -> None:
        """`procedura wait-ready`: every service's queues consumed."""
        done = subprocess.run([str(VENV / "procedura"), "--config", str(CONFIG), "wait-ready",
                               "--timeout", str(timeout)],
                              env={**os.environ, **self.environment.environ()},
                              capture_output=True, text=True, timeout=timeout + 60)
        if done.returncode != 0:
            raise RuntimeError(f"not ready: {done.stdout}{done.stderr}\n" + self.tails())

    def start_haproxy(self) -> None:
        servers = "\n".join(f"    server gateway-{n} 127.0.0.1:{port} check"
                            for n, port in self.gateway_ports.items())
        config = self.run_dir / "haproxy.cfg"
        config.write_text(HAPROXY.format(port=self.haproxy_port, servers=servers))
        with open(self.run_dir / "haproxy.log", "ab") as log:
            self.haproxy = subprocess.Popen(["haproxy", "-db", "-f", str(config)], stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while not self.gateway_healthy(self.url):
            assert time.monotonic() < deadline, "HAProxy does not answer: " + str(config)
            time.sleep(0.5)

    @staticmethod
    def gateway_healthy(url: str) -> bool:
        try:
            return requests.get(f"{url}/healthz", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    def tails(self) -> str:
        out = []
        for (name, n), child in self.children.items():
            if child.poll() is not None:
                log = (self.folder(name, n) / "nameko.log").read_text(errors="replace")
                out.append(f"{name}-{n} exited {child.returncode}:\n{log[-1500:]}")
        return "\n".join(out)

    def down(self) -> None:
        """SIGTERM to each (in-flight messages finish), SIGKILL after 10 s."""
        everything = list(self.children.values()) + ([self.haproxy] if self.haproxy else [])
        for child in everything:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in everything:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(timeout=10)
