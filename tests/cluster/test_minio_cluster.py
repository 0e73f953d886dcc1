"""Procedura's object storage on a distributed, erasure-coded MinIO (scripts/cluster/minio.sh:
4 servers x 2 drives, EC:4), through its own storage adapter
(services/versioning/adapters/storage.py): the buckets it creates (versioned, object
lock) and an approved original under a legal hold and a retention period behave as on the
single node of the dev stack; a server killed with -9 under writes and reads through the
deployment's one endpoint (the balancer of scripts/cluster/minio.sh, as the services reach
it) costs no acknowledged object (the errors and the longest gap printed); a drive emptied while its
server was stopped is formatted and healed by MinIO on restart (the heal time printed),
and its shards are whole: with two other servers stopped, every object still reads back
with its sha256 from the four drives left, that drive among them.

    scripts/cluster.sh up minio
    .venv/bin/python -m pytest -s -m cluster tests/cluster/test_minio_cluster.py
"""
from __future__ import annotations

import hashlib
import os
import random
import signal
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from minio import Minio
from minio.commonconfig import GOVERNANCE
from minio.deleteobjects import DeleteObject
from minio.error import S3Error
from minio.retention import Retention

from devenv.cluster import MINIO_SERVERS
from services.common.settings import MinioSettings
from services.versioning.adapters.storage import ObjectStore, original_key
from tests.cluster.conftest import MinioCluster
from tests.testenv import MINIO_ENDPOINT, eventually, minio_admin

pytestmark = pytest.mark.cluster

# an original as large as a scanned decision or as small as a memo: small objects are kept
# inline in MinIO's metadata (under 128 KiB), the others as erasure-coded parts
SIZES = (6_000, 300_000, 2_500_000)
KILLED = 3              # the server killed with -9 under load
WIPED = (2, "d1")       # the drive emptied while its server is stopped
AWAY = 15.0             # seconds the killed server stays away, writes and reads going on
LONGEST_GAP_BOUND = 20.0   # seconds without a successful write or read that fail the test


def new_store(settings: MinioSettings) -> ObjectStore:
    """Procedura's adapter with its buckets made by its own code (ensure_buckets)."""
    store = ObjectStore(settings)
    store.ensure_buckets()
    return store


def remove_buckets(client: Minio, store: ObjectStore) -> None:
    """Empty and remove a test's buckets: legal holds lifted, governance retention
    bypassed (as root may), every version deleted."""
    for bucket in (store.bucket, store.staging):
        if not client.bucket_exists(bucket):
            continue
        listed = list(client.list_objects(bucket, recursive=True, include_version=True))
        for obj in listed:
            # only originals are held (the load's objects are not)
            if (bucket == store.bucket and not obj.is_delete_marker
                    and obj.object_name.startswith("originals/")):
                client.disable_object_legal_hold(bucket, obj.object_name, version_id=obj.version_id)
        errors = list(client.remove_objects(bucket, [DeleteObject(o.object_name, o.version_id)
                                                     for o in listed], bypass_governance_mode=True))
        assert not errors, errors
        client.remove_bucket(bucket)


@pytest.fixture
def bucket_name(minio_cluster: MinioCluster):
    """A bucket of this test on the cluster, removed afterwards (every server up again first)."""
    name = f"procedura-cl-{uuid.uuid4().hex[:10]}"
    yield name
    minio_cluster.up()
    remove_buckets(minio_cluster.client(1), ObjectStore(minio_cluster.settings(name)))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def refused(delete) -> str:
    """The S3 error code a delete gets, or "deleted"."""
    try:
        delete()
    except S3Error as exc:
        return exc.code
    return "deleted"


def lock_outcomes(store: ObjectStore, other: Minio, path: Path) -> dict:
    """What happens to an approved original stored by Procedura's adapter, under a legal
    hold (store.hold, as approval puts it) and a retention period, as seen through
    `other` (another server of the cluster, or the same single node)."""
    data = path.read_bytes()
    key = original_key(uuid.uuid4(), uuid.uuid4(), "dispozitie.pdf")
    version = store.put_file(key, path, "application/pdf")
    until = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=1)
    held = store.hold(key, version)
    store.client.set_object_retention(store.bucket, key, Retention(GOVERNANCE, until),
                                      version_id=version)
    outcome = {
        "object lock": store.object_lock,
        "versioning": other.get_bucket_versioning(store.bucket).status,
        "held": held,
        "hold seen": other.is_object_legal_hold_enabled(store.bucket, key, version_id=version),
        "retention seen": other.get_object_retention(store.bucket, key, version_id=version).mode,
        "delete under hold": refused(lambda: other.remove_object(store.bucket, key,
                                                                  version_id=version)),
    }
    other.disable_object_legal_hold(store.bucket, key, version_id=version)
    outcome["delete under retention"] = refused(
        lambda: other.remove_object(store.bucket, key, version_id=version))
    other.remove_object(store.bucket, key)   # a plain delete: a delete marker on top
    outcome["newest after a plain delete"] = store.newest_version(key)
    outcome["version whole after it"] = store.stored_sha256(key, version) == (sha256(data),
                                                                               len(data))
    return outcome


