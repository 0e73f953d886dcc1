"""RPC round trip alone: nameko's answers (persistent, confirmed, serialised twice) against
Procedura's (services/common/messaging/unconfirmed.py: transient, unconfirmed, serialised
once), in one process on a vhost of its own of the running stack's RabbitMQ.

Two services answer the same method with the same answer (`--answer-bytes` of JSON, a
search answer is 4-18 KB): one with nameko's RPC consumer, one with Procedura's. The
operators' standalone proxy calls them in alternating blocks, so all see the same load:
`nameko` and `procedura` with nameko's requests (persistent, confirmed: a service's
calls), `gateway` Procedura's answers to the gateway's requests (unconfirmed).
`timed`: the gateway's own caller, TimedRpcProxy (services/gateway/rpc.py) in a nameko
worker, its replies read by nameko's reply listener, as the gateway calls search;
`timed-acked`: the same with its replies acknowledged one by one (as before issue 18's
DeadlineReplyListener, as the services' calls to each other still are).
`timed-spawned`: the gateway's caller with each reply handed to the caller from a greenlet
spawned for it (nameko's QueueConsumer, as before InlineReplyConsumer).
`raw`: what the transport costs without nameko, a plain kombu request/reply echo on the
same vhost under eventlet (a consumer answering with the bytes of the same answer,
serialised once beforehand; the caller publishing and waiting on its reply queue).
Per call: round trip p50/p95, this process's CPU (the caller and the service both) and
RabbitMQ's CPU (its beam.smp, read from /proc) per call.

Run: `.venv/bin/python bench/rpc_round_trip.py --calls 2000`
     `--only KIND[,KIND]`: these kinds only (to time whole processes against each other)
     `--profile FILE`: cProfile of the timed calls (all greenlets), saved to FILE, the top
     functions by own time printed per call (best with one kind)
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import cProfile  # noqa: E402
import json  # noqa: E402
import pstats  # noqa: E402
import socket  # noqa: E402
import uuid  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kombu import Connection, Consumer, Exchange, Producer, Queue  # noqa: E402
from nameko.messaging import QueueConsumer  # noqa: E402
from nameko.rpc import ReplyListener  # noqa: E402
from nameko.runners import ServiceRunner  # noqa: E402
from nameko.testing.services import dummy, entrypoint_hook  # noqa: E402

from devenv.environment import AMQP_PORT, TestEnvironment  # noqa: E402
from services.common.identity import IdentifiedClusterRpcProxy, IdentifiedRpc  # noqa: E402
from services.common.messaging.queues import (  # noqa: E402
    DeadlineReplyListener, TransientReplyListener, TypedRpcConsumer)
from services.common.messaging.unconfirmed import UnconfirmedServiceProxy  # noqa: E402
from services.gateway.rpc import TRANSIENT, TimedRpcProxy  # noqa: E402

KINDS = ("raw", "nameko", "procedura", "gateway", "timed", "timed-acked", "timed-spawned")

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


class BenchGateway:
    """The gateway's way of calling: TimedRpcProxy, as `search` in services/gateway/service.py."""
    name = "rpcbench_gateway"

    target = TimedRpcProxy("rpcbench_procedura", delivery_mode=TRANSIENT)

    @dummy
    def block(self, calls: int) -> list[float]:
        times = []
        for i in range(calls):
            t0 = time.perf_counter()
            self.target.answer(i)
            times.append(time.perf_counter() - t0)
        return times


class AckedTimedRpcProxy(TimedRpcProxy):
    rpc_reply_listener = TransientReplyListener()


class BenchGatewayAcked(BenchGateway):
    """The gateway's caller with its replies acknowledged (before DeadlineReplyListener)."""
    name = "rpcbench_gateway_acked"

    target = AckedTimedRpcProxy("rpcbench_procedura", delivery_mode=TRANSIENT)


class SpawningReplyListener(DeadlineReplyListener):
    """Replies not acknowledged, each handed over from a greenlet spawned for it (nameko's
    QueueConsumer and handler: before InlineReplyConsumer)."""
    queue_consumer = QueueConsumer()
    handle_message = ReplyListener.handle_message


class SpawningTimedRpcProxy(TimedRpcProxy):
    rpc_reply_listener = SpawningReplyListener()


class BenchGatewaySpawned(BenchGateway):
    """The gateway's caller with its replies handed over in spawned greenlets."""
    name = "rpcbench_gateway_spawned"

    target = SpawningTimedRpcProxy("rpcbench_procedura", delivery_mode=TRANSIENT)


