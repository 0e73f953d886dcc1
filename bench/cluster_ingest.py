"""Ingest on the clustered stack beside the single-node one, on the same machine (issue 19).

bench/ingest.py's pipeline measurement (uploads through the gateway until each version is
searchable: files/s, upload→searchable p50/p95, CPU per file of every process and how busy
the cores were), the same generated files at the same concurrency, against
  single-node: the dev stack's engines (scripts/stack.sh: one RabbitMQ, PostgreSQL,
               MinIO, Elasticsearch), one process of every service (scripts/services.sh),
               the shape `make up` runs (gateway 127.0.0.1:8080);
  clustered:   the clusters of scripts/cluster.sh (3 RabbitMQ nodes with quorum queues, a
               pg_auto_failover primary with its synchronous standby, 3 Elasticsearch
               nodes with an index of 3 shards x 1 replica, 4 MinIO servers x 2 drives
               behind their balancer), two processes of every service and two gateways
               behind HAProxy (scripts/cluster/services.sh), the shape
               `scripts/cluster.sh up all` runs (HAProxy 127.0.0.1:8380).
Tika is the dev stack's for both. Each stack gets an isolated environment of its own
(vhost, database, buckets, index, the demo organisation), as bench/ingest.py does, and
the rendition worker stopped in both: the running installations on :8080 and :8380 keep
their own data and their rendition workers, which a benchmark must not stop, and their
processes' CPU could not be told from other users'. Both run one after the other, the
single-node one first, each slice of the corpus (one per concurrency level) going to
both. Before each measurement the cores are watched for 10 s at rest (the other stack's
idle engines and processes are the machine's background).

Needs every cluster up (`PROCEDURA_STACK_DIR=$(readlink -f .stack) scripts/cluster.sh
up all`) and the dev stack (`make up`). A quiet machine: the figures are CPU-bound.
    .venv/bin/python bench/cluster_ingest.py --files 200 --concurrency 4
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import Item, generate  # noqa: E402
from bench.ingest import (PROCESSES, busy_seconds, pipeline, processes,  # noqa: E402
                          register_all)
from bench.running import (password_of, running_procedura,  # noqa: E402
                           running_procedura_on_clusters)
from devenv.cluster import Engines  # noqa: E402
from devenv.cluster_processes import COPIES  # noqa: E402
from devenv.running import Services  # noqa: E402

UPLOAD_LIMIT = 100 * 1024 * 1024        # as bench/ingest.py without its large upload
AT_REST_SECONDS = 10
# the CPU table's columns: Procedura's services (bench/ingest.py's), then the engines
KINDS = (*PROCESSES, "rabbitmq", "postgres", "minio", "elasticsearch", "tika", "haproxy")


def at_rest(seconds: float = AT_REST_SECONDS) -> float:
    """How busy the machine's cores are with nothing asked of the stack measured next."""
    before = busy_seconds()
    time.sleep(seconds)
    after = busy_seconds()
    return (after[0] - before[0]) / (after[1] - before[1])


def measure(stack: str, slices: list[list[Item]], levels: list[int], environment,
            password: str, roots: dict[str, int]) -> list[dict]:
    """Each slice uploaded at its level through the environment's gateway (bench/ingest.py's
    pipeline); documents registered beforehand, not timed."""
    documents = register_all(environment, password, sum(len(s) for s in slices))
    results, start = [], 0
    for chunk, level in zip(slices, levels):
        rest = at_rest()
        load = os.getloadavg()[0]
        p = pipeline(chunk, documents[start:start + len(chunk)], level, environment,
                     password, roots)
        start += len(chunk)
        cpu = {kind: sum(ms for name, ms in p["cpu"].items() if name.split("-")[0] == kind)
               for kind in KINDS}
        results.append({"stack": stack, "level": level, "files": len(chunk),
                        "megabytes": sum(len(i.data) for i in chunk) / 1e6,
                        "seconds": p["seconds"], "p50": p["p50"], "p95": p["p95"],
                        "cpu": cpu, "busy": p["busy"], "rest": rest, "load": load})
        print(f"  {stack}, concurrency {level}: {len(chunk) / p['seconds']:.2f} files/s, "
              f"load {load:.1f}", flush=True)
    return results


def single_node(slices, levels, rpc_timeout: float) -> list[dict]:
    with running_procedura("cs", upload_limit=UPLOAD_LIMIT,
                           env={"PROCEDURA_RPC_TIMEOUT": str(rpc_timeout)}) as (environment, org):
        Services(environment).stop("renditions")
        roots = processes(environment)
        print(f"single-node: {len(roots)} processes measured ({', '.join(roots)})", flush=True)
        return measure("single-node", slices, levels, environment,
                       password_of(org, "ana.popescu"), roots)


