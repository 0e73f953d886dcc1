"""Ingest benchmark: upload → searchable through Procedura, against the raw engines.

A generated corpus (bench/corpus.py: DOCX, ODT, text PDFs of 1-200 pages, image-only
PDFs; Romanian text, a unique token per file) is cut into one slice per concurrency
level; for each level the same slice goes
  raw:      straight to Tika (/rmeta/text, as the extraction worker does) with that many
            clients, then one bulk index of the texts into Elasticsearch (same analysis),
            refresh=wait_for once at the end;
  pipeline: uploaded through the gateway by that many clients at once (documents are
            registered beforehand, not timed), until every version is in the search
            index and visible (a watcher polls the index by version id every 100 ms).
Throughput is files / (last visible - first upload start); latency is upload start →
visible per file. Stages per file come from the versioning outbox: upload request
(client), relay of version_stored, extraction (queue wait + Tika + text to MinIO), and
indexing (relay of version_text_extracted + search service + Elasticsearch refresh).
Then one large file is uploaded while the RSS of every service process is sampled.

Services run as processes in an isolated environment (own vhost, database, buckets,
index), as in the end-to-end tests. Run:
  .venv/bin/python bench/ingest.py --files 2000 --concurrency 1 2 4 8 --big-mb 1024
"""
from __future__ import annotations

import argparse
import hashlib
import io
import os
import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg2
import requests
from elasticsearch import Elasticsearch, helpers

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import Item, generate  # noqa: E402
from bench.running import password_of, running_procedura  # noqa: E402
from devenv.running import Services  # noqa: E402
from procedura_cli.client import Client  # noqa: E402
from services.common.settings import Settings  # noqa: E402
from services.search.adapters.index import index_body  # noqa: E402
from services.versioning.adapters.storage import make_client  # noqa: E402

TIKA = "http://127.0.0.1:9998"
ES = "http://127.0.0.1:9200"
PROCESSES = ("gateway", "documents", "versioning", "extraction", "search")


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * len(values)) - 1))]


def tika_text(item: Item, attempts: int = 30) -> str:
    """The text Tika reads (as the extraction worker asks for it); a connection Tika
    drops or refuses (its watchdog restarting it: the stack's Tika is shared) is tried
    again, as the worker does."""
    for attempt in range(attempts):
        try:
            response = requests.put(f"{TIKA}/rmeta/text", data=item.data, timeout=300,
                                    headers={"Accept": "application/json",
                                             "Content-Type": item.media_type,
                                             "writeLimit": "2000000",
                                             # as the worker asks: scans are OCR'd by
                                             # the rendition worker, not in extraction
                                             "X-Tika-OCRskipOcr": "true"})
            break
        except requests.ConnectionError:
            if attempt == attempts - 1:
                raise
            time.sleep(2)
    response.raise_for_status()
    return "".join(d.get("X-TIKA:content", "") or "" for d in response.json())


def raw(items: list[Item], concurrency: int) -> dict:
    """Tika then a bulk index, no Procedura in between."""
    es = Elasticsearch(ES, request_timeout=300)
    index = f"bench-raw-{uuid.uuid4().hex[:6]}"
    es.indices.create(index=index, **index_body())
    tika_seconds: list[float] = []

    def extract(item: Item):
        started = time.perf_counter()
        text = tika_text(item)
        tika_seconds.append(time.perf_counter() - started)
        return {"_index": index, "_id": item.token, "_source": {
            "version_id": item.token, "content": text, "title": item.token,
            "code": item.token, "has_text": True}}

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        docs = list(pool.map(extract, items))
    tika_done = time.perf_counter()
    helpers.bulk(es, docs, refresh="wait_for")
    elapsed = time.perf_counter() - started
    es.indices.delete(index=index)
    return {"seconds": elapsed, "tika_seconds": tika_done - started,
            "index_seconds": elapsed - (tika_done - started),
            "tika_p50": statistics.median(tika_seconds)}


