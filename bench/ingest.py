"""Ingest benchmark: upload → searchable through Procedura, against the raw engines.

For each concurrency level the same generated DOCX files are
  raw:      sent straight to Tika (/rmeta/text, as the extraction worker does) and the
            texts indexed straight into Elasticsearch (same analysis plugin), and
  pipeline: registered and uploaded through the gateway, timed until a search for the
            file's unique token finds it (MinIO, Tika, outbox, RabbitMQ, the search
            service and Elasticsearch all on the way).
Services run as processes in an isolated environment (own vhost, database, buckets,
index), as in the end-to-end tests. Run: `.venv/bin/python bench/ingest.py --files 40`.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from elasticsearch import Elasticsearch, helpers

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.running import password_of, running_procedura  # noqa: E402
from procedura_cli.client import Client  # noqa: E402
from procedura_cli.demo import DEMO  # noqa: E402
from procedura_cli.docgen import docx_bytes, parse_procedure  # noqa: E402
from services.search.adapters.index import index_body  # noqa: E402

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TIKA = "http://127.0.0.1:9998"
ES = "http://127.0.0.1:9200"


def corpus(count: int, seed: int = 7) -> list[tuple[str, bytes]]:
    """DOCX files of 1-20 demo-procedure bodies each, every one with a unique token."""
    rng = random.Random(seed)
    bodies = [parse_procedure(p).body for p in sorted((DEMO / "procedures").glob("*.md"))]
    files = []
    for i in range(count):
        token = f"jeton{uuid.uuid4().hex[:10]}"
        parts = [rng.choice(bodies) for _ in range(rng.randint(1, 20))]
        files.append((token, docx_bytes(f"Doc {i}", f"# Document {i} {token}\n\n"
                                                      + "\n\n".join(parts))))
    return files


def raw(files, concurrency: int) -> dict:
    """Tika then a bulk index, no Procedura in between."""
    es = Elasticsearch(ES, request_timeout=120)
    index = f"bench-raw-{uuid.uuid4().hex[:6]}"
    es.indices.create(index=index, **index_body())

    def extract(item):
        token, data = item
        response = requests.put(f"{TIKA}/rmeta/text", data=data, timeout=300, headers={
            "Accept": "application/json", "Content-Type": DOCX})
        response.raise_for_status()
        text = "".join(d.get("X-TIKA:content", "") for d in response.json())
        return {"_index": index, "_id": token, "_source": {
            "version_id": token, "content": text, "title": token, "code": token}}

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        docs = list(pool.map(extract, files))
    helpers.bulk(es, docs, refresh="wait_for")
    elapsed = time.perf_counter() - started
    es.indices.delete(index=index)
    return {"seconds": elapsed}


def pipeline(files, concurrency: int, gateway: str, password: str) -> dict:
    latencies: list[float] = []
    uploads: list[float] = []

    def ingest(item):
        token, data = item
        client = Client.login(gateway, "ana.popescu", password)
        document = client.post("/api/documents", {
            "code": f"PO-DJ-{uuid.uuid4().int % 10**8:08d}", "title": f"Bench {token}",
            "type": "PO",
            "owner_department": "DJ", "distribution": ["DJ"]})
        started = time.perf_counter()
        client.upload(document["id"], f"{token}.docx", data, "", DOCX)
        uploads.append(time.perf_counter() - started)
        while not client.get("/api/search", q=token, scope="work")["total"]:  # a draft
            if time.perf_counter() - started > 300:
                raise TimeoutError(f"{token} not searchable after 300 s")
            time.sleep(0.05)
        latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(ingest, files))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {"seconds": elapsed, "p50": statistics.median(latencies),
            "p95": latencies[max(0, int(len(latencies) * 0.95) - 1)],
            "upload_p50": statistics.median(uploads)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()

    with running_procedura("b") as (environment, org):
        password = password_of(org, "ana.popescu")
        files = corpus(args.files)
        megabytes = sum(len(d) for _, d in files) / 1e6
        print(f"{len(files)} DOCX files, {megabytes:.1f} MB; machine: {os.cpu_count()} cores")
        print("| concurrency | raw files/s | pipeline files/s | pipeline/raw | pipeline MB/s "
              "| upload→searchable p50 | p95 | upload request p50 |")
        print("|---|---|---|---|---|---|---|---|")
        for level in args.concurrency:
            r = raw(files, level)
            p = pipeline(corpus(args.files), level, environment.gateway, password)
            print(f"| {level} | {len(files) / r['seconds']:.2f} | {len(files) / p['seconds']:.2f} "
                  f"| {r['seconds'] / p['seconds']:.2f} | {megabytes / p['seconds']:.2f} "
                  f"| {p['p50']:.2f} s | {p['p95']:.2f} s | {p['upload_p50']:.2f} s |",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
