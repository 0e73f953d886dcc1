"""A RabbitMQ node of a test's own (own ports, node name and data directory), for tests
that stop and restart the broker: the shared one on 5672 is never touched."""
from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import subprocess
import time
from pathlib import Path

from kombu import Connection

from services.common.broker_users import ADMIN
from tests.testenv import free_port

RABBITMQ_SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"


class PrivateRabbitMQ:
    def __init__(self, base: Path):
        self.base = base
        self.amqp_port = free_port()
        self.dist_port = free_port()
        self.node = f"procedura-test-{os.getpid()}@localhost"
        self.process: subprocess.Popen | None = None
        self.log = base / "rabbitmq.log"
        # no guest (the services refuse it): the node starts with an admin of its own
        self.password = secrets.token_hex(16)

    @property
    def amqp_uri(self) -> str:
        return f"pyamqp://{ADMIN}:{self.password}@127.0.0.1:{self.amqp_port}/"

    def _prepare(self) -> None:
        for sub in ("home", "mnesia", "log"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)
        (self.base / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = 127.0.0.1:{self.amqp_port}\n"
            f"default_user = {ADMIN}\ndefault_pass = {self.password}\n"
            "default_user_tags.administrator = true\n"
            "log.console = true\nlog.file = false\n")
        (self.base / "enabled_plugins").write_text("[].\n")
        (self.base / "rabbitmq-env.conf").write_text("")
        cookie = self.base / "home" / ".erlang.cookie"
        if not cookie.exists():
            cookie.write_text(os.urandom(16).hex())
        cookie.chmod(0o400)
        if os.getuid() == 0:   # as scripts/stack.sh: the broker runs as its own user
            user = pwd.getpwnam("rabbitmq")
            for path in [self.base, *self.base.rglob("*")]:
                os.chown(path, user.pw_uid, user.pw_gid)

    def start(self, timeout: float = 90) -> None:
        if not os.path.exists(RABBITMQ_SERVER):
            raise RuntimeError(f"{RABBITMQ_SERVER} is missing: run scripts/stack.sh install")
        self._prepare()
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "HOME": str(self.base / "home"),
               "RABBITMQ_NODENAME": self.node,
               "RABBITMQ_CONF_ENV_FILE": str(self.base / "rabbitmq-env.conf"),
               "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq.conf"),
               "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
               "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
               "RABBITMQ_LOG_BASE": str(self.base / "log"),
               "RABBITMQ_LOGS": "-",
               "RABBITMQ_PID_FILE": str(self.base / "rabbitmq.pid"),
               "RABBITMQ_DIST_PORT": str(self.dist_port),
               "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS":
                   "-kernel inet_dist_use_interface {127,0,0,1}",
               "ERL_EPMD_ADDRESS": "127.0.0.1"}
        command = [RABBITMQ_SERVER]
        if os.getuid() == 0:
            command = ["runuser", "-u", "rabbitmq", "--", *command]
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(command, env=env, cwd=self.base, stdout=out,
                                            stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            try:
                with Connection(self.amqp_uri, connect_timeout=2) as conn:
                    conn.connect()
                return
            except Exception:
                if self.process.poll() is not None:
                    raise RuntimeError(f"private RabbitMQ exited: {self.log.read_text()[-2000:]}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"private RabbitMQ not up after {timeout}s: "
                                       f"{self.log.read_text()[-2000:]}")
                time.sleep(0.5)

    def stop(self, timeout: float = 60) -> None:
        """Stop this node (its own process group only) and wait until it is gone."""
        if self.process is None:
            return
        pgid = self.process.pid   # the session leader started above
        try:
            os.killpg(pgid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + timeout
        killed = False
        while True:
            self.process.poll()   # reap the leader, or the group never looks empty
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                break
            if time.monotonic() > deadline and not killed:
                os.killpg(pgid, signal.SIGKILL)
                killed = True
            if time.monotonic() > deadline + 15:
                raise RuntimeError(f"private RabbitMQ (group {pgid}) would not stop")
            time.sleep(0.2)
        self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)
