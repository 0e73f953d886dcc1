"""RPC round trip alone: nameko's answers (persistent, confirmed, serialised twice) against
Procedura's (services/common/messaging/unconfirmed.py: transient, unconfirmed, serialised
once), in one process on a vhost of its own of the running stack's RabbitMQ.

Two services answer the same method with the same answer (`--answer-bytes` of JSON, a
search answer is 4-18 KB): one with nameko's RPC consumer, one with Procedura's. The
operators' standalone proxy calls them in alternating blocks, so all see the same load:
`nameko` and `procedura` with nameko's requests (persistent, confirmed: a service's
calls), `gateway` Procedura's answers to the gateway's requests (unconfirmed).
Per call: round trip p50/p95, this process's CPU (the caller and the service both) and
RabbitMQ's CPU (its beam.smp, read from /proc) per call.

Run: `.venv/bin/python bench/rpc_round_trip.py --calls 2000`
     `--only nameko|procedura`: one kind only (to time whole processes against each other)
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nameko.runners import ServiceRunner  # noqa: E402

from devenv.environment import AMQP_PORT, TestEnvironment  # noqa: E402
from services.common.identity import IdentifiedClusterRpcProxy, IdentifiedRpc  # noqa: E402
from services.common.messaging.queues import TypedRpcConsumer  # noqa: E402
from services.common.messaging.unconfirmed import UnconfirmedServiceProxy  # noqa: E402

ANSWER: dict = {}


class NamekoAnswers(IdentifiedRpc):
    """Procedura's entrypoint with nameko's own consumer and Responder (before issue 18)."""
    rpc_consumer = TypedRpcConsumer()


class BenchNameko:
    name = "rpcbench_nameko"

    @NamekoAnswers.decorator
    def answer(self, n: int) -> dict:
        return ANSWER


class BenchProcedura:
    name = "rpcbench_procedura"

    @IdentifiedRpc.decorator
    def answer(self, n: int) -> dict:
        return ANSWER


def broker_pid() -> int | None:
    """The stack's RabbitMQ (its beam.smp listening on the stack's AMQP port)."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"beam.smp" in cmdline and f"{AMQP_PORT}".encode() in cmdline:
            return int(pid)
        if b"beam.smp" in cmdline and b".stack/rabbitmq" in cmdline and b"cluster" not in cmdline:
            return int(pid)
    return None


def cpu_of(pid: int | None) -> float:
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls of each kind")
    parser.add_argument("--block", type=int, default=100, help="calls per block")
    parser.add_argument("--answer-bytes", type=int, default=8000)
    parser.add_argument("--only", choices=["nameko", "procedura", "gateway"])
    args = parser.parse_args()
    ANSWER["hits"] = [{"title": "Procedura de lucru", "content": "x" * 80}
                      for _ in range(max(1, args.answer_bytes // 120))]

    env = TestEnvironment(f"rpcbench{os.getpid()}")
    env.create()
    config = env.config()
    runner = ServiceRunner(config)
    kinds = [args.only] if args.only else ["nameko", "procedura", "gateway"]
    runner.add_service(BenchNameko)
    runner.add_service(BenchProcedura)
    runner.start()
    broker = broker_pid()
    times = {kind: [] for kind in kinds}
    cpu = {kind: 0.0 for kind in kinds}
    broker_cpu = {kind: 0.0 for kind in kinds}
    try:
        cluster = IdentifiedClusterRpcProxy(config, timeout=30)
        with cluster as proxy:
            services = {"nameko": proxy.rpcbench_nameko, "procedura": proxy.rpcbench_procedura,
                        "gateway": UnconfirmedServiceProxy(
                            cluster._worker_ctx, "rpcbench_procedura", cluster._reply_listener,
                            user_id="procedura-admin")}
            for kind in kinds:                      # warm-up: connections, pools, JIT-less
                for i in range(50):
                    services[kind].answer(i)
            load = os.getloadavg()
            done = 0
            while done < args.calls:
                for kind in kinds:
                    service = services[kind]
                    c0, b0 = time.process_time(), cpu_of(broker)
                    for i in range(args.block):
                        t0 = time.perf_counter()
                        service.answer(i)
                        times[kind].append(time.perf_counter() - t0)
                    cpu[kind] += time.process_time() - c0
                    broker_cpu[kind] += cpu_of(broker) - b0
                done += args.block
    finally:
        runner.stop()
        env.destroy()
    print(f"load average at the start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, "
          f"at the end {' '.join(f'{v:.2f}' for v in os.getloadavg())}; "
          f"{done} calls of each kind in blocks of {args.block}, answer "
          f"{args.answer_bytes} bytes; RabbitMQ pid {broker}")
    print("| answers | round trip p50 ms | p95 ms | mean ms | this process's CPU per call ms "
          "| RabbitMQ CPU per call ms |")
    print("|---|---|---|---|---|---|")
    for kind in kinds:
        t = times[kind]
        print(f"| {kind} | {statistics.median(t) * 1000:.2f} | {percentile(t, 95) * 1000:.2f} "
              f"| {statistics.fmean(t) * 1000:.2f} | {cpu[kind] / len(t) * 1000:.3f} "
              f"| {broker_cpu[kind] / len(t) * 1000:.3f} |")


if __name__ == "__main__":
    main()