def test_buckets_and_locks_behave_as_on_one_node(minio_cluster, bucket_name, tmp_path):
    original = tmp_path / "dispozitie.pdf"
    original.write_bytes(b"%PDF-1.7\n" + random.Random(19).randbytes(400_000))
    clustered = lock_outcomes(new_store(minio_cluster.settings(bucket_name, server=1)),
                              minio_cluster.client(3), original)
    single = new_store(MinioSettings(endpoint=MINIO_ENDPOINT, bucket=f"{bucket_name}-1n",
                                     access_key=minio_cluster.access_key,
                                     secret_key=minio_cluster.secret_key))
    try:
        alone = lock_outcomes(single, single.client, original)
    finally:
        remove_buckets(minio_admin(), single)
    print(f"\nMinIO 4x2 EC:{minio_cluster.info()['backend']['standardSCParity']}: {clustered}"
          f"\nMinIO single node:  {alone}")
    assert clustered == alone
    assert clustered["object lock"] and clustered["held"] and clustered["hold seen"]
    assert clustered["versioning"] == "Enabled" and clustered["retention seen"] == GOVERNANCE
    assert clustered["delete under hold"] != "deleted"
    assert clustered["delete under retention"] != "deleted"
    assert clustered["newest after a plain delete"] is None
    assert clustered["version whole after it"]


@dataclass
class Ledger:
    """What the load saw: successful operations' end times, failed attempts, and the
    objects whose write was acknowledged (key: object version, sha256, size)."""
    started: float = field(default_factory=time.monotonic)
    done: dict = field(default_factory=lambda: {"write": [], "read": []})
    attempt_errors: list = field(default_factory=list)    # (t, kind, attempt, error)
    failed: list = field(default_factory=list)            # (t, kind): every attempt failed
    mismatches: list = field(default_factory=list)
    slow: list = field(default_factory=list)     # (start t, seconds, kind, through): over 2 s
    acked: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> float:
        return time.monotonic() - self.started

    def longest_gap(self, kind: str) -> tuple[float, float]:
        """(seconds, at t) of the longest time without a successful `kind`."""
        times = sorted(self.done[kind])
        return max(((b - a, a) for a, b in zip(times, times[1:])), default=(0.0, 0.0))


class Router:
    """Every request through the deployment's one endpoint, the balancer of
    scripts/cluster/minio.sh (HAProxy on 127.0.0.1:9160, a server admitted while its
    /minio/health/cluster answers 200), as Procedura's services reach it; an attempt that
    fails is recorded and tried again once (as a person would), then counted failed."""

    ATTEMPTS = 2

    def __init__(self, store: ObjectStore, ledger: Ledger):
        self.store, self.ledger = store, ledger

    def call(self, kind: str, operation):
        for attempt in range(self.ATTEMPTS):
            began = self.ledger.now()
            try:
                result = operation(self.store)
            except S3Error as exc:
                error = exc.code
            except Exception as exc:   # a connection cut by the server's death
                error = type(exc).__name__
            else:
                with self.ledger.lock:
                    self.ledger.done[kind].append(self.ledger.now())
                    if self.ledger.now() - began > 2:
                        self.ledger.slow.append((round(began, 1), round(self.ledger.now() - began, 1),
                                                 kind, "balancer"))
                return result
            with self.ledger.lock:
                self.ledger.attempt_errors.append((self.ledger.now(), kind, attempt + 1, error))
        with self.ledger.lock:
            self.ledger.failed.append((self.ledger.now(), kind))
        return None


def write_loop(router: Router, ledger: Ledger, stop: threading.Event, folder: Path) -> None:
    rng = random.Random(1901)
    payload = folder / "payload"
    for i in range(1_000_000):
        if stop.is_set():
            return
        data = rng.randbytes(rng.choice(SIZES))
        payload.write_bytes(data)
        key = f"load/{i:06d}.bin"
        version = router.call("write", lambda store: store.put_file(
            key, payload, "application/octet-stream"))
        if version is not None:
            with ledger.lock:
                ledger.acked[key] = (version, sha256(data), len(data))
        time.sleep(0.05)   # a steady load, not a saturating one: two cores are shared


def read_loop(router: Router, ledger: Ledger, stop: threading.Event) -> None:
    rng = random.Random(1902)
    while not stop.is_set():
        with ledger.lock:
            keys = list(ledger.acked)
        if not keys:
            time.sleep(0.05)
            continue
        key = rng.choice(keys)
        version, digest, size = ledger.acked[key]
        got = router.call("read", lambda store: store.stored_sha256(key, version))
        if got is not None and got != (digest, size):
            ledger.mismatches.append((key, got))
        time.sleep(0.02)


