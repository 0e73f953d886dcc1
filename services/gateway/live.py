"""The live feed: `GET /api/feed/stream` (server-sent events).

Every gateway process receives every `notification_created` (a broadcast queue of its
own) and hands it to the streams of that person open on this process. Each event's `id:`
is a resume token (services/gateway/resume.py: the ids sent above a floor), which a
browser that reconnects sends back as `Last-Event-ID`: the stream first replays what it
was owed from the feed, then goes on live, so nothing is lost or shown twice, though
items commit out of the order they are numbered in. The stream's first frame carries the
token of where it starts, before any event (`opening`), so a browser whose gateway dies
before it was sent anything still resumes from there.

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
from collections import defaultdict
from typing import Callable

from eventlet.queue import Empty, LightQueue
from nameko.extensions import DependencyProvider, SharedExtension

from services.common.messaging.consumer import ReliableEventHandler
from services.gateway.resume import ResumePoint, SentIds

log = logging.getLogger(__name__)

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


def sse(item: dict, resume: ResumePoint) -> bytes:
    """One server-sent event: its `id:` is where a stream resumes after it (the token
    Last-Event-ID brings back), the body's `id` the feed item's."""
    body = {k: item[k] for k in ("kind", "document_id", "version_id", "code", "title",
                                 "message", "created_at") if k in item}
    body["id"] = item.get("id", item.get("item_id"))
    return (f"id: {resume.token()}\nevent: notification\n"
            f"data: {json.dumps(body, ensure_ascii=False, default=str)}\n\n").encode("utf-8")


def opening(start: ResumePoint) -> bytes:
    """A stream's first frame: the browser's reconnection time, and the token of where the
    stream starts. A frame with an `id:` and no `data:` sets the EventSource's last event
    ID without dispatching an event (HTML standard, server-sent events, "dispatch the
    event": step 1 sets the last event ID string from the buffer, step 2 returns when the
    data buffer is empty), so the browser's next connection sends it as Last-Event-ID:
    a fresh stream whose gateway dies before sending anything resumes where it began, not
    above the newest item then (an item numbered below it may commit later). For a
    resumed stream it is the point it resumed from: the same meaning."""
    return f"retry: 3000\nid: {start.token()}\n\n".encode("ascii")


def stream(hub: StreamHub, username: str, queue: LightQueue, missed: list[dict],
           resumed: ResumePoint, read_feed: Callable[[int], list[dict]]):
    """The response body: the opening frame (where the stream starts: `resumed`, given
    back or, for a fresh stream, the feed at open), what `resumed` owes of `missed` (the
    feed above its floor), then live items (each once), with keep-alive comments.
    Whenever the hub says items may have been missed, the feed is read again above the
    floor, sending what `resumed` owes and was not sent yet (`read_feed(after)`: the
    person's items above `after`, oldest first, a page at a time: the notifications
    service's `feed_since`)."""
    start = resumed.floor
    sent = SentIds(start, resumed.sent)
    behind = False      # a catch-up to do (the last one failed: tried again on the tick)
    try:
        yield opening(sent.resume_point())
        for item in missed:
            if sent.first_time(item["id"]):
                yield sse(item, sent.resume_point())
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
                            yield sse(item, sent.resume_point())
            try:
                item = queue.get(timeout=KEEPALIVE_SECONDS)
            except Empty:
                yield b": keep-alive\n\n"
                continue
            if item is CATCH_UP:
                behind = True
                continue
            # above where the stream resumed, and not sent yet (before it resumed, while
            # catching up, or live), whatever came before it
            if item["item_id"] > resumed.floor and sent.first_time(item["item_id"]):
                yield sse(item, sent.resume_point())
    finally:
        hub.close(username, queue)


def read_since(read_feed: Callable[[int], list[dict]], after: int) -> list[dict]:
    """Every item above `after`, page after page (the service answers a page at most)."""
    items: list[dict] = []
    while page := read_feed(after):
        items += page
        after = page[-1]["id"]
    return items
