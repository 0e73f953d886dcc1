"""The live feed: `GET /api/feed/stream` (server-sent events).

Every gateway process receives every `notification_created` (a broadcast queue of its
own) and hands it to the streams of that person open on this process. A browser that
reconnects sends `Last-Event-ID` (the last item id it saw): the stream first replays what
it missed from the feed, then goes on live, so nothing is lost or shown twice.
"""
from __future__ import annotations

import json
from collections import defaultdict, deque

from eventlet.queue import Empty, LightQueue
from nameko.extensions import DependencyProvider, SharedExtension

KEEPALIVE_SECONDS = 15
# how many of the newest ids a stream remembers having sent
REMEMBERED_IDS = 1000


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


class SentIds:
    """The ids a stream has sent, the newest REMEMBERED_IDS of them. Items are numbered
    when they are written, but several notifications processes commit them in any order,
    so an item below the newest id sent may still be new: each id is checked, not the
    highest one."""

    def __init__(self, keep: int = REMEMBERED_IDS):
        self._ids: set[int] = set()
        self._order: deque[int] = deque()
        self._keep = keep

    def first_time(self, item_id: int) -> bool:
        """Whether `item_id` was not sent yet; from now on it is."""
        if item_id in self._ids:
            return False
        self._ids.add(item_id)
        self._order.append(item_id)
        if len(self._order) > self._keep:
            self._ids.discard(self._order.popleft())
        return True


def stream(hub: StreamHub, username: str, queue: LightQueue, missed: list[dict], after: int):
    """The response body: what was missed since `after`, then live items (each once),
    with keep-alive comments."""
    sent = SentIds()
    try:
        yield b"retry: 3000\n\n"
        for item in missed:
            sent.first_time(item["id"])
            yield sse(item)
        while True:
            try:
                item = queue.get(timeout=KEEPALIVE_SECONDS)
            except Empty:
                yield b": keep-alive\n\n"
                continue
            # newer than where the stream resumed, and not sent yet (while catching up,
            # or live), whatever came before it
            if item["item_id"] > after and sent.first_time(item["item_id"]):
                yield sse(item)
    finally:
        hub.close(username, queue)
