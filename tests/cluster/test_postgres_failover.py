"""PostgreSQL failover on the real pg_auto_failover formation (scripts/cluster/postgres.sh):
Procedura's unit of work writes events to its outbox in a loop while the primary node is
killed with -9 (its pg_autoctl and its PostgreSQL, as a machine that dies); the monitor
promotes the standby, the writes reach it through the multi-host URL, the dead node rejoins
as the standby. No acknowledged write is lost, none is written twice.

    .venv/bin/python -m pytest -m cluster -s tests/cluster/test_postgres_failover.py
"""
from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from pathlib import Path

import eventlet
import psycopg2
import pytest

from services.common.db import Database, make_green, unreachable
from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy
from services.common.migrations import migrate
from services.common.unit_of_work import TransactionUnitOfWork
from services.contracts.errors import ServiceUnavailable
from services.contracts.events import Envelope, EventData
from services.documents.service import DocumentsService
from tests.integration.running import running, service_config
from tests.testenv import TestEnvironment

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "cluster" / "postgres.sh"
CLUSTER = Path(os.environ.get("PROCEDURA_STACK_DIR", ROOT / ".stack")) / "cluster"
SOURCE = "failover-probe"
PAUSE = 0.05          # between two writes
FAILOVER_LIMIT = 120  # seconds the formation may take to write again


def sh(*words: str, check: bool = True) -> str:
    """A function of scripts/cluster/postgres.sh, its output."""
    done = subprocess.run(["bash", "-c", f'source "{SCRIPT}" && "$@"', "_", *words],
                          capture_output=True, text=True, timeout=400)
    if check and done.returncode != 0:
        pytest.fail(f"{' '.join(words)}: {done.stdout}{done.stderr}", pytrace=False)
    return done.stdout


def states() -> dict[str, str]:
    shown = subprocess.run(
        ["bash", "-c", f'source "{SCRIPT}" && _pgaf_ctl monitor show state --json '
                       '--pgdata "$(_pgaf_data monitor)"'],
        capture_output=True, text=True, timeout=30)
    try:
        return {n["nodename"][len("node_"):]: n["current_group_state"]
                for n in json.loads(shown.stdout)}
    except ValueError:
        return {}


def kill_node(node: str) -> None:
    """-9 to every process of the node (pg_autoctl's and its postmaster's)."""
    sh("postgres_node_kill", node)
    assert not sh("_pgaf_pids", node).split(), f"node_{node} survived"


class Probe(TransactionUnitOfWork):
    def bind(self, cur) -> None:
        self.cur = cur


class Writer:
    """Writes one event per transaction; a failed one is tried again with the same id,
    so that a commit whose answer was lost (in doubt) is found, not written twice."""

    def __init__(self, db: Database):
        self.db, self.running = db, True
        self.acknowledged: set[uuid.UUID] = set()
        self.in_doubt_found: set[uuid.UUID] = set()
        self.failures: list[tuple[float, str]] = []
        self.not_away: list[BaseException] = []   # failures that would not be a 503
        self.recovered_at: float | None = None   # the first write acknowledged after a failure

    def write(self, event: Envelope) -> None:
        retried = False
        while True:
            try:
                with Probe(self.db) as uow:
                    uow.outbox.record(event)
                self.acknowledged.add(event.id)
                if self.failures and self.recovered_at is None:
                    self.recovered_at = time.monotonic()
                return
            except psycopg2.errors.UniqueViolation:
                assert retried, "a fresh id already in the outbox"
                self.in_doubt_found.add(event.id)
                return
            except (psycopg2.OperationalError, psycopg2.InterfaceError,
                    ServiceUnavailable) as exc:
                self.failures.append((time.monotonic(), type(exc).__name__))
                if not unreachable(exc):
                    self.not_away.append(exc)
                retried = True
                eventlet.sleep(PAUSE)

    def run(self) -> None:
        while self.running:
            self.write(Envelope(type="failover.probe", source=SOURCE, subject=uuid.uuid4(),
                                data=EventData()))
            eventlet.sleep(PAUSE)