class RawEcho:
    """kombu alone: a consumer answering each request with the same bytes (the answer,
    serialised once), and a caller that publishes and waits on its own reply queue."""

    def __init__(self, amqp_uri: str, answer: bytes):
        self.body = answer
        self.exchange = Exchange("rawbench", type="direct", durable=False, auto_delete=True)
        self.requests = Queue(f"rawbench-{uuid.uuid4()}", self.exchange, routing_key="echo",
                              durable=False, auto_delete=True)
        self.reply_to = f"rawbench.reply-{uuid.uuid4()}"
        self.replies = Queue(self.reply_to, self.exchange, routing_key=self.reply_to,
                             durable=False, exclusive=True)
        self.server = Connection(amqp_uri)
        self.client = Connection(amqp_uri)
        self.stopping = False
        self.server_producer = Producer(self.server.channel(), exchange=self.exchange)
        Consumer(self.server.channel(), [self.requests], callbacks=[self._echo],
                 accept=["json"]).consume()
        self.client_producer = Producer(self.client.channel(), exchange=self.exchange)
        self.reply = None
        Consumer(self.client.channel(), [self.replies], callbacks=[self._replied],
                 accept=["json"], no_ack=True).consume()
        self.thread = eventlet.spawn(self._serve)

    def _serve(self):
        while not self.stopping:
            try:
                self.server.drain_events(timeout=1)
            except socket.timeout:
                pass

    def _echo(self, body, message):
        self.server_producer.publish(
            self.body, routing_key=message.properties["reply_to"],
            correlation_id=message.properties["correlation_id"],
            content_type="application/json", content_encoding="utf-8", delivery_mode=1)
        message.ack()

    def _replied(self, body, message):
        self.reply = message.properties["correlation_id"]

    def answer(self, n: int) -> None:
        correlation_id = str(uuid.uuid4())
        self.client_producer.publish({"args": [n], "kwargs": {}}, routing_key="echo",
                                     reply_to=self.reply_to, correlation_id=correlation_id,
                                     serializer="json", delivery_mode=1)
        while self.reply != correlation_id:
            self.client.drain_events(timeout=30)

    def close(self):
        self.stopping = True
        self.thread.wait()
        self.server.release()
        self.client.release()


def broker_pid() -> int | None:
    """The stack's RabbitMQ (its beam.smp listening on the stack's AMQP port)."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"beam.smp" in cmdline and f"{AMQP_PORT}".encode() in cmdline:
            return int(pid)
        # the single node's home, not a cluster node's (.stack/cluster/rabbitmq-N; the
        # stack's own directory may be named anything, "cluster" included)
        if b"beam.smp" in cmdline and b".stack/rabbitmq/" in cmdline:
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
    parser.add_argument("--only", help=f"comma-separated kinds among {', '.join(KINDS)}")
    parser.add_argument("--profile", help="cProfile the timed calls into this file")
    args = parser.parse_args()
    kinds = args.only.split(",") if args.only else list(KINDS)
    if set(kinds) - set(KINDS):
        parser.error(f"--only: kinds among {', '.join(KINDS)}")
    ANSWER["hits"] = [{"title": "Procedura de lucru", "content": "x" * 80}
                      for _ in range(max(1, args.answer_bytes // 120))]

    env = TestEnvironment(f"rpcbench{os.getpid()}")
    env.create()
    config = env.config()
    runner = ServiceRunner(config)
    runner.add_service(BenchNameko)
    runner.add_service(BenchProcedura)
    runner.add_service(BenchGateway)
    runner.add_service(BenchGatewayAcked)
    runner.add_service(BenchGatewaySpawned)
    runner.start()
    callers = {"timed": runner.service_map["rpcbench_gateway"],
               "timed-acked": runner.service_map["rpcbench_gateway_acked"],
               "timed-spawned": runner.service_map["rpcbench_gateway_spawned"]}
    raw = RawEcho(env.amqp_uri, json.dumps({"result": ANSWER, "error": None}).encode())
    profile = cProfile.Profile() if args.profile else None
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
                            user_id="procedura-admin"),
                        "raw": raw}
            for kind in kinds:                      # warm-up: connections, pools, JIT-less
                if kind in callers:
                    with entrypoint_hook(callers[kind], "block") as block:
                        block(50)
                    continue
                for i in range(50):
                    services[kind].answer(i)
            load = os.getloadavg()
            done = 0
            while done < args.calls:
                for kind in kinds:
                    c0, b0 = time.process_time(), cpu_of(broker)
                    if profile:
                        profile.enable()
                    if kind in callers:             # one gateway worker calling a block
                        with entrypoint_hook(callers[kind], "block") as block:
                            times[kind].extend(block(args.block))
                    else:
                        service = services[kind]
                        for i in range(args.block):
                            t0 = time.perf_counter()
                            service.answer(i)
                            times[kind].append(time.perf_counter() - t0)
                    if profile:
                        profile.disable()
                    cpu[kind] += time.process_time() - c0
                    broker_cpu[kind] += cpu_of(broker) - b0
                done += args.block
    finally:
        raw.close()
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
    if profile:
        profile.dump_stats(args.profile)
        calls = sum(len(t) for t in times.values())
        stats = pstats.Stats(profile)
        rows = sorted(stats.stats.items(), key=lambda item: -item[1][2])[:40]
        print(f"\nprofile ({args.profile}), ms per call of {calls}: own time, cumulative, "
              "calls per call")
        for (path, line, name), (_, ncalls, own, cumulative, _) in rows:
            where = f"{'/'.join(Path(path).parts[-2:])}:{line}({name})"
            print(f"{own / calls * 1000:7.3f} {cumulative / calls * 1000:7.3f} "
                  f"{ncalls / calls:6.1f}  {where}")


if __name__ == "__main__":
    main()
