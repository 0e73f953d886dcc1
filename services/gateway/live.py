"""The live feed: `GET /api/feed/stream` (server-sent events).

Every gateway process receives every `notification_created` (a broadcast queue of its
own) and hands it to the streams of that person open on this process. A browser that
reconnects sends `Last-Event-ID` (the last item id it saw): the stream first replays what
it missed from the feed, then goes on live, so nothing is lost or shown twice.

That broadcast queue lives as long as the gateway's connection to RabbitMQ: when the
connection drops (the node it was on dies, a network cut), the queue goes with it, and
the items made until the gateway is subscribed again never reach it, while its streams
stay open. So each time the gateway consumes again, every open stream catches up from
the feed (the notifications service's table, where every item is committed before its
event leaves), sending what it had not sent.
"""
from __future__ import annotations

import json
import logging
from collections import defaultdict, deque
from typing import Callable

from eventlet.queue import Empty, LightQueue
from nameko.extensions import DependencyProvider, SharedExtension

from services.common.messaging.consumer import ReliableEventHandler

log = logging.getLogger(__name__)

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

    def catch_up(self) -> None:
        """Items may have been missed (the gateway was not subscribed): every open stream
        reads the feed again."""
        for queues in list(self.streams.values()):
            for queue in list(queues):
                queue.put(CATCH_UP)


# what a stream's queue is given, besides items, when it must read the feed again
CATCH_UP = object()


class LiveFeed(DependencyProvider):
    hub = StreamHub()

    def get_dependency(self, worker_ctx):
        return self.hub


class LiveFeedEvents(ReliableEventHandler):
    """Procedura's event handler for `notification_created` on the gateway: after each
    (re)connection to RabbitMQ, the open streams catch up (the module's docstring)."""

    hub = StreamHub()

    def consuming(self) -> None:
        self.hub.catch_up()


live_feed_events = LiveFeedEvents.decorator


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
        self._forgotten = 0     # the highest id forgotten

    def floor(self, after: int) -> int:
        """Where catching up starts for a stream that resumed at `after`: there, unless
        it has forgotten ids sent since (those would be sent again)."""
        return max(after, self._forgotten)

    def first_time(self, item_id: int) -> bool:
        """Whether `item_id` was not sent yet; from now on it is."""
        if item_id in self._ids:
            return False
        self._ids.add(item_id)
        self._order.append(item_id)
        if len(self._order) > self._keep:
            forgotten = self._order.popleft()
            self._ids.discard(forgotten)
            self._forgotten = max(self._forgotten, forgotten)
        return True


def stream(hub: StreamHub, username: str, queue: LightQueue, missed: list[dict], after: int,
           read_feed: Callable[[int], list[dict]], start: int | None = None):
    """The response body: what was missed since `after`, then live items (each once),
    with keep-alive comments. Whenever the hub says items may have been missed, the feed
    is read again above `start` (where the stream began: `after`, or the newest item
    when it opened; `read_feed(after)`: the person's items above `after`, oldest first,
    a page at a time: the notifications service's `feed_since`)."""
    start = after if start is None else start
    sent = SentIds()
    behind = False      # a catch-up to do (the last one failed: tried again on the tick)
    try:
        yield b"retry: 3000\n\n"
        for item in missed:
            sent.first_time(item["id"])
            yield sse(item)
        while True:
            if behind:
                try:
                    caught = read_since(read_feed, sent.floor(start))
                except Exception as exc:    # the service away: on the next tick
                    log.warning("live feed of %s: could not catch up (%s); trying again "
                                "in %d s", username, exc, KEEPALIVE_SECONDS)
                else:
                    behind = False
                    for item in caught:
                        if sent.first_time(item["id"]):
                            yield sse(item)
            try:
                item = queue.get(timeout=KEEPALIVE_SECONDS)
            except Empty:
                yield b": keep-alive\n\n"
                continue
            if item is CATCH_UP:
                behind = True
                continue
            # newer than where the stream resumed, and not sent yet (while catching up,
            # or live), whatever came before it
            if item["item_id"] > after and sent.first_time(item["item_id"]):
                yield sse(item)
    finally:
        hub.close(username, queue)


def read_since(read_feed: Callable[[int], list[dict]], after: int) -> list[dict]:
    """Every item above `after`, page after page (the service answers a page at most)."""
    items: list[dict] = []
    while page := read_feed(after):
        items += page
        after = page[-1]["id"]
    return items