@pytest.mark.cluster
def test_writes_reach_the_new_primary_and_none_is_lost_or_doubled():
    sh("postgres_cluster_up")
    url = sh("postgres_cluster_uri").strip()
    assert "target_session_attrs=read-write" in url and url.count(",") == 1
    schema = f"failover_{uuid.uuid4().hex[:8]}"
    make_green()
    migrate(url, schema, "services.documents.migrations")
    db = Database(url, schema, maxconn=3)
    before = states()
    primary = next(n for n, s in before.items() if s == "primary")
    standby = next(n for n, s in before.items() if s == "secondary")

    writer = Writer(db)
    running = eventlet.spawn(writer.run)
    eventlet.sleep(3)
    written_before = len(writer.acknowledged)
    killed_at = time.monotonic()
    kill_node(primary)

    deadline = killed_at + FAILOVER_LIMIT
    while time.monotonic() < deadline and not (
            writer.recovered_at and len(writer.acknowledged) > written_before + 20):
        eventlet.sleep(0.5)
    back_at = writer.recovered_at or time.monotonic()
    promoted = states()
    eventlet.sleep(2)
    writer.running = False
    running.wait()

    sh("postgres_node_start", primary)
    rejoin_deadline = time.monotonic() + FAILOVER_LIMIT
    rejoined = {primary: "secondary", standby: "primary"}
    while time.monotonic() < rejoin_deadline and states() != rejoined:
        eventlet.sleep(1)
    rejoined_after = time.monotonic() - back_at

    with db.transaction() as cur:
        cur.execute("SELECT id FROM outbox WHERE source = %s", (SOURCE,))
        stored = [row["id"] for row in cur.fetchall()]
        cur.execute("SELECT inet_server_port() AS port")
        port = cur.fetchone()["port"]
    with db.transaction() as cur:
        cur.execute(f"DROP SCHEMA {schema} CASCADE")
    db.close()

    failed = [t for t, _ in writer.failures]
    print(f"\nfailover: primary node_{primary} killed -9; writes failed from "
          f"+{failed[0] - killed_at:.1f}s to +{failed[-1] - killed_at:.1f}s "
          f"({len(failed)} failed attempts: {sorted({k for _, k in writer.failures})}); "
          f"first write acknowledged by the new primary +{back_at - killed_at:.1f}s; "
          f"node_{primary} rejoined as standby "
          f"{rejoined_after:.1f}s after; acknowledged {len(writer.acknowledged)}, in doubt "
          f"and found {len(writer.in_doubt_found)}, stored {len(stored)}; states "
          f"{before} -> {promoted} -> {states()}")
    assert writer.failures, "the kill did not interrupt the writes"
    # each one a 503 for the gateway's caller, a pause and retry for an event handler
    assert not writer.not_away, writer.not_away[:3]
    assert promoted.get(standby) in ("wait_primary", "primary"), promoted
    assert port == int(os.environ.get(f"PROCEDURA_PGAF_PORT_{standby.upper()}",
                                      {"a": 5533, "b": 5534}[standby]))
    assert len(stored) == len(set(stored)), "an event written twice"
    assert writer.acknowledged <= set(stored), "an acknowledged write lost"
    assert set(stored) == writer.acknowledged | writer.in_doubt_found
    assert states() == rejoined


def rejoin(primary: str, standby: str) -> float:
    """Start the killed node again; seconds until it is the standby of a whole formation."""
    started = time.monotonic()
    sh("postgres_node_start", primary)
    whole = {primary: "secondary", standby: "primary"}
    while time.monotonic() < started + FAILOVER_LIMIT and states() != whole:
        eventlet.sleep(1)
    assert states() == whole
    return time.monotonic() - started


@pytest.fixture
def environment(stack, run_id):
    """A vhost of its own on the dev stack's RabbitMQ; the database is the formation's."""
    env = TestEnvironment(f"{run_id}c")
    env.create()
    yield env
    env.destroy()


@pytest.mark.cluster
def test_the_documents_service_answers_503_while_failing_over_then_the_new_primary(
        environment):
    sh("postgres_cluster_up")
    config = service_config(environment)
    config["procedura"]["database_url"] = sh("postgres_cluster_uri").strip()
    primary = next(n for n, s in states().items() if s == "primary")
    standby = next(n for n, s in states().items() if s == "secondary")
    unavailable, other = 0, []
    with running(config, DocumentsService), ClusterRpcProxy(config, timeout=30) as rpc:
        assert rpc.documents.health()["database"] == "ok"
        killed_at = time.monotonic()
        kill_node(primary)
        while time.monotonic() < killed_at + FAILOVER_LIMIT:
            try:
                rpc.documents.health()
                if unavailable:
                    break
            except ServiceUnavailable as exc:
                unavailable += 1
                assert float(exc.details["retry_after_seconds"]) == 5   # text over RPC
            except Exception as exc:     # a 500 at the gateway: what must not happen
                other.append(repr(exc))
            eventlet.sleep(0.5)
        answered_after = time.monotonic() - killed_at
    rejoined_after = rejoin(primary, standby)
    print(f"\ndocuments.health: node_{primary} killed -9; {unavailable} calls answered "
          f"ServiceUnavailable, {len(other)} other errors; answered by the new primary "
          f"+{answered_after:.1f}s; node_{primary} back as standby {rejoined_after:.1f}s "
          f"after its restart")
    assert not other, other[:3]
    assert unavailable and answered_after < FAILOVER_LIMIT
