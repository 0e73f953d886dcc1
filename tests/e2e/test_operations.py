"""What the IT team running Procedura relies on: health, readiness, metrics, and a
clear answer when a service is down."""
from __future__ import annotations

import requests


def test_health_readiness_and_metrics(gateway):
    assert requests.get(f"{gateway}/healthz", timeout=5).json() == {"status": "ok"}
    ready = requests.get(f"{gateway}/readyz", timeout=30)
    assert ready.status_code == 200, ready.text
    services = ready.json()["services"]
    assert set(services) == {"documents", "versioning", "search", "notifications"}
    # storing a version never waits for Tika: not part of versioning's readiness
    assert "tika" not in services["versioning"]
    assert services["search"]["elasticsearch"] in ("green", "yellow")
    metrics = requests.get(f"{gateway}/metrics", timeout=5).text
    assert 'procedura_http_requests_total{method="GET",status="200"}' in metrics


def test_a_stopped_service_is_a_503_naming_it_and_readiness_says_so(login, services,
                                                                    gateway):
    client = login("radu.munteanu")
    services.stop("notifications")
    try:
        response = client.request("GET", "/api/feed")
        assert response.status_code == 503
        assert response.json()["error"]["details"] == {"service": "notifications"}
        ready = requests.get(f"{gateway}/readyz", timeout=30)
        assert ready.status_code == 503
        assert "error" in ready.json()["services"]["notifications"]
        assert "error" not in ready.json()["services"]["documents"]
    finally:
        services.up()
    assert client.request("GET", "/api/feed").status_code == 200


def test_each_process_reports_its_own_health_and_a_stuck_one_is_found(services, environment):
    import os
    import signal
    import subprocess
    import time

    from tests.testenv import ROOT, eventually

    env = {**os.environ, **environment.env, "PROCEDURA_HEALTH_DIR": str(services.run_dir)}

    def probe(name, max_age="30"):
        return subprocess.run(
            [str(ROOT / ".venv/bin/procedura"), "health", name, "--local", "--max-age", max_age],
            env=env, capture_output=True, text=True, timeout=60)

    for name in ("documents", "versioning", "extraction", "search", "notifications"):
        result = eventually(lambda: (lambda r: r if r.returncode == 0 else None)(probe(name)))
        assert '"broker": "ok"' in result.stdout, result.stdout
    pid = int((services.run_dir / "notifications.pid").read_text())
    os.kill(pid, signal.SIGSTOP)           # a hung process: alive, but doing nothing
    try:
        time.sleep(12)
        stuck = probe("notifications", max_age="11")
        assert stuck.returncode == 1 and "old" in stuck.stderr, stuck.stderr
    finally:
        os.kill(pid, signal.SIGCONT)
    eventually(lambda: probe("notifications", max_age="11").returncode == 0, timeout=20)


def test_verify_integrity_reads_the_pinned_version_and_finds_what_changed_behind_procedura(
        login, environment):
    import io

    import psycopg2

    from procedura_cli.docgen import docx_bytes
    from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy
    from tests.e2e.test_walking_skeleton import BODY, DOCX, register, unique_code
    from tests.testenv import minio_admin

    author = login("ana.popescu")
    document = register(author, unique_code())
    good, over, legacy, gone = (
        author.upload(document["id"], f"{name}.docx", docx_bytes(name, BODY), "", DOCX)
        for name in ("bun", "peste", "vechi", "sters"))
    minio = minio_admin()

    def key(version):
        return f"originals/{document['id']}/{version['id']}/{version['filename']}"

    for version in (over, legacy):      # a newer object written over the stored one
        minio.stat_object(environment.bucket, key(version))   # where versioning keeps it
        minio.put_object(environment.bucket, key(version), io.BytesIO(b"altered"), 7)
    with psycopg2.connect(environment.database_url) as conn, conn.cursor() as cur:
        # a manifest from before object versions were recorded reads the newest object
        cur.execute("UPDATE versioning.versions SET object_version_id = NULL WHERE id = %s",
                    (legacy["id"],))
    conn.close()
    minio.remove_object(environment.bucket, key(gone),
                        version_id=author.get(f"/api/versions/{gone['id']}")[
                            "object_version_id"])
    with ClusterRpcProxy(environment.config(), timeout=120) as rpc:
        result = rpc.versioning.verify_integrity()
    problems = {p["version_id"]: p for p in result["problems"]}
    # the pinned version is read: intact, and said to be written over
    assert problems[over["id"]] == {"version_id": over["id"], "problem": "overwritten",
                                    "expected": over["sha256"], "found": over["sha256"]}
    assert problems[legacy["id"]]["problem"] == "mismatch"
    assert problems[legacy["id"]]["expected"] == legacy["sha256"]
    assert problems[gone["id"]]["problem"] == "missing"
    assert good["id"] not in problems and result["checked"] >= 4


def test_audit_verify_prints_the_last_hash_and_checks_hashes_written_down_earlier(
        environment, login):
    import os
    import subprocess

    from tests.e2e.test_walking_skeleton import register, unique_code
    from tests.testenv import ROOT

    def verify(*args):
        return subprocess.run([str(ROOT / ".venv" / "bin" / "procedura"), "audit", "verify",
                               *args], capture_output=True, text=True, timeout=300,
                              env={**os.environ, **environment.env})

    register(login("ana.popescu"), unique_code())        # at least one entry
    first = verify()
    assert first.returncode == 0, first.stderr
    assert "audit trail intact" in first.stdout
    last_hash = first.stdout.split("last entry's hash: ")[1].split()[0]
    assert len(last_hash) == 64

    register(login("ana.popescu"), unique_code())        # the trail moves on
    later = verify("--anchor", last_hash)
    assert later.returncode == 0, later.stderr
    assert "1 earlier hash(es) found" in later.stdout
    assert later.stdout.split("last entry's hash: ")[1].split()[0] != last_hash

    unknown = "ab" * 32
    rewritten = verify("--anchor", last_hash, "--anchor", unknown)
    assert rewritten.returncode == 1
    assert "rewritten" in rewritten.stderr and unknown in rewritten.stderr
    assert last_hash not in rewritten.stderr

    typo = verify("--anchor", last_hash[:20])
    assert typo.returncode == 2
    assert "is not an audit hash (64 hexadecimal characters)" in typo.stderr