def raw_stored(items: list[Item], concurrency: int, environment) -> dict:
    """The pipeline's work without Procedura (issue 18's second baseline): per file the
    original put into MinIO, Tika, the text put into MinIO, one row into PostgreSQL
    (autocommit, a pooled connection per client); then one bulk index, refreshed once."""
    minio = make_client(Settings.from_config(environment.config()).minio)
    bucket = f"bench-raw2-{uuid.uuid4().hex[:6]}"
    minio.make_bucket(bucket)
    es = Elasticsearch(ES, request_timeout=300)
    index = f"bench-raw2-{uuid.uuid4().hex[:6]}"
    es.indices.create(index=index, **index_body())
    table = f"bench_raw2_{uuid.uuid4().hex[:6]}"
    with psycopg2.connect(environment.database_url) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE TABLE {table} (id text PRIMARY KEY, filename text, size int, "
                    f"sha256 text, characters int, stored_at timestamptz DEFAULT now())")
    conn.close()
    local = threading.local()

    def store(item: Item):
        if not hasattr(local, "conn"):
            local.conn = psycopg2.connect(environment.database_url)
            local.conn.autocommit = True
        minio.put_object(bucket, f"originals/{item.token}", io.BytesIO(item.data),
                         len(item.data), content_type=item.media_type)
        text = tika_text(item)
        data = text.encode()
        minio.put_object(bucket, f"texts/{item.token}.txt", io.BytesIO(data), len(data))
        with local.conn.cursor() as cur:
            cur.execute(f"INSERT INTO {table} (id, filename, size, sha256, characters) "
                        f"VALUES (%s, %s, %s, %s, %s)",
                        (item.token, item.filename, len(item.data),
                         hashlib.sha256(item.data).hexdigest(), len(text)))
        return {"_index": index, "_id": item.token, "_source": {
            "version_id": item.token, "content": text, "title": item.token,
            "code": item.token, "has_text": True}}

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        docs = list(pool.map(store, items))
    helpers.bulk(es, docs, refresh="wait_for")
    elapsed = time.perf_counter() - started
    es.indices.delete(index=index)
    for obj in minio.list_objects(bucket, recursive=True):
        minio.remove_object(bucket, obj.object_name)
    minio.remove_bucket(bucket)
    with psycopg2.connect(environment.database_url) as conn, conn.cursor() as cur:
        cur.execute(f"DROP TABLE {table}")
    conn.close()
    return {"seconds": elapsed}


class Watcher(threading.Thread):
    """Polls the environment's index for the versions uploaded; records when each shows.
    `elasticsearch`: one node's URL, or a cluster's, comma separated."""

    def __init__(self, index: str, elasticsearch: str = ES):
        super().__init__(daemon=True)
        self.es = Elasticsearch([url.strip() for url in elasticsearch.split(",")],
                                request_timeout=60)
        self.index = index
        self.waiting: dict[str, float] = {}
        self.seen: dict[str, float] = {}
        self.lock = threading.Lock()
        self.stopping = False

    def expect(self, version_id: str) -> None:
        with self.lock:
            self.waiting[version_id] = time.time()

    def run(self) -> None:
        while not self.stopping:
            with self.lock:
                ids = list(self.waiting)[:1000]
            if ids:
                hits = self.es.search(index=self.index, query={"ids": {"values": ids}},
                                      source=False, size=len(ids))["hits"]["hits"]
                now = time.time()
                with self.lock:
                    for hit in hits:
                        if self.waiting.pop(hit["_id"], None) is not None:
                            self.seen[hit["_id"]] = now
            time.sleep(0.1)


