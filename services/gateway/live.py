"""The live feed: `GET /api/feed/stream` (server-sent events).

Every gateway process receives every `notification_created` (a broadcast queue of its
own) and hands it to the streams of that person open on this process. A browser that
reconnects sends `Last-Event-ID` (the last item id it saw): the stream first replays what
it missed from the feed, then goes on live, so nothing is lost or shown twice.
"""
from __future__ import annotations

import json
from collections import defaultdict

from eventlet.queue import Empty, LightQueue
from nameko.extensions import DependencyProvider, SharedExtension

KEEPALIVE_SECONDS = 15


class StreamHub(SharedExtension):
    def setup(self):
        self.streams: defaultdict[str, set[LightQueue]] = defaultdict(set)

    def open(self, username: str) -> LightQueue:
        queue = LightQueue()
        self.streams[username].add(queue)
        return queue

    def close(self, username: str, queue: LightQueue) -> None:
        self.streams[username].discard(queue)
        if not self.streams[username]:
            del self.streams[username]

    def publish(self, item: dict) -> None:
        for queue in list(self.streams.get(item["username"], ())):
            queue.put(item)


class LiveFeed(DependencyProvider):
    hub = StreamHub()

    def get_dependency(self, worker_ctx):
        return self.hub


def sse(item: dict) -> bytes:
    """One server-sent event; its id is the feed item's, for Last-Event-ID."""
    body = {k: item[k] for k in ("kind", "document_id", "version_id", "code", "title",
                                 "message", "created_at") if k in item}
    body["id"] = item.get("id", item.get("item_id"))
    return (f"id: {body['id']}\nevent: notification\n"
            f"data: {json.dumps(body, ensure_ascii=False, default=str)}\n\n").encode("utf-8")


def stream(hub: StreamHub, username: str, queue: LightQueue, missed: list[dict], after: int):
    """The response body: what was missed, then live items, with keep-alive comments."""
    try:
        yield b"retry: 3000\n\n"
        for item in missed:
            after = max(after, item["id"])
            yield sse(item)
        while True:
            try:
                item = queue.get(timeout=KEEPALIVE_SECONDS)
            except Empty:
                yield b": keep-alive\n\n"
                continue
            if item["item_id"] > after:   # not already sent while catching up
                after = item["item_id"]
                yield sse(item)
    finally:
        hub.close(username, queue)
