"""A plain AMQP subscriber of another system of the city hall, as its own process (the
fault run's test process is busy; a subscriber is a program of its own anyway): the
subscriber user, a durable queue `subscriber.*` bound to Procedura's exchanges, every
delivery appended to a file as a JSON line {"at", "id", "type"} (copies included) before
it is acked, reconnecting through the next node of its URI when its node dies.

    python -m tests.cluster.subscriber --url 'amqp://...;amqp://...' --queue subscriber.x \\
        --queue-type quorum --bind documents.events --bind versioning.events --out FILE
"""
from __future__ import annotations

import argparse
import json
import signal
import socket
import sys
import time

from kombu import Connection, Exchange, Queue

running = True


def stop(*_):
    global running
    running = False


def consume(url: str, queue: Queue, exchanges: list[str], out) -> None:
    with Connection(url, heartbeat=10) as conn:
        conn.ensure_connection(max_retries=3)
        channel = conn.default_channel
        bound = queue(channel)
        bound.declare()
        for name in exchanges:
            bound.bind_to(Exchange(name, type="topic", durable=True, channel=channel),
                          routing_key="#")
        print(f"bound {queue.name}", file=sys.stderr, flush=True)

        def on_message(body, message):
            event = json.loads(body) if isinstance(body, (str, bytes)) else body
            out.write(json.dumps({"at": time.time(), "id": event["id"],
                                  "type": event["type"]}) + "\n")
            out.flush()
            message.ack()

        with conn.Consumer(queue, callbacks=[on_message], accept=["json"]):
            while running:
                try:
                    conn.drain_events(timeout=1)
                except socket.timeout:
                    conn.heartbeat_check()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--queue", required=True)
    parser.add_argument("--queue-type", default="classic")
    parser.add_argument("--bind", action="append", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, stop)
    arguments = {"x-queue-type": "quorum"} if args.queue_type == "quorum" else {}
    queue = Queue(args.queue, durable=True, queue_arguments=arguments)
    reconnections = 0
    with open(args.out, "a", encoding="utf-8") as out:
        while running:
            try:
                consume(args.url.replace("pyamqp://", "amqp://"), queue, args.bind, out)
            except Exception as exc:   # its node died: the next of the URI
                reconnections += 1
                print(f"reconnecting ({type(exc).__name__}: {exc})", file=sys.stderr,
                      flush=True)
                time.sleep(1)
    print(json.dumps({"reconnections": reconnections}), file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
