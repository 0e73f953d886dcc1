"""Each service process checks itself and leaves the answer in a file, so a probe
asks this pod, not whichever replica happens to take an RPC from the shared queue.

The beacon runs the service's own `health` entrypoint in-process every few seconds
(the same checks of its stores that the RPC does), adds a check of its broker, and
writes `{"ok", "at", "detail"}` to `<health_dir>/<service>.json`. A frozen process
stops writing: `procedura health <service> --local` then finds the file too old.
"""
from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

import eventlet
from eventlet.event import Event
from kombu import Connection
from nameko.extensions import DependencyProvider

from services.common.settings import Settings

log = logging.getLogger(__name__)
INTERVAL = 10.0


def beacon_path(health_dir: str, service: str) -> Path:
    return Path(health_dir) / f"{service}.json"


def read_beacon(path: Path, max_age: float) -> tuple[bool, str]:
    """(healthy, why) from a beacon file."""
    try:
        beacon = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        return False, f"no health beacon at {path}: {exc}"
    age = time.time() - beacon["at"]
    if age > max_age:
        return False, f"the last health check is {age:.0f} s old (the process is stuck?)"
    if not beacon["ok"]:
        return False, f"unhealthy: {beacon['detail']}"
    return True, json.dumps(beacon["detail"])


class HealthBeacon(DependencyProvider):
    def setup(self):
        settings = Settings.from_config(self.container.config)
        self.path = beacon_path(settings.health_dir, self.container.service_name)
        # every process talks to the broker: it stops here, naming the setting, without it
        self.amqp_uri = settings.secret("amqp_uri")
        self._running = False

    def start(self):
        self._running = True
        self.container.spawn_managed_thread(self._run)

    def stop(self):
        self._running = False
        try:
            self.path.unlink()
        except OSError:
            pass

    kill = stop

    def _run(self):
        while self._running:
            try:
                detail = {"broker": self._check_broker(), **self._check_service()}
                self._write(True, detail)
            except Exception as exc:  # unhealthy: say why, keep checking
                self._write(False, str(exc)[:500])
            eventlet.sleep(INTERVAL)

    def _check_broker(self) -> str:
        with Connection(self.amqp_uri, connect_timeout=5) as conn:
            conn.ensure_connection(max_retries=1)
        return "ok"

    def _check_service(self) -> dict:
        """Run this service's own `health` entrypoint in this process."""
        entrypoint = next(e for e in self.container.entrypoints if e.method_name == "health")
        done = Event()

        def handle_result(worker_ctx, result, exc_info):
            done.send((result, exc_info))
            return result, exc_info

        self.container.spawn_worker(entrypoint, (), {}, handle_result=handle_result)
        with eventlet.Timeout(30):
            result, exc_info = done.wait()
        if exc_info is not None:
            raise exc_info[1]
        return result

    def _write(self, ok: bool, detail) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"ok": ok, "at": time.time(), "detail": detail,
                                         "pid": os.getpid()}))
        temporary.replace(self.path)
