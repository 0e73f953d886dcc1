"""Faults while a bulk import of a few hundred files runs (issue 8): kill -9 of the
extraction worker and the search service, Tika killed and stopped, RabbitMQ stopped for
30 s, Elasticsearch stopped for 60 s, a flood of large uploads. After recovery every file
is stored exactly once, extracted or marked failed, and searchable when extracted.

RabbitMQ, Elasticsearch and Tika are PRIVATE instances started by scripts/stack.sh for
this module (own ports and data directory `.stack/faults`, kept between runs); PostgreSQL and MinIO are the
shared servers, used through this run's own database and buckets and never stopped.
"""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

import psycopg2
import pytest
import requests

from procedura_cli.client import ApiError, Client
from procedura_cli.docgen import docx_bytes
from procedura_cli.localenv import secrets_file
from tests.e2e.own_environment import services_running
from tests import testenv
from tests.testenv import ROOT, eventually

pytestmark = pytest.mark.faults   # `make test-faults`: too long for `make test`

FILES = 200
BODY = "## Scop\n\nProcedura {i} stabilește circuitul documentului {token} în primărie.\n"


class PrivateStack:
    """RabbitMQ, Elasticsearch and Tika (or some of them) of one test module only."""

    def __init__(self, name: str = "faults", base: int = 26410,
                 components: str = "rabbitmq elasticsearch tika"):
        # base and directory fixed per module: one private stack per tree and module;
        # kept between runs (an Elasticsearch copy with the Romanian plugin built, warm
        # data directories): a second run starts the stack in a fraction of the time
        self.COMPONENTS = components
        self.dir = ROOT / ".stack" / name
        self.ports = {"amqp": base, "mgmt": base + 1, "es": base + 3, "tika": base + 5}
        self.env = {
            "PROCEDURA_STACK_DIR": str(self.dir),
            "PROCEDURA_AMQP_PORT": str(base), "PROCEDURA_RABBITMQ_MGMT_PORT": str(base + 1),
            "PROCEDURA_RABBITMQ_DIST_PORT": str(base + 2),
            "PROCEDURA_RABBITMQ_NODE": "procedura-faults@localhost",
            "PROCEDURA_ES_PORT": str(base + 3), "PROCEDURA_ES_TRANSPORT_PORT": str(base + 4),
            "PROCEDURA_TIKA_PORT": str(base + 5), "PROCEDURA_MINIO_PORT": str(base + 6),
            "PROCEDURA_PG_PORT": str(base + 7),
            "PROCEDURA_ES_HEAP": "512m", "PROCEDURA_TIKA_HEAP": "512m",
            # the shared stack's secrets: its users and passwords, on the private broker too
            "PROCEDURA_SECRETS_FILE": str(secrets_file(os.environ)),
        }

    def run(self, verb: str, components: str | None = None) -> None:
        env = {**os.environ, **self.env,
               "PROCEDURA_STACK_COMPONENTS": components or self.COMPONENTS}
        result = subprocess.run([str(ROOT / "scripts" / "stack.sh"), verb], env=env,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"stack.sh {verb} {components}:\n{result.stdout}\n" \
                                       f"{result.stderr[-3000:]}"

    def stop(self, component: str) -> None:
        self.run("down", component)

    def start(self, component: str) -> None:
        self.run("up", component)

    def pid(self, component: str) -> int:
        return int((self.dir / "pids" / f"{component}.pid").read_text())


class PrivateEnvironment(testenv.TestEnvironment):
    """A test environment whose broker, index and Tika are the private ones."""

    def __init__(self, run_id: str, stack: PrivateStack, gateway_port: int | None = None):
        super().__init__(run_id, gateway_port=gateway_port)
        self.stack = stack
        # the vhost and the index live on the private servers; the database and the
        # buckets on the shared ones (TestEnvironment.create/destroy use these)
        private = stack.COMPONENTS.split()
        if "rabbitmq" in private:
            self.management = f"http://127.0.0.1:{stack.ports['mgmt']}/api"
            self.env.update({"PROCEDURA_AMQP_PORT": str(stack.ports["amqp"]),
                             "PROCEDURA_RABBITMQ_MGMT_PORT": str(stack.ports["mgmt"])})
        if "elasticsearch" in private:
            self.elasticsearch_url = f"http://127.0.0.1:{stack.ports['es']}"
            self.env["PROCEDURA_ELASTICSEARCH_URL"] = self.elasticsearch_url
        if "tika" in private:
            self.env["PROCEDURA_TIKA_URL"] = f"http://127.0.0.1:{stack.ports['tika']}"
        self.env.update({"PROCEDURA_UPLOAD_CONCURRENCY": "4", "PROCEDURA_RPC_TIMEOUT": "8"})


@pytest.fixture(scope="module")
def private(stack):
    private = PrivateStack()
    private.run("up")
    print(f"faults: private stack up in {private.dir}", flush=True)
    yield private
    private.run("down")


@pytest.fixture(scope="module")
def faulty(private, run_id, org):
    environment = PrivateEnvironment(f"{run_id}f", private)
    with services_running(environment, org) as services:
        yield environment, services


def import_command(environment, folder: Path) -> list[str]:
    return [str(ROOT / ".venv" / "bin" / "procedura"), "import", str(folder),
            "--gateway", environment.gateway, "--concurrency", "4",
            "--login", "ana.popescu:demo-dj"]


def stored_count(environment) -> int:
    with psycopg2.connect(environment.database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM versioning.versions")
        count = cur.fetchone()[0]
    conn.close()
    return count


def flood(gateway: str, token: str, document_id: str, limit: int) -> list[int]:
    """Concurrent large uploads: some within the limit, sent slowly (so they hold their
    slot), some over it; every answer is collected."""
    statuses: list[int] = []

    def slow_body(boundary: bytes, size: int):
        yield (b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; '
               b'filename="mare.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\n')
        sent = 0
        while sent < size:
            chunk = min(256 * 1024, size - sent)
            yield os.urandom(chunk)
            sent += chunk
            time.sleep(0.05)
        yield b"\r\n--" + boundary + b"--\r\n"

    def one(size: int, declared: bool):
        boundary = uuid.uuid4().hex.encode()
        headers = {"Authorization": f"Bearer {token}",
                   "Content-Type": f"multipart/form-data; boundary={boundary.decode()}"}
        body = b"".join(slow_body(boundary, size)) if declared else slow_body(boundary, size)
        try:
            response = requests.post(f"{gateway}/api/documents/{document_id}/versions",
                                     data=body, headers=headers, timeout=120)
            status = response.status_code
            if status >= 400:
                error = response.json()["error"]
                assert error["code"] and error["message"], error
        except requests.ConnectionError:
            status = -1        # the gateway closed a refused upload before reading it all
        statuses.append(status)

    threads = [threading.Thread(target=one, args=(limit - 64 * 1024, False))
               for _ in range(10)]
    threads += [threading.Thread(target=one, args=(limit + 1024 * 1024, True))
                for _ in range(4)]
    threads += [threading.Thread(target=one, args=(limit + 1024 * 1024, False))
                for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    return statuses


@pytest.mark.timeout(720)
def test_an_import_survives_worker_kills_tika_rabbitmq_and_elasticsearch_outages(
        faulty, tmp_path):
    environment, services = faulty
    private = environment.stack
    started = time.monotonic()

    def phase(name: str) -> None:
        print(f"faults: {time.monotonic() - started:6.1f} s  {name}", flush=True)
    folder = tmp_path / "dosare" / "DJ"
    folder.mkdir(parents=True)
    expected: dict[str, tuple[str, str]] = {}      # code -> (token, sha256)
    for i in range(FILES):
        code = f"PO-DJ-{uuid.uuid4().int % 10**8:08d}"
        token = f"avarie{uuid.uuid4().hex[:10]}"
        data = docx_bytes(code, BODY.format(i=i, token=token))
        (folder / f"{code} Procedură {i}.docx").write_bytes(data)
        expected[code] = (token, hashlib.sha256(data).hexdigest())
    env = {**os.environ, **environment.env}
    log = open(tmp_path / "import.log", "w+")
    importer = subprocess.Popen(import_command(environment, folder.parent), env=env,
                                stdout=log, stderr=subprocess.STDOUT)
    try:
        eventually(lambda: stored_count(environment) >= 20, timeout=120, interval=0.5)

        phase("import running")
        # 1. kill -9 the extraction worker and the search service mid-run, then restart
        services.stop("extraction", signal.SIGKILL)
        services.stop("search", signal.SIGKILL)
        time.sleep(3)
        services.up()

        phase("workers killed and restarted")
        # 2. Tika: killed, the stack script's watchdog brings it back by itself ...
        tika = f"http://127.0.0.1:{private.ports['tika']}/tika"
        server = subprocess.run(["pgrep", "-P", str(private.pid("tika"))],
                                capture_output=True, text=True).stdout.split()
        assert server, "the Tika watchdog has no server process"
        os.kill(int(server[0]), signal.SIGKILL)
        eventually(lambda: not _answers(tika), timeout=10, interval=0.2)
        eventually(lambda: _answers(tika), timeout=60, interval=1)
        # ... and stopped outright for a while
        private.stop("tika")
        time.sleep(10)
        private.start("tika")

        phase("Tika killed, restarted by its watchdog, stopped, started")
        # 3. Elasticsearch stopped for 60 s, and within that time 4. RabbitMQ for 30 s
        # (overlapped to keep the module within a few minutes)
        private.stop("elasticsearch")
        es_stopped = time.monotonic()
        private.stop("rabbitmq")
        time.sleep(30)
        private.start("rabbitmq")
        phase("RabbitMQ stopped 30 s, started")
        time.sleep(max(0.0, 60 - (time.monotonic() - es_stopped)))
        private.start("elasticsearch")
        phase(f"Elasticsearch stopped {time.monotonic() - es_stopped:.0f} s, started")

        # 5. a flood of large uploads: clean 201/413/503 answers, and the gateway stays up
        # (the services may still be reconnecting to the restarted broker: 503 meanwhile)
        def register_target():
            try:
                client = Client.login(environment.gateway, "ana.popescu", "demo-dj")
                return client, client.post("/api/documents", {
                    "code": f"PO-DJ-{uuid.uuid4().int % 10**8:08d}",
                    "title": "Încărcări mari", "type": "PO", "owner_department": "DJ",
                    "distribution": ["DJ"]})
            except ApiError as exc:
                if exc.status != 503:
                    raise
                return None
        author, target = eventually(register_target, timeout=120, interval=2)
        phase("services answer again after the outages")
        importer.wait(timeout=300)
        phase("first import run ended")
        token = author.session.headers["Authorization"].split()[1]
        statuses = flood(environment.gateway, token, target["id"], environment.upload_limit)
        assert set(statuses) <= {201, 413, 503, -1}, statuses
        assert 201 in statuses and 503 in statuses and 413 in statuses, statuses
        assert requests.get(f"{environment.gateway}/healthz", timeout=5).status_code == 200

        phase(f"upload flood: {sorted(statuses)}")
    finally:
        if importer.poll() is None:
            importer.kill()
    log.seek(0)
    first_run = log.read()
    # what the outages made fail is named as an outage (retryable), never an internal error
    assert "internal_error" not in first_run, first_run[-3000:]
    # resumable: a second run imports whatever the outages made fail, skips the rest
    again = subprocess.run(import_command(environment, folder.parent), env=env,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, first_run[-3000:] + again.stdout + again.stderr
    assert "failed 0" in again.stdout

    phase(f"import done; re-run: {again.stdout.strip().splitlines()[-1]}")
    # every file stored exactly once, with its bytes' sha256
    author = Client.login(environment.gateway, "ana.popescu", "demo-dj")
    documents = {d["code"]: d for d in author.get("/api/documents")["items"]}
    versions: dict[str, dict] = {}
    for code, (_, sha256) in expected.items():
        found = author.get(f"/api/documents/{documents[code]['id']}/versions")["items"]
        assert [v["sha256"] for v in found] == [sha256], code
        versions[code] = found[0]

    # extracted or failed, none left pending
    def settled():
        pending = [c for c, v in versions.items()
                   if author.get(f"/api/versions/{v['id']}")["extraction"]["status"]
                   == "pending"]
        return not pending or None
    eventually(settled, timeout=180, interval=2)
    statuses = {c: author.get(f"/api/versions/{v['id']}")["extraction"]
                for c, v in versions.items()}
    failed = {c: s["error"] for c, s in statuses.items() if s["status"] == "failed"}
    assert all(failed.values()), failed
    assert len(failed) < FILES // 10, failed         # outages are not the files' fault

    phase(f"all settled, {len(failed)} failed")
    # searchable when extracted (no manual reindex)
    for code, (token, _) in expected.items():
        if statuses[code]["status"] == "done":
            eventually(lambda: [h for h in author.get("/api/search", q=token, scope="work")["hits"]
                                if h["code"] == code], timeout=120, interval=1)

    phase("all extracted texts searchable")
    # and the doctor agrees
    doctor = subprocess.run([str(ROOT / ".venv" / "bin" / "procedura"), "doctor",
                             "--accept-failed"], env=env, capture_output=True, text=True,
                            timeout=300)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    phase("doctor: no stuck or inconsistent items")


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False