def clustered(engines: Engines, slices, levels, rpc_timeout: float) -> list[dict]:
    with running_procedura_on_clusters("cc", engines, upload_limit=UPLOAD_LIMIT,
                                       env={"PROCEDURA_RPC_TIMEOUT": str(rpc_timeout)}) \
            as (environment, org, running):
        for n in COPIES:
            running.stop("renditions", n)
        roots = {f"{name}-{n}": running.pid(name, n) for name in PROCESSES for n in COPIES}
        roots["haproxy-gateways"] = running.pid("haproxy", 1)
        roots |= engines.processes()
        tika = ROOT / ".stack" / "pids" / "tika.pid"
        roots["tika"] = int(tika.read_text().split()[0])
        # a stale pidfile would count a node's CPU as 0
        missing = [name for name, pid in roots.items()
                   if pid is None or not Path(f"/proc/{pid}").exists()]
        if missing:
            raise RuntimeError(f"not running: {', '.join(missing)}")
        print(f"clustered: {len(roots)} processes measured ({', '.join(roots)}); "
              f"gateway {environment.gateway}", flush=True)
        return measure("clustered", slices, levels, environment,
                       password_of(org, "ana.popescu"), roots)


def report(results: list[dict]) -> None:
    print("\n| stack | concurrency | files | MB | files/s | MB/s | upload→searchable p50 "
          "| p95 | CPU per file, all processes | services only | engines only | cores busy "
          "| cores busy at rest before | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        services = sum(r["cpu"][k] for k in PROCESSES)
        everything = sum(r["cpu"].values())
        print(f"| {r['stack']} | {r['level']} | {r['files']} | {r['megabytes']:.1f} "
              f"| {r['files'] / r['seconds']:.2f} | {r['megabytes'] / r['seconds']:.2f} "
              f"| {r['p50']:.2f} s | {r['p95']:.2f} s | {everything:.1f} ms "
              f"| {services:.1f} ms | {everything - services:.1f} ms | {r['busy']:.0%} "
              f"| {r['rest']:.0%} | {r['load']:.1f} |")
    print("\nCPU per file (ms, every process of a kind and its children: two of each "
          "service when clustered, every node of an engine; haproxy: the gateways' and "
          "MinIO's balancers):")
    print("| stack | concurrency | " + " | ".join(KINDS) + " |")
    print("|---|---|" + "---|" * len(KINDS))
    for r in results:
        print(f"| {r['stack']} | {r['level']} | "
              + " | ".join(f"{r['cpu'][k]:.1f}" for k in KINDS) + " |")
    for level in dict.fromkeys(r["level"] for r in results):
        one = next(r for r in results if r["level"] == level and r["stack"] == "single-node")
        many = next(r for r in results if r["level"] == level and r["stack"] == "clustered")
        print(f"\nconcurrency {level}: clustered / single-node: files/s "
              f"{one['seconds'] / many['seconds']:.2f}x, CPU per file "
              f"{sum(many['cpu'].values()) / sum(one['cpu'].values()):.2f}x, p50 "
              f"{many['p50'] / one['p50']:.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=200,
                        help="split into one slice per concurrency level; each slice goes "
                             "to both stacks")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[4])
    parser.add_argument("--rpc-timeout", type=float, default=120,
                        help="the services' RPC deadline (s), as bench/ingest.py")
    args = parser.parse_args()

    engines = Engines.found()
    if not engines.all_clustered:
        print(f"not every cluster is up ({engines.describe()}): run "
              "PROCEDURA_STACK_DIR=$(readlink -f .stack) scripts/cluster.sh up all",
              file=sys.stderr)
        return 2
    t0 = time.time()
    items = generate(args.files)
    per_level = len(items) // len(args.concurrency)
    slices = [items[n * per_level:(n + 1) * per_level] for n in range(len(args.concurrency))]
    kinds = {k: sum(1 for i in items if i.kind == k) for k in ("docx", "odt", "pdf", "scan")}
    print(f"corpus: {len(items)} files, {sum(len(i.data) for i in items) / 1e6:.1f} MB, "
          f"{kinds}, generated in {time.time() - t0:.0f} s; machine: {os.cpu_count()} "
          f"cores, load {' '.join(f'{x:.1f}' for x in os.getloadavg())}; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", flush=True)
    print(f"clustered engines: {engines.describe()}", flush=True)
    results = single_node(slices, args.concurrency, args.rpc_timeout)
    results += clustered(engines, slices, args.concurrency, args.rpc_timeout)
    report(results)
    print(f"\ntotal {time.time() - t0:.0f} s, load {' '.join(f'{x:.1f}' for x in os.getloadavg())}",
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