def test_a_server_killed_under_load_loses_no_acknowledged_object(minio_cluster, bucket_name,
                                                                 tmp_path):
    store = new_store(minio_cluster.balanced_settings(bucket_name))
    ledger, stop = Ledger(), threading.Event()
    router = Router(store, ledger)
    workers = [threading.Thread(target=write_loop, args=(router, ledger, stop, tmp_path)),
               threading.Thread(target=read_loop, args=(router, ledger, stop))]
    for worker in workers:
        worker.start()
    try:
        time.sleep(6)
        killed_at = ledger.now()
        os.kill(minio_cluster.pid(KILLED), signal.SIGKILL)
        time.sleep(AWAY)
        restart_at = ledger.now()
        minio_cluster.up()
        back_at = ledger.now()
        eventually(lambda: minio_cluster.status().returncode == 0, timeout=120, interval=1)
        whole_at = ledger.now()
        time.sleep(5)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=60)
    acked = dict(ledger.acked)
    reread = {key: store.stored_sha256(key, version) for key, (version, _, _) in acked.items()}
    lost = [key for key, (_, digest, size) in acked.items() if reread[key] != (digest, size)]
    during = [e for e in ledger.attempt_errors if killed_at <= e[0] <= whole_at]
    print(f"\nkill -9 of minio-{KILLED} at t={killed_at:.1f}s under load, back "
          f"(scripts/cluster.sh up minio) at t={restart_at:.1f}-{back_at:.1f}s, every drive "
          f"online again at t={whole_at:.1f}s ({whole_at - restart_at:.1f}s after the restart)")
    for kind in ("write", "read"):
        gap, at = ledger.longest_gap(kind)
        errors = [e for e in ledger.attempt_errors if e[1] == kind]
        print(f"  {kind}s: {len(ledger.done[kind])} ok, {len(errors)} failed attempts "
              f"(each tried again once through the balancer), {sum(1 for f in ledger.failed if f[1] == kind)} "
              f"failed on both attempts; longest gap {gap:.2f}s at t={at:.1f}s")
    print(f"  failed attempts during the fault (attempt, error): {sorted({(e[2], e[3]) for e in during})}")
    print(f"  answered after more than 2 s (t, seconds, kind, through): {ledger.slow}")
    print(f"  acknowledged objects: {len(acked)}, read back whole (sha256): {len(acked) - len(lost)}"
          f"; reads that got other bytes: {len(ledger.mismatches)}")
    assert not lost and not ledger.mismatches and not ledger.failed
    assert len(acked) > 20 and len(ledger.done["read"]) > 20
    for kind in ("write", "read"):
        assert ledger.longest_gap(kind)[0] < LONGEST_GAP_BOUND, kind


def on_drive(minio_cluster: MinioCluster, bucket: str, key: str) -> bool:
    """Has the wiped drive this object's metadata again (its shard beside it)?"""
    return (minio_cluster.drive(*WIPED) / bucket / key / "xl.meta").is_file()


def test_a_wiped_drive_is_healed_whole(minio_cluster, bucket_name, tmp_path):
    store = new_store(minio_cluster.settings(bucket_name, server=1))
    rng, payload, stored = random.Random(1903), tmp_path / "payload", {}
    for i in range(36):
        data = rng.randbytes(SIZES[i % len(SIZES)])
        payload.write_bytes(data)
        key = f"heal/{i:03d}.bin"
        stored[key] = (store.put_file(key, payload, "application/octet-stream"),
                       sha256(data), len(data))
    server, drive = WIPED
    minio_cluster.stop_server(server)
    wiped = minio_cluster.drive(server, drive)
    for entry in wiped.iterdir():   # the folder emptied, as a new disk mounted in its place
        shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    assert not any(wiped.iterdir())
    restarted = time.monotonic()
    minio_cluster.up()
    answering = time.monotonic() - restarted
    eventually(lambda: minio_cluster.status().returncode == 0
               and all(on_drive(minio_cluster, bucket_name, key) for key in stored),
               timeout=300, interval=0.5)
    healed = time.monotonic() - restarted
    drives = [(d["endpoint"], d["state"], d.get("healing", False))
              for s in minio_cluster.info()["servers"] for d in s["drives"]]
    print(f"\nminio-{server}/{drive} emptied while stopped, {len(stored)} objects: the server "
          f"answering {answering:.1f}s after scripts/cluster.sh up minio, the drive formatted and "
          f"healed {healed:.1f}s after the restart (every object's metadata back on it, every drive ok)")
    assert all(state == "ok" and not healing for _, state, healing in drives), drives
    # the proof the healed shards are whole: with two other servers away, the four drives
    # left (minio-1 d1 d2, minio-2 d1 d2) are exactly the read quorum of EC:4 on 8 drives
    # (4 data shards): no object reads back unless its shard on the wiped drive is whole
    others = [n for n in MINIO_SERVERS if n not in (1, server)]
    for n in others:
        minio_cluster.stop_server(n)
    try:
        reader = ObjectStore(minio_cluster.settings(bucket_name, server=server))
        reread = {key: reader.stored_sha256(key, version) for key, (version, _, _) in stored.items()}
    finally:
        minio_cluster.up()
    whole = [key for key, (_, digest, size) in stored.items() if reread[key] == (digest, size)]
    print(f"  with minio-{others[0]} and minio-{others[1]} stopped: {len(whole)}/{len(stored)} "
          f"objects read back with their sha256 from 4 drives, minio-{server}/{drive} among them")
    assert len(whole) == len(stored)
