"""Procedura's processes of one environment (devenv/environment.py), each as its own
`procedura-service` (scripts/services.sh): the e2e tests' services and the benchmarks'."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from devenv.environment import ROOT, TestEnvironment


def _ended(pid: int) -> bool:
    """The process is gone, or a zombie: it has ended, and init reaps it when it comes to
    it (a second or more here)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, IndexError):
        return True


def _gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _ended(pid):
            return True
        time.sleep(0.1)
    return False


class Services:
    """Start, stop and restart Procedura's processes of one test environment."""

    def __init__(self, environment: TestEnvironment):
        self.environment = environment
        self.run_dir = Path(environment.env["PROCEDURA_RUN_DIR"])

    def _script(self, verb: str) -> None:
        env = {**os.environ, **self.environment.env}
        self.run_dir.mkdir(parents=True, exist_ok=True)
        # output to a file, not a pipe: the services started in the background must
        # not be able to keep the caller waiting for the pipe to close
        with open(self.run_dir / "services.sh.log", "a+") as out:
            result = subprocess.run([str(ROOT / "scripts" / "services.sh"), verb], env=env,
                                    stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    timeout=180)
            if result.returncode != 0:
                out.seek(0)
                raise RuntimeError(f"services.sh {verb} failed:\n{out.read()[-3000:]}")

    def up(self) -> None:
        self._script("up")

    def down(self) -> None:
        self._script("down")

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        """As scripts/services.sh down: the signal, 10 s to finish, then SIGKILL. A process
        left half-stopped would keep its queue consumers and its health file alive beside
        the one started after it."""
        pid_file = self.run_dir / f"{name}.pid"
        pid = int(pid_file.read_text())
        os.kill(pid, sig)
        if not _gone(pid, 10):
            os.kill(pid, signal.SIGKILL)
            assert _gone(pid, 10), f"{name} (pid {pid}) outlived SIGKILL"
        pid_file.unlink()

    def log(self, name: str) -> str:
        return (self.run_dir / f"{name}.log").read_text(errors="replace")
