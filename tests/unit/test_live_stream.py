"""The live feed's stream body (services/gateway/live.py): each item once, in the order
the items reach the gateway, though several notifications processes number and commit
them out of order; and the items the gateway missed while it was not subscribed, caught
up from the feed when it consumes again."""
from __future__ import annotations

import re

import pytest
from eventlet.queue import Empty

from services.common.messaging.consumer import GuardedQueueConsumer
from services.gateway import live
from services.gateway.live import LiveFeedEvents, StreamHub, read_since, stream
from services.gateway.resume import ResumePoint, SentIds


def _item(item_id: int) -> dict:
    return {"item_id": item_id, "username": "radu.munteanu", "kind": "approved",
            "message": f"item {item_id}", "created_at": "2026-12-07T10:00:00+02:00"}


def _ids(missed, after, live, events):
    hub = StreamHub()
    hub.setup()
    queue = hub.open("radu.munteanu")
    for item in live:
        hub.publish(item)
    body = stream(hub, "radu.munteanu", queue, missed, ResumePoint(after), lambda after: [])
    sent = _read(body, events)
    body.close()
    assert hub.streams == {}          # the stream's queue is gone with it
    return sent


def test_an_item_numbered_before_one_already_sent_is_still_sent():
    missed = [{**_item(5), "id": 5}, {**_item(6), "id": 6}]
    # 6 comes live too (it was caught up already); 8 is committed before 7
    assert _ids(missed, 4, [_item(6), _item(8), _item(7), _item(9)], 5) == [5, 6, 8, 7, 9]


def test_a_resumed_stream_sends_nothing_at_or_before_where_it_resumed():
    assert _ids([], 10, [_item(9), _item(10), _item(12), _item(11)], 2) == [12, 11]


def test_the_ids_remembered_are_the_newest_ones():
    sent = SentIds(keep=3)
    assert [sent.first_time(i) for i in (1, 2, 3, 2, 4)] == [True, True, True, False, True]
    assert sent.first_time(1) is True      # forgotten: only the newest three are kept
    assert sent.first_time(4) is False


class Feed:
    """The notifications service's feed_since over a person's items (ids), a page of 2."""

    def __init__(self, ids):
        self.ids, self.asked, self.failing = sorted(ids), [], 0

    def __call__(self, after):
        self.asked.append(after)
        if self.failing:
            self.failing -= 1
            raise ConnectionError("notifications did not answer")
        return [{**_item(i), "id": i} for i in self.ids if i > after][:2]


def _read(body, events):
    """The item ids of the next `events` events (their bodies' ids)."""
    sent = []
    while len(sent) < events:
        chunk = next(body).decode()
        sent += [int(i) for i in re.findall(r'^data: .*"id": (\d+)', chunk, re.M)]
    return sent


def test_after_the_gateway_consumes_again_a_stream_sends_what_it_missed_once():
    hub = StreamHub()
    hub.setup()
    queue = hub.open("radu.munteanu")
    # the stream resumed at 10; 11 and 14 came live; 12, 13 and 15 were made while the
    # gateway had no queue (its connection to RabbitMQ was cut), 16 came after
    feed = Feed([9, 11, 12, 13, 14, 15, 16])
    body = stream(hub, "radu.munteanu", queue, [], ResumePoint(10), feed)
    hub.publish(_item(11))
    hub.publish(_item(14))
    assert _read(body, 2) == [11, 14]
    hub.catch_up()
    hub.publish(_item(16))
    assert _read(body, 4) == [12, 13, 15, 16]   # 11 and 14 not again; 16 once
    assert feed.asked == [10, 12, 14, 16]        # page after page, from where it resumed
    body.close()
    assert hub.streams == {}


def test_a_fresh_stream_catches_up_what_was_not_in_the_feed_when_it_opened():
    hub = StreamHub()
    hub.setup()
    queue = hub.open("radu.munteanu")
    # opened on a feed of 3 and 7 (its newest items); 5, numbered before 7, commits after
    feed = Feed([3, 5, 7, 8])
    body = stream(hub, "radu.munteanu", queue, [],
                  ResumePoint.of_page([7, 3], whole_feed=False), feed)
    hub.catch_up()
    hub.publish(_item(9))
    assert _read(body, 3) == [5, 8, 9]
    assert feed.asked[0] == 3
    body.close()


def test_a_catch_up_that_fails_is_tried_again_on_the_next_tick(monkeypatch):
    monkeypatch.setattr(live, "KEEPALIVE_SECONDS", 0.05)
    hub = StreamHub()
    hub.setup()
    queue = hub.open("radu.munteanu")
    feed = Feed([5, 6])
    feed.failing = 1
    body = stream(hub, "radu.munteanu", queue, [], ResumePoint(4), feed)
    next(body)                       # retry: and where it starts
    hub.catch_up()
    assert next(body) == b": keep-alive\n\n"   # the feed did not answer
    assert _read(body, 2) == [5, 6]
    body.close()


def test_catching_up_starts_above_the_ids_a_stream_forgot():
    sent = SentIds(keep=2)
    for i in (11, 12, 15):
        sent.first_time(i)
    assert sent.floor(10) == 11 and SentIds().floor(10) == 10


def test_read_since_reads_every_page():
    assert [i["id"] for i in read_since(Feed([1, 2, 3, 4, 5]), 1)] == [2, 3, 4, 5]


class Handler:
    def __init__(self):
        self.times = 0

    def consuming(self):
        self.times += 1


def test_every_consume_ready_tells_the_handlers_and_the_live_feed_catches_up():
    consumer = GuardedQueueConsumer()
    handler, other = Handler(), object()       # a handler without the hook is left alone
    consumer._providers = {handler, other}
    consumer.on_consume_ready(None, None, [])   # started
    consumer.on_consume_ready(None, None, [])   # connected again after a cut
    assert handler.times == 2

    hub = StreamHub()
    hub.setup()
    queue = hub.open("radu.munteanu")
    events = LiveFeedEvents("notifications", "notification_created")
    events.hub = hub
    events.consuming()
    assert queue.get(timeout=0.1) is live.CATCH_UP
    with pytest.raises(Empty):
        queue.get(timeout=0.01)
