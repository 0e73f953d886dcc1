#!/usr/bin/env python3
"""Follow Procedura's events from another system of the city hall, with plain AMQP.

Needs only kombu (`pip install kombu`); no nameko, no Procedura code. Binds a durable
queue of YOUR system to Procedura's topic exchanges, handles each event once (dedupe by
`id`: delivery is at least once), acks after handling, and sets garbage aside instead
of looping on it.

    python examples/subscriber.py --url amqp://procedura-subscriber:PASSWORD@rabbitmq:5672/ \\
        --queue subscriber.registratura --bind documents.events:version_approved \\
        --bind documents.events:version_in_force

Procedura gives other systems a read-only RabbitMQ user (locally `procedura-subscriber`,
its password in .stack/secrets.env as PROCEDURA_AMQP_SUBSCRIBER_PASSWORD): it may declare
queues named `subscriber.*`, bind them to the `*.events` exchanges and consume them, and
nothing else (it cannot publish anywhere, nor read Procedura's own queues).

Prints one JSON line per event: {"id", "type", "subject", "code", "status", ...}.
`--count N` stops after N events (what the test of this example uses).
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import sys
from collections import OrderedDict

from kombu import Connection, Exchange, Queue

ENVELOPE = ("id", "type", "source", "time", "subject", "schema_version", "data")


class SeenIds:
    """The ids already handled. Keep them in your own database in production, in the
    same transaction as what you do with the event; this one only remembers the last
    `size` in memory."""

    def __init__(self, size: int = 100_000):
        self.size, self.ids = size, OrderedDict()

    def first_time(self, event_id: str) -> bool:
        if event_id in self.ids:
            return False
        self.ids[event_id] = True
        if len(self.ids) > self.size:
            self.ids.popitem(last=False)
        return True


def handle(event: dict) -> dict:
    """What your system does with an event; here: a summary line."""
    data = event.get("data") or {}
    return {"id": event["id"], "type": event["type"], "subject": event["subject"],
            "schema_version": event["schema_version"],
            **{k: data[k] for k in ("code", "title", "status", "registry_number",
                                    "effective_date") if k in data}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("PROCEDURA_SUBSCRIBER_AMQP_URI"),
                        required="PROCEDURA_SUBSCRIBER_AMQP_URI" not in os.environ,
                        help="amqp://USER:PASSWORD@HOST:5672/VHOST (or the environment's "
                             "PROCEDURA_SUBSCRIBER_AMQP_URI)")
    parser.add_argument("--queue", default="subscriber.registratura",
                        help="a name your broker user may declare (subscriber.*)")
    parser.add_argument("--bind", action="append", metavar="EXCHANGE:ROUTING_KEY",
                        help="e.g. documents.events:version_approved, "
                             "documents.events:# for every document event")
    parser.add_argument("--count", type=int, default=0, help="stop after N events")
    args = parser.parse_args(argv)
    bindings = args.bind or ["documents.events:version_approved"]

    seen, handled = SeenIds(), 0
    # pyamqp:// is kombu's name for amqp://
    with Connection(args.url.replace("pyamqp://", "amqp://", 1), heartbeat=30) as conn:
        channel = conn.channel()
        queue = Queue(args.queue, durable=True, channel=channel)
        queue.declare()
        for binding in bindings:
            exchange_name, _, routing_key = binding.partition(":")
            exchange = Exchange(exchange_name, type="topic", durable=True, channel=channel)
            # Procedura's services declare their exchanges; a subscriber only checks
            exchange.declare(passive=True)
            queue.bind_to(exchange, routing_key=routing_key or "#")

        def on_message(body, message):
            nonlocal handled
            try:
                event = json.loads(body) if isinstance(body, (str, bytes)) else body
                if not isinstance(event, dict) or not set(ENVELOPE) <= set(event):
                    raise ValueError("not a Procedura event envelope")
            except ValueError as exc:
                print(f"set aside: {exc}", file=sys.stderr)
                message.reject(requeue=False)   # or to a dead-letter queue of yours
                return
            if seen.first_time(event["id"]):
                print(json.dumps(handle(event), ensure_ascii=False), flush=True)
                handled += 1
            message.ack()

        print(f"listening on {args.queue} ({', '.join(bindings)})", file=sys.stderr,
              flush=True)
        with conn.Consumer(queue, callbacks=[on_message], accept=["json"],
                           on_decode_error=lambda m, e: (print(f"set aside: {e}",
                                                               file=sys.stderr),
                                                         m.reject(requeue=False))):
            while not args.count or handled < args.count:
                try:
                    conn.drain_events(timeout=5)
                except socket.timeout:
                    conn.heartbeat_check()
    return 0


if __name__ == "__main__":
    sys.exit(main())
