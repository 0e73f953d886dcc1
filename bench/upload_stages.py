"""Where an upload request's time goes: the request through the gateway, and in the same
run each engine call the upload path makes, timed alone on the same stack.

An upload (POST /api/documents/{id}/versions) is: the gateway asks documents for the
document (RPC), streams the file to the staging bucket, asks documents to add the
revision (RPC), which locks the document row and asks versioning to store the version
(RPC): one read of the staged object (size, first bytes, sha256), Tika type detection,
server-side copy to the versioned bucket, removal of the staged object, two
transactions; then documents records the revision and the audit entry. The engine calls are timed here one after another
with the same file, the same buckets and the same clients the services use; what is
left of the request once they are subtracted is the services' own work (RPC hops,
validation, database, HTTP).

Run:
  .venv/bin/python bench/upload_stages.py --uploads 200
"""
from __future__ import annotations

import argparse
import hashlib
import io
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.running import password_of, running_procedura  # noqa: E402
from procedura_cli.client import Client  # noqa: E402
from procedura_cli.docgen import docx_bytes  # noqa: E402

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BODY = ("Procedura operațională privind soluționarea petițiilor. Scopul procedurii este "
        "stabilirea modului de primire, înregistrare și soluționare a petițiilor. ") * 40


def timed(samples: dict[str, list[float]], name: str, call):
    started = time.perf_counter()
    result = call()
    samples.setdefault(name, []).append((time.perf_counter() - started) * 1000)
    return result


def engine_calls(environment, data: bytes, rounds: int) -> dict[str, list[float]]:
    """Each engine call of the upload path, alone, `rounds` times."""
    from services.common.identity import IdentifiedClusterRpcProxy as ClusterRpcProxy
    from minio.commonconfig import CopySource

    from services.common.settings import Settings
    from services.versioning.adapters.storage import ObjectStore
    from services.versioning.adapters.tika import Tika

    settings = Settings.from_config(environment.config())
    store = ObjectStore(settings.minio)
    tika = Tika(settings.tika_url, 30, settings.extraction.max_characters)
    samples: dict[str, list[float]] = {}
    with ClusterRpcProxy(environment.config(), timeout=30) as rpc:
        for _ in range(rounds):
            key = f"staging/{uuid.uuid4()}"
            timed(samples, "minio put (staging)", lambda: store.client.put_object(
                store.staging, key, io.BytesIO(data), length=-1, part_size=8 * 1024 * 1024))
            def read_once():   # size, first bytes and sha256 in one request
                with store.staged(key) as (size, chunks):
                    digest, head = hashlib.sha256(), b""
                    for chunk in chunks:
                        digest.update(chunk)
                        head = head or chunk[:settings.extraction.detect_bytes]
                return head
            head = timed(samples, "minio get + sha256 (one read)", read_once)
            timed(samples, "tika detect", lambda: tika.detect(head, "p.docx"))
            final = f"originals/probe/{uuid.uuid4()}/p.docx"
            timed(samples, "minio copy to versioned bucket", lambda: store.client.copy_object(
                store.bucket, final, CopySource(store.staging, key)))
            timed(samples, "minio remove (staging)", lambda: store.discard(key))
            timed(samples, "nameko RPC round trip (versioning.health)",
                  lambda: rpc.versioning.health())
    return samples


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--uploads", type=int, default=200)
    args = parser.parse_args()
    data = docx_bytes("Procedură de test", BODY)
    print(f"file: DOCX of {len(data)} bytes; machine: {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f}", flush=True)
    with running_procedura("u") as (environment, org):
        client = Client.login(environment.gateway, "ana.popescu",
                              password_of(org, "ana.popescu"))
        document = client.post("/api/documents", {
            "code": f"PO-DJ-{uuid.uuid4().int % 10**8:08d}", "title": "Procedură de test",
            "type": "PO", "owner_department": "DJ", "distribution": ["DJ"]})
        samples: dict[str, list[float]] = {}
        for i in range(10):   # warm up: connections, caches, Tika's parser list
            client.upload(document["id"], f"w{i}.docx", data, "", DOCX)
        # the request and the engine calls alternate in blocks, so both see the same load
        block = 20
        for start in range(0, args.uploads, block):
            for i in range(start, min(start + block, args.uploads)):
                timed(samples, "upload request (gateway, end to end)",
                      lambda: client.upload(document["id"], f"p{i}.docx", data, "", DOCX))
                timed(samples, "GET /api/documents/{id} (gateway + 1 RPC)",
                      lambda: client.get(f"/api/documents/{document['id']}"))
            for name, values in engine_calls(environment, data,
                                             min(block, args.uploads - start)).items():
                samples.setdefault(name, []).extend(values)
    print(f"load at the end {os.getloadavg()[0]:.1f}\n")
    print("| step | n | p50 ms | p95 ms | mean ms |")
    print("|---|---|---|---|---|")
    for name, values in samples.items():
        values.sort()
        print(f"| {name} | {len(values)} | {statistics.median(values):.1f} "
              f"| {values[int(0.95 * (len(values) - 1))]:.1f} "
              f"| {statistics.fmean(values):.1f} |")
    engine = ("minio put (staging)", "minio get + sha256 (one read)", "tika detect",
              "minio copy to versioned bucket", "minio remove (staging)")
    calls = sum(statistics.median(samples[n]) for n in engine)
    request = statistics.median(samples["upload request (gateway, end to end)"])
    print(f"\nsum of the engine calls' medians: {calls:.1f} ms of a {request:.1f} ms "
          f"request (median); the rest, {request - calls:.1f} ms, is Procedura's own work")
    return 0


if __name__ == "__main__":
    sys.exit(main())