def stages(database_url: str, uploads: dict[str, tuple[float, float]],
           seen: dict[str, float]) -> dict[str, list[float]]:
    """Per-file seconds of each stage, from the versioning outbox's timestamps."""
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute("""SELECT payload->'data'->>'version_id', type,
                              extract(epoch FROM created_at), extract(epoch FROM published_at)
                       FROM versioning.outbox
                       WHERE payload->'data'->>'version_id' = ANY(%s)""", (list(uploads),))
        rows = cur.fetchall()
    conn.close()
    events: dict[str, dict] = {}
    for vid, kind, created, published in rows:
        events.setdefault(vid, {})[kind] = (float(created), float(published or created))
    result: dict[str, list[float]] = {"upload request": [], "relay version_stored": [],
                                      "extraction": [], "indexing": []}
    for vid, (started, finished) in uploads.items():
        found = events.get(vid, {})
        stored = found.get("version_stored")
        done = found.get("version_text_extracted") or found.get("version_extraction_failed")
        if not stored or not done or vid not in seen:
            continue
        result["upload request"].append(finished - started)
        result["relay version_stored"].append(stored[1] - stored[0])
        result["extraction"].append(done[0] - stored[1])
        result["indexing"].append(seen[vid] - done[0])
    return result


def pipeline(items: list[Item], documents: list[str], concurrency: int, environment,
             password: str, roots: dict[str, int] | None = None) -> dict:
    """The items uploaded to `documents` through the environment's gateway until every one
    is searchable; the CPU of `roots` (name: pid, default: processes(environment))."""
    watcher = Watcher(environment.index, environment.elasticsearch_url)
    watcher.start()
    uploads: dict[str, tuple[float, float]] = {}
    local = threading.local()

    def ingest(pair):
        item, document_id = pair
        if not hasattr(local, "client"):
            local.client = Client.login(environment.gateway, "ana.popescu", password)
        started = time.time()
        version = local.client.upload(document_id, item.filename, item.data, "",
                                      item.media_type)
        finished = time.time()
        uploads[version["id"]] = (started, finished)
        watcher.expect(version["id"])

    roots = roots or processes(environment)
    cpu_before, machine_before = cpu_seconds(roots), busy_seconds()
    started = time.time()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(ingest, zip(items, documents)))
    deadline = time.time() + 1800
    while len(watcher.seen) < len(items):
        if time.time() > deadline:
            raise TimeoutError(f"{len(items) - len(watcher.seen)} versions not visible")
        time.sleep(0.2)
    watcher.stopping = True
    cpu_after, machine_after = cpu_seconds(roots), busy_seconds()
    last = max(watcher.seen.values())
    latencies = [watcher.seen[v] - s for v, (s, _) in uploads.items()]
    busy = machine_after[0] - machine_before[0]
    return {"seconds": last - started, "p50": statistics.median(latencies),
            "p95": pct(latencies, 0.95),
            "stages": stages(environment.database_url, uploads, watcher.seen),
            "cpu": {name: (cpu_after[name] - cpu_before[name]) / len(items) * 1000
                    for name in roots},
            "busy": busy / (machine_after[1] - machine_before[1])}


def register_all(environment, password: str, count: int) -> list[str]:
    client = Client.login(environment.gateway, "ana.popescu", password)

    def one(i: int) -> str:
        return client.post("/api/documents", {
            "code": f"PO-DJ-{uuid.uuid4().int % 10**8:08d}", "title": f"Procedură de test {i}",
            "type": "PO", "owner_department": "DJ", "distribution": ["DJ"]})["id"]

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(one, range(count)))


def _stat_fields() -> dict[int, tuple[int, float]]:
    """(parent pid, CPU seconds used) of every process now."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    return found


def cpu_seconds(roots: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far by each named process and its descendants (the stack's
    engines run under wrappers: Tika's watchdog, Elasticsearch's launcher)."""
    table = _stat_fields()
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in table.items():
        children.setdefault(parent, []).append(pid)
    used = {}
    for name, root in roots.items():
        total, todo = 0.0, [root]
        while todo:
            pid = todo.pop()
            total += table.get(pid, (0, 0.0))[1]
            todo.extend(children.get(pid, ()))
        used[name] = total
    return used


def busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores."""
    tick = os.sysconf("SC_CLK_TCK")
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / tick, sum(values) / tick


def processes(environment) -> dict[str, int]:
    """The environment's service processes and the stack's engines, by name."""
    run_dir = Path(environment.env["PROCEDURA_RUN_DIR"])
    found = {name: int((run_dir / f"{name}.pid").read_text()) for name in PROCESSES}
    for engine in ("rabbitmq", "postgres", "minio", "elasticsearch", "tika"):
        pid_file = ROOT / ".stack" / "pids" / f"{engine}.pid"
        if pid_file.exists():
            found[engine] = int(pid_file.read_text().split()[0])
    return found


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def big_upload(environment, password: str, megabytes: int) -> dict:
    """Peak RSS of each service process while a `megabytes` MB text file is uploaded
    (chunked, streamed from disk) and then extracted."""
    run_dir = Path(environment.env["PROCEDURA_RUN_DIR"])
    pids = {name: int((run_dir / f"{name}.pid").read_text()) for name in PROCESSES}
    path = Path(f"/tmp/procedura-bench-{os.getpid()}.txt")
    line = ("Procedura operațională privind înregistrarea petițiilor și soluționarea lor "
            "în termenul legal de 30 de zile.\n").encode()
    block = line * (1024 * 1024 // len(line) + 1)
    with open(path, "wb") as handle:
        for _ in range(megabytes):
            handle.write(block[:1024 * 1024])
    # logged in and the document registered before the baseline: a log-in verifies a
    # password with argon2id, whose 64 MiB of memory cost is the documents service's for
    # a moment (the 64 MB "growth during the upload" of the runs before issue 18)
    client = Client.login(environment.gateway, "ana.popescu", password)
    document = register_all(environment, password, 1)[0]
    time.sleep(1)
    baseline = {n: rss_kb(p) for n, p in pids.items()}
    peaks = dict(baseline)
    sampling = True

    def sample():
        while sampling:
            for name, pid in pids.items():
                peaks[name] = max(peaks[name], rss_kb(pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    boundary = uuid.uuid4().hex

    def body():
        yield (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
               f'filename="mare.txt"\r\nContent-Type: text/plain\r\n\r\n').encode()
        with open(path, "rb") as handle:
            while chunk := handle.read(1024 * 1024):
                yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    started = time.time()
    response = client.session.post(
        f"{environment.gateway}/api/documents/{document}/versions", data=body(), timeout=3600,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    uploaded = time.time() - started
    upload_peaks = dict(peaks)
    result = {"status": response.status_code, "upload_seconds": uploaded}
    if response.status_code == 201:
        version = response.json()
        deadline = time.time() + 1200
        while time.time() < deadline:
            state = client.get(f"/api/versions/{version['id']}")["extraction"]
            if state["status"] != "pending":
                break
            time.sleep(1)
        result["extraction"] = state
        result["settled_seconds"] = time.time() - started
    sampling = False
    sampler.join()
    path.unlink()
    result["rss"] = {n: {"baseline_mb": baseline[n] / 1024,
                         "upload_growth_mb": (upload_peaks[n] - baseline[n]) / 1024,
                         "growth_mb": (peaks[n] - baseline[n]) / 1024} for n in pids}
    return result


def throughput(items: list[Item], levels: list[int], environment, password: str) -> None:
    """One slice of the corpus per level: raw, then pipeline; a table and the stages."""
    per_level = len(items) // len(levels)
    documents = register_all(environment, password, per_level * len(levels))
    print("| concurrency | files | MB | raw files/s | raw stored files/s | pipeline files/s "
          "| pipeline MB/s | pipeline/raw | pipeline/raw stored | upload→searchable p50 "
          "| p95 | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|", flush=True)
    all_stages: dict[int, dict] = {}
    raws: dict[int, dict] = {}
    cpu: dict[int, dict] = {}
    busy: dict[int, float] = {}
    for n, level in enumerate(levels):
        chunk = items[n * per_level:(n + 1) * per_level]
        megabytes = sum(len(i.data) for i in chunk) / 1e6
        r = raw(chunk, level)
        stored = raw_stored(chunk, level, environment)
        load = os.getloadavg()[0]
        p = pipeline(chunk, documents[n * per_level:(n + 1) * per_level], level,
                     environment, password)
        raws[level], all_stages[level] = r, p["stages"]
        cpu[level], busy[level] = p["cpu"], p["busy"]
        print(f"| {level} | {len(chunk)} | {megabytes:.1f} | {len(chunk) / r['seconds']:.2f} "
              f"| {len(chunk) / stored['seconds']:.2f} "
              f"| {len(chunk) / p['seconds']:.2f} | {megabytes / p['seconds']:.2f} "
              f"| {r['seconds'] / p['seconds']:.2f} "
              f"| {stored['seconds'] / p['seconds']:.2f} | {p['p50']:.2f} s "
              f"| {p['p95']:.2f} s | {load:.1f} |", flush=True)
    names = list(next(iter(all_stages.values())).keys())
    print("\nStages (seconds per file, p50 / p95 / sum over files):")
    print("| concurrency | raw Tika p50 | " + " | ".join(names) + " |")
    print("|---|---|" + "---|" * len(names))
    for level, found in all_stages.items():
        cells = [f"{statistics.median(v):.3f} / {pct(v, 0.95):.3f} / {sum(v):.0f}"
                 if v else "-" for v in found.values()]
        print(f"| {level} | {raws[level]['tika_p50']:.3f} | " + " | ".join(cells) + " |")
    names = list(next(iter(cpu.values())).keys())
    print("\nCPU per file during the pipeline (ms of CPU, process and its children), and how "
          "busy the machine's cores were:")
    print("| concurrency | " + " | ".join(names) + " | services | all | cores busy |")
    print("|---|" + "---|" * (len(names) + 3))
    for level, used in cpu.items():
        print(f"| {level} | " + " | ".join(f"{used[n]:.1f}" for n in names)
              + f" | {sum(used[n] for n in PROCESSES):.1f} | {sum(used.values()):.1f}"
              + f" | {busy[level]:.0%} |")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=2000, help="0: only the large upload")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--big-mb", type=int, default=1024,
                        help="size of the large upload for the memory figures (0: none)")
    parser.add_argument("--rpc-timeout", type=float, default=120,
                        help="the services' RPC deadline (s): storing a 1 GB file hashes "
                             "and copies it inside one RPC")
    parser.add_argument("--with-renditions", action="store_true",
                        help="keep the rendition worker running: its previews (LibreOffice) "
                             "and OCR (Tesseract) come after a file is searchable and have "
                             "their own benchmarks; on two cores they would take the cores "
                             "the path to searchable is measured on")
    args = parser.parse_args()

    t0 = time.time()
    items = generate(args.files)
    if items:
        size = sum(len(i.data) for i in items) / 1e6
        kinds = {k: sum(1 for i in items if i.kind == k) for k in ("docx", "odt", "pdf", "scan")}
        print(f"corpus: {len(items)} files, {size:.1f} MB, {kinds}, pages 1-"
              f"{max(i.pages for i in items)}, generated in {time.time() - t0:.0f} s; "
              f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}", flush=True)
    with running_procedura("b", upload_limit=max(2 * args.big_mb, 100) * 1024 * 1024,
                           env={"PROCEDURA_RPC_TIMEOUT": str(args.rpc_timeout)}) \
            as (environment, org):
        password = password_of(org, "ana.popescu")
        if not args.with_renditions:
            Services(environment).stop("renditions")
        print(f"rendition worker: {'running' if args.with_renditions else 'stopped'}",
              flush=True)
        if items:
            throughput(items, args.concurrency, environment, password)
        if args.big_mb:
            big = big_upload(environment, password, args.big_mb)
            print(f"\nLarge upload: {args.big_mb} MB text file, chunked, answer "
                  f"{big['status']} after {big['upload_seconds']:.1f} s; extraction "
                  f"{big.get('extraction')} after {big.get('settled_seconds', 0):.1f} s; "
                  f"load {os.getloadavg()[0]:.1f}")
            print("| process | RSS before | growth during the upload | growth until extracted |")
            print("|---|---|---|---|")
            for name, figures in big["rss"].items():
                print(f"| {name} | {figures['baseline_mb']:.0f} MB "
                      f"| {figures['upload_growth_mb']:.1f} MB | {figures['growth_mb']:.1f} MB |")
    print(f"\ntotal {time.time() - t0:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
